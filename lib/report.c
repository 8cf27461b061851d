// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What check predicts and status sees about selected devices: whether their
 * IOMMU groups are (or would be) viable, what 'group' takes from the host, a
 * device without a group, the boot VGA device, the IOMMU. The decisions live
 * here; the caller words them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

const char *vc_host_kind_to_string(enum vc_host_kind k)
{
        static const char *const names[] = {
                [VC_HOST_OTHER] = "other",     [VC_HOST_STORAGE] = "storage",
                [VC_HOST_NETWORK] = "network", [VC_HOST_DISPLAY] = "display",
                [VC_HOST_USB] = "USB",         [VC_HOST_PF] = "the physical function of a selected VF",
        };

        return (size_t)k < ELEMENTSOF(names) ? names[k] : "other";
}

static enum vc_host_kind class_kind(const struct vc_dev *d)
{
        switch (d->class >> 16) {
        case 0x01:
                return VC_HOST_STORAGE;
        case 0x02:
                return VC_HOST_NETWORK;
        case 0x03:
                return VC_HOST_DISPLAY;
        }
        return (d->class >> 8) == 0x0c03 ? VC_HOST_USB : VC_HOST_OTHER;
}

/* vf's physfn link names pf. */
static bool is_pf_of(struct vc_ctx *ctx, const struct vc_dev *pf, const struct vc_dev *vf)
{
        char base[VC_ADDR_MAX];

        return vc_sysfs_dev_link(ctx, vf->addr, "physfn", base, sizeof(base)) >= 0 && strcmp(base, pf->addr) == 0;
}

/*
 * What the host loses when m leaves its driver for the sake of sel (selected
 * in the same group): VC_HOST_OTHER when m is a function of sel's own card
 * and kind (a dual-port NIC's other port) or of no kind the host depends on
 * (the GPU's audio function). A NIC beside a selected NIC in another slot
 * (a router board's three ports in one group) is the host's.
 */
static enum vc_host_kind host_kind(struct vc_ctx *ctx, const struct vc_dev *m, const struct vc_dev *sel)
{
        enum vc_host_kind k = class_kind(m);

        if (is_pf_of(ctx, m, sel))
                return VC_HOST_PF;
        /* Another function of the same card and kind (a dual-port NIC's second port) is the card's own. */
        if (k == class_kind(sel) && m->domain == sel->domain && m->bus == sel->bus && m->slot == sel->slot)
                return VC_HOST_OTHER;
        return k;
}

/* The devices sel's 'group' takes from a host driver that the host needs. */
static void find_taken(struct vc_ctx *ctx, struct vc_devlist *devs, const struct vc_dev *sel, vc_problem_fn fn,
                       void *userdata)
{
        _cleanup_free_ const struct vc_dev **taken = calloc(devs->n + 1, sizeof(*taken));
        _cleanup_free_ enum vc_host_kind *kinds = calloc(devs->n + 1, sizeof(*kinds));
        size_t n = 0;

        if (!taken || !kinds)
                return;
        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *m = &devs->devs[i];
                enum vc_host_kind k;

                if (m->via != sel || !m->driver[0] || vc_driver_keeps_group_viable(m->driver))
                        continue;
                k = host_kind(ctx, m, sel);
                if (k == VC_HOST_OTHER)
                        continue;
                taken[n] = m;
                kinds[n++] = k;
        }
        if (n)
                fn(userdata, &(struct vc_problem){.kind = VC_PROBLEM_GROUP_TAKES_HOST,
                                                  .dev = sel,
                                                  .taken = taken,
                                                  .taken_kind = kinds,
                                                  .n_taken = n});
}

