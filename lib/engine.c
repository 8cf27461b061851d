// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The claim engine. Order matters: driver_override goes on every selected
 * device before anything else happens, because from that moment no other
 * driver can take the device, whatever loads next. Only then is the target
 * module loaded, the host driver unbound and the target bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

const char *vc_outcome_to_string(enum vc_outcome o)
{
        switch (o) {
        case VC_OUT_NONE:
                return "not selected";
        case VC_OUT_CLAIMED:
                return "claimed";
        case VC_OUT_ALREADY:
                return "already on target";
        case VC_OUT_HELD:
                return "held off, not bound";
        case VC_OUT_FAILED:
                return "failed";
        case VC_OUT_GONE:
                return "gone";
        case VC_OUT_DRY_RUN:
                return "dry run";
        }
        return "unknown";
}

static void select_dev(struct vc_ctx *ctx, struct vc_rule *rule, struct vc_dev *dev, const struct vc_dev *via)
{
        if (vc_dev_is_bridge(dev)) {
                /* Taking a bridge from pcieport cuts off everything behind it. */
                /* The caller words it, once, with the rule's outcome (cmd/session.c). */
                if (!via)
                        vc_log(ctx, LOG_DEBUG, "%s: " VC_DEV_FMT " is a PCI bridge; bridges are never claimed",
                               rule->origin, VC_DEV_ARGS(dev));
                return;
        }
        if (via && vc_dev_is_chipset_bridge(dev)) {
                vc_log(ctx, LOG_INFO,
                       "%s: " VC_DEV_FMT
                       " (class %06x) shares IOMMU group %d but is a chipset bridge the host needs; not added",
                       rule->origin, VC_DEV_ARGS(dev), dev->class, via->group);
                return;
        }
        if (dev->rule == rule)
                return;
        if (dev->rule) {
                bool same = strcmp(dev->rule->driver, rule->driver) == 0;

                if (!via && same)
                        rule->n_shadowed++;
                else if (!via)
                        rule->n_conflicts++;
                if (!same)
                        vc_log(ctx, LOG_WARNING, "%s: " VC_DEV_FMT " is already selected by %s for %s; keeping that",
                               rule->origin, VC_DEV_ARGS(dev), dev->rule->origin, dev->rule->driver);
                return;
        }
        dev->rule = rule;
        dev->via = via;
        rule->n_selected++;
}

/* pf has VFs and one of them is selected. */
static bool pf_of_selected(struct vc_ctx *ctx, const struct vc_devlist *devs, const struct vc_dev *pf)
{
        char **vfs = NULL;
        size_t n = 0;
        bool any = false;

        if (vc_sriov_vfs(ctx, pf->addr, &vfs, &n) < 0)
                return false;
        for (size_t i = 0; i < n && !any; i++) {
                const struct vc_dev *vf = vc_devlist_find(devs, vfs[i]);

                any = vf && vf->rule;
        }
        vc_sriov_vfs_free(vfs, n);
        return any;
}

static void expand_group(struct vc_ctx *ctx, struct vc_rule *rule, struct vc_devlist *devs, struct vc_dev *dev)
{
        char **members = NULL;
        size_t n = 0;
        int r;

        r = vc_dev_read_group(ctx, dev);
        if (r >= 0 && dev->group < 0) {
                vc_log(ctx, LOG_WARNING, "%s: " VC_DEV_FMT " has no IOMMU group (IOMMU off?); 'group' adds nothing",
                       rule->origin, VC_DEV_ARGS(dev));
                return;
        }
        if (r >= 0)
                r = vc_group_members(ctx, dev->group, &members, &n);
        if (r < 0) {
                vc_log(ctx, LOG_WARNING, "%s: " VC_DEV_FMT ": cannot read its IOMMU group: %s", rule->origin,
                       VC_DEV_ARGS(dev), strerror(-r));
                return;
        }
        for (size_t i = 0; i < n; i++) {
                struct vc_dev *m = vc_devlist_find(devs, members[i]);

                /* A PF whose VFs are selected keeps its host driver: unbinding
                 * it would destroy them. check names it as the blocker. */
                if (m && m != dev && pf_of_selected(ctx, devs, m)) {
                        (void)vc_dev_read_uevent(ctx, m);
                        vc_log(ctx, LOG_NOTICE,
                               "%s: " VC_DEV_FMT
                               " in IOMMU group %d of %s is the PF of selected VFs; it keeps its host driver",
                               rule->origin, VC_DEV_ARGS(m), dev->group, dev->addr);
                        continue;
                }
                /* A member enumeration left unread (no rule names its address) is read now. */
                if (m && m != dev && vc_dev_read_uevent(ctx, m) >= 0) {
                        select_dev(ctx, rule, m, dev);
                        if (m->rule == rule && m->via == dev)
                                vc_log(ctx, LOG_DEBUG, "%s: " VC_DEV_FMT " added: IOMMU group %d of %s", rule->origin,
                                       VC_DEV_ARGS(m), dev->group, dev->addr);
                }
        }
        vc_strv_free(members, n);
}

