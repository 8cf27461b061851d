// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim apply against fake sysfs trees: which files it writes, with
 * what, and that it writes nothing else. There is no kernel behind the tree,
 * so a bind never moves a driver link: outcomes read back as "held off", and
 * the checks are on the written files and the messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define AHCI_UNBIND "bus/pci/drivers/ahci/unbind"
#define VFIO_BIND   "bus/pci/drivers/vfio-pci/bind"
#define VFIO_NEW_ID "bus/pci/drivers/vfio-pci/new_id"
#define OVR(addr)   "bus/pci/devices/" addr "/driver_override"

/* A fresh machine with config, and a snapshot of it before anything runs. */
static struct tenv *setup(const char *config, struct fakesys_snapshot *before)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        if (config)
                tenv_config(e, config);
        tsnap(e, before);
        return e;
}

static void done(struct tenv *e, struct result *r, struct fakesys_snapshot *a, struct fakesys_snapshot *b)
{
        result_clear(r);
        fakesys_snapshot_clear(a);
        fakesys_snapshot_clear(b);
        tenv_free(e);
}

TEST(twins_by_address)
{
        /* Both spellings of the address: lspci -s takes the domain or leaves it out. */
        static const char *const configs[] = {"address 00:03.0\n", "address 0000:00:03.0\n"};

        for (size_t i = 0; i < 2; i++) {
                struct fakesys_snapshot before = {0}, after = {0};
                struct result r = {0};
                struct tenv *e = setup(configs[i], &before);

                tenv_run(e, &r, "apply", NULL);
                tsnap(e, &after);
                CHECK_RUN(&r, r.code == 0, "apply exits 0");
                CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
                      "the addressed twin's driver_override is vfio-pci: '%s'",
                      tattr(e, "0000:00:03.0", "driver_override"));
                CHECK(strcmp(tattr(e, "0000:00:1f.2", "driver_override"), "(null)\n") == 0,
                      "the other twin's driver_override is untouched");
                CHECK(strcmp(tattr(e, "0000:02:00.0", "driver_override"), "(null)\n") == 0,
                      "the third twin's driver_override is untouched");
                CHECK(strcmp(tread(e, AHCI_UNBIND), "0000:00:03.0\n") == 0, "ahci's unbind got the address: '%s'",
                      tread(e, AHCI_UNBIND));
                CHECK(strcmp(tread(e, VFIO_BIND), "0000:00:03.0\n") == 0, "vfio-pci's bind got the address: '%s'",
                      tread(e, VFIO_BIND));
                CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "no new_id for a rule with an address");
                CHECK_CHANGES(e, &before, &after, "only the twin's override, ahci/unbind and vfio-pci/bind changed",
                              OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND, NULL);
                CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: driver_override set to vfio-pci"),
                          "says the override was set, naming the device as ADDR [VVVV:DDDD]");
                CHECK_RUN(&r, contains(r.err, "warning: 0000:00:03.0 [8086:2922]: unbinding from ahci"),
                          "warns that it unbinds the host driver, naming it");
                CHECK_RUN(&r, !contains(r.err, "0000:00:1f.2") && !contains(r.err, "0000:02:00.0"),
                          "the other twins are not mentioned");
                CHECK_RUN(&r, contains(r.err, "1 selected"), "summary counts one device");
                done(e, &r, &before, &after);
        }
}

TEST(id_rule)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("id 8086:2922\n", &before);

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0 &&
                      strcmp(tattr(e, "0000:00:1f.2", "driver_override"), "vfio-pci\n") == 0 &&
                      strcmp(tattr(e, "0000:02:00.0", "driver_override"), "vfio-pci\n") == 0,
              "every device with the ID gets the override");
        CHECK(strcmp(tread(e, AHCI_UNBIND), "0000:00:03.0\n0000:00:1f.2\n0000:02:00.0\n") == 0,
              "ahci/unbind got all three, in address order: '%s'", tread(e, AHCI_UNBIND));
        CHECK(strcmp(tread(e, VFIO_BIND), "0000:00:03.0\n0000:00:1f.2\n0000:02:00.0\n") == 0,
              "vfio-pci/bind got all three: '%s'", tread(e, VFIO_BIND));
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "8086 2922 ffffffff ffffffff 0 0\n") == 0,
              "new_id registers the ID like vfio-pci.ids=: '%s'", tread(e, VFIO_NEW_ID));
        CHECK_CHANGES(e, &before, &after, "only the three overrides and the driver files changed", OVR("0000:00:03.0"),
                      OVR("0000:00:1f.2"), OVR("0000:02:00.0"), AHCI_UNBIND, VFIO_BIND, VFIO_NEW_ID, NULL);
        CHECK_RUN(&r, contains(r.err, "id 8086 2922 ffffffff ffffffff 0 0 registered with vfio-pci (new_id)"),
                  "reports the new_id registration");
        done(e, &r, &before, &after);
}

