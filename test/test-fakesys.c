// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fixture checks itself: every integration test trusts that a fake tree
 * looks like the kernel's sysfs and that a snapshot diff sees every change.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct fakesys *new_tree(void)
{
        struct fakesys *fs;

        SETUP(fakesys_new(&fs));
        return fs;
}

static char *link_of(struct fakesys *fs, const char *rel)
{
        static char buf[PATH_MAX];
        char path[PATH_MAX];
        ssize_t k;

        snprintf(path, sizeof(path), "%s/%s", fakesys_root(fs), rel);
        k = readlink(path, buf, sizeof(buf) - 1);
        buf[k < 0 ? 0 : k] = 0;
        return buf;
}

static bool same_file(struct fakesys *fs, const char *a, const char *b)
{
        char pa[PATH_MAX], pb[PATH_MAX];
        struct stat sa, sb;

        snprintf(pa, sizeof(pa), "%s/%s", fakesys_root(fs), a);
        snprintf(pb, sizeof(pb), "%s/%s", fakesys_root(fs), b);
        return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_type(struct fakesys *fs, const char *rel, mode_t type, mode_t perm)
{
        char p[PATH_MAX];
        struct stat st;

        snprintf(p, sizeof(p), "%s/%s", fakesys_root(fs), rel);
        return lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == type && (perm == 0 || (st.st_mode & 07777) == perm);
}

static bool equals(char *got, const char *want)
{
        bool ok = got && strcmp(got, want) == 0;

        if (!ok)
                printf("#   got \"%s\", want \"%s\"\n", got ? got : "(missing)", want);
        free(got);
        return ok;
}

static void add_machine(struct fakesys *fs)
{
        SETUP(fakesys_add_driver(fs, "vfio-pci"));
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:1f.2",
                                                        .vendor = 0x8086,
                                                        .device = 0x2922,
                                                        .subvendor = 0x1af4,
                                                        .subdevice = 0x1100,
                                                        .class = 0x010601,
                                                        .driver = "ahci",
                                                        .group = "3"}));
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:01.0",
                                                        .vendor = 0x1b36,
                                                        .device = 0x000c,
                                                        .class = 0x060400,
                                                        .driver = "pcieport",
                                                        .group = "1"}));
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:01:00.0",
                                                        .vendor = 0x10de,
                                                        .device = 0x1b80,
                                                        .subvendor = 0x1458,
                                                        .subdevice = 0x3702,
                                                        .class = 0x030000,
                                                        .group = "1",
                                                        .boot_vga = "0",
                                                        .parent = "0000:00:01.0"}));
}

