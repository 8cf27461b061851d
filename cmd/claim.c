// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim claim and release: the same engine as apply, now, on what the
 * command line names; and the way back to the host driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

/* The options of both: release takes --force and --prometheus. */
static struct {
        bool dry_run;
        bool force;             /* even a device that carries a mounted filesystem */
        const char *prometheus; /* the metrics file to refresh */
        const char *timeout;    /* --timeout DURATION: each unbind and bind's deadline */
} opt;

/* --timeout, in the boot's duration syntax; <0: a usage error (said). */
static int64_t timeout_ms(void)
{
        int64_t ms = HANDOFF_TIMEOUT_DEFAULT_MS;

        if (opt.timeout && vc_parse_duration_ms(opt.timeout, &ms) < 0) {
                log_msg(LOG_ERR, "--timeout %s: not a duration (10s, 10, 500ms; 0: none)", opt.timeout);
                return -1;
        }
        return opt.dry_run ? 0 : ms;
}

/* Both write to sysfs: the kernel log hears of it, and only root may. */
static int open_runtime(struct session *s, const char *verb, enum session_need need)
{
        struct log_config lc = {
                .to_stderr = true,
                .stderr_max = stderr_threshold(),
        };
        bool live;

        if (session_ctx(s) < 0)
                return -ENOMEM;
        live = vc_ctx_is_live(s->ctx);
        lc.kmsg = live && !opt.dry_run;
        (void)log_open(&lc);
        if (live && geteuid() != 0 && !opt.dry_run) {
                log_msg(LOG_ERR, "%s writes to /sys: run it as root", verb);
                return -EPERM;
        }
        if (session_open(s, need) < 0)
                return -ENOMEM;
        vc_ctx_set_dry_run(s->ctx, opt.dry_run);
        return 0;
}

/* The lock against other runs (cmd/lock.c), a few seconds at most; a dry run
 * writes nothing and needs none. -ETIMEDOUT: another run has them, logged. */
static int take_lock(int *lock, const char *verb)
{
        struct timespec t0;

        if (opt.dry_run)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        *lock = run_lock_take(verb, "the devices", &t0, LOCK_WAIT_ADMIN_MS, LOG_ERR);
        return *lock == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* A device that carries a mounted filesystem or swap: refused, or (--force) done anyway. */
static void log_busy(const struct vc_dev *dev, const char *what, const char *doing)
{
        log_msg(opt.force ? LOG_WARNING : LOG_ERR,
                opt.force ? "%s [%04x:%04x] carries %s; %s it anyway (--force)"
                          : "%s [%04x:%04x] carries %s; not %s it (use --force)",
                dev->addr, dev->vendor, dev->device, what, doing);
}

/* ---- claim ---- */

static bool is_rule_keyword(const char *s)
{
        return strcmp(s, "address") == 0 || strcmp(s, "id") == 0 || strcmp(s, "subsystem") == 0 ||
               strcmp(s, "serial") == 0 || strcmp(s, "slot") == 0 || strcmp(s, "path") == 0;
}

/* "claim id 10de:1b80" is one rule; "claim 01:00.0 02:00.0" one address rule each. */
static void add_rules(struct session *s, int argc, char *argv[])
{
        if (is_rule_keyword(argv[1])) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;

                for (int i = 1; i < argc; i++)
                        len += strlen(argv[i]) + 1;
                text = calloc(1, len + 1);
                if (!text) {
                        s->cfg.n_errors++;
                        return;
                }
                for (int i = 1; i < argc; i++) {
                        strcat(text, argv[i]);
                        strcat(text, " ");
                }
                (void)vc_config_add_line(s->ctx, &s->cfg, "command line", text);
                return;
        }
        for (int i = 1; i < argc; i++) {
                char line[256], origin[64];

                snprintf(origin, sizeof(origin), "argument %d", i);
                if (snprintf(line, sizeof(line), "address %s", argv[i]) >= (int)sizeof(line)) {
                        log_msg(LOG_ERR, "%s: selector too long", origin);
                        s->cfg.n_errors++;
                        continue;
                }
                (void)vc_config_add_line(s->ctx, &s->cfg, origin, line);
        }
}

