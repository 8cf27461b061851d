// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who uses a device before it changes hands (issue #21): its network
 * interfaces that are up or enslaved, and the processes that hold one of
 * its device nodes open.
 *
 * The nodes are every DEVICE/.../dev below the PCI device in sysfs (a
 * disk, its partitions, /dev/nvmeN and its namespaces, drm/card*,
 * renderD*, sound/card*'s controlC/pcmC nodes, graphics/fb*, a VFIO
 * cdev, ...), plus the device's VFIO group node. A process's open files
 * are PROC/PID/fd/N; each is matched by MAJ:MIN: the link's target (as
 * "/dev/nvme0n1") is looked up under the dev root and its st_rdev and type
 * compared with the node's sysfs dev file, so a node that udev named
 * differently, or a symlink such as /dev/disk/by-id/..., still matches.
 * Only when that path under the dev root is no device node (a captured
 * tree, a process in another mount namespace whose /dev is not ours) is
 * the target's name compared with the node's DEVNAME instead.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "macro.h"

#define IFF_UP_BIT 0x1 /* <linux/if.h> IFF_UP: the administrative state */
#define WALK_DEPTH 24  /* sda1 is 6 below an AHCI; a USB disk behind hubs of a claimed xHCI goes deeper */

struct node {
        dev_t rdev;
        bool block;
        char name[64]; /* under /dev: "nvme0n1", "dri/card0", "vfio/4" */
};

struct nodes {
        struct node *v;
        size_t n;
};

static int nodes_add(struct nodes *ns, dev_t rdev, bool block, const char *name)
{
        struct node *v;

        for (size_t i = 0; i < ns->n; i++)
                if (ns->v[i].rdev == rdev && ns->v[i].block == block)
                        return 0;
        v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        ns->v = v;
        v[ns->n] = (struct node){.rdev = rdev, .block = block};
        snprintf(v[ns->n].name, sizeof(v[ns->n].name), "%s", name);
        ns->n++;
        return 0;
}

static int parse_majmin(const char *s, dev_t *ret)
{
        unsigned maj, min;
        char tail;

        if (sscanf(s, "%u:%u%c", &maj, &min, &tail) != 2)
                return -EINVAL;
        *ret = makedev(maj, min);
        return 0;
}

/* A PCI address "0000:01:00.0": a device behind this one (a bridge's), not ours. */
static bool is_pci_addr(const char *name)
{
        unsigned d, b, s, f;
        char tail;

        return sscanf(name, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) == 4;
}

/* dir holds dev: its MAJ:MIN, and its DEVNAME from uevent (else the directory's name). */
static int add_dev_dir(struct nodes *ns, const char *dir, const char *base, bool block)
{
        char path[4096], val[64], uevent[4096];
        const char *name = base;
        dev_t rdev;
        int r;

        r = vc_sysfs_join(path, sizeof(path), dir, "dev");
        if (r < 0)
                return r;
        if (vc_sysfs_read_value(path, val, sizeof(val)) < 0 || parse_majmin(val, &rdev) < 0)
                return 0;
        r = vc_sysfs_join(path, sizeof(path), dir, "uevent");
        if (r < 0)
                return r;
        if (vc_sysfs_read(path, uevent, sizeof(uevent), NULL) >= 0) {
                char *p = strstr(uevent, "DEVNAME=");

                char *t = strstr(uevent, "DEVTYPE=");

                /* A namespace (nvme/nvme0/nvme0n1) has no block/ above it: its DEVTYPE says. */
                if (t && (t == uevent || t[-1] == '\n') &&
                    (strncmp(t + 8, "disk\n", 5) == 0 || strncmp(t + 8, "partition\n", 10) == 0))
                        block = true;
                if (p && (p == uevent || p[-1] == '\n')) {
                        p += 8;
                        p[strcspn(p, "\n")] = 0;
                        if (*p)
                                name = p;
                }
        }
        return nodes_add(ns, rdev, block, name);
}

