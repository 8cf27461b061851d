// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Selectors accept exactly what lspci's -s and -d accept, with the same
 * meaning, so that an admin can try a selector with lspci before trusting it
 * with a boot. That includes the corners: empty fields and "*" mean any, a
 * leading "0x" is taken on numeric fields, and class digits may be "x".
 *
 * Parse and match live together, as in pciutils' filter.c: the address, id
 * and subsystem filters, the identity selectors (serial, slot name, path)
 * and a rule's match on what a device holds. Reading what a device does not
 * hold yet is identity.c's (vc_rule_select); nothing here reads sysfs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* lspci copies the expression into a 64-byte buffer first. */
#define FILTER_EXPR_MAX 64
#define FIELDS_MAX      4

struct fields {
        const char *p[FIELDS_MAX];
        size_t len[FIELDS_MAX];
        size_t n;
};

/* Splits at sep into at most max fields; false when there are more. */
static bool split_fields(const char *s, size_t len, char sep, size_t max, struct fields *f)
{
        const char *end = s + len;

        f->n = 0;
        for (;;) {
                const char *e = memchr(s, sep, (size_t)(end - s));

                if (f->n >= max)
                        return false;
                f->p[f->n] = s;
                f->len[f->n] = e ? (size_t)(e - s) : (size_t)(end - s);
                f->n++;
                if (!e)
                        return true;
                s = e + 1;
        }
}

/* The whole expression into at most max ':'-separated fields, with lspci's limits. */
static int split_expression(const char *s, size_t max, struct fields *f, const char **reason)
{
        size_t len = strlen(s);

        if (len >= FILTER_EXPR_MAX) {
                *reason = "Expression too long";
                return -EINVAL;
        }
        if (!split_fields(s, len, ':', max, f)) {
                *reason = "Too many fields";
                return -EINVAL;
        }
        return 0;
}

static bool field_defined(const char *s, size_t len)
{
        return len > 0 && !(len == 1 && s[0] == '*');
}

/*
 * One hexadecimal field. The bound is checked on the digits as written, so
 * leading zeros are fine and "x" (only where a mask is taken) counts as 1.
 * An undefined field leaves *out and *mask alone.
 */
static bool parse_hex_field(const char *s, size_t len, int64_t *out, uint32_t *mask, uint32_t max)
{
        uint32_t v = 0, bound = 0, m = ~0u;

        if (!field_defined(s, len))
                return true;
        if (!mask && len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                len -= 2;
        }
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (mask && (c == 'x' || c == 'X')) {
                        v <<= 4;
                        bound = bound << 4 | 1;
                        m <<= 4;
                } else {
                        int d = vc_hexval(c);

                        if (d < 0)
                                return false;
                        v = v << 4 | (uint32_t)d;
                        bound = bound << 4 | (uint32_t)d;
                        m = m << 4 | 0xf;
                }
                if (bound > max)
                        return false;
        }
        *out = v;
        if (mask)
                *mask = m;
        return true;
}

/* [[[domain]:][bus]:][slot][.[func]] */
int vc_slot_filter_parse(const char *s, struct vc_slot_filter *ret, const char **reason)
{
        struct vc_slot_filter f = {-1, -1, -1, -1};
        struct fields fl;
        size_t i = 0;

        if (split_expression(s, 3, &fl, reason) < 0)
                return -EINVAL;
        if (fl.n == 3) {
                if (!parse_hex_field(fl.p[0], fl.len[0], &f.domain, NULL, 0x7fffffff)) {
                        *reason = "Invalid domain number";
                        return -EINVAL;
                }
                i++;
        }
        if (i + 1 < fl.n) {
                if (!parse_hex_field(fl.p[i], fl.len[i], &f.bus, NULL, 0xff)) {
                        *reason = "Invalid bus number";
                        return -EINVAL;
                }
                i++;
        }
        if (field_defined(fl.p[i], fl.len[i])) {
                struct fields sf;

                if (!split_fields(fl.p[i], fl.len[i], '.', 2, &sf)) {
                        *reason = "Invalid slot/function number";
                        return -EINVAL;
                }
                if (!parse_hex_field(sf.p[0], sf.len[0], &f.slot, NULL, 0x1f)) {
                        *reason = "Invalid slot number";
                        return -EINVAL;
                }
                if (sf.n > 1 && !parse_hex_field(sf.p[1], sf.len[1], &f.func, NULL, 7)) {
                        *reason = "Invalid function number";
                        return -EINVAL;
                }
        }
        *ret = f;
        return 0;
}

/* The vendor:device pair that starts both lspci -d and a subsystem selector,
 * at most max fields in all; messages as lspci words them. */
static int parse_vendor_device(const char *s, size_t max, bool subsys, struct fields *fl, int64_t *vendor,
                               int64_t *device, const char **reason)
{
        if (split_expression(s, max, fl, reason) < 0)
                return -EINVAL;
        if (fl->n < 2) {
                *reason = subsys ? "Two fields must be given" : "At least two fields must be given";
                return -EINVAL;
        }
        if (!parse_hex_field(fl->p[0], fl->len[0], vendor, NULL, 0xffff)) {
                *reason = subsys ? "Invalid subsystem vendor ID" : "Invalid vendor ID";
                return -EINVAL;
        }
        if (!parse_hex_field(fl->p[1], fl->len[1], device, NULL, 0xffff)) {
                *reason = subsys ? "Invalid subsystem device ID" : "Invalid device ID";
                return -EINVAL;
        }
        return 0;
}

