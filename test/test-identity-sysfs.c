// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * serial, slot and path against fake trees: twin e1000e cards (same IDs)
 * behind two root ports, each with a Device Serial Number in its config file
 * and a named slot, told apart by each selector; the same rules on the tree
 * renumbered by a card inserted before them (every bus number behind the
 * root ports moves up by one) still select the same cards; an address+id
 * rule written for the old tree says where its device went; check --json and
 * list -v show what to copy into a rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define SERIAL_A 0x525400ffff123456ull /* the card in slot 1, behind 00:1c.0 */
#define SERIAL_B 0x525400ffff123457ull /* slot 2, behind 00:1c.1 */

/* The two cards, behind a switch when nested; shifted: a USB card on a root
 * port 00:1b.0 takes bus 01 and everything after moves up by one. */
static struct tenv *machine(bool shifted, bool nested)
{
        struct tenv *e = tenv_new();
        unsigned b = shifted ? 1 : 0;
        char a1[16], a2[16], sw_up[16], sw_down[16];

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
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:1c.0",
                                       .vendor = 0x1b36,
                                       .device = 0x000c,
                                       .class = 0x060400,
                                       .driver = "pcieport",
                                       .group = "1"});
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:1c.1",
                                       .vendor = 0x1b36,
                                       .device = 0x000c,
                                       .class = 0x060400,
                                       .driver = "pcieport",
                                       .group = "2"});
        snprintf(a1, sizeof(a1), "0000:%02x:00.0", 1 + b);
        if (nested) {
                /* A switch behind 00:1c.0: upstream port 01:00.0, downstream 02:03.0, card 03:00.0. */
                snprintf(sw_up, sizeof(sw_up), "0000:%02x:00.0", 1 + b);
                snprintf(sw_down, sizeof(sw_down), "0000:%02x:03.0", 2 + b);
                snprintf(a1, sizeof(a1), "0000:%02x:00.0", 3 + b);
                tenv_dev(e, &(struct fake_dev){.addr = sw_up,
                                               .vendor = 0x10b5,
                                               .device = 0x8747,
                                               .class = 0x060400,
                                               .driver = "pcieport",
                                               .group = "1",
                                               .parent = "0000:00:1c.0"});
                tenv_dev(e, &(struct fake_dev){.addr = sw_down,
                                               .vendor = 0x10b5,
                                               .device = 0x8747,
                                               .class = 0x060400,
                                               .driver = "pcieport",
                                               .group = "1",
                                               .parent = sw_up});
        }
        snprintf(a2, sizeof(a2), "0000:%02x:00.0", (nested ? 4 : 2) + b);
        tenv_dev(e, &(struct fake_dev){.addr = a1,
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "3",
                                       .parent = nested ? sw_down : "0000:00:1c.0",
                                       .has_serial = true,
                                       .serial = SERIAL_A,
                                       .slot = nested ? NULL : "1"});
        tenv_dev(e, &(struct fake_dev){.addr = a2,
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "4",
                                       .parent = "0000:00:1c.1",
                                       .has_serial = true,
                                       .serial = SERIAL_B,
                                       .slot = "2"});
        /* A third e1000e on the root bus without a serial (64 bytes of config: what non-root reads). */
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:05.0",
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "5",
                                       .config_size = 64});
        return e;
}

/* check's prediction for each line of config run alone: "1: A B; 2: ..." from --json. */
static char *predict(struct tenv *e, const char *config, struct result *r)
{
        char *copy = xasprintf("%s", config), *save = NULL, *out = xasprintf("%s", "");
        size_t i = 0;

        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *cfg = xasprintf("%s\n", line), *n;
                const struct json *devs;
                struct json *j;
                const char *err;

                tenv_config(e, cfg);
                free(cfg);
                tenv_run(e, r, "--json", "check", NULL);
                n = xasprintf("%s%s%zu:", out, i ? "; " : "", i + 1);
                free(out);
                out = n;
                i++;
                j = json_parse(r->out, &err);
                devs = j ? json_path(j, "rules.0.devices") : NULL;
                for (size_t k = 0; devs && k < devs->n; k++) {
                        char *key = xasprintf("rules.0.devices.%zu.address", k);

                        n = xasprintf("%s %s", out, json_path_str(j, key) + 5);
                        free(key);
                        free(out);
                        out = n;
                }
                json_free(j);
        }
        free(copy);
        return out;
}

