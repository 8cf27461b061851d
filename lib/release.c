// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Giving a device back to the host: release's decision of what is held for
 * a VM, and the undoing of what apply did, in the reverse order.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "macro.h"

bool vc_driver_keeps_group_viable(const char *driver)
{
        size_t n = strlen(driver);

        /* No driver, vfio-pci, pci-stub, or a vfio-pci variant (mlx5_vfio_pci, ...). */
        return n == 0 || strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "pci-stub") == 0 ||
               (n >= 8 && strcmp(driver + n - 8, "vfio_pci") == 0) ||
               (n >= 8 && strcmp(driver + n - 8, "vfio-pci") == 0);
}

int vc_release_wanted(struct vc_ctx *ctx, struct vc_dev *dev, const struct vc_slot_filter *named)
{
        char cur[VC_ATTR_MAX];
        int r;

        r = vc_dev_read_override(ctx, dev, cur, sizeof(cur));
        if (r < 0)
                return r;
        if (cur[0])
                return 1;
        r = vc_dev_read_driver(ctx, dev);
        if (r < 0)
                return r;
        /* "release *" gives back what is held and leaves the rest alone; a
         * driverless device named exactly (unbound by hand, say) gets the
         * re-probe that hands it to its host driver. */
        if (!dev->driver[0])
                return named && named->bus >= 0 && named->slot >= 0 && named->func >= 0;
        return vc_driver_keeps_group_viable(dev->driver) || (dev->rule && strcmp(dev->driver, vc_dev_target(dev)) == 0);
}

int vc_release(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_dev *dev)
{
        char cur[VC_ATTR_MAX];
        int r;

        r = vc_dev_read_override(ctx, dev, cur, sizeof(cur));
        if (r < 0)
                return r;
        if (cur[0]) {
                r = vc_sysfs_dev_write(ctx, dev->addr, "driver_override", "");
                if (r < 0)
                        return r;
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": driver_override %.*s cleared", VC_DEV_ARGS(dev), VC_OVERRIDE_SHOWN,
                       cur);
        }
        r = vc_dev_read_driver(ctx, dev);
        if (r < 0)
                return r;
        /* A dynamic id would hand the device straight back on the re-probe. */
        for (size_t i = 0; cfg && i < cfg->n_rules; i++) {
                const struct vc_rule *rule = &cfg->rules[i];
                char id[128];

                if (!rule->has_id || rule->has_slot || !vc_rule_matches(rule, dev) ||
                    !vc_driver_loaded(ctx, rule->driver))
                        continue;
                vc_format_new_id(rule, id, sizeof(id));
                if (vc_sysfs_driver_write(ctx, rule->driver, "remove_id", id) >= 0)
                        vc_log(ctx, LOG_INFO, "%s: id %s removed from %s (remove_id)", rule->origin, id, rule->driver);
        }
        if (dev->driver[0]) {
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": unbinding from %s", VC_DEV_ARGS(dev), dev->driver);
                r = vc_sysfs_driver_write(ctx, dev->driver, "unbind", dev->addr);
                if (r < 0 && r != -ENODEV)
                        return r;
        }
        /* Between vfio-pci's remove and the host driver's probe: the values
         * found before the claim, as that driver would have seen them. */
        r = vc_power_restore(ctx, dev);
        if (r < 0)
                vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": cannot read its recorded power settings: %s; not restored",
                       VC_DEV_ARGS(dev), strerror(-r));
        r = vc_sysfs_probe(ctx, dev->addr);
        if (r < 0)
                return r;
        r = vc_dev_read_driver(ctx, dev);
        if (r < 0)
                return r;
        if (dev->driver[0])
                vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": released, now on %s", VC_DEV_ARGS(dev), dev->driver);
        else
                vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": released, no driver took it", VC_DEV_ARGS(dev));
        return 0;
}