/* [vendor]:[device][:class[:prog-if]] */
int vc_id_filter_parse(const char *s, struct vc_id_filter *ret, const char **reason)
{
        struct vc_id_filter f = {-1, -1, -1, ~0u, -1};
        struct fields fl;

        if (parse_vendor_device(s, 4, false, &fl, &f.vendor, &f.device, reason) < 0)
                return -EINVAL;
        if (fl.n > 2 && !parse_hex_field(fl.p[2], fl.len[2], &f.class, &f.class_mask, 0xffff)) {
                *reason = "Invalid class code";
                return -EINVAL;
        }
        if (fl.n > 3 && !parse_hex_field(fl.p[3], fl.len[3], &f.prog_if, NULL, 0xff)) {
                *reason = "Invalid programming interface code";
                return -EINVAL;
        }
        *ret = f;
        return 0;
}

/* [vendor]:[device], the form lspci -nnv prints after "Subsystem:". */
int vc_subsys_filter_parse(const char *s, struct vc_subsys_filter *ret, const char **reason)
{
        struct vc_subsys_filter f = {-1, -1};
        struct fields fl;

        if (parse_vendor_device(s, 2, true, &fl, &f.vendor, &f.device, reason) < 0)
                return -EINVAL;
        *ret = f;
        return 0;
}

bool vc_slot_match(const struct vc_slot_filter *f, const struct vc_dev *dev)
{
        return (f->domain < 0 || f->domain == dev->domain) && (f->bus < 0 || f->bus == dev->bus) &&
               (f->slot < 0 || f->slot == dev->slot) && (f->func < 0 || f->func == dev->func);
}

bool vc_id_match(const struct vc_id_filter *f, const struct vc_dev *dev)
{
        if (f->vendor >= 0 && f->vendor != dev->vendor)
                return false;
        if (f->device >= 0 && f->device != dev->device)
                return false;
        if (f->class >= 0 && (((uint32_t)f->class ^ (dev->class >> 8)) & f->class_mask))
                return false;
        if (f->prog_if >= 0 && f->prog_if != (dev->class & 0xff))
                return false;
        return true;
}

bool vc_subsys_match(const struct vc_subsys_filter *f, const struct vc_dev *dev)
{
        return (f->vendor < 0 || f->vendor == dev->subvendor) && (f->device < 0 || f->device == dev->subdevice);
}

/* DDDD:BB:DD.F exactly as the kernel names a PCI device (domain may be longer). */
bool vc_addr_parse(const char *s, uint32_t *domain, uint8_t *bus, uint8_t *slot, uint8_t *func)
{
        const char *c1 = strchr(s, ':'), *c2, *dot;
        uint32_t d, b, sl, fn;
        size_t dl;

        if (!c1)
                return false;
        c2 = strchr(c1 + 1, ':');
        if (!c2)
                return false;
        dot = strchr(c2 + 1, '.');
        if (!dot)
                return false;
        dl = (size_t)(c1 - s);
        if (dl < 4 || !vc_parse_hex_u32(s, dl, 0xffffffff, &d) || c2 - c1 != 3 ||
            !vc_parse_hex_u32(c1 + 1, 2, 0xff, &b) || dot - c2 != 3 || !vc_parse_hex_u32(c2 + 1, 2, 0x1f, &sl) ||
            strlen(dot + 1) != 1 || !vc_parse_hex_u32(dot + 1, 1, 7, &fn))
                return false;
        if (domain)
                *domain = d;
        if (bus)
                *bus = (uint8_t)b;
        if (slot)
                *slot = (uint8_t)sl;
        if (func)
                *func = (uint8_t)fn;
        return true;
}

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
bool vc_hex_exact(const char *s, size_t len, size_t maxdigits, uint32_t max, uint32_t *ret)
{
        return len >= 1 && len <= maxdigits && vc_parse_hex_u32(s, len, max, ret);
}

/* "DD.F" or, for the last hop only, "DD". */
static bool parse_hop(const char *s, size_t len, bool last, uint8_t *slot, int8_t *func)
{
        const char *dot = memchr(s, '.', len);
        uint32_t sl, fn;

        if (!dot) {
                if (!last || !vc_hex_exact(s, len, 2, 0x1f, &sl))
                        return false;
                *slot = (uint8_t)sl;
                *func = -1;
                return true;
        }
        if (!vc_hex_exact(s, (size_t)(dot - s), 2, 0x1f, &sl) ||
            !vc_hex_exact(dot + 1, len - (size_t)(dot - s) - 1, 1, 7, &fn))
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
                if (!vc_hex_exact(comp, (size_t)(c1 - comp), 8, 0xffffffff, &v))
                        return -EINVAL;
                p.domain = v;
                comp = c1 + 1;
                c1 = c2;
        }
        if (!vc_hex_exact(comp, (size_t)(c1 - comp), 2, 0xff, &v))
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

bool vc_identity_slot_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_physslot || ((d->ident_read & VC_IDENT_SLOT) && strcmp(d->slot_name, r->physslot) == 0);
}

bool vc_identity_path_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_path || (d->has_path && path_match(&r->path, &d->path));
}

static bool serial_ok(const struct vc_rule *r, const struct vc_dev *d)
{
        return !r->has_serial || (d->has_serial && d->serial == r->serial);
}

bool vc_identity_match(const struct vc_rule *r, const struct vc_dev *dev)
{
        return vc_identity_slot_ok(r, dev) && vc_identity_path_ok(r, dev) && serial_ok(r, dev);
}

bool vc_rule_matches_lspci(const struct vc_rule *r, const struct vc_dev *dev)
{
        return (!r->has_slot || vc_slot_match(&r->slot, dev)) && (!r->has_id || vc_id_match(&r->id, dev)) &&
               (!r->has_subsys || vc_subsys_match(&r->subsys, dev));
}

bool vc_rule_matches(const struct vc_rule *r, const struct vc_dev *dev)
{
        return vc_rule_matches_lspci(r, dev) && vc_identity_match(r, dev);
}