/* For a guard that failed: where devices are now that the rule would take
 * without its address (the card moved), "0000:02:00.0" or a list of them
 * ("" for none). Unread devices are read for it. */
static void find_moved(struct vc_ctx *ctx, const struct vc_rule *rule, struct vc_devlist *devs, char *buf, size_t size,
                       const struct vc_dev **ret_first)
{
        struct vc_rule anywhere = *rule;
        size_t n = 0, len = 0;

        anywhere.has_slot = false;
        buf[0] = 0;
        *ret_first = NULL;
        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];

                if (vc_slot_match(&rule->slot, d) || vc_dev_read_uevent(ctx, d) < 0 || vc_dev_is_bridge(d) ||
                    !vc_rule_select(ctx, &anywhere, d))
                        continue;
                if (!*ret_first)
                        *ret_first = d;
                if (n++ == 4) {
                        (void)snprintf(buf + len, size - len, ", ...");
                        return;
                }
                len += (size_t)snprintf(buf + len, size - len, "%s%s", n > 1 ? ", " : "", d->addr);
        }
}

/* "vfs N": the PF at the address keeps its host driver; the rule selects its
 * VFs, those there now (vc_sriov_create() made them at boot). A PF without
 * VFs yet is no error here: apply and check say what happens to it. */
static void select_vfs(struct vc_ctx *ctx, struct vc_rule *rule, struct vc_devlist *devs)
{
        bool pf_found = false;

        for (size_t i = 0; i < devs->n; i++) {
                char **vfs = NULL;
                size_t n = 0;

                if (!vc_rule_matches(rule, &devs->devs[i]))
                        continue;
                pf_found = true;
                if (vc_sriov_vfs(ctx, devs->devs[i].addr, &vfs, &n) < 0)
                        continue;
                for (size_t k = 0; k < n && k < rule->vfs; k++) {
                        struct vc_dev *vf = vc_devlist_find(devs, vfs[k]);

                        if (vf && vc_dev_read_uevent(ctx, vf) >= 0)
                                select_dev(ctx, rule, vf, NULL);
                }
                vc_sriov_vfs_free(vfs, n);
        }
        if (!pf_found)
                rule->state = VC_RULE_NO_MATCH;
}

/* An id rule (no address) that matches no device at all, bridges included,
 * like vfio-pci.ids=, apply registers it with new_id for devices that appear
 * later (VFs created after boot, hot-added cards). */
static bool id_only_unmatched(const struct vc_rule *rule, const struct vc_devlist *devs)
{
        /* A device whose uevent could not be used might have the id. An
         * address or an identity (serial, path, slot) names one device, as
         * register_id() knows: absent, it is gone, not coming. */
        if (!rule->has_id || rule->has_slot || vc_rule_has_identity(rule) || rule->n_conflicts > 0 ||
            devs->n_ignored > 0)
                return false;
        for (size_t i = 0; i < devs->n; i++)
                if (vc_rule_matches(rule, &devs->devs[i]))
                        return false;
        return true;
}

