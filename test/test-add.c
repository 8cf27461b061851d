// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim add and remove on fake trees, writing under --root: twin cards
 * without a Device Serial Number get a 'path' rule with an id guard that
 * check accepts and that selects the same card, not its twin, after the
 * buses behind the root ports are renumbered; a card with a DSN gets
 * 'serial' (--by overrides); a second add writes nothing and names the rule;
 * a busy device is refused unless --force; remove deletes only add's rules
 * (the file once empty) and names the others; the rebuild runs the
 * generator found on PATH (fake ones here) and reports its failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define SERIAL "52-54-00-ff-ff-12-34-56"

/* Two identical e1000e behind root ports 00:1c.0 and 00:1c.1, without a DSN
 * unless dsn; shifted: a USB card behind a root port 00:1b.0 takes bus 01,
 * and the cards move from 01:00.0 and 02:00.0 to 02:00.0 and 03:00.0. */
static struct tenv *twins(bool shifted, bool dsn)
{
        struct tenv *e = tenv_new();
        unsigned b = shifted ? 1 : 0;
        char a1[16], a2[16];

        SETUP(fakesys_add_driver(e->fs, "vfio-pci"));
        tenv_dev(e,
                 &(struct fake_dev){
                         .addr = "0000:00:00.0", .vendor = 0x8086, .device = 0x29c0, .class = 0x060000, .group = "0"});
        if (shifted) {
                tenv_dev(e, &(struct fake_dev){.addr = "0000:00:1b.0",
                                               .vendor = 0x1b36,
                                               .device = 0x000c,
                                               .class = 0x060400,
                                               .driver = "pcieport",
                                               .group = "9"});
                tenv_dev(e, &(struct fake_dev){.addr = "0000:01:00.0",
                                               .vendor = 0x1b21,
                                               .device = 0x1242,
                                               .class = 0x0c0330,
                                               .driver = "xhci_hcd",
                                               .group = "10",
                                               .parent = "0000:00:1b.0"});
        }
        for (int port = 0; port < 2; port++)
                tenv_dev(e, &(struct fake_dev){.addr = port ? "0000:00:1c.1" : "0000:00:1c.0",
                                               .vendor = 0x1b36,
                                               .device = 0x000c,
                                               .class = 0x060400,
                                               .driver = "pcieport",
                                               .group = port ? "2" : "1"});
        snprintf(a1, sizeof(a1), "0000:%02x:00.0", 1 + b);
        snprintf(a2, sizeof(a2), "0000:%02x:00.0", 2 + b);
        tenv_dev(e, &(struct fake_dev){.addr = a1,
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .subvendor = 0x8086,
                                       .subdevice = 0xa01f,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "3",
                                       .parent = "0000:00:1c.0",
                                       .has_serial = dsn,
                                       .serial = 0x525400ffff123456ull});
        tenv_dev(e, &(struct fake_dev){.addr = a2,
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .subvendor = 0x8086,
                                       .subdevice = 0xa01f,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "4",
                                       .parent = "0000:00:1c.1",
                                       .has_serial = dsn,
                                       .serial = 0x525400ffff123457ull});
        return e;
}

/* The mounted system add writes into: a directory that exists, as --root wants. */
static char *root_of(struct tenv *e)
{
        char *root = xasprintf("%s/root", e->dir);

        SETUP(mkdir(root, 0755) < 0 && errno != EEXIST ? -errno : 0);
        return root;
}

static char *dropin(struct tenv *e, const char *name)
{
        return xasprintf("%s/root/etc/vfio-claim.d/%s", e->dir, name);
}

/* The *.conf files (and any other entry) of ROOT/etc/vfio-claim.d. */
static unsigned dropins(struct tenv *e)
{
        char *dir = xasprintf("%s/root/etc/vfio-claim.d", e->dir);
        DIR *d = opendir(dir);
        unsigned n = 0;

        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n++;
        if (d)
                closedir(d);
        free(dir);
        return n;
}

