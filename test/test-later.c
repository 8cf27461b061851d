// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Devices that are not there at the first moment (issue 12): id rules
 * registered with new_id for devices that appear later, and SR-IOV virtual
 * functions created at boot by a rule's "vfs N".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
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
        CHECK_RUN(&r,
                  contains(r.err, "(id 1b36:0010): no device now; registered for devices that appear later") &&
                          !contains(r.err, "error:") && !contains(r.err, "warning:"),
                  "check says so as a notice, neither error nor warning");
        CHECK_RUN(&r,
                  contains(r.out, "id 1b36:0010 -> vfio-pci: no device now; registered for devices that appear later"),
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
        /* (worded as the one message for a rule that names only a bridge) */
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is a PCI bridge") && !contains(r.err, "registered for devices"),
                  "check: an error, not a notice");

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
        CHECK_RUN(&r,
                  contains(r.err, "driver vfio-pci is not available; id 1b36 10 ffffffff ffffffff 0 0 not registered"),
                  "says the id could not be registered");
        result_clear(&r);
        tenv_free(e);
}

/* ---- item 1: "vfs N" ---- */

#define PF  "0000:05:00.0"
#define VF0 "0000:05:00.1"
#define VF1 "0000:05:00.2"

/* The usual machine and QEMU's SR-IOV NVMe behind a root port of its own:
 * PF 05:00.0 (1b36:0010, nvme), sriov_totalvfs 2, offset 1, stride 1. */
static struct tenv *sriov_machine(const char *pf_driver)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:05.0",
                                       .vendor = 0x1b36,
                                       .device = 0x000c,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x060400,
                                       .driver = "pcieport",
                                       .group = "8"});
        tenv_dev(e, &(struct fake_dev){.addr = PF,
                                       .vendor = 0x1b36,
                                       .device = 0x0010,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010802,
                                       .driver = pf_driver,
                                       .group = "9",
                                       .parent = "0000:00:05.0",
                                       .sriov_total = 2});
        SETUP(fakesys_add_driver(e->fs, "nvme"));
        return e;
}

/* vfio-claim with the fake tree's kernel (test/fake-kernel.c) preloaded. */
static void kernel_run(struct tenv *e, struct result *r, const char *verb)
{
        tenv_run_kernel(e, r, (const char *const[]){verb, NULL}, NULL);
}

/* The fixture's kernel itself, as measured on Debian's 6.1 (KERNEL-NOTES, SR-IOV). */
TEST(fake_kernel_sriov_numvfs)
{
        struct tenv *e;
        char *attr;

        e = sriov_machine("nvme");
        attr = xasprintf("%s/bus/pci/devices/" PF "/sriov_numvfs", fakesys_root(e->fs));
        CHECK_INT(fakesys_kernel_write(attr, "3\n", 2), -ERANGE);
        CHECK_INT(fakesys_kernel_write(attr, "x\n", 2), -EINVAL);
        /* Autoprobe 1: each VF goes to a driver at once (here the PF's, as nvme does). */
        CHECK_INT(fakesys_kernel_write(attr, "1\n", 2), 0);
        CHECK_STR(tattr(e, PF, "sriov_numvfs"), "1\n");
        CHECK(fakesys_exists(e->fs, "bus/pci/devices/" VF0 "/physfn"), "the VF has physfn");
        CHECK(fakesys_exists(e->fs, "bus/pci/devices/" PF "/virtfn0"), "the PF has virtfn0");
        CHECK(fakesys_exists(e->fs, "bus/pci/drivers/nvme/" VF0), "autoprobe 1: the VF is on nvme at once");
        CHECK_STR(tattr(e, VF0, "vendor"), "0x1b36\n");
        CHECK(fakesys_exists(e->fs, "bus/pci/devices/" VF0 "/iommu_group"), "the VF has a group");
        CHECK_INT(fakesys_kernel_write(attr, "2\n", 2), -EBUSY);
        CHECK_INT(fakesys_kernel_write(attr, "0\n", 2), 0);
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/" VF0), "0 removes the VFs");
        CHECK(!fakesys_exists(e->fs, "bus/pci/drivers/nvme/" VF0), "and their driver links");
        CHECK_STR(tattr(e, PF, "sriov_numvfs"), "0\n");
        /* Autoprobe 0: VFs without a driver. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" PF "/sriov_drivers_autoprobe", "0\n"));
        CHECK_INT(fakesys_kernel_write(attr, "2", 1), 0);
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/" VF1 "/driver"), "autoprobe 0: the VF has no driver");
        free(attr);
        tenv_free(e);

        /* No driver on the PF: -ENOENT, nothing created. */
        e = sriov_machine(NULL);
        attr = xasprintf("%s/bus/pci/devices/" PF "/sriov_numvfs", fakesys_root(e->fs));
        CHECK_INT(fakesys_kernel_write(attr, "2\n", 2), -ENOENT);
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/" VF0), "no VF without a PF driver");
        free(attr);
        tenv_free(e);
}

