// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fixture fidelity: the fake tree of test/fakesys.c must have the shape the
 * real kernel's sysfs has, for every entry vfio-claim reads. The vm suite's
 * sriov-vfs boot recorded that shape on Debian's 6.1 with test/vm/sysfs-shape
 * into test/sysfs-shape-6.1.txt (and fails when a boot differs from it);
 * here the same script walks a fake tree of the same machine, built the way
 * that boot ends, and the two must agree line by line: an entry one side has
 * and the other lacks, a file where the other has a link or directory, a
 * link whose target has another shape, a config of another size, each fails
 * and is named.
 *
 * Environment (meson sets both): SHAPE_SCRIPT, test/vm/sysfs-shape;
 * SHAPE_RECORD, test/sysfs-shape-6.1.txt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/*
 * The sriov-vfs boot (test/vm/run-vm-tests): QEMU's q35 with intel-iommu,
 * the twin AHCI at 00:03.0, a pcie-root-port with QEMU's SR-IOV NVMe behind
 * it. IDs and classes as the boot's @@DEV lines and lspci show them; the
 * conventional functions on the root bus (ich9-ahci and friends) have 256
 * bytes of config, the PCIe ones 4096. Only the NVMe offers a reset
 * (reset_method "flr"), its VFs too.
 */
static const char machine[] = "driver vfio-pci\n"
                              "dev 0000:00:00.0 8086:29c0 1af4:1100 060000 group=0 config=256\n"
                              "dev 0000:00:01.0 1b36:000c 1b36:0000 060400 driver=pcieport group=1 slot=0\n"
                              "dev 0000:01:00.0 1b36:0010 1af4:1100 010802 driver=nvme group=2 parent=0000:00:01.0 "
                              "sriov=2,1,1 reset=flr\n"
                              "dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=ahci group=3 config=256\n"
                              "dev 0000:00:1f.0 8086:2918 1af4:1100 060100 group=4 config=256\n"
                              "dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=4 config=256\n"
                              "dev 0000:00:1f.3 8086:2930 1af4:1100 0c0500 group=4 config=256\n";

static const char *const shape_addrs[] = {"0000:00:01.0", "0000:00:03.0", "0000:00:1f.2",
                                          "0000:01:00.0", "0000:01:00.1", "0000:01:00.2"};

/* What apply did in that boot, done the way the kernel would. */
static struct fakesys *boot_tree(bool cdev)
{
        struct fakesys *fs;
        unsigned line = 0;
        char *numvfs;
        int r;

        SETUP(fakesys_new(&fs));
        r = fakesys_apply_spec(fs, machine, &line);
        if (r < 0) {
                printf("# machine spec line %u\n", line);
                t_fatal(__FILE__, __LINE__, "fakesys_apply_spec", r);
        }
        SETUP(fakesys_set_vfio_kernel(fs, true, cdev));
        /* 00:03.0: the override, ahci's unbind, vfio-pci's bind. */
        SETUP(fakesys_write(fs, "bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci\n"));
        SETUP(fakesys_set_driver(fs, "0000:00:03.0", "vfio-pci"));
        /* The PF: autoprobe 0, two VFs, autoprobe back to 1; the VFs' overrides and binds. */
        SETUP(fakesys_write(fs, "bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe", "0\n"));
        numvfs = xasprintf("%s/bus/pci/devices/0000:01:00.0/sriov_numvfs", fakesys_root(fs));
        SETUP(fakesys_kernel_write(numvfs, "2\n", 2));
        free(numvfs);
        SETUP(fakesys_write(fs, "bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe", "1\n"));
        for (int k = 1; k <= 2; k++) {
                char *addr = xasprintf("0000:01:00.%d", k),
                     *ovr = xasprintf("bus/pci/devices/%s/driver_override", addr);

                SETUP(fakesys_write(fs, ovr, "vfio-pci\n"));
                SETUP(fakesys_set_driver(fs, addr, "vfio-pci"));
                free(addr);
                free(ovr);
        }
        return fs;
}

