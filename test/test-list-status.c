// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim list and status against fake sysfs trees: what they show, their
 * --json documents, status's exit code and the boot log it reads. Both only
 * read: every run also compares the whole tree before and after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

/* Runs a read-only verb and checks that it wrote nothing to the tree. */
static void ro_run(struct tenv *e, struct result *r, const char *verb, const char *opt)
{
        struct fakesys_snapshot before, after;

        tsnap(e, &before);
        if (opt)
                tenv_run(e, r, opt, verb, NULL);
        else
                tenv_run(e, r, verb, NULL);
        tsnap(e, &after);
        CHECK_CHANGES(e, &before, &after, "read-only verb writes nothing", NULL);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
}

/* The lines list prints for one device: its header line and the indented ones after it. */
static char *block_of(const char *out, const char *addr)
{
        size_t n = strlen(addr);

        for (const char *p = out; p && *p;) {
                if (strncmp(p, addr, n) == 0 && p[n] == ' ') {
                        const char *end = strchr(p, '\n');

                        while (end && end[1] == '\t')
                                end = strchr(end + 1, '\n');
                        return strndup(p, end ? (size_t)(end - p + 1) : strlen(p));
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return strdup("");
}

TEST(list_human)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *b, *want;

        tenv_machine(e);
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:04.0/driver_override", "pci-stub\n"));
        tenv_config(e, "address 01:00.0 group\nid 8086:2922 subsystem 1af4:1100 driver pci-stub\n");
        ro_run(e, &r, "list", NULL);
        CHECK_RUN(&r, r.code == 0, "list exits 0");
        CHECK_RUN(&r, count(r.out, "\n0000:") + (strncmp(r.out, "0000:", 5) == 0) == 12,
                  "one header line per device (12)");
        /* Sorted by address, whatever the directory order. */
        CHECK_RUN(&r,
                  strstr(r.out, "0000:00:00.0 ") == r.out &&
                          strstr(r.out, "0000:00:1f.3 ") < strstr(r.out, "0000:01:00.0 ") &&
                          strstr(r.out, "0000:01:00.1 ") < strstr(r.out, "0000:02:00.0 "),
                  "devices in address order");

        b = block_of(r.out, "0000:00:1f.2");
        CHECK(contains(b, " [0106]: ") && contains(b, "[8086:2922]\n"), "class and [vendor:device] as lspci -nn: %s",
              b);
        CHECK(contains(b, "\tSubsystem: ") && contains(b, "[1af4:1100]\n"), "subsystem");
        CHECK(contains(b, "\tKernel driver in use: ahci\n"), "driver, worded as lspci -k");
        CHECK(contains(b, "\tIOMMU group: 3\n"), "IOMMU group");
        SETUP(asprintf(&want, "\tvfio-claim: %s:2 -> pci-stub\n", e->config));
        CHECK(contains(b, want), "the rule that selects it, and the target driver");
        free(want);
        CHECK(!contains(b, "Boot VGA") && !contains(b, "driver_override"), "nothing that is not there");
        free(b);

        b = block_of(r.out, "0000:01:00.1");
        SETUP(asprintf(&want, "\tvfio-claim: %s:1 -> vfio-pci, same IOMMU group as 0000:01:00.0\n", e->config));
        CHECK(contains(b, want), "a device added by 'group' says through which device: %s", b);
        free(want);
        free(b);

        b = block_of(r.out, "0000:00:02.0");
        CHECK(contains(b, "\tBoot VGA: yes\n") && !contains(b, "vfio-claim:"), "boot VGA shown, not selected: %s", b);
        free(b);
        b = block_of(r.out, "0000:01:00.0");
        CHECK(!contains(b, "Boot VGA"), "boot_vga 0 shows nothing");
        free(b);
        b = block_of(r.out, "0000:00:04.0");
        CHECK(contains(b, "\tdriver_override: pci-stub\n"), "a set driver_override is shown");
        free(b);
        b = block_of(r.out, "0000:00:00.0");
        CHECK(!contains(b, "Kernel driver in use"), "no driver line for an unbound device");
        free(b);

        /* list needs no configuration at all. */
        SETUP(unlink(e->config) < 0 ? -errno : 0);
        ro_run(e, &r, "list", NULL);
        CHECK_RUN(&r, r.code == 0 && !contains(r.out, "vfio-claim:") && r.err[0] == 0,
                  "without a configuration: exit 0, no rule column, nothing on stderr");
        result_clear(&r);
        tenv_free(e);
}

TEST(list_json)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        const char *err = NULL;
        const struct json *d, *v;
        struct json *j;
        int py;

        tenv_machine(e);
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", NULL));
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci\n"));
        tenv_config(e, "address 00:03.0\nbogus line\n");
        ro_run(e, &r, "list", "--json");
        CHECK_RUN(&r, r.code == 0, "list --json exits 0");
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j != NULL, "stdout is exactly one JSON document (%s)", err ? err : "ok");
        d = j ? json_path(j, "devices") : NULL;
        CHECK(d && d->type == JSON_ARRAY && d->n == 12, "twelve devices");
        for (size_t i = 0; d && i < d->n; i++) {
                static const char *const keys[] = {
                        "address",         "id",          "subsystem", "class", "driver",
                        "driver_override", "iommu_group", "boot_vga",  "rule",  "target_driver"};
                const struct json *dev = &d->items[i];
                bool all = dev->type == JSON_OBJECT;

                for (size_t k = 0; all && k < sizeof(keys) / sizeof(keys[0]); k++)
                        all = json_path(dev, keys[k]) != NULL;
                if (!CHECK(all, "device %zu has every field", i))
                        break;
        }
        if (d && d->n == 12) {
                /* Index 3 is 00:03.0 in address order. */
                CHECK(json_path_str(j, "devices.3.address") &&
                              strcmp(json_path_str(j, "devices.3.address"), "0000:00:03.0") == 0,
                      "devices in address order");
                CHECK(json_path_str(j, "devices.3.id") && strcmp(json_path_str(j, "devices.3.id"), "8086:2922") == 0,
                      "id");
                CHECK(json_path_str(j, "devices.3.class") && strcmp(json_path_str(j, "devices.3.class"), "010601") == 0,
                      "class");
                v = json_path(j, "devices.3.driver");
                CHECK(v && v->type == JSON_NULL, "no driver: null");
                CHECK(json_path_str(j, "devices.3.driver_override") &&
                              strcmp(json_path_str(j, "devices.3.driver_override"), "vfio-pci") == 0,
                      "driver_override");
                v = json_path(j, "devices.3.iommu_group");
                CHECK(v && v->type == JSON_NUMBER && v->num == 4, "iommu_group is a number");
                CHECK(json_path_str(j, "devices.3.rule") && contains(json_path_str(j, "devices.3.rule"), ":1"),
                      "rule origin");
                CHECK(json_path_str(j, "devices.3.target_driver") &&
                              strcmp(json_path_str(j, "devices.3.target_driver"), "vfio-pci") == 0,
                      "target driver");
                v = json_path(j, "devices.2.boot_vga");
                CHECK(v && v->type == JSON_BOOL && v->b, "00:02.0 boot_vga true");
                v = json_path(j, "devices.0.rule");
                CHECK(v && v->type == JSON_NULL, "unselected: rule null");
                v = json_path(j, "devices.0.driver_override");
                CHECK(v && v->type == JSON_NULL, "unset override: null, not \"(null)\"");
                CHECK(json_path_str(j, "devices.11.driver") &&
                              strcmp(json_path_str(j, "devices.11.driver"), "ahci") == 0,
                      "02:00.0 on ahci");
        }
        v = j ? json_path(j, "messages") : NULL;
        CHECK(v && v->type == JSON_ARRAY && v->n == 1 && contains(json_path_str(j, "messages.0.message"), "bogus"),
              "the config error is a message in the document");
        CHECK_RUN(&r, !contains(r.err, "bogus"), "and not on stderr");
        py = t_python_json(r.out);
        if (py < 0)
                t_skip("no python3 for a second opinion on the JSON");
        else
                CHECK_RUN(&r, py == 1, "python3 -m json.tool accepts it");
        json_free(j);
        result_clear(&r);
        tenv_free(e);
}