/* The owner and mode of the VFIO nodes and the power and reset policy are
 * the configuration's business: an argument rule without them takes them
 * from the first rule of the configuration files that selects the same
 * device, as apply --device would. */
static void options_from_config(struct session *s)
{
        struct vc_config cfg = {0};
        char main_file[4096], dropin_dir[4096];

        if (arg.config)
                (void)vc_config_load(s->ctx, &cfg, arg.config, NULL);
        else if (config_paths(main_file, dropin_dir) >= 0)
                (void)vc_config_load(s->ctx, &cfg, main_file, dropin_dir);
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *d = &s->devs.devs[i];
                struct vc_rule *r = d->rule ? &s->cfg.rules[d->rule - s->cfg.rules] : NULL;

                if (!r || (vc_rule_has_perms(r) && vc_power_wanted(&r->power)))
                        continue;
                for (size_t j = 0; j < cfg.n_rules; j++) {
                        const struct vc_rule *c = &cfg.rules[j];

                        if (!vc_rule_matches(c, d))
                                continue;
                        if (!vc_power_wanted(&r->power))
                                r->power = c->power;
                        if (!vc_rule_has_perms(r) && vc_rule_has_perms(c)) {
                                r->has_owner = c->has_owner;
                                r->has_mode = c->has_mode;
                                r->mode = c->mode;
                                memcpy(r->owner_user, c->owner_user, sizeof(r->owner_user));
                                memcpy(r->owner_group, c->owner_group, sizeof(r->owner_group));
                        }
                        break;
                }
        }
        vc_config_clear(&cfg);
}

static void on_busy_refuse(void *userdata, const struct vc_dev *dev, const char *what)
{
        unsigned *n = userdata;

        if (!dev->rule || dev->rule->allow_busy)
                return;
        (*n)++;
        log_busy(dev, what, "claiming");
}

/* The users of each device claim takes from a host driver; how many there are. */
static unsigned claim_users(struct session *s, bool *devs)
{
        unsigned n = 0;

        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                int k;

                if (!d->rule)
                        continue;
                devs[i] = true;
                if (!d->driver[0] || vc_dev_on_vfio_driver(d) || strcmp(d->driver, vc_dev_target(d)) == 0)
                        continue;
                k = handoff_log_users(s, d, VC_USERS_NET | VC_USERS_NODES | VC_USERS_VFIO,
                                      opt.force ? LOG_WARNING : LOG_ERR,
                                      opt.force ? "; claiming it anyway (--force): that user loses it"
                                                : "; not claiming it (use --force)");
                if (k > 0)
                        n += (unsigned)k;
        }
        return n;
}

struct claim_work {
        struct session *s;
};

/* In the child under the deadline (handoff_run()): the writes, then the result. */
static int claim_work(void *data)
{
        struct session *s = ((struct claim_work *)data)->s;
        struct vc_apply_stats st;
        int result = 0;

        (void)vc_apply(s->ctx, &s->cfg, &s->devs, NULL, 0, 0, &st);
        if (!opt.dry_run)
                fleet_refresh(NULL, opt.prometheus);
        for (size_t i = 0; i < s->cfg.n_rules; i++)
                if (s->cfg.rules[i].state != VC_RULE_OK)
                        result = EXIT_PROBLEMS;
        if (st.failed || st.held)
                result = EXIT_PROBLEMS;
        return result;
}

static int run_claim(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_close_ int lock = RUN_LOCK_NONE;
        _cleanup_free_ bool *devs = NULL;
        struct claim_work w = {&s};
        struct handoff h = {.verb = "claim", .then = "binds the device as asked: the claim completes then"};
        unsigned busy = 0, users;

        if (open_runtime(&s, "claim", NEED_ARGS) < 0)
                return EXIT_PROBLEMS;
        h.timeout_ms = timeout_ms();
        if (h.timeout_ms < 0)
                return EXIT_USAGE;
        add_rules(&s, argc, argv);
        if (s.cfg.n_errors > 0 || s.cfg.n_rules == 0)
                return EXIT_USAGE;
        s.now_only = true;
        if (session_resolve(&s, LOG_ERR, false) < 0)
                return EXIT_PROBLEMS;
        options_from_config(&s);
        if (session_find_busy(&s, on_busy_refuse, log_busy_unknown, &busy) < 0)
                log_msg(LOG_WARNING, "%s: cannot read; mounted filesystems not checked", mountinfo_path(&s));
        devs = calloc(s.devs.n + 1, sizeof(bool));
        if (!devs)
                return EXIT_PROBLEMS;
        h.devs = devs;
        users = claim_users(&s, devs);
        if ((busy > 0 || users > 0) && !opt.force)
                return EXIT_PROBLEMS;
        if (take_lock(&lock, "claim") < 0)
                return EXIT_PROBLEMS;
        return handoff_run(&s, &h, claim_work, &w);
}

