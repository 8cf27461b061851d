// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the serial, path and slot-name parsers. Besides not
 * crashing, an accepted value must print back to text that parses to the
 * same value (the form check and list show an admin to copy).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char buf[256], out[VC_PATH_STR_MAX], serial[VC_SERIAL_STR_MAX], name[VC_SLOT_NAME_MAX];
        struct vc_pci_path p, q;
        const char *reason;
        uint64_t v, w;

        if (size >= sizeof(buf))
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        reason = NULL;
        if (vc_serial_parse(buf, &v, &reason) >= 0) {
                vc_serial_format(v, serial);
                if (vc_serial_parse(serial, &w, &reason) < 0 || w != v || strlen(serial) != 23)
                        abort();
        } else if (!reason)
                abort();
        reason = NULL;
        if (vc_path_parse(buf, &p, &reason) >= 0) {
                if (p.n < 1 || p.n > VC_PATH_DEPTH || p.domain < -1 || p.domain > 0xffffffffll)
                        abort();
                for (size_t i = 0; i < p.n; i++)
                        if (p.slot[i] > 0x1f || p.func[i] > 7 || p.func[i] < -1 || (p.func[i] < 0 && i + 1 < p.n))
                                abort();
                if (vc_path_format(&p, out, sizeof(out)) < 0 || vc_path_parse(out, &q, &reason) < 0 ||
                    memcmp(&p, &q, sizeof(p)) != 0)
                        abort();
        } else if (!reason)
                abort();
        reason = NULL;
        if (vc_slot_name_parse(buf, name, &reason) >= 0) {
                if (strcmp(name, buf) != 0 || strchr(name, '/'))
                        abort();
        } else if (!reason)
                abort();
        return 0;
}
