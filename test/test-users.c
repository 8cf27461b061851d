// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Users of a device before claim or release takes it (issue #21): network
 * interfaces up or enslaved, processes holding its nodes open (fake
 * PROC/PID/fd links), --force, and the deadline of a runtime unbind that
 * never returns (the block-bind shim with BLOCK_BIND_NAME=unbind).
 *
 * The fake dev root holds plain files, no device nodes (mknod needs root):
 * an fd is then matched by the node's name. Where a test wants the match by
 * MAJ:MIN, its dev root entry is a symlink to a real node of this machine
 * (/dev/null, /dev/zero), which stat() follows.
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

#define AHCI_UNBIND "bus/pci/drivers/ahci/unbind"
#define VFIO_UNBIND "bus/pci/drivers/vfio-pci/unbind"
#define AHCI        "0000:00:03.0"

static void mkdir_p(const char *path)
{
        char *p = strdup(path);

        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        (void)mkdir(p, 0755);
                        *s = '/';
                }
        (void)mkdir(p, 0755);
        free(p);
}

/* A file under the device's sysfs directory (parents made). */
static void devfile(struct tenv *e, const char *addr, const char *rel, const char *text)
{
        char *path = xasprintf("%s/%s/%s", fakesys_root(e->fs), fakesys_dev_dir(e->fs, addr), rel);
        char *dir = strdup(path);
        FILE *f;

        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        free(dir);
        free(path);
}

/* A node under the dev root: a plain file, or (real) a symlink to a real node. */
static void devnode(struct tenv *e, const char *rel, const char *real)
{
        char *path = xasprintf("%s/%s", e->dev, rel), *dir = strdup(path);

        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        if (real)
                SETUP(symlink(real, path));
        else
                free(tenv_file(e, path + strlen(e->dir) + 1, ""));
        free(dir);
        free(path);
}

/* Process pid with comm, and fd N a link to target; cmdline NUL-separated (len bytes). */
static void proc_fd(struct tenv *e, int pid, const char *comm, int fd, const char *target)
{
        char *rel = xasprintf("proc/%d/comm", pid), *c = xasprintf("%s\n", comm), *dir, *link;

        free(tenv_file(e, rel, c));
        dir = xasprintf("%s/proc/%d/fd", e->dir, pid);
        mkdir_p(dir);
        link = xasprintf("%s/%d", dir, fd);
        SETUP(symlink(target, link));
        free(rel);
        free(c);
        free(dir);
        free(link);
}

static void proc_cmdline(struct tenv *e, int pid, const char *args, size_t len)
{
        char *path = xasprintf("%s/proc/%d/cmdline", e->dir, pid);
        FILE *f = fopen(path, "w");

        if (!f || fwrite(args, 1, len, f) != len || fclose(f) != 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        free(path);
}

static struct tenv *machine(void)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        return e;
}

static void claimed(struct tenv *e, const char *addr)
{
        char *rel = xasprintf("bus/pci/devices/%s/driver_override", addr);

        SETUP(fakesys_write(e->fs, rel, "vfio-pci\n"));
        SETUP(fakesys_set_driver(e->fs, addr, "vfio-pci"));
        free(rel);
}

static bool unbound_from_ahci(struct tenv *e)
{
        return strcmp(tread(e, AHCI_UNBIND), AHCI "\n") == 0;
}

TEST(interface_up_refused)
{
        struct tenv *e = machine();
        struct result r = {0};

        devfile(e, AHCI, "net/eth0/flags", "0x1003\n");
        devfile(e, AHCI, "net/eth0/address", "52:54:00:12:34:56\n");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1, "claim exits 1");
        CHECK_RUN(&r,
                  contains(r.err, "0000:00:03.0 [8086:2922] is in use: network interface eth0 is up, address "
                                  "52:54:00:12:34:56; not claiming it (use --force)"),
                  "it names the device, eth0 and its address, and says --force");
        CHECK(!unbound_from_ahci(e), "nothing written to ahci's unbind");
        CHECK(strcmp(tattr(e, AHCI, "driver_override"), "(null)\n") == 0, "no override: '%s'",
              tattr(e, AHCI, "driver_override"));
        result_clear(&r);
        tenv_free(e);
}

