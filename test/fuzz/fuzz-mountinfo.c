// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: /proc/self/mountinfo and /proc/swaps, read the way the
 * busy check reads them (files in a scratch proc directory). The input is
 * the mountinfo text, a NUL byte, then the swaps text.
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

static void quiet(void *data, int prio, const char *fmt, va_list ap)
{
}

static void on_busy(void *userdata, const struct vc_dev *dev, const char *what)
{
        if (!what)
                abort();
}

static int make_file(const char *dir, const char *name)
{
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                abort();
        return fd;
}

static void put(int fd, const uint8_t *data, size_t size)
{
        if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char proc[] = "/tmp/fuzz-mountinfo-XXXXXX";
        static int mountinfo = -1, swaps = -1;
        static struct vc_dev dev = {.addr = "0000:00:1f.2", .bus = 0, .slot = 0x1f, .func = 2, .group = -1};
        struct vc_devlist devs = {.devs = &dev, .n = 1};
        const uint8_t *nul = memchr(data, 0, size);
        size_t first = nul ? (size_t)(nul - data) : size;
        struct vc_ctx *ctx;

        if (size > 64 * 1024)
                return 0;
        if (mountinfo < 0) {
                char self[256];

                if (!mkdtemp(proc))
                        abort();
                snprintf(self, sizeof(self), "%s/self", proc);
                if (mkdir(self, 0755) < 0)
                        abort();
                mountinfo = make_file(self, "mountinfo");
                swaps = make_file(proc, "swaps");
        }
        put(mountinfo, data, first);
        put(swaps, nul ? nul + 1 : data + size, nul ? size - first - 1 : 0);
        if (vc_ctx_new("/nonexistent", &ctx) < 0 || vc_ctx_set_root(ctx, VC_ROOT_PROC, proc) < 0 ||
            vc_ctx_set_root(ctx, VC_ROOT_RUN, NULL) < 0)
                abort();
        vc_ctx_set_log_fn(ctx, quiet, NULL);
        {
                struct vc_busy_query q = {.busy = on_busy};

                (void)vc_find_busy(ctx, &q, &devs);
        }
        vc_ctx_free(ctx);
        return 0;
}
