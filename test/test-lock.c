// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One vfio-claim at a time (cmd/lock.c): RUN/vfio-claim/lock.
 *
 * A run whose bind sits in a driver's probe (the block-bind shim,
 * $BLOCK_BIND_SHIM, makes every open of a "bind" file block) holds the lock;
 * a second apply --device for the same device waits its bound (30 s), names
 * the holder's pid and verb in a warning, leaves the device alone and exits
 * 0; claim and release give up the same way with exit 1. Once the holder is
 * killed the lock is free at once (flock dies with its last descriptor).
 *
 * 24 apply --device at once, as udev runs the events of sibling functions
 * in parallel workers: every override is written, every run's lines are in
 * the boot log, each whole, and the lines of one run's work (from its
 * override to its "done") are not mixed with another device's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define EVENT_BOUND_S 30.0 /* LOCK_WAIT_EVENT_MS */
#define ADMIN_BOUND_S 5.0  /* LOCK_WAIT_ADMIN_MS */
#define N_CONCURRENT  24

/* Starts argv in a process group of its own, output to /dev/null; its pid. */
static pid_t spawn_bg(const char *const *argv, char *const *env)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        pid_t pid = -1;
        int k;

        fflush(stdout);
        k = posix_spawn_file_actions_init(&fa);
        if (k == 0)
                k = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (k == 0)
                k = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        if (k == 0)
                k = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (k == 0)
                k = posix_spawnattr_init(&attr);
        if (k == 0)
                k = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        if (k == 0)
                k = posix_spawnattr_setpgroup(&attr, 0);
        if (k == 0)
                k = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, env ? env : child_environ());
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (k != 0)
                t_fatal(__FILE__, __LINE__, argv[0], -k);
        return pid;
}

static void kill_wait(pid_t pid)
{
        (void)kill(-pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* The environment of a run under the block-bind shim; NULL (and a skip) without it. */
static char **shim_environ(void)
{
        const char *shim = getenv("BLOCK_BIND_SHIM"), *asan = getenv("ASAN_OPTIONS");
        /* The environment points at them: they live as long as the test. */
        static char *preload, *asan_options;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM (meson sets it to the built block-bind shim)");
                return NULL;
        }
        preload = xasprintf("LD_PRELOAD=%s", shim);
        /* ASan must accept a library loaded before its runtime. */
        asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        return t_environ((const char *const[]){preload, asan_options, "BLOCK_BIND_SECONDS=", NULL});
}

/* Runs the binary with e's options and the NULL-terminated arguments; the seconds it took. */
static double timed_run(struct tenv *e, struct result *r, const char *const *args)
{
        const char *argv[64];
        size_t n = tenv_argv(e, argv);
        double t0;

        while (*args && n < 63)
                argv[n++] = *args++;
        argv[n] = NULL;
        t0 = t_now();
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir, .timeout = 60});
        return t_now() - t0;
}