static int walk(struct nodes *ns, const char *dir, unsigned depth, bool block)
{
        _cleanup_closedir_ DIR *d = NULL;
        const char *name;
        int r;

        r = vc_sysfs_opendir(dir, &d);
        if (r < 0)
                return r == -ENOENT || r == -ENOTDIR ? 0 : r;
        while ((name = vc_sysfs_next(d))) {
                char sub[4096];
                struct stat st;

                /* Links (driver, subsystem, device, ...) lead out of the device. */
                if (strcmp(name, "power") == 0 || strcmp(name, "net") == 0 || is_pci_addr(name))
                        continue;
                r = vc_sysfs_join(sub, sizeof(sub), dir, name);
                if (r < 0)
                        return r;
                if (lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                r = add_dev_dir(ns, sub, name, block || strcmp(name, "block") == 0);
                if (r >= 0 && depth < WALK_DEPTH)
                        r = walk(ns, sub, depth + 1, block || strcmp(name, "block") == 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * NVMe multipath (CONFIG_NVME_MULTIPATH, Debian's kernels): /dev/nvme0n1 is
 * the head, SYSFS/devices/virtual/nvme-subsystem/nvme-subsysN/nvme0n1, and
 * the controller under the PCI device has only the hidden path disk
 * nvme0c0n1, without dev. A head is ours when one of its multipath/ links
 * leads below the device.
 */
static int add_multipath_heads(struct vc_ctx *ctx, struct nodes *ns, const char *devdir)
{
        _cleanup_closedir_ DIR *d = NULL;
        char blockdir[4096], real[PATH_MAX];
        const char *name;
        size_t rlen;
        int r;

        if (!realpath(devdir, real))
                return 0;
        rlen = strlen(real);
        r = vc_root_path(ctx, VC_ROOT_SYS, "block", blockdir, sizeof(blockdir));
        if (r < 0)
                return r;
        if (vc_sysfs_opendir(blockdir, &d) < 0)
                return 0;
        while ((name = vc_sysfs_next(d))) {
                _cleanup_closedir_ DIR *mp = NULL;
                char head[4096], mpdir[4096], headreal[PATH_MAX];
                const char *path_disk;
                bool ours = false;

                if (vc_sysfs_join(head, sizeof(head), blockdir, name) < 0 ||
                    vc_sysfs_join(mpdir, sizeof(mpdir), head, "multipath") < 0 || vc_sysfs_opendir(mpdir, &mp) < 0)
                        continue;
                while (!ours && (path_disk = vc_sysfs_next(mp))) {
                        char link[4096], target[PATH_MAX];

                        ours = vc_sysfs_join(link, sizeof(link), mpdir, path_disk) >= 0 && realpath(link, target) &&
                               strncmp(target, real, rlen) == 0 && target[rlen] == '/';
                }
                if (!ours || !realpath(head, headreal))
                        continue;
                r = add_dev_dir(ns, headreal, name, true);
                if (r >= 0)
                        r = walk(ns, headreal, WALK_DEPTH, true); /* its partitions */
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The node kinds a block device's partitions are in: "block" is in their path. */
static int collect_nodes(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what, struct nodes *ns)
{
        struct vc_vfio_nodes vn;
        char path[4096];
        int r;

        if (what & VC_USERS_NODES) {
                r = vc_sysfs_dev_path(ctx, dev->addr, NULL, path, sizeof(path));
                if (r < 0)
                        return r;
                r = walk(ns, path, 0, false);
                if (r >= 0)
                        r = add_multipath_heads(ctx, ns, path);
                if (r < 0)
                        return r;
        }
        if (!(what & VC_USERS_VFIO))
                return 0;
        if (vc_dev_vfio_nodes(ctx, dev, &vn) < 0)
                return 0;
        for (int cdev = 0; cdev < 2; cdev++) {
                struct stat st;
                char rel[64];

                if (cdev ? !vn.cdev[0] : vn.group < 0)
                        continue;
                if (vc_vfio_node_path(ctx, &vn, cdev, path, sizeof(path)) < 0)
                        continue;
                if (cdev)
                        snprintf(rel, sizeof(rel), "vfio/devices/%s", vn.cdev);
                else
                        snprintf(rel, sizeof(rel), "vfio/%d", vn.group);
                /* Not a node (a captured tree): it is matched by its name. */
                if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
                        st.st_rdev = makedev(0, 0);
                r = nodes_add(ns, st.st_rdev, false, rel);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Directories under /dev any user may write, where a FUSE mount could make
 * a stat() of an open file's path wait for that user's server forever;
 * they hold no device nodes. */
static bool user_writable_dir(const char *rel)
{
        static const char *const dirs[] = {"shm/", "mqueue/", "pts/", "hugepages/"};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (strncmp(rel, dirs[i], strlen(dirs[i])) == 0)
                        return true;
        return false;
}

/* Text a process chose (its comm, QEMU's -name) or a name from sysfs goes into
 * the kernel log and onto a terminal: no control characters. */
static void make_printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

/* The node an open file is, if it is one of ours. */
static const struct node *match_fd(struct vc_ctx *ctx, const struct nodes *ns, const char *target)
{
        char path[4096];
        struct stat st;

        if (strncmp(target, "/dev/", 5) != 0 || user_writable_dir(target + 5))
                return NULL;
        if (vc_root_path(ctx, VC_ROOT_DEV, target + 5, path, sizeof(path)) >= 0 && stat(path, &st) == 0 &&
            (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
                for (size_t i = 0; i < ns->n; i++)
                        if (major(ns->v[i].rdev) != 0 && ns->v[i].rdev == st.st_rdev &&
                            ns->v[i].block == !!S_ISBLK(st.st_mode))
                                return &ns->v[i];
                return NULL;
        }
        for (size_t i = 0; i < ns->n; i++)
                if (strcmp(ns->v[i].name, target + 5) == 0)
                        return &ns->v[i];
        return NULL;
}

/* QEMU's "-name guest=DOM,debug-threads=on" (libvirt) or "-name NAME": the name. */
static void read_vm_name(struct vc_ctx *ctx, const char *pid, char *buf, size_t size)
{
        char rel[64], path[4096], cmd[8192];
        _cleanup_close_ int fd = -1;
        size_t len = 0;

        buf[0] = 0;
        snprintf(rel, sizeof(rel), "%s/cmdline", pid);
        if (vc_root_path(ctx, VC_ROOT_PROC, rel, path, sizeof(path)) < 0)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return;
        /* libvirt's cmdline is longer than a page; -name comes early, the start is enough. */
        while (len < sizeof(cmd) - 1) {
                ssize_t k = read(fd, cmd + len, sizeof(cmd) - 1 - len);

                if (k <= 0)
                        break;
                len += (size_t)k;
        }
        cmd[len] = 0;
        for (size_t i = 0; i < len;) {
                const char *a = cmd + i;
                size_t alen = strnlen(a, len - i);

                i += alen + 1;
                if ((strcmp(a, "-name") == 0 || strcmp(a, "--name") == 0) && i < len) {
                        const char *v = cmd + i, *g = strstr(v, "guest=");
                        size_t n;

                        if (g && (g == v || g[-1] == ','))
                                v = g + 6;
                        n = strcspn(v, ",");
                        snprintf(buf, size, "%.*s", (int)n, v);
                        return;
                }
        }
}

static int scan_procs(struct vc_ctx *ctx, const struct vc_dev *dev, const struct nodes *ns, vc_user_fn fn,
                      void *userdata)
{
        _cleanup_closedir_ DIR *d = NULL;
        char path[4096];
        const char *pid;
        int r, found = 0;

        r = vc_root_path(ctx, VC_ROOT_PROC, NULL, path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_sysfs_opendir(path, &d);
        if (r < 0)
                return r;
        while ((pid = vc_sysfs_next(d))) {
                _cleanup_closedir_ DIR *fds = NULL;
                const struct node *seen[16];
                size_t n_seen = 0;
                char rel[64], fddir[4096];
                const char *fd;

                if (strspn(pid, "0123456789") != strlen(pid) || strlen(pid) > 10)
                        continue;
                snprintf(rel, sizeof(rel), "%s/fd", pid);
                if (vc_root_path(ctx, VC_ROOT_PROC, rel, fddir, sizeof(fddir)) < 0 || vc_sysfs_opendir(fddir, &fds) < 0)
                        continue; /* gone, or not ours to read */
                while ((fd = vc_sysfs_next(fds))) {
                        char link[4096], target[4096];
                        const struct node *node;
                        struct vc_user u = {.kind = VC_USER_OPEN};
                        bool dup = false;
                        ssize_t k;

                        if (vc_sysfs_join(link, sizeof(link), fddir, fd) < 0)
                                continue;
                        k = readlink(link, target, sizeof(target) - 1);
                        if (k <= 0)
                                continue;
                        target[k] = 0;
                        node = match_fd(ctx, ns, target);
                        if (!node)
                                continue;
                        for (size_t i = 0; i < n_seen; i++)
                                dup = dup || seen[i] == node;
                        if (dup)
                                continue;
                        if (n_seen < ELEMENTSOF(seen))
                                seen[n_seen++] = node;
                        u.pid = atoi(pid);
                        snprintf(u.name, sizeof(u.name), "/dev/%s", node->name);
                        snprintf(rel, sizeof(rel), "%s/comm", pid);
                        if (vc_root_path(ctx, VC_ROOT_PROC, rel, path, sizeof(path)) < 0 ||
                            vc_sysfs_read_value(path, u.comm, sizeof(u.comm)) < 0)
                                snprintf(u.comm, sizeof(u.comm), "?");
                        read_vm_name(ctx, pid, u.vm, sizeof(u.vm));
                        make_printable(u.comm);
                        make_printable(u.vm);
                        make_printable(u.name);
                        fn(userdata, dev, &u);
                        found++;
                }
        }
        return found;
}

static int scan_net(struct vc_ctx *ctx, const struct vc_dev *dev, vc_user_fn fn, void *userdata)
{
        _cleanup_closedir_ DIR *d = NULL;
        char dir[4096];
        const char *name;
        int r, found = 0;

        r = vc_sysfs_dev_path(ctx, dev->addr, "net", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = vc_sysfs_opendir(dir, &d);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        while ((name = vc_sysfs_next(d))) {
                struct vc_user u = {.kind = VC_USER_NETDEV};
                char ifdir[4096], path[4096], val[64];
                unsigned long flags = 0;
                char *end;

                if (vc_sysfs_join(ifdir, sizeof(ifdir), dir, name) < 0)
                        continue;
                if (vc_sysfs_join(path, sizeof(path), ifdir, "flags") >= 0 &&
                    vc_sysfs_read_value(path, val, sizeof(val)) >= 0) {
                        errno = 0;
                        flags = strtoul(val, &end, 16);
                        if (errno || end == val || *end)
                                flags = 0;
                }
                u.up = (flags & IFF_UP_BIT) != 0;
                if (vc_sysfs_join(path, sizeof(path), ifdir, "master") >= 0)
                        (void)vc_sysfs_readlink_name(path, u.master, sizeof(u.master));
                if (!u.up && !u.master[0])
                        continue;
                snprintf(u.name, sizeof(u.name), "%s", name);
                if (vc_sysfs_join(path, sizeof(path), ifdir, "address") >= 0)
                        (void)vc_sysfs_read_value(path, u.address, sizeof(u.address));
                make_printable(u.name);
                make_printable(u.master);
                make_printable(u.address);
                fn(userdata, dev, &u);
                found++;
        }
        return found;
}

int vc_find_users(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what, vc_user_fn fn, void *userdata)
{
        struct nodes ns = {0};
        int r, found = 0;

        if (what & VC_USERS_NET) {
                r = scan_net(ctx, dev, fn, userdata);
                if (r < 0)
                        return r;
                found += r;
        }
        r = collect_nodes(ctx, dev, what, &ns);
        if (r >= 0 && ns.n > 0)
                r = scan_procs(ctx, dev, &ns, fn, userdata);
        free(ns.v);
        if (r < 0)
                return r;
        return found + r;
}

int vc_dev_reread_driver(struct vc_ctx *ctx, struct vc_dev *dev)
{
        return vc_dev_read_driver(ctx, dev);
}

bool vc_dev_on_vfio_driver(const struct vc_dev *dev)
{
        return dev->driver[0] && vc_driver_keeps_group_viable(dev->driver);
}
