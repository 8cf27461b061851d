/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvfio-claim: the interface cmd/ and the tests use.
 *
 * Errors: every function that can fail returns a negative errno and leaves
 * its out-parameters untouched on failure. Nothing here prints.
 *
 * Messages: the library speaks only through the log function the caller sets
 * with vc_ctx_set_log_fn(), and only about two things, which a return value
 * cannot carry:
 *   - input it skips while the rest still applies: a bad configuration line
 *     or kernel command-line word (named FILE:LINE, as libkmod's config
 *     does), a device whose sysfs entry it cannot use; and libkmod's own
 *     messages, passed on;
 *   - the engine's account, device by device, of what it decided and did
 *     (vc_resolve, vc_apply, vc_release: lib/engine.c, lib/release.c). At boot that account
 *     is the admin's only report, and each step must be logged before the
 *     next write, which may hang in a driver's probe: the caller's watchdog
 *     names the last step it received (cmd/watchdog.c).
 * Everything else (what check warns about, what status shows, whether release
 * has anything to give back) is returned as data for the caller to word.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#define VC_ADDR_MAX       32 /* "0000:00:1f.2"; domains may be wider than 4 digits */
#define VC_DRIVER_MAX     64 /* longer than any PCI driver name in the kernel */
#define VC_DEFAULT_DRIVER "vfio-pci"

/* Size caps for anything read from a file: sysfs attributes are one page. */
#define VC_ATTR_MAX    4096
#define VC_CONFIG_MAX  (1024 * 1024)
#define VC_CMDLINE_MAX (64 * 1024)
#define VC_LINE_MAX    4096

/* ---- the context: where sysfs is, how to log, whether to write ---- */

struct vc_ctx;

typedef void (*vc_log_fn)(void *userdata, int priority, const char *fmt, va_list ap);

/* sysfs: the root of the tree to work on, NULL: "/sys". Only a real sysfs
 * ever loads a module; any other tree is a capture or a test fixture. */
int vc_ctx_new(const char *sysfs, struct vc_ctx **ret);
struct vc_ctx *vc_ctx_free(struct vc_ctx *ctx);
/* priority is syslog's; fmt may use %m. Without a log function the library is silent. */
void vc_ctx_set_log_fn(struct vc_ctx *ctx, vc_log_fn fn, void *userdata);
/* Look modules up for kernel release REL (/lib/modules/REL) instead of the running one. */
int vc_ctx_set_kernel(struct vc_ctx *ctx, const char *release);
/* Dry run: vc_apply() logs every write it would do and writes nothing. */
void vc_ctx_set_dry_run(struct vc_ctx *ctx, bool dry_run);
/* Whether the sysfs root is a real sysfs, the running kernel's (decided once,
 * by vc_ctx_new(), from the root's filesystem, however its path is spelled):
 * only then are modules loaded, and the caller logs to the kernel log. */
bool vc_ctx_is_live(const struct vc_ctx *ctx);

/* The other roots, "/proc", "/run" and "/dev" unless set. */
enum vc_root {
        VC_ROOT_SYS,  /* fixed by vc_ctx_new() */
        VC_ROOT_PROC, /* self/mountinfo, swaps, iomem, cmdline */
        VC_ROOT_RUN,  /* udev/data/bMAJ:MIN names the members of ZFS, btrfs, bcachefs; NULL: none */
        VC_ROOT_DEV,  /* vfio/N, vfio/devices/vfioN */
        VC_ROOT_ETC,  /* passwd, group: the names of "owner" (lib/owner.c) */
};
int vc_ctx_set_root(struct vc_ctx *ctx, enum vc_root which, const char *path);
/* ROOT/REL (rel NULL: the root itself), for the caller's own reads and messages. */
int vc_root_path(const struct vc_ctx *ctx, enum vc_root which, const char *rel, char *buf, size_t size);
/* The owners file the build hook packed into an initramfs (lib/owner.c), looked
 * up before ETC/passwd and ETC/group; NULL: none. */
int vc_ctx_set_owners_file(struct vc_ctx *ctx, const char *path);