/* check --json --config file: the addresses rule 0 selects, "A B". */
static char *selected(struct tenv *e, const char *file, struct result *r)
{
        const struct json *devs;
        const char *err = NULL;
        struct json *j;
        char *out = xasprintf("%s", "");

        tenv_run(e, r, "--json", "check", "--config", file, NULL);
        j = json_parse(r->out, &err);
        devs = j ? json_path(j, "rules.0.devices") : NULL;
        for (size_t k = 0; devs && k < devs->n; k++) {
                char *key = xasprintf("rules.0.devices.%zu.address", k), *n;

                n = xasprintf("%s%s%s", out, k ? " " : "", json_path_str(j, key));
                free(key);
                free(out);
                out = n;
        }
        json_free(j);
        return out;
}

/* The file holds exactly want. */
static bool file_is(const char *path, const char *want)
{
        char *text = t_slurp(path);
        bool same = strcmp(text, want) == 0;

        if (!same)
                t_diag_text(path, text);
        free(text);
        return same;
}

/* The rule line of a file add wrote: the first line that is no comment. */
static char *rule_of(const char *text)
{
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");

                if (*p != '#' && len > 0)
                        return strndup(p, len);
                p += len + (p[len] == '\n');
        }
        return strdup("");
}

TEST(twins_without_dsn_by_path)
{
        struct tenv *e = twins(false, false), *moved = twins(true, false), *swapped = tenv_new();
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-02-00.0.conf"), *text, *rule, *sel;
        struct stat st;

        /* The card behind 00:1c.1 replaced by a USB controller. */
        SETUP(fakesys_add_driver(swapped->fs, "vfio-pci"));
        tenv_dev(swapped, &(struct fake_dev){.addr = "0000:00:1c.1",
                                             .vendor = 0x1b36,
                                             .device = 0x000c,
                                             .class = 0x060400,
                                             .driver = "pcieport",
                                             .group = "2"});
        tenv_dev(swapped, &(struct fake_dev){.addr = "0000:02:00.0",
                                             .vendor = 0x1b21,
                                             .device = 0x1242,
                                             .class = 0x0c0330,
                                             .driver = "xhci_hcd",
                                             .group = "4",
                                             .parent = "0000:00:1c.1"});

        /* The root uses initramfs-tools. */
        free(tenv_file(e, "root/etc/initramfs-tools/initramfs.conf", "MODULES=most\n"));
        tenv_run(e, &r, "add", "--root", root, "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0, "add 02:00.0: exit 0");
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_STR(rule, "path 0000:00:1c.1/00.0 id 8086:10d3");
        CHECK(dropins(e) == 1, "one drop-in, named after the device");
        CHECK(stat(file, &st) == 0 && (st.st_mode & 07777) == 0644, "mode 0644");
        CHECK(contains(text, "# 0000:02:00.0 ") && contains(text, "[0200]: ") && contains(text, "[8086:10d3]") &&
                      contains(text, "# vfio-claim add, ") && contains(text, " UTC: ") &&
                      contains(text, "add --root ") && contains(text, "/root 02:00.0\n"),
              "the comment: lspci's line, the date and the command");
        CHECK_RUN(&r,
                  contains(r.out, "initramfs not rebuilt (--root: not the running system)") &&
                          contains(r.out, "/root sh -c 'update-initramfs -u'\n"),
                  "--root: the root's generator (initramfs-tools) printed, not run");
        sel = selected(e, file, &r);
        CHECK_RUN(&r, r.code == 0 && strcmp(sel, "0000:02:00.0") == 0, "check --config FILE: exit 0, selects %s", sel);
        free(sel);
        sel = selected(moved, file, &r);
        CHECK_RUN(&r, r.code == 0 && strcmp(sel, "0000:03:00.0") == 0,
                  "buses renumbered: the same card (now 03:00.0), not its twin: %s", sel);
        free(sel);
        sel = selected(swapped, file, &r);
        /* (check calls such a rule "no device now", not an error: it is not an address rule.) */
        CHECK_RUN(&r, strcmp(sel, "") == 0, "another card in that place: the id guard selects nothing: '%s'", sel);
        free(sel);
        free(text);
        free(rule);

        /* Every function of a slot: 01:00 is the other card's only function. */
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--driver", "pci-stub", "01:00", NULL);
        free(file);
        file = dropin(e, "60-add-0000-01-00.0.conf");
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_RUN(&r, r.code == 0 && strcmp(rule, "path 0000:00:1c.0/00.0 id 8086:10d3 driver pci-stub") == 0,
                  "add 01:00 --driver pci-stub: %s", rule);
        free(text);
        free(rule);
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
        tenv_free(moved);
        tenv_free(swapped);
}

TEST(card_with_dsn_by_serial)
{
        struct tenv *e = twins(false, true), *moved = twins(true, true);
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-02-00.0.conf"), *text, *rule, *sel;

        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "address", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0, "add address 02:00.0 (a rule's selectors): exit 0");
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_STR(rule, "serial 52-54-00-ff-ff-12-34-57 id 8086:10d3");
        sel = selected(moved, file, &r);
        CHECK_RUN(&r, r.code == 0 && strcmp(sel, "0000:03:00.0") == 0, "renumbered: still that card: %s", sel);
        free(sel);
        free(text);
        free(rule);
        unlink(file);

        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--by", "path", "02:00.0", NULL);
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_RUN(&r, r.code == 0 && strcmp(rule, "path 0000:00:1c.1/00.0 id 8086:10d3") == 0, "--by path: %s", rule);
        free(text);
        free(rule);
        unlink(file);
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--by", "address", "02:00.0", NULL);
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_RUN(&r, r.code == 0 && strcmp(rule, "address 0000:02:00.0 id 8086:10d3") == 0, "--by address: %s", rule);
        free(text);
        free(rule);
        unlink(file);
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--by", "slot", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "has no slot") && dropins(e) == 0,
                  "--by slot for a card in no named slot: exit 1, nothing written");
        tenv_run(e, &r, "add", "--root", root, "--by", "uuid", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == T_EXIT_USAGE && dropins(e) == 0, "--by uuid: a usage error");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "05:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "no PCI device") && dropins(e) == 0,
                  "an address with no device: exit 1");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "00:1c.0", NULL);
        CHECK_RUN(&r, r.code == 1 && dropins(e) == 0, "a bridge alone: exit 1, nothing written");
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
        tenv_free(moved);
}