/* IFF_UP is bit 0: 0x1002 (BROADCAST|MULTICAST, down) is no user; a NIC with a link but down neither. */
TEST(interface_down_is_no_user)
{
        struct tenv *e = machine();
        struct result r = {0};

        devfile(e, AHCI, "net/eth0/flags", "0x1002\n");
        devfile(e, AHCI, "net/eth0/operstate", "up\n");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, !contains(r.err, "in use"), "a down interface is not in use");
        CHECK_RUN(&r, unbound_from_ahci(e), "claim takes it");
        result_clear(&r);
        tenv_free(e);
}

TEST(interface_enslaved_refused)
{
        struct tenv *e = machine();
        struct result r = {0};
        char *link;

        devfile(e, AHCI, "net/eth1/flags", "0x1002\n");
        link = xasprintf("%s/%s/net/eth1/master", fakesys_root(e->fs), fakesys_dev_dir(e->fs, AHCI));
        SETUP(symlink("../../../../virtual/net/br0", link));
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is in use: network interface eth1 is enslaved to br0"),
                  "a bridge port is in use, down or not");
        CHECK(!unbound_from_ahci(e), "not taken");
        free(link);
        result_clear(&r);
        tenv_free(e);
}

TEST(interface_up_force)
{
        struct tenv *e = machine();
        struct result r = {0};

        devfile(e, AHCI, "net/eth0/flags", "0x1003\n");
        tenv_run(e, &r, "claim", "--force", "00:03.0", NULL);
        CHECK_RUN(&r,
                  contains(r.err,
                           "is in use: network interface eth0 is up; claiming it anyway (--force): that user loses it"),
                  "--force says what it breaks");
        CHECK_RUN(&r, unbound_from_ahci(e), "--force takes it");
        result_clear(&r);
        tenv_free(e);
}

/* A partition, not mounted, held by a process (a VM on a raw disk, a database). */
TEST(partition_open_refused)
{
        struct tenv *e = machine();
        struct result r = {0};

        SETUP(fakesys_add_block(e->fs, AHCI, "sda", 8, 0, NULL));
        SETUP(fakesys_add_block(e->fs, AHCI, "sda/sda1", 8, 1, NULL));
        devnode(e, "sda", NULL);
        devnode(e, "sda1", NULL);
        proc_fd(e, 77, "sleep", 0, "/dev/sda1");
        proc_fd(e, 78, "bash", 1, "/dev/pts/0");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is in use: /dev/sda1 is open in PID 77 (sleep); not claiming it"),
                  "claim names the partition and its holder");
        CHECK_RUN(&r, !contains(r.err, "PID 78"), "a process with other files open is no user");
        CHECK(!unbound_from_ahci(e), "not taken");
        result_clear(&r);
        tenv_free(e);
}

/* nvme's char device, DRM, sound, framebuffer: every node below the device. */
TEST(char_nodes_open_refused)
{
        static const struct {
                const char *dir, *devname, *majmin;
                int pid;
        } nodes[] = {
                {"nvme/nvme0", "nvme0", "243:0", 101},
                {"drm/card0", "dri/card0", "226:0", 102},
                {"drm/renderD128", "dri/renderD128", "226:128", 103},
                {"sound/card0/controlC0", "snd/controlC0", "116:2", 104},
                {"graphics/fb0", "fb0", "29:0", 105},
        };
        struct tenv *e = machine();
        struct result r = {0};

        for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                char *rel = xasprintf("%s/dev", nodes[i].dir), *ue = xasprintf("%s/uevent", nodes[i].dir);
                char *v = xasprintf("%s\n", nodes[i].majmin),
                     *uv = xasprintf("MAJOR=1\nDEVNAME=%s\n", nodes[i].devname);
                char *target = xasprintf("/dev/%s", nodes[i].devname);

                devfile(e, AHCI, rel, v);
                devfile(e, AHCI, ue, uv);
                devnode(e, nodes[i].devname, NULL);
                proc_fd(e, nodes[i].pid, "holder", 3, target);
                free(rel), free(ue), free(v), free(uv), free(target);
        }
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1, "claim exits 1");
        for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                char *want = xasprintf("is in use: /dev/%s is open in PID %d (holder)", nodes[i].devname, nodes[i].pid);

                CHECK_RUN(&r, contains(r.err, want), "names %s", want);
                free(want);
        }
        CHECK(!unbound_from_ahci(e), "not taken");
        result_clear(&r);
        tenv_free(e);
}