/* ---- release ---- */

struct busy_marks {
        const struct vc_devlist *devs;
        char **what; /* per device, what it carries, NULL: nothing */
};

static void on_busy_mark(void *userdata, const struct vc_dev *dev, const char *what)
{
        struct busy_marks *m = userdata;
        size_t i = (size_t)(dev - m->devs->devs);

        if (!m->what[i])
                m->what[i] = strdup(what);
}

static void busy_marks_done(struct busy_marks *m)
{
        for (size_t i = 0; m->what && i < m->devs->n; i++)
                free(m->what[i]);
        free(m->what);
}

/* Releases what argument addr names; returns the exit code it earns. */
static int release_one(struct session *s, const struct busy_marks *busy, const char *addr)
{
        struct vc_slot_filter f;
        const char *reason;
        unsigned n = 0, n_held = 0;
        int result = 0;

        if (vc_slot_filter_parse(addr, &f, &reason) < 0) {
                log_msg(LOG_ERR, "%s: %s", addr, reason);
                return EXIT_PROBLEMS;
        }
        for (size_t j = 0; j < s->devs.n; j++) {
                struct vc_dev *d = &s->devs.devs[j];
                int k;

                if (!vc_slot_match(&f, d))
                        continue;
                n++;
                k = vc_release_wanted(s->ctx, d, &f);
                if (k < 0) {
                        log_msg(LOG_ERR, "%s: cannot read its driver or driver_override: %s", d->addr, strerror(-k));
                        result = EXIT_PROBLEMS;
                        continue;
                }
                if (k == 0) {
                        log_msg(LOG_INFO, "%s [%04x:%04x]: not held (no driver_override, on %s); left alone", d->addr,
                                d->vendor, d->device, d->driver[0] ? d->driver : "no driver");
                        continue;
                }
                n_held++;
                /* vfio-pci's unbind waits for its user (QEMU) to let go, in the kernel. */
                if (vc_dev_on_vfio_driver(d) &&
                    handoff_log_users(s, d, VC_USERS_VFIO, opt.force ? LOG_WARNING : LOG_ERR,
                                      opt.force ? "; releasing it anyway (--force): the unbind waits until it closes it"
                                                : "; not releasing it (use --force)") > 0 &&
                    !opt.force) {
                        result = EXIT_PROBLEMS;
                        continue;
                }
                if (busy->what[j]) {
                        log_busy(d, busy->what[j], "releasing");
                        if (!opt.force) {
                                result = EXIT_PROBLEMS;
                                continue;
                        }
                }
                k = vc_release(s->ctx, &s->cfg, d);
                if (k < 0) {
                        log_msg(LOG_ERR, "%s: release failed: %s", d->addr, strerror(-k));
                        result = EXIT_PROBLEMS;
                } else if (d->rule)
                        log_msg(LOG_NOTICE, "%s: %s selects it: it is claimed again at the next boot", d->addr,
                                d->rule->origin);
        }
        if (n == 0) {
                log_msg(LOG_ERR, "%s: no such PCI device", addr);
                return EXIT_PROBLEMS;
        }
        if (n_held == 0)
                log_msg(LOG_NOTICE, "%s: nothing to release: no device there is held for a VM", addr);
        return result;
}

struct release_work {
        struct session *s;
        const struct busy_marks *busy;
        int argc;
        char **argv;
};

