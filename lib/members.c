// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block devices under a filesystem whose mountinfo line does not name
 * them all: ZFS (the source is a dataset), btrfs and bcachefs over several
 * devices (the source names one, or several joined by ':'). The build host
 * offers three answers without new dependencies:
 *   - the udev database, RUN/udev/data/bMAJ:MIN, lines "E:KEY=VALUE" with
 *     blkid's ID_FS_TYPE, ID_FS_LABEL (a ZFS member's pool) and ID_FS_UUID
 *     (the same on every device of one btrfs or bcachefs);
 *   - SYSFS/fs/btrfs/UUID/devices/NAME, links to each device's block dir;
 *   - the output of `zpool list -vPH`, which the caller runs when it can.
 * Parsers here take text only: the fuzzers feed them directly.
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

#define UDEV_DB_FILE_MAX    (64 * 1024)
#define UDEV_DB_ENTRIES_MAX 65536

/* Copies the value of "E:KEY=" lines into buf; an over-long value is not taken. */
static void take(const char *val, size_t len, char *buf, size_t size)
{
        if (len >= size)
                return;
        memcpy(buf, val, len);
        buf[len] = 0;
}

void vc_udev_props_parse(const char *text, struct vc_udev_entry *e)
{
        static const struct {
                const char *key;
                size_t off, size;
        } keys[] = {
                {"E:ID_FS_TYPE=", offsetof(struct vc_udev_entry, type), sizeof(((struct vc_udev_entry *)0)->type)},
                {"E:ID_FS_LABEL=", offsetof(struct vc_udev_entry, label), sizeof(((struct vc_udev_entry *)0)->label)},
                {"E:ID_FS_UUID=", offsetof(struct vc_udev_entry, uuid), sizeof(((struct vc_udev_entry *)0)->uuid)},
        };

        e->type[0] = e->label[0] = e->uuid[0] = 0;
        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);

                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = strlen(keys[i].key);

                        if (len > kl && strncmp(line, keys[i].key, kl) == 0)
                                take(line + kl, len - kl, (char *)e + keys[i].off, keys[i].size);
                }
                line = end ? end + 1 : NULL;
        }
}

void vc_udev_db_clear(struct vc_udev_db *db)
{
        free(db->entries);
        *db = (struct vc_udev_db){0};
}

/* Only block devices with a filesystem type: the rest of the database is of no use here. */
int vc_udev_db_load(struct vc_ctx *ctx, struct vc_udev_db *ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct vc_udev_db db = {0};
        char dir[PATH_MAX];
        struct dirent *de;
        int r;

        r = vc_root_path(ctx, VC_ROOT_RUN, "udev/data", dir, sizeof(dir));
        if (r >= 0)
                r = vc_sysfs_opendir(dir, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                char path[PATH_MAX], tail;
                struct vc_udev_entry e = {0};
                unsigned maj, min;

                if (de->d_name[0] != 'b' || sscanf(de->d_name, "b%u:%u%c", &maj, &min, &tail) != 2)
                        continue;
                if (vc_sysfs_join(path, sizeof(path), dir, de->d_name) < 0 ||
                    vc_read_file(path, UDEV_DB_FILE_MAX, &text, NULL) < 0)
                        continue;
                vc_udev_props_parse(text, &e);
                if (!e.type[0])
                        continue;
                if (db.n >= UDEV_DB_ENTRIES_MAX)
                        break;
                if (db.n % 64 == 0) {
                        struct vc_udev_entry *p = realloc(db.entries, (db.n + 64) * sizeof(*p));

                        if (!p) {
                                vc_udev_db_clear(&db);
                                return -ENOMEM;
                        }
                        db.entries = p;
                }
                e.devnum = makedev(maj, min);
                db.entries[db.n++] = e;
        }
        *ret = db;
        return 0;
}

const struct vc_udev_entry *vc_udev_db_find(const struct vc_udev_db *db, dev_t devnum)
{
        for (size_t i = 0; i < db->n; i++)
                if (db->entries[i].devnum == devnum)
                        return &db->entries[i];
        return NULL;
}

/*
 * `zpool list -vPH`: tab-separated, a pool's line starts with its name, its
 * vdevs' lines with a tab; with -P a leaf is a full path ("/dev/..."), an
 * inner vdev a name ("mirror-0"). The classes of the pool ("logs", "cache",
 * "spares", "special", "dedup") start a line of their own, with or without a
 * tab depending on the version: they never change the pool.
 */
static bool is_vdev_class(const char *s, size_t len)
{
        static const char *const classes[] = {"logs", "log", "cache", "spares", "special", "dedup"};

        for (size_t i = 0; i < ELEMENTSOF(classes); i++)
                if (strlen(classes[i]) == len && strncmp(s, classes[i], len) == 0)
                        return true;
        return false;
}

