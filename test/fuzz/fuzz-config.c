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
        /* The same bytes as an initramfs' owners file: its parser too. */
        if (vc_ctx_set_owners_file(ctx, path) < 0)
                abort();
        (void)vc_config_load_file(ctx, &cfg, path);
        for (size_t i = 0; i < cfg.n_rules; i++) {
                const struct vc_rule *r = &cfg.rules[i];
                struct vc_perms p;

                if (!r->origin || !r->text || !reset_value_ok(r->power.reset))
                        abort();
                /* owner and mode: names NUL-terminated within their arrays, permission bits only. */
                if (memchr(r->owner_user, 0, sizeof(r->owner_user)) == NULL ||
                    memchr(r->owner_group, 0, sizeof(r->owner_group)) == NULL || vc_rule_mode(r) > 0777)
                        abort();
                if (r->has_owner && !r->owner_user[0] && !r->owner_group[0])
                        abort();
                if (vc_rule_has_perms(r) && vc_rule_perms(ctx, r, &p) >= 0 && p.mode != vc_rule_mode(r))
                        abort();
        }
        vc_config_clear(&cfg);
        vc_ctx_free(ctx);
        return 0;
}
