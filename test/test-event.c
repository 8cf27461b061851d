// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply --device X decides about X what the full apply decides, as a
 * property over random trees and rule sets: apply --device reads only X
 * and what its rules make matter (lib/event.c), the full apply every
 * device. Trees: root ports with multi-function cards behind them, shared
 * IOMMU groups (a chipset group with LPC and SMBus too), serials, slots;
 * rules: address (whole or a slot's functions, guarded or not), id,
 * subsystem, serial, slot, path, each maybe with 'group' and another driver,
 * so that rules conflict over devices and groups pull devices in.
 *
 * For each case, `apply --dry-run` names every device it would give a
 * driver ("would set driver_override to T"); then for every device X,
 * `apply --device X --dry-run` must name X with the same T, or nothing when
 * the full run left X alone, and never another device. EVENT_SEED=N
 * replays a seed, EVENT_CASES=N (default 60), EVENT_SECONDS=S the budget
 * (default 60; the cases done by then count).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define MAX_DEVS      24
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

struct model {
        uint16_t vendor, device;
        uint32_t class;
        const char *driver;
};

static const struct model models[] = {
        {0x8086, 0x2922, 0x010601, "ahci"},          {0x10de, 0x1b80, 0x030000, "nouveau"},
        {0x10de, 0x10f0, 0x040300, "snd_hda_intel"}, {0x8086, 0x10d3, 0x020000, "e1000e"},
        {0x1b36, 0x000d, 0x0c0330, "xhci_hcd"},
};
static const uint16_t subsystems[][2] = {{0x1af4, 0x1100}, {0x1458, 0x3702}};

struct gdev {
        char addr[16], group[8], slot[8], path[32];
        uint16_t vendor, device, subvendor, subdevice;
        uint64_t serial;
        bool has_serial, bridge;
};

struct gtree {
        struct gdev d[MAX_DEVS];
        size_t n;
};

static uint64_t rng;

static unsigned rn(unsigned n)
{
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned)((rng >> 33) % n);
}

static struct gdev *gadd(struct tenv *e, struct gtree *t, const char *addr, const struct model *m, unsigned group,
                         const char *parent, const char *path)
{
        struct gdev *g = &t->d[t->n++];

        *g = (struct gdev){0};
        const uint16_t *ss = subsystems[rn(2)];
        const char *drivers[] = {m->driver, m->driver, m->driver, NULL, "vfio-pci"};
        struct fake_dev fd = {0};

        snprintf(g->addr, sizeof(g->addr), "%s", addr);
        snprintf(g->group, sizeof(g->group), "%u", group);
        snprintf(g->path, sizeof(g->path), "%s", path);
        g->vendor = m->vendor;
        g->device = m->device;
        g->subvendor = ss[0];
        g->subdevice = ss[1];
        g->bridge = (m->class >> 8) == 0x0604;
        if (!g->bridge && rn(3) == 0) {
                g->has_serial = true;
                g->serial = ((uint64_t)rn(4) << 56) | 0x5254000000ull | rn(3);
        }
        fd = (struct fake_dev){.addr = g->addr,
                               .vendor = g->vendor,
                               .device = g->device,
                               .subvendor = g->subvendor,
                               .subdevice = g->subdevice,
                               .class = m->class,
                               .driver = g->bridge ? m->driver : drivers[rn(5)],
                               .group = g->group,
                               .parent = parent,
                               .serial = g->serial,
                               .has_serial = g->has_serial};
        /* A physical slot names a card: its function 0 carries it. */
        if (!g->bridge && addr[11] == '0' && rn(3) == 0) {
                snprintf(g->slot, sizeof(g->slot), "%u", 1 + rn(3));
                for (size_t i = 0; i + 1 < t->n; i++)
                        if (strcmp(t->d[i].slot, g->slot) == 0)
                                g->slot[0] = 0;
                fd.slot = g->slot[0] ? g->slot : NULL;
        }
        tenv_dev(e, &fd);
        return g;
}

