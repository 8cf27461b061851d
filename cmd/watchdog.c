// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deadline watchdog of apply. A sysfs write can sit in a driver's probe,
 * and a module can sit on a dead disk, where no signal reaches: so the work
 * runs in a child, and the parent returns to the boot when the deadline
 * passes, naming the last step the child reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"

int64_t elapsed_ms(const struct timespec *t0)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

ssize_t read_by_deadline(int fd, void *buf, size_t size, const struct timespec *t0, int64_t deadline_ms)
{
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int64_t left = deadline_ms - elapsed_ms(t0);
                ssize_t k;
                int n;

                if (left <= 0)
                        return -ETIMEDOUT;
                n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                k = read(fd, buf, size);
                if (k < 0 && errno == EINTR)
                        continue;
                return k < 0 ? -errno : k;
        }
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

/* Returns 1 in the child, which does the work (or here, when no child can be
 * started), 0 in the parent once the child is done or the deadline passed. */
int watchdog_fork(int64_t deadline_ms, const struct timespec *t0)
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
                /* Past the deadline the parent is gone and so is the pipe's
                 * reader: the work goes on, its progress lines are dropped. */
                (void)signal(SIGPIPE, SIG_IGN);
                (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
                close(fds[0]);
                log_set_progress_fd(fds[1]);
                return 1;
        }
        close(fds[1]);
        for (;;) {
                ssize_t k = read_by_deadline(fds[0], buf + fill, sizeof(buf) - 1 - fill, t0, deadline_ms);

                /* A failing poll or read must not make the boot wait either. */
                if (k < 0)
                        break;
                if (k == 0) {
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
