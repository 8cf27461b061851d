// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim claim and release: the engine at runtime. Writes in a fake tree
 * do not move driver links, so a claim reads back as "held off" (exit 1);
 * the checks are on the written files, the messages and the exit codes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define AHCI_UNBIND    "bus/pci/drivers/ahci/unbind"
#define VFIO_BIND      "bus/pci/drivers/vfio-pci/bind"
#define VFIO_UNBIND    "bus/pci/drivers/vfio-pci/unbind"
#define VFIO_NEW_ID    "bus/pci/drivers/vfio-pci/new_id"
#define VFIO_REMOVE_ID "bus/pci/drivers/vfio-pci/remove_id"
#define PROBE          "bus/pci/drivers_probe"
#define OVR(addr)      "bus/pci/devices/" addr "/driver_override"

struct run {
        struct tenv *e;
        struct fakesys_snapshot before, after;
        struct result r;
};

static void start(struct run *x)
{
        *x = (struct run){.e = tenv_new()};
        tenv_machine(x->e);
}

/* Runs vfio-claim ARGS... with a snapshot before and after. */
#define RUN(x, ...)                                                                                                    \
        do {                                                                                                           \
                fakesys_snapshot_clear(&(x)->before);                                                                  \
                fakesys_snapshot_clear(&(x)->after);                                                                   \
                tsnap((x)->e, &(x)->before);                                                                           \
                tenv_run((x)->e, &(x)->r, __VA_ARGS__, NULL);                                                          \
                tsnap((x)->e, &(x)->after);                                                                            \
        } while (0)

static void finish(struct run *x)
{
        fakesys_snapshot_clear(&x->before);
        fakesys_snapshot_clear(&x->after);
        result_clear(&x->r);
        tenv_free(x->e);
}

/* The state after a boot that claimed addr: override set, bound to vfio-pci. */
static void claimed(struct run *x, const char *addr)
{
        char rel[128];

        snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
        SETUP(fakesys_write(x->e->fs, rel, "vfio-pci\n"));
        SETUP(fakesys_set_driver(x->e->fs, addr, "vfio-pci"));
}

