// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The busy check beyond the mount's own source (issue 11, items 1 and 2):
 * the members of a ZFS pool with a mounted dataset (udev database under
 * --run, `zpool list -vPH`), btrfs over two NVMe drives (SYSFS/fs/btrfs and
 * the udev database), a filesystem whose devices cannot be found (a warning
 * naming mount and type), and a root that mountinfo does not list (a chroot
 * on a plain directory: the device of "/").
 *
 * The machine is tenv_machine()'s plus two NVMe controllers, 00:05.0 and
 * 00:06.0. Disks: sdb on 00:03.0, sdc on 02:00.0, sdd on the xHCI 00:04.0
 * (a USB disk), sda on 00:1f.2, nvme0n1 on 00:05.0, nvme1n1 on 00:06.0.
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

static struct tenv *machine(void)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:05.0",
                                       .vendor = 0x1b36,
                                       .device = 0x0010,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010802,
                                       .driver = "nvme",
                                       .group = "8"});
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:06.0",
                                       .vendor = 0x1b36,
                                       .device = 0x0010,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010802,
                                       .driver = "nvme",
                                       .group = "9"});
        SETUP(fakesys_add_block(e->fs, "0000:00:1f.2", "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "sda/sda1", 8, 1, NULL));
        SETUP(fakesys_add_block(e->fs, "0000:00:03.0", "sdb", 8, 16, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "sdb/sdb1", 8, 17, NULL));
        SETUP(fakesys_add_block(e->fs, "0000:02:00.0", "sdc", 8, 32, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "sdc/sdc1", 8, 33, NULL));
        SETUP(fakesys_add_block(e->fs, "0000:00:04.0", "sdd", 8, 48, NULL));
        SETUP(fakesys_add_block(e->fs, "0000:00:05.0", "nvme0n1", 259, 0, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "nvme0n1/nvme0n1p1", 259, 1, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "nvme0n1/nvme0n1p2", 259, 2, NULL));
        SETUP(fakesys_add_block(e->fs, "0000:00:06.0", "nvme1n1", 259, 4, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "nvme1n1/nvme1n1p2", 259, 6, NULL));
        return e;
}

static void mountinfo(struct tenv *e, const char *text)
{
        free(tenv_file(e, "proc/self/mountinfo", text));
}

/* RUN/udev/data/bMAJ:MIN as udevd writes it after blkid (only the lines that matter, and one that does not). */
static void udev_entry(struct tenv *e, const char *devnum, const char *type, const char *label, const char *uuid)
{
        char *rel = xasprintf("run/udev/data/b%s", devnum);
        char *text =
                xasprintf("S:disk/by-id/fake-%s\nI:123456\nE:ID_FS_TYPE=%s\n%s%s%sE:ID_FS_UUID=%s\n"
                          "E:ID_FS_USAGE=filesystem\nG:systemd\n",
                          devnum, type, label ? "E:ID_FS_LABEL=" : "", label ? label : "", label ? "\n" : "", uuid);

        free(tenv_file(e, rel, text));
        free(text);
        free(rel);
}

static void rm_udev(struct tenv *e)
{
        char *cmd = xasprintf("rm -rf '%s/udev'", e->run);

        SETUP(system(cmd) == 0 ? 0 : -EIO);
        free(cmd);
}

static void run_check(struct tenv *e, struct result *r, const char *opt)
{
        if (opt)
                tenv_run(e, r, opt, "check", NULL);
        else
                tenv_run(e, r, "check", NULL);
}

/* check --fail-busy with env in place of the harness's environment. */
static void run_check_env(struct tenv *e, struct result *r, char *const *env)
{
        const char *argv[32];
        size_t n = tenv_argv(e, argv);

        argv[n++] = "--fail-busy";
        argv[n++] = "check";
        argv[n] = NULL;
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir, .env = env, .timeout = 60});
}

static const char zfs_mounts[] = "25 1 0:21 / / rw,relatime shared:1 - zfs rpool/ROOT/pve-1 rw,xattr,noacl\n"
                                 "26 25 0:45 / /rpool/data rw,relatime shared:9 - zfs rpool/data rw,xattr,noacl\n"
                                 "27 25 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n";

/* rpool: a mirror of sdb1 and sdc1, a log on nvme0n1p1, a spare sdd (USB). tank (not
 * imported, nothing mounted) on nvme1n1p2. */
static void zfs_udev(struct tenv *e)
{
        udev_entry(e, "8:17", "zfs_member", "rpool", "1234567890");
        udev_entry(e, "8:33", "zfs_member", "rpool", "1234567890");
        udev_entry(e, "259:1", "zfs_member", "rpool", "1234567890");
        udev_entry(e, "8:48", "zfs_member", "rpool", "1234567890");
        udev_entry(e, "259:6", "zfs_member", "tank", "987654321");
        free(tenv_file(e, "run/udev/data/c1:3", "E:ID_FS_TYPE=zfs_member\nE:ID_FS_LABEL=rpool\n"));
        free(tenv_file(e, "run/udev/data/n3", "E:ID_NET_NAME=enp0s3\n"));
}

