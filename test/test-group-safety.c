// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What check says about IOMMU groups beyond viability (issue 11, items 3, 4
 * and the once-per-group part of 6): 'group' that takes the host's own
 * devices (an AMD 400-series chipset group with the only NIC and a USB
 * controller, an SR-IOV NIC's PF, a router board's other NICs), the hint
 * for a group that is not viable because of such a device, and a selected
 * device without an IOMMU group while the IOMMU is on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

static void check(struct tenv *e, struct result *r, const char *opt)
{
        if (opt)
                tenv_run(e, r, opt, "check", NULL);
        else
                tenv_run(e, r, "check", NULL);
}

/* Group 10 of an AMD 400-series board: the chipset's USB and SATA controllers, the
 * bridge to its downstream port and the only NIC (r8169) behind it. */
static struct tenv *amd_board(void)
{
        struct tenv *e = tenv_new();
        static const char spec[] =
                "driver vfio-pci\n"
                "dev 0000:00:01.0 1022:1453 1022:1453 060400 driver=pcieport group=2\n"
                "dev 0000:15:00.0 1022:43d5 1043:87ef 0c0330 driver=xhci_hcd group=10 parent=0000:00:01.0\n"
                "dev 0000:15:00.1 1022:43c8 1043:87ef 010601 driver=ahci group=10 parent=0000:00:01.0\n"
                "dev 0000:15:00.2 1022:43c6 1022:43c6 060400 driver=pcieport group=10 parent=0000:00:01.0\n"
                "dev 0000:16:00.0 10ec:8168 1043:8677 020000 driver=r8169 group=10 parent=0000:15:00.2\n"
                "dev 0000:17:00.0 1002:67df 1458:22fc 030000 driver=amdgpu group=11\n"
                "dev 0000:17:00.1 1002:aaf0 1458:aaf0 040300 driver=snd_hda_intel group=11\n";
        unsigned line = 0;

        SETUP(fakesys_apply_spec(e->fs, spec, &line));
        return e;
}

