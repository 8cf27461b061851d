/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vfio-claim.h"

/* snprintf into a fixed buffer; -ENAMETOOLONG instead of silent truncation. */
int vc_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int vc_write_attr(const char *path, const char *value, bool append);
int vc_read_attr(const char *path, char *buf, size_t size);
int vc_read_attr_at(int dirfd, const char *path, char *buf, size_t size, size_t *ret_len);
int vc_readlink_basename(const char *path, char *buf, size_t size);

/* 0..15 for a hex digit, -1 for anything else. */
static inline int vc_hexval(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
bool vc_parse_hex_u32(const char *s, size_t len, uint32_t max, uint32_t *ret);
bool vc_is_driver_name(const char *s);
int vc_strv_push(char ***v, size_t *n, char *s);
void vc_strv_free(char **v, size_t n);
