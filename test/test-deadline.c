// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply's deadline with a sysfs write that never returns. The shim
 * block-bind.so (LD_PRELOAD, its path in $BLOCK_BIND_SHIM) makes every open
 * of a "bind" file block forever, as a driver's probe can hold a write to
 * bind on a real machine. apply must return to the boot after the deadline,
 * say which step was unfinished, and exit 0; the worker it leaves behind is
 * killed with the process group when the run ends.
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

TEST(blocked_bind)
{
        const char *shim = getenv("BLOCK_BIND_SHIM");
        struct tenv *e;
        struct result r = {0};
        const char *argv[32];
        size_t n;
        const char *asan = getenv("ASAN_OPTIONS");
        char *preload, *asan_options, **env;
        double t0, took;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM (meson sets it to the built block-bind shim)");
                return;
        }
        e = tenv_new();
        tenv_machine(e);
        tenv_config(e, "deadline 500ms\naddress 00:03.0\n");
        /* ASan must accept a library loaded before its runtime. */
        preload = xasprintf("LD_PRELOAD=%s", shim);
        asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        env = t_environ((const char *const[]){preload, asan_options, NULL});
        n = tenv_argv(e, argv);
        argv[n++] = "apply";
        argv[n] = NULL;
        t0 = t_now();
        t_spawn(&r, argv, &(struct t_spawn){.dir = e->dir, .env = env, .timeout = RUN_LIMIT_S});
        took = t_now() - t0;
        CHECK_RUN(&r, r.code == 0, "apply returns within %.0f s and exits 0 (took %.1f s)", RUN_LIMIT_S, took);
        CHECK_RUN(&r, took >= 0.5, "it waited for the deadline (%.2f s)", took);
        CHECK_RUN(&r, contains(r.err, "deadline of 500 ms passed; unfinished, last step: \""),
                  "it says the deadline passed and names the last step");
        CHECK_RUN(&r, contains(r.err, "the boot goes on"), "it says the boot goes on");
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
              "the steps before the stuck bind were done: the override is vfio-pci");
        free(preload);
        free(asan_options);
        free(env);
        result_clear(&r);
        tenv_free(e);
}

/*
 * A bind that returns late (a slow probe): apply returns to the boot at the
 * deadline, and the work it left in the background still finishes: the
 * bind is written and the boot log gets the last line. The child must live
 * through writing its progress to the watchdog's pipe, whose reader is gone.
 */
TEST(slow_bind_finishes_in_background)
{
        const char *shim = getenv("BLOCK_BIND_SHIM");
        const char *asan = getenv("ASAN_OPTIONS");
        struct result r = {0};
        const char *argv[32];
        char *preload, *asan_options, **env, *log = NULL;
        struct tenv *e;
        double t0;
        size_t n;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM (meson sets it to the built block-bind shim)");
                return;
        }
        e = tenv_new();
        tenv_machine(e);
        tenv_config(e, "deadline 500ms\naddress 00:03.0\n");
        preload = xasprintf("LD_PRELOAD=%s", shim);
        asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        env = t_environ((const char *const[]){preload, asan_options, "BLOCK_BIND_SECONDS=2", NULL});
        n = tenv_argv(e, argv);
        argv[n++] = "apply";
        argv[n] = NULL;
        t_spawn(&r, argv, &(struct t_spawn){.dir = e->dir, .env = env, .timeout = RUN_LIMIT_S, .leave_group = true});
        CHECK_RUN(&r, r.code == 0 && contains(r.err, "deadline of 500 ms passed"),
                  "apply returns at the deadline and exits 0");
        t0 = t_now();
        while (t_now() - t0 < RUN_LIMIT_S) {
                free(log);
                log = t_slurp(e->boot_log);
                if (log && contains(log, "done in "))
                        break;
                usleep(50 * 1000);
        }
        (void)kill(-r.pgid, SIGKILL);
        CHECK(log && contains(log, "done in "),
              "the background work went on after the slow bind and wrote its last line to the boot log: '%s'",
              log ? log : "(none)");
        CHECK(strcmp(tread(e, "bus/pci/drivers/vfio-pci/bind"), "0000:00:03.0\n") == 0, "vfio-pci's bind got it: '%s'",
              tread(e, "bus/pci/drivers/vfio-pci/bind"));
        free(log);
        free(preload);
        free(asan_options);
        free(env);
        result_clear(&r);
        tenv_free(e);
}