/* By MAJ:MIN, not by name: /dev/weird is the node sysfs names dri/card0 (same
 * rdev), and /dev/dri/card0 here is another node (other rdev). */
TEST(match_by_majmin)
{
        struct tenv *e = machine();
        struct result r = {0};
        struct stat null_st;
        char *v;

        if (stat("/dev/null", &null_st) < 0 || !S_ISCHR(null_st.st_mode) || stat("/dev/zero", &null_st) < 0) {
                t_skip("no /dev/null and /dev/zero here");
                tenv_free(e);
                return;
        }
        SETUP(stat("/dev/null", &null_st));
        v = xasprintf("%u:%u\n", major(null_st.st_rdev), minor(null_st.st_rdev));
        devfile(e, AHCI, "drm/card0/dev", v);
        devfile(e, AHCI, "drm/card0/uevent", "DEVNAME=dri/card0\n");
        devnode(e, "weird", "/dev/null");
        devnode(e, "dri/card0", "/dev/zero");
        proc_fd(e, 201, "renamed", 5, "/dev/weird");
        proc_fd(e, 202, "samename", 5, "/dev/dri/card0");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "/dev/dri/card0 is open in PID 201 (renamed)"),
                  "the node under another name matches by MAJ:MIN");
        CHECK_RUN(&r, !contains(r.err, "PID 202"), "a node of the same name but another MAJ:MIN does not");
        free(v);
        result_clear(&r);
        tenv_free(e);
}

static void qemu_holding_group(struct tenv *e)
{
        static const char cmd[] = "qemu-system-x86_64\0-name\0guest=win10,debug-threads=on\0-m\0512";

        SETUP(fakesys_set_vfio_kernel(e->fs, true, false));
        claimed(e, AHCI);
        devnode(e, "vfio/4", NULL);
        proc_fd(e, 900, "qemu-system-x86", 12, "/dev/vfio/4");
        proc_cmdline(e, 900, cmd, sizeof(cmd));
}

TEST(release_vfio_open_refused)
{
        struct tenv *e = machine();
        struct result r = {0};

        qemu_holding_group(e);
        tenv_run(e, &r, "release", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1, "release exits 1");
        CHECK_RUN(&r,
                  contains(r.err, "0000:00:03.0 [8086:2922] is in use: /dev/vfio/4 is open in PID 900 "
                                  "(qemu-system-x86, VM win10); not releasing it (use --force)"),
                  "it names QEMU's PID and its VM");
        CHECK(!*tread(e, VFIO_UNBIND), "nothing written to vfio-pci's unbind");
        CHECK(strcmp(tattr(e, AHCI, "driver_override"), "vfio-pci\n") == 0, "the override stays");
        result_clear(&r);
        tenv_free(e);
}

TEST(release_vfio_open_force)
{
        struct tenv *e = machine();
        struct result r = {0};

        qemu_holding_group(e);
        tenv_run(e, &r, "release", "--force", "00:03.0", NULL);
        CHECK_RUN(&r, contains(r.err, "releasing it anyway (--force)"), "--force says so");
        CHECK(strcmp(tread(e, VFIO_UNBIND), AHCI "\n") == 0, "--force unbinds it");
        result_clear(&r);
        tenv_free(e);
}