TEST(status)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *want, *node;

        tenv_machine(e);
        tenv_config(e, "address 00:03.0\n");

        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code != 0, "before apply: the device is on ahci, exit non-zero");
        SETUP(asprintf(&want, "0000:00:03.0 [8086:2922] BAD  on ahci, wanted vfio-pci (%s:1)\n", e->config));
        CHECK_RUN(&r, contains(r.out, want), "says where the device is and where it should be");
        free(want);
        SETUP(asprintf(&want, "No boot log (%s: No such file or directory)", e->boot_log));
        CHECK_RUN(&r, contains(r.out, want), "says there is no boot log");
        free(want);

        /* The boot: apply writes the boot log; the kernel (here: the test) moves the device. */
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, r.code == 0, "apply");
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "vfio-pci"));
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 0, "on vfio-pci: exit 0");
        SETUP(asprintf(&want, "0000:00:03.0 [8086:2922] ok   on vfio-pci, wanted vfio-pci (%s:1)\n", e->config));
        CHECK_RUN(&r, contains(r.out, want), "ok line");
        free(want);
        SETUP(asprintf(&want, "\tIOMMU group 4 viable, %s/vfio/4 MISSING\n", e->dev));
        CHECK_RUN(&r, contains(r.out, want), "group viable, /dev/vfio/4 missing");
        free(want);
        SETUP(asprintf(&want, "\nBoot log (%s):\n", e->boot_log));
        CHECK_RUN(&r,
                  contains(r.out, want) &&
                          contains(r.out, "vfio-claim: 0000:00:03.0 [8086:2922]: driver_override set to vfio-pci\n"),
                  "shows the boot log");
        free(want);

        SETUP(asprintf(&node, "%s/vfio/4", e->dev));
        free(tenv_file(e, "dev/vfio/4", ""));
        ro_run(e, &r, "status", NULL);
        SETUP(asprintf(&want, "\tIOMMU group 4 viable, %s present\n", node));
        CHECK_RUN(&r, r.code == 0 && contains(r.out, want), "/dev/vfio/4 present");
        free(want);
        free(node);

        /* A second selected device that did not make it. */
        tenv_config(e, "address 00:03.0\naddress 00:1f.2 driver pci-stub\n");
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code != 0, "one device not on its target: exit non-zero");
        SETUP(asprintf(&want, "0000:00:1f.2 [8086:2922] BAD  on ahci, wanted pci-stub (%s:2)\n", e->config));
        CHECK_RUN(&r, contains(r.out, want), "names the device that is not on its target");
        free(want);
        CHECK_RUN(&r, contains(r.out, "\tIOMMU group 3 NOT viable: 0000:00:1f."), "and its group as not viable");
        CHECK_RUN(&r, !contains(r.out, "/vfio/3"), "no /dev/vfio check for a pci-stub device");

        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.2", "pci-stub"));
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 0, "both on their targets: exit 0");

        tenv_config(e, "address 00:1f.5\n");
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, "no device is selected by the configuration"), "nothing selected");
        CHECK_RUN(&r, contains(r.err, "matches no PCI device"), "warns about the rule that matches nothing");

        SETUP(unlink(e->config) < 0 ? -errno : 0);
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 2, "no configuration: exit 2");
        CHECK_RUN(&r, contains(r.err, "does not exist and no vfio_claim.rule= on the kernel command line"),
                  "says there is neither a file nor a command-line rule");

        /* Without a file, the command line's rules are this boot's configuration. */
        tenv_cmdline(e, "ro vfio_claim.rule=\"address 00:03.0\"\n");
        ro_run(e, &r, "status", NULL);
        SETUP(asprintf(&want, "0000:00:03.0 [8086:2922] ok   on vfio-pci, wanted vfio-pci (%s: vfio_claim.rule #1)\n",
                       e->cmdline));
        CHECK_RUN(&r, r.code == 0 && contains(r.out, want), "no file, a command-line rule: its device, exit 0");
        free(want);
        result_clear(&r);
        tenv_free(e);
}

