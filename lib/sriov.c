// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "vfs N": SR-IOV virtual functions created at boot and handed to the rule's
 * driver, while the physical function keeps its host driver (issue 12).
 *
 * The kernel's side (drivers/pci/iov.c, sriov_numvfs_store(); measured on
 * Debian's 6.1 in the vm suite): a write to sriov_numvfs needs a driver with
 * sriov_configure bound to the PF (-ENOENT otherwise), refuses a count above
 * sriov_totalvfs (-ERANGE) and a different non-zero count while VFs exist
 * (-EBUSY). Each new VF is offered to drivers at once unless the PF's
 * sriov_drivers_autoprobe is 0; then only a driver_override lets it probe
 * (pci_device_can_probe()), which is what the engine writes next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

static int read_uint(struct vc_ctx *ctx, const char *addr, const char *attr, unsigned max, unsigned *ret)
{
        char buf[32];
        uint32_t v;
        int r;

        r = vc_sysfs_dev_read(ctx, addr, attr, buf, sizeof(buf));
        if (r < 0)
                return r;
        /* Decimal, as the kernel prints it ("%u\n"). */
        if (!buf[0] || strspn(buf, "0123456789") != strlen(buf) || strlen(buf) > 9)
                return -EINVAL;
        v = (uint32_t)strtoul(buf, NULL, 10);
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int vc_sriov_read(struct vc_ctx *ctx, const struct vc_dev *pf, struct vc_sriov *ret)
{
        struct vc_sriov s = {.offset = -1, .stride = -1, .autoprobe = -1};
        unsigned v;
        int r;

        r = read_uint(ctx, pf->addr, "sriov_totalvfs", VC_VFS_MAX, &s.total);
        if (r == -ENOENT)
                return vc_dev_exists(ctx, pf) ? -ENOTSUP : -ENODEV;
        if (r < 0)
                return r;
        r = read_uint(ctx, pf->addr, "sriov_numvfs", VC_VFS_MAX, &s.num);
        if (r < 0)
                return r;
        if (read_uint(ctx, pf->addr, "sriov_offset", 0xffff, &v) >= 0)
                s.offset = (int)v;
        if (read_uint(ctx, pf->addr, "sriov_stride", 0xffff, &v) >= 0)
                s.stride = (int)v;
        if (read_uint(ctx, pf->addr, "sriov_drivers_autoprobe", 1, &v) >= 0)
                s.autoprobe = (int)v;
        *ret = s;
        return 0;
}

int vc_sriov_vf_addr(const struct vc_dev *pf, const struct vc_sriov *s, unsigned k, char *buf, size_t size)
{
        uint32_t rid;

        if (s->offset < 0 || s->stride < 0)
                return -ENODATA;
        /* Routing ID: bus << 8 | devfn; a VF past bus 255 cannot exist. */
        rid = ((uint32_t)pf->bus << 8 | (uint32_t)pf->slot << 3 | pf->func) + (uint32_t)s->offset +
              k * (uint32_t)s->stride;
        if (rid > 0xffff)
                return -ERANGE;
        return vc_path(buf, size, "%04x:%02x:%02x.%x", pf->domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

int vc_sriov_vfs(struct vc_ctx *ctx, const char *pf_addr, char ***ret, size_t *ret_n)
{
        char **v = NULL;
        size_t n = 0;
        int r = 0;

        for (unsigned k = 0; k < VC_VFS_MAX; k++) {
                char link[32], name[VC_ADDR_MAX], *dup;

                r = vc_path(link, sizeof(link), "virtfn%u", k);
                if (r >= 0)
                        r = vc_sysfs_dev_link(ctx, pf_addr, link, name, sizeof(name));
                if (r == -ENOENT) {
                        r = 0;
                        break;
                }
                if (r >= 0 && !vc_addr_parse(name, NULL, NULL, NULL, NULL))
                        r = -EINVAL;
                dup = r >= 0 ? strdup(name) : NULL;
                if (r >= 0 && !dup)
                        r = -ENOMEM;
                if (r >= 0 && (r = vc_strv_push(&v, &n, dup)) < 0)
                        free(dup);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                vc_strv_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int vc_dev_physfn(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size)
{
        char name[VC_ADDR_MAX];
        int r;

        r = vc_sysfs_dev_link(ctx, dev->addr, "physfn", name, sizeof(name));
        if (r >= 0 && !vc_addr_parse(name, NULL, NULL, NULL, NULL))
                r = -EINVAL;
        if (r >= 0 && strlen(name) >= size)
                r = -ENAMETOOLONG;
        if (r < 0)
                return r;
        strcpy(buf, name);
        return 0;
}

void vc_sriov_vfs_free(char **v, size_t n)
{
        vc_strv_free(v, n);
}

/* The PF's own host driver: loaded by its modalias (as udev would), then bound. */
static int bind_host_driver(struct vc_ctx *ctx, struct vc_dev *pf)
{
        char alias[256];
        enum vc_module_state st;
        int r;

        r = vc_dev_read_driver(ctx, pf);
        if (r < 0 || pf->driver[0])
                return r;
        vc_dev_modalias(pf, "", alias, sizeof(alias));
        r = vc_module_load(ctx, alias, &st);
        if (r < 0 && r != -ENOENT)
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": loading the PF's driver (%s) failed: %s", VC_DEV_ARGS(pf), alias,
                       strerror(-r));
        else if (r == -ENOENT)
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": no module in this kernel's modules for the PF's modalias %s",
                       VC_DEV_ARGS(pf), alias);
        else if (st == VC_MODULE_BLACKLISTED)
                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": the PF's driver is blacklisted", VC_DEV_ARGS(pf));
        else if (st == VC_MODULE_LOADED)
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": module for the PF's modalias loaded", VC_DEV_ARGS(pf));
        /* Loading a module probes the devices it matches; built in or loaded
         * before, the driver may have passed the PF by: ask the bus. */
        r = vc_dev_read_driver(ctx, pf);
        if (r >= 0 && !pf->driver[0]) {
                r = vc_sysfs_probe(ctx, pf->addr);
                if (r >= 0 || r == -ENODEV)
                        r = vc_dev_read_driver(ctx, pf);
        }
        if (r < 0)
                return r;
        if (!pf->driver[0])
                return -ENOENT;
        vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": PF bound to its host driver %s", VC_DEV_ARGS(pf), pf->driver);
        return 0;
}

