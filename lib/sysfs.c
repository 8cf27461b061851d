// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place that knows sysfs' shapes (and where proc, run and dev are):
 * every path under a root of the context is built here, every attribute is
 * read under one rule, every write gets the flags its attribute needs.
 * The files with policy (engine, pci, identity, sriov, members, busy,
 * report, variant, import) ask this file for a path or a value and never
 * join a root with a name themselves; cmd/ asks the same functions.
 *
 * The read rule (vc_sysfs_read): an attribute is read whole, in one read()
 * of at most a page (sysfs makes the whole value on the first read), and is
 * given to the caller only when it fits: a value that does not fit is
 * -EFBIG and the caller's buffer is left as it was. No value is ever cut.
 *
 * "Live" (vc_ctx_is_live): decided once, in vc_ctx_new(), from the
 * filesystem the sysfs root is on (statfs: SYSFS_MAGIC). A real sysfs,
 * however the path is spelled ("/sys", "/sys/", "/sys/./"), is the running
 * kernel's, and its writes reach the kernel: it loads modules and logs to
 * kmsg. A captured or fake tree on any other filesystem never does. No name
 * is compared.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "internal.h"

#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572 /* linux/magic.h */
#endif

bool vc_sysfs_root_is_live(const char *root)
{
        struct statfs sfs;

        return statfs(root, &sfs) == 0 && (unsigned long)sfs.f_type == (unsigned long)SYSFS_MAGIC;
}

static const char *root_of(const struct vc_ctx *ctx, enum vc_root which)
{
        switch (which) {
        case VC_ROOT_SYS:
                return ctx->sysfs;
        case VC_ROOT_PROC:
                return ctx->proc;
        case VC_ROOT_RUN:
                return ctx->run;
        case VC_ROOT_DEV:
                return ctx->dev;
        case VC_ROOT_ETC:
                return ctx->etc;
        }
        return NULL;
}

int vc_root_path(const struct vc_ctx *ctx, enum vc_root which, const char *rel, char *buf, size_t size)
{
        const char *root = root_of(ctx, which);

        if (!root)
                return -ENOENT; /* no such root (run: none given) */
        if (!rel || !*rel)
                return vc_path(buf, size, "%s", root);
        return vc_path(buf, size, "%s/%s", root, rel);
}

int vc_sysfs_join(char *buf, size_t size, const char *dir, const char *name)
{
        return vc_path(buf, size, "%s/%s", dir, name);
}

/* SYSFS/SUB/NAME/ATTR, each of NAME and ATTR optional. */
static int sysfs_obj(const struct vc_ctx *ctx, const char *sub, const char *name, const char *attr, char *buf,
                     size_t size)
{
        if (name && attr)
                return vc_path(buf, size, "%s/%s/%s/%s", ctx->sysfs, sub, name, attr);
        if (name)
                return vc_path(buf, size, "%s/%s/%s", ctx->sysfs, sub, name);
        return vc_path(buf, size, "%s/%s", ctx->sysfs, sub);
}

int vc_sysfs_dir(const struct vc_ctx *ctx, enum vc_sysfs_dir which, char *buf, size_t size)
{
        static const char *const rel[] = {
                [VC_SYSFS_PCI_DEVICES] = "bus/pci/devices",
                [VC_SYSFS_PCI_SLOTS] = "bus/pci/slots",
                [VC_SYSFS_IOMMU_GROUPS] = "kernel/iommu_groups",
                [VC_SYSFS_CLASS_VFIO] = "class/vfio",
                [VC_SYSFS_DEV_BLOCK] = "dev/block",
                [VC_SYSFS_FS_BTRFS] = "fs/btrfs",
                [VC_SYSFS_ACPI_TABLES] = "firmware/acpi/tables",
        };

        if ((size_t)which >= ELEMENTSOF(rel) || !rel[which])
                return -EINVAL;
        return sysfs_obj(ctx, rel[which], NULL, NULL, buf, size);
}

