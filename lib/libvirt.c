// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reader of libvirt's domain definitions (vfio-claim-libvirt.h): one pass
 * over the text with a stack of open elements. Only a few paths matter:
 * /domain/name, /domain/devices/hostdev and its source/address; every other
 * element is checked for well-formedness and skipped.
 *
 * What libvirt does with what it reads (src/conf/domain_conf.c,
 * virDomainHostdevDefParseXML; device_conf.c, virPCIDeviceAddressParseXML):
 * a hostdev without mode is mode='subsystem'; managed is true only for the
 * value "yes", so a hostdev without the attribute is managed='no'; the
 * address values are read with strtoul's base 0 (0x.. hex, 0.. octal, else
 * decimal), an absent one is 0, and bus <= 0xff, slot <= 0x1f,
 * function <= 7.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "macro.h"
#include "vfio-claim-libvirt.h"

/* What an open element is to the reader. */
enum kind {
        K_OTHER,
        K_DOMAIN,
        K_NAME,
        K_DEVICES,
        K_HOSTDEV,
        K_SOURCE,
        K_SOURCE_ADDRESS,
};

struct open_el {
        const char *name;
        size_t len;
        enum kind kind;
};

/* The hostdev being read. */
struct pending {
        bool pci;         /* mode='subsystem' type='pci' */
        bool seen_source; /* its first <source> was read */
        bool have_addr;
        struct vc_libvirt_hostdev h;
};

struct parser {
        const char *start, *p, *end;
        const char *line_at; /* line counted up to here */
        unsigned line;
        struct vc_libvirt_error *err;
        struct open_el stack[VC_LIBVIRT_MAX_DEPTH];
        size_t depth;
        bool root_seen, root_closed, name_seen;
        char *name;
        size_t name_len;
        struct pending hd;
        struct vc_libvirt_hostdev *hostdevs;
        size_t n_hostdevs;
};

static unsigned line_of(struct parser *ps, const char *pos)
{
        /* Positions only move forward, except for an error at a remembered tag. */
        if (pos < ps->line_at) {
                ps->line_at = ps->start;
                ps->line = 1;
        }
        for (; ps->line_at < pos; ps->line_at++)
                if (*ps->line_at == '\n')
                        ps->line++;
        return ps->line;
}