static int write_uint(struct vc_ctx *ctx, const char *addr, const char *attr, unsigned v)
{
        char value[16];

        snprintf(value, sizeof(value), "%u", v);
        return vc_sysfs_dev_write(ctx, addr, attr, value);
}

static void log_created(struct vc_ctx *ctx, struct vc_dev *pf, const struct vc_rule *rule)
{
        char **vfs = NULL, list[1024] = "";
        size_t n = 0, len = 0;

        if (vc_sriov_vfs(ctx, pf->addr, &vfs, &n) < 0)
                n = 0;
        for (size_t i = 0; i < n && len + VC_ADDR_MAX + 2 < sizeof(list); i++)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? " " : "", vfs[i]);
        vc_log(ctx, n == rule->vfs ? LOG_NOTICE : LOG_ERR, VC_DEV_FMT ": %zu of %u VFs there: %s", VC_DEV_ARGS(pf), n,
               rule->vfs, n ? list : "none");
        vc_sriov_vfs_free(vfs, n);
}

/* One PF. Nothing is written before every check passed. */
static void create_vfs(struct vc_ctx *ctx, struct vc_rule *rule, struct vc_dev *pf)
{
        struct vc_sriov s;
        int r;

        r = vc_sriov_read(ctx, pf, &s);
        if (r < 0) {
                vc_log(ctx, LOG_ERR, "%s: " VC_DEV_FMT " %s; no VFs created", rule->origin, VC_DEV_ARGS(pf),
                       r == -ENOTSUP ? "is not SR-IOV capable (no sriov_totalvfs)" : strerror(-r));
                return;
        }
        if (rule->vfs > s.total) {
                vc_log(ctx, LOG_ERR, "%s: vfs %u is more than " VC_DEV_FMT "'s sriov_totalvfs %u; no VFs created",
                       rule->origin, rule->vfs, VC_DEV_ARGS(pf), s.total);
                return;
        }
        if (s.num == rule->vfs) {
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": %u VFs already enabled", VC_DEV_ARGS(pf), s.num);
                return;
        }
        if (ctx->dry_run) {
                vc_log(ctx, LOG_INFO,
                       VC_DEV_FMT
                       ": dry run: would bind the PF's host driver%s, set sriov_drivers_autoprobe 0 and sriov_numvfs %s%u",
                       VC_DEV_ARGS(pf), pf->driver[0] ? " (it is on it)" : "", s.num ? "0, then " : "", rule->vfs);
                return;
        }
        r = bind_host_driver(ctx, pf);
        if (r < 0) {
                vc_log(ctx, LOG_ERR,
                       "%s: " VC_DEV_FMT ": the PF has no driver to create VFs (%s); nothing else touched",
                       rule->origin, VC_DEV_ARGS(pf), strerror(-r));
                return;
        }
        if (s.autoprobe == 1) {
                r = write_uint(ctx, pf->addr, "sriov_drivers_autoprobe", 0);
                if (r < 0) {
                        vc_log(ctx, LOG_ERR, VC_DEV_FMT ": cannot set sriov_drivers_autoprobe to 0: %s; no VFs created",
                               VC_DEV_ARGS(pf), strerror(-r));
                        return;
                }
                rule->vfs_restore = true;
                strcpy(rule->vfs_pf, pf->addr);
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": sriov_drivers_autoprobe set to 0 (was 1)", VC_DEV_ARGS(pf));
        }
        if (s.num > 0) {
                vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": %u VFs enabled; setting sriov_numvfs to 0 first",
                       VC_DEV_ARGS(pf), s.num);
                r = write_uint(ctx, pf->addr, "sriov_numvfs", 0);
        }
        if (r >= 0)
                r = write_uint(ctx, pf->addr, "sriov_numvfs", rule->vfs);
        if (r < 0) {
                vc_log(ctx, LOG_ERR, "%s: " VC_DEV_FMT ": writing sriov_numvfs failed: %s%s", rule->origin,
                       VC_DEV_ARGS(pf), strerror(-r),
                       r == -ENOENT  ? " (the PF's driver cannot create VFs)"
                       : r == -EBUSY ? " (VFs in use)"
                                     : "");
                return;
        }
        vc_log(ctx, LOG_NOTICE, VC_DEV_FMT ": sriov_numvfs set to %u (PF on %s)", VC_DEV_ARGS(pf), rule->vfs,
               pf->driver);
        log_created(ctx, pf, rule);
}

