// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a PCI device's uevent, read the way enumeration reads it
 * (a one-device sysfs tree in a scratch directory). An accepted device must
 * carry what a path component and a class can be.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADDR "0000:00:1f.2"

static void quiet(void *data, int prio, const char *fmt, va_list ap)
{
}

/* TMPDIR/fuzz-uevent-XXXXXX/bus/pci/devices/ADDR/uevent, made once; returns the tree's root. */
static const char *tree(int *ret_fd)
{
        static char root[] = "/tmp/fuzz-uevent-XXXXXX";
        static int fd = -1;
        char path[256];

        if (fd < 0) {
                if (!mkdtemp(root))
                        abort();
                snprintf(path, sizeof(path), "%s/bus", root);
                if (mkdir(path, 0755) < 0)
                        abort();
                snprintf(path, sizeof(path), "%s/bus/pci", root);
                if (mkdir(path, 0755) < 0)
                        abort();
                snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
                if (mkdir(path, 0755) < 0)
                        abort();
                snprintf(path, sizeof(path), "%s/bus/pci/devices/" ADDR, root);
                if (mkdir(path, 0755) < 0)
                        abort();
                snprintf(path, sizeof(path), "%s/bus/pci/devices/" ADDR "/uevent", root);
                fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
                if (fd < 0)
                        abort();
        }
        *ret_fd = fd;
        return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vc_devlist devs = {0};
        struct vc_ctx *ctx;
        const char *root;
        int fd;

        if (size > VC_ATTR_MAX + 1)
                return 0;
        root = tree(&fd);
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                abort();
        if (vc_ctx_new(root, &ctx) < 0)
                abort();
        vc_ctx_set_log_fn(ctx, quiet, NULL);
        if (vc_pci_enumerate(ctx, NULL, &devs) >= 0) { /* NULL: every uevent is read */
                if (devs.n > 1)
                        abort();
                for (size_t i = 0; i < devs.n; i++) {
                        const struct vc_dev *d = &devs.devs[i];
                        size_t len = strnlen(d->driver, sizeof(d->driver));

                        if (len >= sizeof(d->driver) || strchr(d->driver, '/') || strcmp(d->driver, ".") == 0 ||
                            strcmp(d->driver, "..") == 0 || d->class > 0xffffff || strcmp(d->addr, ADDR) != 0)
                                abort();
                }
        }
        vc_devlist_clear(&devs);
        vc_ctx_free(ctx);
        return 0;
}
