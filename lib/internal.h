/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the library's files share and cmd/ never sees (as libkmod-internal.h
 * against libkmod.h): the context's fields, the log call, the sysfs layer
 * (lib/sysfs.c, the only file that builds a path under a root), and the
 * calls only the library and its tests use. Every function here follows
 * the rules of vfio-claim.h: negative errno, out-parameters untouched on
 * failure, nothing printed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vfio-claim.h"

struct vc_ctx {
        /* The roots, each without its trailing '/' (lib/sysfs.c builds every path under them). */
        char *sysfs;
        char *proc;
        char *run; /* NULL: no udev database to read */
        char *dev;
        char *etc;
        char *owners_file; /* NULL: none (lib/owner.c) */
        bool live;         /* sysfs is a real sysfs (set once, in vc_ctx_new()): modules may be loaded */
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

/* snprintf into a fixed buffer; -ENAMETOOLONG instead of silent truncation.
 * For messages and non-sysfs names: sysfs paths come from lib/sysfs.c. */
int vc_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- lib/sysfs.c: the one place that builds paths under the roots ---- */

#include <dirent.h>

/* True when root is a real sysfs (its filesystem, not its name). */
bool vc_sysfs_root_is_live(const char *root);

/* SYSFS/bus/pci/devices/ADDR/ATTR; attr NULL: the device's own entry. */
int vc_sysfs_dev_path(const struct vc_ctx *ctx, const char *addr, const char *attr, char *buf, size_t size);
/* SYSFS/bus/pci/drivers/DRIVER/ATTR; attr NULL: the driver's directory. */
int vc_sysfs_driver_path(const struct vc_ctx *ctx, const char *driver, const char *attr, char *buf, size_t size);
/* SYSFS/kernel/iommu_groups/N/ATTR; attr NULL: the group's directory. */
int vc_sysfs_group_path(const struct vc_ctx *ctx, int group, const char *attr, char *buf, size_t size);
/* SYSFS/dev/block/MAJ:MIN/ATTR; attr NULL: the link itself. */
int vc_sysfs_block_path(const struct vc_ctx *ctx, dev_t devnum, const char *attr, char *buf, size_t size);
/* DIR/NAME, for an entry of a directory one of the above gave. */
int vc_sysfs_join(char *buf, size_t size, const char *dir, const char *name);
/* Every function above: -ENAMETOOLONG when the path does not fit (snprintf checked). */

/*
 * The one read rule: the attribute whole, in one read() of at most a page;
 * 0 and the bytes NUL-terminated in buf (their count in *ret_len) when they
 * fit in size - 1, -EFBIG (buf untouched) when they do not, or when the
 * attribute is larger than a page. _value: its first line only, the same rule
 * applied to it.
 */
int vc_sysfs_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len);
int vc_sysfs_read(const char *path, char *buf, size_t size, size_t *ret_len);
int vc_sysfs_read_value_at(int dirfd, const char *path, char *buf, size_t size);
int vc_sysfs_read_value(const char *path, char *buf, size_t size);
/* SYSFS/bus/pci/devices/ADDR/ATTR's value. */
int vc_sysfs_dev_read(const struct vc_ctx *ctx, const char *addr, const char *attr, char *buf, size_t size);
/* The last component of a link's target; never "" "." or "..". */
int vc_sysfs_readlink_name(const char *path, char *buf, size_t size);
/* ... of the device's link LINK (driver, iommu_group, physfn, virtfnN). */
int vc_sysfs_dev_link(const struct vc_ctx *ctx, const char *addr, const char *link, char *buf, size_t size);
/* The whole target of SYSFS/bus/pci/devices/ADDR (../../../devices/pci0000:00/...). */
int vc_sysfs_dev_link_target(const struct vc_ctx *ctx, const char *addr, char *buf, size_t size);
/* path exists (dir: and is a directory). */
bool vc_sysfs_exists(const char *path, bool dir);

