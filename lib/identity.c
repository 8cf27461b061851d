// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stable identity: what still names the same card after its bus number
 * changed (a card added, a BIOS update, a bifurcated slot).
 *   - serial: the PCIe Device Serial Number extended capability (ID 0x0003)
 *     in config space, written as lspci -vv prints it;
 *   - slot: the physical slot, SYSFS/bus/pci/slots/NAME/address;
 *   - path: the device/function numbers along the bridges from the root bus,
 *     as lspci -P prints them, from the device's link into SYSFS/devices.
 * Each is read only when asked (vc_dev_read_serial_slot_path) and kept in the device.
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

        if (!c1 || !vc_hex_exact(s, (size_t)(c1 - s), 8, 0xffffffff, &d))
                return false;
        c2 = strchr(c1 + 1, ':');
        if (!vc_hex_exact(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1), 2, 0xff, &b))
                return false;
        e->domain = d;
        e->bus = (uint8_t)b;
        e->dev = -1;
        if (c2) {
                if (!vc_hex_exact(c2 + 1, strlen(c2 + 1), 2, 0x1f, &sl))
                        return false;
                e->dev = (int16_t)sl;
        }
        return true;
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

int vc_dev_read_serial_slot_path(struct vc_ctx *ctx, struct vc_dev *dev, unsigned what)
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

/* A device whose identity cannot be read is simply not selected by it; the
 * reason goes to the debug log. */
bool vc_identity_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev)
{
        unsigned cheap = (r->has_physslot ? VC_IDENT_SLOT : 0) | (r->has_path ? VC_IDENT_PATH : 0);
        int k;

        if (cheap) {
                k = vc_dev_read_serial_slot_path(ctx, dev, cheap);
                if (k < 0)
                        vc_log(ctx, LOG_DEBUG, "%s: reading slot or path: %s", dev->addr, strerror(-k));
                if (!vc_identity_slot_ok(r, dev) || !vc_identity_path_ok(r, dev))
                        return false;
        }
        if (r->has_serial) {
                k = vc_dev_read_serial_slot_path(ctx, dev, VC_IDENT_SERIAL);
                if (k < 0)
                        vc_log(ctx, LOG_DEBUG, "%s: reading the serial number: %s", dev->addr, strerror(-k));
        }
        return vc_identity_match(r, dev);
}

bool vc_rule_select(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_dev *dev)
{
        return vc_rule_matches_lspci(r, dev) && vc_identity_select(ctx, r, dev);
}