struct shape {
        char **path, **what; /* "bus/pci/devices/X/driver", "link ../../../bus/pci/drivers/ahci" */
        size_t n;
};

static void shape_clear(struct shape *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->path[i]);
                free(s->what[i]);
        }
        free(s->path);
        free(s->what);
        *s = (struct shape){0};
}

/* Lines "PATH KIND [DETAIL]"; '#' lines and blank ones skipped. */
static int shape_parse(const char *text, struct shape *ret)
{
        struct shape s = {0};

        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                const char *sp = memchr(p, ' ', len);

                if (len > 0 && *p != '#') {
                        if (!sp || sp == p) {
                                shape_clear(&s);
                                return -EINVAL;
                        }
                        s.path = realloc(s.path, (s.n + 1) * sizeof(char *));
                        s.what = realloc(s.what, (s.n + 1) * sizeof(char *));
                        if (!s.path || !s.what)
                                t_fatal(__FILE__, __LINE__, "realloc", -ENOMEM);
                        s.path[s.n] = strndup(p, (size_t)(sp - p));
                        s.what[s.n] = strndup(sp + 1, len - (size_t)(sp + 1 - p));
                        if (!s.path[s.n] || !s.what[s.n])
                                t_fatal(__FILE__, __LINE__, "strndup", -ENOMEM);
                        s.n++;
                }
                p += len + (p[len] == '\n');
        }
        *ret = s;
        return 0;
}

static const char *kind_name(const char *what)
{
        return strncmp(what, "link", 4) == 0 ? "a link" : strncmp(what, "dir", 3) == 0 ? "a directory" : "a file";
}

/*
 * One line per difference between the kernel's record k and the fake tree f
 * (both sorted by path, as sysfs-shape prints them), into out; returns how many.
 */
static size_t shape_diff(const struct shape *k, const struct shape *f, FILE *out)
{
        size_t i = 0, j = 0, n = 0;

        while (i < k->n || j < f->n) {
                int c = i >= k->n ? 1 : j >= f->n ? -1 : strcmp(k->path[i], f->path[j]);

                if (c < 0) {
                        fprintf(out, "only in the kernel: %s (%s)\n", k->path[i], k->what[i]);
                        i++;
                } else if (c > 0) {
                        fprintf(out, "only in the fake tree: %s (%s)\n", f->path[j], f->what[j]);
                        j++;
                } else {
                        bool same = strcmp(k->what[i], f->what[j]) == 0;

                        if (!same && strcmp(kind_name(k->what[i]), kind_name(f->what[j])) != 0)
                                fprintf(out, "%s: the kernel has %s, the fake tree %s\n", k->path[i],
                                        kind_name(k->what[i]), kind_name(f->what[j]));
                        else if (!same)
                                fprintf(out, "%s: the kernel has \"%s\", the fake tree \"%s\"\n", k->path[i],
                                        k->what[i], f->what[j]);
                        i++;
                        j++;
                        if (same)
                                continue;
                }
                n++;
        }
        return n;
}

/* sysfs-shape over the fake tree. */
static char *fake_shape(struct fakesys *fs)
{
        const char *script = getenv("SHAPE_SCRIPT");
        const char *args[16] = {script, fakesys_root(fs)};
        size_t n = 2;
        struct result r = {0};
        char *out;

        for (size_t i = 0; i < sizeof(shape_addrs) / sizeof(shape_addrs[0]); i++)
                args[n++] = shape_addrs[i];
        args[n] = NULL;
        t_run_prog(&r, "/bin/sh", args, NULL);
        if (!CHECK_RUN(&r, r.code == 0 && r.out[0], "sysfs-shape runs on the fake tree"))
                t_fatal(__FILE__, __LINE__, "sysfs-shape", -EIO);
        out = r.out;
        r.out = NULL;
        result_clear(&r);
        return out;
}

