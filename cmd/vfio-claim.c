// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim: give selected PCI devices to vfio-pci from the first moment of
 * boot. This file parses options, calls the library and reports; the
 * library does the work and never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "macro.h"
#include "names.h"
#include "output.h"
#include "vfio-claim.h"

#define CONFIG_FILE "/etc/vfio-claim.conf"
#define CONFIG_DIR "/etc/vfio-claim.d"
#define BOOT_LOG "/run/vfio-claim/boot.log"

/* check's and status's exit codes */
#define EXIT_PROBLEMS 1
#define EXIT_NO_CONFIG 2
#define EXIT_USAGE 2
#define EXIT_BUSY 3 /* check --fail-busy: the build hooks refuse the image */

static struct {
        const char *config;
        const char *sysfs;
        const char *cmdline;
        const char *proc;
        const char *dev;
        const char *boot_log;
        const char *kernel;
        bool json;
        bool dry_run;
        bool force;
        bool fail_busy;
        int verbosity;
} arg = {
        .sysfs = "/sys",
        .proc = "/proc",
        .dev = "/dev",
};

static void help(void)
{
        printf("Usage: vfio-claim [OPTIONS] VERB [ARGS]\n"
               "Give selected PCI devices to vfio-pci from the first moment of boot.\n\n"
               "Verbs:\n"
               "  apply               claim the devices the configuration selects (the boot action)\n"
               "  check               validate the configuration and predict what apply would do\n"
               "  list                list every PCI device and the rule that selects it\n"
               "  status              show whether every selected device is where the config wants it\n"
               "  claim SELECTOR...   claim devices now (addresses, or one rule: claim id 10de:1b80)\n"
               "  release ADDRESS...  give devices back to their host driver\n\n"
               "Options:\n"
               "  -c, --config=FILE   read only FILE (default " CONFIG_FILE " and " CONFIG_DIR "/*.conf)\n"
               "      --sysfs=DIR     sysfs root (default /sys; any other never loads modules)\n"
               "      --cmdline=FILE  kernel command line (default /proc/cmdline)\n"
               "      --proc=DIR      procfs root for mounts and swaps (default /proc)\n"
               "      --dev=DIR       devtmpfs root for /dev/vfio (default /dev)\n"
               "      --boot-log=FILE boot log (default " BOOT_LOG " on the live system)\n"
               "  -k, --kernel=REL    check modules of kernel release REL (default: running kernel)\n"
               "  -n, --dry-run       apply, claim: log what would be written, write nothing\n"
               "  -f, --force         claim, release: even a device that carries a mounted filesystem\n"
               "      --fail-busy     check: exit 3 when a rule without allow-busy selects a device\n"
               "                      that carries a mounted filesystem or swap (initramfs build hooks)\n"
               "  -j, --json          list, check, status: one JSON document on stdout\n"
               "  -v, --verbose       show debug messages\n"
               "  -q, --quiet         show only warnings and errors\n"
               "  -h, --help          this text\n"
               "      --version       the version\n");
}

enum { OPT_SYSFS = 0x100, OPT_CMDLINE, OPT_PROC, OPT_DEV, OPT_BOOT_LOG, OPT_VERSION, OPT_FAIL_BUSY };

