/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vfio-claim.h"

/* ---- the one logger: /dev/kmsg, the boot log file, stderr, or a JSON list ---- */

struct log_config {
        bool kmsg;            /* also to /dev/kmsg (priority <= LOG_INFO) */
        const char *boot_log; /* also to this file (every priority), NULL: none */
        bool boot_log_append;
        bool to_stderr;
        int stderr_max; /* highest priority shown on stderr */
        bool collect;   /* keep messages for a JSON document instead of stderr */
};

int log_open(const struct log_config *c);
void log_close(void);
void log_msgv(int priority, const char *fmt, va_list ap);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_lib(void *userdata, int priority, const char *fmt, va_list ap);
unsigned log_count(int priority);
/* Every message also goes to fd as a line, for a watchdog parent (-1: none). */
void log_set_progress_fd(int fd); /* messages logged at this priority or worse */
size_t log_collected(const char ***ret_msgs, const int **ret_prios);

/* ---- a small JSON writer on stdout ---- */

void json_begin_object(void);
void json_end_object(void);
void json_begin_array(void);
void json_end_array(void);
void json_key(const char *key);
void json_string(const char *s);
void json_int(int64_t v);
void json_bool(bool v);
void json_null(void);
/* "key": value, or "key": null when value is NULL or "". */
void json_member_string(const char *key, const char *value);
void json_end(void);
/* "messages": what the logger collected (log_config.collect), with their priorities. */
void json_messages(void);
/* address, id, subsystem, class and driver of a device, as members of the open object. */
void json_dev_ids(const struct vc_dev *d);
