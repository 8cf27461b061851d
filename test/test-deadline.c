// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply's deadline with a sysfs write that does not return in time. The
 * shim block-bind.so (LD_PRELOAD, its path in $BLOCK_BIND_SHIM) makes every
 * open of a "bind" file block, forever or ($BLOCK_BIND_SECONDS) for a while,
 * as a driver's probe can hold a write to bind on a real machine. apply must
 * return to the boot after the deadline, say which step was unfinished, and
 * exit 0; the worker it leaves behind goes on with the work.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

/* Far above the 500 ms deadline, far below a stuck run. */
#define RUN_LIMIT_S 20.0

struct shim_run {
        struct tenv *e;
        struct result r;
        double took; /* seconds until apply returned */
};

/* apply with "deadline 500ms" on 00:03.0, under the shim; bind_seconds NULL:
 * the bind never returns. false (and a skip) without the shim. */
static bool run_under_shim(struct shim_run *x, const char *bind_seconds, bool leave_group)
{
        const char *shim = getenv("BLOCK_BIND_SHIM"), *asan = getenv("ASAN_OPTIONS");
        char *preload, *asan_options, *seconds, **env;
        const char *argv[32];
        double t0;
        size_t n;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM (meson sets it to the built block-bind shim)");
                return false;
        }
        *x = (struct shim_run){.e = tenv_new()};
        tenv_machine(x->e);
        tenv_config(x->e, "deadline 500ms\naddress 00:03.0\n");
        preload = xasprintf("LD_PRELOAD=%s", shim);
        /* ASan must accept a library loaded before its runtime. */
        asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        seconds = xasprintf("BLOCK_BIND_SECONDS=%s", bind_seconds ? bind_seconds : "");
        env = t_environ((const char *const[]){preload, asan_options, seconds, NULL});
        n = tenv_argv(x->e, argv);
        argv[n++] = "apply";
        argv[n] = NULL;
        t0 = t_now();
        t_spawn(&x->r, argv,
                &(struct t_spawn){.dir = x->e->dir, .env = env, .timeout = RUN_LIMIT_S, .leave_group = leave_group});
        x->took = t_now() - t0;
        free(preload);
        free(asan_options);
        free(seconds);
        free(env);
        return true;
}

static void shim_run_clear(struct shim_run *x)
{
        result_clear(&x->r);
        tenv_free(x->e);
}

TEST(blocked_bind)
{
        struct shim_run x;

        if (!run_under_shim(&x, NULL, false))
                return;
        CHECK_RUN(&x.r, x.r.code == 0, "apply returns within %.0f s and exits 0 (took %.1f s)", RUN_LIMIT_S, x.took);
        CHECK_RUN(&x.r, x.took >= 0.5, "it waited for the deadline (%.2f s)", x.took);
        CHECK_RUN(&x.r, contains(x.r.err, "deadline of 500 ms passed; unfinished, last step: \""),
                  "it says the deadline passed and names the last step");
        CHECK_RUN(&x.r, contains(x.r.err, "the boot goes on"), "it says the boot goes on");
        CHECK(strcmp(tattr(x.e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
              "the steps before the stuck bind were done: the override is vfio-pci");
        shim_run_clear(&x);
}

/*
 * A bind that returns late (a slow probe): apply returns to the boot at the
 * deadline, and the work it left in the background still finishes: the
 * bind is written and the boot log gets the last line. The child must live
 * through writing its progress to the watchdog's pipe, whose reader is gone.
 */
TEST(slow_bind_finishes_in_background)
{
        struct shim_run x;
        char *log = NULL;
        double t0;

        if (!run_under_shim(&x, "2", true))
                return;
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, "deadline of 500 ms passed"),
                  "apply returns at the deadline and exits 0");
        t0 = t_now();
        while (t_now() - t0 < RUN_LIMIT_S) {
                free(log);
                log = t_slurp(x.e->boot_log);
                if (log && contains(log, "done in "))
                        break;
                usleep(50 * 1000);
        }
        (void)kill(-x.r.pgid, SIGKILL);
        CHECK(log && contains(log, "done in "),
              "the background work went on after the slow bind and wrote its last line to the boot log: '%s'",
              log ? log : "(none)");
        CHECK(strcmp(tread(x.e, "bus/pci/drivers/vfio-pci/bind"), "0000:00:03.0\n") == 0,
              "vfio-pci's bind got it: '%s'", tread(x.e, "bus/pci/drivers/vfio-pci/bind"));
        free(log);
        shim_run_clear(&x);
}
