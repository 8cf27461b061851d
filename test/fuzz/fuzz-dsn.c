// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the Device Serial Number walk over the extended
 * capability chain. The input is a config-space image of any length (the
 * kernel's config file may be cut short: 64 bytes for non-root). The walk
 * must end (loops included), read only inside the image, and report a serial
 * only when the capability it found lies wholly inside it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct image {
        const uint8_t *b;
        size_t size;
        unsigned reads;
        unsigned last;
};

static int image_read(void *userdata, unsigned off, uint32_t *ret)
{
        struct image *im = userdata;

        if (++im->reads > 2 * 480 + 2)
                abort(); /* the walk did not end */
        if ((size_t)off + 4 > im->size)
                return -ENODATA;
        *ret = (uint32_t)im->b[off] | (uint32_t)im->b[off + 1] << 8 | (uint32_t)im->b[off + 2] << 16 |
               (uint32_t)im->b[off + 3] << 24;
        im->last = off;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Short inputs stand for the chain from 0x100: pad the standard header with zeros. */
        static uint8_t cfg[8192];
        struct image im = {cfg, 0, 0, 0};
        uint64_t v = 0;
        int r;

        if (size > sizeof(cfg) - 0x100)
                return 0;
        memset(cfg, 0, 0x100);
        memcpy(cfg + 0x100, data, size);
        im.size = 0x100 + size;
        r = vc_config_find_dsn(image_read, &im, &v);
        if (r == 0 && (im.last < 0x108 || (size_t)im.last + 4 > im.size))
                abort();
        if (r < 0 && r != -ENODATA)
                abort();
        return 0;
}