int vc_resolve(struct vc_ctx *ctx, struct vc_config *cfg, struct vc_devlist *devs)
{
        for (size_t i = 0; i < devs->n; i++) {
                devs->devs[i].rule = NULL;
                devs->devs[i].via = NULL;
                devs->devs[i].outcome = VC_OUT_NONE;
                devs->devs[i].outcome_errno = 0;
        }
        for (size_t ri = 0; ri < cfg->n_rules; ri++) {
                struct vc_rule *rule = &cfg->rules[ri];
                const struct vc_dev *mismatch = NULL;

                rule->state = VC_RULE_OK;
                rule->n_selected = 0;
                rule->n_shadowed = 0;
                rule->n_conflicts = 0;
                /* With an address, the other selectors guard it: devices there that
                 * fail them are left alone (as lspci -s -d shows), and when none
                 * passes, the hardware is not what the admin thinks. */
                if (rule->has_slot && (rule->has_id || rule->has_subsys)) {
                        const struct vc_dev *first = NULL;
                        bool any = false;

                        for (size_t i = 0; i < devs->n && !any; i++)
                                if (vc_slot_match(&rule->slot, &devs->devs[i])) {
                                        if (!first)
                                                first = &devs->devs[i];
                                        any = vc_rule_select(ctx, rule, &devs->devs[i]);
                                }
                        if (first && !any)
                                mismatch = first;
                }
                if (mismatch) {
                        const struct vc_dev *moved;
                        char where[5 * (VC_ADDR_MAX + 2) + 8];

                        find_moved(ctx, rule, devs, where, sizeof(where), &moved);
                        rule->state = VC_RULE_GUARD_MISMATCH;
                        if (moved)
                                vc_log(ctx, LOG_ERR,
                                       "%s: guard mismatch: %s is [%04x:%04x] subsystem [%04x:%04x] class %06x, not what '%s' expects; a %04x:%04x is now at %s \u2014 update the rule or select it by 'serial'/'slot'/'path'; rule claims nothing",
                                       rule->origin, mismatch->addr, mismatch->vendor, mismatch->device,
                                       mismatch->subvendor, mismatch->subdevice, mismatch->class, rule->text,
                                       moved->vendor, moved->device, where);
                        else
                                vc_log(ctx, LOG_ERR,
                                       "%s: guard mismatch: %s is [%04x:%04x] subsystem [%04x:%04x] class %06x, not what '%s' expects; rule claims nothing",
                                       rule->origin, mismatch->addr, mismatch->vendor, mismatch->device,
                                       mismatch->subvendor, mismatch->subdevice, mismatch->class, rule->text);
                        continue;
                }
                if (rule->has_vfs) {
                        select_vfs(ctx, rule, devs);
                        continue;
                }
                for (size_t i = 0; i < devs->n; i++)
                        if (vc_rule_select(ctx, rule, &devs->devs[i]))
                                select_dev(ctx, rule, &devs->devs[i], NULL);
                /* From each device the rule matches itself, also one an earlier
                 * rule took for the same driver: "address X" then "address X
                 * group" still adds X's group. */
                if (rule->group)
                        for (size_t i = 0; i < devs->n; i++) {
                                struct vc_dev *d = &devs->devs[i];

                                if (d->rule == rule ? !d->via
                                                    : d->rule && strcmp(d->rule->driver, rule->driver) == 0 &&
                                                              vc_rule_matches(rule, d))
                                        expand_group(ctx, rule, devs, d);
                        }
                /* A rule whose devices an earlier rule took for the same driver is
                 * redundant, not wrong; for another driver it claims nothing. */
                if (rule->n_selected == 0 && rule->n_shadowed > 0)
                        vc_log(ctx, LOG_NOTICE,
                               "%s: selects nothing new: an earlier rule selected every device it matches",
                               rule->origin);
                else if (rule->n_selected == 0)
                        rule->state = id_only_unmatched(rule, devs) ? VC_RULE_LATER : VC_RULE_NO_MATCH;
        }
        vc_resolve_variants(ctx, devs);
        return 0;
}

/* Phase 1: the override, on every selected device, before anything else. */
static void set_override(struct vc_ctx *ctx, struct vc_dev *dev)
{
        const char *target = vc_dev_target(dev);
        char cur[VC_ATTR_MAX];
        int r;

        r = vc_dev_read_override(ctx, dev, cur, sizeof(cur));
        if (r >= 0 && strcmp(cur, target) == 0) {
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": driver_override already %s", VC_DEV_ARGS(dev), target);
                return;
        }
        if (r >= 0 && cur[0])
                vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": driver_override was %.*s, replacing it", VC_DEV_ARGS(dev),
                       VC_OVERRIDE_SHOWN, cur);
        if (ctx->dry_run) {
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": dry run: would set driver_override to %s", VC_DEV_ARGS(dev),
                       target);
                return;
        }
        r = vc_sysfs_dev_write(ctx, dev->addr, "driver_override", target);
        if (r < 0) {
                dev->outcome_errno = -r;
                if (!vc_dev_exists(ctx, dev)) {
                        dev->outcome = VC_OUT_GONE;
                        vc_log(ctx, LOG_ERR, VC_DEV_FMT ": device is gone", VC_DEV_ARGS(dev));
                        return;
                }
                dev->outcome = VC_OUT_FAILED;
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": cannot set driver_override to %s: %s%s", VC_DEV_ARGS(dev), target,
                       strerror(-r), r == -ENOENT ? " (kernel older than 3.16?)" : "");
                return;
        }
        vc_log(ctx, LOG_INFO, VC_DEV_FMT ": driver_override set to %s", VC_DEV_ARGS(dev), target);
}

