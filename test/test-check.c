// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim check: exit codes 0 (clean), 1 (errors), 2 (no configuration),
 * 3 (--fail-busy), the predictions it prints, its warnings, and --json.
 * check never writes: every case also compares the whole tree before and
 * after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

struct run {
        struct tenv *e;
        struct fakesys_snapshot before, after;
        struct result r;
};

static void start(struct run *x, const char *config)
{
        *x = (struct run){.e = tenv_new()};
        tenv_machine(x->e);
        if (config)
                tenv_config(x->e, config);
}

/* Runs check with the extra arguments, and checks that nothing was written. */
static void check_run(struct run *x, const char *a1, const char *a2, const char *a3)
{
        fakesys_snapshot_clear(&x->before);
        fakesys_snapshot_clear(&x->after);
        tsnap(x->e, &x->before);
        if (!a1)
                tenv_run(x->e, &x->r, "check", NULL);
        else if (!a2)
                tenv_run(x->e, &x->r, a1, "check", NULL);
        else if (!a3)
                tenv_run(x->e, &x->r, a1, a2, "check", NULL);
        else
                tenv_run(x->e, &x->r, a1, a2, a3, "check", NULL);
        tsnap(x->e, &x->after);
        CHECK_CHANGES(x->e, &x->before, &x->after, "check writes nothing", NULL);
}

static void finish(struct run *x)
{
        fakesys_snapshot_clear(&x->before);
        fakesys_snapshot_clear(&x->after);
        result_clear(&x->r);
        tenv_free(x->e);
}

/* "PATH:LINE" of the test's config file plus a suffix. */
static char *at(struct run *x, unsigned line, const char *suffix)
{
        char *s;

        SETUP(asprintf(&s, "%s:%u%s", x->e->config, line, suffix));
        return s;
}

TEST(clean)
{
        struct run x;
        char *want;

        start(&x, "# the second controller\naddress 00:03.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "a clean configuration exits 0");
        want = at(&x, 2, ": address 00:03.0 -> vfio-pci: selects\n\t0000:00:03.0 [8086:2922] now on ahci\n");
        CHECK_RUN(&x.r, contains(x.r.out, want), "prints the rule and the device it selects, with its driver");
        CHECK_RUN(&x.r, contains(x.r.out, "\n0 error(s), 0 warning(s)\n"), "no errors, no warnings");
        CHECK_RUN(&x.r, !contains(x.r.err, "warning") && !contains(x.r.err, "error"), "nothing on stderr");
        free(want);
        finish(&x);
}

TEST(no_config)
{
        struct run x;
        char *dir;

        start(&x, NULL);
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 2, "a missing configuration file exits 2");
        CHECK_RUN(&x.r, contains(x.r.err, "does not exist") && contains(x.r.err, "no configuration to check"),
                  "says the configuration does not exist");
        check_run(&x, "--json", NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 2, "--json: exit 2 too");
        {
                const char *err = NULL;
                struct json *j = json_parse(x.r.out, &err);

                CHECK_RUN(&x.r, j && json_path_str(j, "result") && strcmp(json_path_str(j, "result"), "no-config") == 0,
                          "--json: result is no-config (%s)", err ? err : "parsed");
                json_free(j);
        }
        /* A directory where the file should be: unreadable as a configuration. */
        SETUP(mkdir(x.e->config, 0755) < 0 ? -errno : 0);
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 2, "a configuration that cannot be read exits 2");
        SETUP(asprintf(&dir, "%s: cannot read: Is a directory", x.e->config));
        CHECK_RUN(&x.r, contains(x.r.err, dir), "names the file it cannot read, and why");
        free(dir);
        SETUP(rmdir(x.e->config) < 0 ? -errno : 0);
        if (geteuid() != 0) {
                tenv_config(x.e, "address 00:03.0\n");
                SETUP(chmod(x.e->config, 0) < 0 ? -errno : 0);
                check_run(&x, NULL, NULL, NULL);
                CHECK_RUN(&x.r, x.r.code == 2 && contains(x.r.err, "Permission denied"),
                          "an unreadable configuration file exits 2");
        } else
                t_skip("root reads files without permission: no unreadable-file case");
        finish(&x);
}