TEST(layout)
{
        struct fakesys *fs = new_tree();

        add_machine(fs);
        CHECK(is_type(fs, "devices/pci0000:00/0000:00:1f.2", S_IFDIR, 0755), "device directory on the root bus");
        CHECK(is_type(fs, "devices/pci0000:00/0000:00:01.0/0000:01:00.0", S_IFDIR, 0755),
              "device behind a bridge nests in the bridge's directory");
        CHECK(strcmp(link_of(fs, "bus/pci/devices/0000:00:1f.2"), "../../../devices/pci0000:00/0000:00:1f.2") == 0,
              "bus/pci/devices link, relative: %s", link_of(fs, "bus/pci/devices/0000:00:1f.2"));
        CHECK(strcmp(link_of(fs, "bus/pci/devices/0000:01:00.0"),
                     "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0") == 0,
              "bus/pci/devices link of a nested device: %s", link_of(fs, "bus/pci/devices/0000:01:00.0"));
        CHECK(strcmp(link_of(fs, "devices/pci0000:00/0000:00:1f.2/driver"), "../../../bus/pci/drivers/ahci") == 0,
              "driver link: %s", link_of(fs, "devices/pci0000:00/0000:00:1f.2/driver"));
        CHECK(same_file(fs, "bus/pci/devices/0000:00:1f.2/driver", "bus/pci/drivers/ahci"),
              "driver link resolves to the driver's directory");
        CHECK(strcmp(link_of(fs, "devices/pci0000:00/0000:00:01.0/driver"), "../../../bus/pci/drivers/pcieport") == 0,
              "bridge's driver link");
        CHECK(!fakesys_exists(fs, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver"), "unbound: no driver link");
        CHECK(strcmp(link_of(fs, "devices/pci0000:00/0000:00:1f.2/iommu_group"), "../../../kernel/iommu_groups/3") == 0,
              "iommu_group link: %s", link_of(fs, "devices/pci0000:00/0000:00:1f.2/iommu_group"));
        CHECK(strcmp(link_of(fs, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/iommu_group"),
                     "../../../../kernel/iommu_groups/1") == 0,
              "nested iommu_group link has one more ../");
        CHECK(same_file(fs, "bus/pci/devices/0000:01:00.0/iommu_group", "kernel/iommu_groups/1"),
              "nested iommu_group link resolves");
        CHECK(strcmp(link_of(fs, "kernel/iommu_groups/3/devices/0000:00:1f.2"),
                     "../../../../devices/pci0000:00/0000:00:1f.2") == 0,
              "group member link: %s", link_of(fs, "kernel/iommu_groups/3/devices/0000:00:1f.2"));
        CHECK(same_file(fs, "kernel/iommu_groups/1/devices/0000:01:00.0", "bus/pci/devices/0000:01:00.0"),
              "group member link resolves to the device");
        CHECK(same_file(fs, "kernel/iommu_groups/1/devices/0000:00:01.0", "bus/pci/devices/0000:00:01.0"),
              "bridge is a group member too");
        CHECK(same_file(fs, "bus/pci/drivers/ahci/0000:00:1f.2", "bus/pci/devices/0000:00:1f.2"),
              "driver's link back to its device");
        CHECK(same_file(fs, "bus/pci/devices/0000:00:1f.2/subsystem", "bus/pci"), "subsystem link");

        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/vendor"), "0x8086\n"), "vendor");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/device"), "0x2922\n"), "device");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/subsystem_vendor"), "0x1af4\n"),
              "subsystem_vendor");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/subsystem_device"), "0x1100\n"),
              "subsystem_device");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/class"), "0x010601\n"), "class");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/driver_override"), "(null)\n"),
              "driver_override unset");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/uevent"),
                     "DRIVER=ahci\n"
                     "PCI_CLASS=10601\n"
                     "PCI_ID=8086:2922\n"
                     "PCI_SUBSYS_ID=1AF4:1100\n"
                     "PCI_SLOT_NAME=0000:00:1f.2\n"
                     "MODALIAS=pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01\n"),
              "uevent of a bound device, in the kernel's format");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:01:00.0/uevent"),
                     "PCI_CLASS=30000\n"
                     "PCI_ID=10DE:1B80\n"
                     "PCI_SUBSYS_ID=1458:3702\n"
                     "PCI_SLOT_NAME=0000:01:00.0\n"
                     "MODALIAS=pci:v000010DEd00001B80sv00001458sd00003702bc03sc00i00\n"),
              "uevent of an unbound device has no DRIVER line");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:01:00.0/boot_vga"), "0\n"), "boot_vga when given");
        CHECK(!fakesys_exists(fs, "devices/pci0000:00/0000:00:1f.2/boot_vga"), "no boot_vga unless given");
        CHECK(is_type(fs, "bus/pci/drivers/vfio-pci/bind", S_IFREG, 0600) &&
                      is_type(fs, "bus/pci/drivers/vfio-pci/unbind", S_IFREG, 0600) &&
                      is_type(fs, "bus/pci/drivers/vfio-pci/new_id", S_IFREG, 0600) &&
                      is_type(fs, "bus/pci/drivers/vfio-pci/remove_id", S_IFREG, 0600),
              "driver has bind, unbind, new_id, remove_id");
        CHECK(equals(fakesys_read(fs, "bus/pci/drivers/vfio-pci/bind"), ""), "driver files start empty");
        CHECK(is_type(fs, "bus/pci/drivers/ahci/bind", S_IFREG, 0600), "bound driver is registered on the way");
        CHECK(is_type(fs, "bus/pci/drivers_probe", S_IFREG, 0600), "bus/pci/drivers_probe");
        CHECK(is_type(fs, "kernel/iommu_groups", S_IFDIR, 0), "kernel/iommu_groups");
        CHECK(!fakesys_exists(fs, "kernel/iommu_groups/0"), "no group that nobody asked for");
        CHECK(strcmp(fakesys_dev_dir(fs, "0000:01:00.0"), "devices/pci0000:00/0000:00:01.0/0000:01:00.0") == 0,
              "fakesys_dev_dir");
        CHECK(fakesys_dev_dir(fs, "0000:09:00.0") == NULL, "fakesys_dev_dir of an unknown device");
        fakesys_free(fs);
}