void vc_zpool_parse(const char *text, vc_zpool_member_fn fn, void *userdata)
{
        char pool[256] = "";

        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                const char *f = line;
                size_t flen;
                bool indented = *f == '\t' || *f == ' ';

                while (f < line + len && (*f == '\t' || *f == ' '))
                        f++;
                flen = strcspn(f, "\t\n");
                if (f + flen > line + len)
                        flen = (size_t)(line + len - f);
                if (flen == 0 || is_vdev_class(f, flen))
                        ;
                else if (!indented) {
                        if (flen < sizeof(pool)) {
                                memcpy(pool, f, flen);
                                pool[flen] = 0;
                        } else
                                pool[0] = 0;
                } else if (pool[0] && *f == '/' && flen < PATH_MAX) {
                        char path[PATH_MAX];

                        memcpy(path, f, flen);
                        path[flen] = 0;
                        fn(userdata, pool, path);
                }
                line = end ? end + 1 : NULL;
        }
}

/* The block device named NAME ("nvme0n1p3") in SYSFS/dev/block: its number. */
static int block_by_name(struct vc_ctx *ctx, const char *name, dev_t *ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        char dir[PATH_MAX];
        struct dirent *de;

        if (vc_sysfs_dir(ctx, VC_SYSFS_DEV_BLOCK, dir, sizeof(dir)) < 0)
                return -ENAMETOOLONG;
        d = opendir(dir);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                char link[PATH_MAX], base[NAME_MAX + 1];
                unsigned maj, min;
                char tail;

                if (sscanf(de->d_name, "%u:%u%c", &maj, &min, &tail) != 2 ||
                    vc_sysfs_join(link, sizeof(link), dir, de->d_name) < 0 ||
                    vc_sysfs_readlink_name(link, base, sizeof(base)) < 0 || strcmp(base, name) != 0)
                        continue;
                *ret = makedev(maj, min);
                return 0;
        }
        return -ENODEV;
}

int vc_block_resolve(struct vc_ctx *ctx, const char *path, dev_t *ret)
{
        char real[PATH_MAX];
        const char *name, *p = realpath(path, real) ? real : path;
        struct stat st;

        /* The kernel's name first: the tree being examined may not be this machine's. */
        name = strrchr(p, '/');
        name = name ? name + 1 : p;
        if (*name && block_by_name(ctx, name, ret) >= 0)
                return 0;
        if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
                *ret = st.st_rdev;
                return 0;
        }
        return -ENODEV;
}

int vc_block_dir(struct vc_ctx *ctx, dev_t devnum, char *buf, size_t size)
{
        char path[PATH_MAX];
        struct stat st;
        int r;

        r = vc_sysfs_block_path(ctx, devnum, NULL, path, sizeof(path));
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return negative_errno();
        if (strlen(path) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, path);
        return 0;
}

int vc_btrfs_members(struct vc_ctx *ctx, dev_t devnum, vc_member_dir_fn fn, void *userdata)
{
        _cleanup_closedir_ DIR *d = NULL;
        char dir[PATH_MAX], link[PATH_MAX], name[NAME_MAX + 1];
        struct dirent *de;
        int found = 0;

        if (vc_sysfs_block_path(ctx, devnum, NULL, link, sizeof(link)) < 0 ||
            vc_sysfs_readlink_name(link, name, sizeof(name)) < 0)
                return -ENODEV;
        if (vc_sysfs_dir(ctx, VC_SYSFS_FS_BTRFS, dir, sizeof(dir)) < 0)
                return -ENAMETOOLONG;
        d = opendir(dir);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)) && !found) {
                _cleanup_closedir_ DIR *devs = NULL;
                char fsdir[PATH_MAX], devdir[PATH_MAX], mine[PATH_MAX];
                struct stat st;
                struct dirent *m;

                if (de->d_name[0] == '.' || vc_sysfs_join(fsdir, sizeof(fsdir), dir, de->d_name) < 0 ||
                    vc_sysfs_join(devdir, sizeof(devdir), fsdir, "devices") < 0 ||
                    vc_sysfs_join(mine, sizeof(mine), devdir, name) < 0 || lstat(mine, &st) < 0)
                        continue;
                devs = opendir(devdir);
                while (devs && (m = readdir(devs))) {
                        char member[PATH_MAX];

                        if (m->d_name[0] == '.' || vc_sysfs_join(member, sizeof(member), devdir, m->d_name) < 0)
                                continue;
                        fn(userdata, member);
                        found++;
                }
        }
        return found;
}
