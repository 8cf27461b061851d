// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Selectors must mean what lspci -s and -d mean. The table pins the corners;
 * when libpci is available the same strings, and many random ones, are also
 * fed to pciutils' own filter parser and the results must agree.
 */
#include <stdint.h>

#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

#if HAVE_LIBPCI
#include <pci/pci.h>
#endif

#define ANY (-1)

struct slot_case {
        const char *s;
        int ok;
        int64_t domain, bus, slot, func;
};

static const struct slot_case slot_cases[] = {
        {"0000:01:00.0", 1, 0, 1, 0, 0},
        {"01:00.0", 1, ANY, 1, 0, 0},
        {"01:00", 1, ANY, 1, 0, ANY},
        {"1f.2", 1, ANY, ANY, 0x1f, 2},
        {"00:1f.2", 1, ANY, 0, 0x1f, 2},
        {"1:0.0", 1, ANY, 1, 0, 0},
        {"0001:02:03.4", 1, 1, 2, 3, 4},
        {"10000:00:00.0", 1, 0x10000, 0, 0, 0},
        {"7fffffff:ff:1f.7", 1, 0x7fffffff, 0xff, 0x1f, 7},
        {"80000000:00:00.0", 0, 0, 0, 0, 0},
        {"*:*.*", 1, ANY, ANY, ANY, ANY},
        {"*:01:*.*", 1, ANY, 1, ANY, ANY},
        {":01:00.0", 1, ANY, 1, 0, 0},
        {"::", 1, ANY, ANY, ANY, ANY},
        {".", 1, ANY, ANY, ANY, ANY},
        {"", 1, ANY, ANY, ANY, ANY},
        {".3", 1, ANY, ANY, ANY, 3},
        {"02:", 1, ANY, 2, ANY, ANY},
        {"0:1:2:3", 0, 0, 0, 0, 0},    /* too many fields */
        {"01:00.0.1", 0, 0, 0, 0, 0},  /* too many dots */
        {"01:20.0", 0, 0, 0, 0, 0},    /* slot > 1f */
        {"01:00.8", 0, 0, 0, 0, 0},    /* func > 7 */
        {"100:00.0", 0, 0, 0, 0, 0},   /* bus > ff */
        {"001:00.0", 1, ANY, 1, 0, 0}, /* leading zeros count for nothing */
        {"0100:00.0", 0, 0, 0, 0, 0},  /* but the bound is on the digits written */
        {"g1:00.0", 0, 0, 0, 0, 0},
        {"01:0x.0", 1, ANY, 1, 0, 0},   /* a bare "0x" prefix is 0 (pciutils >= 3.10) */
        {"01:x.0", 0, 0, 0, 0, 0},      /* 'x' digits only in the class field */
        {"0x01:00.0", 1, ANY, 1, 0, 0}, /* newer pciutils take a 0x prefix */
        {"-1:00.0", 0, 0, 0, 0, 0},
        {" 01:00.0", 0, 0, 0, 0, 0},
        {"01:00.0 ", 0, 0, 0, 0, 0},
        {"0000000000000000000000000000000000000000000000000000000000000:00.0", 0, 0, 0, 0, 0}, /* too long */
};

struct id_case {
        const char *s;
        int ok;
        int64_t vendor, device, class;
        uint32_t mask;
        int64_t prog_if;
};

