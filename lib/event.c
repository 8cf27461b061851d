// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The devices one udev event needs (apply --device ADDR): that device, and
 * only what the rules can make matter for it, so that the event costs the
 * same on a machine of 4096 functions as on one of 16.
 *
 * vc_resolve() decides about a device from these alone:
 *   - a rule's own selectors look at the device only (the serial, slot and
 *     path are read from it when its other selectors match);
 *   - an address with a guard: whether the device is taken depends on it
 *     alone; whether the rule is a mismatch only matters for the group it
 *     would add, whose members are here;
 *   - 'group': the device is added when a member of its IOMMU group is
 *     selected, and a PF among the members keeps its driver when its VFs
 *     are selected: the members, and the VFs of each, are here;
 *   - "vfs N": a VF is selected when its PF (here) is the rule's;
 *   - which rule comes first, and the conflicts between rules over a device,
 *     are the rules' order over that device.
 * new_id (an id rule for later devices, and whether the id also selects a
 * device the rule left out) is boot apply's alone: an event never registers
 * an id, so it needs no other device for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

struct event_devs {
        struct vc_dev *devs;
        size_t n, alloc, n_ignored;
};

static void event_devs_done(struct event_devs *l)
{
        free(l->devs);
}

static struct vc_dev *find(struct event_devs *l, const char *addr)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->devs[i].addr, addr) == 0)
                        return &l->devs[i];
        return NULL;
}

/* Adds the device at addr with its uevent read (group: its IOMMU group when
 * known, else -1 unread). 1: added, 0: there already or not usable (gone, a
 * bad uevent: logged as enumeration does), -ENOMEM. */
static int add(struct vc_ctx *ctx, struct event_devs *l, const char *addr, int group)
{
        struct vc_dev dev = {.group = group, .group_read = group >= 0, .unread = true};
        int r;

        if (strlen(addr) >= VC_ADDR_MAX || !vc_addr_parse(addr, &dev.domain, &dev.bus, &dev.slot, &dev.func))
                return 0;
        if (find(l, addr))
                return 0;
        strcpy(dev.addr, addr);
        r = vc_dev_read_uevent(ctx, &dev);
        if (r < 0) {
                l->n_ignored += r != -ENOENT;
                return 0;
        }
        if (l->n == l->alloc) {
                size_t na = l->alloc ? l->alloc * 2 : 8;
                struct vc_dev *p = realloc(l->devs, na * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                l->devs = p;
                l->alloc = na;
        }
        l->devs[l->n++] = dev;
        return 1;
}

static int dev_cmp(const void *a, const void *b)
{
        const struct vc_dev *x = a, *y = b;

        if (x->domain != y->domain)
                return x->domain < y->domain ? -1 : 1;
        if (x->bus != y->bus)
                return x->bus < y->bus ? -1 : 1;
        if (x->slot != y->slot)
                return x->slot < y->slot ? -1 : 1;
        return (int)x->func - (int)y->func;
}

/* The members of the device's IOMMU group, and when it has several, the VFs of each. */
static int add_group(struct vc_ctx *ctx, struct event_devs *l)
{
        char **members = NULL;
        size_t n = 0, n_listed;
        int group, r;

        r = vc_dev_read_group(ctx, &l->devs[0]);
        if (r < 0 || l->devs[0].group < 0)
                return 0; /* vc_resolve() says what 'group' makes of it */
        group = l->devs[0].group;
        if (vc_group_members(ctx, group, &members, &n) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                r = add(ctx, l, members[i], group);
                if (r < 0)
                        goto out;
        }
        n_listed = l->n;
        for (size_t i = 0; n > 1 && i < n_listed; i++) {
                char **vfs = NULL;
                size_t n_vfs = 0;

                if (vc_sriov_vfs(ctx, l->devs[i].addr, &vfs, &n_vfs) < 0)
                        continue;
                for (size_t k = 0; k < n_vfs && r >= 0; k++)
                        r = add(ctx, l, vfs[k], -1);
                vc_sriov_vfs_free(vfs, n_vfs);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        vc_strv_free(members, n);
        return r;
}

int vc_pci_enumerate_for(struct vc_ctx *ctx, const struct vc_config *cfg, const char *addr, struct vc_devlist *ret)
{
        _cleanup_(event_devs_done) struct event_devs l = {0};
        bool group = false, vfs = false;
        int r;

        for (size_t i = 0; i < cfg->n_rules; i++) {
                group |= cfg->rules[i].group;
                vfs |= cfg->rules[i].has_vfs;
        }
        r = add(ctx, &l, addr, -1);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENODEV;
        if (group) {
                r = add_group(ctx, &l);
                if (r < 0)
                        return r;
        }
        /* The PF of each VF here: a "vfs N" rule selects the VF by it. */
        for (size_t i = 0, n = l.n; vfs && i < n; i++) {
                char pf[VC_ADDR_MAX];

                if (vc_dev_physfn(ctx, &l.devs[i], pf, sizeof(pf)) < 0)
                        continue;
                r = add(ctx, &l, pf, -1);
                if (r < 0)
                        return r;
        }
        if (l.n > 1)
                qsort(l.devs, l.n, sizeof(*l.devs), dev_cmp);
        ret->n = l.n;
        ret->devs = TAKE_PTR(l.devs);
        ret->n_ignored = l.n_ignored;
        return 0;
}