TEST(guarded_address_no_new_id)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 00:03.0 id 8086:2922\n", &before);

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "") == 0, "never new_id for a rule that carries an address");
        CHECK_CHANGES(e, &before, &after, "the guard holds: only the addressed device is claimed", OVR("0000:00:03.0"),
                      AHCI_UNBIND, VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

TEST(subsystem)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        /* A fourth 8086:2922 that differs only in its subsystem. */
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:05.0",
                                       .vendor = 0x8086,
                                       .device = 0x2922,
                                       .subvendor = 0x8086,
                                       .subdevice = 0x7270,
                                       .class = 0x010601,
                                       .driver = "ahci",
                                       .group = "8"});
        tenv_config(e, "id 8086:2922 subsystem 8086:7270\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "8086 2922 8086 7270 0 0\n") == 0, "new_id carries the subsystem: '%s'",
              tread(e, VFIO_NEW_ID));
        CHECK_CHANGES(e, &before, &after, "only the device with that subsystem", OVR("0000:00:05.0"), AHCI_UNBIND,
                      VFIO_BIND, VFIO_NEW_ID, NULL);
        CHECK(strcmp(tread(e, AHCI_UNBIND), "0000:00:05.0\n") == 0, "ahci/unbind: '%s'", tread(e, AHCI_UNBIND));
        fakesys_snapshot_clear(&after);

        /* subsystem alone selects too, but is no ID to register. */
        SETUP(fakesys_write(e->fs, OVR("0000:00:05.0"), "(null)\n"));
        SETUP(fakesys_write(e->fs, AHCI_UNBIND, ""));
        SETUP(fakesys_write(e->fs, VFIO_BIND, ""));
        SETUP(fakesys_write(e->fs, VFIO_NEW_ID, ""));
        tenv_config(e, "subsystem 8086:7270\n");
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "subsystem alone: only that device, and no new_id", OVR("0000:00:05.0"),
                      AHCI_UNBIND, VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

TEST(class)
{
        static const struct {
                const char *rule, *new_id;
                bool nvme;
        } cases[] = {
                {"id ::0106", "ffffffff ffffffff ffffffff ffffffff 10600 ffff00\n", false},
                {"id ::01xx", "ffffffff ffffffff ffffffff ffffffff 10000 ff0000\n", true},
                {"id ::0106:01", "ffffffff ffffffff ffffffff ffffffff 10601 ffffff\n", false},
                {"id 8086::0106", "8086 ffffffff ffffffff ffffffff 10600 ffff00\n", false},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fakesys_snapshot before = {0}, after = {0};
                struct result r = {0};
                struct tenv *e = tenv_new();
                char *config;

                tenv_machine(e);
                /* An NVMe drive: class 01 (storage), subclass 08, not AHCI. */
                tenv_dev(e, &(struct fake_dev){.addr = "0000:00:06.0",
                                               .vendor = 0x8086,
                                               .device = 0xf1a5,
                                               .subvendor = 0x8086,
                                               .subdevice = 0x390a,
                                               .class = 0x010802,
                                               .driver = "nvme",
                                               .group = "9"});
                SETUP(asprintf(&config, "%s\n", cases[i].rule));
                tenv_config(e, config);
                free(config);
                tsnap(e, &before);
                tenv_run(e, &r, "apply", NULL);
                tsnap(e, &after);
                CHECK_RUN(&r, r.code == 0, "%s: apply exits 0", cases[i].rule);
                CHECK(strcmp(tread(e, VFIO_NEW_ID), cases[i].new_id) == 0, "%s: new_id '%s'", cases[i].rule,
                      tread(e, VFIO_NEW_ID));
                CHECK(strcmp(tread(e, AHCI_UNBIND), "0000:00:03.0\n0000:00:1f.2\n0000:02:00.0\n") == 0,
                      "%s: the three AHCI controllers leave ahci", cases[i].rule);
                if (cases[i].nvme) {
                        CHECK(strcmp(tread(e, "bus/pci/drivers/nvme/unbind"), "0000:00:06.0\n") == 0,
                              "%s: the NVMe drive too", cases[i].rule);
                        CHECK_CHANGES(e, &before, &after, "class 01xx: storage devices only", OVR("0000:00:03.0"),
                                      OVR("0000:00:1f.2"), OVR("0000:02:00.0"), OVR("0000:00:06.0"), AHCI_UNBIND,
                                      "bus/pci/drivers/nvme/unbind", VFIO_BIND, VFIO_NEW_ID, NULL);
                } else
                        CHECK_CHANGES(e, &before, &after, "class 0106: the AHCI controllers only", OVR("0000:00:03.0"),
                                      OVR("0000:00:1f.2"), OVR("0000:02:00.0"), AHCI_UNBIND, VFIO_BIND, VFIO_NEW_ID,
                                      NULL);
                done(e, &r, &before, &after);
        }
}