/* One card, two functions with the card's DSN: a GPU and its audio (two IDs), or a dual-port NIC (one ID). */
TEST(functions_of_a_card)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *root = root_of(e), *text, *rule;
        static const struct {
                const char *addr;
                uint16_t device;
                uint32_t class;
                const char *want;
        } funcs[] = {
                {"0000:01:00.0", 0x1b80, 0x030000, "serial 52-54-00-ff-ff-12-34-56 id 10de:1b80"},
                {"0000:01:00.1", 0x10f0, 0x040300, "serial 52-54-00-ff-ff-12-34-56 id 10de:10f0"},
                {"0000:02:00.0", 0x10c9, 0x020000, "path 0000:00:1c.1/00.0 id 10de:10c9"},
                {"0000:02:00.1", 0x10c9, 0x020000, "path 0000:00:1c.1/00.1 id 10de:10c9"},
        };

        SETUP(fakesys_add_driver(e->fs, "vfio-pci"));
        for (int port = 0; port < 2; port++)
                tenv_dev(e, &(struct fake_dev){.addr = port ? "0000:00:1c.1" : "0000:00:1c.0",
                                               .vendor = 0x1b36,
                                               .device = 0x000c,
                                               .class = 0x060400,
                                               .driver = "pcieport",
                                               .group = port ? "2" : "1"});
        for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
                tenv_dev(e, &(struct fake_dev){.addr = funcs[i].addr,
                                               .vendor = 0x10de,
                                               .device = funcs[i].device,
                                               .class = funcs[i].class,
                                               .group = i < 2 ? "3" : "4",
                                               .parent = i < 2 ? "0000:00:1c.0" : "0000:00:1c.1",
                                               .has_serial = true,
                                               .serial = i < 2 ? 0x525400ffff123456ull : 0x525400ffff123457ull});
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "01:00", "02:00", NULL);
        CHECK_RUN(&r, r.code == 0 && dropins(e) == 4, "add 01:00 02:00: a drop-in per function");
        for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
                char *name = xasprintf("60-add-0000-%.2s-00.%c.conf", funcs[i].addr + 5, funcs[i].addr[11]);
                char *file = dropin(e, name), *sel;

                text = t_slurp(file);
                rule = rule_of(text);
                CHECK(strcmp(rule, funcs[i].want) == 0, "%s: %s (%s the DSN alone)", funcs[i].addr, rule,
                      i < 2 ? "the ID tells the functions apart:" : "one ID on both functions: not");
                sel = selected(e, file, &r);
                CHECK_RUN(&r, strcmp(sel, funcs[i].addr) == 0, "%s selects only %s", name, sel);
                free(sel);
                free(text);
                free(rule);
                free(file);
                free(name);
        }
        free(root);
        result_clear(&r);
        tenv_free(e);
}

