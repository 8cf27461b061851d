// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The power and reset policy of a rule (#20): reset-method, d3cold,
 * runtime-pm. The runs that claim have the fake tree's driver core
 * preloaded (test/fake-kernel.c, $FAKE_KERNEL_BIND=1): a bind moves the
 * device and, as vfio-pci's probe on 6.1, sets power/control to "auto", so
 * a write done before the bind shows as "auto" afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define NVME   "0000:05:00.0" /* QEMU's nvme: reset_method "flr" */
#define E1000E "0000:06:00.0" /* QEMU's e1000e: "pm"; here "flr pm" to have a list */
#define RECORD "run/vfio-claim/power/" NVME

static struct tenv *machine(const char *config)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        tenv_dev(e, &(struct fake_dev){.addr = NVME,
                                       .vendor = 0x1b36,
                                       .device = 0x0010,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x010802,
                                       .driver = "nvme",
                                       .group = "9",
                                       .reset_method = "flr"});
        tenv_dev(e, &(struct fake_dev){.addr = E1000E,
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .subvendor = 0x8086,
                                       .subdevice = 0x0000,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "10",
                                       .reset_method = "flr pm"});
        if (config)
                tenv_config(e, config);
        return e;
}

/* vfio-claim ARGS... with the fake driver core preloaded. */
static void krun(struct tenv *e, struct result *r, const char *const *args)
{
        tenv_run_kernel(e, r, args, (const char *const[]){"FAKE_KERNEL_BIND=1", NULL});
}

static char *record(struct tenv *e)
{
        char *p = xasprintf("%s/" RECORD, e->dir), *t = t_slurp(p);

        free(p);
        return t;
}

/* Every option and value the parser takes, and every error it names with FILE:LINE. */
TEST(parse)
{
        static const struct {
                const char *rule, *error; /* error NULL: accepted */
        } cases[] = {
                {"address 05:00.0 reset-method flr", NULL},
                {"address 05:00.0 reset-method flr,pm,bus", NULL},
                {"address 05:00.0 reset-method af_flr,cxl_bus,device_specific,acpi", NULL},
                {"address 05:00.0 reset-method default", NULL},
                {"address 05:00.0 d3cold off runtime-pm off", NULL},
                {"address 05:00.0 d3cold on runtime-pm on", NULL},
                {"address 05:00.0 reset-method flrr", "reset-method 'flrr': unknown method"},
                {"address 05:00.0 reset-method FLR", "reset-method 'FLR': unknown method"},
                {"address 05:00.0 reset-method flr,,pm", "empty method name"},
                {"address 05:00.0 reset-method flr,", "empty method name"},
                {"address 05:00.0 reset-method flr,flr", "a method given twice"},
                {"address 05:00.0 reset-method flr,default", "'default' stands alone"},
                {"address 05:00.0 reset-method", "'reset-method' needs a value"},
                {"address 05:00.0 reset-method flr reset-method pm", "'reset-method' given twice"},
                {"address 05:00.0 d3cold 0", "d3cold '0': expected on or off"},
                {"address 05:00.0 runtime-pm auto", "runtime-pm 'auto': expected on or off"},
                {"address 05:00.0 d3cold off d3cold on", "'d3cold' given twice"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *config = xasprintf("%s\n", cases[i].rule);
                struct tenv *e = machine(config);
                struct result r = {0};

                tenv_run(e, &r, "check", NULL);
                if (cases[i].error) {
                        CHECK_RUN(&r, r.code == 1 && contains(r.err, ":1: ") && contains(r.err, cases[i].error),
                                  "'%s' is an error naming the line: %s", cases[i].rule, cases[i].error);
                } else
                        CHECK_RUN(&r, !contains(r.err, ":1: "), "'%s' is accepted", cases[i].rule);
                result_clear(&r);
                tenv_free(e);
                free(config);
        }
}

/* A bad rule is skipped and the rest of the file still applies. */
TEST(bad_rule_skipped)
{
        struct tenv *e = machine("address 06:00.0 reset-method warm\naddress 05:00.0 d3cold off\n");
        struct result r = {0};

        if (!t_have_kernel_shim())
                return;
        krun(e, &r, (const char *const[]){"apply", NULL});
        CHECK_RUN(&r, contains(r.err, ":1: reset-method 'warm': unknown method"), "the bad line is named");
        CHECK_STR(tattr(e, E1000E, "driver_override"), "(null)\n");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "0\n");
        result_clear(&r);
        tenv_free(e);
}

