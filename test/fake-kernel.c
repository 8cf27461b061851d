// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-kernel.so: an LD_PRELOAD shim that gives the fake sysfs tree a
 * kernel for the writes that change it: a write() to an attribute that
 * fakesys_kernel_write() knows (sriov_numvfs) is answered by it, with the
 * kernel's errno; every other write goes through. The binary under test is
 * the production one: it writes as it does on /sys.
 *
 * $FAKE_KERNEL_UNPLUG=ADDR:ATTR: right after a write to ATTR of the device
 * at ADDR has gone through, the device is unplugged (fakesys_remove_device()),
 * as when a card is pulled, or a PF drops its VFs, between two of the
 * program's steps.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"

ssize_t write(int fd, const void *buf, size_t count) __attribute__((visibility("default")));

typedef ssize_t (*write_fn)(int, const void *, size_t);

static __thread bool busy; /* the fixture's own writes go straight through */

/* $FAKE_KERNEL_UNPLUG: is fd ADDR's ATTR? Then ADDR goes. */
static void unplug_after(int fd)
{
        const char *spec = getenv("FAKE_KERNEL_UNPLUG"), *colon = spec ? strrchr(spec, ':') : NULL, *devs;
        char link[64], path[PATH_MAX], want[PATH_MAX], *root;
        struct fakesys *fs;
        ssize_t k;
        int e = errno;

        if (!colon || colon == spec)
                return;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        k = readlink(link, path, sizeof(path) - 1);
        if (k <= 0)
                return;
        path[k] = 0;
        /* .../devices/pci0000:00/.../ADDR/ATTR */
        snprintf(want, sizeof(want), "/%.*s/%s", (int)(colon - spec), spec, colon + 1);
        devs = strstr(path, "/devices/pci");
        if (!devs || (size_t)k < strlen(want) || strcmp(path + k - strlen(want), want) != 0)
                return;
        root = strndup(path, (size_t)(devs - path));
        busy = true;
        if (root && fakesys_new_at(root, &fs) >= 0) {
                char addr[64];

                snprintf(addr, sizeof(addr), "%.*s", (int)(colon - spec), spec);
                if (fakesys_remove_device(fs, addr) < 0)
                        fprintf(stderr, "fake-kernel: cannot unplug %s\n", addr);
                fakesys_free(fs);
        }
        busy = false;
        free(root);
        errno = e;
}

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
        k = real(fd, buf, count);
        if (k >= 0 && !busy && fd > 2)
                unplug_after(fd);
        return k;
}
