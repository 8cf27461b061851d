// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Messages a new user meets first (issue 11, item 6): a rule naming a bridge
 * gets one message, not a warning and "matches no PCI device"; lists copied
 * from vfio-pci.ids= get the rules to write; an explicit --config that is
 * missing with rules on the command line is one report. (The non-viable
 * group warning once per group: test-group-safety.c.) And the boot
 * framebuffer (item 5): /proc/iomem's BOOTFB inside a BAR of the boot VGA device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST_NEEDS_BINARY()

TEST(bridge_one_message)
{
        struct tenv *e = tenv_new();
        struct result r = {0};

        tenv_machine(e);
        tenv_config(e, "address 00:01.0\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r,
                  r.code == 1 && count(r.err, "\n") == 1 &&
                          contains(r.err, "(address 00:01.0): 0000:00:01.0 [1b36:000c] is a PCI bridge; bridges "
                                          "are never claimed, and the rule selects nothing else"),
                  "one error line for a rule that names only a bridge");
        CHECK_RUN(&r, !contains(r.err, "matches no PCI device"), "not also 'matches no PCI device'");
        tenv_run(e, &r, "apply", "--dry-run", NULL);
        CHECK_RUN(&r, count(r.err, "is a PCI bridge") == 1, "apply: once too");
        result_clear(&r);
        tenv_free(e);
}

TEST(lists_from_vfio_pci_ids)
{
        struct tenv *e = tenv_new();
        struct result r = {0};

        tenv_machine(e);
        tenv_config(e, "id 10de:1b80,10de:10f0\naddress 01:00.0,01:00.1 driver pci-stub\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r,
                  r.code == 1 && contains(r.err, ":1: id '10de:1b80,10de:10f0': one rule takes one ID; write one rule "
                                                 "each: 'id 10de:1b80', 'id 10de:10f0'"),
                  "an ID list: one rule per ID, shown");
        CHECK_RUN(&r,
                  contains(r.err, ":2: address '01:00.0,01:00.1': one rule takes one address; write one rule each: "
                                  "'address 01:00.0 driver pci-stub', 'address 01:00.1 driver pci-stub'"),
                  "an address list: one rule per address, with the rest of the rule");
        CHECK_RUN(&r, !contains(r.err, "Invalid"), "no 'Invalid device ID' or 'Invalid bus number'");
        result_clear(&r);
        tenv_free(e);
}

TEST(missing_config_with_cmdline_rules)
{
        struct tenv *e = tenv_new();
        struct result r = {0};

        tenv_machine(e);
        tenv_cmdline(e, "ro vfio_claim.rule=\"address 01:00\"\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 2 && contains(r.err, "no configuration to check"), "exit 2, said");
        CHECK_RUN(&r, !contains(r.out, ": selects") && contains(r.out, "not checked (no configuration)"),
                  "the command line's rule is not reported as selecting anything");
        result_clear(&r);
        tenv_free(e);
}

static const char bochs_resource[] = "0x00000000fd000000 0x00000000fdffffff 0x0000000000042208\n"
                                     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                                     "0x00000000febf0000 0x00000000febf0fff 0x0000000000040200\n"
                                     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                                     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                                     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                                     "0x00000000000c0000 0x00000000000dffff 0x0000000000000212\n";

TEST(boot_framebuffer)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *rel;

        tenv_machine(e);
        rel = xasprintf("%s/resource", fakesys_dev_dir(e->fs, "0000:00:02.0"));
        SETUP(fakesys_write(e->fs, rel, bochs_resource));
        free(tenv_file(e, "proc/iomem",
                       "00000000-00000fff : Reserved\n"
                       "c0000000-febfffff : PCI Bus 0000:00\n"
                       "  fd000000-fdffffff : 0000:00:02.0\n"
                       "    fd000000-fd2fffff : BOOTFB\n"
                       "  febf0000-febf0fff : 0000:00:02.0\n"));
        tenv_config(e, "address 00:02.0\n");
        tenv_run(e, &r, "--kernel", "6.1.0-18-amd64", "check", NULL);
        CHECK_RUN(&r,
                  contains(r.err, "is the boot VGA device and the firmware framebuffer BOOTFB still holds its BAR 0: "
                                  "a VM using it fails with \"BAR 0: can't reserve\"; add "
                                  "initcall_blacklist=sysfb_init to the kernel command line"),
                  "BOOTFB in BAR 0: the kernel's fix for 6.1");
        CHECK_RUN(&r, !contains(r.err, "only display device"), "the GPU at 01:00.0 is left to the host");
        tenv_run(e, &r, "--kernel", "5.10.0-28-amd64", "check", NULL);
        CHECK_RUN(&r, contains(r.err, "add video=efifb:off to the kernel command line"), "before 5.15: efifb");
        tenv_config(e, "address 00:02.0\naddress 01:00.0 group\n");
        tenv_run(e, &r, "--kernel", "6.1.0-18-amd64", "check", NULL);
        CHECK_RUN(&r, contains(r.err, "; it is the host's only display device: the host keeps no console"),
                  "both GPUs selected: the host's only display device, said");
        /* Not root: /proc/iomem shows zeros, and no guess is made. */
        free(tenv_file(e, "proc/iomem", "00000000-00000000 : PCI Bus 0000:00\n  00000000-00000000 : BOOTFB\n"));
        tenv_config(e, "address 00:02.0\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r,
                  contains(r.err, "is the boot VGA device: the host console uses it") &&
                          !contains(r.err, "still holds"),
                  "iomem without addresses: the plain boot VGA warning");
        free(rel);
        result_clear(&r);
        tenv_free(e);
}