static const char *const RULES = "serial 52-54-00-ff-ff-12-34-57\n"
                                 "slot 1\n"
                                 "path 00:1c.1/00.0\n"
                                 "path 00:1c.0/00\n"
                                 "id 8086:10d3 serial 52-54-00-FF-FF-12-34-56\n";

TEST(twins_told_apart)
{
        struct tenv *e = machine(false, false);
        struct result r = {0};
        char *p = predict(e, RULES, &r);

        CHECK_RUN(&r, strcmp(p, "1: 02:00.0; 2: 01:00.0; 3: 02:00.0; 4: 01:00.0; 5: 01:00.0") == 0,
                  "each selector picks one twin: %s", p);
        free(p);
        p = predict(e, "serial 00-00-00-00-00-00-00-00\n", &r);
        CHECK_RUN(&r, strcmp(p, "1:") == 0 && r.code == 1, "a serial no device has matches nothing: %s", p);
        free(p);
        result_clear(&r);
        tenv_free(e);
}

TEST(renumbered)
{
        struct tenv *e = machine(true, false);
        struct result r = {0};
        char *p = predict(e, RULES, &r);

        CHECK_RUN(&r, strcmp(p, "1: 03:00.0; 2: 02:00.0; 3: 03:00.0; 4: 02:00.0; 5: 02:00.0") == 0,
                  "bus numbers shifted by one: the same cards: %s", p);
        free(p);

        /* The rule written for the old tree: its card is one bus further now. */
        tenv_config(e, "address 01:00.0 id 8086:10d3\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code == 1, "the guard still fails: exit 1");
        CHECK_RUN(
                &r,
                contains(r.err, "guard mismatch: 0000:01:00.0 is [1b21:1242]") &&
                        contains(
                                r.err,
                                "a 8086:10d3 is now at 0000:00:05.0, 0000:02:00.0, 0000:03:00.0 \u2014 update the rule or select it by "
                                "'serial'/'slot'/'path'"),
                "says what is at the address now and where the device went");
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, contains(r.err, "a 8086:10d3 is now at 0000:00:05.0, 0000:02:00.0, 0000:03:00.0"),
                  "apply says it too");
        tenv_config(e, "address 01:00.0 id 8086:10d3 subsystem 0000:0000 path 00:1c.1/00.0\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, contains(r.err, "a 8086:10d3 is now at 0000:03:00.0 \u2014"),
                  "with more selectors, only the device they all match");
        CHECK(strcmp(tattr(e, "0000:02:00.0", "driver_override"), "(null)\n") == 0 &&
                      strcmp(tattr(e, "0000:01:00.0", "driver_override"), "(null)\n") == 0,
              "apply claims nothing for that rule");

        /* apply by serial sets the override on the right twin only. */
        tenv_config(e, "serial 52-54-00-ff-ff-12-34-57\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK(strcmp(tattr(e, "0000:03:00.0", "driver_override"), "vfio-pci\n") == 0 &&
                      strcmp(tattr(e, "0000:02:00.0", "driver_override"), "(null)\n") == 0 &&
                      strcmp(tattr(e, "0000:00:05.0", "driver_override"), "(null)\n") == 0,
              "apply: serial B's card gets the override, its twins do not");
        CHECK(!contains(tread(e, "bus/pci/drivers/vfio-pci/new_id"), "8086"),
              "no new_id for an id rule narrowed by a serial (it would take the twin)");
        tenv_config(e, "id 8086:10d3 serial 52-54-00-ff-ff-12-34-57\n");
        tenv_run(e, &r, "apply", NULL);
        CHECK(!contains(tread(e, "bus/pci/drivers/vfio-pci/new_id"), "8086"), "no new_id for id plus serial either");
        result_clear(&r);
        tenv_free(e);
}

