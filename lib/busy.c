// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which PCI devices carry a mounted filesystem or active swap: each block
 * device's sysfs path runs through its PCI ancestors, and device-mapper or md
 * devices lead to theirs through slaves/. Claiming such a device takes the
 * disk away from under the system. The members of ZFS pools and of btrfs and
 * bcachefs over several devices come from lib/members.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "internal.h"

#define SLAVE_DEPTH_MAX 8

struct busy_walk {
        struct vc_ctx *ctx;
        const struct vc_devlist *devs;
        const struct vc_busy_query *q;
        bool *reported; /* per device, so that one mount is named once per device */
        const char *what;
        struct vc_udev_db udev;
        bool zpool_asked;
        const char *zpool; /* what q->zpool() gave; the caller's to free */
};

/* Reports every PCI device whose address is a component of the block device's path. */
static void walk_block_dir(struct busy_walk *w, const char *dir, unsigned depth)
{
        char real[PATH_MAX], path[PATH_MAX];
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (depth > SLAVE_DEPTH_MAX || !realpath(dir, real))
                return;
        for (char *save = NULL, *c = strtok_r(real, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct vc_dev *dev;

                if (!vc_addr_parse(c, NULL, NULL, NULL, NULL))
                        continue;
                dev = vc_devlist_find(w->devs, c);
                if (dev && !w->reported[dev - w->devs->devs]) {
                        w->reported[dev - w->devs->devs] = true;
                        w->q->busy(w->q->userdata, dev, w->what);
                }
        }
        if (vc_sysfs_join(path, sizeof(path), dir, "slaves") < 0)
                return;
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_name[0] == '.')
                        continue;
                if (vc_sysfs_join(sub, sizeof(sub), path, de->d_name) >= 0)
                        walk_block_dir(w, sub, depth + 1);
        }
}

/* A new thing to report: each device is named once for it, however many of its parts it carries. */
static void walk_begin(struct busy_walk *w, const char *what)
{
        memset(w->reported, 0, w->devs->n * sizeof(bool));
        w->what = what;
}

static void walk_member_dir(void *userdata, const char *dir)
{
        walk_block_dir(userdata, dir, 0);
}

/* false: the kernel has no such block device (or the tree being examined does not). */
static bool walk_devnum(struct busy_walk *w, dev_t devnum)
{
        char dir[PATH_MAX];

        if (vc_block_dir(w->ctx, devnum, dir, sizeof(dir)) < 0)
                return false;
        walk_block_dir(w, dir, 0);
        return true;
}

static void unknown(struct busy_walk *w, const char *mnt, const char *fstype, const char *src)
{
        if (w->q->unknown)
                w->q->unknown(w->q->userdata, mnt, fstype, src);
}

/* Undoes the octal escapes (\040 for a space) of mountinfo and swaps fields. */
static void unescape(char *s)
{
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = 0;
}

/* The devices with the same filesystem UUID as devnum in the udev database: a btrfs or bcachefs over several. */
static unsigned walk_same_uuid(struct busy_walk *w, dev_t devnum, const char *fstype)
{
        const struct vc_udev_entry *e = vc_udev_db_find(&w->udev, devnum);
        unsigned n = 0;

        if (!e || !e->uuid[0] || strcmp(e->type, fstype) != 0)
                return 0;
        for (size_t i = 0; i < w->udev.n; i++) {
                const struct vc_udev_entry *o = &w->udev.entries[i];

                if (strcmp(o->type, e->type) == 0 && strcmp(o->uuid, e->uuid) == 0 && walk_devnum(w, o->devnum))
                        n++;
        }
        return n;
}

/*
 * One mount that is not ZFS. The source names its device (bcachefs: several,
 * joined by ':') when the device number is anonymous (0:N), as for btrfs.
 * btrfs names one of its devices only: the others come from sysfs or udev.
 */