/* Directories of the sysfs root, for the caller's messages (lib/sysfs.c builds them). */
enum vc_sysfs_dir {
        VC_SYSFS_PCI_DEVICES,  /* bus/pci/devices */
        VC_SYSFS_PCI_SLOTS,    /* bus/pci/slots */
        VC_SYSFS_IOMMU_GROUPS, /* kernel/iommu_groups */
        VC_SYSFS_CLASS_VFIO,   /* class/vfio */
        VC_SYSFS_DEV_BLOCK,    /* dev/block */
        VC_SYSFS_FS_BTRFS,     /* fs/btrfs */
        VC_SYSFS_ACPI_TABLES,  /* firmware/acpi/tables: DMAR (VT-d), IVRS (AMD-Vi) */
};
int vc_sysfs_dir(const struct vc_ctx *ctx, enum vc_sysfs_dir which, char *buf, size_t size);

/* ---- selectors: the syntax of lspci -s, lspci -d ---- */

/* -1 in any field means "any", as in pciutils' struct pci_filter. */
struct vc_slot_filter {
        int64_t domain, bus, slot, func;
};

struct vc_id_filter {
        int64_t vendor, device;
        int64_t class;       /* class << 8 | subclass, -1: any */
        uint32_t class_mask; /* "x" nibbles of the class field clear bits here */
        int64_t prog_if;
};

struct vc_subsys_filter {
        int64_t vendor, device;
};

/* A device's place in the bridge hierarchy without bus numbers below the root
 * bus, as lspci -P prints it: "00:1c.4/00.0" is 00:1c.4 on the root bus, then
 * device 00.0 behind it. As a filter, domain -1 is any and the last hop's func
 * -1 any function. */
#define VC_PATH_DEPTH 16
struct vc_pci_path {
        int64_t domain;
        uint8_t bus; /* of the root bus */
        uint8_t n;   /* hops, 1..VC_PATH_DEPTH: the root-bus device is hop 0 */
        uint8_t slot[VC_PATH_DEPTH];
        int8_t func[VC_PATH_DEPTH];
};

#define VC_SLOT_NAME_MAX  64
#define VC_RULE_NAME_MAX  64 /* "name NAME": at most 63 characters, as a CDI device name */
#define VC_SERIAL_STR_MAX 24 /* "52-54-00-ff-ff-12-34-56" */
#define VC_PATH_STR_MAX   (14 + 6 * VC_PATH_DEPTH)
#define VC_OWNER_NAME_MAX 33 /* a user or group name: 32 characters, as useradd allows */

/* On failure *reason names what is wrong, worded like lspci's messages. */
int vc_slot_filter_parse(const char *s, struct vc_slot_filter *ret, const char **reason);
void vc_serial_format(uint64_t serial, char buf[VC_SERIAL_STR_MAX]);
int vc_path_format(const struct vc_pci_path *p, char *buf, size_t size);

/* ---- devices ---- */

struct vc_rule;
struct vc_config;

/* What vc_apply() did to a device. */
enum vc_outcome {
        VC_OUT_NONE,    /* not selected */
        VC_OUT_CLAIMED, /* bound to the target driver by this run */
        VC_OUT_ALREADY, /* was on the target driver already */
        VC_OUT_HELD,    /* override set, not bound (probe failed, driver missing) */
        VC_OUT_FAILED,  /* override could not be written: not held off */
        VC_OUT_GONE,    /* the device vanished */
        VC_OUT_DRY_RUN, /* dry run: nothing written */
};

struct vc_dev {
        char addr[VC_ADDR_MAX];
        uint32_t domain;
        uint8_t bus, slot, func;
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class;             /* 24 bits: class, subclass, prog-if */
        char driver[VC_DRIVER_MAX]; /* "" when no driver is bound */
        int group;                  /* IOMMU group, -1 when none; valid when group_read */
        bool group_read;
        /* Only the address is known: vc_pci_enumerate() was told that no rule can
         * select the device, and the library reads its uevent when it needs to. */
        bool unread;
        bool unreadable; /* ... and reading it later failed: treated as absent */

        /* Stable identity, read on demand by vc_dev_read_serial_slot_path(). */
        unsigned ident_read; /* VC_IDENT_* bits tried (whatever the outcome) */
        bool has_serial, has_path;
        uint64_t serial;
        char slot_name[VC_SLOT_NAME_MAX]; /* "" when in no named slot */
        struct vc_pci_path path;

        /* Filled by vc_resolve(). */
        const struct vc_rule *rule; /* the rule that selects it, NULL: untouched */
        const struct vc_dev *via;   /* set when pulled in by "group" expansion */
        char target[VC_DRIVER_MAX]; /* "driver auto": the variant driver picked, "": rule->driver */
        enum vc_outcome outcome;    /* after vc_apply() */
        int outcome_errno;
};

struct vc_devlist {
        struct vc_dev *devs;
        size_t n;
        size_t n_ignored; /* devices left out because their uevent could not be used */
};

