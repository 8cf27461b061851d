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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST_NEEDS_BINARY()

/* Far above the 500 ms deadline, far below a stuck run. */
#define RUN_LIMIT_S 20.0

/* child_environ() plus the shim; ASan accepts a library loaded before its runtime. */
static char **shim_environ(const char *shim)
{
        char **base = child_environ(), **env;
        size_t n = 0, j = 0;
        const char *asan = getenv("ASAN_OPTIONS");

        while (base[n])
                n++;
        env = calloc(n + 3, sizeof(char *));
        if (!env)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        for (size_t i = 0; i < n; i++)
                if (strncmp(base[i], "LD_PRELOAD=", 11) != 0 && strncmp(base[i], "ASAN_OPTIONS=", 13) != 0)
                        env[j++] = base[i];
        env[j++] = xasprintf("LD_PRELOAD=%s", shim);
        env[j++] = xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        env[j] = NULL;
        return env;
}

TEST(blocked_bind)
{
        const char *shim = getenv("BLOCK_BIND_SHIM");
        struct tenv *e;
        struct result r = {0};
        const char *argv[32];
        size_t n;
        char **env;
        double t0, took;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM (meson sets it to the built block-bind shim)");
                return;
        }
        e = tenv_new();
        tenv_machine(e);
        tenv_config(e, "deadline 500ms\naddress 00:03.0\n");
        env = shim_environ(shim);
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
        for (n = 0; env[n]; n++)
                if (strncmp(env[n], "LD_PRELOAD=", 11) == 0 || strncmp(env[n], "ASAN_OPTIONS=", 13) == 0)
                        free(env[n]);
        free(env);
        result_clear(&r);
        tenv_free(e);
}
