// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of doctor's log reader (lib/doctor.c): the prefixes each
 * producer puts before a message, addresses in their short and long forms
 * (and what only looks like one: times, ISO timestamps, memory ranges), the
 * pattern language, and one finding per id and device.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vfio-claim-doctor.h"

static const char *strip(const char *line, char device[VC_ADDR_MAX])
{
        static char msg[VC_LINE_MAX];
        struct vc_log_line l;

        vc_log_strip(line, strlen(line), &l);
        snprintf(msg, sizeof(msg), "%.*s", (int)l.len, l.msg);
        if (device)
                memcpy(device, l.device, VC_ADDR_MAX);
        return msg;
}

TEST(prefixes)
{
        char dev[VC_ADDR_MAX];

        CHECK_STR(strip("[    1.234567] vfio-pci 0000:01:00.0: enabling device (0000 -> 0003)\n", NULL),
                  "vfio-pci 0000:01:00.0: enabling device (0000 -> 0003)");
        CHECK_STR(strip("[Wed Dec  2 06:54:44 2026] pci 0000:00:02.0: BAR 0: can't reserve", NULL),
                  "pci 0000:00:02.0: BAR 0: can't reserve");
        CHECK_STR(strip("<3>[   12.5] genirq: Flags mismatch irq 16.", NULL), "genirq: Flags mismatch irq 16.");
        CHECK_STR(strip("6,339,5140900,-;vfio-pci 0000:00:03.0: Relaying device request to user (#0)", NULL),
                  "vfio-pci 0000:00:03.0: Relaying device request to user (#0)");
        CHECK_STR(strip("Dec 02 06:54:44 pve kernel: [  301.1] vfio_iommu_type1_attach_group: No interrupt", NULL),
                  "vfio_iommu_type1_attach_group: No interrupt");
        CHECK_STR(strip("Dec  2 06:54:44 pve libvirtd[812]: internal error: qemu unexpectedly closed the monitor: "
                        "2026-12-02T06:54:44.277464Z qemu-kvm: -device vfio-pci,host=01:00.0,id=hostdev0: vfio "
                        "0000:01:00.0: group 1 is not viable",
                        dev),
                  "vfio 0000:01:00.0: group 1 is not viable");
        CHECK_STR(dev, "0000:01:00.0");
        CHECK_STR(strip("error: internal error: qemu unexpectedly closed the monitor: 2019-09-09T14:14:20.277464Z "
                        "qemu-system-x86_64: -device {\"driver\":\"vfio-pci\",\"host\":\"0000:0a:00.1\",\"id\":"
                        "\"hostdev0\",\"x\":\"a}: b\"}: vfio 0000:0a:00.1: failed to open /dev/vfio/7: Permission "
                        "denied",
                        dev),
                  "vfio 0000:0a:00.1: failed to open /dev/vfio/7: Permission denied");
        CHECK_STR(dev, "0000:0a:00.1");
        CHECK_STR(strip("kvm: -device vfio-pci,host=0000:00:17.0,id=hostpci0,bus=pci.0,addr=0x10: vfio 0000:00:17.0: "
                        "error getting device from group 9: Device or resource busy",
                        dev),
                  "vfio 0000:00:17.0: error getting device from group 9: Device or resource busy");
        CHECK_STR(dev, "0000:00:17.0");
        /* Nothing to take off: the line as it is. */
        CHECK_STR(strip("Please ensure all devices within the iommu_group are bound to their vfio bus driver.", dev),
                  "Please ensure all devices within the iommu_group are bound to their vfio bus driver.");
        CHECK_STR(dev, "");
        CHECK_STR(strip("[not a time] x", NULL), "[not a time] x");
}

static const char *find(const char *s)
{
        static char buf[VC_ADDR_MAX];

        return vc_log_find_addr(s, strlen(s), buf) ? buf : "";
}

TEST(addresses)
{
        char buf[VC_ADDR_MAX];

        CHECK(vc_addr_normalize("01:00.0", 7, buf) && strcmp(buf, "0000:01:00.0") == 0);
        CHECK(vc_addr_normalize("0000:0A:1F.7", 12, buf) && strcmp(buf, "0000:0a:1f.7") == 0);
        CHECK(vc_addr_normalize("10000:01:00.0", 13, buf) && strcmp(buf, "10000:01:00.0") == 0, "a wide domain");
        CHECK(!vc_addr_normalize("01:00.8", 7, buf), "function 8");
        CHECK(!vc_addr_normalize("01:20.0", 7, buf), "device 0x20");
        CHECK(!vc_addr_normalize("1:00.0", 6, buf), "one bus digit");
        CHECK(!vc_addr_normalize("01:00.0x", 8, buf), "trailing text");
        CHECK(!vc_addr_normalize("00:01:00.0", 10, buf), "a two-digit domain");
        CHECK_STR(find("genirq: Flags mismatch irq 16. 00000000 (vfio-intx(0000:00:03.0)) vs."), "0000:00:03.0");
        CHECK_STR(find("probe of 0000:00:03.0 failed with error -22"), "0000:00:03.0");
        CHECK_STR(find("device 01:00.1."), "0000:01:00.1");
        CHECK_STR(find("vfio: Cannot reset device 0000:00:1f.3, no available"), "0000:00:1f.3");
        CHECK_STR(find("at 06:54:44 and 2019-09-09T14:14:20.277464Z"), ""); /* times are not addresses */
        CHECK_STR(find("[mem 0xfd000000-0xfdffffff pref] 12:34.56"), "");   /* nor ranges, nor 12:34.56 */
}

