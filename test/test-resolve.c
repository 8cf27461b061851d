// SPDX-License-Identifier: GPL-2.0-or-later
/* Rule resolution on devices in memory: guards, bridges, conflicts. */
#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vfio-claim.h"

static unsigned n_errors, n_warnings;

static void count_msgs(void *data, int prio, const char *fmt, va_list ap)
{
        if (prio <= LOG_ERR)
                n_errors++;
        else if (prio == LOG_WARNING)
                n_warnings++;
}

#define DEV(a, b, s, f, v, d, c)                                                                                       \
        {                                                                                                              \
                .addr = a, .bus = b, .slot = s, .func = f, .vendor = v, .device = d, .class = c, .group = -1           \
        }

static struct vc_dev machine[] = {
        DEV("0000:00:01.0", 0, 1, 0, 0x8086, 0x1901, 0x060400), /* root port */
        DEV("0000:00:1f.2", 0, 0x1f, 2, 0x8086, 0x2922, 0x010601),
        DEV("0000:01:00.0", 1, 0, 0, 0x10de, 0x1b80, 0x030000),
        DEV("0000:01:00.1", 1, 0, 1, 0x10de, 0x10f0, 0x040300),
        DEV("0000:03:00.0", 3, 0, 0, 0x8086, 0x2922, 0x010601),
};

static struct vc_ctx *ctx;

/* Resolves one config text; returns the selected addresses joined by spaces. */
static const char *resolve(const char *text, enum vc_rule_state *state)
{
        static char out[256];
        struct vc_config cfg = {0};
        struct vc_devlist devs = {.devs = machine, .n = sizeof(machine) / sizeof(machine[0])};
        char *copy = strdup(text), *save = NULL;

        n_errors = n_warnings = 0;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                CHECK_INT(vc_config_add_line(ctx, &cfg, "t", line), 0);
        free(copy);
        CHECK_INT(vc_resolve(ctx, &cfg, &devs), 0);
        out[0] = 0;
        for (size_t i = 0; i < devs.n; i++)
                if (devs.devs[i].rule) {
                        if (out[0])
                                strcat(out, " ");
                        strcat(out, devs.devs[i].addr + 5);
                        if (strcmp(devs.devs[i].rule->driver, "vfio-pci") != 0) {
                                strcat(out, "=");
                                strcat(out, devs.devs[i].rule->driver);
                        }
                }
        if (state && cfg.n_rules > 0)
                *state = cfg.rules[cfg.n_rules - 1].state; /* the last rule's */
        vc_config_clear(&cfg);
        return out;
}

/* Every case resolves on the machine above with one context that counts the messages. */
__attribute__((constructor)) static void setup(void)
{
        SETUP(vc_ctx_new("/nonexistent", &ctx));
        vc_ctx_set_log_fn(ctx, count_msgs, NULL);
}

__attribute__((destructor)) static void teardown(void)
{
        vc_ctx_free(ctx);
}

TEST(address_and_id)
{
        enum vc_rule_state st;

        /* Twins by address: only the addressed one. */
        CHECK_STR(resolve("address 03:00.0", &st), "03:00.0");
        CHECK_INT(st, VC_RULE_OK);
        /* By id: both twins. */
        CHECK_STR(resolve("id 8086:2922", NULL), "00:1f.2 03:00.0");
        /* Wildcard slot: both functions. */
        CHECK_STR(resolve("address 01:00", NULL), "01:00.0 01:00.1");
}

TEST(guards)
{
        enum vc_rule_state st;

        /* Guard as lspci -s -d: the matching function only. */
        CHECK_STR(resolve("address 01:00 id 10de:1b80", &st), "01:00.0");
        CHECK_INT(st, VC_RULE_OK);
        CHECK_INT(n_errors, 0);
        CHECK_STR(resolve("address 01:00 id 10de:", NULL), "01:00.0 01:00.1");
        /* Nothing at the address matches: a guard mismatch, an error, nothing selected. */
        CHECK_STR(resolve("address 03:00.0 id 8086:1c02", &st), "");
        CHECK_INT(st, VC_RULE_GUARD_MISMATCH);
        CHECK_INT(n_errors, 1);
        /* Nothing at the address at all: no match, not a guard mismatch. */
        CHECK_STR(resolve("address 05:00.0 id 8086:1c02", &st), "");
        CHECK_INT(st, VC_RULE_NO_MATCH);
        CHECK_INT(n_errors, 0);
        /* An id alone that no device has: waits for devices that appear later. */
        CHECK_STR(resolve("id 8086:1c02", &st), "");
        CHECK_INT(st, VC_RULE_LATER);
        CHECK_INT(n_errors, 0);
}

TEST(classes_and_bridges)
{
        enum vc_rule_state st;

        /* Class selectors. */
        CHECK_STR(resolve("id ::0106", NULL), "00:1f.2 03:00.0");
        CHECK_STR(resolve("id ::04xx", NULL), "01:00.1");
        /* Bridges are never selected; the caller says why, once, with the rule's
         * outcome (cmd/session.c, test-safety-messages): the engine only at debug level. */
        CHECK_STR(resolve("address 00:01.0", &st), "");
        CHECK_INT(st, VC_RULE_NO_MATCH);
        CHECK_INT(n_warnings, 0);
        /* An id that only a bridge has matches something: not one for later devices. */
        CHECK_STR(resolve("id ::0604", &st), "");
        CHECK_INT(st, VC_RULE_NO_MATCH);
        CHECK_STR(resolve("id 8086:", NULL), "00:1f.2 03:00.0");
}

TEST(conflicts_and_redundancy)
{
        enum vc_rule_state st;

        /* Two rules, two drivers: the first wins, the second is warned about. */
        CHECK_STR(resolve("address 03:00.0 driver pci-stub\nid 8086:2922", NULL), "00:1f.2 03:00.0=pci-stub");
        CHECK_INT(n_warnings, 1);
        /* The same driver twice is no conflict. */
        CHECK_STR(resolve("address 03:00.0\nid 8086:2922", NULL), "00:1f.2 03:00.0");
        CHECK_INT(n_warnings, 0);
        /* A rule whose devices earlier rules took is redundant, not "matches nothing". */
        CHECK_STR(resolve("address 03:00.0\naddress 03:00.0", &st), "03:00.0");
        CHECK_INT(st, VC_RULE_OK);
        CHECK_INT(n_warnings, 0);
        /* For another driver it claims nothing: a warning, and the rule matched nothing it could take. */
        CHECK_STR(resolve("address 01:00.0\naddress 01:00.0 driver pci-stub", &st), "01:00.0");
        CHECK_INT(st, VC_RULE_NO_MATCH);
        CHECK_INT(n_warnings, 1);
        CHECK_STR(resolve("address 01:00\nid 10de:10f0", &st), "01:00.0 01:00.1");
        CHECK_INT(st, VC_RULE_OK);
        /* But a rule that matches only a bridge still matches nothing. */
        CHECK_STR(resolve("address 03:00.0\naddress 00:01.0", &st), "03:00.0");
        CHECK_INT(st, VC_RULE_NO_MATCH);
}
