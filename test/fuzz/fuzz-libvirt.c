// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the reader of libvirt's domain definitions
 * (lib/libvirt.c) on a whole file, not NUL-terminated. Checks what must hold
 * for any input: a failure leaves the domain untouched and says why on a
 * line of the input; a success gives a name without control characters (C0, DEL, C1) and
 * hostdevs whose addresses are ones sysfs could name, on lines of the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vfio-claim-libvirt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vc_libvirt_domain d = {.n_hostdevs = 12345};
        struct vc_libvirt_error e = {0};
        unsigned lines = 1;
        char *copy;
        int k;

        if (size > 256 * 1024)
                return 0;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        /* An exact-size copy: ASan sees any read past the end. */
        copy = malloc(size ? size : 1);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        k = vc_libvirt_parse(copy, size, &d, &e);
        if (k < 0) {
                if (k != -EBADMSG || d.n_hostdevs != 12345 || d.name || d.hostdevs)
                        abort();
                if (e.line < 1 || e.line > lines || !e.reason[0] || !memchr(e.reason, 0, sizeof(e.reason)))
                        abort();
                free(copy);
                return 0;
        }
        if (d.name) {
                if (strlen(d.name) > VC_LIBVIRT_NAME_MAX)
                        abort();
                for (const char *p = d.name; *p; p++)
                        if ((unsigned char)*p < 0x20 || *p == 0x7f ||
                            ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f))
                                abort();
        }
        for (size_t i = 0; i < d.n_hostdevs; i++) {
                const struct vc_libvirt_hostdev *h = &d.hostdevs[i];
                uint32_t dom;
                uint8_t bus, slot, func;

                if (!vc_addr_parse(h->addr, &dom, &bus, &slot, &func) || slot > 0x1f || func > 7)
                        abort();
                if (h->line < 1 || h->line > lines || h->managed > VC_MANAGED_YES)
                        abort();
        }
        vc_libvirt_domain_clear(&d);
        free(copy);
        return 0;
}