TEST(wildcard_slot)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 01:00\n", &before);

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tread(e, VFIO_BIND), "0000:01:00.0\n0000:01:00.1\n") == 0,
              "both functions of slot 01:00 are bound to vfio-pci: '%s'", tread(e, VFIO_BIND));
        CHECK(strcmp(tread(e, "bus/pci/drivers/nouveau/unbind"), "0000:01:00.0\n") == 0, "GPU leaves nouveau");
        CHECK(strcmp(tread(e, "bus/pci/drivers/snd_hda_intel/unbind"), "0000:01:00.1\n") == 0,
              "HDMI audio leaves snd_hda_intel");
        CHECK_CHANGES(e, &before, &after, "only the two functions and their drivers", OVR("0000:01:00.0"),
                      OVR("0000:01:00.1"), "bus/pci/drivers/nouveau/unbind", "bus/pci/drivers/snd_hda_intel/unbind",
                      VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

TEST(group_expansion)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 01:00.0 group\n", &before);

        tenv_run(e, &r, "-v", "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tattr(e, "0000:01:00.1", "driver_override"), "vfio-pci\n") == 0,
              "the other endpoint of IOMMU group 1 is added");
        CHECK(strcmp(tattr(e, "0000:00:01.0", "driver_override"), "(null)\n") == 0 &&
                      strcmp(tread(e, "bus/pci/drivers/pcieport/unbind"), "") == 0,
              "the root port in the same group is never claimed");
        CHECK_CHANGES(e, &before, &after, "the group's endpoints only", OVR("0000:01:00.0"), OVR("0000:01:00.1"),
                      "bus/pci/drivers/nouveau/unbind", "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND, NULL);
        CHECK_RUN(&r, contains(r.err, "0000:01:00.1 [10de:10f0] added: IOMMU group 1 of 0000:01:00.0"),
                  "says why the audio function was added");
        CHECK_RUN(&r, !contains(r.err, "is a PCI bridge"), "no bridge warning for a bridge met through a group");
        done(e, &r, &before, &after);

        /* A rule that repeats an earlier one's device still brings its group along. */
        e = setup("address 01:00.0\naddress 01:00.0 group\n", &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "address X, then address X group: the group too", OVR("0000:01:00.0"),
                      OVR("0000:01:00.1"), "bus/pci/drivers/nouveau/unbind", "bus/pci/drivers/snd_hda_intel/unbind",
                      VFIO_BIND, NULL);
        done(e, &r, &before, &after);

        /* Group 3: the SMBus goes along, the LPC bridge (class 0601, a chipset
         * bridge the host needs) does not. */
        e = setup("address 00:1f.2 group\n", &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "group 3: 1f.2 and 1f.3, not the LPC bridge 1f.0", OVR("0000:00:1f.2"),
                      OVR("0000:00:1f.3"), AHCI_UNBIND, "bus/pci/drivers/i801_smbus/unbind", VFIO_BIND, NULL);
        CHECK_RUN(
                &r,
                contains(r.err, "0000:00:1f.0 [8086:2918] (class 060100) shares IOMMU group 3 but is a chipset bridge"),
                "says why the LPC bridge was left out");
        done(e, &r, &before, &after);

        /* Named in a rule of its own, it is taken: the admin decided. */
        e = setup("address 00:1f.2 group\naddress 00:1f.0\n", &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "group 3 and the LPC bridge named by address", OVR("0000:00:1f.0"),
                      OVR("0000:00:1f.2"), OVR("0000:00:1f.3"), "bus/pci/drivers/lpc_ich/unbind", AHCI_UNBIND,
                      "bus/pci/drivers/i801_smbus/unbind", VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

/* "SYSFS/bus/pci/devices/ADDR/uevent: unexpected contents; device ignored" */
static char *garble_uevent(struct tenv *e, struct fakesys_snapshot *before, const char *addr)
{
        char *rel = xasprintf("bus/pci/devices/%s/uevent", addr);

        SETUP(fakesys_write(e->fs, rel, "PCI_ID=zzzz:0000\nPCI_CLASS=0c0330\n"));
        free(rel);
        fakesys_snapshot_clear(before);
        tsnap(e, before);
        return xasprintf("%s/bus/pci/devices/%s/uevent: unexpected contents; device ignored", fakesys_root(e->fs),
                         addr);
}

TEST(unread_devices)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 00:03.0\n", &before);
        char *m = garble_uevent(e, &before, "0000:00:04.0");

        /* Every rule has an address: a device at no such address is never
         * read, not even its uevent (the directory's name is its address). */
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0 && !contains(r.err, m), "address rules only: the xHCI's uevent is not read");
        CHECK_CHANGES(e, &before, &after, "the addressed twin only", OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND, NULL);
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, contains(r.err, m), "check reads every device");
        fakesys_snapshot_clear(&after);

        /* An id rule can select any device: every uevent is read. */
        tenv_config(e, "address 00:03.0\nid 10de:10f0\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.err, m), "with an id rule the xHCI's uevent is read");
        free(m);
        done(e, &r, &before, &after);

        /* A member of a group a rule takes whole is read when the group is. */
        e = setup("address 00:1f.2 group\n", &before);
        m = garble_uevent(e, &before, "0000:00:1f.3");
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, contains(r.err, m), "the SMBus in group 3 is read, and its uevent refused");
        CHECK_CHANGES(e, &before, &after, "group 3 without the unreadable SMBus", OVR("0000:00:1f.2"), AHCI_UNBIND,
                      VFIO_BIND, NULL);
        free(m);
        done(e, &r, &before, &after);
}

