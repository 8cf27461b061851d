// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "internal.h"

int vc_path(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if ((size_t)n >= size)
                return -ENAMETOOLONG;
        return 0;
}

int vc_read_file(const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t size = 0, alloc;

        /* O_NONBLOCK: a FIFO in place of a config file must not hang the boot. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        /* sysfs attributes report 4096 whatever their content: read to EOF. */
        alloc = st.st_size > 0 && (size_t)st.st_size <= max ? (size_t)st.st_size + 2 : 4096;
        if (alloc > max + 2)
                alloc = max + 2;
        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                /* Room for max bytes, one more to see that there is more, and the NUL. */
                if (size + 1 >= alloc) {
                        size_t nalloc = alloc * 2;
                        char *p;

                        if (alloc >= max + 2)
                                return -EFBIG;
                        if (nalloc > max + 2)
                                nalloc = max + 2;
                        p = realloc(buf, nalloc);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc = nalloc;
                }
                k = read(fd, buf + size, alloc - 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                size += (size_t)k;
                if (size > max)
                        return -EFBIG;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

bool vc_parse_hex_u32(const char *s, size_t len, uint32_t max, uint32_t *ret)
{
        uint32_t v = 0;

        if (len == 0 || len > 8)
                return false;
        for (size_t i = 0; i < len; i++) {
                int d = vc_hexval(s[i]);

                if (d < 0)
                        return false;
                v = v << 4 | (uint32_t)d;
        }
        if (v > max)
                return false;
        *ret = v;
        return true;
}

bool vc_is_driver_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= VC_DRIVER_MAX)
                return false;
        /* A driver name becomes a path component under /sys/bus/pci/drivers. */
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

int vc_strv_push(char ***v, size_t *n, char *s)
{
        char **p;

        p = realloc(*v, (*n + 1) * sizeof(char *));
        if (!p)
                return -ENOMEM;
        p[(*n)++] = s;
        *v = p;
        return 0;
}

void vc_strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

const char *vc_read_strerror(int err)
{
        switch (err) {
        case -EBADFD:
                return "not a regular file";
        case -EFBIG:
                return "too large";
        default:
                return strerror(-err);
        }
}
