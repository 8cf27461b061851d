// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "driver auto" against modules directories made by depmod ($DEPMOD): one
 * with vfio-pci alone (its alias vfio_pci:v*d*sv*sd*bc*sc*i* matches every
 * device and must never count as a variant), one with a variant
 * fake_vfio_pci whose alias names the e1000e (8086:10d3). The e1000e gets
 * the variant, an AHCI controller vfio-pci; apply writes the variant's name
 * to driver_override; status counts the e1000e on the variant as on target.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define RELEASE "9.9.9-fake"

/* BASE/lib/modules/RELEASE with the given modules, indexed by depmod -b; the directory, malloc'd. */
static char *modules_dir(const char *const *kos)
{
        const char *depmod = getenv("DEPMOD");
        char *base = xasprintf("%s/vfio-claim-modules.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        char *dir, *cmd;

        if (!mkdtemp(base))
                t_fatal(__FILE__, __LINE__, "mkdtemp", -errno);
        dir = xasprintf("%s/lib/modules/" RELEASE, base);
        cmd = xasprintf("mkdir -p '%s/kernel'", dir);
        SETUP(system(cmd) == 0 ? 0 : -EIO);
        free(cmd);
        for (size_t i = 0; kos[i]; i++) {
                cmd = xasprintf("cp '%s' '%s/kernel/'", kos[i], dir);
                SETUP(system(cmd) == 0 ? 0 : -EIO);
                free(cmd);
        }
        cmd = xasprintf("'%s' -b '%s' " RELEASE " 2>/dev/null", depmod, base);
        SETUP(system(cmd) == 0 ? 0 : -EIO);
        free(cmd);
        free(base);
        return dir;
}

static void remove_tree(char *dir)
{
        /* dir is BASE/lib/modules/RELEASE */
        char *cmd;

        dir[strlen(dir) - strlen("/lib/modules/" RELEASE)] = 0;
        cmd = xasprintf("rm -rf '%s'", dir);
        (void)system(cmd);
        free(cmd);
        free(dir);
}

/* Whether the file in the tree holds exactly text. */
static bool file_is(struct fakesys *fs, const char *relpath, const char *text)
{
        char *got = fakesys_read(fs, relpath);
        bool ok = got && strcmp(got, text) == 0;

        if (!ok)
                t_diag("%s: '%s', expected '%s'", relpath, got ? got : "(unreadable)", text);
        free(got);
        return ok;
}

static bool have_tools(void)
{
        if (!getenv("DEPMOD") || !*getenv("DEPMOD") || !getenv("VFIO_PCI_KO") || !getenv("VARIANT_KO")) {
                t_skip("no depmod, or the fake modules were not given");
                return false;
        }
        return true;
}

/* The machine: an e1000e bound to e1000e and an AHCI controller, and the drivers. */
static struct fakesys *machine(const char *e1000e_driver)
{
        struct fakesys *fs;

        SETUP(fakesys_new(&fs));
        SETUP(fakesys_add_driver(fs, "vfio-pci"));
        SETUP(fakesys_add_driver(fs, "fake_vfio_pci"));
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:02.0",
                                                        .vendor = 0x8086,
                                                        .device = 0x10d3,
                                                        .subvendor = 0x8086,
                                                        .subdevice = 0xa01f,
                                                        .class = 0x020000,
                                                        .driver = e1000e_driver,
                                                        .group = "2"}));
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:03.0",
                                                        .vendor = 0x8086,
                                                        .device = 0x2922,
                                                        .class = 0x010601,
                                                        .driver = "ahci",
                                                        .group = "3"}));
        return fs;
}

struct run {
        struct vc_ctx *ctx;
        struct vc_config cfg;
        struct vc_devlist devs;
};

static void resolve(struct run *x, struct fakesys *fs, const char *mods, const char *rule)
{
        *x = (struct run){0};
        SETUP(vc_ctx_new(fakesys_root(fs), &x->ctx));
        SETUP(vc_ctx_set_modules_dir(x->ctx, mods));
        SETUP(vc_config_add_line(x->ctx, &x->cfg, "t", rule));
        SETUP(vc_pci_enumerate(x->ctx, &x->cfg, &x->devs));
        SETUP(vc_resolve(x->ctx, &x->cfg, &x->devs));
}

static void finish(struct run *x)
{
        vc_devlist_clear(&x->devs);
        vc_config_clear(&x->cfg);
        vc_ctx_free(x->ctx);
}

