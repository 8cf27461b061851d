// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim apply: the boot action. Claims what the configuration and the
 * kernel command line select, under the deadline watchdog, and never fails
 * the boot: every problem is logged, the exit code is 0.
 */
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "macro.h"
#include "output.h"

static void apply_devices(struct session *s, const struct timespec *t0)
{
        struct vc_apply_stats st;

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
        if (cdi_wanted(&s->cfg) && !arg.dry_run && !s->cfg.dry_run)
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
        struct vc_apply_stats st;
        struct timespec t0;
        struct vc_dev *dev;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        (void)log_open(&quiet);
        if (session_open(s, NEED_APPLY) < 0 || s->cfg.off || s->cfg.n_rules == 0 || session_resolve(s, -1, true) < 0)
                return 0;
        dev = vc_devlist_find(&s->devs, arg.device);
        if (!dev || !dev->rule) {
                log_msg(LOG_DEBUG, "%s: no rule selects it", arg.device);
                return 0;
        }
        log_close();
        lc->boot_log_append = true;
        if (log_open(lc) < 0)
                log_msg(LOG_WARNING, "%s: cannot write the boot log: %m", lc->boot_log);
        log_msg(LOG_INFO, "vfio-claim " VERSION " apply --device %s (a device that appeared; rule %s)", dev->addr,
                dev->rule->origin);
        vc_ctx_set_dry_run(s->ctx, arg.dry_run || s->cfg.dry_run);
        (void)vc_apply(s->ctx, &s->cfg, &s->devs, &dev, 1, 0, &st);
        log_msg(st.failed || st.held ? LOG_WARNING : LOG_NOTICE, "%s: done in %lld ms: %s", dev->addr,
                (long long)elapsed_ms(&t0), vc_outcome_to_string(dev->outcome));
        return 0;
}

int verb_apply(int argc, char *argv[])
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
        if (arg.device)
                return apply_device(&s, &lc);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (log_open(&lc) < 0)
                log_msg(LOG_WARNING, "%s: cannot write the boot log: %m", boot_log);
        /* From here on nothing may stop the boot: every problem is logged, the exit is 0. */
        log_msg(LOG_INFO, "vfio-claim " VERSION " apply (sysfs %s)", arg.sysfs);
        if (session_open(&s, NEED_APPLY) < 0)
                return 0;
        if (s.cfg.off) {
                log_msg(LOG_NOTICE, "vfio_claim=off on the kernel command line: claiming nothing");
                return 0;
        }
        dry_run = arg.dry_run || s.cfg.dry_run;
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
        apply_devices(&s, &t0);
        return 0;
}