/* Phase 2: each target driver's module, once. */
static void load_driver(struct vc_ctx *ctx, const char *driver)
{
        enum vc_module_state st;
        int r;

        if (vc_driver_loaded(ctx, driver)) {
                vc_log(ctx, LOG_DEBUG, "driver %s is registered already", driver);
                return;
        }
        r = vc_module_load(ctx, driver, &st);
        if (r == -ENOENT)
                vc_log(ctx, LOG_ERR,
                       "no module for driver %s in this kernel's modules; selected devices stay held off other drivers",
                       driver);
        else if (r < 0)
                vc_log(ctx, LOG_ERR,
                       "loading the module for driver %s failed: %s; selected devices stay held off other drivers",
                       driver, strerror(-r));
        else if (st == VC_MODULE_BLACKLISTED)
                vc_log(ctx, LOG_ERR,
                       "module for driver %s is blacklisted; selected devices stay held off other drivers", driver);
        else if (st == VC_MODULE_SKIPPED)
                vc_log(ctx, LOG_INFO, "%s: would load the module for driver %s",
                       ctx->dry_run ? "dry run" : "not the live /sys", driver);
        else
                vc_log(ctx, LOG_INFO, "module for driver %s loaded", driver);
}

static const char *bind_failure(struct vc_ctx *ctx, struct vc_dev *dev, int err)
{
        if (err == -ENODEV && !vc_dev_exists(ctx, dev))
                return "device is gone";
        if (err == -ENODEV)
                return "the driver does not match the device";
        if (err == -EBUSY)
                return "device busy (bound meanwhile, or a PF with VFs enabled)";
        if (err == -EINVAL && strcmp(vc_dev_target(dev), "vfio-pci") == 0) {
                if (vc_dev_read_group(ctx, dev) >= 0 && dev->group < 0)
                        return "no IOMMU group: IOMMU off (add intel_iommu=on or amd_iommu=on, enable VT-d/AMD-Vi)";
                return "vfio-pci refused it (bridge or denylisted device)";
        }
        return NULL;
}

/* Phase 3: away from the host driver, onto the target. */
static void move_dev(struct vc_ctx *ctx, struct vc_dev *dev, bool target_registered)
{
        const char *target = vc_dev_target(dev);
        char before[VC_DRIVER_MAX];
        int r;

        strcpy(before, dev->driver);
        r = vc_dev_read_driver(ctx, dev);
        if (r < 0) {
                dev->outcome = r == -ENODEV ? VC_OUT_GONE : VC_OUT_FAILED;
                dev->outcome_errno = -r;
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": %s", VC_DEV_ARGS(dev),
                       r == -ENODEV ? "device is gone" : strerror(-r));
                return;
        }
        if (strcmp(dev->driver, target) == 0) {
                dev->outcome = strcmp(before, target) == 0 ? VC_OUT_ALREADY : VC_OUT_CLAIMED;
                vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": %s %s", VC_DEV_ARGS(dev),
                       dev->outcome == VC_OUT_ALREADY ? "already bound to" : "bound to", target);
                return;
        }
        if (dev->driver[0]) {
                if (ctx->dry_run)
                        vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": dry run: would unbind from %s", VC_DEV_ARGS(dev),
                               dev->driver);
                else {
                        vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": unbinding from %s", VC_DEV_ARGS(dev), dev->driver);
                        r = vc_sysfs_driver_write(ctx, dev->driver, "unbind", dev->addr);
                        if (r < 0 && r != -ENODEV) {
                                dev->outcome = VC_OUT_FAILED;
                                dev->outcome_errno = -r;
                                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": unbinding from %s failed: %s; it stays on %s",
                                       VC_DEV_ARGS(dev), dev->driver, strerror(-r), dev->driver);
                                return;
                        }
                }
        }
        if (ctx->dry_run) {
                dev->outcome = VC_OUT_DRY_RUN;
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": dry run: would bind to %s", VC_DEV_ARGS(dev), target);
                return;
        }
        if (!target_registered) {
                dev->outcome = VC_OUT_HELD;
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": driver %s is not available; held off other drivers, not bound",
                       VC_DEV_ARGS(dev), target);
                return;
        }
        r = vc_sysfs_driver_write(ctx, target, "bind", dev->addr);
        /* The kernel's answer is not the whole truth (drivers_probe never fails, bind
         * can race with the module's own probe): the driver link decides. */
        if (vc_dev_read_driver(ctx, dev) >= 0 && strcmp(dev->driver, target) == 0) {
                dev->outcome = VC_OUT_CLAIMED;
                vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": bound to %s%s%s", VC_DEV_ARGS(dev), target,
                       before[0] ? ", taken from " : "", before);
                return;
        }
        if (!vc_dev_exists(ctx, dev)) {
                dev->outcome = VC_OUT_GONE;
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": device is gone", VC_DEV_ARGS(dev));
                return;
        }
        dev->outcome = VC_OUT_HELD;
        dev->outcome_errno = r < 0 ? -r : 0;
        if (r < 0) {
                const char *why = bind_failure(ctx, dev, r);

                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": binding to %s failed: %s%s%s; held off other drivers",
                       VC_DEV_ARGS(dev), target, strerror(-r), why ? ": " : "", why ? why : "");
        } else
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": bind to %s accepted but the device has %s%s; held off other drivers",
                       VC_DEV_ARGS(dev), target, dev->driver[0] ? "driver " : "no driver", dev->driver);
}