/* A command attribute (bind, unbind, new_id, remove_id, drivers_probe) is
 * opened O_APPEND, any other O_TRUNC; never O_CREAT. */
bool vc_sysfs_attr_is_command(const char *attr);
/* Writes "value\n" to path, whose last component is attr, in one write(). */
int vc_sysfs_write_path(const char *path, const char *attr, const char *value);
int vc_sysfs_dev_write(const struct vc_ctx *ctx, const char *addr, const char *attr, const char *value);
int vc_sysfs_driver_write(const struct vc_ctx *ctx, const char *driver, const char *attr, const char *value);
/* SYSFS/bus/pci/drivers_probe: ADDR. */
int vc_sysfs_probe(const struct vc_ctx *ctx, const char *addr);

/* opendir() as a negative errno; then each name not starting with '.', NULL at the end. */
int vc_sysfs_opendir(const char *path, DIR **ret);
const char *vc_sysfs_next(DIR *d);

/* 0..15 for a hex digit, -1 for anything else. */
static inline int vc_hexval(char c)
{
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
}
bool vc_parse_hex_u32(const char *s, size_t len, uint32_t max, uint32_t *ret);
/* 1..maxdigits hex digits, value at most max (selector.c). */
bool vc_hex_exact(const char *s, size_t len, size_t maxdigits, uint32_t max, uint32_t *ret);
int vc_strv_push(char ***v, size_t *n, char *s);
void vc_strv_free(char **v, size_t n);

/* The addresses in IOMMU group N, sorted. */
int vc_group_members(struct vc_ctx *ctx, int group, char ***ret, size_t *ret_n);
/* Reads the uevent of a device vc_pci_enumerate() left unread; -EIO when that failed before. */
int vc_dev_read_uevent(struct vc_ctx *ctx, struct vc_dev *dev);
/* No driver, vfio-pci or a variant, pci-stub: a device that keeps its IOMMU group viable. */
bool vc_driver_keeps_group_viable(const char *driver);
/* selector.c: the serial, slot and path selectors on what dev holds; identity.c: after reading it. */
bool vc_identity_match(const struct vc_rule *r, const struct vc_dev *dev);
/* selector.c: the address, id and subsystem selectors only; the slot name and the path only. */
bool vc_rule_matches_lspci(const struct vc_rule *r, const struct vc_dev *dev);
bool vc_identity_slot_ok(const struct vc_rule *r, const struct vc_dev *d);
bool vc_identity_path_ok(const struct vc_rule *r, const struct vc_dev *d);
bool vc_identity_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev);
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
int vc_udev_db_load(struct vc_ctx *ctx, struct vc_udev_db *ret);
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
/* lib/power.c: "reset-method M[,M...]" into what reset_method takes ("flr pm"); "on"/"off". */
int vc_power_parse_reset(const char *s, char ret[VC_RESET_VALUE_MAX], const char **reason);
int vc_power_parse_switch(const char *s, enum vc_switch *ret, const char **reason);
/* The kernel's reset method names (drivers/pci/pci.c pci_reset_fn_methods[]). */
bool vc_power_is_reset_method(const char *s, size_t len);
int vc_vfs_parse(const char *s, unsigned *ret, const char **reason);
const char *vc_vfs_rule_error(const struct vc_rule *r);

/* owner.c: after the binds of vc_apply(), the owner and mode of each claimed
 * device's VFIO nodes (sel: the devices it worked on). */
void vc_apply_nodes(struct vc_ctx *ctx, struct vc_devlist *devs, const bool *sel);

/* ---- moved from vfio-claim.h: used by the library only ---- */

/* "DDDD:BB:DD.F" exactly as sysfs names a device (selector.c). */
bool vc_addr_parse(const char *s, uint32_t *domain, uint8_t *bus, uint8_t *slot, uint8_t *func);

int vc_dev_read_driver(struct vc_ctx *ctx, struct vc_dev *dev);

