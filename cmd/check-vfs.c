// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check, for rules with "vfs N": what apply would do to the PF and where the
 * VFs would be, from the PF's sriov_* files (lib/sriov.c). Beside check.c so
 * that the verb's file keeps to the rules every verb shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "output.h"

/* "0000:01:00.1 0000:01:00.2", the VFs there now or those N would create. */
static void vf_list(struct session *s, const struct vc_dev *pf, const struct vc_sriov *sr, unsigned n, char *buf,
                    size_t size)
{
        char **vfs = NULL;
        size_t have = 0, len = 0;

        buf[0] = 0;
        if (sr->num == n && vc_sriov_vfs(s->ctx, pf->addr, &vfs, &have) >= 0 && have == n) {
                for (size_t i = 0; i < have && len + VC_ADDR_MAX + 1 < size; i++)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", vfs[i]);
                vc_sriov_vfs_free(vfs, have);
                return;
        }
        vc_sriov_vfs_free(vfs, have);
        for (unsigned k = 0; k < n && len + VC_ADDR_MAX + 8 < size; k++) {
                char a[VC_ADDR_MAX];

                if (vc_sriov_vf_addr(pf, sr, k, a, sizeof(a)) < 0) {
                        snprintf(buf, size, "addresses unknown (no sriov_offset/sriov_stride)");
                        return;
                }
                len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? " " : "", a);
        }
        if (n > 0 && len + VC_ADDR_MAX + 8 >= size)
                snprintf(buf + len, size - len, " ...");
}

static void check_pf(struct session *s, const struct vc_rule *rule, const struct vc_dev *pf)
{
        struct vc_sriov sr;
        char list[1024], module[VC_DRIVER_MAX], host[VC_DRIVER_MAX + 64];
        int k;

        k = vc_sriov_read(s->ctx, pf, &sr);
        if (k == -ENOTSUP) {
                log_msg(LOG_ERR,
                        "%s [%04x:%04x] (%s): not SR-IOV capable (no sriov_totalvfs): vfs %u cannot be created",
                        pf->addr, pf->vendor, pf->device, rule->origin, rule->vfs);
                return;
        }
        if (k < 0) {
                log_msg(LOG_ERR, "%s [%04x:%04x] (%s): cannot read its SR-IOV files: %s", pf->addr, pf->vendor,
                        pf->device, rule->origin, strerror(-k));
                return;
        }
        if (rule->vfs > sr.total) {
                log_msg(LOG_ERR, "%s [%04x:%04x] (%s): vfs %u is more than its sriov_totalvfs %u", pf->addr, pf->vendor,
                        pf->device, rule->origin, rule->vfs, sr.total);
                return;
        }
        if (sr.num != 0 && sr.num != rule->vfs)
                log_msg(LOG_NOTICE, "%s [%04x:%04x] (%s): %u VFs enabled now; apply sets sriov_numvfs to 0 first",
                        pf->addr, pf->vendor, pf->device, rule->origin, sr.num);
        /* No driver now: apply loads the one of the PF's modalias (of --kernel's modules here). */
        if (pf->driver[0])
                snprintf(host, sizeof(host), "stays on %s", pf->driver);
        else {
                k = vc_host_module_lookup(s->ctx, pf, module, sizeof(module));
                if (k == 0) {
                        log_msg(LOG_WARNING,
                                "%s [%04x:%04x] (%s): no driver now, and none for its modalias in the kernel's module index (modules.alias, modules.builtin): apply cannot create VFs",
                                pf->addr, pf->vendor, pf->device, rule->origin);
                        return;
                }
                snprintf(host, sizeof(host), "goes to %s (loaded and bound by apply)",
                         k > 0 ? module : "the host driver of its modalias");
        }
        vf_list(s, pf, &sr, rule->vfs, list, sizeof(list));
        log_msg(LOG_NOTICE, "%s [%04x:%04x] (%s): the PF %s; vfs %u: %s for %s", pf->addr, pf->vendor, pf->device,
                rule->origin, host, rule->vfs, list, rule->driver);
}

void check_vfs(struct session *s)
{
        for (size_t ri = 0; ri < s->cfg.n_rules; ri++) {
                const struct vc_rule *rule = &s->cfg.rules[ri];

                if (!rule->has_vfs || rule->state != VC_RULE_OK)
                        continue;
                for (size_t i = 0; i < s->devs.n; i++)
                        if (vc_rule_matches(rule, &s->devs.devs[i]))
                                check_pf(s, rule, &s->devs.devs[i]);
        }
}
