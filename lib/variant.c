// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "driver auto": the vfio-pci variant driver the kernel offers for a device,
 * found the way the kernel documents it (commit cc6711b0bf36): a variant
 * driver declares "vfio_pci:" module aliases, so the device's modalias with
 * the "vfio_" prefix is looked up in modules.alias. vfio-pci's own wildcard
 * alias (vfio_pci:v*d*sv*sd*bc*sc*i*) matches every device and never counts;
 * without a variant the device goes to vfio-pci.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

const char *vc_dev_target(const struct vc_dev *dev)
{
        return dev->target[0] ? dev->target : dev->rule ? dev->rule->driver : NULL;
}

void vc_dev_modalias(const struct vc_dev *d, const char *prefix, char *buf, size_t size)
{
        (void)snprintf(buf, size, "%spci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", prefix, d->vendor, d->device,
                       d->subvendor, d->subdevice, (d->class >> 16) & 0xff, (d->class >> 8) & 0xff, d->class & 0xff);
}

/* The first module (not vfio_pci) with an alias that matches: 1 and its name in buf, 0: none. */
static int first_module(struct vc_ctx *ctx, const char *alias, char *buf, size_t size)
{
        struct kmod_list *list = NULL, *it;
        struct kmod_ctx *k;
        int r;

        r = vc_kmod(ctx, &k);
        if (r < 0)
                return r;
        r = kmod_module_new_from_lookup(k, alias, &list);
        if (r < 0)
                return r;
        r = 0;
        kmod_list_foreach (it, list) {
                struct kmod_module *mod = kmod_module_get_module(it);
                const char *name = kmod_module_get_name(mod);

                if (r == 0 && name && strcmp(name, "vfio_pci") != 0 && vc_is_driver_name(name) && strlen(name) < size) {
                        strcpy(buf, name);
                        r = 1;
                }
                kmod_module_unref(mod);
        }
        kmod_module_unref_list(list);
        return r;
}

int vc_variant_lookup(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size)
{
        char alias[128];

        vc_dev_modalias(dev, "vfio_", alias, sizeof(alias));
        return first_module(ctx, alias, buf, size);
}

int vc_host_module_lookup(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size)
{
        char alias[128];

        vc_dev_modalias(dev, "", alias, sizeof(alias));
        return first_module(ctx, alias, buf, size);
}

void vc_resolve_variants(struct vc_ctx *ctx, struct vc_devlist *devs)
{
        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];
                char name[VC_DRIVER_MAX], alias[128];
                int r;

                d->target[0] = 0;
                if (!d->rule || !d->rule->driver_auto)
                        continue;
                vc_dev_modalias(d, "vfio_", alias, sizeof(alias));
                r = vc_variant_lookup(ctx, d, name, sizeof(name));
                if (r > 0) {
                        strcpy(d->target, name);
                        vc_log(ctx, LOG_INFO, "%s: " VC_DEV_FMT ": driver auto: %s (its module has an alias for %s)",
                               d->rule->origin, VC_DEV_ARGS(d), name, alias);
                } else if (r == 0)
                        vc_log(ctx, LOG_INFO,
                               "%s: " VC_DEV_FMT ": driver auto: vfio-pci (no variant driver has an alias for %s)",
                               d->rule->origin, VC_DEV_ARGS(d), alias);
                else
                        vc_log(ctx, LOG_WARNING, "%s: " VC_DEV_FMT ": driver auto: looking up %s failed: %s; vfio-pci",
                               d->rule->origin, VC_DEV_ARGS(d), alias, strerror(-r));
        }
}