TEST(vfs_creates_and_claims)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e;
        char **diff = NULL;
        int n;

        if (!t_have_kernel_shim())
                return;
        e = sriov_machine("nvme");
        tenv_config(e, "address 05:00.0 id 1b36:0010 vfs 2\n");
        tsnap(e, &before);
        kernel_run(e, &r, "apply");
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_STR(tattr(e, PF, "sriov_numvfs"), "2\n");
        CHECK_STR(tattr(e, PF, "sriov_drivers_autoprobe"), "1\n");
        CHECK(fakesys_exists(e->fs, "bus/pci/devices/" VF0 "/physfn") &&
                      fakesys_exists(e->fs, "bus/pci/devices/" VF1 "/physfn"),
              "both VFs were created");
        CHECK(!fakesys_exists(e->fs, "bus/pci/drivers/nvme/" VF0) &&
                      !fakesys_exists(e->fs, "bus/pci/drivers/nvme/" VF1),
              "no VF went to nvme: autoprobe was 0 while they were created");
        CHECK_STR(tattr(e, VF0, "driver_override"), "vfio-pci\n");
        CHECK_STR(tattr(e, VF1, "driver_override"), "vfio-pci\n");
        CHECK_STR(tattr(e, PF, "driver_override"), "(null)\n");
        CHECK_STR(tread(e, "bus/pci/drivers/vfio-pci/bind"), VF0 "\n" VF1 "\n");
        CHECK_STR(tread(e, "bus/pci/drivers/nvme/unbind"), "");
        CHECK(fakesys_exists(e->fs, "bus/pci/drivers/nvme/" PF), "the PF stays on nvme");
        CHECK_STR(tread(e, VFIO_NEW_ID), "");
        CHECK_RUN(&r, contains(r.err, PF " [1b36:0010]: sriov_drivers_autoprobe set to 0 (was 1)"), "logs autoprobe");
        CHECK_RUN(&r, contains(r.err, PF " [1b36:0010]: sriov_numvfs set to 2 (PF on nvme)"), "logs the count");
        CHECK_RUN(&r, contains(r.err, PF " [1b36:0010]: 2 of 2 VFs there: " VF0 " " VF1), "names the VFs");
        CHECK_RUN(&r, contains(r.err, VF0 " [1b36:0010]: driver_override set to vfio-pci"), "overrides VF 0");
        CHECK_RUN(&r, contains(r.err, PF ": sriov_drivers_autoprobe back to 1"), "restores autoprobe");
        CHECK_RUN(&r, contains(r.err, "2 selected"), "the two VFs are the selected devices");
        /* Writes only to the PF's sriov_* files and to its VFs (and vfio-pci's bind). */
        n = fakesys_diff(&before, &after, &diff);
        for (int i = 0; i < n; i++) {
                const char *p = diff[i] + 2;
                bool ok = strstr(p, "/0000:05:00.1") || strstr(p, "/0000:05:00.2") ||
                          strstr(p, "kernel/iommu_groups/1") || strstr(p, PF "/sriov_numvfs") ||
                          strstr(p, PF "/sriov_drivers_autoprobe") || strstr(p, PF "/virtfn") ||
                          strcmp(p, "bus/pci/drivers/vfio-pci/bind") == 0;

                CHECK(ok, "change '%s' is the PF's sriov files, a VF's, or vfio-pci's bind", diff[i]);
        }
        fakesys_strv_free(diff);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);

        /* Again, with the VFs there: nothing created, the VFs selected again. */
        kernel_run(e, &r, "apply");
        CHECK_RUN(&r, r.code == 0 && contains(r.err, PF " [1b36:0010]: 2 VFs already enabled"), "second run: already");
        CHECK_RUN(&r, contains(r.err, "2 selected") && !contains(r.err, "autoprobe set to 0"),
                  "no new writes to the PF");

        /* check predicts from what is there. */
        kernel_run(e, &r, "check");
        CHECK_RUN(&r, r.code == 0, "check exits 0");
        CHECK_RUN(&r, contains(r.err, "the PF stays on nvme; vfs 2: " VF0 " " VF1 " for vfio-pci"),
                  "check names the VFs");
        result_clear(&r);
        tenv_free(e);
}