TEST(blocked_bind_holds_the_device)
{
        char **env = shim_environ();
        const char *argv[64];
        char *lock_path, *holder = NULL, *log, *want;
        struct result r = {0};
        struct tenv *e;
        double t0, took;
        pid_t pid;
        size_t n;

        if (!env)
                return;
        e = tenv_new();
        tenv_machine(e);
        tenv_config(e, "address 00:03.0\n");
        lock_path = xasprintf("%s/vfio-claim/lock", e->run);
        n = tenv_argv(e, argv);
        argv[n++] = "apply";
        argv[n++] = "--device";
        argv[n++] = "0000:00:03.0";
        argv[n] = NULL;
        pid = spawn_bg(argv, env);
        /* The first run holds the lock once it has recorded itself in it. */
        for (t0 = t_now(); t_now() - t0 < 30; usleep(20 * 1000)) {
                free(holder);
                holder = t_slurp(lock_path);
                if (contains(holder, "apply --device 0000:00:03.0"))
                        break;
        }
        want = xasprintf("%d apply --device 0000:00:03.0\n", (int)pid);
        CHECK(strcmp(holder, want) == 0, "the lock file names its holder: '%s' (want '%s')", holder, want);
        /* Now its bind blocks; the second run must not write behind its back. */
        took = timed_run(e, &r, (const char *const[]){"apply", "--device", "0000:00:03.0", NULL});
        log = t_slurp(e->boot_log);
        CHECK_RUN(&r, r.code == 0, "a second apply --device exits 0");
        CHECK_RUN(&r, took >= EVENT_BOUND_S - 0.1 && took < EVENT_BOUND_S + 10,
                  "it waited its bound of %.0f s for the lock, no longer (took %.1f s)", EVENT_BOUND_S, took);
        free(want);
        want = xasprintf("warning: apply --device 0000:00:03.0: another vfio-claim holds %s (pid %d apply --device "
                         "0000:00:03.0); leaving 0000:00:03.0 to it",
                         lock_path, (int)pid);
        CHECK_RUN(&r, contains(r.err, want), "it names the holder and leaves the device to it");
        CHECK(count(log, "<4>vfio-claim: apply --device 0000:00:03.0: another vfio-claim holds") == 1,
              "the boot log has that warning too");
        CHECK(count(log, "0000:00:03.0 [8086:2922]: unbinding from ahci") == 1,
              "only the holder unbound the device: '%s'", log);
        CHECK(strcmp(tread(e, "bus/pci/drivers/vfio-pci/bind"), "") == 0, "nobody wrote vfio-pci's bind meanwhile");
        result_clear(&r);

        took = timed_run(e, &r, (const char *const[]){"claim", "0000:00:03.0", NULL});
        CHECK_RUN(&r,
                  r.code == 1 && contains(r.err, "error: claim: another vfio-claim holds") &&
                          contains(r.err, "leaving the devices to it"),
                  "claim gives up with exit 1 and names the holder");
        CHECK_RUN(&r, took >= ADMIN_BOUND_S - 0.1 && took < EVENT_BOUND_S - 5, "after its bound of %.0f s (%.1f s)",
                  ADMIN_BOUND_S, took);
        result_clear(&r);
        took = timed_run(e, &r, (const char *const[]){"release", "0000:00:03.0", NULL});
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "error: release: another vfio-claim holds"),
                  "release gives up with exit 1 and names the holder");
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
              "release did not clear the holder's override");
        result_clear(&r);

        /* Boot apply waits no longer than its deadline, then leaves the devices. */
        tenv_config(e, "deadline 1s\naddress 00:03.0\n");
        took = timed_run(e, &r, (const char *const[]){"apply", NULL});
        free(log);
        log = t_slurp(e->boot_log);
        CHECK_RUN(&r, r.code == 0 && took < ADMIN_BOUND_S, "boot apply returns at its deadline of 1 s (%.1f s)", took);
        CHECK(contains(log, "<3>vfio-claim: apply: another vfio-claim holds") &&
                      contains(log, "leaving the devices of this boot to it"),
              "its worker names the holder and leaves the devices to it: '%s'", log);
        CHECK(strcmp(tread(e, "bus/pci/drivers/vfio-pci/bind"), "") == 0, "and wrote no bind");
        tenv_config(e, "address 00:03.0\n");
        result_clear(&r);

        /* The holder dies: the kernel drops its flock with it. */
        kill_wait(pid);
        took = timed_run(e, &r, (const char *const[]){"apply", "--device", "0000:00:03.0", NULL});
        CHECK_RUN(&r, r.code == 0 && took < ADMIN_BOUND_S && !contains(r.err, "another vfio-claim"),
                  "after the holder was killed the lock is free at once (%.1f s)", took);
        CHECK(strcmp(tread(e, "bus/pci/drivers/vfio-pci/bind"), "0000:00:03.0\n") == 0,
              "and that run wrote vfio-pci's bind: '%s'", tread(e, "bus/pci/drivers/vfio-pci/bind"));
        result_clear(&r);
        free(log);
        free(want);
        free(holder);
        free(lock_path);
        free(env);
        tenv_free(e);
}

/* "[    1.234567] <N>vfio-claim: TEXT": one whole boot log line. */
static bool whole_line(const char *line)
{
        const char *p = line;

        if (*p++ != '[')
                return false;
        p += strspn(p, " ");
        if (strspn(p, "0123456789") == 0)
                return false;
        p += strspn(p, "0123456789");
        if (*p++ != '.' || strspn(p, "0123456789") != 6)
                return false;
        p += 6;
        if (strncmp(p, "] <", 3) != 0 || p[3] < '0' || p[3] > '7' || strncmp(p + 4, ">vfio-claim: ", 13) != 0)
                return false;
        /* A second record inside it: two writes mixed. */
        return !strstr(p + 17, ">vfio-claim: ");
}