TEST(bridge_never)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 00:01.0\n", &before);

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_CHANGES(e, &before, &after, "a bridge named by address is not touched", NULL);
        CHECK_RUN(&r, contains(r.err, "0000:00:01.0 [1b36:000c] is a PCI bridge; bridges are never claimed"),
                  "warns about the bridge");
        done(e, &r, &before, &after);
}

TEST(guard_mismatch)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("# the second controller\naddress 02:00.0 id 8086:1c02\naddress 01:00.1\n", &before);
        char *where;

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0 even with a guard mismatch");
        CHECK_CHANGES(e, &before, &after, "the mismatched rule writes nothing; the next rule still applies",
                      OVR("0000:01:00.1"), "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND, NULL);
        SETUP(asprintf(&where, "error: %s:2: guard mismatch: 0000:02:00.0 is [8086:2922]", e->config));
        CHECK_RUN(&r, contains(r.err, where), "the error names file:line and what the device really is");
        CHECK_RUN(&r, contains(r.err, "not what 'address 02:00.0 id 8086:1c02' expects; rule claims nothing"),
                  "and quotes the rule");
        free(where);
        done(e, &r, &before, &after);
}

TEST(already_on_target)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "vfio-pci"));
        SETUP(fakesys_write(e->fs, OVR("0000:00:03.0"), "vfio-pci\n"));
        tenv_config(e, "address 00:03.0\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_CHANGES(e, &before, &after, "a device already on vfio-pci with the override: nothing written", NULL);
        CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: driver_override already vfio-pci"),
                  "says the override is there");
        CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: already bound to vfio-pci"), "says it is bound");
        CHECK_RUN(&r, contains(r.err, "1 selected, 0 claimed, 1 already bound, 0 held off but not bound, 0 failed"),
                  "summary");
        done(e, &r, &before, &after);
}

