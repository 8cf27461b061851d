/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the library's files share and its callers never see: the context's
 * fields, the log call, and the small helpers for sysfs paths and
 * attributes. Every function here follows the rules of vfio-claim.h:
 * negative errno, out-parameters untouched on failure, nothing printed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vfio-claim.h"

struct vc_ctx {
        char *sysfs;       /* sysfs root without trailing '/', "/sys" on a live system */
        bool live;         /* sysfs is the real /sys: modules may be loaded */
        bool dry_run;      /* log every write instead of doing it */
        char *modules_dir; /* /lib/modules/RELEASE for module look-ups, NULL: running kernel */
        vc_log_fn log_fn;
        void *log_data;
        struct kmod_ctx *kmod;
        /* SYSFS/bus/pci/slots, read once when a slot is asked for (identity.c). */
        struct vc_slot_entry *slots;
        size_t n_slots;
        bool slots_read;
};

/* Through the caller's log function (vc_ctx_set_log_fn); errno is kept for %m. */
void vc_log(struct vc_ctx *ctx, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf into a fixed buffer; -ENAMETOOLONG instead of silent truncation. */
int vc_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * How a sysfs attribute takes a write. The same on the live /sys and on a
 * fake tree, so that the tested write is the one the boot does: a command
 * attribute (bind, unbind, new_id, remove_id, drivers_probe) is opened for
 * appending, a value attribute (driver_override) is replaced. sysfs ignores
 * both flags (every write() goes to the attribute's store(), whatever the
 * file position); a plain file then keeps every command in order and only
 * the last value, which is what the kernel would have seen.
 */
enum vc_attr_kind {
        VC_ATTR_COMMAND,
        VC_ATTR_VALUE,
};

int vc_write_attr(const char *path, const char *value, enum vc_attr_kind kind);
int vc_read_attr(const char *path, char *buf, size_t size);
int vc_read_attr_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len);
int vc_readlink_basename(const char *path, char *buf, size_t size);

/* 0..15 for a hex digit, -1 for anything else. */
static inline int vc_hexval(char c)
{
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
}
bool vc_parse_hex_u32(const char *s, size_t len, uint32_t max, uint32_t *ret);
bool vc_is_driver_name(const char *s);
int vc_strv_push(char ***v, size_t *n, char *s);
void vc_strv_free(char **v, size_t n);

/* The addresses in IOMMU group N, sorted. */
int vc_group_members(struct vc_ctx *ctx, int group, char ***ret, size_t *ret_n);
/* Reads the uevent of a device vc_pci_enumerate() left unread; -EIO when that failed before. */
int vc_dev_identify(struct vc_ctx *ctx, struct vc_dev *dev);
/* No driver, vfio-pci or a variant, pci-stub: a device that keeps its IOMMU group viable. */
bool vc_driver_keeps_group_viable(const char *driver);
/* identity.c: the serial, slot and path selectors on what dev holds, or after reading it. */
bool vc_identity_match(const struct vc_rule *r, const struct vc_dev *dev);
bool vc_identity_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev);
void vc_slots_free(struct vc_ctx *ctx);
/* module.c: the context's libkmod handle, made on first use. */
struct kmod_ctx;
int vc_kmod(struct vc_ctx *ctx, struct kmod_ctx **ret);
/* variant.c: for each device a "driver auto" rule selects, its target driver. */
void vc_resolve_variants(struct vc_ctx *ctx, struct vc_devlist *devs);
/* The device's MODALIAS as the kernel writes it (drivers/pci/pci-driver.c), from
 * its IDs, prefix in front ("vfio_" for variant drivers' aliases). */
void vc_dev_modalias(const struct vc_dev *d, const char *prefix, char *buf, size_t size);
/* "VVVV DDDD SVVV SDDD CCCCCC MMMMMM" as new_id and remove_id take it. */
void vc_format_new_id(const struct vc_rule *rule, char *buf, size_t size);
/* Writes "value\n" to the attribute SYSFS/REL. */
int vc_sysfs_write(struct vc_ctx *ctx, const char *value, enum vc_attr_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define VC_DEV_FMT     "%s [%04x:%04x]"
#define VC_DEV_ARGS(d) (d)->addr, (d)->vendor, (d)->device

/* ---- members of multi-device filesystems (lib/members.c) ---- */

/* What blkid told udev about one block device (RUN/udev/data/bMAJ:MIN). */
struct vc_udev_entry {
        dev_t devnum;
        char type[32];   /* ID_FS_TYPE: "zfs_member", "btrfs", "bcachefs", ... */
        char label[256]; /* ID_FS_LABEL: a ZFS member's pool */
        char uuid[128];  /* ID_FS_UUID: one per btrfs or bcachefs, on each of its devices */
};

struct vc_udev_db {
        struct vc_udev_entry *entries;
        size_t n;
};

/* The ID_FS_* lines of one database file; a value too long is left empty. */
void vc_udev_props_parse(const char *text, struct vc_udev_entry *e);
/* Every block device with an ID_FS_TYPE under RUN/udev/data. */
int vc_udev_db_load(const char *run, struct vc_udev_db *ret);
void vc_udev_db_clear(struct vc_udev_db *db);
const struct vc_udev_entry *vc_udev_db_find(const struct vc_udev_db *db, dev_t devnum);

/* `zpool list -vPH`: each leaf vdev (data, special, log, cache, spare) with its pool. */
typedef void (*vc_zpool_member_fn)(void *userdata, const char *pool, const char *path);
void vc_zpool_parse(const char *text, vc_zpool_member_fn fn, void *userdata);

/* A block device node or a name under /dev to its number, by the kernel's name in SYSFS/dev/block. */
int vc_block_resolve(struct vc_ctx *ctx, const char *path, dev_t *ret);
/* SYSFS/dev/block/MAJ:MIN, when it exists. */
int vc_block_dir(struct vc_ctx *ctx, dev_t devnum, char *buf, size_t size);
/* The devices of the btrfs that devnum belongs to (SYSFS/fs/btrfs/UUID/devices/): calls fn
 * with each one's link; returns how many. */
typedef void (*vc_member_dir_fn)(void *userdata, const char *dir);
int vc_btrfs_members(struct vc_ctx *ctx, dev_t devnum, vc_member_dir_fn fn, void *userdata);

/* The first firmware framebuffer of /proc/iomem's text that overlaps [start, end]: 1 and its name. */
int vc_iomem_find_fb(const char *iomem, uint64_t start, uint64_t end, char *buf, size_t size);
/* "vfs N" (lib/sriov.c): the count, and what a rule with it lacks (NULL: fine). */
int vc_vfs_parse(const char *s, unsigned *ret, const char **reason);
const char *vc_vfs_rule_error(const struct vc_rule *r);