/* In the child under the deadline (handoff_run()). */
static int release_work(void *data)
{
        struct release_work *w = data;
        int result = 0;

        for (int i = 1; i < w->argc; i++) {
                int k = release_one(w->s, w->busy, w->argv[i]);

                if (k)
                        result = k;
        }
        fleet_refresh(w->s, opt.prometheus);
        return result;
}

/* The devices the arguments name, for the message past the deadline. */
static void mark_named(struct session *s, int argc, char *argv[], bool *devs)
{
        for (int i = 1; i < argc; i++) {
                struct vc_slot_filter f;
                const char *reason;

                if (vc_slot_filter_parse(argv[i], &f, &reason) < 0)
                        continue;
                for (size_t j = 0; j < s->devs.n; j++)
                        devs[j] = devs[j] || vc_slot_match(&f, &s->devs.devs[j]);
        }
}

static int run_release(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_close_ int lock = RUN_LOCK_NONE;
        _cleanup_(busy_marks_done) struct busy_marks busy = {&s.devs, NULL};
        _cleanup_free_ bool *devs = NULL;
        struct release_work w = {&s, &busy, argc, argv};
        struct handoff h = {.verb = "release",
                            .then = "gives the device to its host driver: the release completes then"};

        /* The configuration names the dynamic ids that would take the device back. */
        if (open_runtime(&s, "release", NEED_NONE) < 0)
                return EXIT_PROBLEMS;
        h.timeout_ms = timeout_ms();
        if (h.timeout_ms < 0)
                return EXIT_USAGE;
        if (session_resolve(&s, -1, false) < 0)
                return EXIT_PROBLEMS;
        /* Unbinding the controller under / is as fatal as claiming it. */
        busy.what = calloc(s.devs.n + 1, sizeof(char *));
        if (!busy.what)
                return EXIT_PROBLEMS;
        if (session_find_busy(&s, on_busy_mark, log_busy_unknown, &busy) < 0)
                log_msg(LOG_WARNING, "%s: cannot read; mounted filesystems not checked", mountinfo_path(&s));
        devs = calloc(s.devs.n + 1, sizeof(bool));
        if (!devs)
                return EXIT_PROBLEMS;
        mark_named(&s, argc, argv, devs);
        h.devs = devs;
        if (take_lock(&lock, "release") < 0)
                return EXIT_PROBLEMS;
        return handoff_run(&s, &h, release_work, &w);
}

static const struct option_spec claim_options[] = {
        {"dry-run", 'n', NULL, OPT_BOOL, &opt.dry_run, "log what would be written, write nothing"},
        {"force", 'f', NULL, OPT_BOOL, &opt.force,
         "even a device in use: mounted, swap, an interface up,\na node open in a process"},
        {"prometheus", 0, "FILE", OPT_STRING, &opt.prometheus,
         "the metrics file to refresh (default\n" METRICS_FILE ", when it exists)"},
        {"timeout", 0, "DURATION", OPT_STRING, &opt.timeout,
         "deadline of each unbind and bind (default 10s;\n500ms, 10s, 0: none)"},
};

const struct verb verb_claim = {
        .name = "claim",
        .run = run_claim,
        VERB_ARGS("SELECTOR...", 1, VERB_ARGS_MANY,
                  "claim needs a selector: an address, or a rule such as 'id 10de:1b80'"),
        VERB_OPTIONS(claim_options),
        .help = "claim devices now (addresses, or one rule: claim id 10de:1b80)",
};

static const struct option_spec release_options[] = {
        {"force", 'f', NULL, OPT_BOOL, &opt.force,
         "even a device in use: mounted, swap, its VFIO node\nopen in a process (QEMU)"},
        {"prometheus", 0, "FILE", OPT_STRING, &opt.prometheus,
         "the metrics file to refresh (default\n" METRICS_FILE ", when it exists)"},
        {"timeout", 0, "DURATION", OPT_STRING, &opt.timeout,
         "deadline of each unbind and bind (default 10s;\n500ms, 10s, 0: none)"},
};

const struct verb verb_release = {
        .name = "release",
        .run = run_release,
        VERB_ARGS("ADDRESS...", 1, VERB_ARGS_MANY, "release needs one or more addresses"),
        VERB_OPTIONS(release_options),
        .help = "give devices back to their host driver",
};