TEST(unbound_device)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", NULL));
        tenv_config(e, "address 00:03.0\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "no host driver: override and bind, no unbind", OVR("0000:00:03.0"),
                      VFIO_BIND, NULL);
        CHECK_RUN(&r, contains(r.err, "bind to vfio-pci accepted but the device has no driver; held off other drivers"),
                  "reports that the bind did not show (no kernel here)");
        done(e, &r, &before, &after);
}

TEST(override_replaced)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        tenv_machine(e);
        SETUP(fakesys_write(e->fs, OVR("0000:00:03.0"), "pci-stub\n"));
        tenv_config(e, "address 00:03.0\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0, "override replaced");
        CHECK_RUN(&r, contains(r.err, "warning: 0000:00:03.0 [8086:2922]: driver_override was pci-stub, replacing it"),
                  "warns about the replaced override");
        CHECK_CHANGES(e, &before, &after, "the usual three files", OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

TEST(other_driver)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e =
                setup("id 1b36:000d driver pci-stub\naddress 00:03.0\naddress 00:03.0 driver pci-stub\n", &before);
        char *msg;

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK(strcmp(tattr(e, "0000:00:04.0", "driver_override"), "pci-stub\n") == 0, "override names pci-stub");
        CHECK(strcmp(tread(e, "bus/pci/drivers/pci-stub/bind"), "0000:00:04.0\n") == 0, "bound to pci-stub");
        CHECK(strcmp(tread(e, "bus/pci/drivers/pci-stub/new_id"), "1b36 d ffffffff ffffffff 0 0\n") == 0,
              "new_id of pci-stub: '%s'", tread(e, "bus/pci/drivers/pci-stub/new_id"));
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
              "the first rule that selects a device wins");
        CHECK_CHANGES(e, &before, &after, "xhci to pci-stub, the twin to vfio-pci", OVR("0000:00:04.0"),
                      "bus/pci/drivers/xhci_hcd/unbind", "bus/pci/drivers/pci-stub/bind",
                      "bus/pci/drivers/pci-stub/new_id", OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND, NULL);
        SETUP(asprintf(&msg, "%s:3: 0000:00:03.0 [8086:2922] is already selected by %s:2 for vfio-pci; keeping that",
                       e->config, e->config));
        CHECK_RUN(&r, contains(r.err, msg), "warns about the conflicting rule");
        free(msg);
        done(e, &r, &before, &after);
}

TEST(cmdline_off)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("id 8086:2922\naddress 01:00\n", &before);

        tenv_cmdline(e, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro vfio_claim=off quiet\n");
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_CHANGES(e, &before, &after, "vfio_claim=off: nothing written", NULL);
        CHECK_RUN(&r, contains(r.err, "vfio_claim=off on the kernel command line: claiming nothing"),
                  "says why nothing happens");
        /* The udev rule's call for a device that appeared honours it too. */
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        tsnap(e, &before);
        tenv_run(e, &r, "apply", "--device", "0000:00:03.0", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply --device exits 0");
        CHECK_CHANGES(e, &before, &after, "vfio_claim=off: apply --device of a selected device writes nothing", NULL);
        CHECK_STR(tread(e, OVR("0000:00:03.0")), "(null)\n");
        done(e, &r, &before, &after);
}

TEST(cmdline_rules)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 01:00.1\n", &before);
        char *msg;

        tenv_cmdline(e, "BOOT_IMAGE=/vmlinuz ro vfio_claim.rule=\"address 00:03.0;id 1b36:000d\" quiet\n");
        tenv_run(e, &r, "-v", "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK(strcmp(tread(e, VFIO_BIND), "0000:00:03.0\n0000:00:04.0\n0000:01:00.1\n") == 0,
              "config rule and both command-line rules apply: '%s'", tread(e, VFIO_BIND));
        CHECK(strcmp(tread(e, VFIO_NEW_ID), "1b36 d ffffffff ffffffff 0 0\n") == 0,
              "the command line's id rule is registered: '%s'", tread(e, VFIO_NEW_ID));
        CHECK_CHANGES(e, &before, &after, "exactly the three devices", OVR("0000:00:03.0"), OVR("0000:00:04.0"),
                      OVR("0000:01:00.1"), AHCI_UNBIND, "bus/pci/drivers/xhci_hcd/unbind",
                      "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND, VFIO_NEW_ID, NULL);
        SETUP(asprintf(&msg, "%s: vfio_claim.rule #2: rule: id 1b36:000d", e->cmdline));
        CHECK_RUN(&r, contains(r.err, msg), "command-line rules are named by origin and number");
        free(msg);
        done(e, &r, &before, &after);

        /* Without any configuration file the command line alone is enough. */
        e = setup(NULL, &before);
        tenv_cmdline(e, "ro vfio_claim.rule=\"address 00:03.0\"\n");
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "no config file: the command-line rule still applies", OVR("0000:00:03.0"),
                      AHCI_UNBIND, VFIO_BIND, NULL);
        done(e, &r, &before, &after);
}

