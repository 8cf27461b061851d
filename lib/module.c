// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading the target driver with libkmod, as modprobe would: aliases,
 * dependencies, soft dependencies and modprobe.d options all apply. "Already
 * loaded" and "built in" count as loaded; a blacklist is its own outcome.
 */
#include <errno.h>
#include <libkmod.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

static void kmod_log(void *data, int priority, const char *file _unused_, int line _unused_, const char *fn _unused_,
                     const char *format, va_list args)
{
        struct vc_ctx *ctx = data;
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, format, args) < 0)
                return;
        msg[strcspn(msg, "\n")] = 0;
        vc_log(ctx, priority, "libkmod: %s", msg);
}

int vc_kmod(struct vc_ctx *ctx, struct kmod_ctx **ret)
{
        if (!ctx->kmod) {
                ctx->kmod = kmod_new(ctx->modules_dir, NULL);
                if (!ctx->kmod)
                        return -ENOMEM;
                kmod_set_log_fn(ctx->kmod, kmod_log, ctx);
                /* libkmod chats at LOG_INFO about its own life cycle; notices and worse matter. */
                kmod_set_log_priority(ctx->kmod, LOG_NOTICE);
                (void)kmod_load_resources(ctx->kmod);
        }
        *ret = ctx->kmod;
        return 0;
}

struct modlist {
        struct kmod_list *l;
};

static void modlistp(struct modlist *m)
{
        if (m->l)
                kmod_module_unref_list(m->l);
}

/* The modules behind a driver name (an alias, as modprobe resolves it); -ENOENT: none. */
static int lookup(struct vc_ctx *ctx, const char *driver, struct modlist *ret)
{
        struct kmod_ctx *k;
        int r;

        r = vc_kmod(ctx, &k);
        if (r < 0)
                return r;
        r = kmod_module_new_from_lookup(k, driver, &ret->l);
        if (r < 0)
                return r;
        return ret->l ? 0 : -ENOENT;
}

int vc_module_lookup(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret)
{
        _cleanup_(modlistp) struct modlist list = {NULL};
        struct kmod_list *it;
        int r;

        r = lookup(ctx, driver, &list);
        if (r < 0)
                return r;
        kmod_list_foreach (it, list.l) {
                struct kmod_module *mod = kmod_module_get_module(it);
                int state = kmod_module_get_initstate(mod);
                const char *path = kmod_module_get_path(mod);

                kmod_module_unref(mod);
                /* Without a target kernel, what runs now decides; for another release only files count. */
                if (!ctx->modules_dir && (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE)) {
                        *ret = VC_MODULE_LOADED;
                        return 0;
                }
                if (path || state == KMOD_MODULE_BUILTIN) {
                        *ret = VC_MODULE_AVAILABLE;
                        return 0;
                }
        }
        return -ENOENT;
}

int vc_module_load(struct vc_ctx *ctx, const char *driver, enum vc_module_state *ret)
{
        _cleanup_(modlistp) struct modlist list = {NULL};
        struct kmod_list *it;
        int r;

        /* A driver that registered already (built in, or loaded earlier) needs no module. */
        if (vc_driver_loaded(ctx, driver)) {
                *ret = VC_MODULE_LOADED;
                return 0;
        }
        if (!ctx->live || ctx->dry_run) {
                *ret = VC_MODULE_SKIPPED;
                return 0;
        }
        r = lookup(ctx, driver, &list);
        if (r < 0)
                return r;
        kmod_list_foreach (it, list.l) {
                struct kmod_module *mod = kmod_module_get_module(it);

                r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
                kmod_module_unref(mod);
                if (r == 0 || r == -EEXIST) {
                        *ret = VC_MODULE_LOADED;
                        return 0;
                }
                if (r == KMOD_PROBE_APPLY_BLACKLIST) {
                        *ret = VC_MODULE_BLACKLISTED;
                        return 0;
                }
        }
        return r < 0 ? r : -EIO;
}
