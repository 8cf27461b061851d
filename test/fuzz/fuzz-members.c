// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the parsers of what the host says about itself: a udev
 * database file (RUN/udev/data/bMAJ:MIN) and the output of `zpool list -vPH`
 * (lib/members.c), /proc/iomem (lib/report.c). The input is the udev text, a
 * NUL byte, the zpool text, a NUL byte, the iomem text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_member(void *userdata, const char *pool, const char *path)
{
        size_t *n = userdata;

        if (!*pool || path[0] != '/')
                abort();
        (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, 0, size);
        size_t first = nul ? (size_t)(nul - data) : size, n = 0;
        char *udev, *zpool;
        struct vc_udev_entry e;

        if (size > 256 * 1024)
                return 0;
        udev = strndup((const char *)data, first);
        zpool = nul ? strndup((const char *)nul + 1, size - first - 1) : strdup("");
        if (!udev || !zpool)
                abort();
        vc_udev_props_parse(udev, &e);
        if (strnlen(e.type, sizeof(e.type)) == sizeof(e.type) || strnlen(e.label, sizeof(e.label)) == sizeof(e.label) ||
            strnlen(e.uuid, sizeof(e.uuid)) == sizeof(e.uuid))
                abort();
        vc_zpool_parse(zpool, on_member, &n);
        {
                size_t zl = strlen(zpool);
                const char *iomem = nul && first + 1 + zl < size ? (const char *)nul + 1 + zl + 1 : NULL;
                char *text = iomem ? strndup(iomem, size - first - 1 - zl - 1) : NULL;
                char name[64];

                if (text) {
                        if (vc_iomem_find_fb(text, 0, UINT64_MAX, name, sizeof(name)) > 0 &&
                            strlen(name) >= sizeof(name))
                                abort();
                        free(text);
                }
        }
        free(udev);
        free(zpool);
        return 0;
}