static void check_mount(struct busy_walk *w, unsigned maj, unsigned min, const char *mnt, const char *fstype,
                        const char *src)
{
        char what[PATH_MAX + 16];
        bool btrfs = strcmp(fstype, "btrfs") == 0, multi = btrfs || strcmp(fstype, "bcachefs") == 0;
        bool wants_dev = multi || maj != 0 || (strncmp(src, "/dev/", 5) == 0 && strncmp(fstype, "fuse", 4) != 0);
        unsigned found = 0, members = 0;
        dev_t first = 0;

        if (vc_path(what, sizeof(what), "the filesystem mounted on %s", mnt) < 0)
                return;
        walk_begin(w, what);
        if (maj != 0) {
                first = makedev(maj, min);
                found = walk_devnum(w, first);
        } else if (src[0] == '/') {
                char buf[PATH_MAX];

                snprintf(buf, sizeof(buf), "%s", src);
                for (char *save = NULL, *p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
                        dev_t d;

                        if (vc_block_resolve(w->ctx, p, &d) < 0 || !walk_devnum(w, d))
                                continue;
                        if (!found++)
                                first = d;
                }
        }
        if (multi && found) {
                int k = btrfs ? vc_btrfs_members(w->ctx, first, walk_member_dir, w) : 0;

                members = (k > 0 ? (unsigned)k : 0) + walk_same_uuid(w, first, fstype);
        }
        /* bcachefs's source lists every device; btrfs's only one. */
        if (wants_dev && (!found || (btrfs && !members)))
                unknown(w, mnt, fstype, src);
}

struct pool {
        char name[256];
        char mnt[PATH_MAX];
        char src[PATH_MAX];
};

struct pools {
        struct pool *p;
        size_t n;
};

#define POOLS_MAX 256

/* Each pool once, with the first of its datasets mountinfo lists (usually "/"). */
static void add_pool(struct pools *pools, const char *src, const char *mnt)
{
        size_t len = strcspn(src, "/");
        struct pool *p;

        if (len == 0 || len >= sizeof(p->name) || pools->n >= POOLS_MAX)
                return;
        for (size_t i = 0; i < pools->n; i++)
                if (strlen(pools->p[i].name) == len && strncmp(pools->p[i].name, src, len) == 0)
                        return;
        p = realloc(pools->p, (pools->n + 1) * sizeof(*p));
        if (!p)
                return;
        pools->p = p;
        p = &pools->p[pools->n++];
        memcpy(p->name, src, len);
        p->name[len] = 0;
        snprintf(p->mnt, sizeof(p->mnt), "%s", mnt);
        snprintf(p->src, sizeof(p->src), "%s", src);
}

struct zpool_walk {
        struct busy_walk *w;
        const char *pool;
        unsigned found;
};

static void on_zpool_member(void *userdata, const char *pool, const char *path)
{
        struct zpool_walk *z = userdata;
        dev_t d;

        if (strcmp(pool, z->pool) == 0 && vc_block_resolve(z->w->ctx, path, &d) >= 0 && walk_devnum(z->w, d))
                z->found++;
}

/* Every vdev of a pool with a mounted dataset: data, special, log, cache and spare alike. */
static void check_pool(struct busy_walk *w, const struct pool *p)
{
        char what[PATH_MAX + 300];
        struct zpool_walk z = {w, p->name, 0};

        if (vc_path(what, sizeof(what), "the filesystem mounted on %s (ZFS pool %s)", p->mnt, p->name) < 0)
                return;
        walk_begin(w, what);
        for (size_t i = 0; i < w->udev.n; i++) {
                const struct vc_udev_entry *e = &w->udev.entries[i];

                if (strcmp(e->type, "zfs_member") == 0 && strcmp(e->label, p->name) == 0 && walk_devnum(w, e->devnum))
                        z.found++;
        }
        /* Asked once, and only here: when a ZFS dataset is mounted. */
        if (!w->zpool_asked && w->q->zpool) {
                w->zpool_asked = true;
                w->zpool = w->q->zpool(w->q->zpool_data);
        }
        if (w->zpool)
                vc_zpool_parse(w->zpool, on_zpool_member, &z);
        if (!z.found)
                unknown(w, p->mnt, "zfs", p->src);
}