TEST(with_variant)
{
        const char *kos[] = {getenv("VFIO_PCI_KO"), getenv("VARIANT_KO"), NULL};
        struct fakesys *fs;
        struct run x;
        char *mods;

        if (!have_tools())
                return;
        mods = modules_dir(kos);
        fs = machine("e1000e");
        resolve(&x, fs, mods, "id 8086: driver auto");
        CHECK_INT(x.devs.n, 2);
        CHECK_STR(vc_dev_target(&x.devs.devs[0]), "fake_vfio_pci");
        CHECK_STR(vc_dev_target(&x.devs.devs[1]), "vfio-pci");
        CHECK_STR(x.cfg.rules[0].driver, "vfio-pci");
        SETUP(vc_apply(x.ctx, &x.cfg, &x.devs, NULL, 0, VC_APPLY_NEW_ID, NULL));
        CHECK(file_is(fs, "bus/pci/devices/0000:00:02.0/driver_override", "fake_vfio_pci\n"),
              "apply: the e1000e's override names the variant");
        CHECK(file_is(fs, "bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci\n"),
              "apply: the AHCI's override names vfio-pci");
        CHECK(file_is(fs, "bus/pci/drivers/fake_vfio_pci/bind", "0000:00:02.0\n"), "apply binds the variant");
        CHECK(!fakesys_exists(fs, "bus/pci/drivers/vfio-pci/new_id") ||
                      file_is(fs, "bus/pci/drivers/vfio-pci/new_id", ""),
              "no new_id for a driver auto rule");
        finish(&x);
        fakesys_free(fs);

        /* status: the e1000e on the variant is where the rule wants it. */
        fs = machine("fake_vfio_pci");
        resolve(&x, fs, mods, "id 8086:10d3 driver auto");
        {
                struct vc_dev_status st;

                SETUP(vc_dev_status(x.ctx, &x.devs, &x.devs.devs[0], &st));
                CHECK(st.on_target, "a device on its variant driver counts as claimed");
        }
        finish(&x);
        fakesys_free(fs);
        remove_tree(mods);
}

TEST(without_variant)
{
        const char *kos[] = {getenv("VFIO_PCI_KO"), NULL};
        struct fakesys *fs;
        struct run x;
        char *mods, name[VC_DRIVER_MAX] = "";

        if (!have_tools())
                return;
        mods = modules_dir(kos);
        fs = machine("e1000e");
        resolve(&x, fs, mods, "id 8086: driver auto");
        CHECK_INT(vc_variant_lookup(x.ctx, &x.devs.devs[0], name, sizeof(name)), 0);
        CHECK_STR(vc_dev_target(&x.devs.devs[0]), "vfio-pci");
        CHECK(strcmp(vc_dev_target(&x.devs.devs[0]), "vfio_pci") != 0, "vfio-pci's own wildcard alias is no variant");
        CHECK_STR(vc_dev_target(&x.devs.devs[1]), "vfio-pci");
        finish(&x);
        fakesys_free(fs);
        remove_tree(mods);
}

/* check's "vfs" for a PF without a driver: the module udev (and apply) would load for it. */
TEST(host_module_of_a_pf)
{
        const char *kos[] = {getenv("VFIO_PCI_KO"), getenv("VARIANT_KO"), getenv("NVME_KO"), NULL};
        struct fakesys *fs;
        struct run x;
        char *mods, name[VC_DRIVER_MAX] = "";

        if (!have_tools() || !getenv("NVME_KO")) {
                t_skip("no fake nvme module");
                return;
        }
        mods = modules_dir(kos);
        fs = machine(NULL);
        SETUP(fakesys_add_device(fs, &(struct fake_dev){.addr = "0000:00:04.0",
                                                        .vendor = 0x1b36,
                                                        .device = 0x0010,
                                                        .subvendor = 0x1af4,
                                                        .subdevice = 0x1100,
                                                        .class = 0x010802,
                                                        .group = "4"}));
        resolve(&x, fs, mods, "address 00:04.0 vfs 2");
        CHECK_INT(x.devs.n, 3);
        CHECK_INT(vc_host_module_lookup(x.ctx, &x.devs.devs[2], name, sizeof(name)), 1);
        CHECK_STR(name, "fake_nvme");
        name[0] = 0;
        CHECK_INT(vc_host_module_lookup(x.ctx, &x.devs.devs[0], name, sizeof(name)), 0);
        CHECK(name[0] == 0, "no host module for the e1000e: '%s' (its variant's vfio_pci: alias is no host module)",
              name);
        finish(&x);
        fakesys_free(fs);
        remove_tree(mods);
}