TEST(dry_run)
{
        static const char config[] = "id 8086:2922\naddress 01:00 group\nid 1b36:000d driver pci-stub\n";
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup(config, &before);

        tenv_run(e, &r, "apply", "--dry-run", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply --dry-run exits 0");
        CHECK_CHANGES(e, &before, &after, "--dry-run: the whole tree is byte-for-byte what it was", NULL);
        CHECK_RUN(&r, contains(r.err, "0000:00:1f.2 [8086:2922]: dry run: would set driver_override to vfio-pci"),
                  "says what it would write");
        CHECK_RUN(&r, contains(r.err, "0000:00:04.0 [1b36:000d]: dry run: would unbind from xhci_hcd"),
                  "says what it would unbind");
        CHECK_RUN(&r, contains(r.err, "0000:01:00.1 [10de:10f0]: dry run: would bind to vfio-pci"),
                  "says what it would bind");
        done(e, &r, &before, &after);

        static const char *const cmdlines[] = {
                "BOOT_IMAGE=/vmlinuz ro vfio_claim.dry_run=1\n",
                "BOOT_IMAGE=/vmlinuz ro vfio_claim.dry_run\n",
                "BOOT_IMAGE=/vmlinuz ro vfio-claim.dry-run=yes\n",
        };
        for (size_t i = 0; i < sizeof(cmdlines) / sizeof(cmdlines[0]); i++) {
                e = setup(config, &before);
                tenv_cmdline(e, cmdlines[i]);
                tenv_run(e, &r, "apply", NULL);
                tsnap(e, &after);
                CHECK_RUN(&r, r.code == 0, "apply exits 0");
                CHECK_CHANGES(e, &before, &after, "dry run from the kernel command line: nothing written", NULL);
                CHECK_RUN(&r, contains(r.err, "dry run (vfio_claim.dry_run on the kernel command line)"),
                          "says the command line asked for it");
                done(e, &r, &before, &after);
        }
}

TEST(malformed_line)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("# two bad lines, two good ones\n"
                               "address 00:03.0 bogus\n"
                               "id 10de:zzzz\n"
                               "\taddress 01:00.0   # a comment after a rule\n"
                               "address\n"
                               "id 1b36:000d\r\n",
                               &before);
        char *m1, *m2, *m3;

        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_CHANGES(e, &before, &after, "the good rules apply (one with a DOS line end), the bad ones touch nothing",
                      OVR("0000:01:00.0"), OVR("0000:00:04.0"), "bus/pci/drivers/nouveau/unbind",
                      "bus/pci/drivers/xhci_hcd/unbind", VFIO_BIND, VFIO_NEW_ID, NULL);
        SETUP(asprintf(&m1, "error: %s:2: unknown keyword 'bogus'", e->config));
        SETUP(asprintf(&m2, "error: %s:3: id '10de:zzzz': Invalid device ID; rule ignored", e->config));
        SETUP(asprintf(&m3, "error: %s:5: 'address' needs a value", e->config));
        CHECK_RUN(&r, contains(r.err, m1), "unknown keyword named with file:line");
        CHECK_RUN(&r, contains(r.err, m2), "bad ID named with file:line and lspci's reason");
        CHECK_RUN(&r, contains(r.err, m3), "missing value named with file:line");
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "(null)\n") == 0,
              "the rule on the bad line is disabled as a whole");
        free(m1);
        free(m2);
        free(m3);
        done(e, &r, &before, &after);
}

/* One of the machine's AHCI controllers (8086:2922, subsystem 1af4:1100) on ahci, alone in its group. */
static void add_ahci(struct tenv *e, const char *addr, const char *group)
{
        tenv_dev(e, &(struct fake_dev){.addr = addr,
                                       .vendor = 0x8086,
                                       .device = 0x2922,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010601,
                                       .driver = "ahci",
                                       .group = group});
}