static int parse_argv(int argc, char *argv[])
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "sysfs", required_argument, NULL, OPT_SYSFS },
                { "cmdline", required_argument, NULL, OPT_CMDLINE },
                { "proc", required_argument, NULL, OPT_PROC },
                { "dev", required_argument, NULL, OPT_DEV },
                { "boot-log", required_argument, NULL, OPT_BOOT_LOG },
                { "kernel", required_argument, NULL, 'k' },
                { "dry-run", no_argument, NULL, 'n' },
                { "force", no_argument, NULL, 'f' },
                { "fail-busy", no_argument, NULL, OPT_FAIL_BUSY },
                { "json", no_argument, NULL, 'j' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:k:nfjvqh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        arg.config = optarg;
                        break;
                case OPT_SYSFS:
                        arg.sysfs = optarg;
                        break;
                case OPT_CMDLINE:
                        arg.cmdline = optarg;
                        break;
                case OPT_PROC:
                        arg.proc = optarg;
                        break;
                case OPT_DEV:
                        arg.dev = optarg;
                        break;
                case OPT_BOOT_LOG:
                        arg.boot_log = optarg;
                        break;
                case 'k':
                        arg.kernel = optarg;
                        break;
                case 'n':
                        arg.dry_run = true;
                        break;
                case 'f':
                        arg.force = true;
                        break;
                case OPT_FAIL_BUSY:
                        arg.fail_busy = true;
                        break;
                case 'j':
                        arg.json = true;
                        break;
                case 'v':
                        arg.verbosity++;
                        break;
                case 'q':
                        arg.verbosity--;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("vfio-claim " VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

static int stderr_threshold(void)
{
        return arg.verbosity > 0 ? LOG_DEBUG : arg.verbosity < 0 ? LOG_WARNING : LOG_INFO;
}

/* ---- shared steps ---- */

struct run {
        struct vc_ctx *ctx;
        struct vc_config cfg;
        struct vc_devlist devs;
        int config_error; /* <0: nothing could be read */
        bool quiet_no_config; /* list works without a configuration */
        char **busy;      /* release: per device, what it carries */
};

static void run_done(struct run *r)
{
        for (size_t i = 0; r->busy && i < r->devs.n; i++)
                free(r->busy[i]);
        free(r->busy);
        vc_devlist_clear(&r->devs);
        vc_config_clear(&r->cfg);
        vc_ctx_free(r->ctx);
        names_done();
}

static int run_init(struct run *r)
{
        int k;

        *r = (struct run){ 0 };
        k = vc_ctx_new(arg.sysfs, &r->ctx);
        if (k < 0) {
                log_msg(LOG_ERR, "out of memory");
                return k;
        }
        vc_ctx_set_log_fn(r->ctx, log_lib, NULL);
        if (arg.kernel) {
                k = vc_ctx_set_kernel(r->ctx, arg.kernel);
                if (k < 0) {
                        log_msg(LOG_ERR, "--kernel=%s: not a kernel release", arg.kernel);
                        return k;
                }
        }
        return 0;
}

static void load_config(struct run *r)
{
        int k;

        if (arg.config)
                k = vc_config_load(r->ctx, &r->cfg, arg.config, NULL);
        else
                k = vc_config_load(r->ctx, &r->cfg, CONFIG_FILE, CONFIG_DIR);
        if (k == -ENOMEM) {
                log_msg(LOG_ERR, "out of memory");
                r->config_error = k;
                return;
        }
        if (k == -ENOENT)
                log_msg(r->quiet_no_config ? LOG_DEBUG : LOG_NOTICE, "no configuration: %s does not exist%s", arg.config ? arg.config : CONFIG_FILE,
                        arg.config ? "" : " and " CONFIG_DIR " has no *.conf");
        r->config_error = k < 0 ? k : 0;
}

static void load_cmdline(struct run *r)
{
        char path[4096];
        const char *p = arg.cmdline;
        int k;

        if (!p) {
                snprintf(path, sizeof(path), "%s/cmdline", arg.proc);
                p = path;
        }
        k = vc_cmdline_load(r->ctx, &r->cfg, p);
        if (k < 0)
                log_msg(LOG_WARNING, "%s: cannot read the kernel command line: %s", p,
                        k == -EINVAL ? "NUL byte in it" : vc_read_strerror(k));
}

static int enumerate(struct run *r)
{
        int k = vc_pci_enumerate(r->ctx, &r->devs);

        if (k < 0)
                log_msg(LOG_ERR, "%s/bus/pci/devices: cannot list PCI devices: %s", arg.sysfs, strerror(-k));
        return k;
}

static const char *rule_desc(const struct vc_rule *rule, char *buf, size_t size)
{
        snprintf(buf, size, "%s (%s)", rule->origin, rule->text);
        return buf;
}

static void log_rule_results(const struct run *r, int no_match_priority)
{
        for (size_t i = 0; i < r->cfg.n_rules; i++) {
                const struct vc_rule *rule = &r->cfg.rules[i];
                char desc[1024];

                if (rule->state == VC_RULE_NO_MATCH && rule->n_conflicts > 0)
                        log_msg(no_match_priority, "%s: claims nothing: earlier rules selected its devices for other drivers",
                                rule_desc(rule, desc, sizeof(desc)));
                else if (rule->state == VC_RULE_NO_MATCH)
                        log_msg(no_match_priority, "%s: matches no PCI device", rule_desc(rule, desc, sizeof(desc)));
        }
}

static void json_messages(void)
{
        const char **msgs;
        const int *prios;
        size_t n = log_collected(&msgs, &prios);

        json_key("messages");
        json_begin_array();
        for (size_t i = 0; i < n; i++) {
                json_begin_object();
                json_key("priority");
                json_string(prios[i] <= LOG_ERR ? "error" : prios[i] == LOG_WARNING ? "warning" :
                            prios[i] <= LOG_INFO ? "info" : "debug");
                json_key("message");
                json_string(msgs[i]);
                json_end_object();
        }
        json_end_array();
}

static void json_dev_ids(const struct vc_dev *d)
{
        char buf[32];

        json_key("address");
        json_string(d->addr);
        snprintf(buf, sizeof(buf), "%04x:%04x", d->vendor, d->device);
        json_key("id");
        json_string(buf);
        snprintf(buf, sizeof(buf), "%04x:%04x", d->subvendor, d->subdevice);
        json_key("subsystem");
        json_string(buf);
        snprintf(buf, sizeof(buf), "%06x", d->class);
        json_key("class");
        json_string(buf);
        json_key("driver");
        if (d->driver[0])
                json_string(d->driver);
        else
                json_null();
}

/* list, check, status: messages on stderr (or into the JSON document), then the configuration. */
static int open_report(struct run *r, bool quiet_no_config)
{
        struct log_config lc = { .to_stderr = true, .stderr_max = stderr_threshold(), .collect = arg.json };

        (void)log_open(&lc);
        if (run_init(r) < 0)
                return -ENOMEM;
        r->quiet_no_config = quiet_no_config;
        load_config(r);
        return 0;
}

/* ---- apply ---- */

static int64_t elapsed_ms(const struct timespec *t0)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void apply_devices(struct run *r, const struct timespec *t0)
{
        struct vc_apply_stats st;

        if (enumerate(r) < 0)
                return;
        (void)vc_resolve(r->ctx, &r->cfg, &r->devs);
        log_rule_results(r, LOG_WARNING);
        (void)vc_apply(r->ctx, &r->cfg, &r->devs, VC_APPLY_NEW_ID, &st);
        for (size_t i = 0; i < r->devs.n; i++) {
                const struct vc_dev *d = &r->devs.devs[i];

                if (d->rule)
                        log_msg(LOG_DEBUG, "outcome: %s [%04x:%04x] -> %s: %s (rule %s)", d->addr, d->vendor,
                                d->device, d->rule->driver, vc_outcome_to_string(d->outcome), d->rule->origin);
        }
        log_msg(st.failed || st.held ? LOG_WARNING : LOG_NOTICE,
                "done in %lld ms: %u selected, %u claimed, %u already bound, %u held off but not bound, %u failed",
                (long long)elapsed_ms(t0), st.selected, st.claimed, st.already, st.held, st.failed);
}

/* Keeps the last complete line of buf in last; a partial line stays in buf. */
static void remember_last_line(char *buf, size_t *fill, char *last, size_t size)
{
        char *end = strrchr(buf, '\n'), *start;
        size_t n;

        if (!end)
                return;
        *end = 0;
        start = strrchr(buf, '\n');
        start = start ? start + 1 : buf;
        n = strlen(start);
        if (n >= size)
                n = size - 1;
        memcpy(last, start, n);
        last[n] = 0;
        n = strlen(end + 1);
        memmove(buf, end + 1, n + 1);
        *fill = n;
}

/*
 * The watchdog. A sysfs write can sit in a driver's probe, and a module can
 * sit on a dead disk, where no signal reaches: so the work runs in a child,
 * and the parent returns to the boot when the deadline passes, naming the
 * last step the child reported. Returns 1 in the child, which does the work.
 */
static int fork_watchdog(int64_t deadline_ms, const struct timespec *t0)
{
        char last[512] = "(nothing reported yet)", buf[4096];
        size_t fill = 0;
        int fds[2];
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                goto inline_work;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                goto inline_work;
        }
        if (pid == 0) {
                close(fds[0]);
                log_set_progress_fd(fds[1]);
                return 1;
        }
        close(fds[1]);
        for (;;) {
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                int64_t left = deadline_ms - elapsed_ms(t0);
                ssize_t k;
                int n;

                if (left <= 0)
                        break;
                n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                k = read(fds[0], buf + fill, sizeof(buf) - 1 - fill);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        /* The child finished (or died): its log says how it went. */
                        close(fds[0]);
                        (void)waitpid(pid, NULL, 0);
                        return 0;
                }
                fill += (size_t)k;
                buf[fill] = 0;
                remember_last_line(buf, &fill, last, sizeof(last));
                if (fill >= sizeof(buf) - 1)
                        fill = 0;
        }
        close(fds[0]);
        log_msg(LOG_ERR,
                "deadline of %lld ms passed; unfinished, last step: \"%s\"; the boot goes on, pid %d finishes in the background",
                (long long)deadline_ms, last, (int)pid);
        return 0;

inline_work:
        log_msg(LOG_WARNING, "cannot start the watchdog (%m); working without a deadline");
        return 1;
}