/* The boot: every option written after the bind, the values before it recorded. */
TEST(apply_boot)
{
        struct tenv *e = machine("address 05:00.0 id 1b36:0010 reset-method flr d3cold off runtime-pm off\n"
                                 "address 06:00.0 reset-method pm,flr runtime-pm on\n");
        struct result r = {0};
        char *rec;

        if (!t_have_kernel_shim())
                return;
        krun(e, &r, (const char *const[]){"apply", NULL});
        CHECK_RUN(&r, r.code == 0, "apply exits 0");
        CHECK_STR(tattr(e, NVME, "driver_override"), "vfio-pci\n");
        CHECK(fakesys_exists(e->fs, "bus/pci/drivers/vfio-pci/" NVME), "the fake driver core bound it");
        CHECK_STR(tattr(e, NVME, "reset_method"), "flr\n");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "0\n");
        CHECK_STR(tattr(e, NVME, "power/control"), "on\n");
        CHECK_STR(tattr(e, E1000E, "reset_method"), "pm flr\n");
        CHECK_STR(tattr(e, E1000E, "d3cold_allowed"), "1\n");
        CHECK_STR(tattr(e, E1000E, "power/control"), "auto\n");
        rec = record(e);
        CHECK(rec && strcmp(rec, "reset_method=flr\nd3cold_allowed=1\npower/control=on\n") == 0,
              "the values found before the bind are recorded: '%s'", rec ? rec : "(none)");
        free(rec);
        /* Nothing else: the other devices' power files are as they were. */
        CHECK_STR(tattr(e, "0000:00:03.0", "power/control"), "on\n");
        CHECK_STR(tattr(e, "0000:00:03.0", "d3cold_allowed"), "1\n");
        CHECK_RUN(&r, contains(r.err, NVME " [1b36:0010]: power/control set to on (runtime-pm)"), "logged");

        /* status shows them, in text and JSON. */
        tenv_run(e, &r, "status", NULL);
        CHECK_RUN(&r,
                  contains(r.out, "\tpower ok: reset_method flr, d3cold_allowed 0, power/control on; wanted "
                                  "reset_method flr d3cold_allowed 0 power/control on\n"),
                  "status shows the power files");
        tenv_run(e, &r, "--json", "status", NULL);
        {
                const char *err = NULL;
                struct json *j = json_parse(r.out, &err);

                CHECK(j != NULL, "status --json parses: %s", err ? err : "");
                CHECK(j && json_path_str(j, "devices.0.power.reset_method") &&
                              strcmp(json_path_str(j, "devices.0.power.reset_method"), "flr") == 0,
                      "JSON reset_method");
                CHECK(j && json_path_str(j, "devices.0.power.control") &&
                              strcmp(json_path_str(j, "devices.0.power.control"), "on") == 0,
                      "JSON control");
                CHECK_RUN(&r, contains(r.out, "\"as_wanted\":true") || contains(r.out, "\"as_wanted\": true"),
                          "JSON as_wanted");
                json_free(j);
        }

        /* Something changed it behind vfio-claim's back: status says BAD and exits 1. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" NVME "/power/control", "auto\n"));
        tenv_run(e, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.out, "\tpower BAD: "), "a value that differs is BAD");

        /* A re-apply (the udev event's apply --device) writes them again and keeps the record. */
        krun(e, &r, (const char *const[]){"apply", "--device", NVME, NULL});
        CHECK_STR(tattr(e, NVME, "power/control"), "on\n");
        rec = record(e);
        CHECK(rec && strcmp(rec, "reset_method=flr\nd3cold_allowed=1\npower/control=on\n") == 0,
              "a re-apply does not record vfio-claim's own values: '%s'", rec ? rec : "(none)");
        free(rec);
        result_clear(&r);
        tenv_free(e);
}