TEST(vfs_check_predicts)
{
        struct result r = {0};
        struct tenv *e = sriov_machine("nvme");

        /* No VFs yet: the addresses come from the PF's routing ID, sriov_offset, sriov_stride. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" PF "/sriov_offset", "3\n"));
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" PF "/sriov_stride", "2\n"));
        tenv_config(e, "address 05:00.0 vfs 2\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 0, "check exits 0");
        CHECK_RUN(&r, contains(r.err, "("), "says something");
        CHECK_RUN(&r, contains(r.err, "the PF stays on nvme; vfs 2: 0000:05:00.3 0000:05:00.5 for vfio-pci"),
                  "predicts VF addresses from offset 3 and stride 2");

        tenv_config(e, "address 05:00.0 vfs 9\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1, "vfs above totalvfs: check exits 1");
        CHECK_RUN(&r,
                  contains(r.err, PF " [1b36:0010] (") && contains(r.err, "vfs 9 is more than its sriov_totalvfs 2"),
                  "the error names both numbers");

        tenv_config(e, "address 00:03.0 vfs 2\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "not SR-IOV capable (no sriov_totalvfs)"),
                  "a device without SR-IOV: an error");

        /* Malformed vfs rules: refused with file:line. */
        tenv_config(e, "id 1b36:0010 vfs 2\naddress 05:00 vfs 2\naddress 05:00.0 vfs 0\naddress 05:00.0 vfs 2 group\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1, "check exits 1");
        CHECK_RUN(&r, contains(r.err, ":1: vfs needs the PF's address"), "an id alone with vfs is refused");
        CHECK_RUN(&r, contains(r.err, ":2: vfs needs an address naming one function"), "a slot is refused");
        CHECK_RUN(&r, contains(r.err, ":3: vfs '0': expected the number of VFs to create, 1 to 65535"), "0 refused");
        CHECK_RUN(&r, contains(r.err, ":4: vfs and group do not go together"), "group refused");
        result_clear(&r);
        tenv_free(e);
}

TEST(vfs_errors_touch_nothing)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e;

        if (!t_have_kernel_shim())
                return;
        /* Above sriov_totalvfs: an error naming both numbers, the tree as it was. */
        e = sriov_machine("nvme");
        tenv_config(e, "address 05:00.0 vfs 9\n");
        tsnap(e, &before);
        kernel_run(e, &r, "apply");
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_RUN(&r, contains(r.err, "vfs 9 is more than " PF " [1b36:0010]'s sriov_totalvfs 2; no VFs created"),
                  "names both numbers");
        CHECK_CHANGES(e, &before, &after, "nothing written", NULL);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        tenv_free(e);

        /* No driver for the PF (outside /sys no module loads): an error, the PF's files untouched. */
        e = sriov_machine(NULL);
        tenv_config(e, "address 05:00.0 vfs 2\n");
        tsnap(e, &before);
        kernel_run(e, &r, "apply");
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_RUN(
                &r,
                contains(r.err, "the PF has no driver to create VFs (No such file or directory); nothing else touched"),
                "says the PF has no driver, with the errno");
        CHECK_CHANGES(e, &before, &after, "only the probe request", "bus/pci/drivers_probe", NULL);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        tenv_free(e);

        /* Another count set: 0 first, then N. */
        e = sriov_machine("nvme");
        {
                char *attr = xasprintf("%s/bus/pci/devices/" PF "/sriov_numvfs", fakesys_root(e->fs));

                SETUP(fakesys_kernel_write(attr, "1\n", 2));
                free(attr);
        }
        tenv_config(e, "address 05:00.0 vfs 2\n");
        kernel_run(e, &r, "apply");
        CHECK_RUN(&r, contains(r.err, PF " [1b36:0010]: 1 VFs enabled; setting sriov_numvfs to 0 first"), "0 first");
        CHECK_STR(tattr(e, PF, "sriov_numvfs"), "2\n");
        CHECK_STR(tread(e, "bus/pci/drivers/vfio-pci/bind"), VF0 "\n" VF1 "\n");
        result_clear(&r);
        tenv_free(e);
}