static int verb_apply(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        struct timespec t0;
        bool live = strcmp(arg.sysfs, "/sys") == 0;
        const char *boot_log = arg.boot_log ? arg.boot_log : live ? BOOT_LOG : NULL;
        struct log_config lc = {
                .kmsg = live,
                .boot_log = boot_log,
                /* At boot the console already shows kmsg; tests and a shell want stderr. */
                .to_stderr = !live || isatty(STDERR_FILENO),
                .stderr_max = stderr_threshold(),
        };
        int64_t deadline;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (log_open(&lc) < 0)
                log_msg(LOG_WARNING, "%s: cannot write the boot log: %m", boot_log);
        /* From here on nothing may stop the boot: every problem is logged, the exit is 0. */
        if (run_init(&r) < 0)
                return 0;
        log_msg(LOG_INFO, "vfio-claim " VERSION " apply (sysfs %s)", arg.sysfs);
        load_config(&r);
        load_cmdline(&r);
        if (r.cfg.off) {
                log_msg(LOG_NOTICE, "vfio_claim=off on the kernel command line: claiming nothing");
                return 0;
        }
        vc_ctx_set_dry_run(r.ctx, arg.dry_run || r.cfg.dry_run);
        if (vc_ctx_get_dry_run(r.ctx))
                log_msg(LOG_NOTICE, "dry run%s: nothing will be written",
                        r.cfg.dry_run ? " (vfio_claim.dry_run on the kernel command line)" : "");
        if (r.cfg.n_rules == 0) {
                log_msg(LOG_NOTICE, "no rules: nothing to claim");
                return 0;
        }
        deadline = r.cfg.deadline_set ? r.cfg.deadline_ms : VC_DEADLINE_DEFAULT_MS;
        if (deadline > 0 && fork_watchdog(deadline, &t0) == 0)
                return 0;
        apply_devices(&r, &t0);
        return 0;
}