/* release gives back what the record holds, and the record goes. */
TEST(release_restores)
{
        struct tenv *e = machine("address 05:00.0 reset-method flr d3cold off runtime-pm off\n");
        struct result r = {0};
        char *rec;

        if (!t_have_kernel_shim())
                return;
        /* Before the claim, an admin had set other values. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/" NVME "/power/control", "auto\n"));
        krun(e, &r, (const char *const[]){"apply", NULL});
        CHECK_STR(tattr(e, NVME, "power/control"), "on\n");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "0\n");
        krun(e, &r, (const char *const[]){"release", NVME, NULL});
        CHECK_RUN(&r, r.code == 0, "release exits 0");
        CHECK_STR(tattr(e, NVME, "driver_override"), "\n");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "1\n");
        CHECK_STR(tattr(e, NVME, "power/control"), "auto\n");
        CHECK_STR(tattr(e, NVME, "reset_method"), "flr\n");
        CHECK_RUN(&r, contains(r.err, NVME " [1b36:0010]: d3cold_allowed restored to 1"), "logged");
        rec = record(e);
        CHECK(rec && !*rec, "the record is gone after release: '%s'", rec ? rec : "");
        free(rec);

        /* claim with the options on its command line records afresh and writes them again. */
        krun(e, &r,
             (const char *const[]){"claim", "address", NVME, "reset-method", "flr", "d3cold", "off", "runtime-pm",
                                   "off", NULL});
        CHECK_RUN(&r, r.code == 0, "claim exits 0");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "0\n");
        CHECK_STR(tattr(e, NVME, "power/control"), "on\n");
        rec = record(e);
        CHECK(rec && strcmp(rec, "reset_method=flr\nd3cold_allowed=1\npower/control=auto\n") == 0,
              "claim records the values it found: '%s'", rec ? rec : "(none)");
        free(rec);

        /* A plain address: claim takes the policy from the configuration's rule for it. */
        krun(e, &r, (const char *const[]){"release", NVME, NULL});
        CHECK_STR(tattr(e, NVME, "power/control"), "auto\n");
        krun(e, &r, (const char *const[]){"claim", NVME, NULL});
        CHECK_RUN(&r, r.code == 0, "claim ADDRESS exits 0");
        CHECK_STR(tattr(e, NVME, "driver_override"), "vfio-pci\n");
        CHECK_STR(tattr(e, NVME, "d3cold_allowed"), "0\n");
        CHECK_STR(tattr(e, NVME, "power/control"), "on\n");
        result_clear(&r);
        tenv_free(e);
}

/* A bind that fails: nothing written to the power files (the next bind would
 * undo power/control), and the failure does not fail the boot. */
TEST(write_failures_warn)
{
        struct tenv *e = machine("address 00:03.0 reset-method flr d3cold off\n");
        struct result r = {0};

        if (!t_have_kernel_shim())
                return;
        /* The AHCI has no reset_method (ich9-ahci offers no reset). */
        krun(e, &r, (const char *const[]){"apply", NULL});
        CHECK_RUN(&r, r.code == 0, "apply still exits 0");
        CHECK_RUN(&r, contains(r.err, "0000:00:03.0 [8086:2922]: cannot write 'flr' to reset_method (reset-method)"),
                  "a warning naming the device and the file");
        CHECK_STR(tattr(e, "0000:00:03.0", "d3cold_allowed"), "0\n");
        CHECK(!fakesys_exists(e->fs, "bus/pci/devices/0000:00:03.0/reset_method"), "no file made");
        result_clear(&r);
        tenv_free(e);
}

/* check: a method the device lacks, a device (or kernel) without reset_method. */
TEST(check_methods)
{
        static const struct {
                const char *rule, *error;
        } cases[] = {
                {"address 05:00.0 reset-method pm", "does not offer pm"},
                {"address 06:00.0 reset-method flr,bus", "does not offer bus"},
                {"address 00:03.0 reset-method flr", "reset_method does not exist"},
                {"address 00:03.0 reset-method default", "reset_method does not exist"},
                {"address 06:00.0 reset-method pm,flr", NULL},
                {"address 05:00.0 reset-method default", NULL},
                {"address 00:03.0 d3cold off runtime-pm off", NULL},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *config = xasprintf("%s\n", cases[i].rule);
                struct tenv *e = machine(config);
                struct result r = {0};

                tenv_run(e, &r, "check", NULL);
                if (cases[i].error)
                        CHECK_RUN(&r, r.code == 1 && contains(r.err, cases[i].error), "'%s': %s", cases[i].rule,
                                  cases[i].error);
                else
                        CHECK_RUN(&r, !contains(r.err, "reset-method"), "'%s' passes", cases[i].rule);
                result_clear(&r);
                tenv_free(e);
                free(config);
        }

        /* After a boot narrowed the list, check still knows what the device offered. */
        {
                struct tenv *e = machine("address 06:00.0 reset-method pm\n");
                struct result r = {0};

                if (!t_have_kernel_shim()) {
                        tenv_free(e);
                        return;
                }
                krun(e, &r, (const char *const[]){"apply", NULL});
                CHECK_STR(tattr(e, E1000E, "reset_method"), "pm\n");
                tenv_config(e, "address 06:00.0 reset-method flr\n");
                tenv_run(e, &r, "check", NULL);
                CHECK_RUN(&r, !contains(r.err, "does not offer"), "flr was offered before the boot wrote pm");
                result_clear(&r);
                tenv_free(e);
        }
}