int vc_sysfs_dev_path(const struct vc_ctx *ctx, const char *addr, const char *attr, char *buf, size_t size)
{
        return sysfs_obj(ctx, "bus/pci/devices", addr, attr, buf, size);
}

int vc_sysfs_driver_path(const struct vc_ctx *ctx, const char *driver, const char *attr, char *buf, size_t size)
{
        return sysfs_obj(ctx, "bus/pci/drivers", driver, attr, buf, size);
}

int vc_sysfs_group_path(const struct vc_ctx *ctx, int group, const char *attr, char *buf, size_t size)
{
        char num[16];

        if (group < 0)
                return -EINVAL;
        snprintf(num, sizeof(num), "%d", group);
        return sysfs_obj(ctx, "kernel/iommu_groups", num, attr, buf, size);
}

int vc_sysfs_block_path(const struct vc_ctx *ctx, dev_t devnum, const char *attr, char *buf, size_t size)
{
        char num[32];

        snprintf(num, sizeof(num), "%u:%u", major(devnum), minor(devnum));
        return sysfs_obj(ctx, "dev/block", num, attr, buf, size);
}

int vc_vfio_node_path(const struct vc_ctx *ctx, const struct vc_vfio_nodes *n, bool cdev, char *buf, size_t size)
{
        if (cdev)
                return n->cdev[0] ? vc_path(buf, size, "%s/vfio/devices/%s", ctx->dev, n->cdev) : -ENOENT;
        return n->group >= 0 ? vc_path(buf, size, "%s/vfio/%d", ctx->dev, n->group) : -ENOENT;
}

/* ---- reading ---- */

int vc_sysfs_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        char page[VC_ATTR_MAX + 1];
        ssize_t k;

        if (size == 0)
                return -EINVAL;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        /* One read: a sysfs attribute is produced whole on the first read().
         * A page and one byte more: a full one means more than a page. */
        k = read(fd, page, sizeof(page));
        if (k < 0)
                return negative_errno();
        if ((size_t)k >= sizeof(page) || (size_t)k >= size)
                return -EFBIG;
        memcpy(buf, page, (size_t)k);
        buf[k] = 0;
        if (ret_len)
                *ret_len = (size_t)k;
        return 0;
}

int vc_sysfs_read(const char *path, char *buf, size_t size, size_t *ret_len)
{
        return vc_sysfs_read_at(AT_FDCWD, path, buf, size, ret_len);
}

int vc_sysfs_read_value_at(int dirfd, const char *path, char *buf, size_t size)
{
        char page[VC_ATTR_MAX + 1];
        size_t len;
        int r;

        if (size == 0)
                return -EINVAL;
        r = vc_sysfs_read_at(dirfd, path, page, sizeof(page), NULL);
        if (r < 0)
                return r;
        /* Anything after the first line is not part of a one-value attribute. */
        len = strcspn(page, "\n");
        if (len >= size)
                return -EFBIG;
        memcpy(buf, page, len);
        buf[len] = 0;
        return 0;
}

int vc_sysfs_read_value(const char *path, char *buf, size_t size)
{
        return vc_sysfs_read_value_at(AT_FDCWD, path, buf, size);
}

int vc_sysfs_dev_read(const struct vc_ctx *ctx, const char *addr, const char *attr, char *buf, size_t size)
{
        char path[PATH_MAX];
        int r;

        r = vc_sysfs_dev_path(ctx, addr, attr, path, sizeof(path));
        if (r < 0)
                return r;
        return vc_sysfs_read_value(path, buf, size);
}

int vc_sysfs_readlink_name(const char *path, char *buf, size_t size)
{
        char target[PATH_MAX];
        const char *base;
        ssize_t k;

        k = readlink(path, target, sizeof(target) - 1);
        if (k < 0)
                return negative_errno();
        target[k] = 0;
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        /* The name becomes a path component under the sysfs root: never "." or "..". */
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return -EINVAL;
        if (strlen(base) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, base);
        return 0;
}