static int fail_at(struct parser *ps, const char *pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *ps, const char *pos, const char *fmt, ...)
{
        va_list ap;

        ps->err->line = line_of(ps, pos);
        va_start(ap, fmt);
        vsnprintf(ps->err->reason, sizeof(ps->err->reason), fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static bool is_name_start(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool starts(const struct parser *ps, const char *s)
{
        size_t n = strlen(s);

        return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

static bool slice_is(const char *s, size_t len, const char *word)
{
        return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* A character XML 1.0 allows, as far as a byte tells: no NUL or C0 control but tab, LF, CR; no DEL. */
static bool bad_byte(unsigned char c)
{
        return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/* Finds the end marker from p on; the bytes before it must all be allowed ones. */
static int skip_until(struct parser *ps, const char *marker, const char *what)
{
        const char *open = ps->p;
        size_t n = strlen(marker);

        for (const char *q = ps->p; (size_t)(ps->end - q) >= n; q++) {
                if (memcmp(q, marker, n) == 0) {
                        ps->p = q + n;
                        return 0;
                }
                if (bad_byte((unsigned char)*q))
                        return fail_at(ps, q, "a control character (0x%02x) in %s", (unsigned char)*q, what);
        }
        return fail_at(ps, open, "%s not closed", what);
}

/*
 * One entity or character reference at s (s[0] == '&'), within [s, end):
 * its length in *used and its UTF-8 bytes in out (at most 4, count in *n).
 */
static bool entity(const char *s, const char *end, size_t *used, char out[4], size_t *n)
{
        static const struct {
                const char *name;
                char c;
        } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
        const char *q = s + 1;
        uint32_t v = 0;

        for (size_t i = 0; i < ELEMENTSOF(named); i++) {
                size_t l = strlen(named[i].name);

                if ((size_t)(end - q) >= l && memcmp(q, named[i].name, l) == 0) {
                        out[0] = named[i].c;
                        *n = 1;
                        *used = 1 + l;
                        return true;
                }
        }
        if (q >= end || *q != '#')
                return false;
        q++;
        if (q < end && *q == 'x') {
                const char *d = ++q;

                for (; q < end && vc_hexval(*q) >= 0 && q - d < 8; q++)
                        v = v << 4 | (uint32_t)vc_hexval(*q);
                if (q == d)
                        return false;
        } else {
                const char *d = q;

                for (; q < end && *q >= '0' && *q <= '9' && q - d < 8; q++)
                        v = v * 10 + (uint32_t)(*q - '0');
                if (q == d)
                        return false;
        }
        if (q >= end || *q != ';')
                return false;
        /* What XML allows, less the C1 controls a terminal would act on. */
        if ((v < 0x20 && v != '\t' && v != '\n' && v != '\r') || (v >= 0x7f && v <= 0x9f) ||
            (v >= 0xd800 && v <= 0xdfff) || v == 0xfffe || v == 0xffff || v > 0x10ffff)
                return false;
        if (v < 0x80) {
                out[0] = (char)v;
                *n = 1;
        } else if (v < 0x800) {
                out[0] = (char)(0xc0 | v >> 6);
                out[1] = (char)(0x80 | (v & 0x3f));
                *n = 2;
        } else if (v < 0x10000) {
                out[0] = (char)(0xe0 | v >> 12);
                out[1] = (char)(0x80 | (v >> 6 & 0x3f));
                out[2] = (char)(0x80 | (v & 0x3f));
                *n = 3;
        } else {
                out[0] = (char)(0xf0 | v >> 18);
                out[1] = (char)(0x80 | (v >> 12 & 0x3f));
                out[2] = (char)(0x80 | (v >> 6 & 0x3f));
                out[3] = (char)(0x80 | (v & 0x3f));
                *n = 4;
        }
        *used = (size_t)(q + 1 - s);
        return true;
}

/*
 * Decodes [s, s + len) into buf (NUL-terminated; size 0: only checks it).
 * -EBADMSG at a bad reference or a '<', -E2BIG when it does not fit.
 */
static int decode(struct parser *ps, const char *s, size_t len, char *buf, size_t size, const char *what)
{
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                char u[4];
                size_t n = 1, used = 1;

                if (s[i] == '<')
                        return fail_at(ps, s + i, "a '<' in %s", what);
                if (bad_byte((unsigned char)s[i]))
                        return fail_at(ps, s + i, "a control character (0x%02x) in %s", (unsigned char)s[i], what);
                if (s[i] == '&') {
                        if (!entity(s + i, s + len, &used, u, &n))
                                return fail_at(ps, s + i, "a bad entity or character reference in %s", what);
                } else
                        u[0] = s[i];
                if (size) {
                        if (o + n >= size)
                                return -E2BIG;
                        memcpy(buf + o, u, n);
                }
                o += n;
                i += used;
        }
        if (size)
                buf[o] = 0;
        return 0;
}

/* The name's text, appended (its CDATA sections and text pieces). */
static int name_append(struct parser *ps, const char *s, size_t len, bool raw, const char *at)
{
        char piece[VC_LIBVIRT_NAME_MAX + 1];
        size_t n;
        char *p;
        int k;

        if (len > VC_LIBVIRT_NAME_MAX)
                return fail_at(ps, at, "<name> longer than %d bytes", VC_LIBVIRT_NAME_MAX);
        if (raw) {
                memcpy(piece, s, len);
                piece[len] = 0;
        } else {
                k = decode(ps, s, len, piece, sizeof(piece), "<name>");
                if (k == -E2BIG)
                        return fail_at(ps, at, "<name> longer than %d bytes", VC_LIBVIRT_NAME_MAX);
                if (k < 0)
                        return k;
        }
        n = strlen(piece);
        if (n != (raw ? len : n))
                return fail_at(ps, at, "a NUL in <name>");
        /* The name goes into messages: no control character, no line break
         * (libvirt refuses '\n' in a name too), no C1 control in UTF-8. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)piece[i] < 0x20 || piece[i] == 0x7f ||
                    ((unsigned char)piece[i] == 0xc2 && i + 1 < n && (unsigned char)piece[i + 1] >= 0x80 &&
                     (unsigned char)piece[i + 1] <= 0x9f))
                        return fail_at(ps, at, "a control character in <name>");
        if (ps->name_len + n > VC_LIBVIRT_NAME_MAX)
                return fail_at(ps, at, "<name> longer than %d bytes", VC_LIBVIRT_NAME_MAX);
        p = realloc(ps->name, ps->name_len + n + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p + ps->name_len, piece, n + 1);
        ps->name = p;
        ps->name_len += n;
        return 0;
}

/* Character data between tags: checked; the name's kept. */
static int char_data(struct parser *ps)
{
        const char *s = ps->p;
        const char *lt = memchr(s, '<', (size_t)(ps->end - s));
        size_t len = lt ? (size_t)(lt - s) : (size_t)(ps->end - s);
        int k;

        ps->p = s + len;
        if (ps->depth == 0) {
                for (size_t i = 0; i < len; i++)
                        if (!is_space(s[i]))
                                return fail_at(ps, s + i,
                                               ps->root_closed ? "text after </domain>"
                                                               : "text before the root element");
                return 0;
        }
        if (ps->stack[ps->depth - 1].kind == K_NAME)
                return name_append(ps, s, len, false, s);
        k = decode(ps, s, len, NULL, 0, "text");
        return k;
}

/* An attribute's value, decoded into buf (which holds a value check needs: short). */
struct attr {
        const char *name, *value;
        size_t name_len, value_len;
};

#define MAX_ATTRS 64

static int attr_get(struct parser *ps, const struct attr *a, size_t n, const char *name, char *buf, size_t size,
                    bool *found)
{
        *found = false;
        for (size_t i = 0; i < n; i++) {
                int k;

                if (!slice_is(a[i].name, a[i].name_len, name))
                        continue;
                *found = true;
                k = decode(ps, a[i].value, a[i].value_len, buf, size, "an attribute value");
                if (k == -E2BIG)
                        return fail_at(ps, a[i].value, "%.*s='%.*s...' is too long", (int)a[i].name_len, a[i].name, 16,
                                       a[i].value);
                return k;
        }
        return 0;
}

/* strtoul's base 0, as libvirt reads an address value: no sign, no blanks, at most max. */
static bool parse_number(const char *s, uint32_t max, uint32_t *ret)
{
        uint64_t v = 0;
        unsigned base = 10;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
        } else if (s[0] == '0' && s[1])
                base = 8;
        if (!*s)
                return false;
        for (; *s; s++) {
                int d = vc_hexval(*s);

                if (d < 0 || (unsigned)d >= base)
                        return false;
                v = v * base + (unsigned)d;
                if (v > max)
                        return false;
        }
        *ret = (uint32_t)v;
        return true;
}

static int source_address(struct parser *ps, const struct attr *a, size_t n, const char *at)
{
        static const struct {
                const char *name;
                uint32_t max;
        } fields[] = {{"domain", UINT32_MAX}, {"bus", 0xff}, {"slot", 0x1f}, {"function", 7}};
        uint32_t v[4] = {0};

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                char buf[32];
                bool found;
                int k = attr_get(ps, a, n, fields[i].name, buf, sizeof(buf), &found);

                if (k < 0)
                        return k;
                if (found && !parse_number(buf, fields[i].max, &v[i]))
                        return fail_at(ps, at, "<hostdev>'s source address: %s='%s' is not a number up to 0x%x",
                                       fields[i].name, buf, fields[i].max);
        }
        snprintf(ps->hd.h.addr, sizeof(ps->hd.h.addr), "%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]);
        ps->hd.have_addr = true;
        return 0;
}

static int hostdev_open(struct parser *ps, const struct attr *a, size_t n, const char *at)
{
        char mode[32], type[32], managed[32];
        bool has_mode, has_type, has_managed;
        int k;

        ps->hd = (struct pending){.h.line = line_of(ps, at)};
        k = attr_get(ps, a, n, "mode", mode, sizeof(mode), &has_mode);
        if (k >= 0)
                k = attr_get(ps, a, n, "type", type, sizeof(type), &has_type);
        if (k >= 0)
                k = attr_get(ps, a, n, "managed", managed, sizeof(managed), &has_managed);
        if (k < 0)
                return k;
        ps->hd.pci = (!has_mode || strcmp(mode, "subsystem") == 0) && has_type && strcmp(type, "pci") == 0;
        ps->hd.h.managed = !has_managed                  ? VC_MANAGED_ABSENT
                           : strcmp(managed, "yes") == 0 ? VC_MANAGED_YES
                                                         : VC_MANAGED_NO;
        return 0;
}

static int hostdev_close(struct parser *ps, const char *at)
{
        struct vc_libvirt_hostdev *v;

        if (!ps->hd.pci)
                return 0;
        if (!ps->hd.have_addr)
                return fail_at(ps, at, "a PCI <hostdev> (line %u) without <source><address .../></source>",
                               ps->hd.h.line);
        v = realloc(ps->hostdevs, (ps->n_hostdevs + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        v[ps->n_hostdevs++] = ps->hd.h;
        ps->hostdevs = v;
        return 0;
}

/* What the element opened at this depth is, from its parent. */
static enum kind classify(struct parser *ps, const char *name, size_t len)
{
        enum kind parent = ps->depth ? ps->stack[ps->depth - 1].kind : K_OTHER;

        if (ps->depth == 0)
                return K_DOMAIN;
        switch (parent) {
        case K_DOMAIN:
                if (slice_is(name, len, "name") && !ps->name_seen)
                        return K_NAME;
                if (slice_is(name, len, "devices"))
                        return K_DEVICES;
                break;
        case K_DEVICES:
                if (slice_is(name, len, "hostdev"))
                        return K_HOSTDEV;
                break;
        case K_HOSTDEV:
                /* Only the first <source>; the <address> beside it is the guest's. */
                if (slice_is(name, len, "source") && !ps->hd.seen_source)
                        return K_SOURCE;
                break;
        case K_SOURCE:
                if (slice_is(name, len, "address") && !ps->hd.have_addr)
                        return K_SOURCE_ADDRESS;
                break;
        default:
                break;
        }
        return K_OTHER;
}

static int start_tag(struct parser *ps)
{
        const char *tag = ps->p, *name;
        struct attr a[MAX_ATTRS];
        size_t n = 0, len;
        bool empty = false;
        enum kind kind;
        int k;

        ps->p++; /* '<' */
        name = ps->p;
        if (ps->p >= ps->end || !is_name_start((unsigned char)*ps->p))
                return fail_at(ps, tag, "a '<' that starts no tag");
        while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
                ps->p++;
        len = (size_t)(ps->p - name);
        for (;;) {
                const char *an;
                char q;

                while (ps->p < ps->end && is_space(*ps->p))
                        ps->p++;
                if (ps->p >= ps->end)
                        return fail_at(ps, tag, "<%.*s> not closed", (int)(len > 32 ? 32 : len), name);
                if (*ps->p == '>') {
                        ps->p++;
                        break;
                }
                if (starts(ps, "/>")) {
                        ps->p += 2;
                        empty = true;
                        break;
                }
                if (n > 0 && !is_space(ps->p[-1]))
                        return fail_at(ps, ps->p, "no blank between two attributes");
                if (!is_name_start((unsigned char)*ps->p))
                        return fail_at(ps, ps->p, "a bad character in <%.*s>", (int)(len > 32 ? 32 : len), name);
                if (n == MAX_ATTRS)
                        return fail_at(ps, ps->p, "more than %d attributes", MAX_ATTRS);
                an = ps->p;
                while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
                        ps->p++;
                a[n].name = an;
                a[n].name_len = (size_t)(ps->p - an);
                while (ps->p < ps->end && is_space(*ps->p))
                        ps->p++;
                if (ps->p >= ps->end || *ps->p != '=')
                        return fail_at(ps, an, "attribute %.*s without a value",
                                       (int)(a[n].name_len > 32 ? 32 : a[n].name_len), an);
                ps->p++;
                while (ps->p < ps->end && is_space(*ps->p))
                        ps->p++;
                if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\''))
                        return fail_at(ps, an, "attribute %.*s's value is not quoted",
                                       (int)(a[n].name_len > 32 ? 32 : a[n].name_len), an);
                q = *ps->p++;
                a[n].value = ps->p;
                {
                        const char *e = memchr(ps->p, q, (size_t)(ps->end - ps->p));

                        if (!e)
                                return fail_at(ps, an, "attribute %.*s's value not closed",
                                               (int)(a[n].name_len > 32 ? 32 : a[n].name_len), an);
                        a[n].value_len = (size_t)(e - ps->p);
                        ps->p = e + 1;
                }
                k = decode(ps, a[n].value, a[n].value_len, NULL, 0, "an attribute value");
                if (k < 0)
                        return k;
                for (size_t i = 0; i < n; i++)
                        if (a[i].name_len == a[n].name_len && memcmp(a[i].name, an, a[n].name_len) == 0)
                                return fail_at(ps, an, "attribute %.*s given twice",
                                               (int)(a[n].name_len > 32 ? 32 : a[n].name_len), an);
                n++;
        }
        if (ps->depth == 0) {
                if (ps->root_seen)
                        return fail_at(ps, tag, "a second root element after </domain>");
                if (!slice_is(name, len, "domain"))
                        return fail_at(ps, tag, "the root element is <%.*s>, not <domain>", (int)(len > 32 ? 32 : len),
                                       name);
                ps->root_seen = true;
        }
        kind = classify(ps, name, len);
        switch (kind) {
        case K_NAME:
                ps->name_seen = true;
                break;
        case K_HOSTDEV:
                k = hostdev_open(ps, a, n, tag);
                if (k < 0)
                        return k;
                break;
        case K_SOURCE:
                ps->hd.seen_source = true;
                break;
        case K_SOURCE_ADDRESS:
                k = source_address(ps, a, n, tag);
                if (k < 0)
                        return k;
                break;
        default:
                break;
        }
        if (empty) {
                if (kind == K_HOSTDEV)
                        return hostdev_close(ps, tag);
                if (kind == K_DOMAIN)
                        ps->root_closed = true;
                return 0;
        }
        if (ps->depth == VC_LIBVIRT_MAX_DEPTH)
                return fail_at(ps, tag, "elements nested deeper than %d", VC_LIBVIRT_MAX_DEPTH);
        ps->stack[ps->depth++] = (struct open_el){.name = name, .len = len, .kind = kind};
        return 0;
}

static int end_tag(struct parser *ps)
{
        const char *tag = ps->p, *name;
        const struct open_el *top;
        size_t len;

        ps->p += 2; /* "</" */
        name = ps->p;
        while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
                ps->p++;
        len = (size_t)(ps->p - name);
        while (ps->p < ps->end && is_space(*ps->p))
                ps->p++;
        if (ps->p >= ps->end || *ps->p != '>' || len == 0)
                return fail_at(ps, tag, "a bad end tag");
        ps->p++;
        if (ps->depth == 0)
                return fail_at(ps, tag, "</%.*s> closes nothing", (int)(len > 32 ? 32 : len), name);
        top = &ps->stack[ps->depth - 1];
        if (top->len != len || memcmp(top->name, name, len) != 0)
                return fail_at(ps, tag, "</%.*s> where </%.*s> (line %u) was due", (int)(len > 32 ? 32 : len), name,
                               (int)(top->len > 32 ? 32 : top->len), top->name, line_of(ps, top->name));
        ps->depth--;
        if (top->kind == K_HOSTDEV)
                return hostdev_close(ps, tag);
        if (ps->depth == 0)
                ps->root_closed = true;
        return 0;
}

static int markup(struct parser *ps)
{
        if (starts(ps, "<!--")) {
                const char *open = ps->p;
                int k;

                ps->p += 4;
                k = skip_until(ps, "-->", "a comment");
                if (k < 0)
                        return k;
                /* XML forbids "--" inside a comment; libxml2 rejects it, and so does libvirt. */
                for (const char *q = open + 4; q + 3 < ps->p; q++)
                        if (q[0] == '-' && q[1] == '-')
                                return fail_at(ps, q, "'--' inside a comment");
                return 0;
        }
        if (starts(ps, "<![CDATA[")) {
                const char *s;

                if (ps->depth == 0)
                        return fail_at(ps, ps->p, "CDATA outside the root element");
                ps->p += 9;
                s = ps->p;
                if (skip_until(ps, "]]>", "a CDATA section") < 0)
                        return -EBADMSG;
                if (ps->stack[ps->depth - 1].kind == K_NAME)
                        return name_append(ps, s, (size_t)(ps->p - 3 - s), true, s);
                return 0;
        }
        if (starts(ps, "<!"))
                return fail_at(ps, ps->p, "a DOCTYPE or declaration: not in a libvirt domain file");
        if (starts(ps, "<?")) {
                ps->p += 2;
                return skip_until(ps, "?>", "a processing instruction");
        }
        if (starts(ps, "</"))
                return end_tag(ps);
        if (ps->root_closed && ps->depth == 0)
                return fail_at(ps, ps->p, "a second root element after </domain>");
        return start_tag(ps);
}

int vc_libvirt_parse(const char *text, size_t len, struct vc_libvirt_domain *ret, struct vc_libvirt_error *err)
{
        struct parser ps = {
                .start = text,
                .p = text,
                .end = text + len,
                .line_at = text,
                .line = 1,
                .err = err,
        };
        int k = 0;

        /* A UTF-8 byte order mark. */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                ps.p += 3;
        while (ps.p < ps.end && k >= 0)
                k = *ps.p == '<' ? markup(&ps) : char_data(&ps);
        if (k >= 0 && ps.depth > 0)
                k = fail_at(&ps, ps.stack[ps.depth - 1].name - 1, "<%.*s> not closed at the end of the file",
                            (int)(ps.stack[ps.depth - 1].len > 32 ? 32 : ps.stack[ps.depth - 1].len),
                            ps.stack[ps.depth - 1].name);
        if (k >= 0 && !ps.root_seen)
                k = fail_at(&ps, ps.end, "no <domain> element");
        if (k < 0) {
                free(ps.name);
                free(ps.hostdevs);
                return k;
        }
        *ret = (struct vc_libvirt_domain){.name = ps.name, .hostdevs = ps.hostdevs, .n_hostdevs = ps.n_hostdevs};
        return 0;
}

void vc_libvirt_domain_clear(struct vc_libvirt_domain *d)
{
        free(d->name);
        free(d->hostdevs);
        *d = (struct vc_libvirt_domain){0};
}

static int filter_xml(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 4 && strcmp(de->d_name + n - 4, ".xml") == 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

int vc_libvirt_scan(const char *dir, vc_libvirt_fn fn, void *userdata)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, filter_xml, cmp_names);

        if (n < 0)
                return negative_errno();
        for (int i = 0; i < n; i++) {
                struct vc_libvirt_domain dom = {0};
                struct vc_libvirt_error perr = {0};
                _cleanup_free_ char *text = NULL;
                char path[4096];
                size_t size = 0;
                int k = vc_path(path, sizeof(path), "%s/%s", dir, names[i]->d_name);

                if (k >= 0)
                        k = vc_read_file(path, VC_LIBVIRT_MAX_SIZE, &text, &size);
                if (k >= 0 && memchr(text, 0, size)) {
                        perr = (struct vc_libvirt_error){.line = 0};
                        snprintf(perr.reason, sizeof(perr.reason), "a NUL byte: not a text file");
                        k = -EBADMSG;
                }
                if (k >= 0)
                        k = vc_libvirt_parse(text, size, &dom, &perr);
                if (k == -ENOMEM) {
                        for (int j = i; j < n; j++)
                                free(names[j]);
                        free(names);
                        return k;
                }
                fn(userdata, k == -ENAMETOOLONG ? names[i]->d_name : path, k < 0 ? NULL : &dom, k < 0 ? k : 0,
                   k == -EBADMSG ? &perr : NULL);
                vc_libvirt_domain_clear(&dom);
                free(names[i]);
        }
        free(names);
        return n;
}
