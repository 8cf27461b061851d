// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim doctor against fake trees and logs: one case per finding id,
 * each with the machine state that shows it and/or a log built from the
 * format string of the code that prints it (cited in lib/doctor-catalogue.c),
 * behind the prefixes users paste: dmesg's "[ 1.234]", journalctl's
 * "MMM DD HH:MM:SS host kernel:", /dev/kmsg records, libvirt's "error:
 * internal error: qemu unexpectedly closed the monitor: TIMESTAMP
 * qemu-system-x86_64: -device ...:", with short and long addresses and
 * repeated lines. The baseline machine claims 00:03.0 cleanly, so that a
 * harmless-only log gives exit 0 and nothing above info.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define JOURNAL "Dec 02 06:54:44 pve kernel: "
#define LIBVIRT                                                                                                        \
        "error: internal error: qemu unexpectedly closed the monitor: 2026-12-02T06:54:44.277464Z qemu-system-x86_64: "

/* The q35 machine with 00:03.0 claimed as a boot would leave it: on vfio-pci with its override, group 4
 * alone, /dev/vfio/4 0660, an FLR, and the boot log saying so. */
static struct tenv *machine(const char *config)
{
        struct tenv *e = tenv_new();
        char *rel;

        tenv_machine(e);
        SETUP(fakesys_set_vfio_kernel(e->fs, true, false));
        tenv_config(e, config ? config : "address 0000:00:03.0\n");
        tenv_cmdline(e, "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro intel_iommu=on\n");
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "vfio-pci"));
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci\n"));
        rel = xasprintf("%s/reset_method", fakesys_dev_dir(e->fs, "0000:00:03.0"));
        SETUP(fakesys_write(e->fs, rel, "flr\n"));
        free(rel);
        rel = tenv_file(e, "dev/vfio/4", "");
        SETUP(chmod(rel, 0660));
        free(rel);
        free(tenv_file(e, "run/boot.log",
                       "[    1.100000] <6>vfio-claim: 0000:00:03.0 [8086:2922]: driver_override set to vfio-pci\n"
                       "[    1.200000] <6>vfio-claim: 0000:00:03.0 [8086:2922]: bound to vfio-pci\n"));
        free(tenv_file(e, "root/etc/modprobe.d/.keep", ""));
        return e;
}

static void set_reset(struct tenv *e, const char *addr, const char *methods)
{
        char *rel = xasprintf("%s/reset_method", fakesys_dev_dir(e->fs, addr));

        SETUP(fakesys_write(e->fs, rel, methods));
        free(rel);
}

/* doctor with --root in the scratch dir, the log (NULL: none) in a file, and more arguments. */
static void doctor(struct tenv *e, struct result *r, const char *log, const char *const *more)
{
        const char *argv[64];
        size_t n = tenv_argv(e, argv);
        char *root = xasprintf("%s/root", e->dir), *file = NULL;

        argv[n++] = "--root";
        argv[n++] = root;
        argv[n++] = "doctor";
        if (log) {
                file = tenv_file(e, "pasted.log", log);
                argv[n++] = "--log";
                argv[n++] = file;
        }
        for (size_t i = 0; more && more[i] && n < 62; i++)
                argv[n++] = more[i];
        argv[n] = NULL;
        t_run_prog(r, argv[0], argv + 1, NULL);
        free(root);
        free(file);
}

/* The text output's line "  SEVERITY ID: ..." under the device's header. */
static bool has(const struct result *r, const char *severity, const char *id)
{
        char *want = xasprintf("  %s %s: ", severity, id);
        bool ok = contains(r->out, want);

        free(want);
        return ok;
}

