/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the verbs of vfio-claim share: the exit codes, the global options
 * main() parsed, the verbs (each with its options; the list is in
 * vfio-claim.c), the start-up every verb goes through (session.c) and
 * apply's watchdog (watchdog.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "options.h"
#include "vfio-claim.h"

/* SYSCONFDIR: meson's sysconfdir (/etc unless -Dsysconfdir moves it), as the hooks use it;
 * --sysconfdir DIR reads the configuration under DIR instead (arg.sysconfdir). */
#define CONFIG_FILE        SYSCONFDIR "/vfio-claim.conf"
#define CONFIG_DIR         SYSCONFDIR "/vfio-claim.d"
#define CONFIG_MAIN_NAME   "vfio-claim.conf"
#define CONFIG_DROPIN_NAME "vfio-claim.d"
/* In an initramfs: the digest of the configuration files the build hook
 * packed ("vfio-claim check --digest" run on the image's copy of them),
 * which apply logs at boot and status compares with today's files. Not
 * under /etc: it is no configuration, and the host never has it. */
#define DIGEST_FILE PKGLIBDIR "/config.digest"
/* In an initramfs: the ids of the names the rules' "owner" uses, as the
 * build root's passwd and group gave them ("vfio-claim owners", lib/owner.c). */
#define OWNERS_FILE PKGLIBDIR "/owners"
/* apply's boot log line "config digest sha256:HEX (...)", which status reads back. */
#define DIGEST_LOG_WORDS "config digest "
#define BOOT_LOG         "/run/vfio-claim/boot.log"
/* Debian's prometheus-node-exporter reads *.prom from this directory (its textfile collector). */
#define METRICS_FILE "/var/lib/prometheus/node-exporter/vfio-claim.prom"
/* The CDI spec, under --run (default /run, which /var/run points to): /var/run/cdi is where
 * podman, containerd and CRI-O look for generated specs. */
#define CDI_FILE "cdi/vfio-claim.json"

/*
 * The exit codes, every verb's (vfio-claim(8), EXIT STATUS): 0 fine;
 * EXIT_PROBLEMS check's errors, status's device off its target, claim's and
 * release's failure; EXIT_NO_CONFIG check's and status's "no configuration";
 * EXIT_BUSY check --fail-busy's refusal. The build hooks read these four and
 * fail the image build on any other. A usage error has a code of its own,
 * EX_USAGE of sysexits.h, so that a hook calling a binary of another
 * version with an option it lacks never reads it as one of check's results.
 */
#define EXIT_PROBLEMS  1
#define EXIT_NO_CONFIG 2
#define EXIT_BUSY      3 /* check --fail-busy: the build hooks refuse the image */
#define EXIT_USAGE     64

/* The global options, set by main() (vfio-claim.c) for every verb; a verb's
 * own options are in its file. */
struct args {
        const char *config;
        const char *sysconfdir; /* where CONFIG_MAIN_NAME and CONFIG_DROPIN_NAME are (default SYSCONFDIR) */
        const char *sysfs;
        const char *cmdline;
        const char *proc;
        const char *run;
        const char *dev;
        const char *etc;    /* passwd and group for the names of "owner" */
        const char *owners; /* the owners file of an initramfs (OWNERS_FILE) */
        const char *boot_log;
        bool json;
        int verbosity;
        /* The whole command line as main() got it (add writes it into its comment). */
        int argc;
        char **argv;
};

extern struct args arg;

/* The verbs, one file each, with their options (options.h); vfio-claim.c lists them. */
extern const struct verb verb_apply;
extern const struct verb verb_check;
extern const struct verb verb_owners;
extern const struct verb verb_list;
extern const struct verb verb_status;
extern const struct verb verb_claim;
extern const struct verb verb_release;
extern const struct verb verb_import;
extern const struct verb verb_doctor;
extern const struct verb verb_cdi;
extern const struct verb verb_add;
extern const struct verb verb_remove;

/* The kernel parameter that keeps the firmware framebuffer off for this kernel (check.c). */
const char *framebuffer_fix(void);
/* The ids= of modprobe.d(5)'s directories under root (NULL: /), in its order (import.c). */
void import_modprobe(const char *root, vc_import_fn fn, void *userdata);

/* check: what "vfs N" rules would do (check-vfs.c). */
struct session;
void check_vfs(struct session *s);
/* check: libvirt's PCI hostdevs against the rules, warnings only (check-libvirt.c);
 * root NULL: / on a live sysfs, not at all on a captured tree. */
