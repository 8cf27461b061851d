// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What check and status say about "owner" and "mode" (lib/owner.c): names
 * that do not resolve, rules that ask different things of one group's node,
 * each node's owner, group and mode against the rule's, and once per run the
 * memlock advice for a VM that does not run as root. Beside check.c and
 * status.c so that those files keep to what every verb shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "output.h"

#define MEMLOCK_ADVICE                                                                                                 \
        "a VM that does not run as root needs RLIMIT_MEMLOCK of at least its guest's RAM (the IOMMU pins it all; "     \
        "else QEMU says 'VFIO_MAP_DMA failed: Cannot allocate memory'): LimitMEMLOCK= in the unit that starts it, "    \
        "or a memlock line for that user in /etc/security/limits.conf; libvirt raises it itself"

/* The rule whose owner and mode the node of dev's group gets: the first among the group's selected devices. */
static const struct vc_rule *group_winner(struct session *s, const struct vc_dev *dev)
{
        const struct vc_rule *w = dev->rule && vc_rule_has_perms(dev->rule) ? dev->rule : NULL;

        if (!dev->group_read || dev->group < 0)
                return w;
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *o = &s->devs.devs[i];

                if (o->rule && vc_rule_has_perms(o->rule) && !o->group_read)
                        (void)vc_dev_read_group(s->ctx, o);

                if (o->rule && vc_rule_has_perms(o->rule) && o->group_read && o->group == dev->group &&
                    (!w || o->rule < w))
                        w = o->rule;
        }
        return w;
}

void check_owners(struct session *s)
{
        for (size_t i = 0; i < s->cfg.n_rules; i++) {
                const struct vc_rule *r = &s->cfg.rules[i];
                struct vc_perms p;
                int k;

                if (!vc_rule_has_perms(r))
                        continue;
                k = vc_rule_perms(s->ctx, r, &p);
                if (k == -ESRCH)
                        log_msg(LOG_ERR, "%s: owner '%s': no such user in %s/passwd", r->origin, r->owner_user,
                                arg.etc);
                else if (k == -ENXIO)
                        log_msg(LOG_ERR, "%s: owner '%s:%s': no such group in %s/group", r->origin, r->owner_user,
                                r->owner_group, arg.etc);
                else if (k < 0)
                        log_msg(LOG_ERR, "%s: owner: cannot read %s: %s", r->origin, arg.etc, strerror(-k));
        }
        /* One node per group: rules that ask different things of it. */
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                const struct vc_rule *w;
                struct vc_perms a, b;

                if (!d->rule || !vc_rule_has_perms(d->rule) || vc_dev_read_group(s->ctx, d) < 0 || d->group < 0)
                        continue;
                w = group_winner(s, d);
                if (!w || w == d->rule)
                        continue;
                if (vc_rule_perms(s->ctx, w, &a) >= 0 && vc_rule_perms(s->ctx, d->rule, &b) >= 0 &&
                    vc_perms_equal(&a, &b))
                        continue;
                log_msg(LOG_ERR,
                        "%s: %s [%04x:%04x] is in IOMMU group %d, which has one node: this rule asks a different owner or mode of it than %s",
                        d->rule->origin, d->addr, d->vendor, d->device, d->group, w->origin);
        }
}

bool owners_need_memlock(struct session *s)
{
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *d = &s->devs.devs[i];
                struct vc_perms p;

                if (d->rule && vc_rule_has_perms(d->rule) && vc_rule_perms(s->ctx, d->rule, &p) >= 0 &&
                    (p.uid != 0 || (p.mode & 0077)))
                        return true;
        }
        return false;
}

const char *owners_memlock_advice(void)
{
        return MEMLOCK_ADVICE;
}

int owners_expected(struct session *s, const struct vc_dev *d, struct vc_perms *ret, const struct vc_rule **ret_rule)
{
        const struct vc_rule *w = group_winner(s, d);

        if (!w)
                return -ENOENT;
        if (ret_rule)
                *ret_rule = w;
        return vc_rule_perms(s->ctx, w, ret);
}

void owners_print_expected(struct session *s, const struct vc_dev *d, const char *indent)
{
        struct vc_perms p;

        if (owners_expected(s, d, &p, NULL) < 0)
                return;
        printf("%snodes: %u:%u %04o\n", indent, p.uid, p.gid, p.mode);
}

void owners_format(struct session *s, const struct vc_dev *d, const char *path, char *buf, size_t size)
{
        struct vc_perms now, want;
        bool have_want = owners_expected(s, d, &want, NULL) >= 0;

        buf[0] = 0;
        if (vc_node_stat(path, &now) < 0)
                return;
        if (!have_want)
                snprintf(buf, size, " %u:%u %04o", now.uid, now.gid, now.mode);
        else if (vc_perms_equal(&now, &want))
                snprintf(buf, size, " %u:%u %04o as the rule asks", now.uid, now.gid, now.mode);
        else
                snprintf(buf, size, " %u:%u %04o, rule asks %u:%u %04o", now.uid, now.gid, now.mode, want.uid, want.gid,
                         want.mode);
}

void owners_json(struct session *s, const struct vc_dev *d, const char *key, const char *path)
{
        struct vc_perms now, want;
        bool have_now = path && path[0] && vc_node_stat(path, &now) >= 0;
        bool have_want = owners_expected(s, d, &want, NULL) >= 0;
        char k[64], mode[8];

        snprintf(k, sizeof(k), "%s_owner", key);
        json_key(k);
        if (have_now)
                json_int(now.uid);
        else
                json_null();
        snprintf(k, sizeof(k), "%s_group", key);
        json_key(k);
        if (have_now)
                json_int(now.gid);
        else
                json_null();
        snprintf(k, sizeof(k), "%s_mode", key);
        json_key(k);
        snprintf(mode, sizeof(mode), "%04o", have_now ? now.mode : 0);
        if (have_now)
                json_string(mode);
        else
                json_null();
        /* null: the rule asks nothing (the kernel's and udev's default stand). */
        snprintf(k, sizeof(k), "%s_as_rule", key);
        json_key(k);
        if (have_now && have_want)
                json_bool(vc_perms_equal(&now, &want));
        else
                json_null();
}