/* The block of the device's findings in the text output (up to the next header). */
static char *block(const struct result *r, const char *header)
{
        const char *at = strstr(r->out, header), *end;

        if (!at)
                return strdup("");
        for (end = strchr(at, '\n'); end && end[1] == ' '; end = strchr(end + 1, '\n'))
                ;
        return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

TEST(harmless_only)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        struct json *j;
        const char *err;

        doctor(e, &r,
               "[    2.345678] vfio-pci 0000:00:03.0: vgaarb: changed VGA decodes: olddecodes=io+mem,decodes=none:owns=none\n" JOURNAL
               "[    2.400001] vfio_ecap_init: 0000:00:03.0 hiding ecap 0x19@0x900\n"
               "[    2.5] vfio-pci 0000:00:03.0: enabling device (0000 -> 0003)\n"
               "[    2.5] vfio-pci 0000:00:03.0: enabling device (0000 -> 0003)\n" JOURNAL
               "vfio-pci 0000:00:03.0: Relaying device request to user (#0)\n" JOURNAL
               "vfio-pci 0000:00:03.0: Relaying device request to user (#10)\n",
               NULL);
        CHECK_RUN(&r, r.code == 0, "harmless lines only: exit 0");
        CHECK_RUN(&r, contains(r.out, "0 error(s), 0 warning(s), 4 info\n"), "four infos, nothing above");
        CHECK_RUN(&r, !contains(r.out, "  error ") && !contains(r.out, "  warning "), "no error or warning line");
        CHECK_RUN(&r,
                  has(&r, "info", "vgaarb-decodes") && has(&r, "info", "ecap-hidden") &&
                          has(&r, "info", "enabling-device") && has(&r, "info", "device-request"),
                  "each harmless line said as info");
        CHECK_RUN(&r, contains(r.out, "enabling device (0000 -> 0003) (2 times)"), "a repeated line counted once");
        CHECK_RUN(&r, contains(r.out, "Relaying device request to user (#0) (2 times)"),
                  "the device request once, for both counts");
        CHECK_RUN(&r, contains(r.out, "0000:00:03.0 [8086:2922] on vfio-pci, rule "), "grouped under the device");
        result_clear(&r);
        doctor(e, &r, "[    2.5] vfio-pci 0000:00:03.0: enabling device (0000 -> 0003)\n",
               (const char *const[]){"--json", NULL});
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j, "--json: one document (%s)", j ? "ok" : err);
        CHECK_RUN(&r,
                  r.code == 0 && j && json_path(j, "findings.0") && !json_path(j, "findings.1") &&
                          strcmp(json_path_str(j, "findings.0.severity") ?: "", "info") == 0,
                  "--json: one info, exit 0");
        json_free(j);
        result_clear(&r);
        tenv_free(e);
}

TEST(iommu_off)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        SETUP(fakesys_remove_iommu_groups(e->fs));
        /* The kernel shows the firmware's ACPI tables as files, root-only. */
        for (const char *const *d = (const char *const[]){"firmware", "firmware/acpi", "firmware/acpi/tables", NULL};
             *d; d++) {
                char *p = xasprintf("%s/%s", fakesys_root(e->fs), *d);

                (void)mkdir(p, 0755);
                free(p);
        }
        SETUP(fakesys_write(e->fs, "firmware/acpi/tables/DMAR", "DMAR"));
        tenv_cmdline(e, "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet\n");
        doctor(e, &r,
               LIBVIRT "-device vfio-pci,host=00:03.0,id=hostdev0,bus=pci.0,addr=0x7: vfio 0000:00:03.0: no "
                       "iommu_group found: No such file or directory\n",
               NULL);
        CHECK_RUN(&r, r.code == 1, "exit 1");
        b = block(&r, "no device:");
        CHECK_RUN(&r, contains(b, "  error iommu-off: ") && contains(b, "fix: add intel_iommu=on"),
                  "no groups, a DMAR table, no intel_iommu=on: add intel_iommu=on (%s)", b);
        free(b);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, contains(b, "  error iommu-off: QEMU found no IOMMU group"),
                  "QEMU's words, under the device of host=00:03.0 (%s)", b);
        free(b);
        result_clear(&r);

        /* No DMAR, no IVRS: the firmware setup, named for the CPU. */
        {
                char *p = xasprintf("%s/firmware/acpi/tables/DMAR", fakesys_root(e->fs));

                unlink(p);
                free(p);
        }
        free(tenv_file(e, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "iommu-off") && contains(r.out, "no IVRS table"),
                  "AMD without IVRS: enable the IOMMU in the firmware setup");
        result_clear(&r);
        free(tenv_file(e, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, contains(r.out, "enable VT-d") && contains(r.out, "no DMAR table"),
                  "Intel without DMAR: enable VT-d in the firmware setup");
        result_clear(&r);
        tenv_free(e);
}

TEST(no_interrupt_remapping)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};

        doctor(e, &r,
               JOURNAL "[  301.101010] vfio_iommu_type1_attach_group: No interrupt remapping support.  Use the module "
                       "param \"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform\n" LIBVIRT
                       "-device vfio-pci,host=0000:00:03.0,id=hostdev0: vfio 0000:00:03.0: failed to setup container "
                       "for group 4: Failed to set iommu for container: Operation not permitted\n",
               NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "no-interrupt-remapping"), "no-interrupt-remapping");
        CHECK_RUN(&r, contains(r.out, "allow_unsafe_interrupts=1 only if"), "the fix names the module option");
        CHECK_RUN(&r, count(r.out, "error no-interrupt-remapping") == 2,
                  "the kernel's line (no device) and QEMU's (00:03.0)");
        result_clear(&r);
        tenv_free(e);
}