TEST(second_add)
{
        struct tenv *e = twins(false, false);
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-02-00.0.conf"), *text, *want;

        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        text = t_slurp(file);
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        want = xasprintf("0000:02:00.0 is selected already by %s:3 (", file);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, want), "a second add: exit 0, names file:line");
        CHECK(dropins(e) == 1 && file_is(file, text), "nothing written the second time");
        free(want);
        tenv_config(e, "address 01:00.0\n");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "01:00.0", NULL);
        want = xasprintf("0000:01:00.0 is selected already by %s:1 (", e->config);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, want) && dropins(e) == 1,
                  "selected by the main file: named, nothing written");
        free(want);
        free(text);
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

/* What add and remove must refuse, each with nothing written: a bridge of
 * any kind (here the host bridge, class 0600), an argument without a device
 * among good ones, a --driver that is more than a name, a --root that does
 * not exist, a captured tree without --root, an address naming every device. */
TEST(refusals)
{
        struct tenv *e = twins(false, false);
        struct result r = {0};
        char *root = root_of(e), *missing = xasprintf("%s/no-such-root", e->dir);

        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "00:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "no PCI device (other than a bridge)") && dropins(e) == 0,
                  "the host bridge (class 0600) gets no rule: exit 1");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", "05:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "address 05:00.0: no PCI device") && dropins(e) == 0,
                  "an address without a device among good ones: exit 1, nothing written for the others");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--driver", "vfio-pci allow-busy", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 64 && contains(r.err, "not a driver's name") && dropins(e) == 0,
                  "--driver with rule words in it: a usage error, 64");
        tenv_run(e, &r, "add", "--root", missing, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && access(missing, F_OK) != 0, "a --root that does not exist: exit 1, not made");
        tenv_run(e, &r, "add", "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "needs --root"),
                  "a captured sysfs tree without --root: refused (its rules are not this machine's)");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && dropins(e) == 1, "the same add done right: written");
        tenv_run(e, &r, "remove", "--root", root, "--no-rebuild", "*", NULL);
        CHECK_RUN(&r, r.code == 64 && dropins(e) == 1, "remove '*': a usage error, nothing removed");
        free(missing);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

TEST(busy_device)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-00-03.0.conf"), *m, *text, *rule;

        tenv_machine(e);
        /* The second AHCI controller carries sdb; sdb1 is mounted on /srv. */
        SETUP(fakesys_add_block(e->fs, "0000:00:03.0", "sdb", 8, 16, NULL));
        SETUP(fakesys_add_block(e->fs, NULL, "sdb/sdb1", 8, 17, NULL));
        m = tenv_file(e, "proc/self/mountinfo",
                      "21 1 0:20 / / rw,relatime shared:1 - tmpfs tmpfs rw\n"
                      "31 21 8:17 / /srv rw,relatime shared:20 - ext4 /dev/sdb1 rw\n");
        free(m);
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "mounted on /srv") && contains(r.err, "nothing written"),
                  "busy: exit 1, says why");
        CHECK(access(file, F_OK) != 0 && dropins(e) == 0, "busy: no file");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "--force", "00:03.0", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.err, "mounted on /srv; allowed by allow-busy"),
                  "--force: exit 0, still warned");
        text = t_slurp(file);
        rule = rule_of(text);
        CHECK_STR(rule, "path 0000:00:03.0 id 8086:2922 allow-busy");
        free(text);
        free(rule);
        /* Not busy: the third controller is written without --force (the first one's allow-busy counts). */
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && dropins(e) == 2, "a controller without a mount: written");
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