/* ---- item 2: PF/VF awareness ---- */

/* The SR-IOV machine with both VFs created by the fake kernel (autoprobe 0: no driver). */
static struct tenv *with_vfs(void)
{
        struct tenv *e = sriov_machine("nvme");
        char *attr = xasprintf("%s/bus/pci/devices/" PF "/sriov_numvfs", fakesys_root(e->fs));

        SETUP(fakesys_write(e->fs, "bus/pci/devices/" PF "/sriov_drivers_autoprobe", "0\n"));
        SETUP(fakesys_kernel_write(attr, "2\n", 2));
        free(attr);
        return e;
}

TEST(list_shows_pf_and_vfs)
{
        struct result r = {0};
        struct tenv *e = with_vfs();

        tenv_config(e, "");
        tenv_run(e, &r, "list", NULL);
        CHECK_RUN(&r, r.code == 0, "list exits 0");
        CHECK_RUN(&r, contains(r.out, "\tSR-IOV PF: 2 of 2 VFs enabled\n"), "the PF's VF count");
        CHECK_RUN(&r, count(r.out, "\tSR-IOV VF of " PF "\n") == 2, "each VF names its PF");
        CHECK_RUN(&r, count(r.out, "SR-IOV") == 3, "no other device is called SR-IOV");
        tenv_run(e, &r, "--json", "list", NULL);
        CHECK_RUN(&r, contains(r.out, "\"physfn\":\"" PF "\"") || contains(r.out, "\"physfn\": \"" PF "\""),
                  "--json: physfn");
        CHECK_RUN(&r, contains(r.out, "\"sriov_totalvfs\":2") || contains(r.out, "\"sriov_totalvfs\": 2"),
                  "--json: sriov_totalvfs");
        result_clear(&r);
        tenv_free(e);
}

