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

#define VC_ADDR_MAX 32   /* "0000:00:1f.2"; domains may be wider than 4 digits */
#define VC_DRIVER_MAX 64 /* longer than any PCI driver name in the kernel */
#define VC_DEFAULT_DRIVER "vfio-pci"

/* Size caps for anything read from a file: sysfs attributes are one page. */
#define VC_ATTR_MAX 4096
#define VC_CONFIG_MAX (1024 * 1024)
#define VC_CMDLINE_MAX (64 * 1024)
#define VC_LINE_MAX 4096

/* ---- the context: where sysfs is, how to log, whether to write ---- */

struct vc_ctx;

typedef void (*vc_log_fn)(void *userdata, int priority, const char *fmt, va_list ap);

/* sysfs: the root of the tree to work on, NULL: "/sys". Only the real /sys
 * ever loads a module; any other tree is a capture or a test fixture. */
int vc_ctx_new(const char *sysfs, struct vc_ctx **ret);
struct vc_ctx *vc_ctx_free(struct vc_ctx *ctx);
/* priority is syslog's; fmt may use %m. Without a log function the library is silent. */
void vc_ctx_set_log_fn(struct vc_ctx *ctx, vc_log_fn fn, void *userdata);
/* Look modules up for kernel release REL (/lib/modules/REL) instead of the running one. */
int vc_ctx_set_kernel(struct vc_ctx *ctx, const char *release);
/* Dry run: vc_apply() logs every write it would do and writes nothing. */
void vc_ctx_set_dry_run(struct vc_ctx *ctx, bool dry_run);
bool vc_ctx_get_dry_run(const struct vc_ctx *ctx);

static inline void vc_ctx_freep(struct vc_ctx **ctx)
{
        if (*ctx)
                vc_ctx_free(*ctx);
}

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

/* On failure *reason names what is wrong, worded like lspci's messages. */
int vc_slot_filter_parse(const char *s, struct vc_slot_filter *ret, const char **reason);
int vc_id_filter_parse(const char *s, struct vc_id_filter *ret, const char **reason);
int vc_subsys_filter_parse(const char *s, struct vc_subsys_filter *ret, const char **reason);

/* ---- devices ---- */

struct vc_rule;
struct vc_config;

/* What vc_apply() did to a device. */
enum vc_outcome {
        VC_OUT_NONE,        /* not selected */
        VC_OUT_CLAIMED,     /* bound to the target driver by this run */
        VC_OUT_ALREADY,     /* was on the target driver already */
        VC_OUT_HELD,        /* override set, not bound (probe failed, driver missing) */
        VC_OUT_FAILED,      /* override could not be written: not held off */
        VC_OUT_GONE,        /* the device vanished */
        VC_OUT_DRY_RUN,     /* dry run: nothing written */
};

struct vc_dev {
        char addr[VC_ADDR_MAX];
        uint32_t domain;
        uint8_t bus, slot, func;
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class; /* 24 bits: class, subclass, prog-if */
        char driver[VC_DRIVER_MAX]; /* "" when no driver is bound */
        int group;      /* IOMMU group, -1 when none; valid when group_read */
        bool group_read;
        /* Only the address is known: vc_pci_enumerate() was told that no rule can
         * select the device, and the library reads its uevent when it needs to. */
        bool unread;
        bool unreadable; /* ... and reading it later failed: treated as absent */

        /* Filled by vc_resolve(). */
        const struct vc_rule *rule; /* the rule that selects it, NULL: untouched */
        const struct vc_dev *via;   /* set when pulled in by "group" expansion */
        enum vc_outcome outcome;    /* after vc_apply() */
        int outcome_errno;
};

struct vc_devlist {
        struct vc_dev *devs;
        size_t n;
        size_t n_ignored; /* devices left out because their uevent could not be used */
};

bool vc_addr_parse(const char *s, uint32_t *domain, uint8_t *bus, uint8_t *slot, uint8_t *func);
/*
 * Every PCI device under SYSFS/bus/pci/devices, sorted by address, each with
 * the IDs, class and driver of its uevent (a device whose uevent cannot be
 * read or parsed is left out, with a warning naming the file). With cfg, and
 * only when every rule of cfg has an address, a device whose address no
 * rule's can match is listed with just its address (unread): its uevent is
 * read only if the library needs it (an IOMMU group a rule takes whole).
 */
int vc_pci_enumerate(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *ret);
void vc_devlist_clear(struct vc_devlist *l);
struct vc_dev *vc_devlist_find(const struct vc_devlist *l, const char *addr);
int vc_dev_read_driver(struct vc_ctx *ctx, struct vc_dev *dev);
int vc_dev_read_group(struct vc_ctx *ctx, struct vc_dev *dev);
int vc_dev_read_override(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size);
/* 1: the firmware's boot VGA device (the host console), 0: not, or not VGA. */
int vc_dev_boot_vga(struct vc_ctx *ctx, const struct vc_dev *dev);
bool vc_dev_is_bridge(const struct vc_dev *dev);
bool vc_dev_is_chipset_bridge(const struct vc_dev *dev);
bool vc_dev_exists(struct vc_ctx *ctx, const struct vc_dev *dev);
int vc_iommu_enabled(struct vc_ctx *ctx);
bool vc_driver_loaded(struct vc_ctx *ctx, const char *driver);
/* vfio-pci and its variants (mlx5_vfio_pci, ...): they bind only with an IOMMU. */
bool vc_driver_needs_iommu(const char *driver);

bool vc_slot_match(const struct vc_slot_filter *f, const struct vc_dev *dev);
bool vc_id_match(const struct vc_id_filter *f, const struct vc_dev *dev);
bool vc_subsys_match(const struct vc_subsys_filter *f, const struct vc_dev *dev);

