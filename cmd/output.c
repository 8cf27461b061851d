// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "output.h"

static struct {
        struct log_config c;
        int kmsg_fd;
        int progress_fd;
        int boot_log_fd;
        unsigned counts[8];
        char **msgs;
        int *prios;
        size_t n_msgs;
} L = {.kmsg_fd = -1, .progress_fd = -1, .boot_log_fd = -1};

static int mkdir_parents(const char *path)
{
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

int log_open(const struct log_config *c)
{
        int r = 0;

        L.c = *c;
        if (c->kmsg) {
                L.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                /* No kmsg (no devtmpfs yet, not root): the console is the next best place. */
                if (L.kmsg_fd < 0)
                        L.c.to_stderr = true;
        }
        if (c->boot_log) {
                int fd;

                (void)mkdir_parents(c->boot_log);
                /* Always O_APPEND: apply --device runs (udev's workers) and a boot
                 * apply's background worker write the same file at once, and each
                 * line is one write() at the end (log_msgv), never one at a stale
                 * offset over another run's line. Boot apply starts it afresh. */
                fd = open(c->boot_log,
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
                                  (c->boot_log_append ? 0 : O_TRUNC),
                          0644);
                if (fd < 0)
                        r = negative_errno();
                L.boot_log_fd = fd;
        }
        return r;
}

void log_close(void)
{
        if (L.kmsg_fd >= 0)
                close(L.kmsg_fd);
        L.kmsg_fd = -1;
        if (L.boot_log_fd >= 0)
                close(L.boot_log_fd);
        L.boot_log_fd = -1;
        for (size_t i = 0; i < L.n_msgs; i++)
                free(L.msgs[i]);
        free(L.msgs);
        free(L.prios);
        L.msgs = NULL;
        L.prios = NULL;
        L.n_msgs = 0;
}

static const char *prio_word(int priority)
{
        return priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "";
}

static void collect(int priority, const char *msg)
{
        char **m = realloc(L.msgs, (L.n_msgs + 1) * sizeof(char *));
        int *p;

        if (!m)
                return;
        L.msgs = m;
        p = realloc(L.prios, (L.n_msgs + 1) * sizeof(int));
        if (!p)
                return;
        L.prios = p;
        m[L.n_msgs] = strdup(msg);
        if (!m[L.n_msgs])
                return;
        p[L.n_msgs++] = priority;
}

void log_msgv(int priority, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;

        priority &= LOG_PRIMASK;
        if (vasprintf(&msg, fmt, ap) < 0)
                return;
        for (int p = priority; p < 8; p++)
                L.counts[p]++;
        if (L.kmsg_fd >= 0 && priority <= LOG_INFO) {
                char line[1024];
                int n = snprintf(line, sizeof(line), "<%d>vfio-claim: %s\n", priority, msg);

                /* One write() is one kmsg record; a long message is cut, not split. */
                if (n > 0)
                        (void)!write(L.kmsg_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        }
        if (L.boot_log_fd >= 0) {
                _cleanup_free_ char *line = NULL;
                struct timespec ts;
                int n;

                clock_gettime(CLOCK_MONOTONIC, &ts);
                n = asprintf(&line, "[%5lld.%06ld] <%d>vfio-claim: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000,
                             priority, msg);
                /* One write() per line: with O_APPEND, lines of concurrent runs never mix. */
                if (n > 0)
                        (void)!write(L.boot_log_fd, line, (size_t)n);
        }
        if (L.progress_fd >= 0) {
                char line[512];
                int n = snprintf(line, sizeof(line), "%s\n", msg);

                if (n > 0 && (size_t)n >= sizeof(line))
                        line[sizeof(line) - 2] = '\n', n = sizeof(line) - 1;
                /* The pipe is the watchdog's; if it is full or gone, the work matters more. */
                if (n > 0 && write(L.progress_fd, line, (size_t)n) < 0 && errno == EPIPE) {
                        close(L.progress_fd);
                        L.progress_fd = -1;
                }
        }
        if (L.c.collect && priority <= L.c.stderr_max)
                collect(priority, msg);
        else if (L.c.to_stderr && priority <= L.c.stderr_max)
                fprintf(stderr, "vfio-claim: %s%s\n", prio_word(priority), msg);
}

void log_set_progress_fd(int fd)
{
        L.progress_fd = fd;
}

void log_msg(int priority, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_msgv(priority, fmt, ap);
        va_end(ap);
}

void log_lib(void *userdata, int priority, const char *fmt, va_list ap)
{
        log_msgv(priority, fmt, ap);
}

unsigned log_count(int priority)
{
        return L.counts[priority & LOG_PRIMASK];
}

size_t log_collected(const char ***ret_msgs, const int **ret_prios)
{
        *ret_msgs = (const char **)L.msgs;
        *ret_prios = L.prios;
        return L.n_msgs;
}

/* ---- JSON ---- */

#define JSON_DEPTH_MAX 16

static struct {
        int depth;
        bool first[JSON_DEPTH_MAX];
        bool after_key;
} J;

static void json_sep(void)
{
        if (J.after_key) {
                J.after_key = false;
                return;
        }
        if (J.depth > 0 && !J.first[J.depth])
                fputc(',', stdout);
        if (J.depth > 0)
                J.first[J.depth] = false;
}

static void json_open(char c)
{
        json_sep();
        fputc(c, stdout);
        if (J.depth < JSON_DEPTH_MAX - 1)
                J.depth++;
        J.first[J.depth] = true;
}

static void json_close(char c)
{
        fputc(c, stdout);
        if (J.depth > 0)
                J.depth--;
}

void json_begin_object(void)
{
        json_open('{');
}

void json_end_object(void)
{
        json_close('}');
}

void json_begin_array(void)
{
        json_open('[');
}

void json_end_array(void)
{
        json_close(']');
}

/* Length of the valid UTF-8 sequence at p, 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
        size_t n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p <= 0xdf ? 2 : 0;

        if (*p >= 0xf5)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        /* Overlong three-byte forms and surrogates are not text. */
        if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
                return 0;
        if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
                return 0;
        return n;
}

static void json_raw_string(const char *s)
{
        fputc('"', stdout);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                size_t n;

                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", stdout);
                else if (*p == '\t')
                        fputs("\\t", stdout);
                else if (*p < 0x20 || *p == 0x7f)
                        printf("\\u%04x", *p);
                else if (*p < 0x80)
                        fputc(*p, stdout);
                else if ((n = utf8_len(p)) > 0) {
                        fwrite(p, 1, n, stdout);
                        p += n - 1;
                } else
                        /* Bytes from sysfs or a config are not promised to be UTF-8: keep them visible. */
                        printf("\\u%04x", *p);
        }
        fputc('"', stdout);
}

