// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the parsers of vfio-claim import (lib/import.c), each fed
 * the whole input: a kernel command line, a modprobe.d file, Unraid's
 * vfio-pci.cfg (against one device, 0000:01:00.0 [10de:1b80]).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_found(void *userdata, const struct vc_import_source *src, const char *text, const char *rule,
                     const char *reason)
{
        struct vc_rule r = {0};
        char *error = NULL;

        if (!src->origin || !text || (!rule && !reason) || (rule && reason))
                abort();
        /* Every rule import prints must be one the config parser takes. */
        if (rule) {
                if (vc_rule_parse(rule, &r, &error) < 0)
                        abort();
                vc_rule_clear(&r);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct vc_dev dev = {.addr = "0000:01:00.0", .bus = 1, .vendor = 0x10de, .device = 0x1b80, .group = -1};
        struct vc_devlist devs = {.devs = &dev, .n = 1};
        char *text;

        if (size > 64 * 1024)
                return 0;
        text = strndup((const char *)data, size);
        if (!text)
                abort();
        vc_import_cmdline(text, "cmdline", on_found, NULL);
        vc_import_modprobe(text, "modprobe.conf", on_found, NULL);
        vc_import_unraid(text, "vfio-pci.cfg", &devs, on_found, NULL);
        free(text);
        return 0;
}