TEST(root_buses_and_errors)
{
        struct fakesys *fs = new_tree();

        SETUP(fakesys_add_device(
                fs, &(struct fake_dev){.addr = "0000:80:00.0", .vendor = 1, .device = 2, .class = 0x020000}));
        SETUP(fakesys_add_device(
                fs, &(struct fake_dev){
                            .addr = "10000:00:02.0", .vendor = 1, .device = 3, .class = 0x010802, .driver = "nvme"}));
        CHECK(is_type(fs, "devices/pci0000:80/0000:80:00.0", S_IFDIR, 0), "second root bus pci0000:80");
        CHECK(is_type(fs, "devices/pci10000:00/10000:00:02.0", S_IFDIR, 0), "VMD-style wide domain");
        CHECK(strcmp(link_of(fs, "devices/pci10000:00/10000:00:02.0/driver"), "../../../bus/pci/drivers/nvme") == 0,
              "driver link of the wide-domain device");
        CHECK(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:80:00.0", .class = 1}) == -EINVAL,
              "the same address twice is refused");
        CHECK(fakesys_add_device(fs, &(struct fake_dev){.addr = "00:1f.2", .class = 1}) == -EINVAL,
              "a short address is refused");
        CHECK(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:20.0", .class = 1}) == -EINVAL,
              "slot 0x20 is refused");
        CHECK(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:05:00.0", .parent = "0000:04:00.0"}) == -ENOENT,
              "a missing parent bridge is refused");
        CHECK(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:06:00.0", .driver = "a/b"}) == -EINVAL,
              "a driver name with a slash is refused");
        CHECK(fakesys_add_driver(fs, "..") == -EINVAL, "driver name '..' is refused");
        fakesys_free(fs);
}

TEST(set_driver)
{
        struct fakesys *fs = new_tree();

        add_machine(fs);
        SETUP(fakesys_set_driver(fs, "0000:00:1f.2", "vfio-pci"));
        CHECK(strcmp(link_of(fs, "devices/pci0000:00/0000:00:1f.2/driver"), "../../../bus/pci/drivers/vfio-pci") == 0,
              "driver link moved");
        CHECK(!fakesys_exists(fs, "bus/pci/drivers/ahci/0000:00:1f.2"), "old driver's link to the device is gone");
        CHECK(same_file(fs, "bus/pci/drivers/vfio-pci/0000:00:1f.2", "bus/pci/devices/0000:00:1f.2"),
              "new driver links to the device");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/uevent"),
                     "DRIVER=vfio-pci\nPCI_CLASS=10601\nPCI_ID=8086:2922\nPCI_SUBSYS_ID=1AF4:1100\n"
                     "PCI_SLOT_NAME=0000:00:1f.2\nMODALIAS=pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01\n"),
              "uevent names the new driver");
        SETUP(fakesys_set_driver(fs, "0000:00:1f.2", NULL));
        CHECK(!fakesys_exists(fs, "devices/pci0000:00/0000:00:1f.2/driver"), "unbound: driver link removed");
        CHECK(!fakesys_exists(fs, "bus/pci/drivers/vfio-pci/0000:00:1f.2"), "unbound: driver's link removed");
        {
                char *u = fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/uevent");

                CHECK(u && !strstr(u, "DRIVER=") && strstr(u, "PCI_ID=8086:2922\n"), "unbound: no DRIVER= in uevent");
                free(u);
        }
        CHECK(fakesys_set_driver(fs, "0000:00:1f.5", "ahci") == -ENOENT, "set_driver of an unknown device");
        fakesys_free(fs);
}

