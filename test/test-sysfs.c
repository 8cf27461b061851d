// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules of lib/sysfs.c, the one layer that builds paths and reads and
 * writes attributes: the exact read (a value that does not fit is -EFBIG and
 * the buffer stays as it was; one exactly at the limit fits), the checked
 * snprintf (-ENAMETOOLONG), the write flags by attribute, and "live" decided
 * once from the root's filesystem, never from how its path is spelled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"
#include "macro.h"

static char *scratch(void)
{
        char *d = strdup("/tmp/test-sysfs.XXXXXX");

        if (!d || !mkdtemp(d))
                abort();
        return d;
}

static void put(const char *dir, const char *name, const char *data, size_t len)
{
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len)
                abort();
        close(fd);
}

static void rm_rf(const char *dir)
{
        char cmd[PATH_MAX + 16];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                abort();
}

static bool untouched(const char *buf, size_t size)
{
        for (size_t i = 0; i < size; i++)
                if (buf[i] != '#')
                        return false;
        return true;
}

TEST(read_exact)
{
        char *d = scratch(), path[PATH_MAX], buf[8];
        size_t len = 99;

        put(d, "seven", "1234567", 7);
        snprintf(path, sizeof(path), "%s/seven", d);
        /* Exactly at the limit: seven bytes and the NUL in eight. */
        memset(buf, '#', sizeof(buf));
        CHECK_INT(vc_sysfs_read(path, buf, 8, &len), 0);
        CHECK(strcmp(buf, "1234567") == 0 && len == 7, "a value exactly at the limit is read whole");
        /* One byte less: too long, and the buffer is left as it was. */
        memset(buf, '#', sizeof(buf));
        len = 99;
        CHECK_INT(vc_sysfs_read(path, buf, 7, &len), -EFBIG);
        CHECK(untouched(buf, sizeof(buf)) && len == 99, "-EFBIG leaves the buffer and the length untouched");
        /* The value rule: the first line, under the same limit. */
        put(d, "value", "1234567\n", 8);
        snprintf(path, sizeof(path), "%s/value", d);
        memset(buf, '#', sizeof(buf));
        CHECK_INT(vc_sysfs_read_value(path, buf, 8), 0);
        CHECK(strcmp(buf, "1234567") == 0, "a value with its newline, exactly at the limit, fits");
        memset(buf, '#', sizeof(buf));
        CHECK_INT(vc_sysfs_read_value(path, buf, 7), -EFBIG);
        CHECK(untouched(buf, sizeof(buf)), "a value one byte too long: -EFBIG, buffer untouched");
        put(d, "two", "ab\ncd\n", 6);
        snprintf(path, sizeof(path), "%s/two", d);
        CHECK_INT(vc_sysfs_read_value(path, buf, sizeof(buf)), 0);
        CHECK(strcmp(buf, "ab") == 0, "a one-value attribute is its first line");
        rm_rf(d);
        free(d);
}

TEST(read_page)
{
        char *d = scratch(), path[PATH_MAX], *big = malloc(VC_ATTR_MAX + 1), *buf = malloc(VC_ATTR_MAX + 2);

        if (!big || !buf)
                abort();
        memset(big, 'x', VC_ATTR_MAX + 1);
        /* A full page is a sysfs attribute's largest value: it is read. */
        put(d, "page", big, VC_ATTR_MAX);
        snprintf(path, sizeof(path), "%s/page", d);
        CHECK_INT(vc_sysfs_read(path, buf, VC_ATTR_MAX + 1, NULL), 0);
        CHECK_INT(strlen(buf), VC_ATTR_MAX);
        /* One byte more is no sysfs attribute: too large, whatever the buffer. */
        put(d, "more", big, VC_ATTR_MAX + 1);
        snprintf(path, sizeof(path), "%s/more", d);
        memset(buf, '#', VC_ATTR_MAX + 2);
        CHECK_INT(vc_sysfs_read(path, buf, VC_ATTR_MAX + 2, NULL), -EFBIG);
        CHECK(untouched(buf, VC_ATTR_MAX + 2), "more than a page: -EFBIG, buffer untouched");
        snprintf(path, sizeof(path), "%s/missing", d);
        CHECK_INT(vc_sysfs_read(path, buf, 16, NULL), -ENOENT);
        rm_rf(d);
        free(big);
        free(buf);
        free(d);
}

