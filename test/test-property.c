// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Property test of apply: random fake sysfs trees and random rule sets; for
 * each, an oracle written here from the rule language of vfio-claim.conf(5)
 * and docs/configuration.md (it calls nothing in lib/) says which devices are selected
 * and so what apply must write. The real binary then runs on the tree, and a
 * snapshot of the whole tree before and after must differ in exactly those
 * writes: every other file, link and mode is byte-for-byte what it was.
 *
 * The trees: 1 to 500 functions (most 1-40), twins with identical IDs and
 * subsystem IDs, multi-function slots (sometimes sparse), bridges (0604,
 * 0604 prog-if 01, 0607, 0609; pcieport) with devices and more bridges
 * behind them, a second PCI domain (also a 5-digit one), IOMMU groups per
 * device, per slot, shared at random or absent altogether, drivers bound or
 * not (also the targets themselves), preset driver_override values,
 * boot_vga, target drivers registered or not.
 *
 * The rules: address in every lspci -s form (exact, any domain, slot only,
 * function only, "*" and empty fields, 0x, leading zeros, upper case), id
 * with vendor, device, class with "x" digits, prog-if, subsystem, guards
 * (address with id and/or subsystem), group, driver pci-stub, decorations
 * (tabs, comments, CRLF, keyword order), and malformed or unconstrained
 * lines, which the oracle expects to be refused with file:line and to
 * change nothing.
 *
 * What the oracle takes from the spec:
 *   - a rule's selectors must all match; rules are tried in file order and
 *     the first that selects a device owns it ("the first one read wins");
 *   - bridges (class 0604, 0607, 0609) are never selected, by any rule;
 *   - guard: a rule with an address and id/subsystem selects what matches
 *     all of them; when the address alone matches at least one device (a
 *     bridge counts: it is what is there) but none matches all selectors,
 *     the rule selects nothing;
 *   - group: every other member of the IOMMU group of each device the rule
 *     selected directly (or matches, but an earlier rule took for the same
 *     driver) is added, except bridges, chipset bridges (any other class
 *     06xx: host, ISA, ...) and one an earlier rule owns;
 *   - a rule whose selectors constrain nothing (a domain alone counts as
 *     nothing) is refused; that includes a
 *     class of four "x" digits ("id ::xxxx" matches every device just as
 *     "address *" does: vfio-claim.conf(5), SAFETY);
 *   - writes, for each selected device and its rule's driver T: driver_override
 *     becomes "T\n" unless it is T already; if the device is bound to D != T,
 *     "ADDR\n" is appended to drivers/D/unbind; unless it is on T, "ADDR\n" is
 *     appended to drivers/T/bind when T is registered (outside /sys nothing
 *     loads modules, so an unregistered T gets no bind);
 *   - new_id (docs/how-it-works.md, step 5): for a rule with an id and no
 *     address, when T is registered and no
 *     device that matches its selectors was left out (a bridge, or a device an
 *     earlier rule owns): one line "V D SV SD CLASS MASK" (hex, ffffffff for
 *     any). A rule of subsystem alone has no ID to register. A rule that
 *     matches no device at all registers its id too, as vfio-pci.ids= does
 *     (issue 12: for devices that appear later).
 *   - #20's options (random valid rules carry owner UID[:GID] or :GID, mode,
 *     reset-method flr, d3cold off, runtime-pm off): on a selected device
 *     that ends the run on its target (here: one already on it), its rule's
 *     reset_method (where the device has one), d3cold_allowed "0" and
 *     power/control "on" (the tree starts some at "auto", as vfio-pci's probe
 *     leaves it); the group node DEV/vfio/N of such a device becomes its
 *     rule's owner and mode (0600 for a user, 0660 for :GROUP alone), the
 *     first rule in the file among the group's selected devices deciding.
 *     No other device's power files and no other node (nor /dev/vfio/vfio)
 *     change: the sysfs snapshot covers the files, a stat of every node
 *     under the scratch DEV after each run the nodes. Runs get --dev, --etc
 *     and --run in the worker's scratch directory, never the host's.
 *
 * Idempotence. There is no kernel behind the tree, so "a second apply changes
 * nothing" is checked in two ways, chosen at random per case:
 *   - kernel: after the first run the fixture does what the kernel would
 *     have done (each device apply bound moves to its target driver, each
 *     device it unbound without a registered target is left without driver);
 *     then a second apply must leave the whole tree byte-for-byte as it is,
 *     except that each new_id gets the same lines again (the real kernel
 *     answers a known id with EEXIST, which apply accepts);
 *   - raw: nothing moves; the second apply writes no driver_override (they
 *     already hold the targets) and repeats exactly the first run's
 *     bind/unbind/new_id requests, for the same devices, and nothing else.
 * Each run's report must match the oracle too: the summary line (selected,
 * already bound, held off), an error naming each malformed, refused or
 * guard-mismatched line by file:line, and one "driver_override set to" and
 * "unbinding from" line per such write (a rewrite of the same value would be
 * invisible in the tree).
 *
 * Environment: PROPERTY_SEED=N replays a run (the seed is printed at the
 * start and with each failure), PROPERTY_ONLY=I runs only case I of that
 * seed, PROPERTY_CASES=N (default 2000), PROPERTY_SECONDS=S the time budget
 * after which no new case starts (default 60, 150 under ASan; 0 = none),
 * PROPERTY_JOBS=N worker processes (default: online CPUs, at most 4),
 * PROPERTY_TMPDIR=DIR where the trees go (default /dev/shm when it is a
 * tmpfs: six times faster than ext4 here, else $TMPDIR), FAKESYS_KEEP=1
 * keeps the trees. A failure prints the tree as an mkfakesys spec and the
 * config, so that it can be rebuilt by hand:
 *     mkfakesys -f tree.spec DIR
 *     vfio-claim --sysfs DIR --config vfio-claim.conf --cmdline EMPTY-FILE apply
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define MAX_DEVS  500
#define MAX_RULES 16
#define MAX_BUSES 64

static const char *argv0 = "test-property";

/* ---- small helpers ---- */

static void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                t_fatal(__FILE__, __LINE__, "malloc", -ENOMEM);
        return p;
}

static char *xstrdup(const char *s)
{
        char *p = strdup(s);

        if (!p)
                t_fatal(__FILE__, __LINE__, "strdup", -ENOMEM);
        return p;
}

/* A growing byte buffer; may hold NUL bytes (the config sometimes does). */
struct buf {
        char *p;
        size_t n, alloc;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->alloc) {
                size_t na = b->alloc ? b->alloc : 256;
                char *p;

                while (na < b->n + n + 1)
                        na *= 2;
                p = realloc(b->p, na);
                if (!p)
                        t_fatal(__FILE__, __LINE__, "realloc", -ENOMEM);
                b->p = p;
                b->alloc = na;
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = 0;
}

static void buf_puts(struct buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = xvasprintf(fmt, ap);
        va_end(ap);
        buf_add(b, s, strlen(s));
        free(s);
}

static void buf_free(struct buf *b)
{
        free(b->p);
        *b = (struct buf){0};
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- randomness: splitmix64 for seeds, xorshift64* for the stream ---- */

struct rng {
        uint64_t s;
};

static uint64_t splitmix64(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return x ^ (x >> 31);
}

static uint64_t rnext(struct rng *g)
{
        g->s ^= g->s >> 12;
        g->s ^= g->s << 25;
        g->s ^= g->s >> 27;
        return g->s * 0x2545f4914f6cdd1dull;
}

static unsigned rn(struct rng *g, unsigned n)
{
        return n ? (unsigned)(rnext(g) % n) : 0;
}

static bool chance(struct rng *g, unsigned percent)
{
        return rn(g, 100) < percent;
}

/* ---- the machine ---- */

struct model {
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class;
        const char *driver; /* its usual host driver, NULL: none */
};

/* Endpoints; several share vendor:device (the same chip on other boards) or everything. */
static const struct model endpoints[] = {
        {0x8086, 0x2922, 0x1af4, 0x1100, 0x010601, "ahci"},
        {0x8086, 0x2922, 0x8086, 0xa01f, 0x010601, "ahci"},
        {0x8086, 0x2922, 0x1af4, 0x1100, 0x010600, "ahci"},
        {0x10de, 0x1b80, 0x1458, 0x3702, 0x030000, "nouveau"},
        {0x10de, 0x10f0, 0x1458, 0x3702, 0x040300, "snd_hda_intel"},
        {0x10de, 0x1b80, 0x10de, 0x119e, 0x030000, "nouveau"},
        {0x1b36, 0x000d, 0x1af4, 0x1100, 0x0c0330, "xhci_hcd"},
        {0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000, "e1000e"},
        {0x8086, 0x10d3, 0x8086, 0x0001, 0x020000, "e1000e"},
        {0x144d, 0xa808, 0x144d, 0xa801, 0x010802, "nvme"},
        {0x1af4, 0x1041, 0x1af4, 0x1100, 0x020000, "virtio-pci"},
        {0x8086, 0x2930, 0x1af4, 0x1100, 0x0c0500, "i801_smbus"},
        {0x8086, 0x2918, 0x1af4, 0x1100, 0x060100, "lpc_ich"},
        {0x8086, 0x29c0, 0x1af4, 0x1100, 0x060000, NULL}, /* a host bridge: class 0600, not a bridge to skip */
        {0x1234, 0x1111, 0x1af4, 0x1100, 0x030000, "bochs-drm"},
        {0x15b3, 0x101e, 0x15b3, 0x0000, 0x020000, "mlx5_core"},
        {0x8086, 0x1572, 0x8086, 0x0000, 0x020000, "i40e"},
        {0x0000, 0x0000, 0x0000, 0x0000, 0x000000, NULL}, /* all zero: a corner for "0" selectors */
        {0xffff, 0xfffe, 0xffff, 0xffff, 0xff0000, NULL},
};

static const struct model bridges[] = {
        {0x8086, 0x2940, 0x1af4, 0x1100, 0x060400, "pcieport"},
        {0x1b36, 0x000c, 0x1af4, 0x1100, 0x060400, "pcieport"},
        {0x8086, 0x244e, 0x0000, 0x0000, 0x060401, NULL}, /* subtractive decode */
        {0x104c, 0xac50, 0x0000, 0x0000, 0x060700, "yenta_cardbus"},
        {0x8086, 0x3c02, 0x8086, 0x0000, 0x060900, "pcieport"}, /* semi-transparent */
};

static const char *const other_drivers[] = {"nouveau", "ahci", "e1000e", "xhci_hcd"};

struct pdev {
        char addr[24];
        uint32_t domain;
        unsigned bus, slot, func;
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class;
        char driver[32];   /* "" when unbound */
        int group;         /* -1: none */
        char override[32]; /* "": the kernel's "(null)" */
        int boot_vga;      /* -1: no such file */
        int parent;        /* the bridge it sits behind, -1: a root bus */
        char reset[8];     /* reset_method, "": no such file */
        /* the oracle's answer */
        int rule; /* index of the rule that selects it, -1: none */
        bool via; /* pulled in by group expansion */
};

struct tree {
        struct pdev dev[MAX_DEVS];
        size_t n;
        bool iommu;
        char registered[8][32]; /* drivers with a directory under bus/pci/drivers */
        size_t n_registered;
        struct buf spec; /* the mkfakesys spec that builds it */
};

static bool is_bridge(const struct pdev *d)
{
        unsigned cs = d->class >> 8;

        return cs == 0x0604 || cs == 0x0607 || cs == 0x0609;
}

static bool registered(const struct tree *t, const char *driver)
{
        for (size_t i = 0; i < t->n_registered; i++)
                if (strcmp(t->registered[i], driver) == 0)
                        return true;
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->dev[i].driver, driver) == 0)
                        return true;
        return false;
}