TEST(rmrr)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        doctor(e, &r,
               JOURNAL "vfio-pci 0000:00:03.0: DMAR: Device is ineligible for IOMMU domain attach due to platform RMRR "
                       "requirement.  Contact your platform vendor.\n",
               NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error rmrr: "), "rmrr under 00:03.0 (%s)", b);
        free(b);
        result_clear(&r);
        tenv_free(e);
}

TEST(group_not_viable)
{
        struct tenv *e = machine("address 01:00.0\n");
        struct result r = {0};
        char *b;

        SETUP(fakesys_set_driver(e->fs, "0000:01:00.0", "vfio-pci"));
        set_reset(e, "0000:01:00.0", "flr\n");
        /* QEMU before 2.10 through libvirt: the old words, a short address. */
        doctor(e, &r,
               "error: internal error: process exited while connecting to monitor: qemu-system-x86_64: -device "
               "vfio-pci,host=01:00.0,id=hostdev0,bus=pci.0,addr=0x7: vfio: error, group 1 is not viable, please "
               "ensure all devices within the iommu_group are bound to their vfio bus driver.\n",
               NULL);
        b = block(&r, "0000:01:00.0 [10de:1b80]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error group-not-viable: "), "the log's error under the GPU (%s)",
                  b);
        result_clear(&r);
        free(b);
        /* The state alone: the audio function stays on snd_hda_intel. */
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:01:00.0 [10de:1b80]");
        CHECK_RUN(&r,
                  r.code == 1 && contains(b, "  warning group-not-viable: ") &&
                          contains(b, "0000:01:00.1 [10de:10f0] is on snd_hda_intel"),
                  "the state names the blocker (%s)", b);
        free(b);
        result_clear(&r);
        tenv_free(e);
}

TEST(node_permission)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *node = xasprintf("%s/vfio/4", e->dev), *b;
        const char *line = "qemu-system-x86_64: -device vfio-pci,host=00:03.0,id=claimed: vfio 0000:00:03.0: failed "
                           "to open /dev/vfio/4: Permission denied\n";
        char *twice = xasprintf("%s%s", line, line);

        SETUP(chmod(node, 0600));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, r.code == 0 && has(&r, "info", "node-permission") && contains(r.out, "is 0600, owner root"),
                  "a root-only node alone: info, exit 0");
        result_clear(&r);
        doctor(e, &r, twice, NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r,
                  r.code == 1 && contains(b, "  error node-permission: ") && contains(b, "'owner USER'") &&
                          contains(b, "Permission denied (2 times)"),
                  "QEMU's EACCES: error under 00:03.0, the owner option, the repeat counted (%s)", b);
        CHECK_RUN(&r, count(r.out, "node-permission") == 1, "one finding, the log's");
        free(b);
        result_clear(&r);
        /* From standard input, as `qemu ... 2>&1 | vfio-claim doctor --log -`. */
        {
                const char *argv[64];
                size_t n = tenv_argv(e, argv);
                char *root = xasprintf("%s/root", e->dir);

                argv[n++] = "--root";
                argv[n++] = root;
                argv[n++] = "doctor";
                argv[n++] = "--log";
                argv[n++] = "-";
                argv[n] = NULL;
                t_run_prog(&r, argv[0], argv + 1, line);
                CHECK_RUN(&r, r.code == 1 && has(&r, "error", "node-permission"), "--log - reads standard input");
                free(root);
        }
        result_clear(&r);
        free(twice);
        free(node);
        tenv_free(e);
}