/* ---- check ---- */

struct check_state {
        struct run *r;
        bool *busy_seen;       /* per device: reported as busy already */
        unsigned busy;         /* selected devices that carry a mounted filesystem or swap */
        unsigned busy_refused; /* ... by a rule without allow-busy */
};

static void on_busy(void *userdata, const struct vc_dev *dev, const char *what)
{
        struct check_state *s = userdata;

        size_t i = (size_t)(dev - s->r->devs.devs);

        if (!dev->rule)
                return;
        /* One device may carry several mounts: each is named, the device counted once. */
        if (!s->busy_seen[i]) {
                s->busy_seen[i] = true;
                s->busy++;
                if (!dev->rule->allow_busy)
                        s->busy_refused++;
        }
        if (dev->rule->allow_busy) {
                log_msg(LOG_WARNING, "%s [%04x:%04x] (%s) carries %s; allowed by allow-busy", dev->addr,
                        dev->vendor, dev->device, dev->rule->origin, what);
                return;
        }
        log_msg(arg.fail_busy ? LOG_ERR : LOG_WARNING,
                "%s [%04x:%04x] (%s) carries %s: claiming it takes that away from the host (add allow-busy to the rule if that is meant)",
                dev->addr, dev->vendor, dev->device, dev->rule->origin, what);
}

static void check_modules(struct run *r)
{
        for (size_t i = 0; i < r->cfg.n_rules; i++) {
                const char *driver = r->cfg.rules[i].driver;
                enum vc_module_state st;
                bool seen = false;
                int k;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = strcmp(r->cfg.rules[j].driver, driver) == 0;
                if (seen || (!arg.kernel && vc_driver_loaded(r->ctx, driver)))
                        continue;
                k = vc_module_lookup(r->ctx, driver, &st);
                if (k < 0) {
                        struct utsname u;

                        uname(&u);
                        log_msg(LOG_WARNING, "no module for driver %s found for kernel %s%s%s", driver,
                                arg.kernel ? arg.kernel : u.release, k == -ENOENT ? "" : ": ",
                                k == -ENOENT ? "" : strerror(-k));
                }
        }
}

static void on_problem(void *userdata, const struct vc_problem *p)
{
        const struct vc_dev *d = p->dev, *b = p->blocker;

        switch (p->kind) {
        case VC_PROBLEM_BOOT_VGA:
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s) is the boot VGA device: the host console uses it (consider video=efifb:off)",
                        d->addr, d->vendor, d->device, d->rule->origin);
                break;
        case VC_PROBLEM_GROUP_CHIPSET:
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s): IOMMU group %d would not be viable: it shares the group with the chipset bridge %s [%04x:%04x] (class %06x, on %s), which the host needs; without ACS isolation between them this device cannot be passed through on its own (a rule naming the bridge takes it, if the host can do without it)",
                        d->addr, d->vendor, d->device, d->rule->origin, d->group, b->addr, b->vendor, b->device,
                        b->class, b->driver[0] ? b->driver : "no driver");
                break;
        case VC_PROBLEM_GROUP_DRIVER:
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s): IOMMU group %d would not be viable: %s [%04x:%04x] stays on %s (add it, or use 'group')",
                        d->addr, d->vendor, d->device, d->rule->origin, d->group, b->addr, b->vendor, b->device,
                        b->driver[0] ? b->driver : "no driver");
                break;
        case VC_PROBLEM_NO_IOMMU:
                log_msg(LOG_WARNING,
                        "the IOMMU is not enabled (no %s/kernel/iommu_groups): vfio-pci will not bind; enable VT-d/AMD-Vi and add intel_iommu=on or amd_iommu=on",
                        arg.sysfs);
                break;
        }
}

static void print_check_human(const struct run *r)
{
        for (size_t i = 0; i < r->cfg.n_rules; i++) {
                const struct vc_rule *rule = &r->cfg.rules[i];

                printf("%s: %s -> %s: %s\n", rule->origin, rule->text, rule->driver,
                       rule->state == VC_RULE_GUARD_MISMATCH ? "guard mismatch, claims nothing" :
                       rule->state == VC_RULE_NO_MATCH       ? "matches nothing" :
                                                               "selects");
                for (size_t j = 0; j < r->devs.n; j++) {
                        const struct vc_dev *d = &r->devs.devs[j];

                        if (d->rule != rule)
                                continue;
                        printf("\t%s [%04x:%04x] now %s%s%s\n", d->addr, d->vendor, d->device,
                               d->driver[0] ? "on " : "without driver", d->driver,
                               d->via ? " (same IOMMU group)" : "");
                }
        }
}