static void gen_tree(struct tenv *e, struct gtree *t)
{
        static const struct model host = {0x8086, 0x29c0, 0x060000, NULL}, lpc = {0x8086, 0x2918, 0x060100, "lpc_ich"},
                                  port = {0x1b36, 0x000c, 0x060400, "pcieport"};
        unsigned group = 0, ports = 1 + rn(3), ends = 1 + rn(3), chip;
        char addr[16], path[32], parent[16];

        t->n = 0;
        gadd(e, t, "0000:00:00.0", &host, group++, NULL, "00:00.0");
        for (unsigned p = 0; p < ports; p++) {
                unsigned bus = p + 1, funcs = 1 + rn(3), card = rn(2) ? group++ : 0, pg = group++;

                snprintf(parent, sizeof(parent), "0000:00:%02x.0", 0x1c + p);
                snprintf(path, sizeof(path), "00:%02x.0", 0x1c + p);
                gadd(e, t, parent, &port, pg, NULL, path);
                for (unsigned f = 0; f < funcs; f++) {
                        snprintf(addr, sizeof(addr), "0000:%02x:00.%u", bus, f);
                        snprintf(path, sizeof(path), "00:%02x.0/00.%u", 0x1c + p, f);
                        /* A card's functions share a group, or each has its own, or the port's (no ACS). */
                        gadd(e, t, addr, &models[rn(ELEMENTSOF(models))],
                             card    ? card
                             : rn(3) ? group++
                                     : pg,
                             parent, path);
                }
        }
        for (unsigned i = 0; i < ends; i++) {
                snprintf(addr, sizeof(addr), "0000:00:%02x.0", 2 + i);
                snprintf(path, sizeof(path), "00:%02x.0", 2 + i);
                gadd(e, t, addr, &models[rn(ELEMENTSOF(models))], rn(4) == 0 && i > 0 ? group - 1 : group++, NULL,
                     path);
        }
        chip = group++;
        gadd(e, t, "0000:00:1f.0", &lpc, chip, NULL, "00:1f.0");
        gadd(e, t, "0000:00:1f.2", &models[0], chip, NULL, "00:1f.2");
}

static void gen_rules(const struct gtree *t, char *buf, size_t size)
{
        unsigned n = 1 + rn(4);
        size_t o = 0;

        buf[0] = 0;
        for (unsigned i = 0; i < n && o < size; i++) {
                const struct gdev *d = &t->d[rn((unsigned)t->n)];
                char sel[96];

                switch (rn(8)) {
                case 0:
                        snprintf(sel, sizeof(sel), "address %s", d->addr);
                        break;
                case 1:
                        /* every function of the slot; with a guard that may not hold */
                        snprintf(sel, sizeof(sel), "address %.10s id %04x:%04x", d->addr, d->vendor,
                                 rn(2) ? d->device : 0x1234);
                        break;
                case 2:
                        snprintf(sel, sizeof(sel), "id %04x:%04x", d->vendor, d->device);
                        break;
                case 3:
                        snprintf(sel, sizeof(sel), "id %04x:", d->vendor);
                        break;
                case 4:
                        snprintf(sel, sizeof(sel), "subsystem %04x:%04x", d->subvendor, d->subdevice);
                        break;
                case 5: {
                        uint64_t s = d->has_serial ? d->serial : 0x5254000000ull;

                        snprintf(sel, sizeof(sel), "serial %02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
                                 (unsigned)(s >> 56) & 0xff, (unsigned)(s >> 48) & 0xff, (unsigned)(s >> 40) & 0xff,
                                 (unsigned)(s >> 32) & 0xff, (unsigned)(s >> 24) & 0xff, (unsigned)(s >> 16) & 0xff,
                                 (unsigned)(s >> 8) & 0xff, (unsigned)s & 0xff);
                        break;
                }
                case 6:
                        snprintf(sel, sizeof(sel), "slot %u", 1 + rn(3));
                        break;
                default:
                        snprintf(sel, sizeof(sel), "path %s", d->path);
                        break;
                }
                o += (size_t)snprintf(buf + o, size - o, "%s%s%s\n", sel, rn(3) == 0 ? " group" : "",
                                      rn(4) == 0 ? " driver pci-stub" : "");
        }
}