static const struct id_case id_cases[] = {
        {"10de:1b80", 1, 0x10de, 0x1b80, ANY, ~0u, ANY},
        {"10de:", 1, 0x10de, ANY, ANY, ~0u, ANY},
        {":1b80", 1, ANY, 0x1b80, ANY, ~0u, ANY},
        {"::0106", 1, ANY, ANY, 0x0106, ~0u, ANY},
        {"::0106:01", 1, ANY, ANY, 0x0106, ~0u, 1},
        {"8086::0c03:30", 1, 0x8086, ANY, 0x0c03, ~0u, 0x30},
        {"::01xx", 1, ANY, ANY, 0x0100, 0xffffff00u, ANY},
        {"::x1xx", 1, ANY, ANY, 0x0100, 0xffff0f00u, ANY},
        {"*:*", 1, ANY, ANY, ANY, ~0u, ANY},
        {":", 1, ANY, ANY, ANY, ~0u, ANY},
        {"10DE:1B80", 1, 0x10de, 0x1b80, ANY, ~0u, ANY},
        {"0x10de:0x1b80", 1, 0x10de, 0x1b80, ANY, ~0u, ANY},
        {"10de", 0, 0, 0, 0, 0, 0}, /* at least two fields */
        {"", 0, 0, 0, 0, 0, 0},
        {"10de:1b80:0300:00:1", 0, 0, 0, 0, 0, 0},
        {"110de:1b80", 0, 0, 0, 0, 0, 0},
        {"10de:1b80:10000", 0, 0, 0, 0, 0, 0},
        {"10de:1b80:0300:100", 0, 0, 0, 0, 0, 0},
        {"10de:1b8g", 0, 0, 0, 0, 0, 0},
        {"10de:xx", 0, 0, 0, 0, 0, 0},
        {"10de:1b80:0x03", 1, 0x10de, 0x1b80, 0x0003, 0xfffff0ffu,
         ANY}, /* no 0x prefix on the class: x is a wildcard */
};

TEST(slot_table)
{
        for (size_t i = 0; i < sizeof(slot_cases) / sizeof(slot_cases[0]); i++) {
                const struct slot_case *c = &slot_cases[i];
                struct vc_slot_filter f = {9, 9, 9, 9};
                const char *reason = NULL;
                int r = vc_slot_filter_parse(c->s, &f, &reason);

                if (!c->ok) {
                        CHECK(r < 0 && reason);
                        if (r >= 0)
                                t_diag("slot \"%s\" was accepted", c->s);
                        continue;
                }
                CHECK_INT(r, 0);
                if (r < 0) {
                        t_diag("slot \"%s\": %s", c->s, reason);
                        continue;
                }
                CHECK_INT(f.domain, c->domain);
                CHECK_INT(f.bus, c->bus);
                CHECK_INT(f.slot, c->slot);
                CHECK_INT(f.func, c->func);
        }
}

TEST(id_table)
{
        for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
                const struct id_case *c = &id_cases[i];
                struct vc_id_filter f;
                const char *reason = NULL;
                int r = vc_id_filter_parse(c->s, &f, &reason);

                if (!c->ok) {
                        CHECK(r < 0 && reason);
                        if (r >= 0)
                                t_diag("id \"%s\" was accepted", c->s);
                        continue;
                }
                CHECK_INT(r, 0);
                if (r < 0) {
                        t_diag("id \"%s\": %s", c->s, reason);
                        continue;
                }
                CHECK_INT(f.vendor, c->vendor);
                CHECK_INT(f.device, c->device);
                CHECK_INT(f.class, c->class);
                if (c->class >= 0)
                        CHECK_INT(f.class_mask & 0xffff, c->mask & 0xffff);
                CHECK_INT(f.prog_if, c->prog_if);
        }
}

TEST(subsys)
{
        struct vc_subsys_filter f;
        const char *reason;

        CHECK_INT(vc_subsys_filter_parse("1458:3702", &f, &reason), 0);
        CHECK_INT(f.vendor, 0x1458);
        CHECK_INT(f.device, 0x3702);
        CHECK_INT(vc_subsys_filter_parse("1458:", &f, &reason), 0);
        CHECK_INT(f.device, ANY);
        CHECK(vc_subsys_filter_parse("1458", &f, &reason) < 0);
        CHECK(vc_subsys_filter_parse("1458:3702:0300", &f, &reason) < 0);
        CHECK(vc_subsys_filter_parse("14589:3702", &f, &reason) < 0);
}