TEST(status_json)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        const char *err = NULL;
        const struct json *v;
        struct json *j;

        tenv_machine(e);
        tenv_config(e, "address 01:00\n");
        SETUP(fakesys_set_driver(e->fs, "0000:01:00.0", "vfio-pci"));
        free(tenv_file(e, "dev/vfio/1", ""));
        ro_run(e, &r, "status", "--json");
        CHECK_RUN(&r, r.code == 1, "--json: exit 1, the audio function is not on vfio-pci");
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j != NULL, "one JSON document (%s)", err ? err : "ok");
        v = j ? json_path(j, "devices") : NULL;
        CHECK(v && v->type == JSON_ARRAY && v->n == 2, "two selected devices");
        v = j ? json_path(j, "devices.0.on_target") : NULL;
        CHECK(v && v->type == JSON_BOOL && v->b, "the GPU is on target");
        v = j ? json_path(j, "devices.1.on_target") : NULL;
        CHECK(v && v->type == JSON_BOOL && !v->b, "the audio function is not");
        v = j ? json_path(j, "devices.0.group_viable") : NULL;
        CHECK(v && v->type == JSON_BOOL && !v->b, "group 1 is not viable while the audio function is on its driver");
        CHECK(json_path_str(j, "devices.0.group_blocker") &&
                      strcmp(json_path_str(j, "devices.0.group_blocker"), "0000:01:00.1") == 0,
              "the blocker is named");
        v = j ? json_path(j, "devices.0.vfio_group_node_present") : NULL;
        CHECK(v && v->type == JSON_BOOL && v->b, "/dev/vfio/1 present");
        v = j ? json_path(j, "devices.0.iommu_group") : NULL;
        CHECK(v && v->type == JSON_NUMBER && v->num == 1, "iommu_group");
        v = j ? json_path(j, "boot_log") : NULL;
        CHECK(v && v->type == JSON_NULL, "no boot log: null");
        v = j ? json_path(j, "ok") : NULL;
        CHECK(v && v->type == JSON_BOOL && !v->b, "ok: false");
        json_free(j);

        tenv_run(e, &r, "apply", NULL);
        SETUP(fakesys_set_driver(e->fs, "0000:01:00.1", "vfio-pci"));
        ro_run(e, &r, "status", "--json");
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, r.code == 0 && j, "both on vfio-pci: exit 0, one document");
        v = j ? json_path(j, "ok") : NULL;
        CHECK(v && v->type == JSON_BOOL && v->b, "ok: true");
        v = j ? json_path(j, "devices.0.group_viable") : NULL;
        CHECK(v && v->type == JSON_BOOL && v->b, "group viable now");
        CHECK(contains(json_path_str(j, "boot_log"), "driver_override set to vfio-pci"), "the boot log as a string");
        json_free(j);
        result_clear(&r);
        tenv_free(e);
}