/* The driver the run's messages say addr would get, "" for none; how many devices it names. */
static void would(const char *err, const char *addr, char *target, size_t size, unsigned *n_named)
{
        const char *p = err;
        char want[64];

        target[0] = 0;
        *n_named = 0;
        snprintf(want, sizeof(want), "%s [", addr);
        while ((p = strstr(p, ": dry run: would set driver_override to "))) {
                const char *line = p, *end;

                while (line > err && line[-1] != '\n')
                        line--;
                p += strlen(": dry run: would set driver_override to ");
                end = p + strcspn(p, "\n");
                (*n_named)++;
                if (strstr(line, want) && strstr(line, want) < p)
                        snprintf(target, size, "%.*s", (int)(end - p), p);
        }
}

static double seconds_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(device_decides_as_full_apply)
{
        const char *s_seed = getenv("EVENT_SEED"), *s_cases = getenv("EVENT_CASES"), *s_secs = getenv("EVENT_SECONDS");
        uint64_t seed = s_seed ? strtoull(s_seed, NULL, 0) : (uint64_t)time(NULL);
        unsigned cases = s_cases ? (unsigned)atoi(s_cases) : 60, done = 0, bad = 0, selected = 0, events = 0;
        double budget = s_secs ? atof(s_secs) : 60, t0 = seconds_now();

        t_diag("EVENT_SEED=%" PRIu64, seed);
        for (unsigned c = 0; c < cases && seconds_now() - t0 < budget; c++) {
                struct tenv *e = tenv_new();
                struct gtree t;
                struct result full = {0};
                char rules[1024];
                unsigned case_bad = 0;

                rng = seed + c * 0x9e3779b97f4a7c15ull;
                SETUP(fakesys_add_driver(e->fs, "vfio-pci"));
                SETUP(fakesys_add_driver(e->fs, "pci-stub"));
                gen_tree(e, &t);
                gen_rules(&t, rules, sizeof(rules));
                tenv_config(e, rules);
                tenv_run(e, &full, "apply", "--dry-run", NULL);
                for (size_t i = 0; i < t.n; i++) {
                        struct result one = {0};
                        char want[64], got[64];
                        unsigned n_full, n_one;

                        would(full.err, t.d[i].addr, want, sizeof(want), &n_full);
                        tenv_run(e, &one, "apply", "--dry-run", "--device", t.d[i].addr, NULL);
                        would(one.err, t.d[i].addr, got, sizeof(got), &n_one);
                        events++;
                        selected += want[0] != 0;
                        if (one.code != 0 || strcmp(want, got) != 0 || n_one != (got[0] ? 1u : 0u)) {
                                t_diag("case %u (EVENT_SEED=%" PRIu64 " case %u): %s: full apply '%s', apply --device "
                                       "'%s' (names %u devices, exit %d)",
                                       c, seed, c, t.d[i].addr, want, got, n_one, one.code);
                                case_bad++;
                        }
                        result_clear(&one);
                }
                if (case_bad) {
                        t_diag_text("rules", rules);
                        t_diag_text("full apply", full.err);
                        bad++;
                }
                result_clear(&full);
                tenv_free(e);
                done++;
        }
        CHECK(done >= 1, "%u cases run in the budget (%u events, %u of them for a selected device)", done, events,
              selected);
        CHECK(selected > 0 && selected < events, "the cases select some devices and leave others");
        CHECK(bad == 0, "in every case apply --device decides each device as the full apply does (%u cases differ)",
              bad);
}