TEST(patterns)
{
        CHECK(vc_pattern_match("BAR %d: can't reserve", "x BAR 0: can't reserve [mem", 27));
        CHECK(!vc_pattern_match("BAR %d: can't reserve", "x BAR : can't reserve", 21), "a number needs a digit");
        CHECK(vc_pattern_match("error %d", "error -22", 9), "a minus sign");
        CHECK(vc_pattern_match("(%x -> %x)", "(0000 -> 0003)", 14));
        CHECK(vc_pattern_match("a %* b", "a x y z b", 9));
        CHECK(vc_pattern_match("a %*b", "a b", 3), "any text may be empty");
        CHECK(!vc_pattern_match("a %* b", "a x y z", 7));
        CHECK(vc_pattern_match("100%% sure", "100% sure", 9));
        CHECK(!vc_pattern_match("abc", "ab", 2), "no reading past the length");
        CHECK(vc_pattern_match("x", "yx", 2), "the last byte");
}

TEST(dedupe)
{
        static const char text[] = "[ 1.0] vfio-pci 0000:00:03.0: enabling device (0000 -> 0003)\n"
                                   "[ 1.1] vfio-pci 0000:00:03.0: enabling device (0000 -> 0003)\n"
                                   "[ 1.2] vfio-pci 0000:00:04.0: enabling device (0000 -> 0003)\n"
                                   "qemu-system-x86_64: -device vfio-pci,host=00:03.0: vfio 0000:00:03.0: failed to "
                                   "open /dev/vfio/4: Permission denied\r\n"
                                   " SUBSYSTEM=pci\n"
                                   "\n"
                                   "unrelated";
        struct vc_log_hits h = {0};

        SETUP(vc_log_scan(text, sizeof(text) - 1, &h));
        CHECK_INT(h.n, 3);
        CHECK_INT(h.lines, 5);
        if (h.n == 3) {
                CHECK_STR(h.v[0].cause->id, "enabling-device");
                CHECK_STR(h.v[0].device, "0000:00:03.0");
                CHECK_INT(h.v[0].count, 2);
                CHECK_STR(h.v[1].device, "0000:00:04.0");
                CHECK_STR(h.v[2].cause->id, "node-permission");
                CHECK_INT(h.v[2].cause->severity, VC_SEV_ERROR);
                CHECK_STR(h.v[2].evidence, "vfio 0000:00:03.0: failed to open /dev/vfio/4: Permission denied");
        }
        vc_log_hits_clear(&h);
}

TEST(second_address)
{
        static const char text[] = "error: Failed to start domain 'win10'\n"
                                   "error: internal error: Active 0000:00:1f.3 devices on bus with 0000:00:1f.2, not "
                                   "doing bus reset\n";
        struct vc_log_hits h = {0};
        char buf[VC_ADDR_MAX];

        SETUP(vc_log_scan(text, sizeof(text) - 1, &h));
        CHECK_INT(h.n, 1);
        if (h.n == 1) {
                CHECK_STR(h.v[0].cause->id, "reset-unavailable");
                CHECK_STR(h.v[0].device, "0000:00:1f.2"); /* the device libvirt resets, not the active one */
        }
        vc_log_hits_clear(&h);
        CHECK(vc_log_find_nth_addr("a 01:00.0 b 02:00.0.", 20, 2, buf) && strcmp(buf, "0000:02:00.0") == 0);
        CHECK(!vc_log_find_nth_addr("a 01:00.0 b", 11, 2, buf), "no second");
}

TEST(boot_log)
{
        static const char text[] = "[    1.1] <6>vfio-claim: 0000:00:03.0 [8086:2922]: bound to vfio-pci\n"
                                   "[    1.2] <3>vfio-claim: 0000:00:04.0 [8086:10d3]: bind failed\n"
                                   "[    1.3] <4>vfio-claim: deadline passed\n"
                                   "[    1.4] <3>something else: not ours\n";
        struct vc_log_hits h = {0};

        SETUP(vc_boot_log_scan(text, sizeof(text) - 1, &h));
        CHECK_INT(h.n, 2);
        if (h.n == 2) {
                CHECK_STR(h.v[0].device, "0000:00:04.0");
                CHECK_INT(h.v[0].cause->severity, VC_SEV_ERROR);
                CHECK_STR(h.v[1].device, "");
                CHECK_INT(h.v[1].cause->severity, VC_SEV_WARNING);
        }
        vc_log_hits_clear(&h);
}

/* Every row is complete, and every id the issue names has one. */
TEST(catalogue)
{
        static const char *const ids[] = {
                "iommu-off",   "no-interrupt-remapping", "rmrr",          "group-not-viable",    "node-permission",
                "memlock",     "bar-reserved",           "d3cold",        "reset-unavailable",   "rom-unreadable",
                "intx-shared", "probe-failed",           "not-on-target", "host-driver-took-it", "ids-conflict",
                "claim-failed"};

        for (size_t i = 0; i < vc_n_causes; i++) {
                const struct vc_cause *c = &vc_causes[i];

                CHECK(c->id && c->cause && c->fix && (!c->pattern != !c->check), "row %zu (%s) complete", i,
                      c->id ? c->id : "?");
        }
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
                bool found = false;

                for (size_t i = 0; i < vc_n_causes; i++)
                        found = found || strcmp(vc_causes[i].id, ids[k]) == 0;
                CHECK(found, "%s has a row", ids[k]);
        }
}