TEST(memlock)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *node = xasprintf("%s/vfio/4", e->dev);

        /* /dev/kmsg records, as the kernel hands them out. */
        free(tenv_file(e, "dev/kmsg",
                       "4,812,301000000,-;vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded\n"
                       "4,813,301000100,-;vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "memlock") && contains(r.out, "RLIMIT_MEMLOCK above"),
                  "memlock from the kernel log");
        CHECK_RUN(&r,
                  contains(r.out,
                           "evidence: kernel log: vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded (2 times)"),
                  "the kmsg records' headers taken off, the two counted once");
        result_clear(&r);
        doctor(e, &r, "qemu-system-x86_64: VFIO_MAP_DMA failed: Cannot allocate memory\n", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.out, "VFIO_MAP_DMA failed: Cannot allocate memory (3 times)"),
                  "QEMU's words and the kernel's: one memlock finding");
        result_clear(&r);
        if (geteuid() == 0) {
                char *kmsg = xasprintf("%s/kmsg", e->dev);

                unlink(kmsg);
                free(kmsg);
                SETUP(chown(node, 1000, 1000));
                doctor(e, &r, NULL, NULL);
                CHECK_RUN(&r, r.code == 0 && has(&r, "info", "memlock") && contains(r.out, "belongs to uid 1000"),
                          "a node of an ordinary user: the memlock advice, info");
                result_clear(&r);
        }
        free(node);
        tenv_free(e);
}

TEST(bar_reserved)
{
        struct tenv *e = machine("address 00:02.0\n");
        struct result r = {0};
        char *rel, *b;

        SETUP(fakesys_set_driver(e->fs, "0000:00:02.0", "vfio-pci"));
        set_reset(e, "0000:00:02.0", "pm\n");
        rel = xasprintf("%s/resource", fakesys_dev_dir(e->fs, "0000:00:02.0"));
        SETUP(fakesys_write(e->fs, rel,
                            "0x00000000fd000000 0x00000000fdffffff 0x0000000000042208\n"
                            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                            "0x00000000febf0000 0x00000000febf0fff 0x0000000000040200\n"));
        free(rel);
        free(tenv_file(e, "proc/iomem",
                       "c0000000-febfffff : PCI Bus 0000:00\n  fd000000-fdffffff : 0000:00:02.0\n"
                       "    fd000000-fd2fffff : BOOTFB\n"));
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:00:02.0 [1234:1111]");
        CHECK_RUN(&r,
                  r.code == 1 && contains(b, "  warning bar-reserved: ") && contains(b, "BOOTFB lies in BAR 0") &&
                          (contains(b, "initcall_blacklist=sysfb_init") || contains(b, "video=efifb:off")),
                  "the framebuffer named, with the kernel parameter (%s)", b);
        free(b);
        result_clear(&r);
        doctor(e, &r,
               "[ 1234.5] vfio-pci 0000:00:02.0: BAR 0: can't reserve [mem 0xfd000000-0xfdffffff pref]\n"
               "[ 1234.5] vfio-pci 0000:00:02.0: BAR 0: can't reserve [mem 0xfd000000-0xfdffffff pref]\n",
               NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "bar-reserved") && count(r.out, "bar-reserved") == 1,
                  "the kernel's line, once");
        result_clear(&r);
        tenv_free(e);
}

TEST(d3cold)
{
        struct tenv *e = machine("address 01:00.0 group\n");
        struct result r = {0};
        char *rel;

        SETUP(fakesys_set_driver(e->fs, "0000:01:00.0", "vfio-pci"));
        SETUP(fakesys_set_driver(e->fs, "0000:01:00.1", "vfio-pci"));
        set_reset(e, "0000:01:00.0", "flr\n");
        set_reset(e, "0000:01:00.1", "flr\n");
        rel = xasprintf("%s/d3cold_allowed", fakesys_dev_dir(e->fs, "0000:01:00.0"));
        SETUP(fakesys_write(e->fs, rel, "1\n"));
        free(rel);
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, r.code == 0 && has(&r, "info", "d3cold") && contains(r.out, "'d3cold off'"),
                  "a display device that may enter D3cold: info with the option");
        result_clear(&r);
        doctor(e, &r,
               JOURNAL "vfio-pci 0000:01:00.0: Unable to change power state from D3cold to D0, device inaccessible\n",
               NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "d3cold") && contains(r.out, "'runtime-pm off'"),
                  "the kernel's D3cold error, with runtime-pm off and d3cold off");
        result_clear(&r);
        tenv_free(e);
}