/*
 * A chroot on a plain directory sees no mountinfo line for "/" (only mounts
 * reachable from its root are listed), but the root directory's st_dev still
 * names the filesystem it lives on (KERNEL-NOTES, "What a chroot sees").
 */
static void check_root(struct busy_walk *w)
{
        static const char what[] =
                "the filesystem mounted on / (found by the device of /: mountinfo has no line for it)";
        struct stat st;

        if (stat("/", &st) < 0)
                return;
        walk_begin(w, what);
        if (!walk_devnum(w, st.st_dev)) {
                char dev[32];

                snprintf(dev, sizeof(dev), "device %u:%u", major(st.st_dev), minor(st.st_dev));
                unknown(w, "/", "no mountinfo line", dev);
        }
}

static void scan_mountinfo(struct busy_walk *w, char *text)
{
        struct pools pools = {0};
        bool root_seen = false;
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                char mnt[PATH_MAX], src[PATH_MAX], fstype[64];
                const char *sep;

                /* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
                if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) != 3)
                        continue;
                fstype[0] = src[0] = 0;
                sep = strstr(line, " - ");
                if (!sep || sscanf(sep + 3, "%63s %4095s", fstype, src) != 2)
                        src[0] = 0;
                unescape(mnt);
                unescape(src);
                if (strcmp(mnt, "/") == 0)
                        root_seen = true;
                /* A dataset names no device: its pool's members are looked up once per pool below. */
                if (strcmp(fstype, "zfs") == 0)
                        add_pool(&pools, src, mnt);
                else
                        check_mount(w, maj, min, mnt, fstype, src);
        }
        if (!root_seen)
                check_root(w);
        for (size_t i = 0; i < pools.n; i++)
                check_pool(w, &pools.p[i]);
        free(pools.p);
}

static void scan_swaps(struct busy_walk *w, char *text)
{
        char *save = NULL;
        bool header = true;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[PATH_MAX], what[PATH_MAX + 16];
                struct stat st;

                if (header) {
                        header = false;
                        continue;
                }
                if (sscanf(line, "%4095s", name) != 1)
                        continue;
                unescape(name);
                if (vc_path(what, sizeof(what), "active swap on %s", name) < 0 || stat(name, &st) < 0)
                        continue;
                walk_begin(w, what);
                (void)walk_devnum(w, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev);
        }
}

int vc_find_busy(struct vc_ctx *ctx, const struct vc_busy_query *q, const struct vc_devlist *devs)
{
        _cleanup_free_ bool *reported = calloc(devs->n + 1, sizeof(bool));
        struct busy_walk w = {.ctx = ctx, .devs = devs, .q = q, .reported = reported};
        char path[PATH_MAX];
        int r;

        if (!reported)
                return -ENOMEM;
        /* No udev database (no udev on the build host, a test without one): members come from elsewhere. */
        (void)vc_udev_db_load(ctx, &w.udev);
        r = vc_root_path(ctx, VC_ROOT_PROC, "self/mountinfo", path, sizeof(path));
        if (r >= 0) {
                _cleanup_free_ char *text = NULL;

                r = vc_read_file(path, 4 * 1024 * 1024, &text, NULL);
                if (r < 0) {
                        vc_udev_db_clear(&w.udev);
                        return r;
                }
                scan_mountinfo(&w, text);
        }
        r = vc_root_path(ctx, VC_ROOT_PROC, "swaps", path, sizeof(path));
        if (r >= 0) {
                _cleanup_free_ char *text = NULL;

                /* No /proc/swaps (CONFIG_SWAP=n) is no swap. */
                if (vc_read_file(path, 1024 * 1024, &text, NULL) >= 0)
                        scan_swaps(&w, text);
        }
        vc_udev_db_clear(&w.udev);
        return 0;
}
