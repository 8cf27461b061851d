// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check, for rules with reset-method: whether each selected device can take
 * it (lib/power.c). d3cold_allowed and power/control exist on every PCI
 * device and take both values, so d3cold and runtime-pm have nothing to
 * predict. Beside check.c, as check-vfs.c is.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "output.h"

void check_power(struct session *s)
{
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *d = &s->devs.devs[i];
                char method[VC_RESET_VALUE_MAX], path[PATH_MAX];
                int k;

                if (!d->rule || !d->rule->power.reset[0])
                        continue;
                k = vc_power_check_reset(s->ctx, d, &d->rule->power, method, sizeof(method));
                if (k == 0)
                        continue;
                if (vc_sysfs_dir(s->ctx, VC_SYSFS_PCI_DEVICES, path, sizeof(path)) < 0)
                        path[0] = 0;
                if (k == -ENOENT)
                        log_msg(LOG_ERR,
                                "%s [%04x:%04x] (%s): reset-method %s: %s/%s/reset_method does not exist: the kernel is older than 5.15, or the device offers no reset at all",
                                d->addr, d->vendor, d->device, d->rule->origin, d->rule->power.reset, path, d->addr);
                else if (k == -EOPNOTSUPP)
                        log_msg(LOG_ERR,
                                "%s [%04x:%04x] (%s): reset-method %s: the device does not offer %s (%s/%s/reset_method lists what it offers)",
                                d->addr, d->vendor, d->device, d->rule->origin, d->rule->power.reset, method, path,
                                d->addr);
                else
                        log_msg(LOG_ERR, "%s [%04x:%04x] (%s): reset-method: cannot read %s/%s/reset_method: %s",
                                d->addr, d->vendor, d->device, d->rule->origin, path, d->addr, strerror(-k));
        }
}