int vc_sysfs_dev_link(const struct vc_ctx *ctx, const char *addr, const char *link, char *buf, size_t size)
{
        char path[PATH_MAX];
        int r;

        r = vc_sysfs_dev_path(ctx, addr, link, path, sizeof(path));
        if (r < 0)
                return r;
        return vc_sysfs_readlink_name(path, buf, size);
}

int vc_sysfs_dev_link_target(const struct vc_ctx *ctx, const char *addr, char *buf, size_t size)
{
        char path[PATH_MAX];
        ssize_t k;
        int r;

        r = vc_sysfs_dev_path(ctx, addr, NULL, path, sizeof(path));
        if (r < 0)
                return r;
        if (size < 2)
                return -ENAMETOOLONG;
        k = readlink(path, buf, size - 1);
        if (k < 0)
                return negative_errno();
        if ((size_t)k >= size - 1)
                return -ENAMETOOLONG;
        buf[k] = 0;
        return 0;
}

bool vc_sysfs_exists(const char *path, bool dir)
{
        struct stat st;

        return stat(path, &st) == 0 && (!dir || S_ISDIR(st.st_mode));
}

/* ---- writing ---- */

/*
 * How an attribute takes a write, from its name: a command attribute (bind,
 * unbind, new_id, remove_id, drivers_probe) is opened for appending, any
 * value attribute (driver_override, sriov_numvfs, ...) is replaced. sysfs
 * ignores both flags (every write() goes to the attribute's store(),
 * whatever the file position); a plain file then keeps every command in
 * order and only the last value, which is what the kernel would have seen.
 * The flags depend on the attribute only, never on the tree.
 */
bool vc_sysfs_attr_is_command(const char *attr)
{
        static const char *const commands[] = {"bind", "unbind", "new_id", "remove_id", "drivers_probe"};

        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(attr, commands[i]) == 0)
                        return true;
        return false;
}

int vc_sysfs_write_path(const char *path, const char *attr, const char *value)
{
        _cleanup_close_ int fd = -1;
        char line[256];
        size_t len;
        ssize_t k;
        int r;

        r = vc_path(line, sizeof(line), "%s\n", value);
        if (r < 0)
                return r;
        len = strlen(line);
        /* No O_CREAT: a sysfs attribute that is missing is an error, not a new file. */
        fd = open(path,
                  O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (vc_sysfs_attr_is_command(attr) ? O_APPEND : O_TRUNC));
        if (fd < 0)
                return negative_errno();
        /* sysfs takes one write() per value and answers it with the store's error. */
        k = write(fd, line, len);
        if (k < 0)
                return negative_errno();
        if ((size_t)k != len)
                return -EIO;
        return 0;
}

int vc_sysfs_dev_write(const struct vc_ctx *ctx, const char *addr, const char *attr, const char *value)
{
        char path[PATH_MAX];
        int r;

        r = vc_sysfs_dev_path(ctx, addr, attr, path, sizeof(path));
        if (r < 0)
                return r;
        return vc_sysfs_write_path(path, attr, value);
}

int vc_sysfs_driver_write(const struct vc_ctx *ctx, const char *driver, const char *attr, const char *value)
{
        char path[PATH_MAX];
        int r;

        r = vc_sysfs_driver_path(ctx, driver, attr, path, sizeof(path));
        if (r < 0)
                return r;
        return vc_sysfs_write_path(path, attr, value);
}

int vc_sysfs_probe(const struct vc_ctx *ctx, const char *addr)
{
        char path[PATH_MAX];
        int r;

        r = sysfs_obj(ctx, "bus/pci/drivers_probe", NULL, NULL, path, sizeof(path));
        if (r < 0)
                return r;
        return vc_sysfs_write_path(path, "drivers_probe", addr);
}

/* ---- directories ---- */

int vc_sysfs_opendir(const char *path, DIR **ret)
{
        DIR *d = opendir(path);

        if (!d)
                return negative_errno();
        *ret = d;
        return 0;
}

const char *vc_sysfs_next(DIR *d)
{
        struct dirent *de;

        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        return de->d_name;
        return NULL;
}