/* "VVVV DDDD SVVV SDDD CCCCCC MMMMMM" as new_id and remove_id take it; ANY is ffffffff. */
void vc_format_new_id(const struct vc_rule *rule, char *buf, size_t size)
{
        const struct vc_id_filter *f = &rule->id;
        uint32_t class = 0, mask = 0;

        if (f->class >= 0) {
                class = (uint32_t)f->class << 8;
                mask = (f->class_mask & 0xffff) << 8;
        }
        if (f->prog_if >= 0) {
                class |= (uint32_t)f->prog_if;
                mask |= 0xff;
        }
        snprintf(buf, size, "%x %x %x %x %x %x", f->vendor >= 0 ? (uint32_t)f->vendor : 0xffffffffu,
                 f->device >= 0 ? (uint32_t)f->device : 0xffffffffu,
                 rule->has_subsys && rule->subsys.vendor >= 0 ? (uint32_t)rule->subsys.vendor : 0xffffffffu,
                 rule->has_subsys && rule->subsys.device >= 0 ? (uint32_t)rule->subsys.device : 0xffffffffu, class,
                 mask);
}

/* Phase 4: like vfio-pci.ids=, so a hot-plugged twin is taken too. Only for
 * pure id rules, and only when the id selects nothing this rule left out. */
static void register_id(struct vc_ctx *ctx, const struct vc_rule *rule, const struct vc_devlist *devs)
{
        char id[128];
        int r;

        /* An identity selector tells twins apart; their common id must not take both. */
        if (!rule->has_id || rule->has_slot || vc_rule_has_identity(rule) || rule->driver_auto ||
            (rule->state != VC_RULE_OK && rule->state != VC_RULE_LATER))
                return;
        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *d = &devs->devs[i];

                if (vc_rule_matches(rule, d) && d->rule != rule) {
                        vc_log(ctx, LOG_INFO, "%s: not registering the id with %s: it also matches " VC_DEV_FMT,
                               rule->origin, rule->driver, VC_DEV_ARGS(d));
                        return;
                }
        }
        vc_format_new_id(rule, id, sizeof(id));
        if (ctx->dry_run) {
                vc_log(ctx, LOG_INFO, "%s: dry run: would register id %s with %s (new_id)", rule->origin, id,
                       rule->driver);
                return;
        }
        if (!vc_driver_loaded(ctx, rule->driver)) {
                if (rule->state == VC_RULE_LATER)
                        vc_log(ctx, LOG_WARNING, "%s: driver %s is not available; id %s not registered", rule->origin,
                               rule->driver, id);
                return;
        }
        r = vc_sysfs_driver_write(ctx, rule->driver, "new_id", id);
        if (r == -EEXIST)
                vc_log(ctx, LOG_DEBUG, "%s: id %s already registered with %s", rule->origin, id, rule->driver);
        else if (r < 0)
                vc_log(ctx, LOG_WARNING, "%s: registering id %s with %s failed: %s", rule->origin, id, rule->driver,
                       strerror(-r));
        else
                vc_log(ctx, LOG_INFO, "%s: id %s registered with %s (new_id)", rule->origin, id, rule->driver);
}

