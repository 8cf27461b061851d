// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The busy check as every verb runs it: mountinfo and swaps under --proc,
 * the udev database under --run (both roots of the context), and `zpool
 * list -vPH` when the library's one read of mountinfo shows a ZFS dataset
 * and zpool is on PATH (the only program vfio-claim ever runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

#define ZPOOL_OUTPUT_MAX (1024 * 1024)
/* zpool answers in milliseconds; one that waits on a suspended pool's I/O
 * would hold the initramfs build forever. */
#define ZPOOL_TIMEOUT_MS 5000

extern char **environ;

/* The output of `zpool list -vPH`; NULL when there is no zpool, it failed or
 * it did not answer within ZPOOL_TIMEOUT_MS (killed, said). */
static char *zpool_list(void)
{
        static char *const argv[] = {(char *)"zpool", (char *)"list", (char *)"-vPH", NULL};
        posix_spawn_file_actions_t fa;
        char *buf = NULL;
        size_t size = 0;
        int pipefd[2], status;
        bool timed_out = false;
        struct timespec t0;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return NULL;
        if (posix_spawn_file_actions_init(&fa) != 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return NULL;
        }
        (void)posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        (void)posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        (void)posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        status = posix_spawnp(&pid, "zpool", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (status != 0) {
                close(pipefd[0]);
                return NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        buf = malloc(ZPOOL_OUTPUT_MAX + 1);
        for (ssize_t k = 1; buf && k > 0 && size < ZPOOL_OUTPUT_MAX;) {
                k = read_by_deadline(pipefd[0], buf + size, ZPOOL_OUTPUT_MAX - size, &t0, ZPOOL_TIMEOUT_MS);
                if (k > 0)
                        size += (size_t)k;
                timed_out = k == -ETIMEDOUT;
        }
        close(pipefd[0]);
        if (timed_out) {
                /* Not waited for: a zpool in uninterruptible sleep dies only when its I/O ends. */
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, WNOHANG);
                log_msg(LOG_WARNING,
                        "zpool list -vPH did not answer within %d s (killed): the devices of ZFS pools come from the udev database only",
                        ZPOOL_TIMEOUT_MS / 1000);
                free(buf);
                return NULL;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(buf);
                return NULL;
        }
        buf[size] = 0;
        log_msg(LOG_DEBUG, "zpool list -vPH: %zu bytes", size);
        return buf;
}

/* Called by the library only when its one read of mountinfo shows a ZFS dataset. */
static const char *zpool_once(void *userdata)
{
        char **text = userdata;

        *text = zpool_list();
        return *text;
}

int session_find_busy(struct session *s, vc_busy_fn fn, vc_busy_unknown_fn unknown, void *userdata)
{
        _cleanup_free_ char *zpool = NULL;
        struct vc_busy_query q = {
                .zpool = zpool_once,
                .zpool_data = &zpool,
                .busy = fn,
                .unknown = unknown,
                .userdata = userdata,
        };

        return vc_find_busy(s->ctx, &q, &s->devs);
}

const char *mountinfo_path(struct session *s)
{
        static char path[4096];

        if (vc_root_path(s->ctx, VC_ROOT_PROC, "self/mountinfo", path, sizeof(path)) < 0)
                snprintf(path, sizeof(path), "%s", arg.proc);
        return path;
}

void log_busy_unknown(void *userdata, const char *mnt, const char *fstype, const char *source)
{
        log_msg(LOG_WARNING,
                "cannot tell which devices carry the filesystem mounted on %s (%s%s%s): it is not counted as busy, make sure no rule selects its disks' controller",
                mnt, fstype, source && *source ? ", " : "", source ? source : "");
}
