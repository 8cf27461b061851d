// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the three selector parsers. Besides not crashing, an
 * accepted selector must stay within the ranges a PCI device can have.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vc_slot_filter s;
        struct vc_id_filter id;
        struct vc_subsys_filter ss;
        const char *reason;
        char buf[128];

        if (size >= sizeof(buf))
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        if (vc_slot_filter_parse(buf, &s, &reason) >= 0) {
                if (s.domain > 0x7fffffff || s.bus > 0xff || s.slot > 0x1f || s.func > 7 || s.domain < -1 ||
                    s.bus < -1 || s.slot < -1 || s.func < -1)
                        abort();
        } else if (!reason)
                abort();
        if (vc_id_filter_parse(buf, &id, &reason) >= 0) {
                if (id.vendor > 0xffff || id.device > 0xffff || id.class > 0xffff || id.prog_if > 0xff)
                        abort();
        } else if (!reason)
                abort();
        if (vc_subsys_filter_parse(buf, &ss, &reason) >= 0) {
                if (ss.vendor > 0xffff || ss.device > 0xffff)
                        abort();
        } else if (!reason)
                abort();
        return 0;
}