static void load_record(struct shape *ret)
{
        const char *path = getenv("SHAPE_RECORD");
        char *text = path ? t_slurp(path) : NULL;

        if (!text || !*text || shape_parse(text, ret) < 0 || ret->n == 0)
                t_fatal(__FILE__, __LINE__, path ? path : "$SHAPE_RECORD unset", -EINVAL);
        free(text);
}

/* The differences as text, malloc'd. */
static char *diff_text(const struct shape *k, const struct shape *f, size_t *ret_n)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);

        if (!m)
                t_fatal(__FILE__, __LINE__, "open_memstream", -ENOMEM);
        *ret_n = shape_diff(k, f, m);
        fclose(m);
        return buf;
}

TEST(fake_tree_has_the_kernels_shape)
{
        struct fakesys *fs = boot_tree(false);
        struct shape rec = {0}, fake = {0};
        char *text = fake_shape(fs), *d;
        size_t n;

        load_record(&rec);
        SETUP(shape_parse(text, &fake));
        d = diff_text(&rec, &fake, &n);
        if (!CHECK(n == 0, "the fake tree of the sriov-vfs boot has the shape of Debian's 6.1 (%zu differences)", n))
                t_diag_text("differences", d);
        free(d);
        free(text);
        shape_clear(&rec);
        shape_clear(&fake);
        fakesys_free(fs);
}

/* The comparison sees what it must: a cdev kernel's tree (CONFIG_VFIO_DEVICE_CDEV)
 * differs from 6.1's by exactly the dev file of each vfio-dev/vfioN. */
TEST(cdev_kernel_differs_by_dev_files)
{
        struct fakesys *fs = boot_tree(true);
        struct shape rec = {0}, fake = {0};
        char *text = fake_shape(fs), *d;
        size_t n, devs = 0;

        load_record(&rec);
        SETUP(shape_parse(text, &fake));
        d = diff_text(&rec, &fake, &n);
        for (const char *p = d; (p = strstr(p, "only in the fake tree: ")); p++) {
                const char *path = p + strlen("only in the fake tree: ");
                size_t len = strcspn(path, " ");

                if (len > 19 && strncmp(path + len - 19, "/vfio-dev/vfioN/dev", 19) == 0)
                        devs++;
        }
        if (!CHECK(n == 3 && devs == 3, "3 differences, each a vfio-dev/vfioN/dev only in the fake tree (%zu, %zu)", n,
                   devs))
                t_diag_text("differences", d);
        free(d);
        free(text);
        shape_clear(&rec);
        shape_clear(&fake);
        fakesys_free(fs);
}

/* The comparison itself on hand-made shapes: each kind of difference is named. */
TEST(diff_names_each_difference)
{
        struct shape k = {0}, f = {0};
        char *d;
        size_t n;

        SETUP(shape_parse("# comment\n"
                          "a dir\n"
                          "a/config file size=256\n"
                          "a/driver link ../x/ahci\n"
                          "a/only-k file\n"
                          "a/power dir\n",
                          &k));
        SETUP(shape_parse("a dir\n"
                          "a/config file size=4096\n"
                          "a/driver file\n"
                          "a/only-f link ../y\n"
                          "a/power dir\n",
                          &f));
        d = diff_text(&k, &f, &n);
        CHECK(n == 4, "4 differences (%zu)", n);
        CHECK(contains(d, "a/config: the kernel has \"file size=256\", the fake tree \"file size=4096\""),
              "a config of another size");
        CHECK(contains(d, "a/driver: the kernel has a link, the fake tree a file"), "a file where a link is");
        CHECK(contains(d, "only in the kernel: a/only-k (file)"), "an entry the fake tree lacks");
        CHECK(contains(d, "only in the fake tree: a/only-f (link ../y)"), "an entry the kernel lacks");
        free(d);
        shape_clear(&k);
        shape_clear(&f);
}