TEST(zfs_udev)
{
        struct tenv *e = machine();
        struct result r = {0};

        mountinfo(e, zfs_mounts);
        zfs_udev(e);
        /* Each vdev of the pool: a mirror half, the log, the spare. */
        static const char *const members[] = {"00:03.0", "02:00.0", "00:05.0", "00:04.0"};
        for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++) {
                char *rule = xasprintf("address %s\n", members[i]);

                tenv_config(e, rule);
                run_check(e, &r, "--fail-busy");
                CHECK_RUN(&r, r.code == 3 && contains(r.err, "carries the filesystem mounted on / (ZFS pool rpool)"),
                          "%s carries a vdev of the root pool: --fail-busy refuses, naming / and the pool", members[i]);
                CHECK_RUN(&r, count(r.err, "ZFS pool rpool") == 1,
                          "%s: named once for the pool, not once per mounted dataset", members[i]);
                free(rule);
        }
        tenv_config(e, "address 00:06.0\naddress 00:1f.2\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r, r.code == 0 && !contains(r.err, "carries") && !contains(r.err, "cannot tell"),
                  "a pool with nothing mounted and a disk of no pool: not busy, no warning");

        /* No udev database (a chroot without /run): said, not silently clean. */
        rm_udev(e);
        tenv_config(e, "address 02:00.0\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.err, "warning: cannot tell which devices carry the filesystem mounted on / "
                                                 "(zfs, rpool/ROOT/pve-1)"),
                  "without a udev database the pool's devices are unknown: a warning naming mount and type");
        result_clear(&r);
        tenv_free(e);
}

/* An environment whose PATH finds a zpool that is SCRIPT first; free with zpool_env_free(). */
struct zpool_env {
        char *path, **env;
};

static void zpool_env(struct tenv *e, const char *script, struct zpool_env *z)
{
        const char *old = getenv("PATH");
        char *file = tenv_file(e, "bin/zpool", script);

        SETUP(chmod(file, 0755) < 0 ? -errno : 0);
        free(file);
        z->path = xasprintf("PATH=%s/bin:%s", e->dir, old ? old : "/usr/bin:/bin");
        z->env = t_environ((const char *const[]){z->path, NULL});
}

static void zpool_env_free(struct zpool_env *z)
{
        free(z->env);
        free(z->path);
}

TEST(zfs_zpool)
{
        struct tenv *e = machine();
        struct result r = {0};
        struct zpool_env z;

        mountinfo(e, zfs_mounts);
        /* zpool list -vPH as OpenZFS 2.1 prints it: classes on lines of their own, leaves as full paths. */
        zpool_env(e,
                  "#!/bin/sh\n"
                  "[ \"$*\" = 'list -vPH' ] || exit 2\n"
                  "printf 'rpool\\t928G\\t1.20G\\t927G\\t-\\t-\\t0%%\\t0%%\\t1.00x\\tONLINE\\t-\\n'\n"
                  "printf '\\tmirror-0\\t928G\\t1.20G\\t927G\\t-\\t-\\t0%%\\t0%%\\t-\\tONLINE\\n'\n"
                  "printf '\\t/dev/sdb1\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\tONLINE\\n'\n"
                  "printf '\\t/dev/sdc1\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\tONLINE\\n'\n"
                  "printf 'logs\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\n'\n"
                  "printf '\\t/dev/nvme0n1p1\\t15G\\t0\\t15G\\t-\\t-\\t0%%\\t0%%\\t-\\tONLINE\\n'\n"
                  "printf 'spares\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\n'\n"
                  "printf '\\t/dev/sdd\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\tAVAIL\\n'\n"
                  "printf 'tank\\t1T\\t1G\\t1T\\t-\\t-\\t0%%\\t0%%\\t1.00x\\tONLINE\\t-\\n'\n"
                  "printf '\\t/dev/nvme1n1p2\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\tONLINE\\n'\n",
                  &z);
        static const char *const members[] = {"00:03.0", "02:00.0", "00:05.0", "00:04.0"};
        for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++) {
                char *rule = xasprintf("address %s\n", members[i]);

                tenv_config(e, rule);
                run_check_env(e, &r, z.env);
                CHECK_RUN(&r, r.code == 3 && contains(r.err, "carries the filesystem mounted on / (ZFS pool rpool)"),
                          "no udev database, zpool list -vPH names %s as a vdev of rpool: refused", members[i]);
                free(rule);
        }
        tenv_config(e, "address 00:06.0\n");
        run_check_env(e, &r, z.env);
        CHECK_RUN(&r, r.code == 0 && !contains(r.err, "carries"), "a vdev of a pool with nothing mounted: not busy");
        zpool_env_free(&z);
        result_clear(&r);
        tenv_free(e);
}