TEST(block)
{
        struct fakesys *fs = new_tree();
        char path[PATH_MAX], *real;

        add_machine(fs);
        SETUP(fakesys_add_block(fs, "0000:00:1f.2", "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(fs, NULL, "sda/sda2", 8, 2, NULL));
        SETUP(fakesys_add_block(fs, NULL, "dm-0", 253, 0, (const char *const[]){"sda2", NULL}));
        CHECK(strcmp(link_of(fs, "dev/block/8:2"),
                     "../../devices/pci0000:00/0000:00:1f.2/host0/target0:0:0/0:0:0:0/block/sda/sda2") == 0,
              "dev/block link of a partition: %s", link_of(fs, "dev/block/8:2"));
        CHECK(equals(fakesys_read(fs, "dev/block/8:2/dev"), "8:2\n"), "partition's dev file");
        CHECK(strcmp(link_of(fs, "dev/block/253:0"), "../../devices/virtual/block/dm-0") == 0, "dm link");
        snprintf(path, sizeof(path), "%s/dev/block/253:0/slaves/sda2", fakesys_root(fs));
        real = realpath(path, NULL);
        CHECK(real && strstr(real, "/devices/pci0000:00/0000:00:1f.2/") && strstr(real, "/block/sda/sda2"),
              "dm slave resolves through the PCI device: %s", real ? real : "(unresolved)");
        free(real);
        CHECK(fakesys_add_block(fs, NULL, "sdb/sdb1", 8, 17, NULL) == -ENOENT, "partition of a missing disk");
        CHECK(fakesys_add_block(fs, NULL, "dm-1", 253, 1, (const char *const[]){"sdz", NULL}) == -ENOENT,
              "missing slave");
        fakesys_free(fs);
}

TEST(snapshot_diff)
{
        struct fakesys *fs = new_tree();
        struct fakesys_snapshot a, b;
        char **diff = NULL, path[PATH_MAX], target[PATH_MAX];
        int n;

        add_machine(fs);
        SETUP(fakesys_snapshot(fs, &a));
        SETUP(fakesys_snapshot(fs, &b));
        n = fakesys_diff(&a, &b, &diff);
        CHECK(n == 0 && diff && !diff[0], "two snapshots of an untouched tree are equal (%d)", n);
        fakesys_strv_free(diff);
        for (size_t i = 1; i < a.n; i++)
                if (strcmp(a.entries[i - 1].path, a.entries[i].path) >= 0) {
                        CHECK(false, "snapshot sorted by path: %s before %s", a.entries[i - 1].path, a.entries[i].path);
                        break;
                }
        fakesys_snapshot_clear(&b);

        /* Same length, one byte different: the diff must see content, not size. */
        SETUP(fakesys_write(fs, "bus/pci/devices/0000:01:00.0/boot_vga", "1\n"));
        SETUP(fakesys_write(fs, "bus/pci/drivers/vfio-pci/bind", "0000:00:1f.2\n"));
        snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:00:1f.2/vendor", fakesys_root(fs));
        SETUP(chmod(path, 0644) < 0 ? -errno : 0);
        snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci/extra", fakesys_root(fs));
        SETUP(symlink("../ahci", path) < 0 ? -errno : 0);
        snprintf(path, sizeof(path), "%s/kernel/iommu_groups/3/type", fakesys_root(fs));
        SETUP(unlink(path) < 0 ? -errno : 0);
        snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:00:01.0/driver", fakesys_root(fs));
        snprintf(target, sizeof(target), "../../../bus/pci/drivers/vfio-pci");
        SETUP(unlink(path) < 0 ? -errno : 0);
        SETUP(symlink(target, path) < 0 ? -errno : 0);
        SETUP(fakesys_snapshot(fs, &b));
        n = fakesys_diff(&a, &b, &diff);
        CHECK(n == 6, "six differences (%d)", n);
        if (n >= 0) {
                static const char *const want[] = {
                        "M bus/pci/drivers/vfio-pci/bind",
                        "+ bus/pci/drivers/vfio-pci/extra",
                        "M devices/pci0000:00/0000:00:01.0/0000:01:00.0/boot_vga",
                        "M devices/pci0000:00/0000:00:01.0/driver",
                        "T devices/pci0000:00/0000:00:1f.2/vendor",
                        "- kernel/iommu_groups/3/type",
                };

                for (size_t i = 0; i < 6; i++)
                        CHECK(i < (size_t)n && strcmp(diff[i], want[i]) == 0, "diff line %zu is '%s' (%s)", i, want[i],
                              i < (size_t)n ? diff[i] : "missing");
        }
        fakesys_strv_free(diff);
        fakesys_snapshot_clear(&a);
        fakesys_snapshot_clear(&b);
        fakesys_free(fs);
}

TEST(canon_and_free)
{
        struct fakesys *fs = new_tree();
        char *root = strdup(fakesys_root(fs)), *c;
        struct stat st;

        add_machine(fs);
        c = fakesys_canon(fs, "bus/pci/devices/0000:01:00.0/driver_override");
        CHECK(c && strcmp(c, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver_override") == 0,
              "canon through the bus link: %s", c ? c : "(null)");
        free(c);
        c = fakesys_canon(fs, "bus/pci/devices/0000:00:1f.2/not-yet");
        CHECK(c && strcmp(c, "devices/pci0000:00/0000:00:1f.2/not-yet") == 0, "canon of a missing last component");
        free(c);
        c = fakesys_canon(fs, "../..");
        CHECK(c == NULL, "canon outside the tree is NULL");
        free(c);
        CHECK(fakesys_write(fs, "bus/pci/devices/0000:00:1f.2/driver/../../../../../escape", "x") < 0 &&
                      !fakesys_exists(fs, "../escape"),
              "fakesys_write stays in the tree");
        CHECK(fakesys_write(fs, "bus/pci/devices/0000:00:1f.2/driver/../../../../new", "x\n") == 0 &&
                      fakesys_exists(fs, "new"),
              "fakesys_write follows links inside the tree");
        fakesys_free(fs);
        CHECK(root && stat(root, &st) < 0 && errno == ENOENT, "fakesys_free removes the tree");
        free(root);
}

static const char spec[] = "# a q35 machine with a second AHCI controller\n"
                           "driver vfio-pci\n"
                           "dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3\n"
                           "dev 0000:00:01.0 1b36:000c 060400 driver=pcieport group=1\n"
                           "dev 0000:01:00.0 10de:1b80 1458:3702 0x030000 group=1 parent=0000:00:01.0 boot_vga=1\n"
                           "dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=ahci group=4 override=vfio-pci\n"
                           "block 0000:00:1f.2 sda 8:0\n"
                           "block - sda/sda1 8:1\n"
                           "write bus/pci/devices/0000:00:1f.2/sriov_numvfs 0\n";

TEST(spec)
{
        struct fakesys *fs = new_tree(), *fs2 = new_tree();
        unsigned line = 0;
        int r;

        SETUP(fakesys_apply_spec(fs, spec, &line));
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:01:00.0/uevent"),
                     "PCI_CLASS=30000\nPCI_ID=10DE:1B80\nPCI_SUBSYS_ID=1458:3702\nPCI_SLOT_NAME=0000:01:00.0\n"
                     "MODALIAS=pci:v000010DEd00001B80sv00001458sd00003702bc03sc00i00\n"),
              "spec: subsystem and 0x class");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:01.0/subsystem_vendor"), "0x0000\n"),
              "spec: no subsystem given is 0000");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:01:00.0/boot_vga"), "1\n"), "spec: boot_vga");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:03.0/driver_override"), "vfio-pci\n"), "spec: override");
        CHECK(equals(fakesys_read(fs, "bus/pci/devices/0000:00:1f.2/sriov_numvfs"), "0\n"), "spec: write");
        CHECK(same_file(fs, "bus/pci/devices/0000:01:00.0", "devices/pci0000:00/0000:00:01.0/0000:01:00.0"),
              "spec: parent");
        CHECK(fakesys_exists(fs, "dev/block/8:1"), "spec: block");
        CHECK(fakesys_exists(fs, "bus/pci/drivers/vfio-pci/new_id"), "spec: driver");

        r = fakesys_apply_spec(fs2, "driver vfio-pci\n\ndev 0000:00:1f.2 8086:29zz 010601\n", &line);
        CHECK(r == -EINVAL && line == 3, "spec: a bad line is reported by number (%d, line %u)", r, line);
        r = fakesys_apply_spec(fs2, "frobnicate\n", &line);
        CHECK(r == -EINVAL && line == 1, "spec: unknown statement");
        r = fakesys_apply_spec(fs2, "dev 0000:00:02.0 8086:2922 010601 colour=red\n", &line);
        CHECK(r == -EINVAL, "spec: unknown dev option");
        r = fakesys_apply_spec(fs2, "noiommu\n", &line);
        CHECK(r == 0 && !fakesys_exists(fs2, "kernel/iommu_groups"), "spec: noiommu removes kernel/iommu_groups");
        fakesys_free(fs);
        fakesys_free(fs2);
}