int vc_find_problems(struct vc_ctx *ctx, struct vc_devlist *devs, vc_problem_fn fn, void *userdata)
{
        _cleanup_free_ int *groups_seen = calloc(devs->n + 1, sizeof(int));
        int iommu = vc_iommu_enabled(ctx);
        bool wants_iommu = false;
        size_t n_groups_seen = 0;

        if (!groups_seen)
                return -ENOMEM;
        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];
                struct vc_problem p = {.dev = d};
                bool seen = false;

                if (!d->rule)
                        continue;
                if (vc_driver_needs_iommu(vc_dev_target(d)))
                        wants_iommu = true;
                if (vc_dev_boot_vga(ctx, d) > 0) {
                        p.kind = VC_PROBLEM_BOOT_VGA;
                        fn(userdata, &p);
                }
                if (vc_dev_read_group(ctx, d) < 0)
                        continue;
                /* vfio-pci refuses a device without a group; with the IOMMU off, the warning below says it all. */
                if (d->group < 0) {
                        if (iommu > 0 && vc_driver_needs_iommu(d->rule->driver)) {
                                p.kind = VC_PROBLEM_NO_GROUP;
                                fn(userdata, &p);
                        }
                        continue;
                }
                if (!d->via)
                        find_taken(ctx, devs, d, fn, userdata);
                /* A group's viability is one finding, however many of its devices are selected. */
                for (size_t j = 0; j < n_groups_seen && !seen; j++)
                        seen = groups_seen[j] == d->group;
                if (seen)
                        continue;
                if (vc_group_check(ctx, devs, d, true, &p.blocker) < 0 || !p.blocker)
                        continue;
                groups_seen[n_groups_seen++] = d->group;
                if (vc_dev_is_chipset_bridge(p.blocker))
                        p.kind = VC_PROBLEM_GROUP_CHIPSET;
                else {
                        p.kind = VC_PROBLEM_GROUP_DRIVER;
                        p.blocker_kind = host_kind(ctx, p.blocker, d);
                }
                fn(userdata, &p);
        }
        if (wants_iommu && iommu == 0)
                fn(userdata, &(struct vc_problem){.kind = VC_PROBLEM_NO_IOMMU});
        return 0;
}

int vc_dev_status(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_status *ret)
{
        struct vc_dev_status s = {0};

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

/* "  fd000000-fdffffff : BOOTFB": the firmware framebuffers that keep a BAR from vfio-pci's user. */
static bool is_firmware_fb(const char *name, size_t len)
{
        static const char *const fbs[] = {"BOOTFB", "efifb", "simplefb", "simple-framebuffer", "vesafb"};

        for (size_t i = 0; i < ELEMENTSOF(fbs); i++) {
                size_t l = strlen(fbs[i]);

                if (len >= l && strncmp(name, fbs[i], l) == 0)
                        return true;
        }
        return false;
}

int vc_iomem_find_fb(const char *iomem, uint64_t start, uint64_t end, char *buf, size_t size)
{
        for (const char *line = iomem; line && *line;) {
                const char *nl = strchr(line, '\n'), *name;
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                unsigned long long s, e;
                int n = 0;

                if (sscanf(line, " %llx-%llx : %n", &s, &e, &n) == 2 && n > 0 && (size_t)n <= len) {
                        name = line + n;
                        /* Without CAP_SYS_ADMIN every address reads as 0: no answer, not a match. */
                        if (e > s && s <= end && e >= start && is_firmware_fb(name, len - (size_t)n)) {
                                size_t l = len - (size_t)n < size ? len - (size_t)n : size - 1;

                                memcpy(buf, name, l);
                                buf[l] = 0;
                                return 1;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

int vc_dev_boot_framebuffer(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size, int *ret_bar)
{
        _cleanup_free_ char *iomem = NULL, *resource = NULL;
        char path[4096];
        unsigned bar = 0;
        int r;

        r = vc_root_path(ctx, VC_ROOT_PROC, "iomem", path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_read_file(path, 1024 * 1024, &iomem, NULL);
        if (r < 0)
                return r;
        r = vc_sysfs_dev_path(ctx, dev->addr, "resource", path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_read_file(path, 64 * 1024, &resource, NULL);
        if (r < 0)
                return r;
        /* One line per resource: the six BARs first, "0x<start> 0x<end> 0x<flags>". */
        for (const char *line = resource; line && *line && bar < 6; bar++) {
                const char *nl = strchr(line, '\n');
                unsigned long long s, e, flags;
                char name[64];

                if (sscanf(line, "%llx %llx %llx", &s, &e, &flags) == 3 && e > s &&
                    vc_iomem_find_fb(iomem, s, e, name, sizeof(name)) > 0) {
                        snprintf(buf, size, "%s", name);
                        if (ret_bar)
                                *ret_bar = (int)bar;
                        return 1;
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

bool vc_dev_only_display(const struct vc_devlist *devs, const struct vc_dev *dev)
{
        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *d = &devs->devs[i];

                if (d != dev && !d->rule && !d->unread && (d->class >> 16) == 0x03)
                        return false;
        }
        return true;
}