TEST(group_keeps_the_pf)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = with_vfs();
        char *vf_group = xasprintf("%s/bus/pci/devices/" VF0 "/iommu_group", fakesys_root(e->fs));
        char *old_member = NULL, *member = xasprintf("%s/kernel/iommu_groups/9/devices/" VF0, fakesys_root(e->fs));
        char *target = xasprintf("%s/kernel/iommu_groups/9", fakesys_root(e->fs));
        char *vfdir = fakesys_canon(e->fs, "bus/pci/devices/" VF0);
        char *vfabs = xasprintf("%s/%s", fakesys_root(e->fs), vfdir);
        char grp[PATH_MAX];
        ssize_t k;

        /* Without ACS between them, VF 0 shares the PF's group 9. */
        k = readlink(vf_group, grp, sizeof(grp) - 1);
        SETUP(k > 0 ? 0 : -errno);
        grp[k] = 0;
        old_member = xasprintf("%s/kernel/iommu_groups/%s/devices/" VF0, fakesys_root(e->fs), strrchr(grp, '/') + 1);
        SETUP(unlink(old_member) < 0 || unlink(vf_group) < 0 || symlink(target, vf_group) < 0 ||
                              symlink(vfabs, member) < 0
                      ? -errno
                      : 0);
        tenv_config(e, "address 05:00.1 group\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r,
                  contains(r.err, PF " [1b36:0010] in IOMMU group 9 of " VF0
                                     " is the PF of selected VFs; it keeps its host driver"),
                  "says the PF keeps its driver");
        CHECK_STR(tattr(e, PF, "driver_override"), "(null)\n");
        CHECK_STR(tread(e, "bus/pci/drivers/nvme/unbind"), "");
        CHECK_CHANGES(e, &before, &after, "only VF 0 is claimed", "bus/pci/devices/" VF0 "/driver_override",
                      "bus/pci/drivers/vfio-pci/bind", NULL);
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, contains(r.err, "IOMMU group 9 would not be viable: " PF " [1b36:0010] stays on nvme"),
                  "check names the PF as what keeps the group from being viable");

        /* release of a VF: the PF's files and driver untouched. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" VF0 "/driver_override", "vfio-pci\n"));
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        tsnap(e, &before);
        tenv_run(e, &r, "release", VF0, NULL);
        tsnap(e, &after);
        {
                char **diff = NULL;
                int n = fakesys_diff(&before, &after, &diff);

                for (int i = 0; i < n; i++)
                        CHECK(!strstr(diff[i], PF) && !strstr(diff[i], "drivers/nvme"),
                              "release of a VF leaves the PF alone: '%s'", diff[i]);
                CHECK(n > 0, "release changed the VF (%d changes)", n);
                fakesys_strv_free(diff);
        }
        free(vf_group);
        free(old_member);
        free(member);
        free(target);
        free(vfdir);
        free(vfabs);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        result_clear(&r);
        tenv_free(e);
}

/* ---- item 4: apply --device, the udev rule's call ---- */

TEST(apply_device)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        tenv_config(e, "id 8086:2922\n");
        SETUP(fakesys_write(e->fs, VFIO_NEW_ID, ""));
        {
                char *bl = tenv_file(e, "run/boot.log", "the boot's lines\n");

                free(bl);
        }
        /* A device no rule selects: nothing written, nothing said, exit 0. */
        tsnap(e, &before);
        tenv_run(e, &r, "apply", "--device", "0000:00:04.0", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "exit 0");
        CHECK_RUN(&r, strcmp(r.err, "") == 0 && strcmp(r.out, "") == 0, "silent");
        CHECK_CHANGES(e, &before, &after, "nothing written", NULL);
        {
                char *bl = t_slurp(e->boot_log);

                CHECK_STR(bl, "the boot's lines\n");
                free(bl);
        }
        tenv_run(e, &r, "apply", "--device", "0000:09:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && strcmp(r.err, "") == 0, "a device that is gone: silent, exit 0");
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);

        /* A selected device: that one only, taken from its host driver, no new_id. */
        tsnap(e, &before);
        tenv_run(e, &r, "apply", "--device", "0000:00:03.0", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "exit 0");
        CHECK_CHANGES(e, &before, &after, "only that device's override, ahci/unbind, vfio-pci/bind",
                      "bus/pci/devices/0000:00:03.0/driver_override", "bus/pci/drivers/ahci/unbind",
                      "bus/pci/drivers/vfio-pci/bind", NULL);
        CHECK_RUN(&r, contains(r.err, "apply --device 0000:00:03.0 (a device that appeared; rule "),
                  "says which device and rule");
        CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: unbinding from ahci"),
                  "names the driver it takes it from");
        {
                char *bl = t_slurp(e->boot_log);

                CHECK(strncmp(bl, "the boot's lines\n", 17) == 0 && contains(bl, "apply --device 0000:00:03.0"),
                      "appended to the boot log: '%s'", bl);
                free(bl);
        }
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);

        tenv_run(e, &r, "check", "--device", "0000:00:03.0", NULL);
        CHECK_RUN(&r,
                  r.code == T_EXIT_USAGE && contains(r.err, "check: unknown option '--device' (an option of apply)"),
                  "--device is apply's only");
        result_clear(&r);
        tenv_free(e);
}

