// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: vfio-claim doctor's log reader (lib/doctor.c) on pasted
 * text: prefix stripping, address normalisation, the catalogue's patterns,
 * the de-duplication, and the boot log's reader. Checks what must hold for
 * any input: every hit names a row of the catalogue with a pattern (or a
 * boot-log row), a device is empty or a normalised address, the counts add
 * up to at most the lines read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-claim-doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_hits(const struct vc_log_hits *h, bool boot)
{
        size_t total = 0;

        for (size_t i = 0; i < h->n; i++) {
                const struct vc_log_hit *hit = &h->v[i];
                char again[VC_ADDR_MAX];

                if (!hit->cause || hit->cause < vc_causes || hit->cause >= vc_causes + vc_n_causes)
                        abort();
                if (!boot && !hit->cause->pattern)
                        abort();
                if (!hit->evidence || hit->count == 0)
                        abort();
                if (hit->device[0] &&
                    (!vc_addr_normalize(hit->device, strlen(hit->device), again) || strcmp(again, hit->device) != 0))
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (h->v[j].cause == hit->cause && strcmp(h->v[j].device, hit->device) == 0)
                                abort();
                total += hit->count;
        }
        if (!boot && total > h->lines)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vc_log_hits h = {0}, b = {0};
        struct vc_log_line l;
        char addr[VC_ADDR_MAX];

        if (size > 256 * 1024)
                return 0;
        /* Not NUL-terminated on purpose: the reader takes a length. */
        if (vc_log_scan((const char *)data, size, &h) < 0)
                abort();
        check_hits(&h, false);
        if (vc_boot_log_scan((const char *)data, size, &b) < 0)
                abort();
        check_hits(&b, true);
        vc_log_strip((const char *)data, size < 4096 ? size : 4096, &l);
        if (l.msg < (const char *)data || l.msg + l.len > (const char *)data + size)
                abort();
        if (vc_log_find_addr((const char *)data, size < 4096 ? size : 4096, addr) &&
            !vc_addr_normalize(addr, strlen(addr), addr))
                abort();
        vc_log_hits_clear(&h);
        vc_log_hits_clear(&b);
        return 0;
}