TEST(paths)
{
        struct vc_ctx *ctx;
        char buf[64], small[40];

        SETUP(vc_ctx_new("/fake//", &ctx));
        CHECK_INT(vc_sysfs_dev_path(ctx, "0000:00:1f.2", "driver_override", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/bus/pci/devices/0000:00:1f.2/driver_override");
        CHECK_INT(vc_sysfs_dev_path(ctx, "0000:00:1f.2", NULL, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/bus/pci/devices/0000:00:1f.2");
        CHECK_INT(vc_sysfs_driver_path(ctx, "vfio-pci", "bind", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/bus/pci/drivers/vfio-pci/bind");
        CHECK_INT(vc_sysfs_group_path(ctx, 12, "devices", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/kernel/iommu_groups/12/devices");
        CHECK_INT(vc_sysfs_block_path(ctx, makedev(259, 2), NULL, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/dev/block/259:2");
        CHECK_INT(vc_sysfs_dir(ctx, VC_SYSFS_CLASS_VFIO, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/fake/class/vfio");
        CHECK_INT(vc_root_path(ctx, VC_ROOT_PROC, "self/mountinfo", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/proc/self/mountinfo");
        SETUP(vc_ctx_set_root(ctx, VC_ROOT_PROC, "/tmp/p/"));
        CHECK_INT(vc_root_path(ctx, VC_ROOT_PROC, "swaps", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/tmp/p/swaps");
        SETUP(vc_ctx_set_root(ctx, VC_ROOT_RUN, NULL));
        CHECK_INT(vc_root_path(ctx, VC_ROOT_RUN, "udev/data", buf, sizeof(buf)), -ENOENT);
        CHECK_INT(vc_ctx_set_root(ctx, VC_ROOT_SYS, "/elsewhere"), -EINVAL);
        /* snprintf truncation is an error, never a shorter path: the 34 bytes of
         * "/fake/bus/pci/devices/0000:00:1f.2" and the NUL fit in 35, not in 34. */
        memset(small, '#', sizeof(small));
        CHECK_INT(vc_sysfs_dev_path(ctx, "0000:00:1f.2", NULL, small, 34), -ENAMETOOLONG);
        CHECK_INT(vc_sysfs_dev_path(ctx, "0000:00:1f.2", "config", small, sizeof(small)), -ENAMETOOLONG);
        CHECK_INT(vc_sysfs_dev_path(ctx, "0000:00:1f.2", NULL, small, 35), 0);
        CHECK_STR(small, "/fake/bus/pci/devices/0000:00:1f.2");
        CHECK_INT(vc_sysfs_join(small, 9, "/a/b/c", "d"), 0);
        CHECK_STR(small, "/a/b/c/d");
        CHECK_INT(vc_sysfs_join(small, 8, "/a/b/c", "d"), -ENAMETOOLONG);
        vc_ctx_free(ctx);
}

TEST(write_flags)
{
        char *d = scratch(), path[PATH_MAX], buf[64];

        CHECK(vc_sysfs_attr_is_command("bind") && vc_sysfs_attr_is_command("unbind") &&
                      vc_sysfs_attr_is_command("new_id") && vc_sysfs_attr_is_command("remove_id") &&
                      vc_sysfs_attr_is_command("drivers_probe"),
              "the command attributes append");
        CHECK(!vc_sysfs_attr_is_command("driver_override") && !vc_sysfs_attr_is_command("sriov_numvfs"),
              "value attributes are replaced");
        put(d, "bind", "", 0);
        snprintf(path, sizeof(path), "%s/bind", d);
        CHECK_INT(vc_sysfs_write_path(path, "bind", "0000:01:00.0"), 0);
        CHECK_INT(vc_sysfs_write_path(path, "bind", "0000:02:00.0"), 0);
        CHECK_INT(vc_sysfs_read(path, buf, sizeof(buf), NULL), 0);
        CHECK_STR(buf, "0000:01:00.0\n0000:02:00.0\n");
        put(d, "driver_override", "a-much-longer-old-value\n", 24);
        snprintf(path, sizeof(path), "%s/driver_override", d);
        CHECK_INT(vc_sysfs_write_path(path, "driver_override", "vfio-pci"), 0);
        CHECK_INT(vc_sysfs_read(path, buf, sizeof(buf), NULL), 0);
        CHECK_STR(buf, "vfio-pci\n");
        /* No O_CREAT: a missing attribute stays missing. */
        snprintf(path, sizeof(path), "%s/unbind", d);
        CHECK_INT(vc_sysfs_write_path(path, "unbind", "0000:01:00.0"), -ENOENT);
        CHECK(access(path, F_OK) < 0, "no file was made");
        rm_rf(d);
        free(d);
}

TEST(dir_iteration)
{
        DIR *dir = NULL;
        char *d = scratch();
        const char *name;
        unsigned n = 0;

        put(d, ".hidden", "", 0);
        put(d, "0000:00:1f.2", "", 0);
        SETUP(vc_sysfs_opendir(d, &dir));
        while ((name = vc_sysfs_next(dir))) {
                CHECK(name[0] != '.', "'%s' is no dot entry", name);
                n++;
        }
        CHECK_INT(n, 1);
        closedir(dir);
        dir = NULL;
        CHECK_INT(vc_sysfs_opendir("/nonexistent/x", &dir), -ENOENT);
        rm_rf(d);
        free(d);
}

/* Live follows from the root's filesystem, decided in vc_ctx_new(): a fake
 * tree is never live however it is spelled; the real sysfs always is. */
TEST(live_once)
{
        static const char *const spellings[] = {"", "/", "//", "/.", "/./"};
        char *d = scratch(), root[PATH_MAX];
        struct statfs sfs;
        struct vc_ctx *ctx;

        for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
                snprintf(root, sizeof(root), "%s%s", d, spellings[i]);
                SETUP(vc_ctx_new(root, &ctx));
                CHECK(!vc_ctx_is_live(ctx), "a fake tree spelled '%s' is not live", root);
                vc_ctx_free(ctx);
        }
        if (statfs("/sys", &sfs) == 0 && (unsigned long)sfs.f_type == 0x62656572UL) {
                static const char *const sys[] = {"/sys", "/sys/", "/sys//", "/sys/.", "//sys"};

                for (size_t i = 0; i < ELEMENTSOF(sys); i++) {
                        SETUP(vc_ctx_new(sys[i], &ctx));
                        CHECK(vc_ctx_is_live(ctx), "the real sysfs spelled '%s' is live", sys[i]);
                        vc_ctx_free(ctx);
                }
                SETUP(vc_ctx_new(NULL, &ctx));
                CHECK(vc_ctx_is_live(ctx), "the default root is live");
                vc_ctx_free(ctx);
        } else
                t_skip("/sys is not a sysfs here");
        rm_rf(d);
        free(d);
}