/* ---- item 1, as a property: random PF/VF trees and vfs rules ---- */

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
        rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned)((rng_state >> 33) % n);
}

/*
 * Random machines of up to 4 SR-IOV PFs (each behind a root port of its own,
 * on nvme or without a driver, totalvfs 1-4, offset 1-3, stride 1-2, some
 * with VFs already enabled) and a twin without SR-IOV; rules "address
 * 0B:00.0 [id guard] vfs N" with N sometimes above totalvfs. After apply
 * (with the fake kernel): every change in the tree is a PF's sriov_numvfs,
 * sriov_drivers_autoprobe or virtfnK, or belongs to one of its VFs (their
 * directories, bus links, IOMMU groups), or is vfio-pci's bind or the probe
 * request; a PF with a valid rule and a driver ends with exactly N VFs and
 * autoprobe as it was; any other PF keeps its count.
 */
TEST(vfs_property)
{
        const char *seed_env = getenv("LATER_SEED");
        unsigned cases = 40;

        if (!t_have_kernel_shim())
                return;
        rng_state = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
        t_diag("seed %llu (replay with LATER_SEED)", (unsigned long long)rng_state);
        for (unsigned c = 0; c < cases; c++) {
                struct fakesys_snapshot before = {0}, after = {0};
                struct result r = {0};
                struct tenv *e = tenv_new();
                unsigned npf = 1 + rnd(4), total[5], num[5], want[5], rule_n[5];
                bool driver[5], ruled[5], guard_ok[5];
                char config[1024] = "", **diff = NULL;
                int n;

                for (unsigned p = 0; p < npf; p++) {
                        char port[16], pf[16], grp[8], pgrp[8];

                        snprintf(port, sizeof(port), "0000:00:%02x.0", 2 + p);
                        snprintf(pf, sizeof(pf), "0000:%02x:00.0", 1 + p);
                        snprintf(pgrp, sizeof(pgrp), "%u", 10 + 2 * p);
                        snprintf(grp, sizeof(grp), "%u", 11 + 2 * p);
                        total[p] = 1 + rnd(4);
                        driver[p] = rnd(4) != 0;
                        tenv_dev(e, &(struct fake_dev){.addr = port,
                                                       .vendor = 0x1b36,
                                                       .device = 0xc,
                                                       .class = 0x060400,
                                                       .driver = "pcieport",
                                                       .group = pgrp});
                        tenv_dev(e, &(struct fake_dev){.addr = pf,
                                                       .vendor = 0x1b36,
                                                       .device = 0x10,
                                                       .class = 0x010802,
                                                       .driver = driver[p] ? "nvme" : NULL,
                                                       .group = grp,
                                                       .parent = port,
                                                       .sriov_total = total[p],
                                                       .sriov_offset = (uint16_t)(1 + rnd(3)),
                                                       .sriov_stride = (uint16_t)(1 + rnd(2))});
                        num[p] = driver[p] && rnd(3) == 0 ? 1 + rnd(total[p]) : 0;
                        ruled[p] = rnd(4) != 0;
                        guard_ok[p] = rnd(5) != 0;
                        rule_n[p] = 1 + rnd(total[p] + 1); /* sometimes above totalvfs */
                        if (ruled[p])
                                snprintf(config + strlen(config), sizeof(config) - strlen(config),
                                         "address %02x:00.0%s vfs %u\n", 1 + p,
                                         guard_ok[p] ? " id 1b36:0010" : " id 8086:", rule_n[p]);
                        want[p] = ruled[p] && guard_ok[p] && driver[p] && rule_n[p] <= total[p] ? rule_n[p] : num[p];
                }
                /* A twin of the PFs' ID without SR-IOV, at an address no rule names. */
                tenv_dev(e, &(struct fake_dev){.addr = "0000:00:1e.0",
                                               .vendor = 0x1b36,
                                               .device = 0x10,
                                               .class = 0x010802,
                                               .driver = "nvme",
                                               .group = "40"});
                SETUP(fakesys_add_driver(e->fs, "nvme"));
                /* VFs enabled before apply (the kernel's autoprobe gives them to nvme). */
                for (unsigned p = 0; p < npf; p++)
                        if (num[p]) {
                                char *attr = xasprintf("%s/bus/pci/devices/0000:%02x:00.0/sriov_numvfs",
                                                       fakesys_root(e->fs), 1 + p);
                                char v[16];

                                snprintf(v, sizeof(v), "%u", num[p]);
                                SETUP(fakesys_kernel_write(attr, v, strlen(v)));
                                free(attr);
                        }
                tenv_config(e, config);
                tsnap(e, &before);
                kernel_run(e, &r, "apply");
                tsnap(e, &after);
                CHECK_RUN(&r, r.code == 0, "case %u: apply exits 0", c);
                n = fakesys_diff(&before, &after, &diff);
                for (int i = 0; i < n; i++) {
                        const char *path = diff[i] + 2;
                        /* VFs enabled before, on nvme, are taken from it (checked below: no PF there). */
                        bool ok = strcmp(path, "bus/pci/drivers/vfio-pci/bind") == 0 ||
                                  strcmp(path, "bus/pci/drivers_probe") == 0 ||
                                  strcmp(path, "bus/pci/drivers/nvme/unbind") == 0 ||
                                  (strncmp(path, "kernel/iommu_groups/", 20) == 0 && atoi(path + 20) > 40);

                        for (unsigned p = 0; p < npf && !ok; p++) {
                                char pf[24], bus[24];

                                /* The PF's bus is its own (a root port each): its VFs are the other functions there. */
                                snprintf(pf, sizeof(pf), "0000:%02x:00.0", 1 + p);
                                snprintf(bus, sizeof(bus), "0000:%02x:", 1 + p);
                                ok = (strstr(path, pf) &&
                                      (strstr(path, "/sriov_numvfs") || strstr(path, "/sriov_drivers_autoprobe") ||
                                       strstr(path, "/virtfn"))) ||
                                     (strstr(path, bus) && !strstr(path, pf));
                        }
                        CHECK(ok, "case %u: change '%s' is a PF's sriov files or one of its VFs", c, diff[i]);
                }
                fakesys_strv_free(diff);
                for (unsigned p = 0; p < npf; p++) {
                        char rel[64], *got;

                        snprintf(rel, sizeof(rel), "bus/pci/devices/0000:%02x:00.0/sriov_numvfs", 1 + p);
                        got = xasprintf("%u\n", want[p]);
                        CHECK(strcmp(tread(e, rel), got) == 0,
                              "case %u: PF %u (driver %d, total %u, had %u, rule %d guard %d vfs %u): numvfs '%s', want %u",
                              c, p, driver[p], total[p], num[p], ruled[p], guard_ok[p], rule_n[p], tread(e, rel),
                              want[p]);
                        free(got);
                        snprintf(rel, sizeof(rel), "bus/pci/devices/0000:%02x:00.0/sriov_drivers_autoprobe", 1 + p);
                        CHECK_STR(tread(e, rel), "1\n");
                }
                CHECK_STR(tattr(e, "0000:00:1e.0", "driver_override"), "(null)\n");
                CHECK(!contains(tread(e, "bus/pci/drivers/nvme/unbind"), ":00.0"),
                      "case %u: no PF unbound from nvme: '%s'", c, tread(e, "bus/pci/drivers/nvme/unbind"));
                fakesys_snapshot_clear(&before);
                fakesys_snapshot_clear(&after);
                result_clear(&r);
                tenv_free(e);
        }
}