struct bus {
        uint32_t domain;
        unsigned nr;
        int bridge;
        unsigned next_slot;
};

static unsigned pick_size(struct rng *g)
{
        unsigned r = rn(g, 1000);

        if (r < 650)
                return 1 + rn(g, 12);
        if (r < 940)
                return 13 + rn(g, 28);
        if (r < 990)
                return 41 + rn(g, 110);
        return 151 + rn(g, MAX_DEVS - 150);
}

static void set_model(struct pdev *d, const struct model *m)
{
        d->vendor = m->vendor;
        d->device = m->device;
        d->subvendor = m->subvendor;
        d->subdevice = m->subdevice;
        d->class = m->class;
}

static void pick_driver(struct rng *g, struct pdev *d, const char *usual)
{
        unsigned r = rn(g, 100);
        const char *drv = NULL;

        if (r < 70)
                drv = usual;
        else if (r < 82)
                drv = NULL;
        else if (r < 91)
                drv = "vfio-pci";
        else if (r < 97)
                drv = "pci-stub";
        else
                drv = other_drivers[rn(g, sizeof(other_drivers) / sizeof(other_drivers[0]))];
        snprintf(d->driver, sizeof(d->driver), "%s", drv ? drv : "");
}

static void gen_tree(struct rng *g, struct tree *t)
{
        struct bus buses[MAX_BUSES];
        size_t nbus = 0;
        unsigned want = pick_size(g), next_group = rn(g, 30), max_bus[2] = {0, 0};
        uint32_t domains[2] = {0, 0};
        size_t ndom = 1;
        enum { G_DEVICE, G_SLOT, G_RANDOM } gmode;
        bool vga_boot_given = false;

        buf_free(&t->spec);
        t->n = 0;
        t->n_registered = 0;
        t->iommu = !chance(g, 10);
        gmode = rn(g, 3);
        buses[nbus++] = (struct bus){0, 0, -1, 0};
        if (chance(g, 10)) {
                domains[ndom++] = chance(g, 50) ? 1 : 0x10000;
                buses[nbus++] = (struct bus){domains[1], 0, -1, 0};
        }
        if (chance(g, 8)) {
                /* A second root bus in domain 0 (another host bridge). */
                buses[nbus++] = (struct bus){0, 0x80, -1, 0};
                max_bus[0] = 0x80;
        }
        if (chance(g, 85))
                snprintf(t->registered[t->n_registered++], 32, "vfio-pci");
        if (chance(g, 55))
                snprintf(t->registered[t->n_registered++], 32, "pci-stub");

        while (t->n < want) {
                struct bus *b = NULL;
                unsigned nfunc, funcs[8], nf = 0;
                int slot_group = -1;

                for (unsigned tries = 0; tries < 8 && !b; tries++) {
                        struct bus *c = &buses[rn(g, (unsigned)nbus)];

                        if (c->next_slot <= 0x1f)
                                b = c;
                }
                for (size_t i = 0; i < nbus && !b; i++)
                        if (buses[i].next_slot <= 0x1f)
                                b = &buses[i];
                if (!b)
                        break;
                size_t di = b->domain == domains[0] ? 0 : 1;
                unsigned slot = b->next_slot;

                b->next_slot += 1 + (chance(g, 15) ? rn(g, 4) : 0);
                if (chance(g, 12) && nbus < MAX_BUSES && max_bus[di] < 0xff) {
                        /* A bridge, and the bus behind it. */
                        struct pdev *d = &t->dev[t->n];

                        *d = (struct pdev){.domain = b->domain,
                                           .bus = b->nr,
                                           .slot = slot,
                                           .func = 0,
                                           .parent = b->bridge,
                                           .boot_vga = -1,
                                           .rule = -1};
                        const struct model *m = &bridges[rn(g, sizeof(bridges) / sizeof(bridges[0]))];

                        set_model(d, m);
                        snprintf(d->driver, sizeof(d->driver), "%s", m->driver && chance(g, 90) ? m->driver : "");
                        d->group = -1;
                        if (t->iommu) {
                                if (b->bridge >= 0 && chance(g, 40))
                                        d->group = t->dev[b->bridge].group;
                                else
                                        d->group = (int)next_group++;
                        }
                        buses[nbus++] = (struct bus){b->domain, ++max_bus[di], (int)t->n, 0};
                        t->n++;
                        continue;
                }
                nfunc = chance(g, 70) ? 1 : 2 + rn(g, 7);
                if (chance(g, 25) && nfunc > 1) {
                        /* Sparse functions: 0 and some of the others. */
                        funcs[nf++] = 0;
                        for (unsigned f = 1; f < 8 && nf < nfunc; f++)
                                if (chance(g, 50))
                                        funcs[nf++] = f;
                } else
                        for (unsigned f = 0; f < nfunc; f++)
                                funcs[nf++] = f;
                if (t->iommu) {
                        if (b->bridge >= 0 && chance(g, 50))
                                slot_group = t->dev[b->bridge].group;
                        else
                                slot_group = (int)next_group++;
                }
                for (unsigned k = 0; k < nf && t->n < want; k++) {
                        struct pdev *d = &t->dev[t->n];
                        const struct model *m = NULL;

                        *d = (struct pdev){.domain = b->domain,
                                           .bus = b->nr,
                                           .slot = slot,
                                           .func = funcs[k],
                                           .parent = b->bridge,
                                           .boot_vga = -1,
                                           .rule = -1};
                        if (t->n > 0 && chance(g, 40)) {
                                /* A twin of a device made before: same IDs, same subsystem. */
                                const struct pdev *o = &t->dev[rn(g, (unsigned)t->n)];

                                if (!is_bridge(o)) {
                                        d->vendor = o->vendor;
                                        d->device = o->device;
                                        d->subvendor = o->subvendor;
                                        d->subdevice = o->subdevice;
                                        d->class = o->class;
                                        pick_driver(g, d, o->driver[0] ? o->driver : NULL);
                                } else
                                        m = &endpoints[rn(g, sizeof(endpoints) / sizeof(endpoints[0]))];
                        } else if (chance(g, 8)) {
                                static const uint32_t classes[] = {0x010601, 0x020000, 0x030000, 0x0c0330,
                                                                   0x010802, 0x040300, 0x120000};

                                d->vendor = (uint16_t)rn(g, 0x10000);
                                d->device = (uint16_t)rn(g, 0x10000);
                                d->subvendor = (uint16_t)rn(g, 0x10000);
                                d->subdevice = (uint16_t)rn(g, 0x10000);
                                d->class = classes[rn(g, sizeof(classes) / sizeof(classes[0]))];
                                pick_driver(g, d, NULL);
                        } else
                                m = &endpoints[rn(g, sizeof(endpoints) / sizeof(endpoints[0]))];
                        if (m) {
                                set_model(d, m);
                                pick_driver(g, d, m->driver);
                        }
                        d->group = -1;
                        if (t->iommu && !chance(g, 3)) {
                                if (gmode == G_SLOT)
                                        d->group = slot_group;
                                else if (gmode == G_DEVICE || t->n == 0 || chance(g, 60))
                                        d->group = (int)next_group++;
                                else {
                                        const struct pdev *o = &t->dev[rn(g, (unsigned)t->n)];

                                        d->group = o->group >= 0 ? o->group : (int)next_group++;
                                }
                        }
                        if ((d->class >> 8) == 0x0300) {
                                d->boot_vga = !vga_boot_given && chance(g, 60);
                                vga_boot_given |= d->boot_vga;
                        }
                        if (chance(g, 15)) {
                                static const char *const ovr[] = {"vfio-pci", "pci-stub", "nouveau", "vfio-pci"};

                                snprintf(d->override, sizeof(d->override), "%s", ovr[rn(g, 4)]);
                        }
                        t->n++;
                }
        }
        for (size_t i = 0; i < t->n; i++)
                snprintf(t->dev[i].addr, sizeof(t->dev[i].addr), "%04x:%02x:%02x.%u", t->dev[i].domain, t->dev[i].bus,
                         t->dev[i].slot, t->dev[i].func);

        /* Most endpoints offer flr (QEMU's nvme does), some pm, some no reset at all. */
        for (size_t i = 0; i < t->n; i++) {
                unsigned r = rn(g, 100);

                snprintf(t->dev[i].reset, sizeof(t->dev[i].reset), "%s", r < 70 ? "flr" : r < 85 ? "pm" : "");
        }
        for (size_t i = 0; i < t->n_registered; i++)
                buf_printf(&t->spec, "driver %s\n", t->registered[i]);
        for (size_t i = 0; i < t->n; i++) {
                const struct pdev *d = &t->dev[i];

                buf_printf(&t->spec, "dev %s %04x:%04x %04x:%04x %06x", d->addr, d->vendor, d->device, d->subvendor,
                           d->subdevice, d->class);
                if (d->driver[0])
                        buf_printf(&t->spec, " driver=%s", d->driver);
                if (d->group >= 0)
                        buf_printf(&t->spec, " group=%d", d->group);
                if (d->boot_vga >= 0)
                        buf_printf(&t->spec, " boot_vga=%d", d->boot_vga);
                if (d->parent >= 0)
                        buf_printf(&t->spec, " parent=%s", t->dev[d->parent].addr);
                if (d->override[0])
                        buf_printf(&t->spec, " override=%s", d->override);
                if (d->reset[0])
                        buf_printf(&t->spec, " reset=%s", d->reset);
                buf_puts(&t->spec, "\n");
        }
        if (!t->iommu)
                buf_puts(&t->spec, "noiommu\n");
}