TEST(claim_address)
{
        struct run x;

        start(&x);
        RUN(&x, "claim", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 1, "claim exits 1: the bind does not show in a tree without a kernel");
        CHECK_CHANGES(x.e, &x.before, &x.after, "override, unbind from ahci, bind to vfio-pci; nothing else",
                      OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND, NULL);
        CHECK(strcmp(tread(x.e, VFIO_BIND), "0000:00:03.0\n") == 0 &&
                      strcmp(tread(x.e, AHCI_UNBIND), "0000:00:03.0\n") == 0,
              "bind and unbind got the address");
        CHECK(strcmp(tattr(x.e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0, "override");
        CHECK_RUN(
                &x.r,
                contains(x.r.err, "0000:00:03.0 [8086:2922]: bind to vfio-pci accepted but the device has driver ahci"),
                "reports the driver link it read back");
        CHECK(access(x.e->boot_log, F_OK) < 0, "claim writes no boot log");
        finish(&x);

        /* A device that is already where it should be: nothing to do, exit 0. */
        start(&x);
        claimed(&x, "0000:00:03.0");
        RUN(&x, "claim", "0000:00:03.0");
        CHECK_RUN(&x.r, x.r.code == 0, "already on vfio-pci: exit 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "already claimed: nothing written", NULL);
        CHECK_RUN(&x.r, contains(x.r.err, "already bound to vfio-pci"), "says so");
        finish(&x);

        start(&x);
        RUN(&x, "claim", "00:03.0", "01:00.1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "two addresses: both devices", OVR("0000:00:03.0"), OVR("0000:01:00.1"),
                      AHCI_UNBIND, "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND, NULL);
        CHECK(strcmp(tread(x.e, VFIO_BIND), "0000:00:03.0\n0000:01:00.1\n") == 0, "both bound: '%s'",
              tread(x.e, VFIO_BIND));
        finish(&x);
}

TEST(claim_rule)
{
        struct run x;

        start(&x);
        RUN(&x, "claim", "id", "8086:2922");
        CHECK_RUN(&x.r, x.r.code == 1, "claim id: exit 1 (held off, no kernel)");
        CHECK_CHANGES(x.e, &x.before, &x.after, "the three controllers; a one-off claim registers no new_id",
                      OVR("0000:00:03.0"), OVR("0000:00:1f.2"), OVR("0000:02:00.0"), AHCI_UNBIND, VFIO_BIND, NULL);
        CHECK(strcmp(tread(x.e, VFIO_BIND), "0000:00:03.0\n0000:00:1f.2\n0000:02:00.0\n") == 0, "bind: '%s'",
              tread(x.e, VFIO_BIND));
        finish(&x);

        start(&x);
        RUN(&x, "claim", "id", "1b36:000d", "driver", "pci-stub");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a whole rule on the command line, with its driver",
                      OVR("0000:00:04.0"), "bus/pci/drivers/xhci_hcd/unbind", "bus/pci/drivers/pci-stub/bind", NULL);
        CHECK(strcmp(tattr(x.e, "0000:00:04.0", "driver_override"), "pci-stub\n") == 0, "override pci-stub");
        finish(&x);

        start(&x);
        RUN(&x, "claim", "address", "01:00", "id", "10de:");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a guarded wildcard rule: both NVIDIA functions", OVR("0000:01:00.0"),
                      OVR("0000:01:00.1"), "bus/pci/drivers/nouveau/unbind", "bus/pci/drivers/snd_hda_intel/unbind",
                      VFIO_BIND, NULL);
        finish(&x);
}

TEST(claim_dry_run)
{
        struct run x;

        start(&x);
        RUN(&x, "claim", "--dry-run", "01:00");
        CHECK_RUN(&x.r, x.r.code == 0, "claim --dry-run exits 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "claim --dry-run writes nothing", NULL);
        CHECK_RUN(&x.r,
                  contains(x.r.err, "0000:01:00.0 [10de:1b80]: dry run: would set driver_override to vfio-pci") &&
                          contains(x.r.err, "0000:01:00.1 [10de:10f0]: dry run: would unbind from snd_hda_intel"),
                  "says what it would do");
        finish(&x);
}

TEST(claim_refusals)
{
        struct run x;
        char *mi;

        start(&x);
        RUN(&x, "claim", "zz:zz");
        CHECK_RUN(&x.r, x.r.code == T_EXIT_USAGE, "a bad selector is a usage error (64)");
        CHECK_RUN(&x.r, contains(x.r.err, "argument 1: address 'zz:zz': Invalid bus number"), "says what is wrong");
        CHECK_CHANGES(x.e, &x.before, &x.after, "bad selector: nothing written", NULL);

        RUN(&x, "claim", "05:00.0");
        CHECK_RUN(&x.r, x.r.code == 1, "no such device: exit 1");
        CHECK_RUN(&x.r, contains(x.r.err, "argument 1 (address 05:00.0): matches no PCI device"), "says so");
        CHECK_CHANGES(x.e, &x.before, &x.after, "no such device: nothing written", NULL);

        RUN(&x, "claim", "00:1c.0");
        CHECK_RUN(&x.r, x.r.code == 1 && contains(x.r.err, "is a PCI bridge; bridges are never claimed"),
                  "a bridge: refused, exit 1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a bridge: nothing written", NULL);

        RUN(&x, "claim", "address", "02:00.0", "id", "8086:1c02");
        CHECK_RUN(&x.r, x.r.code == 1 && contains(x.r.err, "guard mismatch: 0000:02:00.0 is [8086:2922]"),
                  "a guard mismatch: exit 1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a guard mismatch: nothing written", NULL);

        tenv_run(x.e, &x.r, "claim", NULL);
        CHECK_RUN(&x.r, x.r.code == T_EXIT_USAGE && contains(x.r.err, "claim needs a selector"),
                  "claim without a selector: usage error");

        /* The second controller carries /srv: claim refuses it unless forced. */
        SETUP(fakesys_add_block(x.e->fs, "0000:00:03.0", "sdb", 8, 16, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sdb/sdb1", 8, 17, NULL));
        mi = tenv_file(x.e, "proc/self/mountinfo", "31 25 8:17 / /srv rw,relatime shared:20 - ext4 /dev/sdb1 rw\n");
        free(mi);
        RUN(&x, "claim", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 1, "a device with a mounted filesystem: refused, exit 1");
        CHECK_RUN(&x.r,
                  contains(x.r.err, "error: 0000:00:03.0 [8086:2922] carries the filesystem mounted on /srv; not "
                                    "claiming it (use --force)"),
                  "says why");
        CHECK_CHANGES(x.e, &x.before, &x.after, "refused: nothing written", NULL);
        RUN(&x, "--force", "claim", "00:03.0");
        CHECK_RUN(&x.r,
                  contains(x.r.err,
                           "warning: 0000:00:03.0 [8086:2922] carries the filesystem mounted on /srv; claiming "
                           "it anyway (--force)"),
                  "--force: warns and claims");
        CHECK_CHANGES(x.e, &x.before, &x.after, "--force: the usual three files", OVR("0000:00:03.0"), AHCI_UNBIND,
                      VFIO_BIND, NULL);
        finish(&x);
}

TEST(release)
{
        struct run x;

        /* Claimed at boot and bound: clear the override, unbind, re-probe. */
        start(&x);
        claimed(&x, "0000:00:03.0");
        tenv_config(x.e, "address 00:03.0\n");
        RUN(&x, "release", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 0, "release exits 0");
        CHECK(strcmp(tattr(x.e, "0000:00:03.0", "driver_override"), "\n") == 0,
              "driver_override cleared with a newline, as echo > does: '%s'",
              tattr(x.e, "0000:00:03.0", "driver_override"));
        CHECK(strcmp(tread(x.e, VFIO_UNBIND), "0000:00:03.0\n") == 0, "unbound from vfio-pci");
        CHECK(strcmp(tread(x.e, PROBE), "0000:00:03.0\n") == 0, "drivers_probe got the address");
        CHECK_CHANGES(x.e, &x.before, &x.after, "override, vfio-pci/unbind, drivers_probe; nothing else",
                      OVR("0000:00:03.0"), VFIO_UNBIND, PROBE, NULL);
        CHECK_RUN(&x.r,
                  contains(x.r.err, "0000:00:03.0 [8086:2922]: driver_override vfio-pci cleared") &&
                          contains(x.r.err, "0000:00:03.0 [8086:2922]: unbinding from vfio-pci"),
                  "says what it did");
        CHECK_RUN(&x.r, contains(x.r.err, ":1 selects it: it is claimed again at the next boot"),
                  "reminds that the configuration still selects it");
        finish(&x);

        /* Held off but never bound (probe failed): nothing to unbind. */
        start(&x);
        SETUP(fakesys_write(x.e->fs, OVR("0000:01:00.0"), "vfio-pci\n"));
        SETUP(fakesys_set_driver(x.e->fs, "0000:01:00.0", NULL));
        RUN(&x, "release", "01:00.0");
        CHECK_RUN(&x.r, x.r.code == 0, "release exits 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "no driver: override and drivers_probe only", OVR("0000:01:00.0"),
                      PROBE, NULL);
        CHECK_RUN(&x.r, contains(x.r.err, "0000:01:00.0 [10de:1b80]: released, no driver took it"),
                  "reads the driver link back");
        CHECK_RUN(&x.r, !contains(x.r.err, "claimed again"), "no configuration: no reminder");
        finish(&x);

        /* An id rule registered the ID with new_id: release takes it back with remove_id. */
        start(&x);
        claimed(&x, "0000:00:03.0");
        claimed(&x, "0000:02:00.0");
        tenv_config(x.e, "id 8086:2922\n");
        RUN(&x, "release", "0000:02:00.0");
        CHECK(strcmp(tread(x.e, VFIO_REMOVE_ID), "8086 2922 ffffffff ffffffff 0 0\n") == 0,
              "remove_id gets the rule's ID, or the re-probe hands the device straight back: '%s'",
              tread(x.e, VFIO_REMOVE_ID));
        CHECK_CHANGES(x.e, &x.before, &x.after, "override, remove_id, unbind, drivers_probe", OVR("0000:02:00.0"),
                      VFIO_REMOVE_ID, VFIO_UNBIND, PROBE, NULL);
        finish(&x);

        /* A wildcard releases every function. */
        start(&x);
        claimed(&x, "0000:01:00.0");
        claimed(&x, "0000:01:00.1");
        RUN(&x, "release", "01:00");
        CHECK(strcmp(tread(x.e, VFIO_UNBIND), "0000:01:00.0\n0000:01:00.1\n") == 0 &&
                      strcmp(tread(x.e, PROBE), "0000:01:00.0\n0000:01:00.1\n") == 0,
              "both functions released");
        CHECK_CHANGES(x.e, &x.before, &x.after, "both functions, nothing else", OVR("0000:01:00.0"),
                      OVR("0000:01:00.1"), VFIO_UNBIND, PROBE, NULL);
        finish(&x);
}

/* Release gives back what is held for a VM, and never bounces a host driver. */
TEST(release_unheld)
{
        struct run x;

        start(&x);
        RUN(&x, "release", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 0, "a device on its host driver: nothing to do, exit 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a device on its host driver: nothing written", NULL);
        CHECK_RUN(&x.r, contains(x.r.err, "00:03.0: nothing to release: no device there is held for a VM"),
                  "says there was nothing to release");
        RUN(&x, "release", "00:01.0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a root port on pcieport: nothing written", NULL);
        /* Driverless, named exactly: re-probed, so the host driver takes it back. */
        SETUP(fakesys_set_driver(x.e->fs, "0000:00:03.0", NULL));
        RUN(&x, "release", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 0, "a driverless device named exactly: exit 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "a driverless device named exactly: drivers_probe only", PROBE, NULL);
        /* On the driver its rule names, with no override: held. */
        SETUP(fakesys_set_driver(x.e->fs, "0000:00:03.0", "pciback"));
        tenv_config(x.e, "address 00:03.0 driver pciback\n");
        RUN(&x, "release", "00:03.0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "on its rule's driver: unbound and re-probed",
                      "bus/pci/drivers/pciback/unbind", PROBE, NULL);
        finish(&x);

        /* "release *": only the held devices. */
        start(&x);
        claimed(&x, "0000:01:00.0");
        SETUP(fakesys_write(x.e->fs, OVR("0000:01:00.1"), "vfio-pci\n"));
        SETUP(fakesys_set_driver(x.e->fs, "0000:01:00.1", NULL));
        RUN(&x, "-v", "release", "*");
        CHECK_RUN(&x.r, x.r.code == 0, "release '*' exits 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "release '*': the held functions, nothing else", OVR("0000:01:00.0"),
                      OVR("0000:01:00.1"), VFIO_UNBIND, PROBE, NULL);
        CHECK_RUN(&x.r,
                  contains(x.r.err, "0000:00:03.0 [8086:2922]: not held (no driver_override, on ahci); left alone"),
                  "-v: says which devices it left alone");
        finish(&x);
}

TEST(release_refusals)
{
        struct run x;

        start(&x);
        RUN(&x, "release", "05:00.0");
        CHECK_RUN(&x.r, x.r.code == 1 && contains(x.r.err, "05:00.0: no such PCI device"), "no such device: exit 1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "no such device: nothing written", NULL);
        RUN(&x, "release", "zz");
        CHECK_RUN(&x.r, x.r.code == 1 && contains(x.r.err, "zz: Invalid slot number"), "bad address: exit 1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "bad address: nothing written", NULL);
        RUN(&x, "--dry-run", "release", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == T_EXIT_USAGE && contains(x.r.err, "release: unknown option '--dry-run'"),
                  "release has no dry run: usage error");
        CHECK_CHANGES(x.e, &x.before, &x.after, "release --dry-run: nothing written", NULL);
        tenv_run(x.e, &x.r, "release", NULL);
        CHECK_RUN(&x.r, x.r.code == T_EXIT_USAGE && contains(x.r.err, "release needs one or more addresses"),
                  "release without an address: usage error");
        finish(&x);
}

TEST(release_busy_host_device)
{
        struct run x;
        char *mi;

        /*
         * 00:1f.2 was never claimed: it is on ahci and carries the root filesystem.
         * A slip of the finger ("release 00:1f.2" for "release 00:03.0") must not
         * unbind the root disk's controller; claim refuses such a device unless forced.
         */
        start(&x);
        SETUP(fakesys_add_block(x.e->fs, "0000:00:1f.2", "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sda/sda1", 8, 1, NULL));
        mi = tenv_file(x.e, "proc/self/mountinfo", "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        free(mi);
        RUN(&x, "release", "00:1f.2");
        CHECK(strcmp(tread(x.e, AHCI_UNBIND), "") == 0,
              "release does not unbind a host-driver device that carries the mounted root filesystem "
              "(ahci/unbind: '%s')",
              tread(x.e, AHCI_UNBIND));
        finish(&x);
}

/* release of a card (no function): the held function is released, a
 * driverless sibling that nothing holds is left alone, not re-probed. Only a
 * function named exactly gets that re-probe (release_unheld). */
TEST(release_slot_leaves_unheld_sibling)
{
        struct run x;

        start(&x);
        claimed(&x, "0000:01:00.0");
        SETUP(fakesys_set_driver(x.e->fs, "0000:01:00.1", NULL));
        RUN(&x, "-v", "release", "01:00");
        CHECK_RUN(&x.r, x.r.code == 0, "release 01:00 exits 0");
        CHECK_STR(tread(x.e, PROBE), "0000:01:00.0\n");
        CHECK_CHANGES(x.e, &x.before, &x.after, "01:00.0 released; the driverless 01:00.1 untouched",
                      OVR("0000:01:00.0"), VFIO_UNBIND, PROBE, NULL);
        CHECK_RUN(
                &x.r,
                contains(x.r.err, "0000:01:00.1 [10de:10f0]: not held (no driver_override, on no driver); left alone"),
                "says it left the sibling alone");
        finish(&x);
}

/*
 * A held device (its override is vfio-pci, but ahci still has it: the claim
 * has not happened yet) that carries the mounted root filesystem: release
 * would unbind the root disk's controller. Without --force it refuses, exit
 * 1, nothing written; with --force it goes ahead and says so.
 */
TEST(release_busy_held_device)
{
        struct run x;
        char *mi;

        start(&x);
        SETUP(fakesys_write(x.e->fs, OVR("0000:00:03.0"), "vfio-pci\n"));
        SETUP(fakesys_add_block(x.e->fs, "0000:00:03.0", "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sda/sda1", 8, 1, NULL));
        mi = tenv_file(x.e, "proc/self/mountinfo", "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        free(mi);
        RUN(&x, "release", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 1, "refused: exit 1");
        CHECK_CHANGES(x.e, &x.before, &x.after, "refused: nothing written", NULL);
        CHECK_RUN(&x.r,
                  contains(x.r.err, "0000:00:03.0 [8086:2922] carries ") &&
                          contains(x.r.err, "not releasing it (use --force)"),
                  "names what the device carries and the way out");
        RUN(&x, "release", "--force", "00:03.0");
        CHECK_RUN(&x.r, x.r.code == 0, "--force: exit 0");
        CHECK_CHANGES(x.e, &x.before, &x.after, "--force: override cleared, ahci unbound, re-probed",
                      OVR("0000:00:03.0"), AHCI_UNBIND, PROBE, NULL);
        CHECK_RUN(&x.r, contains(x.r.err, "releasing it anyway (--force)"), "--force: warns");
        finish(&x);
}
