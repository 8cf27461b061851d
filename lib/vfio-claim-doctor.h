/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The diagnostics of vfio-claim doctor, apart from the claiming engine's
 * interface (vfio-claim.h): the finding catalogue, the reader of pasted
 * kernel, QEMU and libvirt text, and the machine-state reads only doctor
 * makes. Its users are cmd/doctor.c and the doctor tests and fuzzer.
 */
#pragma once

#include "vfio-claim.h"

/* ---- vfio-claim doctor: the causes of a failed passthrough (lib/doctor.c) ---- */

enum vc_severity {
        VC_SEV_INFO,
        VC_SEV_WARNING,
        VC_SEV_ERROR,
};

const char *vc_severity_to_string(enum vc_severity s);

/*
 * One row of the catalogue (lib/doctor-catalogue.c): a cause, and either the
 * pattern of a line that shows it (what the kernel, QEMU or libvirt prints)
 * or the name of the machine-state check that finds it. Several rows may
 * share an id. A pattern is literal text, found anywhere in the message
 * part of a line, with "%d" for a decimal number (a '-' allowed), "%x" for
 * hex digits, "%*" for any text and "%%" for a '%'.
 */
struct vc_cause {
        const char *id; /* the finding id: "iommu-off", "node-permission", ... */
        enum vc_severity severity;
        const char *pattern; /* NULL: a machine-state check */
        const char *check;   /* the check's name, NULL: a log pattern */
        const char *cause;   /* one sentence */
        const char *fix;     /* a concrete action */
        unsigned device_nth; /* the line's device is its Nth PCI address (0 and 1: the first) */
};

extern const struct vc_cause vc_causes[];
extern const size_t vc_n_causes;

/* The state check's row; NULL when the catalogue has none (a bug). */
const struct vc_cause *vc_cause_for_check(const char *check);
/* Whether pattern (the catalogue's language) matches somewhere in s[0..len). */
bool vc_pattern_match(const char *pattern, const char *s, size_t len);

/* A line of pasted text reduced to what the program printed. */
struct vc_log_line {
        const char *msg; /* into the line given: dmesg's "[ 1.234]", journalctl's
                          * "MMM DD HH:MM:SS HOST TAG:", a /dev/kmsg record's
                          * "PRI,SEQ,TS,FLAGS;", libvirt's "error: internal error:
                          * qemu unexpectedly closed the monitor: TIMESTAMP", QEMU's
                          * "qemu-system-x86_64:" and "-device ...:" taken off */
        size_t len;
        char device[VC_ADDR_MAX]; /* the -device option's host=, "DDDD:BB:DD.F"; "" when none */
};

void vc_log_strip(const char *line, size_t len, struct vc_log_line *ret);
/* "01:00.0" or "0000:01:00.0" (any case) at exactly s[0..len) as "0000:01:00.0". */
bool vc_addr_normalize(const char *s, size_t len, char buf[VC_ADDR_MAX]);
/* The first PCI address in s[0..len) standing on its own, normalised; false: none. */
bool vc_log_find_addr(const char *s, size_t len, char buf[VC_ADDR_MAX]);
/* The same for the nth (1-based; 0 counts as 1). */
bool vc_log_find_nth_addr(const char *s, size_t len, unsigned nth, char buf[VC_ADDR_MAX]);

/* A cause the text shows, once per id and device, with its first line. */
struct vc_log_hit {
        const struct vc_cause *cause;
        char device[VC_ADDR_MAX]; /* "" when the line names no device */
        char *evidence;           /* the line without its prefix */
        unsigned count;           /* lines that showed it */
};

struct vc_log_hits {
        struct vc_log_hit *v;
        size_t n;
        size_t lines; /* lines read */
};

/* Every line of text[0..size) that a pattern of the catalogue matches is
 * added to hits (which may hold hits of earlier texts): the same id for the
 * same device only counts. Lines longer than VC_LINE_MAX are cut there. */
int vc_log_scan(const char *text, size_t size, struct vc_log_hits *hits);
void vc_log_hits_clear(struct vc_log_hits *h);
/* vfio-claim's boot log: each error and warning line it wrote (claim-failed), once per device. */
int vc_boot_log_scan(const char *text, size_t size, struct vc_log_hits *hits);

/* The IOMMU as doctor sees it: groups, and what the firmware tells the kernel
 * (VC_SYSFS_ACPI_TABLES: DMAR, IVRS). */
#define VC_IOMMU_FW_DMAR (1u << 0) /* Intel VT-d */
#define VC_IOMMU_FW_IVRS (1u << 1) /* AMD-Vi */
struct vc_iommu_state {
        bool groups;       /* SYSFS/kernel/iommu_groups has some */
        unsigned firmware; /* VC_IOMMU_FW_* */
};
int vc_iommu_state(struct vc_ctx *ctx, struct vc_iommu_state *ret);

/* What doctor's state checks need of one device, read now. */
struct vc_dev_state {
        char driver[VC_DRIVER_MAX];         /* "" when none */
        char override[VC_DRIVER_MAX];       /* "" when unset */
        int group;                          /* -1: none */
        const struct vc_dev *blocker;       /* with a group: the first endpoint that keeps it from being viable */
        bool reset_method_present;          /* reset_method (5.15+; hidden when the device offers no reset) */
        char reset_methods[128];            /* its words, "flr pm bus" */
        const struct vc_dev *bus_neighbour; /* a device on the same bus in another group, NULL: none */
        int d3cold_allowed;                 /* 0, 1; -1: not readable */
        char framebuffer[64];               /* a firmware framebuffer in one of its BARs, "": none */
        int framebuffer_bar;
};
/* dev's state (its driver and group re-read; the framebuffer from PROC/iomem). */
int vc_dev_state(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_state *ret);