/* ---- rules ---- */

#define ANY (-1)

struct prule {
        unsigned line;  /* its line in the config */
        bool malformed; /* the oracle expects an error naming the line, and no effect */
        bool has_addr, has_id, has_subsys;
        int64_t d, b, s, f;
        int64_t vendor, device, progif;
        char cls[8]; /* class digits as written ("01xx"), "": any */
        int64_t sv, sd;
        bool group;
        char driver[32];
        /* #20: owner UID[:GID] / :GID (-1: not named), mode (0: none); power */
        bool has_owner;
        int64_t uid, gid;
        unsigned mode;
        char reset[8]; /* reset-method, "": none */
        bool d3cold_off, rpm_off;
        /* the oracle's answer */
        bool refused;        /* valid syntax, but constrains nothing */
        bool guard_mismatch; /* selects nothing: the address holds other hardware */
        unsigned n_selected;
};

struct ruleset {
        struct prule r[MAX_RULES];
        size_t n;
        struct buf text; /* the config file */
        unsigned lines;
        unsigned expect_errors; /* malformed and refused lines */
};

/* A number as lspci takes it: any case, extra leading zeros, or 0x (not for class). */
static void put_hex(struct rng *g, struct buf *o, uint32_t v, unsigned width, bool allow_0x)
{
        switch (rn(g, 10)) {
        case 0:
                buf_printf(o, "%x", v);
                break;
        case 1:
                buf_printf(o, "%0*X", (int)width, v);
                break;
        case 2:
                if (allow_0x)
                        buf_printf(o, "0x%x", v);
                else
                        buf_printf(o, "%0*x", (int)width, v);
                break;
        case 3:
                buf_printf(o, "0%0*x", (int)width, v);
                break;
        default:
                buf_printf(o, "%0*x", (int)width, v);
                break;
        }
}

static void put_any(struct rng *g, struct buf *o)
{
        buf_puts(o, chance(g, 50) ? "" : "*");
}

static void render_addr(struct rng *g, struct buf *o, const struct prule *r)
{
        bool bus_field;

        if (r->d == ANY && r->b == ANY && r->s == ANY && r->f == ANY) {
                static const char *const all[] = {"*", "*:*", "::", "*.*", "*:*:*.*", "*:", ":*.*"};

                buf_puts(o, all[rn(g, sizeof(all) / sizeof(all[0]))]);
                return;
        }
        if (r->d != ANY) {
                put_hex(g, o, (uint32_t)r->d, 4, true);
                buf_puts(o, ":");
                bus_field = true;
        } else if (chance(g, 10)) {
                put_any(g, o);
                buf_puts(o, ":");
                bus_field = true;
        } else
                bus_field = r->b != ANY || chance(g, 15);
        if (bus_field) {
                if (r->b != ANY)
                        put_hex(g, o, (uint32_t)r->b, 2, true);
                else
                        put_any(g, o);
                buf_puts(o, ":");
        }
        if (r->s != ANY && r->f != ANY) {
                put_hex(g, o, (uint32_t)r->s, 2, true);
                buf_puts(o, ".");
                put_hex(g, o, (uint32_t)r->f, 1, true);
        } else if (r->s != ANY) {
                static const char *const tails[] = {"", "", ".", ".*"};

                put_hex(g, o, (uint32_t)r->s, 2, true);
                buf_puts(o, tails[rn(g, 4)]);
        } else if (r->f != ANY) {
                put_any(g, o);
                buf_puts(o, ".");
                put_hex(g, o, (uint32_t)r->f, 1, true);
        } else {
                /* Only the bus or the domain is given: the slot part may be empty. */
                static const char *const rest[] = {"", "*", "*.*", ".", ".*"};

                buf_puts(o, rest[rn(g, sizeof(rest) / sizeof(rest[0]))]);
        }
}

static void render_id(struct rng *g, struct buf *o, const struct prule *r)
{
        bool class_field = r->cls[0] || r->progif != ANY || chance(g, 10);

        if (r->vendor != ANY)
                put_hex(g, o, (uint32_t)r->vendor, 4, true);
        else
                put_any(g, o);
        buf_puts(o, ":");
        if (r->device != ANY)
                put_hex(g, o, (uint32_t)r->device, 4, true);
        else
                put_any(g, o);
        if (class_field) {
                buf_puts(o, ":");
                if (r->cls[0])
                        buf_puts(o, r->cls);
                else
                        put_any(g, o);
        }
        if (r->progif != ANY) {
                buf_puts(o, ":");
                put_hex(g, o, (uint32_t)r->progif, 2, true);
        } else if (class_field && chance(g, 10)) {
                buf_puts(o, ":");
                put_any(g, o);
        }
}

static void render_subsys(struct rng *g, struct buf *o, const struct prule *r)
{
        if (r->sv != ANY)
                put_hex(g, o, (uint32_t)r->sv, 4, true);
        else
                put_any(g, o);
        buf_puts(o, ":");
        if (r->sd != ANY)
                put_hex(g, o, (uint32_t)r->sd, 4, true);
        else
                put_any(g, o);
}

/* Class digits for a class, right-aligned as lspci reads them: some digits "x",
 * leading zeros sometimes dropped ("106" is 0106). */
static void make_class(struct rng *g, char *out, uint32_t class16, unsigned x_percent)
{
        char s[8];
        const char *p = s;

        snprintf(s, sizeof(s), "%04x", class16 & 0xffff);
        for (int i = 0; i < 4; i++)
                if (chance(g, x_percent))
                        s[i] = chance(g, 80) ? 'x' : 'X';
        if (chance(g, 30))
                while (p[0] == '0' && p[1])
                        p++;
        snprintf(out, 8, "%s", p);
}

static int64_t maybe_other(struct rng *g, uint32_t v, uint32_t max)
{
        /* Now and then a value that is not the device's: a rule for absent hardware. */
        if (chance(g, 12))
                return (int64_t)((v + 1 + rn(g, 3)) % (max + 1));
        return v;
}

/* One valid rule's selectors, mostly taken from a device of the tree. */
static void gen_selectors(struct rng *g, const struct tree *t, struct prule *r)
{
        const struct pdev *d = &t->dev[rn(g, (unsigned)t->n)];
        const struct pdev *other = &t->dev[rn(g, (unsigned)t->n)];
        unsigned kind = rn(g, 100);

        r->d = r->b = r->s = r->f = ANY;
        r->vendor = r->device = r->progif = ANY;
        r->sv = r->sd = ANY;
        r->cls[0] = 0;
        if (kind < 35)
                r->has_addr = true;
        else if (kind < 55)
                r->has_id = true;
        else if (kind < 60)
                r->has_subsys = true;
        else if (kind < 67)
                r->has_id = r->has_subsys = true;
        else if (kind < 85)
                r->has_addr = r->has_id = true;
        else if (kind < 94)
                r->has_addr = r->has_subsys = true;
        else
                r->has_addr = r->has_id = r->has_subsys = true;
        if (r->has_addr) {
                if (chance(g, 30))
                        r->d = maybe_other(g, d->domain, 0xffff);
                if (chance(g, 85))
                        r->b = maybe_other(g, d->bus, 0xff);
                if (chance(g, 80))
                        r->s = maybe_other(g, d->slot, 0x1f);
                if (chance(g, 60))
                        r->f = maybe_other(g, d->func, 7);
        }
        /* A guard is taken from the device at the address, or (a mismatch) from another. */
        if (r->has_addr && chance(g, 30))
                d = other;
        if (r->has_id) {
                if (chance(g, 90))
                        r->vendor = maybe_other(g, d->vendor, 0xffff);
                if (chance(g, 60))
                        r->device = maybe_other(g, d->device, 0xffff);
                if (chance(g, 20) || (r->vendor == ANY && r->device == ANY && chance(g, 70)))
                        make_class(g, r->cls, d->class >> 8, 20);
                if (chance(g, 10))
                        r->progif = maybe_other(g, d->class & 0xff, 0xff);
        }
        if (r->has_subsys) {
                if (chance(g, 85))
                        r->sv = maybe_other(g, d->subvendor, 0xffff);
                if (chance(g, 70))
                        r->sd = maybe_other(g, d->subdevice, 0xffff);
        }
}