/*
 * Every PCI device under SYSFS/bus/pci/devices, sorted by address, each with
 * the IDs, class and driver of its uevent (a device whose uevent cannot be
 * read or parsed is left out, with a warning naming the file). With cfg, and
 * only when every rule of cfg has an address, a device whose address no
 * rule's can match is listed with just its address (unread): its uevent is
 * read only if the library needs it (an IOMMU group a rule takes whole).
 */
int vc_pci_enumerate(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *ret);
/*
 * What vc_resolve() needs to decide about the one device at addr, as the
 * udev event for it asks (apply --device): that device (its uevent), and only
 * where cfg's rules can make them matter, the members of its IOMMU group
 * ('group'; with the VFs of each when it has several) and the PF of each VF
 * among them ("vfs N"). vc_resolve() over this list selects addr as over
 * every device (lib/event.c says why). -ENODEV: no usable device at addr.
 */
int vc_pci_enumerate_for(struct vc_ctx *ctx, const struct vc_config *cfg, const char *addr, struct vc_devlist *ret);
void vc_devlist_clear(struct vc_devlist *l);
struct vc_dev *vc_devlist_find(const struct vc_devlist *l, const char *addr);
int vc_dev_read_group(struct vc_ctx *ctx, struct vc_dev *dev);
/* The whole value (read exactly: -EFBIG when it does not fit in size; give it
 * VC_ATTR_MAX); messages show at most VC_OVERRIDE_SHOWN bytes of it. */
int vc_dev_read_override(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size);
#define VC_OVERRIDE_SHOWN (VC_DRIVER_MAX + 15)
/* 1: the firmware's boot VGA device (the host console), 0: not, or not VGA. */
int vc_dev_boot_vga(struct vc_ctx *ctx, const struct vc_dev *dev);
bool vc_dev_is_bridge(const struct vc_dev *dev);
/* s can be a driver's name: a path component under SYSFS/bus/pci/drivers. */
bool vc_is_driver_name(const char *s);
bool vc_driver_loaded(struct vc_ctx *ctx, const char *driver);
/* vfio-pci and its variants (mlx5_vfio_pci, ...): they bind only with an IOMMU. */
bool vc_driver_needs_iommu(const char *driver);

#define VC_IDENT_SERIAL (1u << 0) /* reads the config space */
#define VC_IDENT_SLOT   (1u << 1) /* SYSFS/bus/pci/slots, once per context */
#define VC_IDENT_PATH   (1u << 2) /* one readlink */
#define VC_IDENT_ALL    (VC_IDENT_SERIAL | VC_IDENT_SLOT | VC_IDENT_PATH)
/* Fills what of dev's identity is asked and not yet read. A device without a
 * serial, slot or readable path is not an error: the field stays empty. */
int vc_dev_read_serial_slot_path(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what);

bool vc_slot_match(const struct vc_slot_filter *f, const struct vc_dev *dev);

/* ---- rules and configuration ---- */

enum vc_rule_state {
        VC_RULE_OK,
        VC_RULE_NO_MATCH,
        VC_RULE_GUARD_MISMATCH,
        VC_RULE_LATER, /* id rule, no device matches now: new_id registers it for later ones */
};

/* "reset-method", "d3cold", "runtime-pm" (lib/power.c): written after the bind. */
enum vc_switch {
        VC_SWITCH_UNSET,
        VC_SWITCH_OFF,
        VC_SWITCH_ON,
};
#define VC_RESET_VALUE_MAX 96 /* every method once, space-separated: what reset_method takes */
struct vc_power_policy {
        char reset[VC_RESET_VALUE_MAX]; /* "flr pm", "default"; "": not given */
        enum vc_switch d3cold;          /* d3cold_allowed: OFF 0, ON 1 */
        enum vc_switch runtime_pm;      /* power/control: OFF "on", ON "auto" */
};