/* Before the override and the bind: what release gives back of the power files (lib/power.c). */
static void power_record(struct vc_ctx *ctx, const struct vc_dev *dev)
{
        int r = vc_power_record(ctx, dev);

        if (r < 0)
                vc_log(ctx, LOG_WARNING,
                       VC_DEV_FMT
                       ": cannot record its power settings under the run directory: %s; release will not restore them",
                       VC_DEV_ARGS(dev), strerror(-r));
}

int vc_apply(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *devs, struct vc_dev *const *work,
             size_t n_work, unsigned flags, struct vc_apply_stats *ret)
{
        _cleanup_free_ bool *sel = calloc(devs->n + 1, sizeof(bool));
        struct vc_apply_stats st = {0};

        if (!sel)
                return -ENOMEM;
        /* The devices to work on: the selected ones of work, or every selected one. */
        for (size_t k = 0; work && k < n_work; k++) {
                if (work[k] < devs->devs || work[k] >= devs->devs + devs->n)
                        return -EINVAL;
                sel[work[k] - devs->devs] = work[k]->rule != NULL;
        }
        for (size_t i = 0; !work && i < devs->n; i++)
                sel[i] = devs->devs[i].rule != NULL;
        for (size_t i = 0; i < devs->n; i++)
                if (sel[i]) {
                        st.selected++;
                        /* Before the override: loading vfio-pci binds an overridden device at once. */
                        power_record(ctx, &devs->devs[i]);
                        set_override(ctx, &devs->devs[i]);
                }
        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *d = &devs->devs[i];
                bool seen = false;

                if (!sel[i] || d->outcome != VC_OUT_NONE)
                        continue;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = sel[j] && devs->devs[j].outcome == VC_OUT_NONE &&
                               strcmp(vc_dev_target(&devs->devs[j]), vc_dev_target(d)) == 0;
                if (!seen)
                        load_driver(ctx, vc_dev_target(d));
        }
        /* An id rule for devices that appear later needs its driver now: new_id
         * is the driver's file. */
        for (size_t ri = 0; (flags & VC_APPLY_NEW_ID) && ri < cfg->n_rules; ri++) {
                const struct vc_rule *rule = &cfg->rules[ri];
                bool seen = false;

                if (rule->state != VC_RULE_LATER)
                        continue;
                for (size_t i = 0; i < devs->n && !seen; i++)
                        seen = sel[i] && strcmp(devs->devs[i].rule->driver, rule->driver) == 0;
                for (size_t j = 0; j < ri && !seen; j++)
                        seen = cfg->rules[j].state == VC_RULE_LATER && strcmp(cfg->rules[j].driver, rule->driver) == 0;
                if (!seen)
                        load_driver(ctx, rule->driver);
        }
        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];

                if (!sel[i] || d->outcome != VC_OUT_NONE)
                        continue;
                move_dev(ctx, d, vc_driver_loaded(ctx, vc_dev_target(d)));
                vc_power_apply(ctx, d); /* after the bind: vfio-pci's probe sets power/control */
        }
        /* Right after the binds: the nodes exist now (devtmpfs makes them in the bind). */
        vc_apply_nodes(ctx, devs, sel);
        if (flags & VC_APPLY_NEW_ID)
                for (size_t ri = 0; ri < cfg->n_rules; ri++)
                        register_id(ctx, &cfg->rules[ri], devs);
        for (size_t i = 0; i < devs->n; i++)
                switch (sel[i] ? devs->devs[i].outcome : VC_OUT_NONE) {
                case VC_OUT_CLAIMED:
                        st.claimed++;
                        break;
                case VC_OUT_ALREADY:
                        st.already++;
                        break;
                case VC_OUT_HELD:
                        st.held++;
                        break;
                case VC_OUT_FAILED:
                case VC_OUT_GONE:
                        st.failed++;
                        break;
                default:
                        break;
                }
        if (ret)
                *ret = st;
        return 0;
}