bool vc_dev_is_chipset_bridge(const struct vc_dev *dev);

bool vc_dev_exists(struct vc_ctx *ctx, const struct vc_dev *dev);

int vc_iommu_enabled(struct vc_ctx *ctx);

/* vc_rule_matches(), reading the identity a rule needs, and only for a device that its
 * other selectors already match (the serial last: it costs a config read). */
bool vc_rule_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev);

bool vc_rule_has_identity(const struct vc_rule *r);

/* Why a group is not viable: the first endpoint that keeps a host driver.
 * predict: count each selected member as on its target driver already. */
int vc_group_check(struct vc_ctx *ctx, const struct vc_devlist *devs, const struct vc_dev *dev, bool predict,
                   const struct vc_dev **ret_blocker);

int vc_module_load(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret);

/* An address rule with an id guard from the device there now (vendor, device >= 0: what the source says it is). */
void vc_import_address(const struct vc_devlist *devs, const struct vc_import_source *src, const char *word,
                       const char *addr, int vendor, int device, const char *driver, vc_import_fn fn, void *userdata);

/* ---- moved from vfio-claim.h: used by the library and its tests only ---- */

int vc_cmdline_parse(struct vc_ctx *ctx, struct vc_config *cfg, const char *cmdline, const char *origin);

/* Reads the config-space dword at offset; -ENODATA past the end. */
typedef int (*vc_config_read_fn)(void *userdata, unsigned offset, uint32_t *ret);

/* Walks the PCIe extended capability chain from 0x100 for the Device Serial
 * Number (ID 0x0003). -ENODATA: none (or the chain ends, loops or is cut off). */
int vc_config_find_dsn(vc_config_read_fn read, void *userdata, uint64_t *ret);

int vc_config_load_file(struct vc_ctx *ctx, struct vc_config *cfg, const char *path);
/* scandir()'s filter and order for the drop-ins: *.conf but dot files, byte order.
 * vc_config_load() and vc_config_digest() share them. */
int vc_config_filter_conf(const struct dirent *de);
int vc_config_cmp_names(const struct dirent **a, const struct dirent **b);

/* Look modules up in DIR (a /lib/modules/REL made by depmod) instead. */
int vc_ctx_set_modules_dir(struct vc_ctx *ctx, const char *dir);

int vc_id_filter_parse(const char *s, struct vc_id_filter *ret, const char **reason);

bool vc_id_match(const struct vc_id_filter *f, const struct vc_dev *dev);

/* "[DDDD:]BB:DD.F/DD.F..." as lspci -P prints it; the last ".F" may be left out. */
int vc_path_parse(const char *s, struct vc_pci_path *ret, const char **reason);

void vc_rule_clear(struct vc_rule *r);

int vc_rule_parse(const char *text, struct vc_rule *ret, char **ret_error);

/* "52-54-00-ff-ff-12-34-56" as lspci -vv prints a Device Serial Number, any case. */
int vc_serial_parse(const char *s, uint64_t *ret, const char **reason);

/* A name in /sys/bus/pci/slots: printable, no '/', not "." or "..". */
int vc_slot_name_parse(const char *s, char ret[VC_SLOT_NAME_MAX], const char **reason);
/* A rule's "name": a CDI device name, letters and digits with '-', '_', '.'
 * inside, beginning and ending with a letter or digit, at most 63 characters. */
int vc_rule_name_parse(const char *s, char ret[VC_RULE_NAME_MAX], const char **reason);

int vc_subsys_filter_parse(const char *s, struct vc_subsys_filter *ret, const char **reason);

bool vc_subsys_match(const struct vc_subsys_filter *f, const struct vc_dev *dev);

/* The vfio-pci variant driver for dev: 1 and its module name in buf, 0: none
 * (vfio-pci's own wildcard alias never counts). */
int vc_variant_lookup(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size);
