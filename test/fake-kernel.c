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
#include <stdbool.h>
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

/*
 * $FAKE_KERNEL_BIND=1: the driver core's part of bind, unbind and
 * drivers_probe (drivers/base/bus.c, drivers/pci/pci-driver.c): bind ADDR
 * moves an unbound device to the driver (-EBUSY when bound, -ENODEV when its
 * driver_override names another driver), unbind ADDR takes it off (-ENODEV
 * unless on that driver), drivers_probe binds an unbound device to the
 * driver its override names and otherwise leaves it (there is no host
 * driver's ID table here). fakesys_set_driver() does what a bind to and an
 * unbind from vfio-pci change in the tree (vfio-dev, power/control).
 * 0: done, -ENOSYS: not such a write.
 */
static int driver_core_write(const char *path, const void *buf, size_t count)
{
        const char *drivers = strstr(path, "/bus/pci/"), *base = strrchr(path, '/'), *env = getenv("FAKE_KERNEL_BIND");
        char addr[64], drv[128] = "", rel[PATH_MAX], *root, *ovr, *cur;
        struct fakesys *fs;
        bool probe;
        int r = 0;

        if (!env || strcmp(env, "1") != 0 || !drivers || !base)
                return -ENOSYS;
        probe = strcmp(base, "/drivers_probe") == 0;
        if (!probe && strcmp(base, "/bind") != 0 && strcmp(base, "/unbind") != 0)
                return -ENOSYS;
        if (!probe) {
                const char *d = drivers + strlen("/bus/pci/");

                if (strncmp(d, "drivers/", 8) != 0 || base - d - 8 <= 0 || (size_t)(base - d - 8) >= sizeof(drv))
                        return -ENOSYS;
                snprintf(drv, sizeof(drv), "%.*s", (int)(base - d - 8), d + 8);
        }
        snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(buf, "\n"), (const char *)buf);
        if (count == 0 || strlen(addr) + 1 < count)
                return -EINVAL;
        root = strndup(path, (size_t)(drivers - path));
        if (!root || fakesys_new_at(root, &fs) < 0) {
                free(root);
                return -ENOMEM;
        }
        snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
        ovr = fakesys_read(fs, rel);
        snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", addr);
        cur = fakesys_exists(fs, rel) ? fakesys_canon(fs, rel) : NULL;
        if (!ovr)
                r = -ENODEV;
        else {
                ovr[strcspn(ovr, "\n")] = 0;
                if (strcmp(ovr, "(null)") == 0)
                        ovr[0] = 0;
        }
        if (r < 0)
                ;
        else if (probe) {
                if (!cur && ovr[0])
                        r = fakesys_set_driver(fs, addr, ovr);
        } else if (strcmp(base, "/bind") == 0) {
                if (cur)
                        r = -EBUSY;
                else if (ovr[0] && strcmp(ovr, drv) != 0)
                        r = -ENODEV;
                else
                        r = fakesys_set_driver(fs, addr, drv);
        } else {
                const char *b = cur ? strrchr(cur, '/') : NULL;

                r = b && strcmp(b + 1, drv) == 0 ? fakesys_set_driver(fs, addr, NULL) : -ENODEV;
        }
        free(ovr);
        free(cur);
        fakesys_free(fs);
        free(root);
        return r;
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
                if (r == -ENOSYS)
                        r = driver_core_write(path, buf, count);
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