/* A process names itself (comm, QEMU's -name): control characters never reach the log or the terminal. */
TEST(user_text_printable)
{
        static const char cmd[] = "qemu-system-x86_64\0-name\0guest=a\nvfio-claim: forged\033[2J\0-m\0512";
        struct tenv *e = machine();
        struct result r = {0};

        SETUP(fakesys_set_vfio_kernel(e->fs, true, false));
        claimed(e, AHCI);
        devnode(e, "vfio/4", NULL);
        proc_fd(e, 902, "x\033]0;pwned\007y", 12, "/dev/vfio/4");
        proc_cmdline(e, 902, cmd, sizeof(cmd));
        tenv_run(e, &r, "release", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is open in PID 902 (x?]0;pwned?y, VM a?vfio-claim: forged?[2J)"),
                  "comm and the VM name with control characters as '?'");
        CHECK_RUN(&r, !strchr(r.err, '\033'), "no escape character on stderr");
        result_clear(&r);
        tenv_free(e);
}

/* A file under /dev/shm (any user may mount FUSE there) is never looked up. */
TEST(user_writable_dev_dirs_skipped)
{
        struct tenv *e = machine();
        struct result r = {0};

        struct stat null_st;
        char *v;

        if (stat("/dev/null", &null_st) < 0 || !S_ISCHR(null_st.st_mode)) {
                t_skip("no /dev/null here");
                tenv_free(e);
                return;
        }
        /* Under /dev/shm a file with the MAJ:MIN of the device's DRM node: it would match, were it looked up. */
        v = xasprintf("%u:%u\n", major(null_st.st_rdev), minor(null_st.st_rdev));
        devfile(e, AHCI, "drm/card0/dev", v);
        devfile(e, AHCI, "drm/card0/uevent", "DEVNAME=dri/card0\n");
        devnode(e, "shm/held", "/dev/null");
        devnode(e, "other", "/dev/null");
        proc_fd(e, 903, "fuse-holder", 3, "/dev/shm/held");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, !contains(r.err, "PID 903"), "a file under /dev/shm is never looked up");
        proc_fd(e, 904, "holder", 3, "/dev/other");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is open in PID 904 (holder)"),
                  "the same node elsewhere under /dev is (the fixture can match)");
        free(v);
        result_clear(&r);
        tenv_free(e);
}

/* A node of another device is nobody's business here. */
TEST(release_other_group_open)
{
        struct tenv *e = machine();
        struct result r = {0};

        SETUP(fakesys_set_vfio_kernel(e->fs, true, false));
        claimed(e, AHCI);
        devnode(e, "vfio/7", NULL);
        proc_fd(e, 901, "qemu-system-x86", 12, "/dev/vfio/7");
        tenv_run(e, &r, "release", "00:03.0", NULL);
        CHECK_RUN(&r, !contains(r.err, "in use"), "QEMU with another group is no user");
        CHECK(strcmp(tread(e, VFIO_UNBIND), AHCI "\n") == 0, "released");
        result_clear(&r);
        tenv_free(e);
}

TEST(timeout_usage)
{
        struct tenv *e = machine();
        struct result r = {0};

        tenv_run(e, &r, "release", "--timeout", "ten", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == T_EXIT_USAGE && contains(r.err, "--timeout ten: not a duration"),
                  "a bad --timeout is a usage error");
        result_clear(&r);
        tenv_free(e);
}

/* ---- the deadline: the shim blocks every open of a file named $BLOCK_BIND_NAME ---- */

static bool run_blocked(struct tenv *e, struct result *r, const char *name, const char *const *args, double *took)
{
        const char *shim = getenv("BLOCK_BIND_SHIM"), *asan = getenv("ASAN_OPTIONS");
        char *preload, *asan_options, *block, **env;
        const char *argv[32];
        double t0;
        size_t n;

        if (!shim || !*shim) {
                t_skip("no $BLOCK_BIND_SHIM");
                return false;
        }
        preload = xasprintf("LD_PRELOAD=%s", shim);
        asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        block = xasprintf("BLOCK_BIND_NAME=%s", name);
        env = t_environ((const char *const[]){preload, asan_options, block, NULL});
        n = tenv_argv(e, argv);
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        t0 = t_now();
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir, .env = env, .timeout = 20});
        *took = t_now() - t0;
        free(preload);
        free(asan_options);
        free(block);
        free(env);
        return true;
}