TEST(status_iommu_off_and_off_switch)
{
        struct tenv *e = tenv_new();
        struct result r = {0};

        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:03.0",
                                       .vendor = 0x8086,
                                       .device = 0x2922,
                                       .class = 0x010601,
                                       .driver = "ahci"});
        tenv_config(e, "address 00:03.0\n");
        tenv_cmdline(e, "ro vfio_claim=off\n");
        ro_run(e, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, "\tno IOMMU group (IOMMU off?)\n"), "no IOMMU group");
        CHECK_RUN(&r, contains(r.err, "vfio_claim=off is on this boot's kernel command line: nothing was claimed"),
                  "warns about vfio_claim=off");
        CHECK_RUN(&r, r.code != 0, "still not where the config wants it");
        result_clear(&r);
        tenv_free(e);
}

TEST(mkfakesys_tree)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *dir;

        if (!t_mkfakesys) {
                t_skip("no mkfakesys binary given");
                tenv_free(e);
                return;
        }
        SETUP(asprintf(&dir, "%s/captured-sys", e->dir));
        t_run_prog(&r, t_mkfakesys, (const char *const[]){dir, NULL},
                   "driver vfio-pci\n"
                   "dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3\n"
                   "dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=ahci group=4\n");
        CHECK_RUN(&r, r.code == 0, "mkfakesys builds the tree");
        tenv_config(e, "address 00:03.0\n");
        t_run_prog(&r, t_binary,
                   (const char *const[]){"--sysfs", dir, "--config", e->config, "--cmdline", e->cmdline, "list", NULL},
                   NULL);
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.out, "0000:00:1f.2 ") && contains(r.out, "\tIOMMU group: 4\n") &&
                          contains(r.out, "\tKernel driver in use: ahci\n"),
                  "vfio-claim lists a tree made by mkfakesys");
        CHECK_RUN(&r, count(r.out, "\tvfio-claim: ") == 1, "and resolves the rule on it");
        free(dir);
        result_clear(&r);
        tenv_free(e);
}

/*
 * iommufd kernels: with CONFIG_VFIO_DEVICE_CDEV a bound device also gets its
 * own node, /dev/vfio/devices/vfioN (sysfs: DEVICE/vfio-dev/vfioN/dev; the
 * directory without dev is on every kernel since 6.1, cdev or not); with
 * CONFIG_VFIO_GROUP=n it gets only that one. No Debian kernel can show it in a
 * boot (CONFIG_IOMMUFD is unset in 6.1, 6.12 and 7.2): these trees are shaped
 * like the kernel's instead. status checks whichever nodes the kernel offers.
 */
