// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check: libvirt's domains against the rules (issue #21). For each PCI
 * hostdev of /etc/libvirt/qemu/NAME.xml (under --root DIR): managed='yes' on a
 * device a rule claims is undone by libvirt when that VM stops (it rebinds
 * the device to its host driver, until the next boot); a hostdev that is not
 * managed='yes' on a device no rule claims keeps the domain from starting.
 * Warnings only: check's exit code stays what the rules make it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"
#include "vfio-claim-libvirt.h"

#define LIBVIRT_QEMU_DIR "/etc/libvirt/qemu"

static const char *managed_words(enum vc_managed m)
{
        switch (m) {
        case VC_MANAGED_YES:
                return "is managed='yes'";
        case VC_MANAGED_NO:
                return "is managed='no'";
        default:
                return "has no managed attribute (libvirt's default is managed='no')";
        }
}

static void on_domain(void *userdata, const char *path, const struct vc_libvirt_domain *dom, int err,
                      const struct vc_libvirt_error *perr)
{
        const struct session *s = userdata;
        const char *name;

        if (!dom) {
                if (perr && perr->line)
                        log_msg(LOG_WARNING, "%s:%u: cannot parse this libvirt domain: %s; its hostdevs not checked",
                                path, perr->line, perr->reason);
                else if (perr)
                        log_msg(LOG_WARNING, "%s: cannot parse this libvirt domain: %s; its hostdevs not checked", path,
                                perr->reason);
                else
                        log_msg(LOG_WARNING, "%s: cannot read: %s; its hostdevs not checked", path,
                                vc_read_strerror(err));
                return;
        }
        name = dom->name ? dom->name : "(no <name>)";
        for (size_t i = 0; i < dom->n_hostdevs; i++) {
                const struct vc_libvirt_hostdev *h = &dom->hostdevs[i];
                const struct vc_dev *d = vc_devlist_find(&s->devs, h->addr);

                if (d && d->rule && h->managed == VC_MANAGED_YES)
                        log_msg(LOG_WARNING,
                                "libvirt domain '%s' (%s:%u): hostdev %s [%04x:%04x] is managed='yes', and %s claims it: libvirt gives it back to its host driver when that VM stops, until the next boot; set managed='no' on that <hostdev> (virsh edit %s)",
                                name, path, h->line, d->addr, d->vendor, d->device, d->rule->origin, name);
                else if (!d && h->managed != VC_MANAGED_YES)
                        log_msg(LOG_WARNING,
                                "libvirt domain '%s' (%s:%u): hostdev %s %s, and there is no such PCI device: the domain will not start",
                                name, path, h->line, h->addr, managed_words(h->managed));
                else if (d && !d->rule && h->managed != VC_MANAGED_YES)
                        log_msg(LOG_WARNING,
                                "libvirt domain '%s' (%s:%u): hostdev %s [%04x:%04x] %s, and no rule claims it: the domain will not start (the device is %s%s); add the rule: address %s id %04x:%04x",
                                name, path, h->line, d->addr, d->vendor, d->device, managed_words(h->managed),
                                d->driver[0] ? "on " : "without a driver", d->driver, d->addr, d->vendor, d->device);
        }
}

void check_libvirt(struct session *s, const char *root)
{
        _cleanup_free_ char *dir = NULL;
        int k;

        /* A captured tree (--sysfs) is another machine's: this one's domains are not its. */
        if (!root && !vc_ctx_is_live(s->ctx))
                return;
        if (asprintf(&dir, "%s%s", root && strcmp(root, "/") != 0 ? root : "", LIBVIRT_QEMU_DIR) < 0) {
                log_msg(LOG_WARNING, "libvirt's domains not checked: %s", strerror(ENOMEM));
                return;
        }
        k = vc_libvirt_scan(dir, on_domain, s);
        if (k < 0 && k != -ENOENT)
                log_msg(LOG_WARNING, "%s: cannot read: %s; libvirt's domains not checked", dir, strerror(-k));
}