/* ---- rules and configuration ---- */

enum vc_rule_state {
        VC_RULE_OK,
        VC_RULE_NO_MATCH,
        VC_RULE_GUARD_MISMATCH,
        VC_RULE_LATER, /* id rule, no device matches now: new_id registers it for later ones */
};

struct vc_rule {
        char *origin; /* "FILE:LINE" or "kernel command line" */
        char *text;
        bool has_slot, has_id, has_subsys;
        struct vc_slot_filter slot;
        struct vc_id_filter id;
        struct vc_subsys_filter subsys;
        bool group;
        bool allow_busy; /* the admin knows the device carries a mounted filesystem */
        bool has_vfs;    /* "vfs N": the address is an SR-IOV PF; its N VFs are selected (lib/sriov.c) */
        unsigned vfs;
        char driver[VC_DRIVER_MAX];

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
        size_t n_errors;  /* malformed lines; each was logged with its origin */
        size_t n_read;    /* config files read */
        /* From the kernel command line. */
        bool off;
        bool dry_run;
        size_t n_cmdline_rules;
        /* "deadline" in a config file or vfio_claim.deadline=; 0: none. */
        bool deadline_set;
        int64_t deadline_ms;
};

#define VC_DEADLINE_DEFAULT_MS 10000
#define VC_DEADLINE_MAX_MS (3600 * 1000)

int vc_parse_duration_ms(const char *s, int64_t *ret);

void vc_config_clear(struct vc_config *cfg);
int vc_rule_parse(const char *text, struct vc_rule *ret, char **ret_error);
void vc_rule_clear(struct vc_rule *r);
int vc_config_add_line(struct vc_ctx *ctx, struct vc_config *cfg, const char *origin, const char *line);
int vc_config_load_file(struct vc_ctx *ctx, struct vc_config *cfg, const char *path);
int vc_config_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *main_file, const char *dropin_dir);
int vc_cmdline_parse(struct vc_ctx *ctx, struct vc_config *cfg, const char *cmdline, const char *origin);
int vc_cmdline_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *path);
bool vc_rule_matches(const struct vc_rule *r, const struct vc_dev *dev);

/* Reads a whole small file: regular files only, never blocks, at most max bytes. */
int vc_read_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* strerror() for vc_read_file(), which uses -EBADFD for "not a regular file". */
const char *vc_read_strerror(int err);

/* ---- the engine ---- */

const char *vc_outcome_to_string(enum vc_outcome o);

/* Which rule selects which device: fills dev->rule and dev->via, and each
 * rule's state and counts (which is why cfg is not const). */
int vc_resolve(struct vc_ctx *ctx, struct vc_config *cfg, struct vc_devlist *devs);

struct vc_apply_stats {
        unsigned selected, claimed, already, held, failed;
};

#define VC_APPLY_NEW_ID (1u << 0) /* register id rules with the driver's new_id */

/* Claims every selected device (after vc_resolve): driver_override on all of
 * them first, then the target modules, then unbind and bind. Fills
 * dev->outcome; the counts go to *ret. */
int vc_apply(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *devs, unsigned flags,
             struct vc_apply_stats *ret);

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

/* Why a group is not viable: the first endpoint that keeps a host driver.
 * predict: count each selected member as on its target driver already. */
int vc_group_check(struct vc_ctx *ctx, const struct vc_devlist *devs, const struct vc_dev *dev, bool predict,
                   const struct vc_dev **ret_blocker);

/* ---- what check warns about and status shows ---- */

enum vc_problem_kind {
        VC_PROBLEM_BOOT_VGA,      /* dev is the boot VGA device: the host console uses it */
        VC_PROBLEM_GROUP_CHIPSET, /* dev's group would keep blocker, a chipset bridge the host needs */
        VC_PROBLEM_GROUP_DRIVER,  /* dev's group would keep blocker on its host driver */
        VC_PROBLEM_NO_IOMMU,      /* a rule wants vfio-pci but the kernel made no IOMMU groups (dev NULL) */
};

struct vc_problem {
        enum vc_problem_kind kind;
        const struct vc_dev *dev;
        const struct vc_dev *blocker;
};

typedef void (*vc_problem_fn)(void *userdata, const struct vc_problem *p);

/* For each selected device (after vc_resolve), what would keep apply's result
 * from being usable, in device order, then the IOMMU. */
int vc_find_problems(struct vc_ctx *ctx, struct vc_devlist *devs, vc_problem_fn fn, void *userdata);

struct vc_dev_status {
        bool on_target;   /* bound to the driver its rule names */
        bool have_group;  /* in an IOMMU group */
        bool viable;      /* ... and every other endpoint there is free for a VM */
        const struct vc_dev *blocker; /* when not viable: the first that is not */
};

/* Where a selected device is now (reads its driver and group again). */
int vc_dev_status(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_status *ret);

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
        VC_MODULE_LOADED,     /* loaded now, already loaded, or built in */
        VC_MODULE_AVAILABLE,  /* exists for the kernel, not loaded (look-up only) */
        VC_MODULE_SKIPPED,    /* not a live system: nothing loaded */
        VC_MODULE_BLACKLISTED,
};

int vc_module_load(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret);
int vc_module_lookup(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret);

/* ---- filesystems and swap on PCI devices ---- */

/* For each device in devs that carries a mounted filesystem or active swap,
 * calls fn with a description such as "/ (mounted)" or "swap /dev/sda2". */
typedef void (*vc_busy_fn)(void *userdata, const struct vc_dev *dev, const char *what);
int vc_find_busy(struct vc_ctx *ctx, const char *proc, const struct vc_devlist *devs, vc_busy_fn fn,
                 void *userdata);