/* KEY of the device at ADDR in list --json's "devices". */
static const struct json *list_member(const struct json *j, const char *addr, const char *key)
{
        const struct json *devs = j ? json_path(j, "devices") : NULL;

        for (size_t i = 0; devs && devs->type == JSON_ARRAY && i < devs->n; i++) {
                const char *a = json_path_str(&devs->items[i], "address");

                if (a && strcmp(a, addr) == 0)
                        return json_path(&devs->items[i], key);
        }
        return NULL;
}

static void cdev_kernel(bool groups, bool cdev, const char *what, bool want_group, bool want_cdev)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        const char *err = NULL;
        const struct json *v;
        struct json *j;
        char *want, *g, *c;

        tenv_machine(e);
        SETUP(fakesys_set_vfio_kernel(e->fs, groups, cdev));
        tenv_config(e, "address 00:03.0\n");
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "vfio-pci"));
        free(tenv_file(e, "dev/vfio/4", ""));
        free(tenv_file(e, "dev/vfio/devices/vfio0", ""));
        ro_run(e, &r, "status", NULL);
        g = want_group ? xasprintf(", %s/vfio/4 present", e->dev) : xasprintf("%s", "");
        c = want_cdev ? xasprintf(", %s/vfio/devices/vfio0 present", e->dev) : xasprintf("%s", "");
        want = xasprintf("\tIOMMU group 4 viable%s%s\n", g, c);
        free(g);
        free(c);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, want), "%s: status shows %s", what, want);
        free(want);

        ro_run(e, &r, "status", "--json");
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j != NULL, "%s: one JSON document (%s)", what, err ? err : "ok");
        v = j ? json_path(j, "devices.0.vfio_group_node") : NULL;
        CHECK(v && (want_group ? v->type == JSON_STRING : v->type == JSON_NULL), "%s: vfio_group_node %s", what,
              want_group ? "is the group's node" : "is null");
        v = j ? json_path(j, "devices.0.vfio_cdev") : NULL;
        CHECK(v && (want_cdev ? v->type == JSON_STRING && contains(v->str, "/vfio/devices/vfio0")
                              : v->type == JSON_NULL),
              "%s: vfio_cdev %s", what, want_cdev ? "is /dev/vfio/devices/vfio0" : "is null");
        v = j ? json_path(j, "devices.0.vfio_cdev_present") : NULL;
        CHECK(v && (want_cdev ? v->type == JSON_BOOL && v->b : v->type == JSON_NULL), "%s: vfio_cdev_present", what);
        json_free(j);

        ro_run(e, &r, "list", "--json");
        j = json_parse(r.out, &err);
        v = list_member(j, "0000:00:03.0", "vfio_cdev");
        CHECK(v && (want_cdev ? v->type == JSON_STRING : v->type == JSON_NULL),
              "%s: list --json shows the cdev of 00:03.0 too", what);
        v = list_member(j, "0000:00:1f.2", "vfio_cdev");
        CHECK(v && v->type == JSON_NULL, "%s: and none for a device on ahci", what);
        json_free(j);

        /* The node the kernel offers but /dev lacks is reported missing. */
        if (want_cdev) {
                char *node = xasprintf("%s/vfio/devices/vfio0", e->dev);

                unlink(node);
                ro_run(e, &r, "status", NULL);
                SETUP(asprintf(&want, "%s MISSING", node));
                CHECK_RUN(&r, contains(r.out, want), "%s: a missing cdev node is named", what);
                free(want);
                free(node);
        }
        /* Unbound, the kernel takes its nodes away. */
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", NULL));
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/0000:00:03.0/vfio-dev") && !fakesys_exists(e->fs, "class/vfio/4"),
              "%s: the fixture removes the nodes on unbind, as the kernel does", what);
        result_clear(&r);
        tenv_free(e);
}

TEST(status_vfio_cdev)
{
        cdev_kernel(true, false, "group nodes only (Debian's kernels)", true, false);
        cdev_kernel(true, true, "groups and cdevs", true, true);
        cdev_kernel(false, true, "cdevs only (CONFIG_VFIO_GROUP=n)", false, true);
}
