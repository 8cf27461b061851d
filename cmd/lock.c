// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One vfio-claim at a time: RUN/vfio-claim/lock, an flock(2) taken by every
 * run that writes to sysfs (boot apply's worker, apply --device for a
 * selected device, claim, release). The kernel drops an flock with the last
 * descriptor of its open file, so a killed run never leaves it behind, and
 * the watchdog's parent, which returns to the boot, never holds it: the
 * worker takes it itself. A run waits a bounded time, polling, then names
 * the holder (its pid and verb, which the holder writes into the file) and
 * leaves its devices to it.
 *
 * One lock for the machine rather than one per device: the writes are not
 * per device (new_id binds every unbound device with the ID at once, "vfs N"
 * creates VFs, release has the kernel probe again), a boot apply that
 * selects thousands of VFs would need thousands of descriptors, and a run
 * for a device no rule selects never takes it, so coldplug does not queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

/* "PID VERB..." from the lock file, printable; "" when it holds nothing usable. */
static void read_holder(int fd, char *buf, size_t size)
{
        ssize_t k = pread(fd, buf, size - 1, 0);

        buf[k > 0 ? k : 0] = 0;
        buf[strcspn(buf, "\n")] = 0;
        for (char *p = buf; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                        *p = '?';
}

int run_lock_take(const char *verb, const char *subject, const struct timespec *t0, int64_t bound_ms, int priority)
{
        char dir[4096], path[4096 + sizeof("/lock")], holder[256], me[320];
        _cleanup_close_ int fd = -1;
        unsigned pause_ms = 1;
        int n;

        n = snprintf(dir, sizeof(dir), "%s/vfio-claim", arg.run);
        if (n < 0 || (size_t)n >= sizeof(dir)) {
                log_msg(LOG_WARNING, "%s/vfio-claim/lock: path too long; working without the lock", arg.run);
                return RUN_LOCK_NONE;
        }
        snprintf(path, sizeof(path), "%s/lock", dir);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                goto no_lock;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                goto no_lock;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int64_t left = bound_ms - elapsed_ms(t0);
                struct timespec ts;

                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        goto no_lock;
                if (left <= 0) {
                        read_holder(fd, holder, sizeof(holder));
                        log_msg(priority, "%s: another vfio-claim holds %s (%s%s); leaving %s to it", verb, path,
                                holder[0] ? "pid " : "holder unknown", holder, subject);
                        return -ETIMEDOUT;
                }
                if (pause_ms > left)
                        pause_ms = (unsigned)left;
                ts = (struct timespec){.tv_sec = pause_ms / 1000, .tv_nsec = (long)(pause_ms % 1000) * 1000000};
                (void)nanosleep(&ts, NULL);
                if (pause_ms < 50)
                        pause_ms *= 2;
        }
        /* Who holds it, for a run that waits in vain; one write, after the truncation. */
        n = snprintf(me, sizeof(me), "%d %s\n", (int)getpid(), verb);
        if (ftruncate(fd, 0) < 0 || n <= 0 ||
            pwrite(fd, me, (size_t)n < sizeof(me) ? (size_t)n : sizeof(me) - 1, 0) < 0)
                log_msg(LOG_DEBUG, "%s: cannot record the holder: %m", path);
        return TAKE_FD(fd);

no_lock:
        log_msg(LOG_WARNING, "%s: cannot take the lock (%m); working without it", path);
        return RUN_LOCK_NONE;
}
