// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: /proc/cmdline contents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *data, int prio, const char *fmt, va_list ap)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vc_ctx *ctx;
        struct vc_config cfg = {0};
        char *s;

        if (size > VC_CMDLINE_MAX)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0; /* the kernel hands over a C string */
        if (vc_ctx_new("/nonexistent", &ctx) < 0)
                abort();
        vc_ctx_set_log_fn(ctx, quiet, NULL);
        (void)vc_cmdline_parse(ctx, &cfg, s, "fuzz");
        vc_config_clear(&cfg);
        vc_ctx_free(ctx);
        free(s);
        return 0;
}