static void print_check_json(const struct run *r, const struct check_state *cs, int result)
{
        json_begin_object();
        json_key("rules");
        json_begin_array();
        for (size_t i = 0; i < r->cfg.n_rules; i++) {
                const struct vc_rule *rule = &r->cfg.rules[i];

                json_begin_object();
                json_key("origin");
                json_string(rule->origin);
                json_key("rule");
                json_string(rule->text);
                json_key("driver");
                json_string(rule->driver);
                json_key("state");
                json_string(rule->state == VC_RULE_GUARD_MISMATCH ? "guard-mismatch" :
                            rule->state == VC_RULE_NO_MATCH       ? "no-match" :
                                                                    "ok");
                json_key("devices");
                json_begin_array();
                for (size_t j = 0; j < r->devs.n; j++) {
                        const struct vc_dev *d = &r->devs.devs[j];

                        if (d->rule != rule)
                                continue;
                        json_begin_object();
                        json_dev_ids(d);
                        json_key("via_group_of");
                        if (d->via)
                                json_string(d->via->addr);
                        else
                                json_null();
                        json_end_object();
                }
                json_end_array();
                json_end_object();
        }
        json_end_array();
        json_key("busy");
        json_int(cs->busy);
        json_key("errors");
        json_int(log_count(LOG_ERR));
        json_key("warnings");
        json_int(log_count(LOG_WARNING) - log_count(LOG_ERR));
        json_messages();
        json_key("result");
        json_string(result == 0 ? "ok" : result == EXIT_NO_CONFIG ? "no-config" : result == EXIT_BUSY ? "busy" : "errors");
        json_end_object();
        json_end();
}

static int verb_check(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        struct check_state cs = { .r = &r };
        int result = 0, k;

        if (open_report(&r, false) < 0)
                return EXIT_PROBLEMS;
        load_cmdline(&r);
        /* Rules from vfio_claim.rule= alone are a configuration too: apply uses them. */
        if (r.config_error == -ENOENT && !arg.config && r.cfg.n_rules > 0)
                log_msg(LOG_NOTICE, "checking the vfio_claim.rule= rules of the kernel command line only");
        else if (r.config_error < 0) {
                if (r.config_error == -ENOENT)
                        log_msg(LOG_ERR, "no configuration to check");
                result = EXIT_NO_CONFIG;
                goto finish;
        }
        if (r.cfg.off)
                log_msg(LOG_WARNING, "vfio_claim=off is on the running kernel's command line");
        if (enumerate(&r) < 0) {
                result = EXIT_PROBLEMS;
                goto finish;
        }
        (void)vc_resolve(r.ctx, &r.cfg, &r.devs);
        log_rule_results(&r, LOG_ERR);
        (void)vc_find_problems(r.ctx, &r.devs, on_problem, NULL);
        cs.busy_seen = calloc(r.devs.n + 1, sizeof(bool));
        k = cs.busy_seen ? vc_find_busy(r.ctx, arg.proc, &r.devs, on_busy, &cs) : -ENOMEM;
        free(cs.busy_seen);
        cs.busy_seen = NULL;
        if (k < 0)
                log_msg(LOG_WARNING, "%s/self/mountinfo: cannot read: %s; mounted filesystems not checked",
                        arg.proc, strerror(-k));
        check_modules(&r);
        result = arg.fail_busy && cs.busy_refused ? EXIT_BUSY : log_count(LOG_ERR) > 0 ? EXIT_PROBLEMS : 0;
finish:
        if (arg.json)
                print_check_json(&r, &cs, result);
        else {
                print_check_human(&r);
                printf("%u error(s), %u warning(s)%s\n", log_count(LOG_ERR), log_count(LOG_WARNING) - log_count(LOG_ERR),
                       cs.busy ? "; a selected device carries a mounted filesystem or swap" : "");
        }
        log_close();
        return result;
}

/* ---- list ---- */

static void print_list_human(struct run *r)
{
        for (size_t i = 0; i < r->devs.n; i++) {
                struct vc_dev *d = &r->devs.devs[i];
                struct dev_names nm;
                char ovr[VC_DRIVER_MAX + 16] = "";
                bool named = names_lookup(d, &nm);

                (void)vc_dev_read_group(r->ctx, d);
                (void)vc_dev_read_override(r->ctx, d, ovr, sizeof(ovr));
                if (named)
                        printf("%s %s [%04x]: %s %s [%04x:%04x]\n", d->addr,
                               nm.class_name[0] ? nm.class_name : names_class_fallback(d->class), d->class >> 8,
                               nm.vendor, nm.model[0] ? nm.model : "Device", d->vendor, d->device);
                else
                        printf("%s %s [%04x]: Device [%04x:%04x]\n", d->addr, names_class_fallback(d->class),
                               d->class >> 8, d->vendor, d->device);
                if (d->subvendor || d->subdevice)
                        printf("\tSubsystem: %s%s[%04x:%04x]\n", named ? nm.subsys : "", named && nm.subsys[0] ? " " : "",
                               d->subvendor, d->subdevice);
                if (d->driver[0])
                        printf("\tKernel driver in use: %s\n", d->driver);
                if (ovr[0])
                        printf("\tdriver_override: %s\n", ovr);
                if (d->group >= 0)
                        printf("\tIOMMU group: %d\n", d->group);
                if (vc_dev_boot_vga(r->ctx, d) > 0)
                        printf("\tBoot VGA: yes\n");
                if (d->rule)
                        printf("\tvfio-claim: %s -> %s%s%s\n", d->rule->origin, d->rule->driver,
                               d->via ? ", same IOMMU group as " : "", d->via ? d->via->addr : "");
        }
}

