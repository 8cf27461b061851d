// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim apply: the boot action. Claims what the configuration and the
 * kernel command line select, under the deadline watchdog, and never fails
 * the boot: every problem is logged, the exit code is 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "macro.h"
#include "output.h"

static struct {
        bool dry_run;
        const char *device;       /* --device ADDR: only that device (the udev rule) */
        const char *image_digest; /* --image-digest FILE: instead of DIGEST_FILE */
} opt;

/* What the build hook recorded of the configuration it packed, into the boot
 * log for status (which compares it with the files of the running system). */
static void log_image_digest(void)
{
        const char *path = opt.image_digest ? opt.image_digest : DIGEST_FILE;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int k;

        k = vc_read_file(path, 4096, &text, &size);
        if (k == -ENOENT) {
                log_msg(LOG_INFO, "no config digest in this image (no %s: built by an older vfio-claim)", path);
                return;
        }
        if (k < 0) {
                log_msg(LOG_WARNING, "%s: cannot read the config digest: %s", path, vc_read_strerror(k));
                return;
        }
        while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == ' '))
                text[--size] = 0;
        if (!vc_config_digest_valid(text, size)) {
                log_msg(LOG_WARNING, "%s: not a config digest (sha256:HEX); ignored", path);
                return;
        }
        log_msg(LOG_INFO, DIGEST_LOG_WORDS "%s (of the files packed at image build, %s)", text, path);
}

static void apply_devices(struct session *s, const struct timespec *t0, int64_t lock_bound_ms, bool dry_run)
{
        _cleanup_close_ int lock = RUN_LOCK_NONE;
        struct vc_apply_stats st;

        /* In the worker, which holds it to the end, past the deadline too.
         * A dry run writes nothing. */
        if (!dry_run) {
                lock = run_lock_take("apply", "the devices of this boot", t0, lock_bound_ms, LOG_ERR);
                if (lock == -ETIMEDOUT)
                        return;
        }
        /* SR-IOV VFs of "vfs N" rules first: then they are devices to select. */
        (void)vc_sriov_create(s->ctx, &s->cfg);
        /* Only devices a rule can select need their uevent read. */
        if (session_resolve(s, LOG_WARNING, true) < 0)
                return;
        (void)vc_apply(s->ctx, &s->cfg, &s->devs, NULL, 0, VC_APPLY_NEW_ID, &st);
        vc_sriov_finish(s->ctx, &s->cfg);
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *d = &s->devs.devs[i];

                if (d->rule)
                        log_msg(LOG_DEBUG, "outcome: %s [%04x:%04x] -> %s: %s (rule %s)", d->addr, d->vendor, d->device,
                                vc_dev_target(d), vc_outcome_to_string(d->outcome), d->rule->origin);
        }
        /* status --prometheus reads this line back (cmd/metrics.c): keep the two in step. */
        log_msg(st.failed || st.held ? LOG_WARNING : LOG_NOTICE,
                "done in %lld ms: %u selected, %u claimed, %u already bound, %u held off but not bound, %u failed",
                (long long)elapsed_ms(t0), st.selected, st.claimed, st.already, st.held, st.failed);
        /* The CDI spec of the named rules, before a container runtime starts. */
        if (cdi_wanted(&s->cfg) && !opt.dry_run && !s->cfg.dry_run)
                (void)cdi_write(s);
}

/*
 * apply --device ADDR: the udev rule's call for a PCI device that appeared on
 * the running system (hot-add, a VF created later). The same rules, but only
 * that device is touched, no new_id, no VFs created; and nothing is written
 * or logged above debug unless a rule selects it: the rule runs for every
 * PCI device. The kernel probed the device before udev saw it: a host driver
 * that took it is unbound, and the log names it. No deadline watchdog here:
 * udev bounds its programs itself (event timeout, 180 s by default, then
 * SIGKILL), and work left in the background past a deadline would be killed
 * with the udev worker's cgroup, half done.
 */