TEST(nested_bridges)
{
        struct tenv *e = machine(false, true);
        struct result r = {0};
        char *p =
                predict(e, "path 00:1c.0/00.0/03.0/00.0\nserial 52-54-00-ff-ff-12-34-56\npath 00:1c.0/00.0/03.0\n", &r);

        CHECK_RUN(&r, strcmp(p, "1: 03:00.0; 2: 03:00.0; 3:") == 0 && r.code == 1,
                  "a path through a switch names the card; the bridge itself is never claimed: %s", p);
        free(p);
        tenv_free(e);
        e = machine(true, true);
        p = predict(e, "path 00:1c.0/00.0/03.0/00.0\n", &r);
        CHECK_RUN(&r, strcmp(p, "1: 04:00.0") == 0, "renumbered: %s", p);
        free(p);
        result_clear(&r);
        tenv_free(e);
}

TEST(shown)
{
        struct tenv *e = machine(false, false);
        struct result r = {0};
        struct json *j;
        const char *err;

        tenv_config(e, "id 8086:10d3\n");
        tenv_run(e, &r, "--json", "check", NULL);
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j, "check --json is JSON");
        if (j) {
                /* Devices in address order: 00:05.0, 01:00.0, 02:00.0. */
                CHECK(json_path(j, "rules.0.devices.0.serial") &&
                              json_path(j, "rules.0.devices.0.serial")->type == JSON_NULL,
                      "no DSN (64-byte config): serial null");
                CHECK_STR(json_path_str(j, "rules.0.devices.0.path"), "0000:00:05.0");
                CHECK_STR(json_path_str(j, "rules.0.devices.1.serial"), "52-54-00-ff-ff-12-34-56");
                CHECK_STR(json_path_str(j, "rules.0.devices.1.slot"), "1");
                CHECK_STR(json_path_str(j, "rules.0.devices.1.path"), "0000:00:1c.0/00.0");
                CHECK_STR(json_path_str(j, "rules.0.devices.2.serial"), "52-54-00-ff-ff-12-34-57");
                CHECK_STR(json_path_str(j, "rules.0.devices.2.slot"), "2");
                json_free(j);
        }
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, contains(r.out, "\t\tserial 52-54-00-ff-ff-12-34-57\n\t\tslot 2\n\t\tpath 0000:00:1c.1/00.0\n"),
                  "check shows them under each device");
        tenv_run(e, &r, "--json", "list", NULL);
        j = json_parse(r.out, &err);
        CHECK_RUN(&r,
                  j && json_path_str(j, "devices.4.serial") &&
                          strcmp(json_path_str(j, "devices.4.serial"), "52-54-00-ff-ff-12-34-56") == 0 &&
                          strcmp(json_path_str(j, "devices.4.slot"), "1") == 0,
                  "list --json shows them");
        json_free(j);
        tenv_run(e, &r, "-v", "list", NULL);
        CHECK_RUN(&r, contains(r.out, "\tserial 52-54-00-ff-ff-12-34-56\n\tslot 1\n\tpath 0000:00:1c.0/00.0\n"),
                  "list -v shows them");
        tenv_run(e, &r, "list", NULL);
        CHECK_RUN(&r, !contains(r.out, "serial 52"), "plain list does not");
        result_clear(&r);
        tenv_free(e);
}

TEST(driver_auto_shown)
{
        struct tenv *e = machine(false, false);
        struct result r = {0};

        /* No kernel has a variant for the e1000e (the library test builds one):
         * check predicts vfio-pci, per device. */
        tenv_config(e, "serial 52-54-00-ff-ff-12-34-56 driver auto\n");
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r,
                  contains(r.out, "driver auto -> auto: selects\n\t0000:01:00.0") &&
                          contains(r.out, "\t\tdriver auto: vfio-pci\n"),
                  "check shows the rule as auto and the pick per device");
        tenv_run(e, &r, "-v", "list", NULL);
        CHECK_RUN(&r, contains(r.out, ".conf:1 -> vfio-pci\n"), "list shows the pick");
        result_clear(&r);
        tenv_free(e);
}

