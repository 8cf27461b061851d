// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What check predicts and status sees about selected devices: whether their
 * IOMMU groups are (or would be) viable, the boot VGA device, the IOMMU. The
 * decisions live here; the caller words them.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "macro.h"

int vc_group_check(struct vc_ctx *ctx, const struct vc_devlist *devs, const struct vc_dev *dev, bool predict,
                   const struct vc_dev **ret_blocker)
{
        char **members = NULL;
        size_t n = 0;
        const struct vc_dev *blocker = NULL;
        int r;

        if (dev->group < 0)
                return -ENODATA;
        r = vc_group_members(ctx, dev->group, &members, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && !blocker; i++) {
                const struct vc_dev *m = vc_devlist_find(devs, members[i]);

                if (!m || m == dev || vc_dev_is_bridge(m))
                        continue;
                /* Predicting: a selected member will be on its target driver. */
                if (!vc_driver_keeps_group_viable(predict && m->rule ? vc_dev_target(m) : m->driver))
                        blocker = m;
        }
        vc_strv_free(members, n);
        *ret_blocker = blocker;
        return 0;
}

bool vc_driver_needs_iommu(const char *driver)
{
        return strstr(driver, "vfio") != NULL;
}

int vc_find_problems(struct vc_ctx *ctx, struct vc_devlist *devs, vc_problem_fn fn, void *userdata)
{
        int iommu = vc_iommu_enabled(ctx);
        bool wants_iommu = false;

        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];
                struct vc_problem p = { .dev = d };

                if (!d->rule)
                        continue;
                if (vc_driver_needs_iommu(vc_dev_target(d)))
                        wants_iommu = true;
                if (vc_dev_boot_vga(ctx, d) > 0) {
                        p.kind = VC_PROBLEM_BOOT_VGA;
                        fn(userdata, &p);
                }
                if (vc_dev_read_group(ctx, d) < 0 || d->group < 0)
                        continue;
                if (vc_group_check(ctx, devs, d, true, &p.blocker) < 0 || !p.blocker)
                        continue;
                p.kind = vc_dev_is_chipset_bridge(p.blocker) ? VC_PROBLEM_GROUP_CHIPSET : VC_PROBLEM_GROUP_DRIVER;
                fn(userdata, &p);
        }
        if (wants_iommu && iommu == 0)
                fn(userdata, &(struct vc_problem){ .kind = VC_PROBLEM_NO_IOMMU });
        return 0;
}

int vc_dev_status(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_status *ret)
{
        struct vc_dev_status s = { 0 };

        if (!dev->rule)
                return -EINVAL;
        (void)vc_dev_read_driver(ctx, dev);
        s.on_target = strcmp(dev->driver, vc_dev_target(dev)) == 0;
        if (vc_dev_read_group(ctx, dev) >= 0 && dev->group >= 0) {
                s.have_group = true;
                s.viable = vc_group_check(ctx, devs, dev, false, &s.blocker) >= 0 && !s.blocker;
        }
        *ret = s;
        return 0;
}
