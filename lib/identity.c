// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stable identity: what still names the same card after its bus number
 * changed (a card added, a BIOS update, a bifurcated slot).
 *   - serial: the PCIe Device Serial Number extended capability (ID 0x0003)
 *     in config space, written as lspci -vv prints it;
 *   - slot: the physical slot, SYSFS/bus/pci/slots/NAME/address;
 *   - path: the device/function numbers along the bridges from the root bus,
 *     as lspci -P prints them, from the device's link into SYSFS/devices.
 * Each is read only when asked (vc_dev_read_identity) and kept in the device.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "internal.h"

#define EXT_CAP_START     0x100
#define CONFIG_SPACE_SIZE 4096
#define EXT_CAP_ID_DSN    0x0003

int vc_serial_parse(const char *s, uint64_t *ret, const char **reason)
{
        uint64_t v = 0;

        /* "52-54-00-ff-ff-12-34-56": eight bytes, most significant first. */
        if (strlen(s) != 23) {
                *reason = "expected eight hex bytes joined by '-', as lspci -vv prints them";
                return -EINVAL;
        }
        for (size_t i = 0; i < 8; i++) {
                int hi = vc_hexval(s[i * 3]), lo = vc_hexval(s[i * 3 + 1]);

                if (hi < 0 || lo < 0 || (i < 7 && s[i * 3 + 2] != '-')) {
                        *reason = "expected eight hex bytes joined by '-', as lspci -vv prints them";
                        return -EINVAL;
                }
                v = v << 8 | (uint64_t)(hi << 4 | lo);
        }
        *ret = v;
        return 0;
}

void vc_serial_format(uint64_t serial, char buf[VC_SERIAL_STR_MAX])
{
        char *p = buf;

        for (int i = 7; i >= 0; i--)
                p += sprintf(p, i ? "%02x-" : "%02x", (unsigned)(serial >> (i * 8)) & 0xff);
}

/* 1..maxdigits hex digits, value at most max. */
static bool hex_exact(const char *s, size_t len, size_t maxdigits, uint32_t max, uint32_t *ret)
{
        return len >= 1 && len <= maxdigits && vc_parse_hex_u32(s, len, max, ret);
}

/* "DD.F" or, for the last hop only, "DD". */
static bool parse_hop(const char *s, size_t len, bool last, uint8_t *slot, int8_t *func)
{
        const char *dot = memchr(s, '.', len);
        uint32_t sl, fn;

        if (!dot) {
                if (!last || !hex_exact(s, len, 2, 0x1f, &sl))
                        return false;
                *slot = (uint8_t)sl;
                *func = -1;
                return true;
        }
        if (!hex_exact(s, (size_t)(dot - s), 2, 0x1f, &sl) ||
            !hex_exact(dot + 1, len - (size_t)(dot - s) - 1, 1, 7, &fn))
                return false;
        *slot = (uint8_t)sl;
        *func = (int8_t)fn;
        return true;
}

int vc_path_parse(const char *s, struct vc_pci_path *ret, const char **reason)
{
        struct vc_pci_path p = {.domain = -1};
        const char *comp = s, *c1, *c2, *end;
        uint32_t v;
        size_t len;

        *reason = "expected [DDDD:]BB:DD.F/DD.F..., as lspci -P prints it";
        if (strlen(s) >= VC_PATH_STR_MAX)
                return -EINVAL;
        /* The root-bus device: [domain:]bus:slot[.func] */
        end = strchrnul(comp, '/');
        c1 = memchr(comp, ':', (size_t)(end - comp));
        if (!c1)
                return -EINVAL;
        c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
        if (c2) {
                if (!hex_exact(comp, (size_t)(c1 - comp), 8, 0xffffffff, &v))
                        return -EINVAL;
                p.domain = v;
                comp = c1 + 1;
                c1 = c2;
        }
        if (!hex_exact(comp, (size_t)(c1 - comp), 2, 0xff, &v))
                return -EINVAL;
        p.bus = (uint8_t)v;
        comp = c1 + 1;
        for (;;) {
                end = strchrnul(comp, '/');
                len = (size_t)(end - comp);
                if (p.n >= VC_PATH_DEPTH) {
                        *reason = "more than 16 hops";
                        return -EINVAL;
                }
                if (!parse_hop(comp, len, *end == 0, &p.slot[p.n], &p.func[p.n]))
                        return -EINVAL;
                p.n++;
                if (!*end)
                        break;
                comp = end + 1;
        }
        *ret = p;
        return 0;
}

int vc_path_format(const struct vc_pci_path *p, char *buf, size_t size)
{
        size_t o;
        int k;

        if (p->n == 0 || p->n > VC_PATH_DEPTH)
                return -EINVAL;
        k = p->domain >= 0 ? snprintf(buf, size, "%04x:%02x:", (uint32_t)p->domain, p->bus)
                           : snprintf(buf, size, "%02x:", p->bus);
        for (size_t i = 0; i < p->n && k >= 0 && (size_t)k < size; i++) {
                o = (size_t)k;
                k = p->func[i] >= 0 ? snprintf(buf + o, size - o, "%s%02x.%d", i ? "/" : "", p->slot[i], p->func[i])
                                    : snprintf(buf + o, size - o, "%s%02x", i ? "/" : "", p->slot[i]);
                if (k >= 0)
                        k += (int)o;
        }
        return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : 0;
}