int vc_sriov_create(struct vc_ctx *ctx, struct vc_config *cfg)
{
        struct vc_devlist devs = {0};
        bool any = false;
        int r;

        for (size_t i = 0; i < cfg->n_rules; i++)
                any |= cfg->rules[i].has_vfs;
        if (!any)
                return 0;
        r = vc_pci_enumerate(ctx, NULL, &devs);
        if (r < 0)
                return r;
        for (size_t ri = 0; ri < cfg->n_rules; ri++) {
                struct vc_rule *rule = &cfg->rules[ri];

                /* No match or a guard mismatch: vc_resolve() says so. */
                for (size_t i = 0; rule->has_vfs && i < devs.n; i++)
                        if (vc_rule_matches(rule, &devs.devs[i]))
                                create_vfs(ctx, rule, &devs.devs[i]);
        }
        vc_devlist_clear(&devs);
        return 0;
}

void vc_sriov_finish(struct vc_ctx *ctx, struct vc_config *cfg)
{
        for (size_t ri = 0; ri < cfg->n_rules; ri++) {
                struct vc_rule *rule = &cfg->rules[ri];
                int r;

                if (!rule->vfs_restore)
                        continue;
                r = write_uint(ctx, rule->vfs_pf, "sriov_drivers_autoprobe", 1);
                if (r < 0)
                        vc_log(ctx, LOG_WARNING, "%s: cannot set sriov_drivers_autoprobe back to 1: %s", rule->vfs_pf,
                               strerror(-r));
                else
                        vc_log(ctx, LOG_INFO, "%s: sriov_drivers_autoprobe back to 1", rule->vfs_pf);
                rule->vfs_restore = false;
        }
}
