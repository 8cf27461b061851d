// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Devices that are not there at the first moment (issue 12): id rules
 * registered with new_id for devices that appear later, and SR-IOV virtual
 * functions created at boot by a rule's "vfs N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define VFIO_NEW_ID "bus/pci/drivers/vfio-pci/new_id"

/* ---- item 3: id rules for devices that appear later ---- */

TEST(id_rule_for_later_devices)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        /* 1b36:0010 (QEMU's NVMe) is not on the machine: like vfio-pci.ids=, the
         * id is registered all the same, so a VF created later or a hot-added
         * card goes to vfio-pci before any host driver. */
        tenv_config(e, "id 1b36:0010\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "1b36 10 ffffffff ffffffff 0 0\n") == 0,
              "new_id registers the id though no device has it: '%s'", tread(e, VFIO_NEW_ID));
        CHECK_CHANGES(e, &before, &after, "nothing but new_id changed", VFIO_NEW_ID, NULL);
        CHECK_RUN(&r, contains(r.err, "(id 1b36:0010): no device now; registered for devices that appear later"),
                  "says the rule waits for later devices");
        CHECK_RUN(&r, !contains(r.err, "matches no PCI device"), "does not call it a rule that matches nothing");
        CHECK_RUN(&r, contains(r.err, "id 1b36 10 ffffffff ffffffff 0 0 registered with vfio-pci (new_id)"),
                  "reports the registration");
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);

        /* check: a notice, not an error; exit 0. */
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 0, "check exits 0 for it");
        CHECK_RUN(&r, contains(r.err, "(id 1b36:0010): no device now; registered for devices that appear later") &&
                              !contains(r.err, "error:") && !contains(r.err, "warning:"),
                  "check says so as a notice, neither error nor warning");
        CHECK_RUN(&r, contains(r.out, "id 1b36:0010 -> vfio-pci: no device now; registered for devices that appear later"),
                  "check's rule line says so");
        CHECK_RUN(&r, contains(r.out, "0 error(s), 0 warning(s)"), "no error, no warning");
        tenv_run(e, &r, "--json", "check", NULL);
        CHECK_RUN(&r, contains(r.out, "\"state\":\"later\"") || contains(r.out, "\"state\": \"later\""),
                  "check --json: state later");

        /* Dry run: said, not written. */
        SETUP(fakesys_write(e->fs, VFIO_NEW_ID, ""));
        tenv_run(e, &r, "--dry-run", "apply", NULL);
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "dry run writes no new_id");
        CHECK_RUN(&r, contains(r.err, "dry run: would register id 1b36 10 ffffffff ffffffff 0 0 with vfio-pci"),
                  "dry run says it would register");
        result_clear(&r);
        tenv_free(e);
}

TEST(later_ids_keep_their_limits)
{
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        /* An address rule for a device that is not there registers nothing and
         * stays an error of check. */
        tenv_config(e, "address 05:00.0 id 1b36:0010\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "never new_id for a rule with an address");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "matches no PCI device"), "check: still an error");

        /* An id that matches a device the rule cannot take (a bridge) is not
         * registered: it would hand the bridge's twins to vfio-pci. */
        tenv_config(e, "id 1b36:000c\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "no new_id for an id a present bridge has: '%s'",
              tread(e, VFIO_NEW_ID));
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "matches no PCI device"), "check: an error, not a notice");

        /* claim acts now: nothing to register, an error. */
        tenv_config(e, "");
        tenv_run(e, &r, "claim", "id", "1b36:0010", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "matches no PCI device"), "claim of an absent id fails");
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "claim registers no new_id");

        /* The driver is missing: said as an error, nothing written. */
        {
                char *cmd = xasprintf("rm -rf '%s/bus/pci/drivers/vfio-pci'", fakesys_root(e->fs));

                SETUP(system(cmd) == 0 ? 0 : -EIO);
                free(cmd);
        }
        tenv_config(e, "id 1b36:0010\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, r.code == 0, "apply exits 0 all the same");
        CHECK_RUN(&r, contains(r.err, "driver vfio-pci is not available; id 1b36 10 ffffffff ffffffff 0 0 not registered"),
                  "says the id could not be registered");
        result_clear(&r);
        tenv_free(e);
}