int vc_slot_name_parse(const char *s, char ret[VC_SLOT_NAME_MAX], const char **reason)
{
        size_t n = strlen(s);

        if (n == 0 || n >= VC_SLOT_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
                *reason = "not a slot name (see /sys/bus/pci/slots)";
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '/') {
                        *reason = "not a slot name (see /sys/bus/pci/slots)";
                        return -EINVAL;
                }
        memcpy(ret, s, n + 1);
        return 0;
}

/*
 * The kernel's pci_find_next_ext_capability(): header dword = ID[15:0],
 * version[19:16], next[31:20]; at most (4096 - 256) / 8 steps, so that a
 * chain pointing back at itself ends.
 */
int vc_config_find_dsn(vc_config_read_fn read, void *userdata, uint64_t *ret)
{
        unsigned pos = EXT_CAP_START;
        int ttl = (CONFIG_SPACE_SIZE - EXT_CAP_START) / 8;

        while (ttl-- > 0) {
                uint32_t h, lo, hi;
                int r = read(userdata, pos, &h);

                if (r < 0)
                        return r;
                if (h == 0 || h == 0xffffffffu)
                        return -ENODATA;
                if ((h & 0xffff) == EXT_CAP_ID_DSN) {
                        r = read(userdata, pos + 4, &lo);
                        if (r >= 0)
                                r = read(userdata, pos + 8, &hi);
                        if (r < 0)
                                return r;
                        *ret = (uint64_t)hi << 32 | lo;
                        return 0;
                }
                pos = (h >> 20) & 0xffc;
                if (pos < EXT_CAP_START)
                        return -ENODATA;
        }
        return -ENODATA;
}

/* Config space is little-endian; a short read (64 bytes for non-root) ends the chain. */
static int pread_dword(void *userdata, unsigned offset, uint32_t *ret)
{
        int fd = *(int *)userdata;
        uint8_t b[4];
        ssize_t k;

        if (offset > CONFIG_SPACE_SIZE - 4)
                return -ENODATA;
        k = pread(fd, b, sizeof(b), (off_t)offset);
        if (k < 0)
                return negative_errno();
        if (k != sizeof(b))
                return -ENODATA;
        *ret = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        return 0;
}

static int read_serial(struct vc_ctx *ctx, struct vc_dev *dev)
{
        _cleanup_close_ int fd = -1;
        char path[4096];
        uint64_t v;
        int r;

        r = vc_sysfs_dev_path(ctx, dev->addr, "config", path, sizeof(path));
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        r = vc_config_find_dsn(pread_dword, &fd, &v);
        if (r < 0)
                return r;
        dev->serial = v;
        dev->has_serial = true;
        return 0;
}

/* SYSFS/bus/pci/slots/NAME/address: "DDDD:BB:DD", or "DDDD:BB" for a slot that takes the whole bus. */
struct vc_slot_entry {
        char name[VC_SLOT_NAME_MAX];
        uint32_t domain;
        uint8_t bus;
        int16_t dev; /* -1: every device on the bus */
};

static bool parse_slot_address(const char *s, struct vc_slot_entry *e)
{
        const char *c1 = strchr(s, ':'), *c2;
        uint32_t d, b, sl;

        if (!c1 || !hex_exact(s, (size_t)(c1 - s), 8, 0xffffffff, &d))
                return false;
        c2 = strchr(c1 + 1, ':');
        if (!hex_exact(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1), 2, 0xff, &b))
                return false;
        e->domain = d;
        e->bus = (uint8_t)b;
        e->dev = -1;
        if (c2) {
                if (!hex_exact(c2 + 1, strlen(c2 + 1), 2, 0x1f, &sl))
                        return false;
                e->dev = (int16_t)sl;
        }
        return true;
}

void vc_slots_free(struct vc_ctx *ctx)
{
        free(ctx->slots);
        ctx->slots = NULL;
        ctx->n_slots = 0;
        ctx->slots_read = false;
}

static int read_slots(struct vc_ctx *ctx)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct vc_slot_entry *v = NULL;
        size_t n = 0;
        char path[4096];
        const char *name;
        int r;

        if (ctx->slots_read)
                return 0;
        r = vc_sysfs_dir(ctx, VC_SYSFS_PCI_SLOTS, path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_sysfs_opendir(path, &d);
        if (r < 0) {
                /* No hotplug driver, no ACPI slots: no names. */
                ctx->slots_read = true;
                return r == -ENOENT ? 0 : r;
        }
        while ((name = vc_sysfs_next(d))) {
                struct vc_slot_entry e = {0};
                char rel[VC_SLOT_NAME_MAX + 16], text[64];
                const char *reason;
                struct vc_slot_entry *p;

                if (vc_slot_name_parse(name, e.name, &reason) < 0)
                        continue;
                if (vc_sysfs_join(rel, sizeof(rel), name, "address") < 0 ||
                    vc_sysfs_read_value_at(dirfd(d), rel, text, sizeof(text)) < 0)
                        continue;
                if (!parse_slot_address(text, &e))
                        continue;
                p = realloc(v, (n + 1) * sizeof(*p));
                if (!p) {
                        free(v);
                        return -ENOMEM;
                }
                v = p;
                v[n++] = e;
        }
        ctx->slots = v;
        ctx->n_slots = n;
        ctx->slots_read = true;
        return 0;
}