TEST(check_errors_refuse)
{
        struct tenv *e = twins(false, false);
        struct result r = {0};
        char *root = root_of(e);

        /* A rule of the main file matches nothing: check on the result has an error. */
        tenv_config(e, "address 07:00.0\n");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.err, "matches no PCI device") && dropins(e) == 0,
                  "check finds an error: exit 1, nothing written");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "-f", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && dropins(e) == 1, "-f: written anyway");
        free(root);
        result_clear(&r);
        tenv_free(e);
}

TEST(remove_only_adds_rules)
{
        struct tenv *e = twins(false, false);
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-02-00.0.conf"), *want, *text, *mine;
        const char *foreign = "path 00:1c.0/00.0\n";

        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && access(file, F_OK) == 0, "added");
        tenv_config(e, foreign);
        tenv_run(e, &r, "remove", "--root", root, "--no-rebuild", "01:00", "02:00.0", NULL);
        want = xasprintf("0000:01:00.0 is selected by %s:1 (", e->config);
        CHECK_RUN(&r, contains(r.out, want) && r.code == 1, "the foreign rule is named, exit 1");
        CHECK(file_is(e->config, foreign), "the main file is as it was");
        CHECK_RUN(&r, access(file, F_OK) != 0 && contains(r.out, "and the file, now empty"),
                  "add's rule removed, and its file with it");
        CHECK_RUN(&r, contains(r.out, "initramfs not rebuilt"), "the rebuild command printed");
        free(want);

        /* An admin's line in add's file stays, and so does the file. */
        tenv_config(e, "");
        tenv_run(e, &r, "add", "--root", root, "--no-rebuild", "02:00.0", NULL);
        mine = t_slurp(file);
        text = xasprintf("%s# mine\naddress 01:00.0\n", mine);
        free(mine);
        free(tenv_file(e, "root/etc/vfio-claim.d/60-add-0000-02-00.0.conf", text));
        free(text);
        tenv_run(e, &r, "remove", "--root", root, "--no-rebuild", "01:00.0", "02:00.0", NULL);
        CHECK_RUN(&r,
                  r.code == 1 && contains(r.out, "60-add-0000-02-00.0.conf:5 (address 01:00.0), a rule add did not"),
                  "a rule without add's mark in add's file is named");
        CHECK(file_is(file, "# mine\naddress 01:00.0\n"), "add's rule and its comments gone, the admin's kept");
        tenv_run(e, &r, "remove", "--root", root, "--no-rebuild", "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "no rule selects it"), "removed already: said, exit 0");
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
}

/* A fake generator on PATH: records its name and arguments, exits with code. */
static void fake_tool(struct tenv *e, const char *name, int code)
{
        char *rel = xasprintf("bin/%s", name), *log = xasprintf("%s/ran", e->dir);
        char *script = xasprintf("#!/bin/sh\necho \"%s $*\" >>'%s'\nexit %d\n", name, log, code);
        char *path = tenv_file(e, rel, script);

        chmod(path, 0755);
        free(path);
        free(script);
        free(log);
        free(rel);
}

static void add_with_path_var(struct tenv *e, struct result *r, const char *path, const char *root, const char *verb,
                              bool no_rebuild);

static void add_with_path(struct tenv *e, struct result *r, const char *root, const char *verb, bool no_rebuild)
{
        char *path = xasprintf("PATH=%s/bin", e->dir);

        add_with_path_var(e, r, path, root, verb, no_rebuild);
        free(path);
}