TEST(concurrent_events)
{
        struct tenv *e = tenv_new();
        char addr[N_CONCURRENT][16], group[N_CONCURRENT][8], *log, *bind, *save = NULL;
        const char *argv[64];
        pid_t pids[N_CONCURRENT];
        size_t n0, bad = 0, mixed = 0, lines = 0;
        int inside = -1;

        tenv_machine(e);
        for (int i = 0; i < N_CONCURRENT; i++) {
                snprintf(addr[i], sizeof(addr[i]), "0000:%02x:00.%d", 0x10 + i / 8, i % 8);
                snprintf(group[i], sizeof(group[i]), "%d", 20 + i);
                tenv_dev(e, &(struct fake_dev){.addr = addr[i],
                                               .vendor = 0x15b3,
                                               .device = 0x1018,
                                               .subvendor = 0x15b3,
                                               .subdevice = 0x0020,
                                               .class = 0x020000,
                                               .driver = "mlx5_core",
                                               .group = group[i]});
        }
        tenv_config(e, "id 15b3:1018\n");
        n0 = tenv_argv(e, argv);
        argv[n0] = "apply";
        argv[n0 + 1] = "--device";
        argv[n0 + 3] = NULL;
        for (int i = 0; i < N_CONCURRENT; i++) {
                argv[n0 + 2] = addr[i];
                pids[i] = spawn_bg(argv, NULL);
        }
        for (int i = 0; i < N_CONCURRENT; i++) {
                int status = -1;

                while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
                        ;
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "apply --device %s exits 0 (status %d)", addr[i],
                      status);
        }
        log = t_slurp(e->boot_log);
        for (int i = 0; i < N_CONCURRENT; i++) {
                char *head = xasprintf(" apply --device %s (a device that appeared; rule", addr[i]);
                char *done = xasprintf("vfio-claim: %s: done in ", addr[i]);
                char *set = xasprintf("%s [15b3:1018]: driver_override set to vfio-pci", addr[i]);

                CHECK(strcmp(tattr(e, addr[i], "driver_override"), "vfio-pci\n") == 0, "%s: override written: '%s'",
                      addr[i], tattr(e, addr[i], "driver_override"));
                CHECK(count(log, head) == 1 && count(log, done) == 1 && count(log, set) == 1,
                      "%s: its first line, its override and its last line are in the boot log once each", addr[i]);
                free(head);
                free(done);
                free(set);
        }
        /* Whole lines; and between one run's override and its "done" no other
         * device's line: the runs worked one after the other. */
        for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *p = strchr(line, ':');
                int who = -1;

                lines++;
                if (!whole_line(line)) {
                        t_diag("not a whole line: '%s'", line);
                        bad++;
                        continue;
                }
                for (int i = 0; i < N_CONCURRENT && p; i++)
                        if (strstr(line, addr[i]))
                                who = i;
                if (strstr(line, "(a device that appeared; rule"))
                        continue; /* written before the lock is taken */
                if (who >= 0 && strstr(line, "driver_override set to"))
                        inside = inside < 0 ? who : inside;
                if (who >= 0 && inside >= 0 && who != inside) {
                        t_diag("a line of %s inside the work of %s: '%s'", addr[who], addr[inside], line);
                        mixed++;
                }
                if (who >= 0 && who == inside && strstr(line, ": done in "))
                        inside = -1;
        }
        CHECK(lines >= 4 * N_CONCURRENT && bad == 0, "%zu lines in the boot log, every one whole (%zu not)", lines,
              bad);
        CHECK(mixed == 0, "the runs worked one at a time: %zu lines of one inside another's work", mixed);
        bind = strdup(tread(e, "bus/pci/drivers/vfio-pci/bind"));
        for (int i = 0; i < N_CONCURRENT; i++) {
                char *l = xasprintf("%s\n", addr[i]);

                CHECK(count(bind, l) == 1, "vfio-pci's bind got %s once", addr[i]);
                free(l);
        }
        CHECK(strlen(bind) == N_CONCURRENT * 13, "and nothing else: %zu bytes", strlen(bind));
        free(bind);
        free(log);
        tenv_free(e);
}