static int read_slot(struct vc_ctx *ctx, struct vc_dev *dev)
{
        int r = read_slots(ctx);

        if (r < 0)
                return r;
        for (size_t i = 0; i < ctx->n_slots; i++) {
                const struct vc_slot_entry *e = &ctx->slots[i];

                if (e->domain == dev->domain && e->bus == dev->bus && (e->dev < 0 || e->dev == dev->slot)) {
                        strcpy(dev->slot_name, e->name);
                        return 0;
                }
        }
        return 0;
}

/* From the link SYSFS/bus/pci/devices/ADDR -> ../../../devices/pci0000:00/0000:00:1c.4/0000:01:00.0:
 * every component after the root bus that is a PCI address is a hop. */
static int read_path(struct vc_ctx *ctx, struct vc_dev *dev)
{
        struct vc_pci_path p = {0};
        char target[4096], *save = NULL, *c;
        const char *last = NULL;
        int r;

        r = vc_sysfs_dev_link_target(ctx, dev->addr, target, sizeof(target));
        if (r < 0)
                return r;
        for (c = strtok_r(target, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                uint32_t domain;
                uint8_t bus, slot, func;

                if (!vc_addr_parse(c, &domain, &bus, &slot, &func))
                        continue;
                if (p.n == 0) {
                        p.domain = domain;
                        p.bus = bus;
                } else if ((uint32_t)p.domain != domain)
                        return -EINVAL;
                if (p.n >= VC_PATH_DEPTH)
                        return -E2BIG;
                p.slot[p.n] = slot;
                p.func[p.n] = (int8_t)func;
                p.n++;
                last = c;
        }
        if (!last || strcmp(last, dev->addr) != 0)
                return -EINVAL;
        dev->path = p;
        dev->has_path = true;
        return 0;
}

int vc_dev_read_identity(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what)
{
        int r = 0, k;

        what &= ~dev->ident_read;
        dev->ident_read |= what;
        if (what & VC_IDENT_SLOT) {
                k = read_slot(ctx, dev);
                if (k < 0 && r >= 0)
                        r = k;
        }
        if (what & VC_IDENT_PATH) {
                k = read_path(ctx, dev);
                if (k < 0 && k != -ENOENT && r >= 0)
                        r = k;
        }
        if (what & VC_IDENT_SERIAL) {
                k = read_serial(ctx, dev);
                /* No capability, a cut-off chain, no config file: no serial. */
                if (k < 0 && k != -ENODATA && k != -ENOENT && r >= 0)
                        r = k;
        }
        return r;
}

bool vc_rule_has_identity(const struct vc_rule *r)
{
        return r->has_serial || r->has_physslot || r->has_path;
}

static bool path_match(const struct vc_pci_path *f, const struct vc_pci_path *p)
{
        if ((f->domain >= 0 && f->domain != p->domain) || f->bus != p->bus || f->n != p->n)
                return false;
        for (size_t i = 0; i < f->n; i++)
                if (f->slot[i] != p->slot[i] || (f->func[i] >= 0 && f->func[i] != p->func[i]))
                        return false;
        return true;
}

static bool slot_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_physslot || ((d->ident_read & VC_IDENT_SLOT) && strcmp(d->slot_name, r->physslot) == 0);
}

static bool path_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_path || (d->has_path && path_match(&r->path, &d->path));
}

static bool serial_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_serial || (d->has_serial && d->serial == r->serial);
}

bool vc_identity_match(const struct vc_rule *r, const struct vc_dev *dev)
{
        return slot_ok(r, dev) && path_ok(r, dev) && serial_ok(r, dev);
}

/* A device whose identity cannot be read is simply not selected by it; the
 * reason goes to the debug log. */
bool vc_identity_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev)
{
        unsigned cheap = (r->has_physslot ? VC_IDENT_SLOT : 0) | (r->has_path ? VC_IDENT_PATH : 0);
        int k;

        if (cheap) {
                k = vc_dev_read_identity(ctx, dev, cheap);
                if (k < 0)
                        vc_log(ctx, LOG_DEBUG, "%s: reading slot or path: %s", dev->addr, strerror(-k));
                if (!slot_ok(r, dev) || !path_ok(r, dev))
                        return false;
        }
        if (r->has_serial) {
                k = vc_dev_read_identity(ctx, dev, VC_IDENT_SERIAL);
                if (k < 0)
                        vc_log(ctx, LOG_DEBUG, "%s: reading the serial number: %s", dev->addr, strerror(-k));
        }
        return vc_identity_match(r, dev);
}