/* A whole rule line: selectors and options in random order and blanks. */
static void gen_rule_text(struct rng *g, struct buf *o, struct prule *r)
{
        struct buf parts[11] = {{0}};
        size_t np = 0, order[11];
        static const char *const seps[] = {" ", " ", " ", "  ", "\t", " \t "};

        if (r->has_addr) {
                buf_puts(&parts[np], "address ");
                render_addr(g, &parts[np++], r);
        }
        if (r->has_id) {
                buf_puts(&parts[np], "id ");
                render_id(g, &parts[np++], r);
        }
        if (r->has_subsys) {
                buf_puts(&parts[np], "subsystem ");
                render_subsys(g, &parts[np++], r);
        }
        if (r->group)
                buf_puts(&parts[np++], "group");
        if (strcmp(r->driver, "vfio-pci") != 0 || chance(g, 5))
                buf_printf(&parts[np++], "driver %s", r->driver);
        if (chance(g, 4))
                buf_puts(&parts[np++], "allow-busy");
        if (r->has_owner) {
                buf_puts(&parts[np], "owner ");
                if (r->uid >= 0)
                        buf_printf(&parts[np], "%" PRId64, r->uid);
                if (r->gid >= 0)
                        buf_printf(&parts[np], ":%" PRId64, r->gid);
                np++;
        }
        if (r->mode)
                buf_printf(&parts[np++], "mode %04o", r->mode);
        if (r->reset[0])
                buf_printf(&parts[np++], "reset-method %s", r->reset);
        if (r->d3cold_off)
                buf_puts(&parts[np++], "d3cold off");
        if (r->rpm_off)
                buf_puts(&parts[np++], "runtime-pm off");
        for (size_t i = 0; i < np; i++)
                order[i] = i;
        for (size_t i = np; i > 1; i--) {
                size_t j = rn(g, (unsigned)i), k = order[i - 1];

                order[i - 1] = order[j];
                order[j] = k;
        }
        if (chance(g, 10))
                buf_puts(o, chance(g, 50) ? " " : "\t");
        for (size_t i = 0; i < np; i++) {
                if (i)
                        buf_puts(o, seps[rn(g, sizeof(seps) / sizeof(seps[0]))]);
                /* The value may follow its keyword after any blanks. */
                if (chance(g, 5) && strchr(parts[order[i]].p, ' ')) {
                        char *sp = strchr(parts[order[i]].p, ' ');

                        buf_add(o, parts[order[i]].p, (size_t)(sp - parts[order[i]].p));
                        buf_puts(o, "\t ");
                        buf_puts(o, sp + 1);
                } else
                        buf_puts(o, parts[order[i]].p);
        }
        for (size_t i = 0; i < 11; i++)
                buf_free(&parts[i]);
        if (chance(g, 10))
                buf_puts(o, chance(g, 50) ? "  " : "\t");
        if (chance(g, 10))
                buf_puts(o, chance(g, 50) ? " # a comment: address 00:00.0" : "#no blank before it");
}

/* Lines every reader of vfio-claim.conf(5) must refuse: each is an error naming its line. */
static void gen_malformed(struct rng *g, struct buf *o)
{
        static const char *const bad[] = {
                "address",
                "id",
                "subsystem",
                "address 01:00.0 bogus",
                "adress 01:00.0",
                "id 10de:zzzz",
                "id 10de",
                "id 1:2:3:4:5",
                "address 1:2:3:4",
                "address 20",
                "address 100:00.0",
                "address 00:00.8",
                "address 00:1f.2.1",
                "address g0:00.0",
                "id 10000:1",
                "id ::10000",
                "id ::01y6",
                "id 8086:2922:0106:100",
                "id 8086:2922:0106:zz",
                "subsystem 8086",
                "subsystem 1:2:3",
                "subsystem 10000:0",
                "address 00:03.0 address 00:04.0",
                "id 8086: id 10de:",
                "id 8086: group group",
                "address 00:03.0 allow-busy allow-busy",
                "address 00:03.0 driver vfio-pci driver pci-stub",
                "group",
                "driver pci-stub",
                "allow-busy",
                "address 00:03.0 driver",
                "address 00:03.0 id",
                "address 00:03.0 group=1",
                "address=00:03.0",
                "address 00:03.0 \xc3\xa9",
                "address 0000000000000000000000000000000000000000000000000000000000000000:00.0",
                "id 8086:2922:01xx:00:00",
                "address 00:03.0\x01",
                "address 00:03.0\r id 8086:",
                "id\v8086:",
        };
        unsigned k = rn(g, sizeof(bad) / sizeof(bad[0]) + 2);

        if (k == sizeof(bad) / sizeof(bad[0])) {
                /* A NUL byte: the line is refused as a whole. */
                buf_puts(o, "address 00:03.0");
                buf_add(o, "\0", 1);
                buf_puts(o, " id 8086:");
        } else if (k == sizeof(bad) / sizeof(bad[0]) + 1) {
                /* Longer than 4096 bytes, even if the rule in it is fine. */
                size_t n = 4097 + rn(g, 3000);

                buf_puts(o, "address 00:00 #");
                for (size_t i = 15; i < n; i++)
                        buf_puts(o, "x");
        } else
                buf_puts(o, bad[k]);
}

/* Valid syntax whose selectors constrain nothing: refused (vfio-claim.conf(5), SAFETY). */
static void gen_unconstrained(struct rng *g, struct buf *o)
{
        static const char *const all[] = {
                "address *",
                "address *:*",
                "address ::",
                "address *.*",
                "address *:*:*.*",
                "address 0000:*:*.*",
                "address 0:*:",
                "id :",
                "id *:*",
                "id ::",
                "id *:*:*",
                "id ::*:*",
                "subsystem :",
                "subsystem *:*",
                "address * id :",
                "id : subsystem :",
                "address * subsystem *:*",
                "id ::xxxx",
                "id *:*:xxxx",
                "id ::XXXX:",
                "address *.* id ::xxxx",
        };

        buf_puts(o, all[rn(g, sizeof(all) / sizeof(all[0]))]);
        if (chance(g, 30))
                buf_puts(o, " group");
        if (chance(g, 20))
                buf_puts(o, " driver pci-stub");
}

static bool rule_constrains(const struct prule *r)
{
        bool c = false;

        if (r->has_addr)
                c |= r->b != ANY || r->s != ANY || r->f != ANY; /* a domain alone is no constraint */
        if (r->has_id) {
                size_t n = strlen(r->cls);

                c |= r->vendor != ANY || r->device != ANY || r->progif != ANY;
                /* Class digits constrain unless all four are "x": a shorter pattern
                 * has leading zero digits ("xx" is 00xx). */
                c |= n > 0 && (n < 4 || strspn(r->cls, "xX") != n);
        }
        if (r->has_subsys)
                c |= r->sv != ANY || r->sd != ANY;
        return c;
}

static void end_line(struct rng *g, struct ruleset *rs, bool last)
{
        rs->lines++;
        if (last && chance(g, 20))
                return; /* no newline at the end of the file */
        buf_puts(&rs->text, chance(g, 5) ? "\r\n" : "\n");
}

/* #20's options on a valid rule: numeric owners (no user database is
 * consulted), a mode, reset-method flr (what most fake devices offer),
 * d3cold off, runtime-pm off. */
static void gen_power_owner(struct rng *g, struct prule *r)
{
        static const unsigned modes[] = {0600, 0660, 0640, 0666, 0606};

        r->uid = r->gid = -1;
        if (chance(g, 25)) {
                r->has_owner = true;
                switch (rn(g, 3)) {
                case 0:
                        r->uid = 1000 + rn(g, 3);
                        break;
                case 1:
                        r->gid = 1000 + rn(g, 3);
                        break;
                default:
                        r->uid = 1000 + rn(g, 3);
                        r->gid = 1000 + rn(g, 3);
                }
        }
        if (chance(g, r->has_owner ? 50 : 8))
                r->mode = modes[rn(g, sizeof(modes) / sizeof(modes[0]))];
        if (chance(g, 15))
                snprintf(r->reset, sizeof(r->reset), "flr");
        r->d3cold_off = chance(g, 15);
        r->rpm_off = chance(g, 15);
}

static void gen_rules(struct rng *g, const struct tree *t, struct ruleset *rs)
{
        size_t want = chance(g, 90) ? 1 + rn(g, 6) : 7 + rn(g, MAX_RULES - 6);

        buf_free(&rs->text);
        rs->n = 0;
        rs->lines = 0;
        rs->expect_errors = 0;
        if (chance(g, 30)) {
                buf_puts(&rs->text, "# vfio-claim.conf made by test-property");
                end_line(g, rs, false);
        }
        /* The watchdog (a fork) costs a third of a run: most cases go without it. */
        if (chance(g, 80)) {
                buf_puts(&rs->text, "deadline 0");
                end_line(g, rs, false);
        } else if (chance(g, 50)) {
                buf_puts(&rs->text, "deadline 60s");
                end_line(g, rs, false);
        }
        for (size_t i = 0; i < want; i++) {
                struct prule *r = &rs->r[rs->n++];
                unsigned kind = rn(g, 100);

                *r = (struct prule){0};
                if (chance(g, 10)) {
                        buf_puts(&rs->text, chance(g, 50) ? "" : "   # just a comment");
                        end_line(g, rs, false);
                }
                r->line = rs->lines + 1;
                if (kind < 7) {
                        r->malformed = true;
                        rs->expect_errors++;
                        gen_malformed(g, &rs->text);
                } else if (kind < 10) {
                        r->malformed = true;
                        r->refused = true;
                        rs->expect_errors++;
                        gen_unconstrained(g, &rs->text);
                } else {
                        gen_selectors(g, t, r);
                        r->group = chance(g, 30);
                        snprintf(r->driver, sizeof(r->driver), "%s",
                                 chance(g, 20)  ? "pci-stub"
                                 : chance(g, 3) ? "mlx5_vfio_pci"
                                                : "vfio-pci");
                        gen_power_owner(g, r);
                        gen_rule_text(g, &rs->text, r);
                        if (!rule_constrains(r)) {
                                r->refused = true;
                                rs->expect_errors++;
                        }
                }
                end_line(g, rs, i + 1 == want);
        }
}

/* ---- the oracle ---- */

static unsigned hexval(char c)
{
        return c >= '0' && c <= '9'   ? (unsigned)(c - '0')
               : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                      : (unsigned)(c - 'A' + 10);
}

static bool o_addr(const struct prule *r, const struct pdev *d)
{
        return (r->d == ANY || r->d == d->domain) && (r->b == ANY || r->b == d->bus) &&
               (r->s == ANY || r->s == d->slot) && (r->f == ANY || r->f == d->func);
}

/* lspci -d's class: the digits are right-aligned on the 16-bit class, missing ones are 0. */
static bool o_class(const char *pat, unsigned class16)
{
        size_t n = strlen(pat);

        for (unsigned i = 0; i < 4; i++) {
                char c = i < n ? pat[n - 1 - i] : '0';

                if (c == 'x' || c == 'X')
                        continue;
                if (((class16 >> (4 * i)) & 0xf) != hexval(c))
                        return false;
        }
        return true;
}

static bool o_id(const struct prule *r, const struct pdev *d)
{
        return (r->vendor == ANY || r->vendor == d->vendor) && (r->device == ANY || r->device == d->device) &&
               (!r->cls[0] || o_class(r->cls, d->class >> 8)) && (r->progif == ANY || r->progif == (d->class & 0xff));
}

static bool o_subsys(const struct prule *r, const struct pdev *d)
{
        return (r->sv == ANY || r->sv == d->subvendor) && (r->sd == ANY || r->sd == d->subdevice);
}