static void print_list_json(struct run *r)
{
        json_begin_object();
        json_key("devices");
        json_begin_array();
        for (size_t i = 0; i < r->devs.n; i++) {
                struct vc_dev *d = &r->devs.devs[i];
                char ovr[VC_DRIVER_MAX + 16] = "";
                struct dev_names nm;

                (void)vc_dev_read_group(r->ctx, d);
                (void)vc_dev_read_override(r->ctx, d, ovr, sizeof(ovr));
                json_begin_object();
                json_dev_ids(d);
                if (names_lookup(d, &nm)) {
                        json_key("vendor_name");
                        json_string(nm.vendor);
                        json_key("device_name");
                        json_string(nm.model);
                        json_key("class_name");
                        json_string(nm.class_name);
                }
                json_key("driver_override");
                if (ovr[0])
                        json_string(ovr);
                else
                        json_null();
                json_key("iommu_group");
                if (d->group >= 0)
                        json_int(d->group);
                else
                        json_null();
                json_key("boot_vga");
                json_bool(vc_dev_boot_vga(r->ctx, d) > 0);
                json_key("rule");
                if (d->rule)
                        json_string(d->rule->origin);
                else
                        json_null();
                json_key("target_driver");
                if (d->rule)
                        json_string(d->rule->driver);
                else
                        json_null();
                json_end_object();
        }
        json_end_array();
        json_messages();
        json_end_object();
        json_end();
}

static int verb_list(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        int result = 0;

        if (open_report(&r, true) < 0)
                return EXIT_PROBLEMS;
        load_cmdline(&r);
        if (enumerate(&r) < 0)
                result = EXIT_PROBLEMS;
        else
                (void)vc_resolve(r.ctx, &r.cfg, &r.devs);
        if (arg.json)
                print_list_json(&r);
        else
                print_list_human(&r);
        log_close();
        return result;
}

/* ---- status ---- */

static bool vfio_node_exists(const struct vc_dev *d)
{
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/vfio/%d", arg.dev, d->group);
        return stat(path, &st) == 0;
}

static int verb_status(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        _cleanup_free_ char *boot_log_text = NULL;
        const char *boot_log = arg.boot_log ? arg.boot_log : BOOT_LOG;
        unsigned bad = 0, selected = 0;
        int result = 0, k;

        if (open_report(&r, true) < 0)
                return EXIT_PROBLEMS;
        load_cmdline(&r);
        /* Rules from vfio_claim.rule= count as much as the files' for what this boot did. */
        if (r.config_error < 0 && r.cfg.n_rules == 0) {
                if (r.config_error == -ENOENT)
                        log_msg(LOG_ERR, "no configuration: %s does not exist and no vfio_claim.rule= on the kernel command line",
                                arg.config ? arg.config : CONFIG_FILE);
                result = EXIT_NO_CONFIG;
                goto finish;
        }
        if (r.cfg.off)
                log_msg(LOG_WARNING, "vfio_claim=off is on this boot's kernel command line: nothing was claimed");
        if (enumerate(&r) < 0) {
                result = EXIT_PROBLEMS;
                goto finish;
        }
        (void)vc_resolve(r.ctx, &r.cfg, &r.devs);
        log_rule_results(&r, LOG_WARNING);
finish:
        k = vc_read_file(boot_log, VC_CONFIG_MAX, &boot_log_text, NULL);
        if (arg.json) {
                json_begin_object();
                json_key("devices");
                json_begin_array();
        }
        for (size_t i = 0; i < r.devs.n; i++) {
                struct vc_dev *d = &r.devs.devs[i];
                struct vc_dev_status s;
                bool vfio_node;

                if (vc_dev_status(r.ctx, &r.devs, d, &s) < 0)
                        continue; /* not selected */
                selected++;
                vfio_node = s.have_group && vfio_node_exists(d);
                if (!s.on_target)
                        bad++;
                if (arg.json) {
                        json_begin_object();
                        json_dev_ids(d);
                        json_key("target_driver");
                        json_string(d->rule->driver);
                        json_key("rule");
                        json_string(d->rule->origin);
                        json_key("on_target");
                        json_bool(s.on_target);
                        json_key("iommu_group");
                        if (s.have_group)
                                json_int(d->group);
                        else
                                json_null();
                        json_key("group_viable");
                        if (s.have_group)
                                json_bool(s.viable);
                        else
                                json_null();
                        json_key("group_blocker");
                        if (s.blocker)
                                json_string(s.blocker->addr);
                        else
                                json_null();
                        json_key("vfio_device_node");
                        json_bool(vfio_node);
                        json_end_object();
                        continue;
                }
                printf("%s [%04x:%04x] %-4s on %s, wanted %s (%s)\n", d->addr, d->vendor, d->device,
                       s.on_target ? "ok" : "BAD", d->driver[0] ? d->driver : "no driver", d->rule->driver,
                       d->rule->origin);
                if (s.have_group) {
                        printf("\tIOMMU group %d %s", d->group, s.viable ? "viable" : "NOT viable");
                        if (s.blocker)
                                printf(": %s stays on %s", s.blocker->addr,
                                       s.blocker->driver[0] ? s.blocker->driver : "no driver");
                        if (strcmp(d->rule->driver, "vfio-pci") == 0)
                                printf(", %s/vfio/%d %s", arg.dev, d->group, vfio_node ? "present" : "MISSING");
                        printf("\n");
                } else
                        printf("\tno IOMMU group (IOMMU off?)\n");
        }
        if (bad > 0 || result == EXIT_PROBLEMS)
                result = result ? result : EXIT_PROBLEMS;
        if (arg.json) {
                json_end_array();
                json_key("boot_log");
                if (k >= 0)
                        json_string(boot_log_text);
                else
                        json_null();
                json_messages();
                json_key("ok");
                json_bool(result == 0);
                json_end_object();
                json_end();
        } else {
                if (selected == 0 && result != EXIT_NO_CONFIG)
                        printf("no device is selected by the configuration\n");
                if (k >= 0)
                        printf("\nBoot log (%s):\n%s", boot_log, boot_log_text);
                else
                        printf("\nNo boot log (%s: %s): vfio-claim apply did not run this boot?\n", boot_log,
                               strerror(-k));
        }
        log_close();
        return result;
}

