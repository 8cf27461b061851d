// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-kernel.so: an LD_PRELOAD shim that gives the fake sysfs tree a
 * kernel for the writes that change it: a write() to an attribute that
 * fakesys_kernel_write() knows (sriov_numvfs) is answered by it, with the
 * kernel's errno; every other write goes through. The binary under test is
 * the production one: it writes as it does on /sys.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"

ssize_t write(int fd, const void *buf, size_t count) __attribute__((visibility("default")));

typedef ssize_t (*write_fn)(int, const void *, size_t);

static __thread bool busy; /* the fixture's own writes go straight through */

ssize_t write(int fd, const void *buf, size_t count)
{
        static write_fn real;
        char link[64], path[PATH_MAX];
        ssize_t k = -1;

        if (!real)
                real = (write_fn)dlsym(RTLD_NEXT, "write");
        if (!busy && fd > 2) {
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                k = readlink(link, path, sizeof(path) - 1);
        }
        if (k > 0) {
                int r;

                path[k] = 0;
                busy = true;
                r = fakesys_kernel_write(path, buf, count);
                busy = false;
                if (r != -ENOSYS) {
                        if (r < 0) {
                                errno = -r;
                                return -1;
                        }
                        return (ssize_t)count;
                }
        }
        return real(fd, buf, count);
}