static bool o_match(const struct prule *r, const struct pdev *d)
{
        return (!r->has_addr || o_addr(r, d)) && (!r->has_id || o_id(r, d)) && (!r->has_subsys || o_subsys(r, d));
}

static void oracle(struct tree *t, struct ruleset *rs)
{
        for (size_t i = 0; i < t->n; i++) {
                t->dev[i].rule = -1;
                t->dev[i].via = false;
        }
        for (size_t ri = 0; ri < rs->n; ri++) {
                struct prule *r = &rs->r[ri];

                if (r->malformed || r->refused)
                        continue;
                if (r->has_addr && (r->has_id || r->has_subsys)) {
                        bool at = false, full = false;

                        for (size_t i = 0; i < t->n; i++) {
                                at |= o_addr(r, &t->dev[i]);
                                full |= o_match(r, &t->dev[i]);
                        }
                        if (at && !full) {
                                r->guard_mismatch = true;
                                continue;
                        }
                }
                for (size_t i = 0; i < t->n; i++) {
                        struct pdev *d = &t->dev[i];

                        if (o_match(r, d) && !is_bridge(d) && d->rule < 0) {
                                d->rule = (int)ri;
                                r->n_selected++;
                        }
                }
                if (!r->group)
                        continue;
                for (size_t i = 0; i < t->n; i++) {
                        const struct pdev *d = &t->dev[i];

                        /* Its own direct picks, and devices it matches that an
                         * earlier rule took for the same driver. */
                        bool from = d->rule == (int)ri
                                            ? !d->via
                                            : d->rule >= 0 && strcmp(rs->r[d->rule].driver, r->driver) == 0 &&
                                                      o_match(r, d);

                        if (!from || d->group < 0)
                                continue;
                        for (size_t j = 0; j < t->n; j++) {
                                struct pdev *m = &t->dev[j];

                                if (j != i && m->group == d->group && !is_bridge(m) && (m->class >> 16) != 0x06 &&
                                    m->rule < 0) {
                                        m->rule = (int)ri;
                                        m->via = true;
                                        r->n_selected++;
                                }
                        }
                }
        }
}

/* The new_id line for a rule: "VVVV DDDD SVVV SDDD CCCCCC MMMMMM", ffffffff for any. */
static void o_new_id(const struct prule *r, char *buf, size_t size)
{
        uint32_t class = 0, mask = 0;
        size_t n = strlen(r->cls);

        for (unsigned i = 0; i < 4 && n; i++) {
                char c = i < n ? r->cls[n - 1 - i] : '0';

                if (c == 'x' || c == 'X')
                        continue;
                class |= hexval(c) << (4 * i + 8);
                mask |= 0xfu << (4 * i + 8);
        }
        if (r->progif != ANY) {
                class |= (uint32_t)r->progif;
                mask |= 0xff;
        }
#define F(v) ((v) == ANY ? 0xffffffffu : (uint32_t)(v))
        snprintf(buf, size, "%x %x %x %x %x %x", F(r->vendor), F(r->device), r->has_subsys ? F(r->sv) : 0xffffffffu,
                 r->has_subsys ? F(r->sd) : 0xffffffffu, class, mask);
#undef F
}

/* ---- expected writes ---- */

struct expect {
        char *path;      /* canonical, relative to the root */
        bool append;     /* command file: lines appended (compared as a multiset) */
        struct buf text; /* the whole new content, or the lines appended */
        bool seen;
};

struct expects {
        struct expect *e;
        size_t n, alloc;
};

static struct expect *expect_get(struct expects *x, const char *path, bool append)
{
        for (size_t i = 0; i < x->n; i++)
                if (strcmp(x->e[i].path, path) == 0)
                        return &x->e[i];
        if (x->n == x->alloc) {
                size_t na = x->alloc ? x->alloc * 2 : 64;
                struct expect *p = realloc(x->e, na * sizeof(*p));

                if (!p)
                        t_fatal(__FILE__, __LINE__, "realloc", -ENOMEM);
                x->e = p;
                x->alloc = na;
        }
        x->e[x->n] = (struct expect){.path = xstrdup(path), .append = append};
        return &x->e[x->n++];
}

static void expect_line(struct expects *x, const char *path, const char *line)
{
        struct expect *e = expect_get(x, path, true);

        buf_puts(&e->text, line);
        buf_puts(&e->text, "\n");
}

static void expects_clear(struct expects *x)
{
        for (size_t i = 0; i < x->n; i++) {
                free(x->e[i].path);
                buf_free(&x->e[i].text);
        }
        free(x->e);
        *x = (struct expects){0};
}

static int cmp_expect(const void *a, const void *b)
{
        return strcmp(((const struct expect *)a)->path, ((const struct expect *)b)->path);
}

struct counts {
        unsigned selected, already;                  /* for the "done" line */
        unsigned overrides, unbinds, binds, new_ids; /* expected writes */
};

/* #20's power writes on a device that ends the run on its target: the rule's
 * values, in the files the device has (every device has d3cold_allowed and
 * power/control; reset_method only where it offers a reset). */
static unsigned n_power_writes, n_node_changes; /* per worker process, for its "# #20" line */

static void expect_power(struct fakesys *fs, const struct pdev *d, const struct prule *r, struct expects *x)
{
        char path[512];
        struct expect *e;

        n_power_writes += (r->reset[0] && d->reset[0]) + r->d3cold_off + r->rpm_off;
        if (r->reset[0] && d->reset[0]) {
                snprintf(path, sizeof(path), "%s/reset_method", fakesys_dev_dir(fs, d->addr));
                e = expect_get(x, path, false);
                buf_printf(&e->text, "%s\n", r->reset);
        }
        if (r->d3cold_off) {
                snprintf(path, sizeof(path), "%s/d3cold_allowed", fakesys_dev_dir(fs, d->addr));
                e = expect_get(x, path, false);
                buf_puts(&e->text, "0\n");
        }
        if (r->rpm_off) {
                snprintf(path, sizeof(path), "%s/power/control", fakesys_dev_dir(fs, d->addr));
                e = expect_get(x, path, false);
                buf_puts(&e->text, "on\n");
        }
}

/* What the first apply writes, from the oracle's selection and the tree as built. */
static void expect_apply(struct fakesys *fs, const struct tree *t, const struct ruleset *rs, struct expects *x,
                         struct counts *c)
{
        char path[512], line[128];

        *c = (struct counts){0};
        for (size_t i = 0; i < t->n; i++) {
                const struct pdev *d = &t->dev[i];
                const char *target;

                if (d->rule < 0)
                        continue;
                target = rs->r[d->rule].driver;
                c->selected++;
                if (strcmp(d->override, target) != 0) {
                        struct expect *e;

                        snprintf(path, sizeof(path), "%s/driver_override", fakesys_dev_dir(fs, d->addr));
                        e = expect_get(x, path, false);
                        buf_printf(&e->text, "%s\n", target);
                        c->overrides++;
                }
                if (strcmp(d->driver, target) == 0) {
                        c->already++;
                        expect_power(fs, d, &rs->r[d->rule], x);
                        continue;
                }
                if (d->driver[0]) {
                        snprintf(path, sizeof(path), "bus/pci/drivers/%s/unbind", d->driver);
                        expect_line(x, path, d->addr);
                        c->unbinds++;
                }
                if (registered(t, target)) {
                        snprintf(path, sizeof(path), "bus/pci/drivers/%s/bind", target);
                        expect_line(x, path, d->addr);
                        c->binds++;
                }
        }
        for (size_t ri = 0; ri < rs->n; ri++) {
                const struct prule *r = &rs->r[ri];
                bool left_out = false;

                if (r->malformed || r->refused || !r->has_id || r->has_addr || !registered(t, r->driver))
                        continue;
                for (size_t i = 0; i < t->n && !left_out; i++)
                        left_out = o_match(r, &t->dev[i]) && t->dev[i].rule != (int)ri;
                if (left_out)
                        continue;
                o_new_id(r, line, sizeof(line));
                snprintf(path, sizeof(path), "bus/pci/drivers/%s/new_id", r->driver);
                expect_line(x, path, line);
                c->new_ids++;
        }
        if (x->n > 1)
                qsort(x->e, x->n, sizeof(*x->e), cmp_expect);
}

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines of text sorted, NULL-terminated; false when the text does not end in a newline. */
static char **sorted_lines(const char *text, size_t len, bool *complete)
{
        size_t n = 0, k = 0;
        char **v;

        for (size_t i = 0; i < len; i++)
                n += text[i] == '\n';
        v = xmalloc((n + 2) * sizeof(char *));
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t l = nl ? (size_t)(nl - (text + i)) : len - i;

                v[k] = xmalloc(l + 1);
                memcpy(v[k], text + i, l);
                v[k++][l] = 0;
                i += l + 1;
        }
        v[k] = NULL;
        *complete = len == 0 || text[len - 1] == '\n';
        qsort(v, k, sizeof(char *), cmp_strp);
        return v;
}

static void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static bool same_lines(const char *a, size_t alen, const char *b, size_t blen)
{
        bool ca, cb, ok;
        char **x = sorted_lines(a, alen, &ca), **y = sorted_lines(b, blen, &cb);
        size_t i;

        ok = ca && cb;
        for (i = 0; ok && x[i] && y[i]; i++)
                ok = strcmp(x[i], y[i]) == 0;
        ok = ok && !x[i] && !y[i];
        strv_free(x);
        strv_free(y);
        return ok;
}

/* Shows text as one line, with \n and other bytes escaped, cut at max bytes. */
static void put_escaped(struct buf *o, const char *s, size_t n, size_t max)
{
        for (size_t i = 0; i < n && i < max; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '\n')
                        buf_puts(o, "\\n");
                else if (c < 0x20 || c >= 0x7f)
                        buf_printf(o, "\\x%02x", c);
                else
                        buf_add(o, (const char *)&c, 1);
        }
        if (n > max)
                buf_printf(o, "...(%zu bytes)", n);
}

/*
 * Compares two snapshots against the expected writes: every path in both, same
 * type and mode; a path with an expectation has exactly that content (or the
 * old content plus exactly the expected lines); every other one is unchanged.
 * Problems are appended to why; returns their number.
 */
static unsigned compare(const struct fakesys_snapshot *a, const struct fakesys_snapshot *b, struct expects *x,
                        struct buf *why)
{
        unsigned bad = 0;
        size_t i = 0, j = 0;

