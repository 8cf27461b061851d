// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

/* A root without its trailing '/'s ("/" stays "/"). */
static char *root_dup(const char *path)
{
        char *s = strdup(path);
        size_t n;

        if (!s)
                return NULL;
        n = strlen(s);
        while (n > 1 && s[n - 1] == '/')
                s[--n] = 0;
        return s;
}

static void ctx_freep(struct vc_ctx **ctx)
{
        vc_ctx_free(*ctx);
}

int vc_ctx_new(const char *sysfs, struct vc_ctx **ret)
{
        _cleanup_(ctx_freep) struct vc_ctx *ctx = NULL;

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->sysfs = root_dup(sysfs ? sysfs : "/sys");
        ctx->proc = root_dup("/proc");
        ctx->run = root_dup("/run");
        ctx->dev = root_dup("/dev");
        ctx->etc = root_dup("/etc");
        if (!ctx->sysfs || !ctx->proc || !ctx->run || !ctx->dev || !ctx->etc)
                return -ENOMEM;
        /* Decided here, once, from what the root is (lib/sysfs.c): only a real
         * sysfs may lead to init_module(); any other tree is a test or a capture. */
        ctx->live = vc_sysfs_root_is_live(ctx->sysfs);
        *ret = TAKE_PTR(ctx);
        return 0;
}

bool vc_ctx_is_live(const struct vc_ctx *ctx)
{
        return ctx->live;
}

int vc_ctx_set_root(struct vc_ctx *ctx, enum vc_root which, const char *path)
{
        char **slot = which == VC_ROOT_PROC  ? &ctx->proc
                      : which == VC_ROOT_RUN ? &ctx->run
                      : which == VC_ROOT_DEV ? &ctx->dev
                      : which == VC_ROOT_ETC ? &ctx->etc
                                             : NULL;
        char *s = NULL;

        /* The sysfs root is fixed at vc_ctx_new(): "live" follows from it. */
        if (!slot || (!path && which != VC_ROOT_RUN) || (path && !*path))
                return -EINVAL;
        if (path && !(s = root_dup(path)))
                return -ENOMEM;
        free(*slot);
        *slot = s;
        return 0;
}

struct vc_ctx *vc_ctx_free(struct vc_ctx *ctx)
{
        if (!ctx)
                return NULL;
        if (ctx->kmod)
                kmod_unref(ctx->kmod);
        free(ctx->slots);
        free(ctx->modules_dir);
        free(ctx->sysfs);
        free(ctx->proc);
        free(ctx->run);
        free(ctx->dev);
        free(ctx->etc);
        free(ctx->owners_file);
        free(ctx);
        return NULL;
}

int vc_ctx_set_owners_file(struct vc_ctx *ctx, const char *path)
{
        char *s = NULL;

        if (path && !(s = strdup(path)))
                return -ENOMEM;
        free(ctx->owners_file);
        ctx->owners_file = s;
        return 0;
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