/* ---- claim and release ---- */

static bool is_rule_keyword(const char *s)
{
        return strcmp(s, "address") == 0 || strcmp(s, "id") == 0 || strcmp(s, "subsystem") == 0;
}

static int runtime_prepare(struct run *r, const char *verb)
{
        struct log_config lc = {
                .kmsg = strcmp(arg.sysfs, "/sys") == 0 && !arg.dry_run,
                .to_stderr = true,
                .stderr_max = stderr_threshold(),
        };

        (void)log_open(&lc);
        if (strcmp(arg.sysfs, "/sys") == 0 && geteuid() != 0 && !arg.dry_run) {
                log_msg(LOG_ERR, "%s writes to /sys: run it as root", verb);
                return -EPERM;
        }
        if (run_init(r) < 0)
                return -ENOMEM;
        vc_ctx_set_dry_run(r->ctx, arg.dry_run);
        return 0;
}

static void on_busy_refuse(void *userdata, const struct vc_dev *dev, const char *what)
{
        unsigned *n = userdata;

        if (!dev->rule || dev->rule->allow_busy)
                return;
        (*n)++;
        log_msg(arg.force ? LOG_WARNING : LOG_ERR, "%s [%04x:%04x] carries %s%s", dev->addr, dev->vendor,
                dev->device, what, arg.force ? "; claiming it anyway (--force)" : "; not claiming it (use --force)");
}

static int verb_claim(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        struct vc_apply_stats st;
        unsigned busy = 0;
        int result = 0;

        if (argc < 2) {
                fprintf(stderr, "vfio-claim: claim needs a selector: an address, or a rule such as 'id 10de:1b80'\n");
                return EXIT_USAGE;
        }
        if (runtime_prepare(&r, "claim") < 0)
                return EXIT_PROBLEMS;
        if (is_rule_keyword(argv[1])) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;

                for (int i = 1; i < argc; i++)
                        len += strlen(argv[i]) + 1;
                text = calloc(1, len + 1);
                if (!text)
                        return EXIT_PROBLEMS;
                for (int i = 1; i < argc; i++) {
                        strcat(text, argv[i]);
                        strcat(text, " ");
                }
                (void)vc_config_add_line(r.ctx, &r.cfg, "command line", text);
        } else
                for (int i = 1; i < argc; i++) {
                        char line[256], origin[64];

                        snprintf(origin, sizeof(origin), "argument %d", i);
                        if (snprintf(line, sizeof(line), "address %s", argv[i]) >= (int)sizeof(line)) {
                                log_msg(LOG_ERR, "%s: selector too long", origin);
                                r.cfg.n_errors++;
                                continue;
                        }
                        (void)vc_config_add_line(r.ctx, &r.cfg, origin, line);
                }
        if (r.cfg.n_errors > 0 || r.cfg.n_rules == 0)
                return EXIT_USAGE;
        if (enumerate(&r) < 0)
                return EXIT_PROBLEMS;
        (void)vc_resolve(r.ctx, &r.cfg, &r.devs);
        log_rule_results(&r, LOG_ERR);
        if (vc_find_busy(r.ctx, arg.proc, &r.devs, on_busy_refuse, &busy) < 0)
                log_msg(LOG_WARNING, "%s/self/mountinfo: cannot read; mounted filesystems not checked", arg.proc);
        if (busy > 0 && !arg.force)
                return EXIT_PROBLEMS;
        (void)vc_apply(r.ctx, &r.cfg, &r.devs, 0, &st);
        for (size_t i = 0; i < r.cfg.n_rules; i++)
                if (r.cfg.rules[i].state != VC_RULE_OK)
                        result = EXIT_PROBLEMS;
        if (st.failed || st.held)
                result = EXIT_PROBLEMS;
        return result;
}