TEST(claim_by_identity)
{
        struct tenv *e = machine(true, false);
        struct result r = {0};

        tenv_config(e, "");
        tenv_run(e, &r, "claim", "serial", "52-54-00-ff-ff-12-34-57", NULL);
        CHECK(strcmp(tattr(e, "0000:03:00.0", "driver_override"), "vfio-pci\n") == 0 &&
                      strcmp(tattr(e, "0000:02:00.0", "driver_override"), "(null)\n") == 0,
              "claim serial ...: one rule, the card with that serial");
        tenv_run(e, &r, "claim", "path", "00:1c.0/00.0", NULL);
        CHECK(strcmp(tattr(e, "0000:02:00.0", "driver_override"), "vfio-pci\n") == 0 &&
                      strcmp(tattr(e, "0000:00:05.0", "driver_override"), "(null)\n") == 0,
              "claim path ...: the card behind 00:1c.0");
        result_clear(&r);
        tenv_free(e);
}

/* The addresses check --json shows rule 0 selecting, space separated. */
static char *selected(struct tenv *e, struct result *r, const char *config)
{
        const struct json *devs;
        struct json *j;
        const char *err;
        char *out = xasprintf("%s", "");

        tenv_config(e, config);
        tenv_run(e, r, "--json", "check", NULL);
        j = json_parse(r->out, &err);
        devs = j ? json_path(j, "rules.0.devices") : NULL;
        for (size_t i = 0; devs && devs->type == JSON_ARRAY && i < devs->n; i++) {
                const char *a = json_path_str(&devs->items[i], "address");
                char *n = xasprintf("%s%s%s", out, *out ? " " : "", a ? a : "?");

                free(out);
                out = n;
        }
        json_free(j);
        return out;
}

/*
 * A slot's address names a card (DDDD:BB:DD), so every function of it is in
 * that slot, and the device number is the card's, not its function's: a
 * two-function card (GPU and its HDMI audio, 05:00.0 and 05:00.1) in slot 7
 * behind a root port, and a card at 00:06.0 in slot 6 on the root bus (the
 * names ACPI gives root-bus slots).
 */
TEST(slot_of_each_function_and_device)
{
        struct tenv *e = tenv_new();
        struct result r = {0};
        char *s;

        SETUP(fakesys_add_driver(e->fs, "vfio-pci"));
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:1d.0",
                                       .vendor = 0x1b36,
                                       .device = 0x000c,
                                       .class = 0x060400,
                                       .driver = "pcieport",
                                       .group = "1"});
        tenv_dev(e, &(struct fake_dev){.addr = "0000:05:00.0",
                                       .vendor = 0x10de,
                                       .device = 0x1b80,
                                       .class = 0x030000,
                                       .driver = "nouveau",
                                       .group = "2",
                                       .parent = "0000:00:1d.0",
                                       .slot = "7"});
        tenv_dev(e, &(struct fake_dev){.addr = "0000:05:00.1",
                                       .vendor = 0x10de,
                                       .device = 0x10f0,
                                       .class = 0x040300,
                                       .driver = "snd_hda_intel",
                                       .group = "2",
                                       .parent = "0000:00:1d.0",
                                       .slot = "7"});
        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:06.0",
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "3",
                                       .slot = "6"});
        CHECK_STR(tread(e, "bus/pci/slots/7/address"), "0000:05:00\n");
        CHECK_STR(tread(e, "bus/pci/slots/6/address"), "0000:00:06\n");
        s = selected(e, &r, "slot 7\n");
        CHECK_RUN(&r, strcmp(s, "0000:05:00.0 0000:05:00.1") == 0, "slot 7 selects both functions of its card: '%s'",
                  s);
        free(s);
        s = selected(e, &r, "slot 6\n");
        CHECK_RUN(&r, strcmp(s, "0000:00:06.0") == 0, "slot 6 selects the card at 00:06.0: '%s'", s);
        free(s);
        tenv_run(e, &r, "-v", "list", NULL);
        CHECK_RUN(&r,
                  contains(r.out, "0000:05:00.1") && count(r.out, "\tslot 7\n") == 2 && count(r.out, "\tslot 6\n") == 1,
                  "list -v shows slot 7 on both functions and slot 6 on 00:06.0");
        result_clear(&r);
        tenv_free(e);
}