TEST(target_not_registered)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();

        /* A machine without vfio-pci registered: apply may not load modules into a fake tree. */
        add_ahci(e, "0000:00:03.0", "4");
        tenv_config(e, "address 00:03.0\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_RUN(&r, contains(r.err, "not the live /sys: would load the module for driver vfio-pci"),
                  "reports the module it would load instead of loading it");
        CHECK_RUN(&r, contains(r.err, "driver vfio-pci is not available; held off other drivers, not bound"),
                  "reports the device as held off");
        CHECK(strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0,
              "the override is written first anyway");
        CHECK(!fakesys_exists(e->fs, "bus/pci/drivers/vfio-pci"), "no driver directory was made up");
        done(e, &r, &before, &after);
}

/* The number of the first (or last) line of text containing needle, counting from 1; 0 when none does. */
static size_t line_of(const char *text, const char *needle, bool last)
{
        size_t n = 0, found = 0;

        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");

                n++;
                if (memmem(p, len, needle, strlen(needle))) {
                        found = n;
                        if (!last)
                                break;
                }
                p += len;
                if (*p)
                        p++;
        }
        return found;
}

/*
 * The order of the phases, from the boot log (which has every priority): the
 * overrides on every selected device, then the target driver's module, then
 * the moves. A module loaded before an override is written would let the
 * driver probe a device still without one; here the module's line must come
 * after the last override, both when the driver still needs its module and
 * when it is registered already.
 */
TEST(module_after_overrides)
{
        for (int registered = 0; registered <= 1; registered++) {
                struct fakesys_snapshot before = {0}, after = {0};
                struct result r = {0};
                struct tenv *e = tenv_new();
                const char *module = registered ? "driver vfio-pci is registered already"
                                                : "would load the module for driver vfio-pci";
                size_t last_override, module_line, first_move;
                char *log;

                add_ahci(e, "0000:00:03.0", "4");
                add_ahci(e, "0000:02:00.0", "7");
                if (registered)
                        SETUP(fakesys_add_driver(e->fs, "vfio-pci"));
                tenv_config(e, "id 8086:2922\n");
                tsnap(e, &before);
                tenv_run(e, &r, "apply", NULL);
                tsnap(e, &after);
                log = t_slurp(e->boot_log);
                last_override = line_of(log, "driver_override set to vfio-pci", true);
                module_line = line_of(log, module, false);
                first_move = line_of(log, "unbinding from ahci", false);
                CHECK_RUN(&r, r.code == 0 && count_lines_with(log, "driver_override set to vfio-pci", NULL) == 2,
                          "%s: both overrides are written", module);
                if (!CHECK(module_line > last_override && last_override > 0,
                           "%s: the module's line (%zu) comes after the last override (%zu)", module, module_line,
                           last_override))
                        t_diag_text("boot log", log);
                if (registered && !CHECK(first_move > module_line, "%s: the moves (line %zu) come after it (%zu)",
                                         module, first_move, module_line))
                        t_diag_text("boot log", log);
                free(log);
                done(e, &r, &before, &after);
        }
}

TEST(write_failures)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = tenv_new();
        char *p;

        tenv_machine(e);
        /* A kernel without driver_override, and a driver whose unbind cannot be written. */
        SETUP(asprintf(&p, "%s/%s/driver_override", fakesys_root(e->fs), fakesys_dev_dir(e->fs, "0000:00:03.0")));
        SETUP(unlink(p) < 0 ? -errno : 0);
        free(p);
        SETUP(asprintf(&p, "%s/bus/pci/drivers/snd_hda_intel/unbind", fakesys_root(e->fs)));
        SETUP(unlink(p) < 0 ? -errno : 0);
        free(p);
        tenv_config(e, "address 00:03.0\naddress 01:00.1\n");
        tsnap(e, &before);
        tenv_run(e, &r, "apply", NULL);
        tsnap(e, &after);
        CHECK_RUN(&r, r.code == 0, "apply exits 0 when writes fail");
        CHECK_RUN(&r,
                  contains(r.err, "error: 0000:00:03.0 [8086:2922]: cannot set driver_override to vfio-pci: "
                                  "No such file or directory (kernel older than 3.16?)"),
                  "a missing driver_override is reported with the likely cause");
        CHECK_RUN(&r,
                  contains(r.err, "error: 0000:01:00.1 [10de:10f0]: unbinding from snd_hda_intel failed: "
                                  "No such file or directory; it stays on snd_hda_intel"),
                  "a failed unbind is reported");
        CHECK_CHANGES(e, &before, &after,
                      "no override: the device is left on its driver; failed unbind: no bind attempted",
                      OVR("0000:01:00.1"), NULL);
        CHECK_RUN(&r, contains(r.err, "2 selected, 0 claimed, 0 already bound, 0 held off but not bound, 2 failed"),
                  "both count as failed");
        done(e, &r, &before, &after);
}

