// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: a whole config file, through the same path as /etc/vfio-claim.conf. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *data, int prio, const char *fmt, va_list ap)
{
}

/* What a rule may write to reset_method: "", "default", or known names, each
 * once, single spaces between them. */
static bool reset_value_ok(const char *v)
{
        if (!*v || strcmp(v, "default") == 0)
                return true;
        for (const char *p = v;;) {
                size_t len = strcspn(p, " ");

                if (len == 0 || !vc_power_is_reset_method(p, len))
                        return false;
                for (const char *q = v; q < p; q += strcspn(q, " ") + 1)
                        if (strcspn(q, " ") == len && memcmp(q, p, len) == 0)
                                return false;
                p += len;
                if (!*p)
                        return true;
                p++;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char path[] = "/tmp/fuzz-config-XXXXXX";
        static int fd = -1;
        struct vc_ctx *ctx;
        struct vc_config cfg = {0};

        if (fd < 0) {
                fd = mkstemp(path);
                if (fd < 0)
                        abort();
                unlink(path); /* read it back through /proc/self/fd */
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                abort();
        if (vc_ctx_new("/nonexistent", &ctx) < 0)
                abort();
        vc_ctx_set_log_fn(ctx, quiet, NULL);
        (void)vc_config_load_file(ctx, &cfg, path);
        for (size_t i = 0; i < cfg.n_rules; i++)
                if (!cfg.rules[i].origin || !cfg.rules[i].text || !reset_value_ok(cfg.rules[i].power.reset))
                        abort();
        vc_config_clear(&cfg);
        vc_ctx_free(ctx);
        return 0;
}