TEST(mkfakesys)
{
        struct fakesys *fs = new_tree();
        char dir[PATH_MAX], specfile[PATH_MAX];
        struct result r = {0};
        FILE *f;

        if (!t_mkfakesys) {
                t_skip("no mkfakesys binary given");
                fakesys_free(fs);
                return;
        }
        /* A directory of its own beside the fixture's tree. */
        snprintf(dir, sizeof(dir), "%s/cli", fakesys_root(fs));
        snprintf(specfile, sizeof(specfile), "%s/spec", fakesys_root(fs));
        t_run_prog(&r, t_mkfakesys, (const char *const[]){dir, NULL}, spec);
        CHECK_RUN(&r, r.code == 0, "mkfakesys builds a tree from stdin");
        t_run_prog(&r, t_mkfakesys, (const char *const[]){"--dump", dir, NULL}, NULL);
        CHECK_RUN(&r, r.code == 0, "mkfakesys --dump");
        CHECK_RUN(&r,
                  contains(r.out, "bus/pci/devices/0000:01:00.0 0777 -> "
                                  "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0\n"),
                  "dump shows links with their targets");
        CHECK_RUN(&r, contains(r.out, "devices/pci0000:00/0000:00:1f.2/class 0444 \"0x010601\\n\"\n"),
                  "dump shows files with modes and escaped content");
        CHECK_RUN(&r, contains(r.out, "devices/pci0000:00/0000:00:1f.2 0755 dir\n"), "dump shows directories");
        f = fopen(specfile, "we");
        SETUP(f ? 0 : -errno);
        fputs("driver vfio-pci\ndev 0000:00:1f.2 8086:2922 bogus\n", f);
        fclose(f);
        snprintf(dir, sizeof(dir), "%s/cli2", fakesys_root(fs));
        t_run_prog(&r, t_mkfakesys, (const char *const[]){"-f", specfile, dir, NULL}, NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, ":2: invalid statement"),
                  "mkfakesys names the bad line of a spec file");
        t_run_prog(&r, t_mkfakesys, (const char *const[]){NULL}, NULL);
        CHECK_RUN(&r, r.code == 2, "mkfakesys without a directory is a usage error");
        result_clear(&r);
        fakesys_free(fs);
}

