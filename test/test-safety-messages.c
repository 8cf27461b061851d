// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Messages a new user meets first (issue 11, item 6): a rule naming a bridge
 * gets one message, not a warning and "matches no PCI device"; lists copied
 * from vfio-pci.ids= get the rules to write; an explicit --config that is
 * missing with rules on the command line is one report. (The non-viable
 * group warning once per group: test-group-safety.c.)
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
        CHECK_RUN(&r, r.code == 1 && count(r.err, "\n") == 1 &&
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