struct vc_rule {
        char *origin; /* "FILE:LINE" or "kernel command line" */
        char *text;
        bool has_slot, has_id, has_subsys;
        struct vc_slot_filter slot;
        struct vc_id_filter id;
        struct vc_subsys_filter subsys;
        /* Identity selectors: serial, slot (physical), path. */
        bool has_serial, has_physslot, has_path;
        uint64_t serial;
        char physslot[VC_SLOT_NAME_MAX];
        struct vc_pci_path path;
        bool group;
        bool allow_busy; /* the admin knows the device carries a mounted filesystem */
        bool has_vfs;    /* "vfs N": the address is an SR-IOV PF; its N VFs are selected (lib/sriov.c) */
        unsigned vfs;
        char driver[VC_DRIVER_MAX];
        bool driver_auto; /* "driver auto": per device a vfio-pci variant, else driver (vfio-pci) */
        bool has_name;    /* "name NAME": the rule's handle, a CDI device name (cmd/cdi.c) */
        char name[VC_RULE_NAME_MAX];
        /* "owner USER[:GROUP]", "mode MODE": the VFIO nodes' owner and mode (lib/owner.c). */
        bool has_owner, has_mode;
        char owner_user[VC_OWNER_NAME_MAX];  /* name or number; "": root (":GROUP") */
        char owner_group[VC_OWNER_NAME_MAX]; /* name or number; "": root */
        unsigned mode;                       /* with has_mode */
        struct vc_power_policy power;

        /* Filled by vc_resolve(). */
        enum vc_rule_state state;
        size_t n_selected;
        size_t n_shadowed;  /* devices it matches that an earlier rule selected for the same driver */
        size_t n_conflicts; /* ... for another driver */

        /* Filled by vc_sriov_create(): the PF whose sriov_drivers_autoprobe it
         * changed from 1 to 0, for vc_sriov_finish() to set back. */
        bool vfs_restore;
        char vfs_pf[VC_ADDR_MAX];
};

struct vc_config {
        struct vc_rule *rules;
        size_t n_rules;
        size_t n_errors; /* malformed lines; each was logged with its origin */
        size_t n_read;   /* config files read */
        /* From the kernel command line. */
        bool off;
        bool dry_run;
        size_t n_cmdline_rules;
        /* "deadline" in a config file or vfio_claim.deadline=; 0: none. */
        bool deadline_set;
        int64_t deadline_ms;
};

#define VC_DEADLINE_DEFAULT_MS 10000
#define VC_DEADLINE_MAX_MS     (3600 * 1000)

void vc_config_clear(struct vc_config *cfg);
int vc_config_add_line(struct vc_ctx *ctx, struct vc_config *cfg, const char *origin, const char *line);
int vc_config_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *main_file, const char *dropin_dir);
int vc_cmdline_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *path);
/* On what is known of dev: an identity selector fails on identity not read. */
bool vc_rule_matches(const struct vc_rule *r, const struct vc_dev *dev);

/* Reads a whole small file: regular files only, never blocks, at most max bytes. */
int vc_read_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* strerror() for vc_read_file(), which uses -EBADFD for "not a regular file". */
const char *vc_read_strerror(int err);

/* ---- the configuration's digest (digest.c) ---- */

/* SHA-256 (FIPS 180-4), for vc_config_digest() and its test. */
#define VC_SHA256_SIZE 32
struct vc_sha256 {
        uint32_t h[8];
        uint8_t buf[64];
        size_t fill;
        uint64_t bytes;
};
void vc_sha256_init(struct vc_sha256 *c);
void vc_sha256_update(struct vc_sha256 *c, const void *data, size_t size);
void vc_sha256_final(struct vc_sha256 *c, uint8_t ret[VC_SHA256_SIZE]);
void vc_sha256_hex(const uint8_t d[VC_SHA256_SIZE], char ret[VC_SHA256_SIZE * 2 + 1]);

/* "sha256:" and 64 hex digits, with the NUL. */
#define VC_CONFIG_DIGEST_MAX (7 + VC_SHA256_SIZE * 2 + 1)
/*
 * The digest of the configuration files under dir, in the order
 * vc_config_load() reads them: dir/main_name, then dir/dropin_name/ *.conf
 * in byte order. Each is hashed as its name relative to dir ("vfio-claim.conf",
 * "vfio-claim.d/50-x.conf"), a NUL, its length in decimal, a NUL and its
 * bytes, so that an edit, a rename, an added or a removed drop-in all change
 * it; a main file that is not there is its name, a NUL, "absent" and a NUL;
 * a drop-in directory that is not there adds nothing. Writes "sha256:HEX" to
 * ret; a file that cannot be read is its negative errno (vc_read_strerror()).
 */
int vc_config_digest(const char *dir, const char *main_name, const char *dropin_name, char ret[VC_CONFIG_DIGEST_MAX]);
/* s (len bytes, not NUL-terminated) is "sha256:" and 64 lowercase hex digits. */
bool vc_config_digest_valid(const char *s, size_t len);

/* ---- the engine ---- */

const char *vc_outcome_to_string(enum vc_outcome o);