void json_key(const char *key)
{
        json_sep();
        json_raw_string(key);
        fputc(':', stdout);
        J.after_key = true;
}

void json_string(const char *s)
{
        json_sep();
        json_raw_string(s);
}

void json_int(int64_t v)
{
        json_sep();
        printf("%lld", (long long)v);
}

void json_bool(bool v)
{
        json_sep();
        fputs(v ? "true" : "false", stdout);
}

void json_null(void)
{
        json_sep();
        fputs("null", stdout);
}

void json_member_string(const char *key, const char *value)
{
        json_key(key);
        if (value && value[0])
                json_string(value);
        else
                json_null();
}

void json_end(void)
{
        fputc('\n', stdout);
        J.depth = 0;
        J.after_key = false;
}

/* ---- JSON pieces the verbs share ---- */

void json_messages(void)
{
        const char **msgs;
        const int *prios;
        size_t n = log_collected(&msgs, &prios);

        json_key("messages");
        json_begin_array();
        for (size_t i = 0; i < n; i++) {
                json_begin_object();
                json_key("priority");
                json_string(prios[i] <= LOG_ERR       ? "error"
                            : prios[i] == LOG_WARNING ? "warning"
                            : prios[i] <= LOG_INFO    ? "info"
                                                      : "debug");
                json_key("message");
                json_string(msgs[i]);
                json_end_object();
        }
        json_end_array();
}

void json_dev_ids(const struct vc_dev *d)
{
        char buf[32];

        json_key("address");
        json_string(d->addr);
        snprintf(buf, sizeof(buf), "%04x:%04x", d->vendor, d->device);
        json_key("id");
        json_string(buf);
        snprintf(buf, sizeof(buf), "%04x:%04x", d->subvendor, d->subdevice);
        json_key("subsystem");
        json_string(buf);
        snprintf(buf, sizeof(buf), "%06x", d->class);
        json_key("class");
        json_string(buf);
        json_key("driver");
        if (d->driver[0])
                json_string(d->driver);
        else
                json_null();
}