TEST(match)
{
        struct vc_dev ahci = {.addr = "0000:00:1f.2",
                              .domain = 0,
                              .bus = 0,
                              .slot = 0x1f,
                              .func = 2,
                              .vendor = 0x8086,
                              .device = 0x2922,
                              .subvendor = 0x1af4,
                              .subdevice = 0x1100,
                              .class = 0x010601};
        struct vc_dev gpu = {.addr = "0001:01:00.0",
                             .domain = 1,
                             .bus = 1,
                             .slot = 0,
                             .func = 0,
                             .vendor = 0x10de,
                             .device = 0x1b80,
                             .subvendor = 0x1458,
                             .subdevice = 0x3702,
                             .class = 0x030000};
        struct vc_slot_filter s;
        struct vc_id_filter id;
        struct vc_subsys_filter ss;
        const char *reason;

        (void)vc_slot_filter_parse("1f.2", &s, &reason);
        CHECK(vc_slot_match(&s, &ahci));
        CHECK(!vc_slot_match(&s, &gpu));
        (void)vc_slot_filter_parse("01:00", &s, &reason);
        CHECK(vc_slot_match(&s, &gpu)); /* no domain given: any domain, as lspci */
        (void)vc_slot_filter_parse("0000:01:00", &s, &reason);
        CHECK(!vc_slot_match(&s, &gpu));
        (void)vc_id_filter_parse("::0106", &id, &reason);
        CHECK(vc_id_match(&id, &ahci));
        CHECK(!vc_id_match(&id, &gpu));
        (void)vc_id_filter_parse("::0106:00", &id, &reason);
        CHECK(!vc_id_match(&id, &ahci)); /* prog-if 01 */
        (void)vc_id_filter_parse("::03xx", &id, &reason);
        CHECK(vc_id_match(&id, &gpu));
        CHECK(!vc_id_match(&id, &ahci));
        (void)vc_id_filter_parse("10de:", &id, &reason);
        CHECK(vc_id_match(&id, &gpu));
        (void)vc_subsys_filter_parse("1458:3702", &ss, &reason);
        CHECK(vc_subsys_match(&ss, &gpu));
        CHECK(!vc_subsys_match(&ss, &ahci));
}

#if HAVE_LIBPCI
static bool agrees_with_libpci(const char *s);
#endif

/* n characters: zeros, then tail ("1:00.0" is bus 1, slot 0, function 0 with a long run of leading zeros). */
static void padded(char *buf, size_t n, const char *tail)
{
        size_t k = strlen(tail);

        memset(buf, '0', n - k);
        strcpy(buf + n - k, tail);
}

/* lspci copies an expression into a 64-byte buffer: 63 characters fit, 64 are "Expression too long". */
TEST(length_cap)
{
        char buf[80];

        for (size_t n = 63; n <= 64; n++) {
                struct vc_slot_filter sf;
                struct vc_id_filter idf;
                struct vc_subsys_filter ssf;
                const char *reason = NULL;
                int r;

                padded(buf, n, "1:00.0");
                r = vc_slot_filter_parse(buf, &sf, &reason);
                if (n < 64)
                        CHECK(r >= 0 && sf.bus == 1 && sf.slot == 0 && sf.func == 0,
                              "a %zu-character address is bus 1, slot 0, function 0", n);
                else
                        CHECK(r < 0 && reason && strcmp(reason, "Expression too long") == 0,
                              "a %zu-character address is refused: Expression too long (%s)", n, r < 0 ? reason : "ok");
#if HAVE_LIBPCI
                CHECK(agrees_with_libpci(buf), "libpci agrees on the %zu-character address", n);
#endif
                padded(buf, n, "10de:1b80");
                reason = NULL;
                r = vc_id_filter_parse(buf, &idf, &reason);
                if (n < 64)
                        CHECK(r >= 0 && idf.vendor == 0x10de && idf.device == 0x1b80, "a %zu-character id is 10de:1b80",
                              n);
                else
                        CHECK(r < 0 && reason && strcmp(reason, "Expression too long") == 0,
                              "a %zu-character id is refused: Expression too long (%s)", n, r < 0 ? reason : "ok");
#if HAVE_LIBPCI
                CHECK(agrees_with_libpci(buf), "libpci agrees on the %zu-character id", n);
#endif
                reason = NULL;
                r = vc_subsys_filter_parse(buf, &ssf, &reason);
                if (n < 64)
                        CHECK(r >= 0 && ssf.vendor == 0x10de && ssf.device == 0x1b80,
                              "a %zu-character subsystem is 10de:1b80", n);
                else
                        CHECK(r < 0 && reason && strcmp(reason, "Expression too long") == 0,
                              "a %zu-character subsystem is refused: Expression too long (%s)", n,
                              r < 0 ? reason : "ok");
        }
}