        for (size_t k = 0; k < x->n; k++)
                x->e[k].seen = false;
        while (i < a->n || j < b->n) {
                const struct fakesys_entry *p = i < a->n ? &a->entries[i] : NULL;
                const struct fakesys_entry *q = j < b->n ? &b->entries[j] : NULL;
                int c = !p ? 1 : !q ? -1 : strcmp(p->path, q->path);
                struct expect key, *e;

                if (c != 0) {
                        bad++;
                        buf_printf(why, "#   %s %s\n", c < 0 ? "removed:" : "created:", c < 0 ? p->path : q->path);
                        if (c < 0)
                                i++;
                        else
                                j++;
                        continue;
                }
                i++;
                j++;
                key.path = (char *)p->path;
                e = x->n ? bsearch(&key, x->e, x->n, sizeof(*x->e), cmp_expect) : NULL;
                if (p->mode != q->mode) {
                        bad++;
                        buf_printf(why, "#   mode or type changed: %s (%o -> %o)\n", p->path, (unsigned)p->mode,
                                   (unsigned)q->mode);
                        continue;
                }
                if (!e) {
                        if (p->size != q->size || memcmp(p->data, q->data, p->size) != 0) {
                                bad++;
                                buf_printf(why, "#   unexpected write: %s: '", p->path);
                                put_escaped(why, p->data, p->size, 200);
                                buf_puts(why, "' -> '");
                                put_escaped(why, q->data, q->size, 200);
                                buf_puts(why, "'\n");
                        }
                        continue;
                }
                e->seen = true;
                if (!e->append) {
                        if (q->size != e->text.n || (q->size && memcmp(q->data, e->text.p, q->size) != 0)) {
                                bad++;
                                buf_printf(why, "#   %s: expected '", p->path);
                                put_escaped(why, e->text.p, e->text.n, 200);
                                buf_puts(why, "', found '");
                                put_escaped(why, q->data, q->size, 200);
                                buf_puts(why, "'\n");
                        }
                } else if (q->size < p->size || memcmp(q->data, p->data, p->size) != 0 ||
                           !same_lines(q->data + p->size, q->size - p->size, e->text.p, e->text.n)) {
                        bad++;
                        buf_printf(why, "#   %s: expected these lines appended (any order): '", p->path);
                        put_escaped(why, e->text.p, e->text.n, 400);
                        buf_puts(why, "'; before '");
                        put_escaped(why, p->data, p->size, 200);
                        buf_puts(why, "', after '");
                        put_escaped(why, q->data, q->size, 400);
                        buf_puts(why, "'\n");
                }
        }
        for (size_t k = 0; k < x->n; k++)
                if (!x->e[k].seen) {
                        bad++;
                        buf_printf(why, "#   expected write to a path that is not in the tree: %s\n", x->e[k].path);
                }
        return bad;
}

/* The second run, raw: exactly the first run's command-file lines again, nothing else. */
static void expect_repeat(const struct fakesys_snapshot *before, const struct fakesys_snapshot *after,
                          struct expects *x, bool only_new_id)
{
        size_t i = 0, j = 0;

        while (i < before->n && j < after->n) {
                const struct fakesys_entry *p = &before->entries[i], *q = &after->entries[j];
                int c = strcmp(p->path, q->path);
                const char *base;

                if (c < 0) {
                        i++;
                        continue;
                }
                if (c > 0) {
                        j++;
                        continue;
                }
                i++;
                j++;
                base = strrchr(p->path, '/');
                base = base ? base + 1 : p->path;
                if (strncmp(p->path, "bus/pci/drivers/", 16) != 0 || q->size <= p->size)
                        continue;
                if (only_new_id
                            ? strcmp(base, "new_id") != 0
                            : strcmp(base, "bind") != 0 && strcmp(base, "unbind") != 0 && strcmp(base, "new_id") != 0)
                        continue;
                struct expect *e = expect_get(x, p->path, true);

                buf_add(&e->text, q->data + p->size, q->size - p->size);
        }
        if (x->n > 1)
                qsort(x->e, x->n, sizeof(*x->e), cmp_expect);
}

/* ---- the /dev/vfio nodes (#20: owner, mode) ---- */

/* One group node DEV/vfio/N: what it should be now. */
struct node {
        int group;
        unsigned uid, gid, mode;
};

struct nodes {
        struct node n[MAX_DEVS];
        size_t count;
};

static bool rule_has_perms(const struct prule *r)
{
        return r->has_owner || r->mode;
}

/* A node for each IOMMU group of the tree, 0:0 0600 as the kernel makes
 * them, and /dev/vfio/vfio 0666 (which nothing may touch). */
static void make_nodes(const char *dev, const struct tree *t, struct nodes *ns)
{
        char path[4096];

        ns->count = 0;
        for (size_t i = 0; i < t->n; i++) {
                bool seen = false;

                if (t->dev[i].group < 0)
                        continue;
                for (size_t k = 0; k < ns->count && !seen; k++)
                        seen = ns->n[k].group == t->dev[i].group;
                if (!seen)
                        ns->n[ns->count++] = (struct node){t->dev[i].group, 0, 0, 0600};
        }
        ns->n[ns->count++] = (struct node){-1, 0, 0, 0666};
        for (size_t k = 0; k < ns->count; k++) {
                int fd;

                if (ns->n[k].group >= 0)
                        snprintf(path, sizeof(path), "%s/vfio/%d", dev, ns->n[k].group);
                else
                        snprintf(path, sizeof(path), "%s/vfio/vfio", dev);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd < 0 || fchown(fd, 0, 0) < 0 || fchmod(fd, ns->n[k].mode) < 0)
                        t_fatal(__FILE__, __LINE__, path, -errno);
                close(fd);
        }
}

/*
 * What a run does to the nodes: a group's node is set when one of its
 * devices whose rule has an owner or mode ends the run on its target (on
 * target: the device is there for a VM; before the bind there is no node);
 * the first such rule in the file among the group's selected devices
 * decides for the whole group (one node: "the first rule wins"). A rule
 * with a user and no mode gives 0600, with only :GROUP 0660; a name it
 * leaves out is root's.
 */
static void expect_nodes(const struct tree *t, const struct ruleset *rs, bool kernel_moved, struct nodes *ns)
{
        for (size_t k = 0; k < ns->count; k++) {
                int winner = -1;
                bool applied = false;

                if (ns->n[k].group < 0)
                        continue;
                for (size_t i = 0; i < t->n; i++) {
                        const struct pdev *d = &t->dev[i];
                        const struct prule *r = d->rule >= 0 ? &rs->r[d->rule] : NULL;

                        if (!r || d->group != ns->n[k].group || !rule_has_perms(r))
                                continue;
                        if (winner < 0 || d->rule < winner)
                                winner = d->rule;
                        applied |= kernel_moved ? registered(t, r->driver) : strcmp(d->driver, r->driver) == 0;
                }
                if (applied) {
                        const struct prule *r = &rs->r[winner];

                        n_node_changes++;
                        ns->n[k].uid = r->uid >= 0 ? (unsigned)r->uid : 0;
                        ns->n[k].gid = r->gid >= 0 ? (unsigned)r->gid : 0;
                        ns->n[k].mode = r->mode ? r->mode : r->has_owner && r->uid < 0 ? 0660 : 0600;
                }
        }
}

/* Every node as ns says, and nothing else under DEV/vfio. */
static unsigned check_nodes(const char *dev, const struct nodes *ns, struct buf *why, const char *which)
{
        char path[4096];
        unsigned bad = 0;
        size_t entries = 0;
        DIR *dir;
        struct dirent *de;

        for (size_t k = 0; k < ns->count; k++) {
                struct stat st;

                if (ns->n[k].group >= 0)
                        snprintf(path, sizeof(path), "%s/vfio/%d", dev, ns->n[k].group);
                else
                        snprintf(path, sizeof(path), "%s/vfio/vfio", dev);
                if (lstat(path, &st) < 0) {
                        bad++;
                        buf_printf(why, "#   %s: %s: %s\n", which, path, strerror(errno));
                        continue;
                }
                if (st.st_uid != ns->n[k].uid || st.st_gid != ns->n[k].gid || (st.st_mode & 07777) != ns->n[k].mode) {
                        bad++;
                        buf_printf(why, "#   %s: node %s is %u:%u %04o, expected %u:%u %04o\n", which, path,
                                   (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
                                   ns->n[k].uid, ns->n[k].gid, ns->n[k].mode);
                }
        }
        snprintf(path, sizeof(path), "%s/vfio", dev);
        dir = opendir(path);
        while (dir && (de = readdir(dir)))
                entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
        if (dir)
                closedir(dir);
        if (entries != ns->count) {
                bad++;
                buf_printf(why, "#   %s: %zu entries under %s, expected the %zu nodes made\n", which, entries, path,
                           ns->count);
        }
        return bad;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        if (ftw->level == 0)
                return 0;
        return remove(path) < 0 ? -1 : 0;
}

/* Empties dir (it stays). */
static void empty_dir(const char *dir)
{
        if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                t_fatal(__FILE__, __LINE__, dir, -errno);
}

static void xmkdir(const char *path)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                t_fatal(__FILE__, __LINE__, path, -errno);
}

/* ---- one case ---- */

struct worker {
        const char *dir;       /* scratch: the config and an empty command line */
        char *dev, *etc, *run; /* DIR/dev (the nodes), DIR/etc (an empty user database), DIR/run */
        char *config;
        char *cmdline;
        uint64_t seed;
        unsigned cases, failed, detailed;
        unsigned kernel_mode, raw_mode, devices, max_devices, rules, malformed, selected, guard, refused;
        unsigned overrides, unbinds, binds, new_ids;
        double slowest;
        struct tree *t;
        struct ruleset rs;
        struct nodes *nodes;
};

static void write_config(const struct worker *w)
{
        int fd = open(w->config, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, w->rs.text.p, w->rs.text.n) != (ssize_t)w->rs.text.n)
                t_fatal(__FILE__, __LINE__, w->config, -errno);
        close(fd);
}

static void run_apply(struct worker *w, struct fakesys *fs, struct result *r)
{
        /* Never the host's /dev/vfio, /etc or /run. */
        const char *args[] = {"--sysfs", fakesys_root(fs), "--config", w->config, "--cmdline", w->cmdline, "--dev",
                              w->dev,    "--etc",          w->etc,     "--run",   w->run,      "apply",    NULL};

        t_run_prog(r, t_binary, args, NULL);
}

