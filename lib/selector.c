// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Selectors accept exactly what lspci's -s and -d accept, with the same
 * meaning, so that an admin can try a selector with lspci before trusting it
 * with a boot. That includes the corners: empty fields and "*" mean any, a
 * leading "0x" is taken on numeric fields, and class digits may be "x".
 */
#include <errno.h>
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