/* path: "PATH=..." for the run, whose working directory is e->dir. */
static void add_with_path_var(struct tenv *e, struct result *r, const char *path, const char *root, const char *verb,
                              bool no_rebuild)
{
        const char *vars[] = {path, "VFIO_CLAIM_TEST_REBUILD_IN_ROOT=1", NULL};
        char **env = t_environ(vars);
        const char *argv[64];
        size_t n = tenv_argv(e, argv);

        argv[n++] = verb;
        argv[n++] = "--root";
        argv[n++] = root;
        if (no_rebuild)
                argv[n++] = "--no-rebuild";
        argv[n++] = "02:00.0";
        argv[n] = NULL;
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir, .env = env});
        free(env);
}

/* "PATH=:REL/bin", REL the way from the working directory to dir, relative. */
static char *relative_path_var(const char *dir)
{
        char cwd[4096], *up = xasprintf("%s", ""), *var;

        SETUP(getcwd(cwd, sizeof(cwd)) ? 0 : -errno);
        for (const char *p = cwd; *p; p++)
                if (*p == '/' && p[1]) {
                        char *more = xasprintf("%s../", up);

                        free(up);
                        up = more;
                }
        var = xasprintf("PATH=:%s%s/bin", up, dir + 1);
        free(up);
        return var;
}

TEST(rebuild)
{
        struct tenv *e = twins(false, false);
        struct result r = {0};
        char *root = root_of(e), *file = dropin(e, "60-add-0000-02-00.0.conf"), *ran = xasprintf("%s/ran", e->dir),
             *dracut, *relative;

        fake_tool(e, "dracut", 0);
        /* Run as root, an empty or relative PATH entry is never searched: here
         * one that leads from the working directory to the fake dracut. */
        relative = relative_path_var(e->dir);
        add_with_path_var(e, &r, relative, root, "add", false);
        CHECK_RUN(&r, r.code == 0 && access(ran, F_OK) != 0 && contains(r.err, "no initramfs generator found"),
                  "%s (relative entries only): the dracut there is not run", relative);
        free(relative);
        add_with_path(e, &r, root, "remove", true);
        add_with_path(e, &r, root, "add", false);
        CHECK_RUN(&r, r.code == 0 && file_is(ran, "dracut -f\n") && contains(r.out, "ran dracut -f"),
                  "dracut on PATH: dracut -f ran, and is named");
        unlink(ran);
        add_with_path(e, &r, root, "remove", true);
        CHECK_RUN(&r,
                  r.code == 0 && access(ran, F_OK) != 0 && contains(r.out, "(--no-rebuild); to rebuild it: dracut -f"),
                  "--no-rebuild: dracut not run, its command printed");

        dracut = xasprintf("%s/bin/dracut", e->dir);
        unlink(dracut);
        free(dracut);
        fake_tool(e, "update-initramfs", 3);
        fake_tool(e, "proxmox-boot-tool", 0);
        add_with_path(e, &r, root, "add", false);
        CHECK_RUN(&r,
                  r.code == 1 && contains(r.err, "update-initramfs -u failed (exit 3)") &&
                          contains(r.err, "stays as written") && file_is(ran, "update-initramfs -u\n"),
                  "a failing update-initramfs: exit 1 with its code; proxmox-boot-tool not run after it");
        CHECK(access(file, F_OK) == 0, "the rule stays written");
        unlink(ran);
        fake_tool(e, "update-initramfs", 0);
        add_with_path(e, &r, root, "remove", false);
        CHECK_RUN(&r,
                  r.code == 0 && file_is(ran, "update-initramfs -u\nproxmox-boot-tool refresh\n") &&
                          contains(r.out, "ran proxmox-boot-tool refresh"),
                  "Proxmox VE: update-initramfs -u, then proxmox-boot-tool refresh");
        unlink(ran);
        tenv_run(e, &r, "add", "--root", root, "02:00.0", NULL);
        CHECK_RUN(&r, r.code == 0 && access(ran, F_OK) != 0 && contains(r.out, "--root: not the running system"),
                  "--root without the test switch: nothing run");
        free(ran);
        free(file);
        free(root);
        result_clear(&r);
        tenv_free(e);
}