static int apply_device(struct session *s, struct log_config *lc)
{
        struct log_config quiet = {.to_stderr = arg.verbosity > 0, .stderr_max = LOG_DEBUG};
        _cleanup_close_ int lock = RUN_LOCK_NONE;
        char verb[32 + VC_ADDR_MAX];
        struct vc_apply_stats st;
        struct timespec t0;
        struct vc_dev *dev;
        bool dry_run;
        int k;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        (void)log_open(&quiet);
        if (session_open(s, NEED_APPLY) < 0 || s->cfg.off || s->cfg.n_rules == 0)
                return 0;
        /* That device, and what the rules make matter for it: never every device. */
        k = vc_pci_enumerate_for(s->ctx, &s->cfg, opt.device, &s->devs);
        if (k < 0) {
                log_msg(LOG_DEBUG, "%s: %s", opt.device, k == -ENODEV ? "no such PCI device" : strerror(-k));
                return 0;
        }
        (void)vc_resolve(s->ctx, &s->cfg, &s->devs);
        dev = vc_devlist_find(&s->devs, opt.device);
        if (!dev || !dev->rule) {
                log_msg(LOG_DEBUG, "%s: no rule selects it", opt.device);
                return 0;
        }
        log_close();
        lc->boot_log_append = true;
        if (log_open(lc) < 0)
                log_msg(LOG_WARNING, "%s: cannot write the boot log: %m", lc->boot_log);
        log_msg(LOG_INFO, "vfio-claim " VERSION " apply --device %s (a device that appeared; rule %s)", dev->addr,
                dev->rule->origin);
        dry_run = opt.dry_run || s->cfg.dry_run;
        vc_ctx_set_dry_run(s->ctx, dry_run);
        /* Another run working on it (the boot's worker past its deadline, a
         * sibling function's event, claim, release) finishes first; the engine
         * reads the driver and the override again under the lock. */
        if (!dry_run) {
                snprintf(verb, sizeof(verb), "apply --device %s", dev->addr);
                lock = run_lock_take(verb, dev->addr, &t0, LOCK_WAIT_EVENT_MS, LOG_WARNING);
                if (lock == -ETIMEDOUT)
                        return 0;
        }
        /* Its rule asked for it: its users are told of, not obeyed (#21). */
        if (dev->driver[0] && !vc_dev_on_vfio_driver(dev) && strcmp(dev->driver, vc_dev_target(dev)) != 0)
                (void)handoff_log_users(s, dev, VC_USERS_NET | VC_USERS_NODES | VC_USERS_VFIO, LOG_WARNING,
                                        "; claiming it all the same, as its rule asks");
        (void)vc_apply(s->ctx, &s->cfg, &s->devs, &dev, 1, 0, &st);
        log_msg(st.failed || st.held ? LOG_WARNING : LOG_NOTICE, "%s: done in %lld ms: %s", dev->addr,
                (long long)elapsed_ms(&t0), vc_outcome_to_string(dev->outcome));
        return 0;
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        struct timespec t0;
        bool live;
        const char *boot_log;
        struct log_config lc;
        int64_t deadline;
        bool dry_run;

        if (session_ctx(&s) < 0)
                return 0;
        /* The context decided it once, from what the sysfs root is (lib/sysfs.c). */
        live = vc_ctx_is_live(s.ctx);
        boot_log = arg.boot_log ? arg.boot_log : live ? BOOT_LOG : NULL;
        lc = (struct log_config){
                .kmsg = live,
                .boot_log = boot_log,
                /* At boot the console already shows kmsg; tests and a shell want stderr. */
                .to_stderr = !live || isatty(STDERR_FILENO),
                .stderr_max = stderr_threshold(),
        };
        if (opt.device)
                return apply_device(&s, &lc);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (log_open(&lc) < 0)
                log_msg(LOG_WARNING, "%s: cannot write the boot log: %m", boot_log);
        /* From here on nothing may stop the boot: every problem is logged, the exit is 0. */
        log_msg(LOG_INFO, "vfio-claim " VERSION " apply (sysfs %s)", arg.sysfs);
        log_image_digest();
        if (session_open(&s, NEED_APPLY) < 0)
                return 0;
        if (s.cfg.off) {
                log_msg(LOG_NOTICE, "vfio_claim=off on the kernel command line: claiming nothing");
                return 0;
        }
        dry_run = opt.dry_run || s.cfg.dry_run;
        vc_ctx_set_dry_run(s.ctx, dry_run);
        if (dry_run)
                log_msg(LOG_NOTICE, "dry run%s: nothing will be written",
                        s.cfg.dry_run ? " (vfio_claim.dry_run on the kernel command line)" : "");
        if (s.cfg.n_rules == 0) {
                log_msg(LOG_NOTICE, "no rules: nothing to claim");
                return 0;
        }
        deadline = s.cfg.deadline_set ? s.cfg.deadline_ms : VC_DEADLINE_DEFAULT_MS;
        if (deadline > 0 && watchdog_fork(deadline, &t0) == 0)
                return 0;
        /* The lock is waited for until nine tenths of the deadline (of the
         * default one without a deadline): a worker that gives up then still
         * tells the watchdog, which returns to the boot with its words. */
        apply_devices(&s, &t0, (deadline > 0 ? deadline : VC_DEADLINE_DEFAULT_MS) * 9 / 10, dry_run);
        return 0;
}

static const struct option_spec options[] = {
        {"dry-run", 'n', NULL, OPT_BOOL, &opt.dry_run, "log what would be written, write nothing"},
        {"device", 0, "ADDR", OPT_STRING, &opt.device,
         "only this device, silent unless a rule selects it\n(the udev rule's call for a device that appeared)"},
        {"image-digest", 0, "FILE", OPT_STRING, &opt.image_digest,
         "the digest of the configuration the build hook packed\n(default " DIGEST_FILE ")"},
};

const struct verb verb_apply = {
        .name = "apply",
        .run = run,
        VERB_OPTIONS(options),
        .help = "claim the devices the configuration selects (the boot action)",
};
