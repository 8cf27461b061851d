// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim list: every PCI device, lspci-style, with its driver, override,
 * IOMMU group and the rule that selects it. Needs no configuration.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "ident.h"
#include "macro.h"
#include "names.h"
#include "output.h"

/* What list shows beyond the uevent: read for every device. */
struct extra {
        char override[VC_ATTR_MAX];
        char physfn[VC_ADDR_MAX]; /* a VF's PF, "" for any other device */
        bool pf;                  /* an SR-IOV PF: sriov below */
        struct vc_sriov sriov;
};

static void read_extra(struct session *s, struct vc_dev *d, struct extra *x)
{
        x->override[0] = 0;
        (void)vc_dev_read_group(s->ctx, d);
        (void)vc_dev_read_override(s->ctx, d, x->override, sizeof(x->override));
        /* Shown as the messages show it: a page of garbage is not printed whole. */
        if (strlen(x->override) > VC_OVERRIDE_SHOWN)
                x->override[VC_OVERRIDE_SHOWN] = 0;
        if (arg.json || arg.verbosity > 0)
                (void)vc_dev_read_serial_slot_path(s->ctx, d, VC_IDENT_ALL);
        if (vc_dev_physfn(s->ctx, d, x->physfn, sizeof(x->physfn)) < 0)
                x->physfn[0] = 0;
        x->pf = vc_sriov_read(s->ctx, d, &x->sriov) >= 0;
}

static void print_human(struct session *s)
{
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                struct dev_names nm;
                struct extra x;
                bool named = names_lookup(d, &nm);

                read_extra(s, d, &x);
                if (named)
                        printf("%s %s [%04x]: %s %s [%04x:%04x]\n", d->addr,
                               nm.class_name[0] ? nm.class_name : names_class_fallback(d->class), d->class >> 8,
                               nm.vendor, nm.model[0] ? nm.model : "Device", d->vendor, d->device);
                else
                        printf("%s %s [%04x]: Device [%04x:%04x]\n", d->addr, names_class_fallback(d->class),
                               d->class >> 8, d->vendor, d->device);
                if (d->subvendor || d->subdevice)
                        printf("\tSubsystem: %s%s[%04x:%04x]\n", named ? nm.subsys : "",
                               named && nm.subsys[0] ? " " : "", d->subvendor, d->subdevice);
                if (d->driver[0])
                        printf("\tKernel driver in use: %s\n", d->driver);
                if (x.override[0])
                        printf("\tdriver_override: %s\n", x.override);
                if (d->group >= 0)
                        printf("\tIOMMU group: %d\n", d->group);
                if (vc_dev_boot_vga(s->ctx, d) > 0)
                        printf("\tBoot VGA: yes\n");
                if (arg.verbosity > 0)
                        ident_print_human(d, "\t");
                if (x.pf)
                        printf("\tSR-IOV PF: %u of %u VFs enabled\n", x.sriov.num, x.sriov.total);
                if (x.physfn[0])
                        printf("\tSR-IOV VF of %s\n", x.physfn);
                if (d->rule)
                        printf("\tvfio-claim: %s -> %s%s%s%s%s\n", d->rule->origin, vc_dev_target(d),
                               d->rule->has_name ? ", name " : "", d->rule->has_name ? d->rule->name : "",
                               d->via ? ", same IOMMU group as " : "", d->via ? d->via->addr : "");
        }
}

static void print_json(struct session *s)
{
        json_begin_object();
        json_key("devices");
        json_begin_array();
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                struct dev_names nm;
                struct vfio_paths p;
                struct extra x;

                read_extra(s, d, &x);
                json_begin_object();
                json_dev_ids(d);
                if (names_lookup(d, &nm)) {
                        json_key("vendor_name");
                        json_string(nm.vendor);
                        json_key("device_name");
                        json_string(nm.model);
                        json_key("class_name");
                        json_string(nm.class_name);
                }
                json_member_string("driver_override", x.override);
                json_key("iommu_group");
                if (d->group >= 0)
                        json_int(d->group);
                else
                        json_null();
                json_key("boot_vga");
                json_bool(vc_dev_boot_vga(s->ctx, d) > 0);
                ident_json(d);
                json_key("sriov_numvfs");
                if (x.pf)
                        json_int(x.sriov.num);
                else
                        json_null();
                json_key("sriov_totalvfs");
                if (x.pf)
                        json_int(x.sriov.total);
                else
                        json_null();
                json_member_string("physfn", x.physfn);
                json_member_string("rule", d->rule ? d->rule->origin : NULL);
                json_member_string("rule_name", d->rule && d->rule->has_name ? d->rule->name : NULL);
                json_member_string("target_driver", d->rule ? vc_dev_target(d) : NULL);
                vfio_paths_find(s->ctx, d, d->driver, &p);
                json_vfio_paths(&p);
                json_end_object();
        }
        json_end_array();
        json_messages();
        json_end_object();
        json_end();
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        int result;

        /* list needs no configuration: EXIT_NO_CONFIG never comes back here. */
        result = session_open_resolve(&s, NEED_NONE);
        if (result < 0)
                return EXIT_PROBLEMS;
        if (arg.json)
                print_json(&s);
        else
                print_human(&s);
        log_close();
        return result;
}

/* No options of its own, no arguments. */
const struct verb verb_list = {
        .name = "list", .run = run, .json = true, .help = "list every PCI device and the rule that selects it"};