#if HAVE_LIBPCI
static bool has_0x_prefix(const char *s)
{
        /* pciutils 3.9 (Debian 12) predates the 0x prefix; newer versions take it, as we do. */
        return strstr(s, "0x") || strstr(s, "0X");
}

/* One field of a parse both accepted: equal, or a diagnostic naming the string and the field. */
static bool same(const char *kind, const char *s, const char *field, long long ours, long long libpci)
{
        if (ours == libpci)
                return true;
        t_diag("%s \"%s\": %s is %lld here, %lld in libpci", kind, s, field, ours, libpci);
        return false;
}

/* The slot and id parsers agree with libpci's on s: both refuse, or both accept with the same fields. */
static bool agrees_with_libpci(const char *s)
{
        struct pci_access *a = pci_alloc();
        struct pci_filter pf;
        struct vc_slot_filter sf;
        struct vc_id_filter idf;
        const char *reason;
        char buf[128];
        char *err;
        bool ok = true;
        int r;

        pci_filter_init(a, &pf);
        snprintf(buf, sizeof(buf), "%s", s);
        err = pci_filter_parse_slot(&pf, buf);
        r = vc_slot_filter_parse(s, &sf, &reason);
        if (!(err && r >= 0 && has_0x_prefix(s))) {
                if (!err != (r >= 0)) {
                        t_diag("slot \"%s\": libpci %s, we %s", s, err ? err : "ok", r >= 0 ? "ok" : reason);
                        ok = false;
                }
                if (!err && r >= 0) {
                        ok &= same("slot", s, "domain", sf.domain, pf.domain);
                        ok &= same("slot", s, "bus", sf.bus, pf.bus);
                        ok &= same("slot", s, "slot", sf.slot, pf.slot);
                        ok &= same("slot", s, "func", sf.func, pf.func);
                }
        }
        pci_filter_init(a, &pf);
        snprintf(buf, sizeof(buf), "%s", s);
        err = pci_filter_parse_id(&pf, buf);
        r = vc_id_filter_parse(s, &idf, &reason);
        if (!(err && r >= 0 && has_0x_prefix(s))) {
                if (!err != (r >= 0)) {
                        t_diag("id \"%s\": libpci %s, we %s", s, err ? err : "ok", r >= 0 ? "ok" : reason);
                        ok = false;
                }
                if (!err && r >= 0) {
                        ok &= same("id", s, "vendor", idf.vendor, pf.vendor);
                        ok &= same("id", s, "device", idf.device, pf.device);
                        ok &= same("id", s, "class", idf.class, pf.device_class);
                        if (pf.device_class >= 0)
                                ok &= same("id", s, "class mask", idf.class_mask, pf.device_class_mask);
                        ok &= same("id", s, "prog-if", idf.prog_if, pf.prog_if);
                }
        }
        pci_cleanup(a);
        return ok;
}

TEST(against_libpci)
{
        static const char alphabet[] = "0123456789abcdefABCFxX*:.:..-g 01f7";
        unsigned disagree = 0;
        uint64_t seed = 0x9e3779b97f4a7c15ull;
        const int n_random = 20000;

        for (size_t i = 0; i < sizeof(slot_cases) / sizeof(slot_cases[0]); i++)
                CHECK(agrees_with_libpci(slot_cases[i].s), "libpci agrees on \"%s\"", slot_cases[i].s);
        for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++)
                CHECK(agrees_with_libpci(id_cases[i].s), "libpci agrees on \"%s\"", id_cases[i].s);
        for (int i = 0; i < n_random; i++) {
                char s[24];
                size_t n;

                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                n = seed % 16;
                for (size_t j = 0; j < n; j++) {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        s[j] = alphabet[seed % (sizeof(alphabet) - 1)];
                }
                s[n] = 0;
                if (!agrees_with_libpci(s))
                        disagree++;
        }
        CHECK(disagree == 0, "libpci agrees on %d random strings (%u disagree; libpci %x)", n_random, disagree,
              PCI_LIB_VERSION);
}
#endif

#if !HAVE_LIBPCI
TEST(against_libpci)
{
        t_skip("libpci not available: selector strings only checked against the table");
}
#endif