/* For release: what each device carries, NULL for nothing. */
static void on_busy_mark(void *userdata, const struct vc_dev *dev, const char *what)
{
        struct run *r = userdata;
        char **marks = r->busy;
        size_t i = (size_t)(dev - r->devs.devs);

        if (!marks[i])
                marks[i] = strdup(what);
}

static int verb_release(int argc, char *argv[])
{
        _cleanup_(run_done) struct run r = { 0 };
        int result = 0;

        if (argc < 2) {
                fprintf(stderr, "vfio-claim: release needs one or more addresses\n");
                return EXIT_USAGE;
        }
        if (runtime_prepare(&r, "release") < 0)
                return EXIT_PROBLEMS;
        if (arg.dry_run) {
                log_msg(LOG_ERR, "release has no dry run");
                return EXIT_USAGE;
        }
        /* The configuration names the dynamic ids that would take the device back. */
        r.quiet_no_config = true;
        load_config(&r);
        if (enumerate(&r) < 0)
                return EXIT_PROBLEMS;
        (void)vc_resolve(r.ctx, &r.cfg, &r.devs);
        /* Unbinding the controller under / is as fatal as claiming it. */
        r.busy = calloc(r.devs.n + 1, sizeof(char *));
        if (!r.busy)
                return EXIT_PROBLEMS;
        if (vc_find_busy(r.ctx, arg.proc, &r.devs, on_busy_mark, &r) < 0)
                log_msg(LOG_WARNING, "%s/self/mountinfo: cannot read; mounted filesystems not checked", arg.proc);
        for (int i = 1; i < argc; i++) {
                struct vc_slot_filter f;
                const char *reason;
                unsigned n = 0, n_held = 0;

                if (vc_slot_filter_parse(argv[i], &f, &reason) < 0) {
                        log_msg(LOG_ERR, "%s: %s", argv[i], reason);
                        result = EXIT_PROBLEMS;
                        continue;
                }
                for (size_t j = 0; j < r.devs.n; j++) {
                        struct vc_dev *d = &r.devs.devs[j];
                        int k;

                        if (!vc_slot_match(&f, d))
                                continue;
                        n++;
                        k = vc_release_wanted(r.ctx, d, &f);
                        if (k < 0) {
                                log_msg(LOG_ERR, "%s: cannot read its driver or driver_override: %s", d->addr,
                                        strerror(-k));
                                result = EXIT_PROBLEMS;
                                continue;
                        }
                        if (k == 0) {
                                /* "release *" gives back what is held, and leaves the rest alone. */
                                log_msg(LOG_INFO, "%s [%04x:%04x]: not held (no driver_override, on %s); left alone",
                                        d->addr, d->vendor, d->device, d->driver[0] ? d->driver : "no driver");
                                continue;
                        }
                        n_held++;
                        if (r.busy[j]) {
                                log_msg(arg.force ? LOG_WARNING : LOG_ERR, "%s [%04x:%04x] carries %s%s", d->addr,
                                        d->vendor, d->device, r.busy[j],
                                        arg.force ? "; releasing it anyway (--force)" : "; not releasing it (use --force)");
                                if (!arg.force) {
                                        result = EXIT_PROBLEMS;
                                        continue;
                                }
                        }
                        k = vc_release(r.ctx, &r.cfg, d);
                        if (k < 0) {
                                log_msg(LOG_ERR, "%s: release failed: %s", d->addr, strerror(-k));
                                result = EXIT_PROBLEMS;
                        } else if (d->rule)
                                log_msg(LOG_NOTICE, "%s: %s selects it: it is claimed again at the next boot",
                                        d->addr, d->rule->origin);
                }
                if (n == 0) {
                        log_msg(LOG_ERR, "%s: no such PCI device", argv[i]);
                        result = EXIT_PROBLEMS;
                } else if (n_held == 0)
                        log_msg(LOG_NOTICE, "%s: nothing to release: no device there is held for a VM", argv[i]);
        }
        return result;
}

int main(int argc, char *argv[])
{
        static const struct {
                const char *name;
                int (*fn)(int argc, char *argv[]);
                bool takes_args;
        } verbs[] = {
                { "apply", verb_apply, false },   { "check", verb_check, false }, { "list", verb_list, false },
                { "status", verb_status, false }, { "claim", verb_claim, true },  { "release", verb_release, true },
        };
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (optind >= argc) {
                fprintf(stderr, "vfio-claim: no verb given; try --help\n");
                return EXIT_USAGE;
        }
        if (arg.dry_run && strcmp(argv[optind], "apply") && strcmp(argv[optind], "claim")) {
                fprintf(stderr, "vfio-claim: --dry-run is for apply and claim\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        if (!verbs[i].takes_args && argc - optind > 1) {
                                fprintf(stderr, "vfio-claim: %s takes no arguments\n", verbs[i].name);
                                return EXIT_USAGE;
                        }
                        r = verbs[i].fn(argc - optind, argv + optind);
                        log_close();
                        return r;
                }
        fprintf(stderr, "vfio-claim: unknown verb '%s'; try --help\n", argv[optind]);
        return EXIT_USAGE;
}
