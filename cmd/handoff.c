// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handing a device over at runtime without surprises or hangs (issue #21):
 * the users that claim and release name before they take a device, and the
 * deadline every runtime unbind and bind runs under.
 *
 * A write to a driver's unbind can block in the kernel for as long as a
 * process holds the device (vfio-pci waits for QEMU to close it), and no
 * signal reaches the writer. So, as at boot (cmd/watchdog.c), a child does
 * the work and reports each step on a pipe; the parent gives every step
 * the deadline, and past it says which step hangs and returns. The child
 * goes on: when the kernel finishes the write, it does the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"

struct users_log {
        int priority;
        const char *verdict; /* "; not claiming it (use --force)" ... */
        unsigned n;
};

void handoff_describe_user(const struct vc_user *u, char *buf, size_t size)
{
        if (u->kind == VC_USER_NETDEV) {
                snprintf(buf, size, "network interface %s is %s%s%s%s%s%s", u->name, u->up ? "up" : "",
                         u->up && u->master[0] ? ", " : "", u->master[0] ? "enslaved to " : "", u->master,
                         u->address[0] ? ", address " : "", u->address);
                return;
        }
        if (u->vm[0])
                snprintf(buf, size, "%s is open in PID %d (%s, VM %s)", u->name, u->pid, u->comm, u->vm);
        else
                snprintf(buf, size, "%s is open in PID %d (%s)", u->name, u->pid, u->comm);
}

static void on_user(void *userdata, const struct vc_dev *dev, const struct vc_user *u)
{
        struct users_log *l = userdata;
        char what[512];

        handoff_describe_user(u, what, sizeof(what));
        l->n++;
        log_msg(l->priority, "%s [%04x:%04x] is in use: %s%s", dev->addr, dev->vendor, dev->device, what, l->verdict);
}

int handoff_log_users(struct session *s, struct vc_dev *dev, unsigned what, int priority, const char *verdict)
{
        struct users_log l = {.priority = priority, .verdict = verdict};
        int r;

        r = vc_find_users(s->ctx, dev, what, on_user, &l);
        if (r < 0) {
                log_msg(LOG_WARNING, "%s: cannot tell who uses it: %s", dev->addr, strerror(-r));
                return r;
        }
        return (int)l.n;
}

/* The device as it is now, for the message past the deadline. */
static void log_state(struct session *s, struct vc_dev *d)
{
        char ovr[VC_ATTR_MAX] = "";

        (void)vc_dev_read_override(s->ctx, d, ovr, sizeof(ovr));
        (void)vc_dev_reread_driver(s->ctx, d);
        log_msg(LOG_ERR, "%s [%04x:%04x] now: on %s, driver_override %s", d->addr, d->vendor, d->device,
                d->driver[0] ? d->driver : "no driver", ovr[0] ? ovr : "not set");
        (void)handoff_log_users(s, d, VC_USERS_NODES | VC_USERS_VFIO, LOG_ERR, "");
}

int handoff_run(struct session *s, const struct handoff *h, int (*work)(void *), void *data)
{
        char last[512] = "(nothing reported yet)", buf[4096];
        struct timespec t0;
        size_t fill = 0;
        int fds[2], status;
        pid_t pid;

        if (h->timeout_ms <= 0)
                return work(data);
        /* Else the child's fflush(NULL) would write what we buffered a second time. */
        (void)fflush(NULL);
        if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
                log_msg(LOG_WARNING, "cannot start a child for the writes (%m); working without a deadline");
                return work(data);
        }
        if (pid == 0) {
                /* Past the deadline it finishes the job alone: a closed terminal or
                 * SSH session must not kill it between the unbind and the bind. */
                (void)setsid();
                (void)signal(SIGHUP, SIG_IGN);
                (void)signal(SIGPIPE, SIG_IGN);
                (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
                close(fds[0]);
                log_set_progress_fd(fds[1]);
                int code = work(data);

                (void)fflush(NULL);
                _exit(code);
        }
        close(fds[1]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                ssize_t k = read_by_deadline(fds[0], buf + fill, sizeof(buf) - 1 - fill, &t0, h->timeout_ms);
                char *nl;

                if (k < 0)
                        break;
                if (k == 0) {
                        close(fds[0]);
                        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                                ;
                        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_PROBLEMS;
                }
                fill += (size_t)k;
                buf[fill] = 0;
                /* Every step has the whole deadline: it starts again with each line. */
                while ((nl = strchr(buf, '\n'))) {
                        *nl = 0;
                        snprintf(last, sizeof(last), "%.*s", (int)sizeof(last) - 1, buf);
                        fill -= (size_t)(nl + 1 - buf);
                        memmove(buf, nl + 1, fill + 1);
                        clock_gettime(CLOCK_MONOTONIC, &t0);
                }
                if (fill >= sizeof(buf) - 1)
                        fill = 0;
        }
        close(fds[0]);
        log_msg(LOG_ERR, "%s: a write to sysfs did not return within %lld ms; it hangs in the kernel at: \"%s\"",
                h->verb, (long long)h->timeout_ms, last);
        for (size_t i = 0; i < s->devs.n; i++)
                if (h->devs[i])
                        log_state(s, &s->devs.devs[i]);
        log_msg(LOG_ERR,
                "the kernel may still finish that write later (for an unbind: when whoever holds the device closes it); "
                "pid %d waits for it in the background and then %s",
                (int)pid, h->then);
        return EXIT_PROBLEMS;
}
