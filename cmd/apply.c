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
        (void)vc_apply(s->ctx, &s->cfg, &s->devs, VC_APPLY_NEW_ID, &st);
        vc_sriov_finish(s->ctx, &s->cfg);
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *d = &s->devs.devs[i];

                if (d->rule)
                        log_msg(LOG_DEBUG, "outcome: %s [%04x:%04x] -> %s: %s (rule %s)", d->addr, d->vendor,
                                d->device, d->rule->driver, vc_outcome_to_string(d->outcome), d->rule->origin);
        }
        log_msg(st.failed || st.held ? LOG_WARNING : LOG_NOTICE,
                "done in %lld ms: %u selected, %u claimed, %u already bound, %u held off but not bound, %u failed",
                (long long)elapsed_ms(t0), st.selected, st.claimed, st.already, st.held, st.failed);
}

int verb_apply(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = { 0 };
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
        bool dry_run;

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