void check_libvirt(struct session *s, const char *root);
/* owner-report.c: "owner" and "mode" in check and status. */
void check_owners(struct session *s);
bool owners_need_memlock(struct session *s);
const char *owners_memlock_advice(void);
/* What the node of d's group should be: the first rule with owner or mode among its group's devices. */
int owners_expected(struct session *s, const struct vc_dev *d, struct vc_perms *ret, const struct vc_rule **ret_rule);
void owners_print_expected(struct session *s, const struct vc_dev *d, const char *indent);
/* " UID:GID MODE", and whether that is what the rule asks; "" when path cannot be read. */
void owners_format(struct session *s, const struct vc_dev *d, const char *path, char *buf, size_t size);
/* KEY_owner, KEY_group, KEY_mode, KEY_as_rule. */
void owners_json(struct session *s, const struct vc_dev *d, const char *key, const char *path);
/* check: whether each device takes its rule's reset-method (check-power.c). */
void check_power(struct session *s);
/* check's findings beyond the rules on a session already resolved (check.c),
 * for add: logs them as check does (a busy device as an error with
 * fail_busy); returns check's exit code, with the busy devices that no
 * allow-busy covers in *ret_busy. */
int check_findings(struct session *s, bool fail_busy, unsigned *ret_busy);

/* add, remove: the initramfs rebuilt by the generator found (rebuild.c); with
 * no_rebuild, or a root other than /, the command printed instead. <0: it
 * failed (logged). */
int initramfs_rebuild(const char *root, bool no_rebuild);

/* The command initramfs_rebuild() would run on the running system, into buf
 * (with " && proxmox-boot-tool refresh" where that tool is on PATH); NULL when
 * no generator is found. */
const char *initramfs_rebuild_command(char *buf, size_t size);

/* The digest of the configuration files under arg.sysconfdir (vc_config_digest()). */
int config_digest(char ret[VC_CONFIG_DIGEST_MAX]);
/* The main file and the drop-in directory under arg.sysconfdir. */
int config_paths(char main_file[4096], char dropin_dir[4096]);

/* This boot's image against today's configuration files (status.c). */
struct config_state {
        char image[VC_CONFIG_DIGEST_MAX]; /* apply's DIGEST_LOG_WORDS line; "" when the boot log has none */
        char now[VC_CONFIG_DIGEST_MAX];   /* config_digest(); "" when not computed */
        const char *note;                 /* why nothing was compared; NULL when it was */
        bool stale;                       /* compared, and they differ */
        const char *rebuild;              /* when stale: the command that rebuilds the image here, NULL: unknown */
        char rebuild_buf[256];
};
/* Not compared (c->note) without a boot log (boot_log_err < 0), without the
 * image's digest in it, with --config, or when the files cannot be read
 * (logged); never stale then. */
void config_compare(const char *boot_log_text, int boot_log_err, struct config_state *c);

/* The highest priority shown on stderr for -v/-q. */
int stderr_threshold(void);

/* path under a --root tree (import, add, remove): root's path, path itself for
 * no root or "/"; NULL when out of memory. */
char *rooted(const char *root, const char *path);

/* ---- the start-up (cmd/session.c) ---- */

struct session {
        struct vc_ctx *ctx;
        struct vc_config cfg;
        struct vc_devlist devs;
        int config_error;   /* <0: no configuration file could be read */
        bool no_config;     /* the verb has nothing to work on: exit EXIT_NO_CONFIG */
        const char *kernel; /* check --kernel: the release whose modules count, set before session_open() */
        bool now_only;      /* claim: an id rule is not registered for later devices */
};

/* What a verb needs from the configuration; session_open() explains the rule. */
enum session_need {
        NEED_ARGS,  /* claim: rules from its arguments, nothing is read */
        NEED_NONE,  /* list, release: whatever rules there are, none is fine */
        NEED_APPLY, /* apply: none is fine, but said at notice level */
        NEED_RULES, /* status: some rule, from a file or the command line */
        NEED_FILES, /* check: the files themselves */
};

/* The library context alone, with the roots of the command line (session_open() makes it when not made);
 * the session is zeroed before, but for kernel. */
int session_ctx(struct session *s);
int session_open(struct session *s, enum session_need need);
/* list, check, status: the log on stderr (or collected for --json), then
 * session_open() and session_resolve(). Returns <0 when nothing can run, else
 * the exit code so far: 0, EXIT_NO_CONFIG, or EXIT_PROBLEMS (no devices). */
int session_open_resolve(struct session *s, enum session_need need);
/* Enumerates and resolves; the rules that select nothing are logged at
 * no_match_priority (-1: not at all). only_selectable: see vc_pci_enumerate(). */
int session_resolve(struct session *s, int no_match_priority, bool only_selectable);
void session_close(struct session *s);

/* A device's VFIO nodes under --dev (default /dev), whichever the kernel
 * offers (see vc_dev_vfio_nodes()): its group's and its own cdev; a path is ""
 * when there is none, or when driver is not a VFIO driver. */
struct vfio_paths {
        char group[4096], cdev[4096];
        bool group_present, cdev_present;
};
void vfio_paths_find(struct vc_ctx *ctx, struct vc_dev *d, const char *driver, struct vfio_paths *ret);
/* "vfio_group_node", "vfio_group_node_present", "vfio_cdev",
 * "vfio_cdev_present"; null when none. */