/* Checks one run's exit and report against the oracle. */
static unsigned check_run(const struct worker *w, const struct result *r, unsigned n_held, const struct counts *c,
                          struct buf *why, const char *which)
{
        char done[160], *m;
        unsigned bad = 0, errors = 0, usable = 0;

        if (r->code != 0) {
                bad++;
                buf_printf(why, "#   %s: exit code %d, expected 0\n", which, r->code);
        }
        if (contains(r->err, "runtime error") || contains(r->err, "Sanitizer")) {
                bad++;
                buf_printf(why, "#   %s: sanitizer report on stderr\n", which);
        }
        snprintf(done, sizeof(done),
                 ": %u selected, 0 claimed, %u already bound, %u held off but not bound, 0 failed\n", c->selected,
                 c->already, c->selected - c->already);
        /* Without a single usable rule there is nothing to resolve and no summary. */
        for (size_t i = 0; i < w->rs.n && usable == 0; i++)
                usable += !w->rs.r[i].malformed && !w->rs.r[i].refused;
        if (usable == 0 && !contains(r->err, "vfio-claim: no rules: nothing to claim\n")) {
                bad++;
                buf_printf(why, "#   %s: expected 'no rules: nothing to claim'\n", which);
        } else if (usable > 0 && !contains(r->err, done)) {
                bad++;
                buf_printf(why, "#   %s: expected the summary 'done in N ms%s'\n", which, strtok(done, "\n"));
        }
        /* Each malformed or refused line is an error naming file:line. */
        for (size_t i = 0; i < w->rs.n; i++) {
                const struct prule *p = &w->rs.r[i];

                if (!p->malformed && !p->refused && !p->guard_mismatch)
                        continue;
                if (asprintf(&m, "error: %s:%u: %s", w->config, p->line, p->guard_mismatch ? "guard mismatch" : "") < 0)
                        t_fatal(__FILE__, __LINE__, "asprintf", -ENOMEM);
                if (!contains(r->err, m)) {
                        bad++;
                        buf_printf(why, "#   %s: no error for line %u (%s)\n", which, p->line,
                                   p->guard_mismatch ? "guard mismatch"
                                   : p->refused      ? "constrains nothing"
                                                     : "malformed");
                }
                free(m);
                errors++;
        }
        /* The log names each write: an override rewritten with the value it has is invisible in the tree. */
        if (count_lines_with(r->err, "]: driver_override set to ", NULL) != c->overrides ||
            count_lines_with(r->err, "]: unbinding from ", NULL) != c->unbinds) {
                bad++;
                buf_printf(why,
                           "#   %s: %zu 'driver_override set' and %zu 'unbinding from' lines, expected %u and %u\n",
                           which, count_lines_with(r->err, "]: driver_override set to ", NULL),
                           count_lines_with(r->err, "]: unbinding from ", NULL), c->overrides, c->unbinds);
        }
        /* ... and each selected device that does not end on its target (none moves in a fake tree). */
        errors += n_held;
        if (count_lines_with(r->err, "vfio-claim: error: ", NULL) != errors) {
                bad++;
                buf_printf(why, "#   %s: %zu error lines, expected %u (%u for lines, %u for devices held off)\n", which,
                           count_lines_with(r->err, "vfio-claim: error: ", NULL), errors, errors - n_held, n_held);
        }
        return bad;
}

static void report(struct worker *w, unsigned index, uint64_t case_seed, const struct result *r1,
                   const struct result *r2, struct buf *why, const char *mode)
{
        w->failed++;
        printf("# FAILED: case %u of seed %" PRIu64 " (case seed %" PRIu64 "), %zu devices, %zu rules, second run %s\n",
               index, w->seed, case_seed, w->t->n, w->rs.n, mode);
        printf("#   replay: PROPERTY_SEED=%" PRIu64 " PROPERTY_ONLY=%u FAKESYS_KEEP=1 %s %s\n", w->seed, index, argv0,
               t_binary);
        fputs(why->p ? why->p : "", stdout);
        if (w->detailed++ >= 3) {
                printf("#   (details of further failures left out)\n");
                return;
        }
        {
                struct buf cfg = {0};

                put_escaped(&cfg, w->rs.text.p, w->rs.text.n, 20000);
                t_diag_text("config (escaped, \\n between lines)", cfg.p);
                buf_free(&cfg);
        }
        t_diag_text("tree (mkfakesys spec)", w->t->spec.p);
        for (size_t i = 0; i < w->t->n; i++)
                if (w->t->dev[i].rule >= 0)
                        printf("#   oracle: %s selected by line %u%s\n", w->t->dev[i].addr,
                               w->rs.r[w->t->dev[i].rule].line, w->t->dev[i].via ? " (group)" : "");
        for (size_t i = 0; i < w->rs.n; i++)
                if (w->rs.r[i].guard_mismatch || w->rs.r[i].refused || w->rs.r[i].malformed)
                        printf("#   oracle: line %u %s\n", w->rs.r[i].line,
                               w->rs.r[i].guard_mismatch ? "guard mismatch"
                               : w->rs.r[i].refused      ? "refused: constrains nothing"
                                                         : "malformed");
        printf("#   command: %s\n", r1->argv ? r1->argv : "?");
        t_diag_text("stderr of the first apply", r1->err);
        t_diag_text("stderr of the second apply", r2->err);
        fflush(stdout);
}

static void one_case(struct worker *w, unsigned index)
{
        uint64_t case_seed = splitmix64(w->seed ^ splitmix64(index));
        struct rng g = {case_seed ? case_seed : 1};
        struct fakesys *fs = NULL;
        struct fakesys_snapshot s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        struct expects x = {0}, x2 = {0};
        struct counts c, c2;
        struct result r1 = {0}, r2 = {0};
        struct buf why = {0};
        struct nodes *ns = w->nodes;
        unsigned line = 0, bad = 0, held = 0, held2 = 0;
        bool kernel = chance(&g, 50);
        double t0 = now();
        int k;

        gen_tree(&g, w->t);
        gen_rules(&g, w->t, &w->rs);
        oracle(w->t, &w->rs);
        SETUP(fakesys_new(&fs));
        k = fakesys_apply_spec(fs, w->t->spec.p, &line);
        if (k < 0) {
                printf("# case %u of seed %" PRIu64 ": spec line %u\n", index, w->seed, line);
                t_diag_text("spec", w->t->spec.p);
                t_fatal(__FILE__, __LINE__, "fakesys_apply_spec", k);
        }
        write_config(w);
        /* As vfio-pci's probe leaves it (measured on 6.1), and some other devices too:
         * then runtime-pm off's "on" is a write the snapshot sees. */
        for (size_t i = 0; i < w->t->n; i++)
                if (strcmp(w->t->dev[i].driver, "vfio-pci") == 0 || chance(&g, 50)) {
                        char *rel = xasprintf("%s/power/control", fakesys_dev_dir(fs, w->t->dev[i].addr));

                        SETUP(fakesys_write(fs, rel, "auto\n"));
                        free(rel);
                }
        empty_dir(w->run);
        empty_dir(w->dev);
        {
                char *v = xasprintf("%s/vfio", w->dev);

                xmkdir(v);
                free(v);
        }
        make_nodes(w->dev, w->t, ns);
        expect_apply(fs, w->t, &w->rs, &x, &c);
        for (size_t i = 0; i < w->t->n; i++)
                if (w->t->dev[i].rule >= 0 && strcmp(w->t->dev[i].driver, w->rs.r[w->t->dev[i].rule].driver) != 0)
                        held++;

        /* The first apply: exactly the oracle's writes. */
        SETUP(fakesys_snapshot(fs, &s0));
        run_apply(w, fs, &r1);
        SETUP(fakesys_snapshot(fs, &s1));
        bad += compare(&s0, &s1, &x, &why);
        bad += check_run(w, &r1, held, &c, &why, "first apply");
        expect_nodes(w->t, &w->rs, false, ns);
        bad += check_nodes(w->dev, ns, &why, "first apply");

        /* The second apply. */
        if (kernel) {
                /* Do what the kernel would have done with the requests. */
                c2 = (struct counts){.selected = c.selected};
                for (size_t i = 0; i < w->t->n; i++) {
                        const struct pdev *d = &w->t->dev[i];
                        const char *target = d->rule >= 0 ? w->rs.r[d->rule].driver : NULL;

                        if (!target)
                                continue;
                        if (registered(w->t, target)) {
                                if (strcmp(d->driver, target) != 0)
                                        SETUP(fakesys_set_driver(fs, d->addr, target));
                                c2.already++;
                        } else {
                                if (d->driver[0])
                                        SETUP(fakesys_set_driver(fs, d->addr, NULL));
                                held2++;
                        }
                }
                SETUP(fakesys_snapshot(fs, &s2));
                expect_repeat(&s0, &s1, &x2, true);
                /* Now on their targets: the power writes again, or for the first time. */
                for (size_t i = 0; i < w->t->n; i++) {
                        const struct pdev *d = &w->t->dev[i];

                        if (d->rule >= 0 && registered(w->t, w->rs.r[d->rule].driver))
                                expect_power(fs, d, &w->rs.r[d->rule], &x2);
                }
                if (x2.n > 1)
                        qsort(x2.e, x2.n, sizeof(*x2.e), cmp_expect);
        } else {
                /* Nothing moved: the same requests again, but no override (they hold the targets). */
                c2 = c;
                c2.overrides = 0;
                held2 = held;
                s2 = s1;
                s1 = (struct fakesys_snapshot){0};
                expect_repeat(&s0, &s2, &x2, false);
        }
        run_apply(w, fs, &r2);
        SETUP(fakesys_snapshot(fs, &s3));
        bad += compare(&s2, &s3, &x2, &why);
        bad += check_run(w, &r2, held2, &c2, &why, "second apply");
        expect_nodes(w->t, &w->rs, kernel, ns);
        bad += check_nodes(w->dev, ns, &why, "second apply");

        if (bad)
                report(w, index, case_seed, &r1, &r2, &why, kernel ? "after the kernel's moves" : "raw");

        w->cases++;
        w->kernel_mode += kernel;
        w->raw_mode += !kernel;
        w->devices += (unsigned)w->t->n;
        if (w->t->n > w->max_devices)
                w->max_devices = (unsigned)w->t->n;
        w->rules += (unsigned)w->rs.n;
        for (size_t i = 0; i < w->rs.n; i++) {
                w->malformed += w->rs.r[i].malformed && !w->rs.r[i].refused;
                w->refused += w->rs.r[i].refused;
                w->guard += w->rs.r[i].guard_mismatch;
        }
        w->selected += c.selected;
        w->overrides += c.overrides;
        w->unbinds += c.unbinds;
        w->binds += c.binds;
        w->new_ids += c.new_ids;
        if (now() - t0 > w->slowest)
                w->slowest = now() - t0;

        buf_free(&why);
        expects_clear(&x);
        expects_clear(&x2);
        result_clear(&r1);
        result_clear(&r2);
        fakesys_snapshot_clear(&s0);
        fakesys_snapshot_clear(&s1);
        fakesys_snapshot_clear(&s2);
        fakesys_snapshot_clear(&s3);
        fakesys_free(fs);
}