TEST(reset_unavailable)
{
        struct tenv *e = machine("address 00:03.0\naddress 02:00.0\n");
        struct result r = {0};
        char *b, *rel;

        /* 02:00.0 has a sibling function in another group; its only reset is the bus. */
        tenv_dev(e, &(struct fake_dev){.addr = "0000:02:00.1",
                                       .vendor = 0x8086,
                                       .device = 0x2922,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010601,
                                       .driver = "ahci",
                                       .group = "8",
                                       .parent = "0000:00:1c.0"});
        SETUP(fakesys_set_driver(e->fs, "0000:02:00.0", "vfio-pci"));
        set_reset(e, "0000:02:00.0", "bus\n");
        rel = tenv_file(e, "dev/vfio/7", "");
        free(rel);
        /* 00:03.0 offers none (the emulated AHCI): reset_method is hidden. */
        rel = xasprintf("%s/%s/reset_method", fakesys_root(e->fs), fakesys_dev_dir(e->fs, "0000:00:03.0"));
        unlink(rel);
        free(rel);
        doctor(e, &r,
               "qemu-system-x86_64: -device vfio-pci,host=0000:00:03.0,id=claimed: vfio: Cannot reset device "
               "0000:00:03.0, no available reset mechanism.\n"
               "qemu-system-x86_64: -device vfio-pci,host=0000:00:03.0,id=claimed: vfio: Cannot reset device "
               "0000:00:03.0, no available reset mechanism.\n",
               NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r,
                  r.code == 1 && contains(b, "  warning reset-unavailable: ") && contains(b, "(2 times)") &&
                          contains(b, "'reset-method'"),
                  "QEMU's warning, counted, with the reset-method option (%s)", b);
        free(b);
        b = block(&r, "0000:02:00.0 [8086:2922]");
        CHECK_RUN(&r, contains(b, "  warning reset-unavailable: ") && contains(b, "0000:02:00.1 (IOMMU group 8"),
                  "a bus reset shared with a function of another group (%s)", b);
        free(b);
        result_clear(&r);
        doctor(e, &r, NULL, (const char *const[]){"00:03.0", NULL});
        CHECK_RUN(&r, r.code == 1 && contains(r.out, "reset_method: absent") && !contains(r.out, "0000:02:00.0"),
                  "the state alone, and only the device asked about");
        result_clear(&r);
        tenv_free(e);
}

TEST(rom_unreadable)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};

        doctor(e, &r,
               "[ 3189152.966714] vfio-pci 0000:00:03.0: Invalid PCI ROM header signature: expecting 0xaa55, got "
               "0xffff\n" LIBVIRT "-device {\"driver\":\"vfio-pci\",\"host\":\"0000:00:03.0\",\"id\":\"hostdev0\","
               "\"bus\":\"pci.3\",\"addr\":\"0x0\"}: vfio-pci: Cannot read device rom at 0000:00:03.0\n",
               NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "warning", "rom-unreadable") && contains(r.out, "romfile="),
                  "rom-unreadable with romfile=");
        CHECK_RUN(&r, count(r.out, "rom-unreadable") == 1, "the kernel's and QEMU's (JSON -device) lines: one finding");
        result_clear(&r);
        tenv_free(e);
}

TEST(intx_shared)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        doctor(e, &r,
               "[  812.000100] genirq: Flags mismatch irq 16. 00000000 (vfio-intx(0000:00:03.0)) vs. 00000080 "
               "(ehci_hcd:usb1)\n",
               NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error intx-shared: "), "intx-shared under 00:03.0 (%s)", b);
        free(b);
        result_clear(&r);
        tenv_free(e);
}

TEST(probe_failed)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", NULL));
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r,
                  r.code == 1 && contains(b, "  error probe-failed: ") &&
                          contains(b, "driver_override is vfio-pci, and no driver is bound"),
                  "held, unbound: probe-failed from the state (%s)", b);
        free(b);
        result_clear(&r);
        free(tenv_file(e, "dev/kmsg",
                       "4,300,1800000,-;vfio-pci: probe of 0000:00:03.0 failed with error -22\n"
                       " SUBSYSTEM=pci\n DEVICE=+pci:0000:00:03.0\n"
                       "3,301,1800100,-;xhci_hcd: probe of 0000:00:04.0 failed with error -12\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r,
                  r.code == 1 && contains(r.out, "kernel log: vfio-pci: probe of 0000:00:03.0 failed with error -22"),
                  "the kernel's line is the evidence");
        CHECK_RUN(&r, !contains(r.out, "0000:00:04.0"), "the kernel log's word on a device no rule selects: left out");
        result_clear(&r);
        tenv_free(e);
}

TEST(not_on_target)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "ahci"));
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/driver_override", "(null)\n"));
        free(tenv_file(e, "run/boot.log",
                       "[    1.000000] <5>vfio-claim: vfio_claim=off on the kernel command line: nothing claimed\n"));
        tenv_cmdline(e, "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 intel_iommu=on vfio_claim=off\n");
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error not-on-target: ") && contains(b, "vfio_claim=off is on"),
                  "vfio_claim=off: not-on-target says why (%s)", b);
        free(b);
        result_clear(&r);
        tenv_free(e);
}