TEST(boot_log)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e = setup("address 00:03.0\n", &before);
        char *log, *rule;
        bool ok = true;

        tenv_run(e, &r, "apply", NULL);
        log = t_slurp(e->boot_log);
        SETUP(asprintf(&rule, "<7>vfio-claim: %s:1: rule: address 00:03.0\n", e->config));
        ok &= CHECK(contains(log, "<6>vfio-claim: 0000:00:03.0 [8086:2922]: driver_override set to vfio-pci\n"),
                    "boot log has the action with its priority");
        ok &= CHECK(contains(log, "<4>vfio-claim: 0000:00:03.0 [8086:2922]: unbinding from ahci\n"),
                    "warnings carry priority 4");
        ok &= CHECK(contains(log, rule), "boot log has the rules read");
        ok &= CHECK(contains(log, "vfio-claim: outcome: 0000:00:03.0 [8086:2922] -> vfio-pci: held off, not bound"),
                    "boot log has the outcome per device");
        ok &= CHECK(count_lines_with(log, "] <", ">vfio-claim: ", NULL) == count_lines_with(log, "", NULL) &&
                            log[0] == '[',
                    "every boot log line is '[time] <N>vfio-claim: ...'");
        if (!ok)
                t_diag_text("boot log", log);
        free(rule);
        free(log);
        done(e, &r, &before, &after);
}

TEST(never_fails)
{
        struct result r = {0};
        struct tenv *e = tenv_new();
        const char *args[] = {"--sysfs",    "/nonexistent/sys",
                              "--config",   "/nonexistent.conf",
                              "--cmdline",  "/nonexistent",
                              "--boot-log", NULL,
                              "apply",      NULL};

        tenv_machine(e);
        args[7] = e->boot_log;
        t_run_prog(&r, t_binary, args, NULL);
        CHECK_RUN(&r, r.code == 0, "apply exits 0 with nothing usable at all");
        tenv_config(e, "address 00:03.0\n");
        args[1] = "/nonexistent/sys";
        args[3] = e->config;
        t_run_prog(&r, t_binary, args, NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.err, "/nonexistent/sys/bus/pci/devices: cannot list PCI devices"),
                  "apply exits 0 when sysfs cannot be read, and says so");
        tenv_config(e, "\x01\x02garbage\n\xff\xfe\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.err, "no rules: nothing to claim"), "apply exits 0 on garbage");
        result_clear(&r);
        tenv_free(e);
}

/*
 * A device that goes away between the override and the bind (a card pulled,
 * a PF that dropped its VFs): the fake kernel (test/fake-kernel.c) unplugs
 * 00:03.0 right after its driver_override is written. Its driver link is
 * gone with it, which must not read as "no driver": no unbind, no bind, the
 * device named as gone, and apply still exits 0.
 */
TEST(device_gone_after_override)
{
        struct fakesys_snapshot before = {0}, after = {0};
        struct result r = {0};
        struct tenv *e;

        if (!t_have_kernel_shim())
                return;
        e = setup("address 00:03.0\n", &before);
        tenv_run_kernel(e, &r, (const char *const[]){"apply", NULL},
                        (const char *const[]){"FAKE_KERNEL_UNPLUG=0000:00:03.0:driver_override", NULL});
        tsnap(e, &after);
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/0000:00:03.0"), "the fake kernel unplugged 00:03.0");
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_STR(tread(e, AHCI_UNBIND), "");
        CHECK_STR(tread(e, VFIO_BIND), "");
        CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: device is gone"), "says the device is gone");
        CHECK_RUN(&r, !contains(r.err, "unbinding from ahci"), "does not claim to unbind it");
        done(e, &r, &before, &after);
}
