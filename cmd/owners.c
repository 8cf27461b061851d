// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim owners: the owner and mode of the VFIO nodes, for the two
 * places that cannot ask the library themselves.
 *
 *   vfio-claim owners             the names the rules' "owner" uses, with
 *                                 their ids from --etc (passwd, group): the
 *                                 owners file the build hooks pack into the
 *                                 initramfs, which has no user database
 *                                 (OWNERS_FILE; lib/owner.c).
 *   vfio-claim owners --udev P    for the udev event of the VFIO node whose
 *                                 DEVPATH is P (udev/70-vfio-claim.rules):
 *                                 VFIO_CLAIM_OWNER=, _GROUP=, _MODE= when a
 *                                 rule asks for them, nothing otherwise. A
 *                                 group node (/devices/virtual/vfio/N)
 *                                 reads its group's members only, a cdev
 *                                 (DEVICE/vfio-dev/vfioN) its device only:
 *                                 no work per event that grows with the
 *                                 machine's device count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

static struct {
        const char *udev;
} opt;

/* Each name once. */
static void print_name(struct session *s, bool group, const char *name, size_t ri, int *result)
{
        uint32_t id;
        int k;

        if (!name[0] || strspn(name, "0123456789") == strlen(name))
                return;
        for (size_t j = 0; j < ri; j++) {
                const struct vc_rule *o = &s->cfg.rules[j];

                if (o->has_owner && strcmp(group ? o->owner_group : o->owner_user, name) == 0)
                        return;
        }
        k = vc_owner_lookup(s->ctx, group, name, &id);
        if (k < 0) {
                log_msg(LOG_ERR, "%s: owner: no such %s '%s' in %s/%s", s->cfg.rules[ri].origin,
                        group ? "group" : "user", name, arg.etc, group ? "group" : "passwd");
                *result = EXIT_PROBLEMS;
                return;
        }
        printf("%s %s %u\n", group ? "group" : "user", name, id);
}

/* The PCI address in a cdev's DEVPATH: /devices/.../ADDR/vfio-dev/vfioN. */
static int cdev_addr(const char *devpath, char *buf, size_t size)
{
        const char *v = strstr(devpath, "/vfio-dev/vfio");
        const char *a;

        if (!v)
                return -EINVAL;
        for (a = v; a > devpath && a[-1] != '/'; a--)
                ;
        if ((size_t)(v - a) >= size || v == a)
                return -EINVAL;
        memcpy(buf, a, (size_t)(v - a));
        buf[v - a] = 0;
        return 0;
}

/* The rule that decides the node's owner among the devices of devs (the
 * first in the configuration's order, as apply decides), NULL: none. */
static const struct vc_rule *winner(const struct vc_devlist *devs, const char *addr, int group)
{
        const struct vc_rule *w = NULL;

        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *d = &devs->devs[i];

                if (!d->rule || !vc_rule_has_perms(d->rule))
                        continue;
                if (addr ? strcmp(d->addr, addr) != 0 : (!d->group_read || d->group != group))
                        continue;
                if (!w || d->rule < w)
                        w = d->rule;
        }
        return w;
}

/* The rule that decides group N's node: the first in the configuration's
 * order among the rules of all its members, as apply decides. */
static const struct vc_rule *group_winner(struct session *s, int group)
{
        const struct vc_rule *w = NULL;
        char **members = NULL;
        size_t n = 0;

        if (vc_group_members_of(s->ctx, group, &members, &n) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                struct vc_devlist l = {0};

                if (vc_pci_enumerate_for(s->ctx, &s->cfg, members[i], &l) >= 0) {
                        const struct vc_rule *t;

                        (void)vc_resolve(s->ctx, &s->cfg, &l);
                        for (size_t j = 0; j < l.n; j++)
                                (void)vc_dev_read_group(s->ctx, &l.devs[j]);
                        t = winner(&l, NULL, group);
                        if (t && (!w || t < w))
                                w = t;
                }
                vc_devlist_clear(&l);
        }
        for (size_t i = 0; i < n; i++)
                free(members[i]);
        free(members);
        return w;
}

static int run_udev(struct session *s)
{
        const char *base = strrchr(opt.udev, '/');
        char addr[VC_ADDR_MAX];
        const struct vc_rule *w = NULL;
        struct vc_perms p;
        int group = -1;

        base = base ? base + 1 : opt.udev;
        if (strncmp(opt.udev, "/devices/virtual/vfio/", 22) == 0) {
                /* A group node; "vfio" (the container node) is never ours. */
                if (!*base || strspn(base, "0123456789") != strlen(base) || strlen(base) > 9)
                        return 0;
                group = atoi(base);
        } else if (cdev_addr(opt.udev, addr, sizeof(addr)) < 0)
                return 0;
        else {
                /* A cdev gets what its group's node gets (apply sets both alike). */
                struct vc_devlist l = {0};

                if (vc_pci_enumerate_for(s->ctx, &s->cfg, addr, &l) >= 0) {
                        (void)vc_resolve(s->ctx, &s->cfg, &l);
                        for (size_t j = 0; j < l.n; j++)
                                if (strcmp(l.devs[j].addr, addr) == 0 && vc_dev_read_group(s->ctx, &l.devs[j]) >= 0 &&
                                    l.devs[j].group_read)
                                        group = l.devs[j].group;
                        if (group < 0)
                                w = winner(&l, addr, -1);
                }
                vc_devlist_clear(&l);
        }
        if (group >= 0)
                w = group_winner(s, group);
        if (!w || vc_rule_perms(s->ctx, w, &p) < 0)
                return 0;
        printf("VFIO_CLAIM_OWNER=%u\nVFIO_CLAIM_GROUP=%u\nVFIO_CLAIM_MODE=%04o\n", p.uid, p.gid, p.mode);
        return 0;
}

static int run_owners(int argc _unused_, char *argv[] _unused_)
{
        _cleanup_(session_close) struct session s = {0};
        struct log_config lc = {.to_stderr = true, .stderr_max = stderr_threshold()};
        int result = 0;

        (void)log_open(&lc);
        /* No configuration: nothing to resolve, and nothing said (the build hooks stay quiet). */
        if (session_open(&s, NEED_NONE) < 0)
                return EXIT_PROBLEMS;
        if (opt.udev)
                return run_udev(&s);
        for (size_t i = 0; i < s.cfg.n_rules; i++) {
                const struct vc_rule *r = &s.cfg.rules[i];

                if (!r->has_owner)
                        continue;
                print_name(&s, false, r->owner_user, i, &result);
                print_name(&s, true, r->owner_group, i, &result);
        }
        return result;
}

static const struct option_spec owners_options[] = {
        {"udev", 0, "DEVPATH", OPT_STRING, &opt.udev,
         "for udev's IMPORT{program}: the owner, group and mode the rules give the VFIO node at DEVPATH"},
};

const struct verb verb_owners = {
        .name = "owners",
        .run = run_owners,
        VERB_OPTIONS(owners_options),
        .help = "The ids of the names in the rules' \"owner\" (for the initramfs), or a node's owner for udev.",
};