/* Which rule selects which device: fills dev->rule and dev->via, and each
 * rule's state and counts (which is why cfg is not const). */
int vc_resolve(struct vc_ctx *ctx, struct vc_config *cfg, struct vc_devlist *devs);

struct vc_apply_stats {
        unsigned selected, claimed, already, held, failed;
};

#define VC_APPLY_NEW_ID (1u << 0) /* register id rules with the driver's new_id */

/* Claims the devices to work on (after vc_resolve): the selected ones among
 * work[0..n_work) (pointers into devs), or with work NULL every selected
 * device of devs. driver_override on all of them first, then the target
 * modules, then unbind and bind. Fills dev->outcome; the counts go to *ret.
 * Every device of devs stays as vc_resolve() left it for the group checks. */
int vc_apply(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *devs, struct vc_dev *const *work,
             size_t n_work, unsigned flags, struct vc_apply_stats *ret);

/*
 * Whether release has anything to give back on dev: 1 when a driver_override
 * is set, or the device is on vfio-pci (or a variant), pci-stub, or the
 * driver its rule names, or it has no driver and named (the argument it was
 * found by) names exactly it: a device unbound by hand gets the re-probe
 * that hands it to its host driver. 0: it is on its host driver; unbinding
 * it would only bounce that driver (or cut off what sits behind a bridge).
 */
int vc_release_wanted(struct vc_ctx *ctx, struct vc_dev *dev, const struct vc_slot_filter *named);
/* Clears the override, takes back the dynamic ids of cfg's id rules that
 * match dev, unbinds it and asks the kernel to probe it again. */
int vc_release(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_dev *dev);

/* ---- what check warns about and status shows ---- */

enum vc_problem_kind {
        VC_PROBLEM_BOOT_VGA,         /* dev is the boot VGA device: the host console uses it */
        VC_PROBLEM_GROUP_CHIPSET,    /* dev's group would keep blocker, a chipset bridge the host needs */
        VC_PROBLEM_GROUP_DRIVER,     /* dev's group would keep blocker on its host driver */
        VC_PROBLEM_GROUP_TAKES_HOST, /* dev's 'group' takes taken[]: host devices of another kind, or its PF */
        VC_PROBLEM_NO_GROUP,         /* dev has no IOMMU group while other devices have one */
        VC_PROBLEM_NO_IOMMU,         /* a rule wants vfio-pci but the kernel made no IOMMU groups (dev NULL) */
};

/* What kind of host device a PCI device is, for the warnings about 'group'. */
enum vc_host_kind {
        VC_HOST_OTHER,
        VC_HOST_STORAGE,
        VC_HOST_NETWORK,
        VC_HOST_DISPLAY,
        VC_HOST_USB,
        VC_HOST_PF, /* the physical function of a selected virtual function */
};

const char *vc_host_kind_to_string(enum vc_host_kind k);

struct vc_problem {
        enum vc_problem_kind kind;
        const struct vc_dev *dev;
        const struct vc_dev *blocker;
        enum vc_host_kind blocker_kind;    /* GROUP_DRIVER: VC_HOST_OTHER unless the host needs the blocker */
        const struct vc_dev *const *taken; /* GROUP_TAKES_HOST */
        const enum vc_host_kind *taken_kind;
        size_t n_taken;
};

typedef void (*vc_problem_fn)(void *userdata, const struct vc_problem *p);

/* For each selected device (after vc_resolve), what would keep apply's result
 * from being usable or would take the host's own devices, in device order,
 * each IOMMU group's viability once, then the IOMMU. */
int vc_find_problems(struct vc_ctx *ctx, struct vc_devlist *devs, vc_problem_fn fn, void *userdata);

/* A firmware framebuffer (BOOTFB, efifb, simplefb, simple-framebuffer, vesafb in
 * PROC/iomem) inside one of dev's BARs (its sysfs resource file): 1 and its name
 * in buf, its BAR in *ret_bar; 0: none (or iomem shows no addresses: not root). */
int vc_dev_boot_framebuffer(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size, int *ret_bar);
/* No other display-class device is left to the host. */
bool vc_dev_only_display(const struct vc_devlist *devs, const struct vc_dev *dev);

struct vc_dev_status {
        bool on_target;               /* bound to the driver its rule names */
        bool have_group;              /* in an IOMMU group */
        bool viable;                  /* ... and every other endpoint there is free for a VM */
        const struct vc_dev *blocker; /* when not viable: the first that is not */
};

