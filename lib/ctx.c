// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

int vc_ctx_new(const char *sysfs, struct vc_ctx **ret)
{
        struct vc_ctx *ctx;
        size_t n;

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->sysfs = strdup(sysfs ? sysfs : "/sys");
        if (!ctx->sysfs) {
                free(ctx);
                return -ENOMEM;
        }
        n = strlen(ctx->sysfs);
        while (n > 1 && ctx->sysfs[n - 1] == '/')
                ctx->sysfs[--n] = 0;
        /* Only the real /sys may lead to init_module(); any other tree is a test or a capture. */
        ctx->live = strcmp(ctx->sysfs, "/sys") == 0;
        *ret = ctx;
        return 0;
}

struct vc_ctx *vc_ctx_free(struct vc_ctx *ctx)
{
        if (!ctx)
                return NULL;
        if (ctx->kmod)
                kmod_unref(ctx->kmod);
        vc_slots_free(ctx);
        free(ctx->modules_dir);
        free(ctx->sysfs);
        free(ctx);
        return NULL;
}

void vc_ctx_set_log_fn(struct vc_ctx *ctx, vc_log_fn fn, void *userdata)
{
        ctx->log_fn = fn;
        ctx->log_data = userdata;
}

int vc_ctx_set_modules_dir(struct vc_ctx *ctx, const char *dir)
{
        char *d = strdup(dir);

        if (!d)
                return -ENOMEM;
        free(ctx->modules_dir);
        ctx->modules_dir = d;
        if (ctx->kmod) {
                kmod_unref(ctx->kmod);
                ctx->kmod = NULL;
        }
        return 0;
}

int vc_ctx_set_kernel(struct vc_ctx *ctx, const char *release)
{
        _cleanup_free_ char *dir = NULL;

        if (!release || !*release || strchr(release, '/'))
                return -EINVAL;
        if (asprintf(&dir, "/lib/modules/%s", release) < 0)
                return -ENOMEM;
        return vc_ctx_set_modules_dir(ctx, dir);
}

void vc_ctx_set_dry_run(struct vc_ctx *ctx, bool dry_run)
{
        ctx->dry_run = dry_run;
}

bool vc_ctx_get_dry_run(const struct vc_ctx *ctx)
{
        return ctx->dry_run;
}

void vc_log(struct vc_ctx *ctx, int priority, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;

        if (!ctx->log_fn)
                return;
        va_start(ap, fmt);
        errno = saved; /* for %m */
        ctx->log_fn(ctx->log_data, priority, fmt, ap);
        va_end(ap);
        errno = saved;
}