/* zpool is the only program vfio-claim runs, and only when the library's one
 * read of mountinfo shows a ZFS dataset: never on a machine without one. */
TEST(zpool_only_with_zfs)
{
        struct tenv *e = machine();
        struct result r = {0};
        struct zpool_env z;
        char *script = xasprintf("#!/bin/sh\n: >'%s/zpool-ran'\n", e->dir), *marker = xasprintf("%s/zpool-ran", e->dir);

        zpool_env(e, script, &z);
        tenv_config(e, "address 02:00.0\n");
        mountinfo(e, "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        run_check_env(e, &r, z.env);
        CHECK_RUN(&r, access(marker, F_OK) < 0, "no ZFS dataset mounted: zpool is not run");
        mountinfo(e, zfs_mounts);
        run_check_env(e, &r, z.env);
        CHECK_RUN(&r, access(marker, F_OK) == 0, "a ZFS dataset mounted: zpool is run");
        zpool_env_free(&z);
        free(script);
        free(marker);
        result_clear(&r);
        tenv_free(e);
}

/* A zpool that never answers (waiting on a suspended pool): check goes on without it, and says so. */
TEST(zfs_zpool_hangs)
{
        struct tenv *e = machine();
        struct result r = {0};
        struct zpool_env z;
        double t0, took;

        mountinfo(e, zfs_mounts);
        rm_udev(e);
        zpool_env(e, "#!/bin/sh\nexec sleep 600\n", &z);
        tenv_config(e, "address 02:00.0\n");
        t0 = t_now();
        run_check_env(e, &r, z.env);
        took = t_now() - t0;
        CHECK_RUN(&r, r.code == 0 && took < 30, "check --fail-busy returns (exit %d after %.1f s)", r.code, took);
        CHECK_RUN(&r, took >= 5, "after waiting the 5 s zpool is given (%.1f s)", took);
        CHECK_RUN(&r, contains(r.err, "warning: zpool list -vPH did not answer within 5 s (killed)"), "it says so");
        CHECK_RUN(
                &r,
                contains(r.err, "cannot tell which devices carry the filesystem mounted on / (zfs, rpool/ROOT/pve-1)"),
                "and that the pool's devices are unknown");
        zpool_env_free(&z);
        result_clear(&r);
        tenv_free(e);
}

/* /sys/fs/btrfs/UUID/devices/NAME: links to the block directories. */
static void btrfs_sysfs(struct tenv *e, const char *uuid, const char *const *devnums)
{
        for (size_t i = 0; devnums[i]; i++) {
                char *rel = xasprintf("dev/block/%s", devnums[i]), *canon = fakesys_canon(e->fs, rel);
                const char *name = strrchr(canon, '/') + 1;
                char *dir = xasprintf("%s/fs/btrfs/%s/devices", fakesys_root(e->fs), uuid), *cmd, *target, *link;

                cmd = xasprintf("mkdir -p '%s'", dir);
                SETUP(system(cmd) == 0 ? 0 : -EIO);
                target = xasprintf("%s/%s", fakesys_root(e->fs), canon);
                link = xasprintf("%s/%s", dir, name);
                SETUP(symlink(target, link) < 0 ? -errno : 0);
                free(link);
                free(target);
                free(cmd);
                free(dir);
                free(canon);
                free(rel);
        }
}

static const char btrfs_mounts[] = "25 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,ssd,space_cache=v2\n"
                                   "26 25 0:31 /@home /home rw,relatime shared:2 - btrfs /dev/nvme0n1p2 rw\n";

TEST(btrfs_raid1)
{
        struct result r = {0};

        for (int variant = 0; variant < 3; variant++) {
                static const char *const names[] = {"SYSFS/fs/btrfs", "udev database", "neither"};
                struct tenv *e = machine();

                mountinfo(e, btrfs_mounts);
                if (variant == 0)
                        btrfs_sysfs(e, "5c1c1e0a-0000-4000-8000-000000000001",
                                    (const char *const[]){"259:2", "259:6", NULL});
                if (variant == 1) {
                        udev_entry(e, "259:2", "btrfs", "root", "5c1c1e0a-0000-4000-8000-000000000001");
                        udev_entry(e, "259:6", "btrfs", "root", "5c1c1e0a-0000-4000-8000-000000000001");
                        udev_entry(e, "8:17", "btrfs", "other", "5c1c1e0a-0000-4000-8000-0000000000ff");
                }
                tenv_config(e, "address 00:06.0\n");
                run_check(e, &r, "--fail-busy");
                if (variant < 2)
                        CHECK_RUN(&r,
                                  r.code == 3 && contains(r.err, "0000:00:06.0 [1b36:0010] (") &&
                                          contains(r.err, "carries the filesystem mounted on /:") &&
                                          contains(r.err, "carries the filesystem mounted on /home:"),
                                  "%s: the second device of a btrfs raid1 under / is busy: refused", names[variant]);
                else
                        CHECK_RUN(&r,
                                  r.code == 0 && contains(r.err, "warning: cannot tell which devices carry the "
                                                                 "filesystem mounted on / (btrfs, /dev/nvme0n1p2)"),
                                  "%s: the other devices are unknown: a warning naming mount and type", names[variant]);
                tenv_config(e, "address 00:05.0\n");
                run_check(e, &r, "--fail-busy");
                CHECK_RUN(&r, r.code == 3 && contains(r.err, "carries the filesystem mounted on /:"),
                          "%s: the device mountinfo names is busy", names[variant]);
                tenv_config(e, "address 00:03.0\n");
                run_check(e, &r, "--fail-busy");
                CHECK_RUN(&r, r.code == 0 && !contains(r.err, "carries"), "%s: a disk of another btrfs is not busy",
                          names[variant]);
                tenv_free(e);
        }
        result_clear(&r);
}

TEST(unknown_fstype)
{
        struct tenv *e = machine();
        struct result r = {0};

        mountinfo(e, "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                     "26 25 0:50 / /srv rw,relatime shared:2 - foofs /dev/foo0 rw\n"
                     "27 25 0:51 / /data rw,relatime shared:3 - bcachefs /dev/nosuch1:/dev/nosuch2 rw\n"
                     "28 25 8:99 / /mnt/gone rw,relatime shared:4 - ext4 /dev/sdz1 rw\n"
                     "29 25 0:52 / /run/user/1000/doc rw,relatime shared:5 - fuse.portal portal rw\n"
                     "30 25 0:53 / /tmp rw - tmpfs tmpfs rw\n");
        tenv_config(e, "address 00:03.0\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r, r.code == 0, "unknown devices are warnings, not refusals");
        CHECK_RUN(&r,
                  contains(r.err, "cannot tell which devices carry the filesystem mounted on /srv (foofs, /dev/foo0)"),
                  "a device that is not in sysfs: named with mount and type");
        CHECK_RUN(&r, contains(r.err, "filesystem mounted on /data (bcachefs, /dev/nosuch1:/dev/nosuch2)"),
                  "bcachefs whose devices are unknown: named");
        CHECK_RUN(&r, contains(r.err, "filesystem mounted on /mnt/gone (ext4, /dev/sdz1)"),
                  "a device number sysfs does not know: named");
        CHECK_RUN(&r, !contains(r.err, "/run/user") && !contains(r.err, "/tmp") && !contains(r.err, "mounted on / ("),
                  "virtual filesystems and a traced root: no warning");
        /* bcachefs over two devices: the source lists both. */
        mountinfo(e, "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                     "27 25 0:51 / /data rw,relatime shared:3 - bcachefs /dev/nvme0n1p2:/dev/sdb1 rw\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r, r.code == 3 && contains(r.err, "carries the filesystem mounted on /data"),
                  "bcachefs: each device its source lists is busy");
        result_clear(&r);
        tenv_free(e);
}

/* A chroot on a plain directory: mountinfo has no "/" line (KERNEL-NOTES, "What a chroot sees"). */
TEST(root_not_in_mountinfo)
{
        struct tenv *e = machine();
        struct result r = {0};
        struct stat st;

        SETUP(stat("/", &st) < 0 ? -errno : 0);
        mountinfo(e, "31 30 8:17 / /srv rw,relatime shared:20 - ext4 /dev/sdb1 rw\n");
        tenv_config(e, "address 02:00.0\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.err, "cannot tell which devices carry the filesystem mounted on / "
                                                 "(no mountinfo line, device "),
                  "the device of / is not in sysfs: said so");
        /* Make the device of this process's "/" a disk on the third controller. */
        SETUP(fakesys_add_block(e->fs, "0000:02:00.0", "sdx", major(st.st_dev), minor(st.st_dev), NULL));
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r,
                  r.code == 3 && contains(r.err, "0000:02:00.0 [8086:2922] (") &&
                          contains(r.err, "carries the filesystem mounted on / (found by the device of /"),
                  "the root's controller is found by the device of / and refused");
        /* With a "/" line, mountinfo is believed. */
        mountinfo(e, "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        run_check(e, &r, "--fail-busy");
        CHECK_RUN(&r, r.code == 0 && !contains(r.err, "carries"),
                  "mountinfo with a / line: the device of / is not used");
        result_clear(&r);
        tenv_free(e);
}