/* ---- the run ---- */

static unsigned long env_ulong(const char *name, unsigned long def)
{
        const char *s = getenv(name);
        char *end;
        unsigned long v;

        if (!s || !*s)
                return def;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end) {
                printf("Bail out! %s=%s: not a number\n", name, s);
                exit(99);
        }
        return v;
}

/*
 * Where the trees go. Making a tree is a few hundred file creations: on ext4
 * in a VM that is 8 ms per device, on tmpfs 0.3 ms. So $PROPERTY_TMPDIR, else
 * /dev/shm when it is a writable tmpfs, else $TMPDIR or /tmp.
 */
static const char *tree_parent(void)
{
        const char *p = getenv("PROPERTY_TMPDIR"), *tmp = getenv("TMPDIR");
        struct statfs sf;

        if (p && *p)
                return p;
        if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC && access("/dev/shm", W_OK) == 0)
                return "/dev/shm";
        return tmp && *tmp ? tmp : "/tmp";
}

/* A worker runs cases first, first + jobs, ... and prints its totals as a "# stats" line. */
static int worker_main(uint64_t seed, unsigned first, unsigned jobs, unsigned n_cases, double deadline, long only)
{
        struct worker w = {.seed = seed};
        const char *tmp = tree_parent();
        char *dir;
        double t0 = now();
        int fd;
        unsigned stopped = 0;

        if (asprintf(&dir, "%s/property.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 || !mkdtemp(dir))
                t_fatal(__FILE__, __LINE__, "mkdtemp", -errno);
        if (asprintf(&w.config, "%s/vfio-claim.conf", dir) < 0 || asprintf(&w.cmdline, "%s/cmdline", dir) < 0 ||
            asprintf(&w.dev, "%s/dev", dir) < 0 || asprintf(&w.etc, "%s/etc", dir) < 0 ||
            asprintf(&w.run, "%s/run", dir) < 0)
                t_fatal(__FILE__, __LINE__, "asprintf", -ENOMEM);
        xmkdir(w.dev);
        xmkdir(w.etc);
        xmkdir(w.run);
        w.nodes = calloc(1, sizeof(*w.nodes));
        if (!w.nodes)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        /* The fixture and the harness make their trees and output files in $TMPDIR. */
        if (setenv("TMPDIR", dir, 1) < 0)
                t_fatal(__FILE__, __LINE__, "setenv", -errno);
        fd = open(w.cmdline, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                t_fatal(__FILE__, __LINE__, w.cmdline, -errno);
        close(fd);
        w.dir = dir;
        w.t = calloc(1, sizeof(*w.t));
        if (!w.t)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        for (unsigned i = first; i < n_cases; i += jobs) {
                if (only >= 0 && i != (unsigned long)only)
                        continue;
                if (deadline > 0 && now() > deadline) {
                        stopped = 1;
                        break;
                }
                one_case(&w, i);
        }
        printf("# stats worker %u: %u cases %u failed %u kernel %u raw %u devices %u max %u rules %u malformed %u "
               "refused %u guard %u selected %u overrides %u unbinds %u binds %u new_ids %.3f slowest %.1f seconds %u "
               "stopped\n",
               first, w.cases, w.failed, w.kernel_mode, w.raw_mode, w.devices, w.max_devices, w.rules, w.malformed,
               w.refused, w.guard, w.selected, w.overrides, w.unbinds, w.binds, w.new_ids, w.slowest, now() - t0,
               stopped);
        printf("# #20 worker %u: %u power writes expected (reset_method, d3cold_allowed, power/control), %u node "
               "settings (owner, mode)\n",
               first, n_power_writes, n_node_changes);
        fflush(stdout);
        unlink(w.config);
        unlink(w.cmdline);
        empty_dir(w.dev);
        empty_dir(w.run);
        rmdir(w.dev);
        rmdir(w.etc);
        rmdir(w.run);
        free(w.dev);
        free(w.etc);
        free(w.run);
        free(w.nodes);
        if (rmdir(dir) < 0)
                printf("# %s: not removed: %m\n", dir);
        free(dir);
        free(w.config);
        free(w.cmdline);
        buf_free(&w.t->spec);
        buf_free(&w.rs.text);
        free(w.t);
        return w.failed ? 1 : 0;
}

TEST(property)
{
        uint64_t seed;
        unsigned long n_cases = env_ulong("PROPERTY_CASES", 2000);
        unsigned long seconds = env_ulong("PROPERTY_SECONDS", SANITIZED ? 150 : 60);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned long jobs = env_ulong("PROPERTY_JOBS", cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned long)cpus);
        long only = getenv("PROPERTY_ONLY") && *getenv("PROPERTY_ONLY") ? (long)env_ulong("PROPERTY_ONLY", 0) : -1;
        double t0 = now(), deadline = seconds ? t0 + (double)seconds : 0;
        pid_t pids[64];
        int failed_workers = 0, fds[2];
        FILE *in;
        char line[1024];
        unsigned long tot[16] = {0}, stopped = 0;
        double slowest = 0;

        if (getenv("PROPERTY_SEED") && *getenv("PROPERTY_SEED"))
                seed = env_ulong("PROPERTY_SEED", 0);
        else {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                seed = splitmix64((uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid()) >> 1;
        }
        if (jobs < 1)
                jobs = 1;
        if (jobs > 64)
                jobs = 64;
        if (only >= 0) {
                jobs = 1;
                if ((unsigned long)only >= n_cases)
                        n_cases = (unsigned long)only + 1;
        }
        printf("# seed %" PRIu64 " (replay with PROPERTY_SEED=%" PRIu64
               "), %lu cases, %lu jobs, budget %lu s%s, trees in %s\n",
               seed, seed, n_cases, jobs, seconds, SANITIZED ? " (sanitized build)" : "", tree_parent());
        fflush(stdout);
        /* The workers' stdout comes through a pipe: their "# stats" lines are summed, the rest passed on. */
        if (pipe(fds) < 0)
                t_fatal(__FILE__, __LINE__, "pipe", -errno);
        for (unsigned long j = 0; j < jobs; j++) {
                pids[j] = fork();
                if (pids[j] < 0)
                        t_fatal(__FILE__, __LINE__, "fork", -errno);
                if (pids[j] == 0) {
                        close(fds[0]);
                        if (dup2(fds[1], STDOUT_FILENO) < 0)
                                _exit(99);
                        close(fds[1]);
                        setvbuf(stdout, NULL, _IOLBF, 0);
                        exit(worker_main(seed, (unsigned)j, (unsigned)jobs, (unsigned)n_cases, deadline, only));
                }
        }
        close(fds[1]);
        in = fdopen(fds[0], "r");
        if (!in)
                t_fatal(__FILE__, __LINE__, "fdopen", -errno);
        while (fgets(line, sizeof(line), in)) {
                unsigned long v[16];
                double sl, secs;
                unsigned long w, st;

                if (sscanf(line,
                           "# stats worker %lu: %lu cases %lu failed %lu kernel %lu raw %lu devices %lu max %lu rules "
                           "%lu malformed %lu refused %lu guard %lu selected %lu overrides %lu unbinds %lu binds %lu "
                           "new_ids %lf slowest %lf seconds %lu stopped",
                           &w, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11],
                           &v[12], &v[13], &v[14], &sl, &secs, &st) == 19) {
                        for (int i = 0; i < 15; i++)
                                tot[i] = i == 5 ? (v[i] > tot[i] ? v[i] : tot[i]) : tot[i] + v[i];
                        if (sl > slowest)
                                slowest = sl;
                        stopped += st;
                        continue;
                }
                fputs(line, stdout);
        }
        fclose(in);
        for (unsigned long j = 0; j < jobs; j++) {
                int status;

                while (waitpid(pids[j], &status, 0) < 0)
                        if (errno != EINTR)
                                t_fatal(__FILE__, __LINE__, "waitpid", -errno);
                if (!WIFEXITED(status) || WEXITSTATUS(status) == 99) {
                        printf("Bail out! worker %lu: %s %d\n", j, WIFEXITED(status) ? "exit" : "signal",
                               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        exit(99);
                }
                failed_workers += WEXITSTATUS(status) != 0;
        }
        printf("# %lu cases in %.1f s (%.1f cases/s, %lu jobs)%s: %lu with the kernel's moves between the runs, %lu "
               "raw; "
               "%lu devices (largest tree %lu, average %.1f), %lu rules (%lu malformed, %lu constraining nothing, "
               "%lu guard mismatches), %lu devices selected; expected writes: %lu driver_override, %lu unbind, %lu "
               "bind, "
               "%lu new_id; slowest case %.2f s\n",
               tot[0], now() - t0, (double)tot[0] / (now() - t0), jobs,
               stopped ? " (time budget reached: PROPERTY_SECONDS)" : "", tot[2], tot[3], tot[4], tot[5],
               tot[0] ? (double)tot[4] / (double)tot[0] : 0.0, tot[6], tot[7], tot[8], tot[9], tot[10], tot[11],
               tot[12], tot[13], tot[14], slowest);
        CHECK(tot[1] == 0 && failed_workers == 0, "%lu of %lu random cases as the oracle says (seed %" PRIu64 ")",
              tot[0] - tot[1], tot[0], seed);
        CHECK(tot[0] > 0, "at least one case ran");
}