TEST(release_unbind_hangs)
{
        struct tenv *e = machine();
        struct result r = {0};
        double took;

        claimed(e, AHCI);
        if (run_blocked(e, &r, "unbind", (const char *const[]){"release", "--timeout", "300ms", "00:03.0", NULL},
                        &took)) {
                CHECK_RUN(&r, r.code == 1, "release exits 1 past the deadline");
                CHECK_RUN(&r, took >= 0.3 && took < 5, "it returns at the deadline (%.2f s)", took);
                CHECK_RUN(&r,
                          contains(r.err, "release: a write to sysfs did not return within 300 ms; it hangs in the "
                                          "kernel at: \"0000:00:03.0 [8086:2922]: unbinding from vfio-pci\""),
                          "it names the unbind that hangs");
                CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922] now: on vfio-pci, driver_override not set"),
                          "it says the state the device is in");
                CHECK_RUN(&r, contains(r.err, "the kernel may still finish that write later"),
                          "and that the kernel may still finish it");
        }
        result_clear(&r);
        tenv_free(e);
}

TEST(claim_bind_hangs)
{
        struct tenv *e = machine();
        struct result r = {0};
        double took;

        if (run_blocked(e, &r, "bind", (const char *const[]){"claim", "--timeout", "300ms", "00:03.0", NULL}, &took)) {
                CHECK_RUN(&r, r.code == 1 && took < 5, "claim exits 1 at the deadline (%.2f s)", took);
                CHECK_RUN(&r, contains(r.err, "claim: a write to sysfs did not return within 300 ms"),
                          "it says the deadline passed");
                CHECK_RUN(&r,
                          contains(r.err, "now: on no driver, driver_override vfio-pci") ||
                                  contains(r.err, "now: on ahci, driver_override vfio-pci"),
                          "and where the device is");
        }
        result_clear(&r);
        tenv_free(e);
}

/* NVMe multipath: /dev/nvme0n1 is the head in nvme-subsystem, and only its
 * multipath/ link leads to the hidden path disk below the controller. */
TEST(nvme_multipath_head_open_refused)
{
        struct tenv *e = machine();
        struct result r = {0};
        const char *root = fakesys_root(e->fs), *dev = fakesys_dev_dir(e->fs, AHCI);
        char *head = xasprintf("%s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", root);
        char *mp = xasprintf("%s/multipath", head), *blk = xasprintf("%s/block", root);
        char *link = xasprintf("%s/nvme0c0n1", mp), *target = xasprintf("%s/%s/nvme/nvme0/nvme0c0n1", root, dev);
        char *blink = xasprintf("%s/nvme0n1", blk), *f;

        devfile(e, AHCI, "nvme/nvme0/nvme0c0n1/uevent", "DEVTYPE=disk\n");
        mkdir_p(mp);
        mkdir_p(blk);
        SETUP(symlink(target, link));
        SETUP(symlink(head, blink));
        f = xasprintf("%s/dev", head);
        FILE *fp = fopen(f, "w");
        if (!fp || fputs("259:0\n", fp) < 0 || fclose(fp) != 0)
                t_fatal(__FILE__, __LINE__, f, -errno);
        devnode(e, "nvme0n1", NULL);
        proc_fd(e, 55, "postgres", 7, "/dev/nvme0n1");
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "is in use: /dev/nvme0n1 is open in PID 55 (postgres)"),
                  "the multipath head's holder is named");
        CHECK(!unbound_from_ahci(e), "not taken");
        free(head), free(mp), free(blk), free(link), free(target), free(blink), free(f);
        result_clear(&r);
        tenv_free(e);
}
