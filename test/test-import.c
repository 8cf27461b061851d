// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim import (issue 11, item 7): each source another method leaves
 * (vfio-pci.ids= on the command line, modprobe.d options and softdep,
 * driverctl, Unraid's vfio-pci.cfg, driver_override set now) becomes rules
 * with a comment naming it, addresses get an id guard from the device there
 * now, and what cannot be said is named with the reason. --write creates
 * /etc/vfio-claim.d/50-imported.conf (under --root) and never overwrites it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST_NEEDS_BINARY()

static struct tenv *setup(char **root)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        *root = xasprintf("%s/root", e->dir);
        return e;
}

TEST(sources)
{
        char *root, *conf, *rel;
        struct tenv *e = setup(&root);
        struct result r = {0};

        tenv_cmdline(e, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 vfio-pci.ids=10de:1b80,10de:10f0 quiet\n");
        free(tenv_file(e, "root/etc/modprobe.d/vfio.conf",
                       "# GPU passthrough\n"
                       "options vfio-pci ids=1b36:000d:1af4:1100 disable_vga=1\n"
                       "softdep nouveau pre: vfio-pci\n"
                       "options vfio_pci ids=8086:2922:ffffffff:ffffffff:030000:ffffff\n"));
        free(tenv_file(e, "root/etc/modprobe.d/other.conf", "options snd_hda_intel power_save=1\n"));
        free(tenv_file(e, "root/etc/driverctl.d/pci-0000:00:03.0", "vfio-pci\n"));
        free(tenv_file(e, "root/etc/driverctl.d/pci-0000:09:00.0", "vfio-pci\n"));
        free(tenv_file(e, "root/boot/config/vfio-pci.cfg", "BIND=0000:02:00.0|8086:2922 0000:00:04.0|10de:0fba\n"));
        rel = xasprintf("%s/driver_override", fakesys_dev_dir(e->fs, "0000:00:1f.2"));
        SETUP(fakesys_write(e->fs, rel, "pci-stub\n"));
        tenv_run(e, &r, "--root", root, "import", NULL);
        CHECK_RUN(&r, r.code == 0, "exit 0");
        CHECK_RUN(
                &r,
                contains(
                        r.out,
                        "# kernel command line: 10de:1b80\nid 10de:1b80\n# kernel command line: 10de:10f0\nid 10de:10f0\n"),
                "vfio-pci.ids=: one id rule per ID, each with its source");
        conf = xasprintf("%s/etc/modprobe.d/vfio.conf", root);
        CHECK_RUN(&r,
                  contains(r.out, conf) &&
                          contains(r.out, ":2: 1b36:000d:1af4:1100\nid 1b36:000d subsystem 1af4:1100\n"),
                  "options vfio-pci ids= with a subsystem: id and subsystem, origin FILE:LINE");
        CHECK_RUN(&r, contains(r.out, ":3: softdep nouveau pre: vfio-pci\n#   not imported: no rule needed"),
                  "softdep: named, with why no rule");
        CHECK_RUN(
                &r,
                contains(r.out, ":4: 8086:2922:ffffffff:ffffffff:030000:ffffff\n#   not imported: a class with a mask"),
                "a class with a mask: named with the reason");
        CHECK_RUN(&r, !contains(r.out, "power_save"), "other modules' options are not imported");
        CHECK_RUN(&r, contains(r.out, "driverctl.d/pci-0000:00:03.0: vfio-pci\naddress 00:03.0 id 8086:2922\n"),
                  "driverctl: address with the id guard of the device there now");
        CHECK_RUN(&r,
                  contains(r.out,
                           "driverctl.d/pci-0000:09:00.0: vfio-pci\n#   not imported: no device at that address now"),
                  "driverctl override for a device that is gone: named, not imported");
        CHECK_RUN(&r, contains(r.out, "vfio-pci.cfg: 0000:02:00.0|8086:2922\naddress 02:00.0 id 8086:2922\n"),
                  "Unraid BIND: address with its id guard");
        CHECK_RUN(
                &r,
                contains(
                        r.out,
                        "vfio-pci.cfg: 0000:00:04.0|10de:0fba\n#   not imported: the device there now is [1b36:000d], not [10de:0fba]"),
                "Unraid entry whose device changed: named with the reason");
        CHECK_RUN(
                &r,
                contains(r.out,
                         "# driver_override of 0000:00:1f.2: pci-stub\naddress 00:1f.2 id 8086:2922 driver pci-stub\n"),
                "a driver_override set now: with its driver");
        free(conf);
        free(rel);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

/* modprobe.d(5)'s directories: /run, /usr/local/lib, /usr/lib and /lib too; /etc hides a file of the same name. */
TEST(modprobe_dirs)
{
        char *root;
        struct tenv *e = setup(&root);
        struct result r = {0};

        free(tenv_file(e, "root/usr/lib/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80\n"));
        free(tenv_file(e, "root/etc/modprobe.d/vfio.conf", "options vfio-pci ids=8086:2922\n"));
        free(tenv_file(e, "root/usr/lib/modprobe.d/gpu.conf", "options vfio-pci ids=10de:10f0\n"));
        free(tenv_file(e, "root/run/modprobe.d/nic.conf", "options vfio_pci ids=8086:10d3\n"));
        free(tenv_file(e, "root/lib/modprobe.d/gpu.conf", "options vfio-pci ids=1002:67df\n"));
        tenv_run(e, &r, "--root", root, "import", NULL);
        CHECK_RUN(&r, r.code == 0, "exit 0");
        CHECK_RUN(&r, contains(r.out, "/etc/modprobe.d/vfio.conf:1: 8086:2922\nid 8086:2922\n"), "/etc: imported");
        CHECK_RUN(&r, !contains(r.out, "10de:1b80"), "/usr/lib's vfio.conf is hidden by /etc's of the same name");
        CHECK_RUN(&r, contains(r.out, "/usr/lib/modprobe.d/gpu.conf:1: 10de:10f0\nid 10de:10f0\n"),
                  "/usr/lib: imported, with its path");
        CHECK_RUN(&r, contains(r.out, "/run/modprobe.d/nic.conf:1: 8086:10d3\nid 8086:10d3\n"), "/run: imported");
        CHECK_RUN(&r, !contains(r.out, "1002:67df"), "/lib's gpu.conf is hidden by /usr/lib's");
        free(root);
        result_clear(&r);
        tenv_free(e);
}

TEST(write)
{
        char *root, *path, *text;
        struct tenv *e = setup(&root);
        struct result r = {0};

        tenv_cmdline(e, "quiet vfio_pci.ids=10de:1b80\n");
        free(tenv_file(e, "root/etc/hostname", "host\n"));
        tenv_run(e, &r, "--root", root, "--write", "import", NULL);
        path = xasprintf("%s/etc/vfio-claim.d/50-imported.conf", root);
        text = t_slurp(path);
        CHECK_RUN(&r, r.code == 0 && contains(text, "\nid 10de:1b80\n") && !contains(r.out, "id 10de"),
                  "--write: the rules go into /etc/vfio-claim.d/50-imported.conf, not stdout");
        free(text);
        free(tenv_file(e, "root/etc/vfio-claim.d/50-imported.conf", "# mine\n"));
        tenv_run(e, &r, "--root", root, "--write", "import", NULL);
        text = t_slurp(path);
        CHECK_RUN(&r, r.code == 1 && strcmp(text, "# mine\n") == 0 && contains(r.err, "not overwritten"),
                  "an existing file is never overwritten");
        free(text);
        /* The imported file is a configuration check reads. */
        free(tenv_file(e, "root/etc/vfio-claim.d/50-imported.conf", ""));
        tenv_run(e, &r, "--root", root, "import", NULL);
        tenv_config(e, r.out);
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, contains(r.out, ": id 10de:1b80 -> vfio-pci: selects\n"), "check reads the imported rules");
        free(path);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

/* An Unraid entry whose device ID alone differs from the device there now
 * (same vendor: another Intel controller took the slot) is not imported;
 * an exact one is. */
TEST(unraid_device_id_mismatch)
{
        char *root;
        struct tenv *e = setup(&root);
        struct result r = {0};

        free(tenv_file(e, "root/boot/config/vfio-pci.cfg", "BIND=0000:00:03.0|8086:2923 0000:00:1f.2|8086:2922\n"));
        tenv_run(e, &r, "--root", root, "import", NULL);
        CHECK_RUN(&r, r.code == 0, "exit 0");
        CHECK_RUN(&r,
                  contains(r.out, "vfio-pci.cfg: 0000:00:03.0|8086:2923\n#   not imported: the device there now is "
                                  "[8086:2922], not [8086:2923]"),
                  "a device ID mismatch under the same vendor: named with the reason");
        CHECK_RUN(&r, !contains(r.out, "address 00:03.0"), "and no rule for it");
        CHECK_RUN(&r, contains(r.out, "vfio-pci.cfg: 0000:00:1f.2|8086:2922\naddress 00:1f.2 id 8086:2922\n"),
                  "the matching entry is imported");
        free(root);
        result_clear(&r);
        tenv_free(e);
}