TEST(host_driver_took_it)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        /* The override is set, yet ahci has it: ahci was there first (no boot log to say more). */
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "ahci"));
        SETUP(unlink(e->boot_log));
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error host-driver-took-it: ") && contains(b, "is on ahci"),
                  "host-driver-took-it (%s)", b);
        CHECK_RUN(&r, !contains(r.out, "not-on-target"), "the specific finding, not the generic one");
        free(b);
        result_clear(&r);
        /* No override left (a reattach cleared it), but the boot log says it was claimed. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/driver_override", "(null)\n"));
        free(tenv_file(e, "run/boot.log",
                       "[    1.200000] <6>vfio-claim: 0000:00:03.0 [8086:2922]: bound to vfio-pci\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r, r.code == 1 && has(&r, "error", "host-driver-took-it") && contains(r.out, "the boot log says"),
                  "claimed at boot, on ahci now: host-driver-took-it from the boot log");
        result_clear(&r);
        tenv_free(e);
}

TEST(ids_conflict)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};

        tenv_cmdline(e, "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 intel_iommu=on vfio-pci.ids=8086:2922\n");
        free(tenv_file(e, "root/etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80,10de:10f0\n"));
        doctor(e, &r, NULL, NULL);
        CHECK_RUN(&r,
                  r.code == 1 && has(&r, "warning", "ids-conflict") && contains(r.out, "vfio-pci.ids=8086:2922") &&
                          contains(r.out, "/etc/modprobe.d/vfio.conf:1"),
                  "both the command line and modprobe.d");
        result_clear(&r);
        tenv_free(e);
}

TEST(claim_failed)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        char *b;

        free(tenv_file(e, "run/boot.log",
                       "[    1.100000] <6>vfio-claim: 0000:00:03.0 [8086:2922]: driver_override set to vfio-pci\n"
                       "[    1.200000] <3>vfio-claim: 0000:00:03.0 [8086:2922]: bind to vfio-pci failed: No such "
                       "device\n"
                       "[    1.300000] <4>vfio-claim: /etc/vfio-claim.conf:2: unknown keyword 'frobnicate'\n"));
        doctor(e, &r, NULL, NULL);
        b = block(&r, "0000:00:03.0 [8086:2922]");
        CHECK_RUN(&r, r.code == 1 && contains(b, "  error claim-failed: ") && contains(b, "bind to vfio-pci failed"),
                  "the boot log's error under its device (%s)", b);
        free(b);
        b = block(&r, "no device:");
        CHECK_RUN(&r, contains(b, "  warning claim-failed: ") && contains(b, "unknown keyword"),
                  "its warning without a device (%s)", b);
        free(b);
        result_clear(&r);
        tenv_free(e);
}

TEST(json_and_usage)
{
        struct tenv *e = machine(NULL);
        struct result r = {0};
        struct json *j;
        const char *err;

        doctor(e, &r,
               "vfio-pci 0000:00:03.0: BAR 2: can't reserve [mem 0xfe000000-0xfe0fffff]\n"
               "vfio_iommu_type1_attach_group: No interrupt remapping support.  Use the module param "
               "\"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform\n",
               (const char *const[]){"--json", NULL});
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j && r.code == 1, "--json: one document, exit 1");
        CHECK(j && strcmp(json_path_str(j, "findings.0.id") ?: "", "bar-reserved") == 0 &&
                      strcmp(json_path_str(j, "findings.0.device") ?: "", "0000:00:03.0") == 0 &&
                      json_path_str(j, "findings.0.evidence") && json_path_str(j, "findings.0.cause") &&
                      json_path_str(j, "findings.0.fix"),
              "id, severity, device, evidence, cause, fix");
        CHECK(j && json_path(j, "findings.1.device") && json_path(j, "findings.1.device")->type == JSON_NULL,
              "a finding without a device: null");
        CHECK(j && t_python_json(r.out) != 0, "python's json accepts it");
        json_free(j);
        result_clear(&r);
        doctor(e, &r, NULL, (const char *const[]){"not-an-address", NULL});
        CHECK_RUN(&r, r.code == 64 && contains(r.err, "not a PCI address"), "a bad address: usage error, exit 64");
        result_clear(&r);
        doctor(e, &r, NULL, (const char *const[]){"--frobnicate", NULL});
        CHECK_RUN(&r, r.code == 64, "an unknown option: exit 64");
        result_clear(&r);
        tenv_free(e);
}