/*
 * The VFIO nodes the kernel made for a device bound to a VFIO driver, as sysfs
 * shows them. A kernel with VFIO group support (every Debian kernel so far)
 * has SYSFS/class/vfio and a node per group, /dev/vfio/N; one with
 * CONFIG_VFIO_DEVICE_CDEV (iommufd) also gives each bound device its own
 * character device, /dev/vfio/devices/vfioN, whose MAJ:MIN is in
 * DEVICE/vfio-dev/vfioN/dev; one with CONFIG_VFIO_GROUP=n only the latter.
 * DEVICE/vfio-dev/vfioN itself exists for every VFIO device since 6.1,
 * cdev or not: only its dev file tells.
 */
struct vc_vfio_nodes {
        int group;     /* /dev/vfio/GROUP is the kernel's to make; -1: no group, or a cdev-only kernel */
        char cdev[32]; /* "vfio0": /dev/vfio/devices/vfio0; "": none */
};
int vc_dev_vfio_nodes(struct vc_ctx *ctx, struct vc_dev *dev, struct vc_vfio_nodes *ret);
/* Under the dev root: vfio/GROUP, or (cdev) vfio/devices/CDEV. */
int vc_vfio_node_path(const struct vc_ctx *ctx, const struct vc_vfio_nodes *n, bool cdev, char *buf, size_t size);

/* Where a selected device is now (reads its driver and group again). */
int vc_dev_status(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_status *ret);

/* ---- owner and mode of the VFIO nodes (lib/owner.c) ---- */

#define VC_ID_UNCHANGED UINT32_MAX
struct vc_perms {
        uint32_t uid, gid;
        unsigned mode; /* permission bits */
};
/* "USER", "USER:GROUP", ":GROUP": names or numbers, not looked up. */
int vc_owner_parse(const char *s, char user[VC_OWNER_NAME_MAX], char group[VC_OWNER_NAME_MAX], const char **reason);
/* Octal, at most 0777. */
int vc_mode_parse(const char *s, unsigned *ret, const char **reason);
bool vc_rule_has_perms(const struct vc_rule *r);
/* mode, or its default: 0600 with a user, 0660 with only ":GROUP". */
unsigned vc_rule_mode(const struct vc_rule *r);
/* A name (or number) to its id: the owners file, then ETC/passwd or ETC/group. -ENOENT: unknown. */
int vc_owner_lookup(struct vc_ctx *ctx, bool group, const char *name, uint32_t *ret);
/* What the rule's nodes should be (uid and gid 0 where it names none). -ESRCH: its
 * user is unknown, -ENXIO: its group. */
int vc_rule_perms(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_perms *ret);
bool vc_perms_equal(const struct vc_perms *a, const struct vc_perms *b);
/* The node's owner, group and mode now (never through a symlink: -ELOOP). */
int vc_node_stat(const char *path, struct vc_perms *ret);
int vc_node_set_perms(const char *path, const struct vc_perms *p);
/* The addresses in IOMMU group N, sorted (free each, then the array). */
int vc_group_members_of(struct vc_ctx *ctx, int group, char ***ret, size_t *ret_n);
/* ---- power and reset policy: reset-method, d3cold, runtime-pm (lib/power.c) ---- */

/* The rule asks for at least one of them. */
bool vc_power_wanted(const struct vc_power_policy *p);
/* What the device's files hold now; a file that is not there is "" (d3cold: -1). */
struct vc_power_state {
        bool has_reset; /* reset_method exists (5.15+, and the device offers a reset) */
        char reset[VC_ATTR_MAX];
        int d3cold;                       /* d3cold_allowed: 0, 1; -1: not readable */
        char control[16];                 /* power/control: "on", "auto"; "": not readable */
        bool recorded;                    /* RUN/vfio-claim/power/ADDR holds values to restore */
        char recorded_reset[VC_ATTR_MAX]; /* its reset_method, "" when it has none */
};
int vc_power_read(struct vc_ctx *ctx, const struct vc_dev *dev, struct vc_power_state *ret);
/* The value p wants in each file ("" for none asked), as vc_power_apply() writes it. */
const char *vc_power_d3cold_value(const struct vc_power_policy *p);
const char *vc_power_control_value(const struct vc_power_policy *p);
/* st is what p asks for ("default" is taken as met: the kernel's choice is not shown). */
bool vc_power_matches(const struct vc_power_policy *p, const struct vc_power_state *st);
/*
 * Whether the device can take p's reset-method: 0 fine; -ENOENT no
 * reset_method file (a kernel before 5.15, or a device without any reset);
 * -EOPNOTSUPP a method it does not offer, named in method. What it offers is
 * the file's list, or the record's when vfio-claim narrowed the file already.
 */