/* Overlapping rules are redundant, not errors: check stays clean. */
TEST(redundant)
{
        struct run x;
        char *m;

        start(&x, "address 00:03.0\naddress 00:03.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.out, "0 error(s)"), "a repeated rule is no error");
        m = at(&x, 2, ": selects nothing new: an earlier rule selected every device it matches");
        CHECK_RUN(&x.r, contains(x.r.err, m) && !contains(x.r.err, "matches no PCI device"),
                  "says the second line adds nothing, not that it matches nothing");
        free(m);
        finish(&x);
}

TEST(errors)
{
        struct run x;
        char *m;

        start(&x, "address 00:03.0\naddress 00:03.0 colour blue\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 1, "a malformed line exits 1");
        m = at(&x, 2, ": unknown keyword 'colour'");
        CHECK_RUN(&x.r, contains(x.r.err, m), "names file:line of the malformed line");
        free(m);
        m = at(&x, 1, ": address 00:03.0 -> vfio-pci: selects");
        CHECK_RUN(&x.r, contains(x.r.out, m), "the good rule is still predicted");
        CHECK_RUN(&x.r, contains(x.r.out, "1 error(s)"), "counts the error");
        free(m);

        tenv_config(x.e, "address 02:00.0 id 8086:1c02\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 1, "a guard mismatch exits 1");
        m = at(&x, 1, ": address 02:00.0 id 8086:1c02 -> vfio-pci: guard mismatch, claims nothing");
        CHECK_RUN(&x.r, contains(x.r.out, m), "prints the rule as a guard mismatch");
        free(m);
        m = at(&x, 1, ": guard mismatch: 0000:02:00.0 is [8086:2922] subsystem [1af4:1100] class 010601");
        CHECK_RUN(&x.r, contains(x.r.err, m), "the error says what the device really is");
        free(m);

        tenv_config(x.e, "address 05:00.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 1, "a rule that matches nothing exits 1");
        m = at(&x, 1, " (address 05:00.0): matches no PCI device");
        CHECK_RUN(&x.r, contains(x.r.err, m), "names the rule that matches nothing");
        free(m);

        /* An identity names one device, as an address does: with its id guard
         * (what add writes) and the card gone, it matches nothing; it is not a
         * rule for devices that appear later, which only an id is. */
        for (int k = 0; k < 2; k++) {
                tenv_config(x.e,
                            k ? "serial 00-11-22-33-44-55-66-77 id 8086:1c02\n" : "path 00:1c.7/00.0 id 8086:1c02\n");
                check_run(&x, NULL, NULL, NULL);
                CHECK_RUN(&x.r,
                          x.r.code == 1 && contains(x.r.err, "matches no PCI device") && !contains(x.r.out, "later"),
                          "%s with an id guard and no such device matches nothing, exit 1", k ? "serial" : "path");
        }

        tenv_config(x.e, "");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.out, "0 error(s), 0 warning(s)"),
                  "an empty configuration is not an error");
        finish(&x);
}

TEST(iommu_off)
{
        for (int variant = 0; variant < 2; variant++) {
                struct run x = {.e = tenv_new()};

                /* The twin without any IOMMU group: an empty kernel/iommu_groups, or none. */
                tenv_dev(x.e, &(struct fake_dev){.addr = "0000:00:03.0",
                                                 .vendor = 0x8086,
                                                 .device = 0x2922,
                                                 .class = 0x010601,
                                                 .driver = "ahci"});
                SETUP(fakesys_add_driver(x.e->fs, "vfio-pci"));
                if (variant)
                        SETUP(fakesys_remove_iommu_groups(x.e->fs));
                tenv_config(x.e, "address 00:03.0\n");
                check_run(&x, NULL, NULL, NULL);
                CHECK_RUN(&x.r, x.r.code == 0, "%s: a warning only, exit 0",
                          variant ? "no iommu_groups" : "empty iommu_groups");
                CHECK_RUN(&x.r,
                          contains(x.r.err, "warning: the IOMMU is not enabled (no ") &&
                                  contains(x.r.err, "/kernel/iommu_groups): vfio-pci will not bind"),
                          "%s: warns that the IOMMU is off", variant ? "no iommu_groups" : "empty iommu_groups");
                tenv_config(x.e, "address 00:03.0 group\n");
                check_run(&x, NULL, NULL, NULL);
                CHECK_RUN(&x.r,
                          contains(x.r.err,
                                   "0000:00:03.0 [8086:2922] has no IOMMU group (IOMMU off?); 'group' adds nothing"),
                          "%s: 'group' without groups is a warning",
                          variant ? "no iommu_groups" : "empty iommu_groups");
                finish(&x);
        }
        {
                struct run x;

                start(&x, "address 00:03.0 driver pci-stub\n");
                SETUP(fakesys_remove_iommu_groups(x.e->fs));
                check_run(&x, NULL, NULL, NULL);
                CHECK_RUN(&x.r, !contains(x.r.err, "IOMMU is not enabled"), "pci-stub does not need the IOMMU");
                finish(&x);
        }
}

TEST(group_viability)
{
        struct run x;
        char *m;

        start(&x, "address 00:1f.2\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "a group that would not be viable is a warning, exit 0");
        /* Which of the two blockers is named depends on the order of the group's directory. */
        m = at(&x, 1, "): IOMMU group 3 would not be viable: ");
        CHECK_RUN(
                &x.r,
                contains(x.r.err, m) &&
                        (contains(x.r.err, "the chipset bridge 0000:00:1f.0 [8086:2918] (class 060100, on lpc_ich)") ||
                         contains(x.r.err, "0000:00:1f.3 [8086:2930] stays on i801_smbus")),
                "names the group and an endpoint that keeps its host driver");
        CHECK_RUN(&x.r, contains(x.r.out, "0 error(s), 1 warning(s)"), "counts one warning");
        free(m);

        tenv_config(x.e, "address 00:1f.2 group\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(
                &x.r,
                x.r.code == 0 &&
                        contains(
                                x.r.err,
                                "IOMMU group 3 would not be viable: it shares the group with the chipset bridge 0000:00:1f.0 [8086:2918] (class 060100, on lpc_ich)"),
                "with 'group': the LPC bridge is left to the host, and named as what spoils the group");
        CHECK_RUN(&x.r,
                  !contains(x.r.out, "\t0000:00:1f.0") &&
                          contains(x.r.out, "\t0000:00:1f.3 [8086:2930] now on i801_smbus (same IOMMU group)\n"),
                  "prints the devices the group adds, not the LPC bridge");

        tenv_config(x.e, "address 00:1f.2 group\naddress 00:1f.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "would not be viable"),
                  "the LPC bridge named in a rule of its own: viable");

        tenv_config(x.e, "address 01:00.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(
                &x.r,
                contains(x.r.err, "IOMMU group 1 would not be viable: 0000:01:00.1 [10de:10f0] stays on snd_hda_intel"),
                "the GPU without its audio function: not viable, the root port does not count");

        tenv_config(x.e, "address 01:00\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, !contains(x.r.err, "would not be viable"),
                  "both functions selected: viable (a bridge in the group is fine)");

        /* Endpoints without a driver do not spoil a group. */
        SETUP(fakesys_set_driver(x.e->fs, "0000:00:1f.0", NULL));
        SETUP(fakesys_set_driver(x.e->fs, "0000:00:1f.3", "pci-stub"));
        tenv_config(x.e, "address 00:1f.2\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, !contains(x.r.err, "would not be viable"),
                  "other endpoints without a driver or on pci-stub: viable");
        finish(&x);
}

TEST(boot_vga)
{
        struct run x;
        char *m;

        start(&x, "address 00:02.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "the boot VGA device is a warning, exit 0");
        m = at(&x, 1, ") is the boot VGA device");
        CHECK_RUN(&x.r, contains(x.r.err, "0000:00:02.0 [1234:1111] (") && contains(x.r.err, m),
                  "warns about the boot VGA device");
        free(m);
        tenv_config(x.e, "address 01:00.0 group\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, !contains(x.r.err, "boot VGA"), "boot_vga 0 is not the boot VGA device");
        finish(&x);
}

TEST(busy)
{
        struct run x;
        char *mountinfo, *m;

        start(&x, "address 00:03.0\n");
        /* The second controller carries sdb; sdb1 is mounted on /srv, sdb2 on a path with a space. */
        SETUP(fakesys_add_block(x.e->fs, "0000:00:03.0", "sdb", 8, 16, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sdb/sdb1", 8, 17, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sdb/sdb2", 8, 18, NULL));
        SETUP(fakesys_add_block(x.e->fs, "0000:00:1f.2", "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "sda/sda2", 8, 2, NULL));
        SETUP(fakesys_add_block(x.e->fs, NULL, "dm-0", 253, 0, (const char *const[]){"sda2", NULL}));
        mountinfo = tenv_file(x.e, "proc/self/mountinfo",
                              "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
                              "25 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw\n"
                              "31 25 8:17 / /srv rw,relatime shared:20 - ext4 /dev/sdb1 rw\n"
                              "32 25 8:18 / /mnt/my\\040disk rw,relatime shared:21 - ext4 /dev/sdb2 rw\n");
        free(mountinfo);
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "a busy device is a warning, exit 0");
        m = at(&x, 1, ") carries the filesystem mounted on /srv: claiming it takes that away from the host");
        CHECK_RUN(&x.r, contains(x.r.err, "0000:00:03.0 [8086:2922] (") && contains(x.r.err, m),
                  "warns about the filesystem on the selected device");
        free(m);
        CHECK_RUN(&x.r, contains(x.r.err, "filesystem mounted on /mnt/my disk"), "mountinfo escapes are undone");
        CHECK_RUN(&x.r, !contains(x.r.err, "mounted on /:") && !contains(x.r.err, "mounted on / "),
                  "the root filesystem on the unselected controller is no warning");
        CHECK_RUN(&x.r, contains(x.r.out, "; a selected device carries a mounted filesystem or swap\n"),
                  "the summary says so");

        check_run(&x, "--fail-busy", NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 3, "--fail-busy: exit 3");
        {
                const char *err = NULL;
                struct json *j;

                check_run(&x, "--fail-busy", "--json", NULL);
                j = json_parse(x.r.out, &err);
                CHECK_RUN(&x.r,
                          x.r.code == 3 && j && json_path_str(j, "result") &&
                                  strcmp(json_path_str(j, "result"), "busy") == 0,
                          "--fail-busy --json: result busy (%s)", err ? err : "parsed");
                /* "busy" counts selected devices that carry a filesystem or swap
                 * (struct check_state): sdb1 and sdb2 are two mounts on one device. */
                CHECK_RUN(&x.r,
                          j && json_path(j, "busy") && json_path(j, "busy")->type == JSON_NUMBER &&
                                  json_path(j, "busy")->num == 1,
                          "--json: busy counts the device once, not once per mount");
                json_free(j);
        }

        tenv_config(x.e, "address 00:03.0 allow-busy\n");
        check_run(&x, "--fail-busy", NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, "allowed by allow-busy"),
                  "allow-busy: still named, not refused");

        /* The root filesystem on LVM: dm-0 leads through slaves/ to 00:1f.2. */
        tenv_config(x.e, "address 00:1f.2\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r,
                  contains(x.r.err, "0000:00:1f.2 [8086:2922] (") &&
                          contains(x.r.err, "carries the filesystem mounted on /:"),
                  "the root filesystem on device-mapper is traced to its controller");
        CHECK_RUN(&x.r, !contains(x.r.err, "/srv"), "the other controller's mounts are not its business");
        finish(&x);
}

TEST(swap)
{
        struct run x;
        char *swapfile, *swaps, *m;
        struct stat st;

        start(&x, "address 00:03.0\n");
        /* A swap file: its filesystem's device is the one that counts. Make that device
         * number a disk on the second controller. */
        swapfile = tenv_file(x.e, "swapfile", "");
        SETUP(stat(swapfile, &st) < 0 ? -errno : 0);
        SETUP(fakesys_add_block(x.e->fs, "0000:00:03.0", "sdc", major(st.st_dev), minor(st.st_dev), NULL));
        SETUP(asprintf(&swaps, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n%s file\t\t1048572\t\t0\t\t-2\n",
                       swapfile));
        free(tenv_file(x.e, "proc/swaps", swaps));
        check_run(&x, NULL, NULL, NULL);
        SETUP(asprintf(&m, "active swap on %s", swapfile));
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, "0000:00:03.0 [8086:2922] (") && contains(x.r.err, m),
                  "warns about active swap on the selected device");
        free(m);
        free(swaps);
        free(swapfile);
        finish(&x);
}

TEST(module)
{
        struct run x;

        start(&x, "address 00:03.0 driver no-such-driver\n");
        check_run(&x, "--kernel", "0.0.0-no-such-kernel", NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "a missing module is a warning, exit 0");
        CHECK_RUN(&x.r, contains(x.r.err, "no module for driver no-such-driver found for kernel 0.0.0-no-such-kernel"),
                  "warns that the module is missing for that kernel");
        tenv_config(x.e, "address 00:03.0\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, !contains(x.r.err, "no module"), "a registered driver needs no module for the running kernel");
        finish(&x);
}

TEST(cmdline)
{
        struct run x;
        char *m;

        start(&x, "address 00:03.0\n");
        tenv_cmdline(x.e, "ro vfio_claim=off vfio_claim.rule=\"address 01:00\"\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, contains(x.r.err, "vfio_claim=off is on the running kernel's command line"),
                  "warns about vfio_claim=off");
        SETUP(asprintf(&m, "%s: vfio_claim.rule #1: address 01:00 -> vfio-pci: selects\n", x.e->cmdline));
        CHECK_RUN(&x.r, contains(x.r.out, m), "predicts the command line's rules too");
        free(m);
        tenv_cmdline(x.e, "ro vfio_claim.rule=\"adress 01:00\"\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 1 && contains(x.r.err, "vfio_claim.rule #1: unknown keyword 'adress'"),
                  "a bad command-line rule is an error naming its origin");
        finish(&x);

        /* A --config file that does not exist is an error even with rules on the
         * command line (the default files' absence is not: see docs/verbs.md). */
        start(&x, NULL);
        tenv_cmdline(x.e, "ro vfio_claim.rule=\"address 01:00\"\n");
        check_run(&x, NULL, NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 2 && contains(x.r.err, "no configuration to check"),
                  "--config naming a missing file: exit 2, whatever the command line says");
        finish(&x);
}

TEST(json)
{
        struct run x;
        const char *err = NULL;
        struct json *j;
        const struct json *v;

        start(&x, "address 01:00.0 group\naddress 02:00.0 id 8086:1c02\naddress 00:1f.2\n");
        check_run(&x, "--json", NULL, NULL);
        CHECK_RUN(&x.r, x.r.code == 1, "--json: same exit code as without (1: guard mismatch)");
        j = json_parse(x.r.out, &err);
        CHECK_RUN(&x.r, j != NULL, "stdout is exactly one JSON document (%s)", err ? err : "ok");
        CHECK_RUN(&x.r, !contains(x.r.err, "guard mismatch"), "messages go into the document, not to stderr");
        if (j) {
                v = json_path(j, "rules");
                CHECK(v && v->type == JSON_ARRAY && v->n == 3, "three rules");
                CHECK(json_path_str(j, "rules.0.state") && strcmp(json_path_str(j, "rules.0.state"), "ok") == 0,
                      "rule 1 ok");
                CHECK(json_path_str(j, "rules.1.state") &&
                              strcmp(json_path_str(j, "rules.1.state"), "guard-mismatch") == 0,
                      "rule 2 guard-mismatch");
                CHECK(json_path_str(j, "rules.0.rule") &&
                              strcmp(json_path_str(j, "rules.0.rule"), "address 01:00.0 group") == 0,
                      "rule text");
                CHECK(json_path_str(j, "rules.0.driver") && strcmp(json_path_str(j, "rules.0.driver"), "vfio-pci") == 0,
                      "rule driver");
                v = json_path(j, "rules.0.devices");
                CHECK(v && v->type == JSON_ARRAY && v->n == 2, "rule 1 selects two devices");
                CHECK(json_path_str(j, "rules.0.devices.0.address") &&
                              strcmp(json_path_str(j, "rules.0.devices.0.address"), "0000:01:00.0") == 0,
                      "device address");
                CHECK(json_path_str(j, "rules.0.devices.0.id") &&
                              strcmp(json_path_str(j, "rules.0.devices.0.id"), "10de:1b80") == 0,
                      "device id");
                CHECK(json_path_str(j, "rules.0.devices.0.class") &&
                              strcmp(json_path_str(j, "rules.0.devices.0.class"), "030000") == 0,
                      "device class");
                CHECK(json_path_str(j, "rules.0.devices.0.subsystem") &&
                              strcmp(json_path_str(j, "rules.0.devices.0.subsystem"), "1458:3702") == 0,
                      "device subsystem");
                CHECK(json_path_str(j, "rules.0.devices.0.driver") &&
                              strcmp(json_path_str(j, "rules.0.devices.0.driver"), "nouveau") == 0,
                      "device driver");
                v = json_path(j, "rules.0.devices.0.via_group_of");
                CHECK(v && v->type == JSON_NULL, "selected directly: via_group_of null");
                CHECK(json_path_str(j, "rules.0.devices.1.via_group_of") &&
                              strcmp(json_path_str(j, "rules.0.devices.1.via_group_of"), "0000:01:00.0") == 0,
                      "added by the group: via_group_of names the device");
                v = json_path(j, "rules.1.devices");
                CHECK(v && v->type == JSON_ARRAY && v->n == 0, "the guarded rule selects nothing");
                v = json_path(j, "errors");
                CHECK(v && v->type == JSON_NUMBER && v->num == 1, "errors: 1");
                v = json_path(j, "warnings");
                CHECK(v && v->type == JSON_NUMBER && v->num == 1, "warnings: 1 (group 3 not viable)");
                v = json_path(j, "messages");
                CHECK(v && v->type == JSON_ARRAY && v->n == 2, "two messages");
                CHECK(json_path_str(j, "messages.0.priority") &&
                              strcmp(json_path_str(j, "messages.0.priority"), "error") == 0 &&
                              contains(json_path_str(j, "messages.0.message"), "guard mismatch"),
                      "the error message, with its priority");
                CHECK(json_path_str(j, "result") && strcmp(json_path_str(j, "result"), "errors") == 0,
                      "result: errors");
        }
        switch (t_python_json(x.r.out)) {
        case -1:
                t_skip("no python3 for a second opinion on the JSON");
                break;
        default:
                CHECK_RUN(&x.r, t_python_json(x.r.out) == 1, "python3 -m json.tool accepts it");
        }
        json_free(j);

        /* Bytes from a config that are not UTF-8 must still give valid JSON. */
        tenv_config(x.e, "address 00:03.0 # caf\xe9\naddress 00:03.0 \"q\\uote\" \xff\n");
        check_run(&x, "--json", NULL, NULL);
        j = json_parse(x.r.out, &err);
        CHECK_RUN(&x.r, j != NULL, "JSON stays valid with odd bytes in the config (%s)", j ? "ok" : err);
        json_free(j);
        finish(&x);
}