void json_vfio_paths(const struct vfio_paths *p);

/* ---- the busy check (cmd/busy.c) ---- */

/* vc_find_busy() with --proc, --run and, when a ZFS dataset is mounted, `zpool list -vPH`. */
int session_find_busy(struct session *s, vc_busy_fn fn, vc_busy_unknown_fn unknown, void *userdata);
/* PROC/self/mountinfo, for the message when it cannot be read. */
const char *mountinfo_path(struct session *s);
/* The warning for a mounted filesystem whose devices cannot be determined (a vc_busy_unknown_fn). */
void log_busy_unknown(void *userdata, const char *mnt, const char *fstype, const char *source);

/* ---- the deadline watchdog (cmd/watchdog.c) ---- */

int64_t elapsed_ms(const struct timespec *t0);
/* read() from fd once data comes, before deadline_ms after t0: the bytes read,
 * 0 at end of file, -ETIMEDOUT when the deadline passed, -errno on failure. */
ssize_t read_by_deadline(int fd, void *buf, size_t size, const struct timespec *t0, int64_t deadline_ms);
/* Returns 1 in the process that is to do the work, 0 in one that is to return to the boot. */
int watchdog_fork(int64_t deadline_ms, const struct timespec *t0);

/* ---- runtime handoff: users and the deadline of claim and release (cmd/handoff.c) ---- */

#define HANDOFF_TIMEOUT_DEFAULT_MS 10000

/* "network interface eth0 is up, address 52:54:00:12:34:56", "/dev/nvme0n1 is open in PID 77 (sleep)". */
void handoff_describe_user(const struct vc_user *u, char *buf, size_t size);
/* Logs each user of dev (vc_find_users()'s what) as "ADDR [V:D] is in use: WHAT<verdict>"
 * at priority; returns how many, <0 (said) when they cannot be told. */
int handoff_log_users(struct session *s, struct vc_dev *dev, unsigned what, int priority, const char *verdict);

struct handoff {
        const char *verb;   /* "release", for the message past the deadline */
        int64_t timeout_ms; /* per step; 0: no child, no deadline */
        const bool *devs;   /* per device of the session: the ones it works on */
        const char *then;   /* what the worker does once the kernel returns */
};
/* work(data) in a child, each step it logs under the deadline; its exit code,
 * or EXIT_PROBLEMS (said, with the state of the devices) past the deadline. */
int handoff_run(struct session *s, const struct handoff *h, int (*work)(void *), void *data);

/* ---- one vfio-claim at a time (cmd/lock.c) ---- */

/* How long a run waits for the lock: apply --device well inside udev's event
 * timeout (180 s) but past a burst of sibling functions' events, each of
 * which holds it for its writes (24 at once under ASan on a loaded machine
 * took more than 5 s); claim and release a few seconds; boot apply nine
 * tenths of its deadline. */
#define LOCK_WAIT_EVENT_MS 30000
#define LOCK_WAIT_ADMIN_MS 5000
#define RUN_LOCK_NONE      (-1) /* no lock to be had here (no RUN, read-only): go on without it */

/*
 * Takes RUN/vfio-claim/lock for verb (recorded in the file with the pid, for
 * whoever waits), waiting until bound_ms after t0: its descriptor (held until
 * closed or exit); RUN_LOCK_NONE, with a warning; or -ETIMEDOUT when another
 * run held it all along: logged at priority with that run's pid and verb,
 * and that subject is left to it.
 */
int run_lock_take(const char *verb, const char *subject, const struct timespec *t0, int64_t bound_ms, int priority);

/* ---- files for fleets: metrics and CDI specs (atomic.c, metrics.c, cdi.c) ---- */

/* data into a temporary file beside path, then renamed over it. */
int write_file_atomic(const char *path, const char *data, size_t size, mode_t mode);
/* status --prometheus: the metrics on stdout, or written to file (NULL: stdout). */
int status_prometheus(const char *file);
/* The Prometheus text exposition of s's selected devices and this boot's log. */
int metrics_format(struct session *s, const char *boot_log_text, char **ret, size_t *ret_size);
/* Writes the metrics of s to file atomically; logs a failure. */
int metrics_write(struct session *s, const char *file);
/* Some rule has a name: the CDI spec is wanted. */
bool cdi_wanted(const struct vc_config *cfg);
/* Writes the CDI spec of s to RUN/cdi/vfio-claim.json, or removes it when no
 * named rule has a VFIO device; logs a failure. */
int cdi_write(struct session *s);
/* After claim and release (s: the session with the configuration's rules, NULL:
 * read them): the CDI spec rewritten when wanted or there, the metrics file
 * (--prometheus=FILE, else METRICS_FILE when it exists) refreshed. */
void fleet_refresh(struct session *s, const char *metrics_file);