int vc_power_check_reset(struct vc_ctx *ctx, const struct vc_dev *dev, const struct vc_power_policy *p, char *method,
                         size_t size);
/* Before the override (loading vfio-pci binds an overridden device at once):
 * the values of the files dev's rule will write, into
 * RUN/vfio-claim/power/ADDR, each only when the record does not have it yet
 * (the value found before vfio-claim's first write). */
int vc_power_record(struct vc_ctx *ctx, const struct vc_dev *dev);
/* After the bind, on a device now on its target driver: the rule's values. Logs
 * each write; a failure is a warning naming the device and the file. */
void vc_power_apply(struct vc_ctx *ctx, struct vc_dev *dev);
/* release: the recorded values back (each failed write a warning), then the
 * record removed. 1: restored, 0: nothing recorded; negative: the record unusable. */
int vc_power_restore(struct vc_ctx *ctx, const struct vc_dev *dev);

/* ---- SR-IOV: "vfs N" (lib/sriov.c) ---- */

#define VC_VFS_MAX 65535 /* the SR-IOV capability's TotalVFs is 16 bits */

struct vc_sriov {
        unsigned total, num; /* sriov_totalvfs, sriov_numvfs */
        int offset, stride;  /* sriov_offset, sriov_stride; -1: not readable */
        int autoprobe;       /* sriov_drivers_autoprobe; -1: not readable */
};

/* The PF's SR-IOV files; -ENOTSUP when it has none (not SR-IOV capable). */
int vc_sriov_read(struct vc_ctx *ctx, const struct vc_dev *pf, struct vc_sriov *ret);
/* Address of VF k (0-based) from the PF's routing ID, sriov_offset and
 * sriov_stride, as the kernel computes it (pci_iov_virtfn_bus/devfn). */
int vc_sriov_vf_addr(const struct vc_dev *pf, const struct vc_sriov *s, unsigned k, char *buf, size_t size);
/* The addresses of the PF's VFs now (its virtfnK links, in K order). */
int vc_sriov_vfs(struct vc_ctx *ctx, const char *pf_addr, char ***ret, size_t *ret_n);
/* For each rule with "vfs N" whose PF is there: its host driver loaded by
 * modalias and bound, sriov_drivers_autoprobe 0, sriov_numvfs N (0 first
 * when another count is set). Before vc_resolve(): the VFs it creates are
 * then devices like any other, selected by their rule. Logs each step. */
int vc_sriov_create(struct vc_ctx *ctx, struct vc_config *cfg);
/* After vc_apply(): sriov_drivers_autoprobe back to what vc_sriov_create() found. */
void vc_sriov_finish(struct vc_ctx *ctx, struct vc_config *cfg);
/* A VF's PF (its physfn link); -ENOENT: not a VF. */
int vc_dev_physfn(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size);
/* Frees what vc_sriov_vfs() returned. */
void vc_sriov_vfs_free(char **v, size_t n);

/* ---- modules ---- */

enum vc_module_state {
        VC_MODULE_LOADED,    /* loaded now, already loaded, or built in */
        VC_MODULE_AVAILABLE, /* exists for the kernel, not loaded (look-up only) */
        VC_MODULE_SKIPPED,   /* not a live system: nothing loaded */
        VC_MODULE_BLACKLISTED,
};

int vc_module_lookup(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret);

/* The driver a selected device goes to: its "driver auto" pick or its rule's driver. */
const char *vc_dev_target(const struct vc_dev *dev);
/* The host driver module for dev's modalias (what udev would load; built-in
 * ones too, through modules.builtin): 1 and its name in buf, 0: none. */
int vc_host_module_lookup(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size);

/* ---- users of a device before it changes hands (lib/users.c) ---- */

enum vc_user_kind {
        VC_USER_NETDEV, /* a network interface that is up or enslaved */
        VC_USER_OPEN,   /* a process holding one of the device's nodes open */
};

struct vc_user {
        enum vc_user_kind kind;
        char name[80]; /* "eth0", or the node: "/dev/nvme0n1", "/dev/vfio/4" */
        /* VC_USER_NETDEV */
        bool up;          /* IFF_UP in its flags */
        char master[64];  /* its master link (bridge, bond, team), "": none */
        char address[64]; /* its hardware address, "": none */
        /* VC_USER_OPEN */
        int pid;
        char comm[64];
        char vm[128]; /* QEMU's -name (libvirt: the domain), "": none */
};