TEST(group_takes_host_devices)
{
        struct tenv *e = amd_board();
        struct result r = {0};

        tenv_config(e, "address 15:00.1 group\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, r.code == 0 && count(r.err, "'group' takes IOMMU group 10 whole") == 1,
                  "one warning for the group");
        CHECK_RUN(&r,
                  contains(r.err, "0000:15:00.1 [1022:43c8] (") &&
                          contains(r.err,
                                   "with host devices no rule names: 0000:15:00.0 [1022:43d5] (USB, on xhci_hcd), "
                                   "0000:16:00.0 [10ec:8168] (network, on r8169); the host loses them at boot "
                                   "(use a slot with a group of its own, or ACS isolation, not 'group')"),
                  "names each host device it takes, with its kind and driver, and the way out");
        CHECK_RUN(&r, !contains(r.err, "0000:15:00.2 [1022:43c6] ("), "the bridge is not named");
        CHECK_RUN(&r, contains(r.out, "0 error(s), 1 warning(s)"), "no longer '0 warning(s)'");

        /* The GPU and its audio function: what 'group' is for, no warning. */
        tenv_config(e, "address 17:00.0 group\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "0 error(s), 0 warning(s)"), "GPU with its audio: clean");

        /* A USB disk on the chipset's xHCI carries /srv: 'group' takes it, --fail-busy refuses. */
        SETUP(fakesys_add_block(e->fs, "0000:15:00.0", "sdb", 8, 16, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "sdb/sdb1", 8, 17, NULL));
        free(tenv_file(e, "proc/self/mountinfo",
                       "25 1 0:20 / / rw - tmpfs tmpfs rw\n"
                       "31 25 8:17 / /srv rw,relatime shared:20 - ext4 /dev/sdb1 rw\n"));
        tenv_config(e, "address 15:00.1 group\n");
        check(e, &r, "--fail-busy");
        CHECK_RUN(
                &r,
                r.code == 3 && contains(r.err, "0000:15:00.0 [1022:43d5] (") &&
                        contains(r.err, ", taken by 'group' with 0000:15:00.1) carries the filesystem mounted on /srv"),
                "a device 'group' takes that carries a mount: refused, saying 'group' took it");
        result_clear(&r);
        tenv_free(e);
}

TEST(group_hint)
{
        struct tenv *e = amd_board();
        struct result r = {0};

        tenv_config(e, "address 15:00.1\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, count(r.err, "IOMMU group 10 would not be viable") == 1, "one viability warning");
        CHECK_RUN(&r,
                  contains(r.err, "and the host needs it (") &&
                          contains(r.err, "the fix is another slot or ACS isolation between them, not 'group'"),
                  "a group spoilt by a host device: the fix is a slot or ACS, not 'group'");
        CHECK_RUN(&r, !contains(r.err, "use 'group'") && !contains(r.err, "add it"), "never recommends taking it");

        tenv_config(e, "address 17:00.0\n");
        check(e, &r, NULL);
        CHECK_RUN(&r,
                  contains(r.err, "IOMMU group 11 would not be viable: 0000:17:00.1 [1002:aaf0] stays on snd_hda_intel "
                                  "(a rule for it, or 'group', takes it too, if the host can do without it)"),
                  "the GPU's audio function: 'group' is the answer");
        result_clear(&r);
        tenv_free(e);
}

/* "The non-viable-group warning is printed once per group, not once per device." */
TEST(group_warning_once)
{
        struct tenv *e = amd_board();
        struct result r = {0};

        tenv_config(e, "address 15:00.0\naddress 15:00.1\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, count(r.err, "would not be viable") == 1, "two devices of one group: one warning");
        result_clear(&r);
        tenv_free(e);
}

TEST(sriov_pf)
{
        struct tenv *e = tenv_new();
        static const char spec[] = "driver vfio-pci\n"
                                   "dev 0000:05:00.0 8086:1521 8086:0001 020000 driver=igb group=12\n"
                                   "dev 0000:05:00.1 8086:1521 8086:0001 020000 driver=igb group=12\n"
                                   "dev 0000:05:10.0 8086:1520 8086:0001 020000 driver=igbvf group=12\n";
        unsigned line = 0;
        struct result r = {0};
        char *link;

        SETUP(fakesys_apply_spec(e->fs, spec, &line));
        link = xasprintf("%s/%s/physfn", fakesys_root(e->fs), fakesys_dev_dir(e->fs, "0000:05:10.0"));
        SETUP(symlink("../0000:05:00.0", link) < 0 ? -errno : 0);
        tenv_config(e, "id 8086:1520 group\n");
        check(e, &r, NULL);
        CHECK_RUN(&r,
                  contains(r.err, "0000:05:00.0 [8086:1521] (the physical function of a selected VF, on igb)") &&
                          contains(r.err, "0000:05:00.1 [8086:1521] (network, on igb)"),
                  "the VF's PF and the other PF are named");
        free(link);
        result_clear(&r);
        tenv_free(e);
}

TEST(router_nics)
{
        struct tenv *e = tenv_new();
        static const char spec[] = "driver vfio-pci\n"
                                   "dev 0000:01:00.0 8086:157b 8086:0000 020000 driver=igb group=7\n"
                                   "dev 0000:02:00.0 8086:157b 8086:0000 020000 driver=igb group=7\n"
                                   "dev 0000:03:00.0 8086:157b 8086:0000 020000 driver=igb group=7\n";
        unsigned line = 0;
        struct result r = {0};

        SETUP(fakesys_apply_spec(e->fs, spec, &line));
        tenv_config(e, "address 01:00.0 group\n");
        check(e, &r, NULL);
        CHECK_RUN(&r,
                  contains(r.err,
                           "0000:02:00.0 [8086:157b] (network, on igb), 0000:03:00.0 [8086:157b] (network, on igb)"),
                  "identical NICs in other slots are the host's: named");
        result_clear(&r);
        tenv_free(e);
}

TEST(no_iommu_group)
{
        struct tenv *e = tenv_new();
        struct result r = {0};

        tenv_machine(e);
        /* A laptop iGPU the firmware left out of the IOMMU: no iommu_group link. */
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:07.0",
                                       .vendor = 0x8086,
                                       .device = 0x3e9b,
                                       .subvendor = 0x17aa,
                                       .subdevice = 0x2295,
                                       .class = 0x030000,
                                       .driver = "i915"});
        tenv_config(e, "address 00:07.0\n");
        check(e, &r, NULL);
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.err, "0000:00:07.0 [8086:3e9b] (") &&
                          contains(r.err,
                                   ") has no IOMMU group although the IOMMU is on: vfio-pci will refuse it at boot"),
                  "a selected device without a group while others have one: warned");
        tenv_config(e, "address 00:07.0 driver pci-stub\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, !contains(r.err, "has no IOMMU group"), "pci-stub needs no group");
        SETUP(fakesys_remove_iommu_groups(e->fs));
        tenv_config(e, "address 00:03.0\n");
        check(e, &r, NULL);
        CHECK_RUN(&r, contains(r.err, "the IOMMU is not enabled") && !contains(r.err, "has no IOMMU group although"),
                  "IOMMU off: the IOMMU warning only");
        result_clear(&r);
        tenv_free(e);
}