/* The JSON checker the integration tests lean on: it must reject what is not JSON. */
TEST(json_parser)
{
        static const char *const good[] = {
                "{}",
                " [ ] ",
                "{\"a\":[1,-2.5e3,0,true,false,null,\"x\\n\\u00e9\\ud83d\\ude00\"]}\n",
                "\"caf\xc3\xa9\"",
                "0",
        };
        static const char *const bad[] = {
                "",
                "{} {}",
                "{\"a\":1,}",
                "[1,]",
                "{\"a\" 1}",
                "{a:1}",
                "[01]",
                "[1.]",
                "[.5]",
                "[NaN]",
                "[\"tab\there\"]",
                "[\"\\x41\"]",
                "[\"\\ud800\"]",
                "[\"\xff\"]",
                "[\"\xc3\"]",
                "[\"\xed\xa0\x80\"]",
                "{\"a\":1,\"a\":2}",
                "[tru]",
                "[\"unterminated]",
        };
        const char *err;
        struct json *j;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                err = NULL;
                j = json_parse(good[i], &err);
                CHECK(j != NULL, "accepts %s (%s)", good[i], err ? err : "ok");
                json_free(j);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err = NULL;
                j = json_parse(bad[i], &err);
                CHECK(j == NULL && err, "rejects %s (%s)", bad[i], err ? err : "accepted");
                json_free(j);
        }
        j = json_parse("{\"d\":[{\"a\":\"x\"},{\"a\":\"\\u00e9\",\"n\":4}]}", &err);
        CHECK(j && json_path_str(j, "d.1.a") && strcmp(json_path_str(j, "d.1.a"), "\xc3\xa9") == 0,
              "path into arrays and objects, \\u escapes decoded to UTF-8");
        CHECK(j && json_path(j, "d.1.n") && json_path(j, "d.1.n")->num == 4, "numbers");
        CHECK(j && !json_path(j, "d.2") && !json_path(j, "d.0.b") && !json_path_str(j, "d.1.n"),
              "absent paths and wrong types give NULL");
        json_free(j);
}