typedef void (*vc_user_fn)(void *userdata, const struct vc_dev *dev, const struct vc_user *u);

#define VC_USERS_NET   0x1u /* DEVICE/net/<if>: IFF_UP or a master */
#define VC_USERS_NODES 0x2u /* processes with a node under DEVICE open (block, nvme, drm, sound, fb, ...) */
#define VC_USERS_VFIO  0x4u /* processes with its VFIO group node or cdev open */

/* Calls fn for each user of dev that what asks for; returns how many, or a
 * negative errno. Processes are PROC/PID/fd/N, matched by MAJ:MIN under the
 * dev root (by name where that is no device node). */
int vc_find_users(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what, vc_user_fn fn, void *userdata);
/* dev->driver read again from sysfs. */
int vc_dev_reread_driver(struct vc_ctx *ctx, struct vc_dev *dev);
/* dev is bound, to vfio-pci, a variant driver or pci-stub (what release takes it from). */
bool vc_dev_on_vfio_driver(const struct vc_dev *dev);
/* "10s", "10", "500ms" (the boot's deadline syntax, config.c); -EINVAL, -ERANGE. */
int vc_parse_duration_ms(const char *s, int64_t *ret);

/* ---- filesystems and swap on PCI devices ---- */

/* For each device in devs that carries a mounted filesystem or active swap,
 * calls fn with a description such as "/ (mounted)" or "swap /dev/sda2". */
typedef void (*vc_busy_fn)(void *userdata, const struct vc_dev *dev, const char *what);
/* A mounted filesystem whose devices cannot (all) be determined: never "not busy" in silence. */
typedef void (*vc_busy_unknown_fn)(void *userdata, const char *mountpoint, const char *fstype, const char *source);

/* The output of `zpool list -vPH`, NULL: not available. Called (with
 * zpool_data) at most once,
 * and only when mountinfo shows a ZFS dataset; the caller frees what it gave
 * after vc_find_busy() returns. */
typedef const char *(*vc_zpool_fn)(void *userdata);

/* The procfs and run roots are the context's (vc_ctx_set_root()). */
struct vc_busy_query {
        vc_zpool_fn zpool; /* may be NULL */
        void *zpool_data;  /* zpool's argument */
        vc_busy_fn busy;
        vc_busy_unknown_fn unknown; /* may be NULL */
        void *userdata;
};

/*
 * The mounts of PROC/self/mountinfo (read once), the root directory's own device when
 * mountinfo has no line for "/" (a chroot on a plain directory), the
 * members of ZFS pools with a mounted dataset and of btrfs and bcachefs over
 * several devices, and PROC/swaps.
 */
int vc_find_busy(struct vc_ctx *ctx, const struct vc_busy_query *q, const struct vc_devlist *devs);

/* ---- vfio-claim import: what other methods left on this machine ---- */

enum vc_import_kind {
        VC_IMPORT_CMDLINE,   /* vfio-pci.ids= / vfio_pci.ids= on the kernel command line */
        VC_IMPORT_MODPROBE,  /* options vfio-pci ids=, softdep ... pre: vfio-pci */
        VC_IMPORT_DRIVERCTL, /* /etc/driverctl.d/pci-ADDR */
        VC_IMPORT_UNRAID,    /* vfio-pci.cfg: BIND=ADDR|VVVV:DDDD ... */
        VC_IMPORT_OVERRIDE,  /* a driver_override set now */
};

struct vc_import_source {
        const char *origin; /* "FILE:LINE", "FILE", "driver_override of ADDR" */
        enum vc_import_kind kind;
};

/* One finding: the rule that says the same (NULL: none can, and reason says why). */
typedef void (*vc_import_fn)(void *userdata, const struct vc_import_source *src, const char *source_text,
                             const char *rule, const char *reason);

void vc_import_cmdline(const char *cmdline, const char *origin, vc_import_fn fn, void *userdata);
void vc_import_modprobe(const char *text, const char *file, vc_import_fn fn, void *userdata);
void vc_import_unraid(const char *text, const char *file, const struct vc_devlist *devs, vc_import_fn fn,
                      void *userdata);
int vc_import_driverctl(const char *dir, const struct vc_devlist *devs, vc_import_fn fn, void *userdata);
int vc_import_overrides(struct vc_ctx *ctx, const struct vc_devlist *devs, vc_import_fn fn, void *userdata);
