// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim doctor's reading of pasted text: each line loses the prefix
 * that dmesg, journalctl, /dev/kmsg, libvirt or QEMU put in front of the
 * message, is matched against the patterns of the catalogue
 * (doctor-catalogue.c), and a cause it shows is kept once per device. Pure
 * functions on memory: nothing is read here but the text, nothing printed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "vfio-claim-doctor.h"
#include "macro.h"

const char *vc_severity_to_string(enum vc_severity s)
{
        switch (s) {
        case VC_SEV_ERROR:
                return "error";
        case VC_SEV_WARNING:
                return "warning";
        case VC_SEV_INFO:
                break;
        }
        return "info";
}

const struct vc_cause *vc_cause_for_check(const char *check)
{
        for (size_t i = 0; i < vc_n_causes; i++)
                if (vc_causes[i].check && strcmp(vc_causes[i].check, check) == 0)
                        return &vc_causes[i];
        return NULL;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* The pattern p matches a prefix of s[0..len). "%*" tries every length, shortest first. */
static bool match_here(const char *p, const char *s, size_t len)
{
        size_t i = 0;

        while (*p) {
                if (p[0] == '%' && p[1] == '*') {
                        for (size_t k = i; k <= len; k++)
                                if (match_here(p + 2, s + k, len - k))
                                        return true;
                        return false;
                }
                if (p[0] == '%' && p[1] == 'd') {
                        size_t start;

                        if (i < len && s[i] == '-')
                                i++;
                        start = i;
                        while (i < len && is_digit(s[i]))
                                i++;
                        if (i == start)
                                return false;
                        p += 2;
                        continue;
                }
                if (p[0] == '%' && p[1] == 'x') {
                        size_t start = i;

                        while (i < len && vc_hexval(s[i]) >= 0)
                                i++;
                        if (i == start)
                                return false;
                        p += 2;
                        continue;
                }
                if (p[0] == '%' && p[1] == '%')
                        p++;
                if (i >= len || s[i] != *p)
                        return false;
                i++;
                p++;
        }
        return true;
}

bool vc_pattern_match(const char *pattern, const char *s, size_t len)
{
        size_t lit = strcspn(pattern, "%");

        /* Only where the pattern's leading text is can a match start. */
        if (lit == 0) {
                for (size_t i = 0; i <= len; i++)
                        if (match_here(pattern, s + i, len - i))
                                return true;
                return false;
        }
        for (const char *at = s; (size_t)(at - s) + lit <= len;) {
                at = memmem(at, len - (size_t)(at - s), pattern, lit);
                if (!at)
                        return false;
                if (match_here(pattern, at, len - (size_t)(at - s)))
                        return true;
                at++;
        }
        return false;
}

static bool starts(const char *s, size_t len, const char *prefix)
{
        size_t n = strlen(prefix);

        return len >= n && memcmp(s, prefix, n) == 0;
}

/* Hex digits at s[0..len) from i: how many, at most max. */
static size_t hex_run(const char *s, size_t len, size_t i, size_t max)
{
        size_t n = 0;

        while (i + n < len && n < max && vc_hexval(s[i + n]) >= 0)
                n++;
        return n;
}

bool vc_addr_normalize(const char *s, size_t len, char buf[VC_ADDR_MAX])
{
        char tmp[VC_ADDR_MAX];
        uint32_t domain = 0, bus, slot, func;
        size_t i = 0, n;

        /* [DDDD:]BB:DD.F; the kernel prints the domain with at least 4 digits. */
        n = hex_run(s, len, 0, 9);
        if (n >= 4 && n <= 8 && i + n < len && s[n] == ':') {
                if (!vc_parse_hex_u32(s, n, UINT32_MAX, &domain))
                        return false;
                i = n + 1;
        }
        if (hex_run(s, len, i, 3) != 2 || i + 2 >= len || s[i + 2] != ':' || !vc_parse_hex_u32(s + i, 2, 0xff, &bus))
                return false;
        i += 3;
        if (hex_run(s, len, i, 3) != 2 || i + 2 >= len || s[i + 2] != '.' || !vc_parse_hex_u32(s + i, 2, 0x1f, &slot))
                return false;
        i += 3;
        if (i + 1 != len || s[i] < '0' || s[i] > '7')
                return false;
        func = (uint32_t)(s[i] - '0');
        snprintf(tmp, sizeof(tmp), "%04x:%02x:%02x.%u", domain, bus, slot, func);
        memcpy(buf, tmp, sizeof(tmp));
        return true;
}

static bool addr_char(char c)
{
        return vc_hexval(c) >= 0 || c == ':' || c == '.';
}

bool vc_log_find_nth_addr(const char *s, size_t len, unsigned nth, char buf[VC_ADDR_MAX])
{
        char tmp[VC_ADDR_MAX];

        for (size_t i = 0; i < len; i++) {
                size_t end = i;
                bool found = false;

                /* A candidate is a maximal run of hex digits, ':' and '.' ... */
                if (!addr_char(s[i]) || (i > 0 && addr_char(s[i - 1])))
                        continue;
                while (end < len && addr_char(s[end]))
                        end++;
                /* ... that may end a sentence with a '.' or ':' of its own. */
                for (size_t e = end; e > i && !found; e--) {
                        found = vc_addr_normalize(s + i, e - i, tmp);
                        if (s[e - 1] != '.' && s[e - 1] != ':')
                                break;
                }
                if (found && nth <= 1) {
                        memcpy(buf, tmp, sizeof(tmp));
                        return true;
                }
                if (found)
                        nth--;
                i = end;
        }
        return false;
}

bool vc_log_find_addr(const char *s, size_t len, char buf[VC_ADDR_MAX])
{
        return vc_log_find_nth_addr(s, len, 1, buf);
}

/* dmesg's "[    1.234567] " or dmesg -T's "[Wed Dec  2 06:54:44 2026] ". */
static bool strip_bracket_time(const char **s, size_t *len)
{
        const char *close, *in;
        size_t n, digits = 0, colons = 0, other = 0;

        if (*len < 3 || (*s)[0] != '[')
                return false;
        close = memchr(*s, ']', *len < 40 ? *len : 40);
        if (!close)
                return false;
        in = *s + 1;
        n = (size_t)(close - in);
        for (size_t i = 0; i < n; i++) {
                if (is_digit(in[i]))
                        digits++;
                else if (in[i] == ':')
                        colons++;
                else if (in[i] != '.' && in[i] != ' ')
                        other++;
        }
        /* Seconds since boot, or a ctime: "Www Mmm dd hh:mm:ss yyyy". */
        if (digits == 0 ||
            (other > 0 && (colons != 2 || n < 20 || !is_digit(in[n - 1]) || !is_digit(in[n - 4]) || other != 6)))
                return false;
        *len -= (size_t)(close + 1 - *s);
        *s = close + 1;
        while (*len > 0 && **s == ' ') {
                (*s)++;
                (*len)--;
        }
        return true;
}

/* "<3>": a priority as /dev/kmsg takes it and dmesg -r prints it. */
static bool strip_priority(const char **s, size_t *len)
{
        size_t i = 1;

        if (*len < 3 || (*s)[0] != '<')
                return false;
        while (i < *len && i < 5 && is_digit((*s)[i]))
                i++;
        if (i == 1 || i >= *len || (*s)[i] != '>')
                return false;
        *s += i + 1;
        *len -= i + 1;
        return true;
}

/* A /dev/kmsg record: "6,339,5140900,-;" (prio, seq, usec, flags[,more]). */
static bool strip_kmsg_header(const char **s, size_t *len)
{
        size_t i = 0, fields = 0;

        while (i < *len && i < 64 && (*s)[i] != ';') {
                if ((*s)[i] == ',')
                        fields++;
                else if (!is_digit((*s)[i]) && !(fields >= 3 && (*s)[i] >= ' ' && (*s)[i] <= '~'))
                        return false;
                i++;
        }
        if (fields < 3 || i >= *len || (*s)[i] != ';' || !is_digit((*s)[0]))
                return false;
        *s += i + 1;
        *len -= i + 1;
        return true;
}

/* journalctl's and syslog's "Dec  2 06:54:44 host kernel: " (TAG may be "libvirtd[812]:"). */
static bool strip_syslog(const char **s, size_t *len)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        const char *p = *s, *end = *s + *len, *sp;
        bool month = false;

        if (*len < 16)
                return false;
        for (size_t m = 0; m < 12 && !month; m++)
                month = memcmp(p, months + 3 * m, 3) == 0;
        if (!month || p[3] != ' ')
                return false;
        p += 4;
        if (*p == ' ')
                p++;
        if (!is_digit(p[0]) || (is_digit(p[1]) ? p[2] != ' ' : p[1] != ' '))
                return false;
        p += is_digit(p[1]) ? 3 : 2;
        if (end - p < 9 || !is_digit(p[0]) || !is_digit(p[1]) || p[2] != ':' || !is_digit(p[3]) || !is_digit(p[4]) ||
            p[5] != ':' || !is_digit(p[6]) || !is_digit(p[7]))
                return false;
        p += 8;
        while (p < end && *p != ' ') /* fractions, a time zone */
                p++;
        if (p >= end)
                return false;
        p++;
        /* HOST TAG: */
        sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp || sp == p)
                return false;
        p = sp + 1;
        sp = memchr(p, ':', (size_t)(end - p));
        if (!sp || sp == p || memchr(p, ' ', (size_t)(sp - p)))
                return false;
        p = sp + 1;
        if (p < end && *p == ' ')
                p++;
        *len = (size_t)(end - p);
        *s = p;
        return true;
}

/* An ISO time as QEMU's -msg timestamp=on and libvirt print it: "2019-09-09T14:14:20.277464Z ". */
static bool strip_iso_time(const char **s, size_t *len)
{
        const char *p = *s, *end = *s + *len;

        if (*len < 20 || !is_digit(p[0]) || !is_digit(p[3]) || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
            p[13] != ':' || p[16] != ':')
                return false;
        p += 19;
        while (p < end && *p != ' ')
                p++;
        if (p < end)
                p++;
        *len = (size_t)(end - p);
        *s = p;
        return true;
}

/* "qemu-system-x86_64: ", "qemu-kvm: ", Proxmox's "kvm: ". */
static bool strip_program(const char **s, size_t *len)
{
        size_t n = 0;

        if (!starts(*s, *len, "qemu") && !starts(*s, *len, "kvm: "))
                return false;
        while (n < *len && n < 64 && (*s)[n] != ':' && (*s)[n] != ' ')
                n++;
        if (n + 1 >= *len || (*s)[n] != ':' || (*s)[n + 1] != ' ')
                return false;
        *s += n + 2;
        *len -= n + 2;
        return true;
}

/* The value of host= in a -device option, key=value or JSON: the device assigned. */
static void option_host(const char *opt, size_t len, char device[VC_ADDR_MAX])
{
        static const char *const keys[] = {"host=", "\"host\":\"", "\"host\": \""};

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                size_t klen = strlen(keys[k]);
                const char *at = memmem(opt, len, keys[k], klen);
                size_t n;

                if (!at)
                        continue;
                at += klen;
                n = 0;
                while ((size_t)(at - opt) + n < len && addr_char(at[n]))
                        n++;
                if (vc_addr_normalize(at, n, device))
                        return;
        }
}

/* "-device vfio-pci,host=01:00.0,id=hostdev0: " or "-device {"driver":"vfio-pci",...}: ". */
static bool strip_device_option(const char **s, size_t *len, char device[VC_ADDR_MAX])
{
        const char *p = *s, *end = *s + *len, *stop;

        if (!starts(p, *len, "-device "))
                return false;
        p += 8;
        if (p < end && *p == '{') {
                int depth = 0;
                bool quoted = false;

                for (stop = p; stop < end; stop++) {
                        if (quoted) {
                                if (*stop == '\\' && stop + 1 < end)
                                        stop++;
                                else if (*stop == '"')
                                        quoted = false;
                        } else if (*stop == '"')
                                quoted = true;
                        else if (*stop == '{')
                                depth++;
                        else if (*stop == '}' && --depth == 0)
                                break;
                }
                if (stop >= end)
                        return false;
                stop++;
        } else {
                stop = memchr(p, ':', (size_t)(end - p));
                /* A host=DDDD:BB:DD.F holds colons itself: the option ends at ": ". */
                while (stop && stop + 1 < end && stop[1] != ' ')
                        stop = memchr(stop + 1, ':', (size_t)(end - stop - 1));
                if (!stop)
                        return false;
        }
        if (end - stop < 2 || stop[0] != ':' || stop[1] != ' ')
                return false;
        option_host(p, (size_t)(stop - p), device);
        *s = stop + 2;
        *len = (size_t)(end - stop - 2);
        return true;
}

/* libvirt's wrappers around QEMU's words (virerror.c, qemu_process.c, qemu_monitor.c). */
static bool strip_libvirt(const char **s, size_t *len)
{
        static const char *const prefixes[] = {
                "error: ",
                "internal error: ",
                "qemu unexpectedly closed the monitor: ",
                "process exited while connecting to monitor: ",
                "QEMU unexpectedly closed the monitor ",
                "Unable to read from monitor: ",
        };

        for (size_t k = 0; k < ELEMENTSOF(prefixes); k++)
                if (starts(*s, *len, prefixes[k])) {
                        *s += strlen(prefixes[k]);
                        *len -= strlen(prefixes[k]);
                        return true;
                }
        return false;
}

void vc_log_strip(const char *line, size_t len, struct vc_log_line *ret)
{
        const char *s = line;
        bool more = true;

        ret->device[0] = 0;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
                len--;
        while (len > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                len--;
        }
        /* Any order, each at most a few times: journalctl may carry a kernel timestamp too. */
        for (unsigned round = 0; more && round < 12; round++)
                more = strip_kmsg_header(&s, &len) || strip_priority(&s, &len) || strip_syslog(&s, &len) ||
                       strip_bracket_time(&s, &len) || strip_libvirt(&s, &len) || strip_iso_time(&s, &len) ||
                       strip_program(&s, &len) || strip_device_option(&s, &len, ret->device);
        ret->msg = s;
        ret->len = len;
}

void vc_log_hits_clear(struct vc_log_hits *h)
{
        for (size_t i = 0; i < h->n; i++)
                free(h->v[i].evidence);
        free(h->v);
        *h = (struct vc_log_hits){0};
}

static int add_hit(struct vc_log_hits *h, const struct vc_cause *c, const char *device, const char *msg, size_t len)
{
        struct vc_log_hit *v;

        for (size_t i = 0; i < h->n; i++)
                if (strcmp(h->v[i].cause->id, c->id) == 0 && strcmp(h->v[i].device, device) == 0) {
                        h->v[i].count++;
                        return 0;
                }
        v = realloc(h->v, (h->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        h->v = v;
        v = &h->v[h->n];
        *v = (struct vc_log_hit){.cause = c, .count = 1};
        v->evidence = strndup(msg, len);
        if (!v->evidence)
                return -ENOMEM;
        snprintf(v->device, sizeof(v->device), "%s", device);
        h->n++;
        return 0;
}

/* A /dev/kmsg record's dictionary line (" SUBSYSTEM=pci", " DEVICE=+pci:0000:00:03.0"). */
static bool kmsg_dict_line(const char *s, size_t len)
{
        size_t i = 1;

        if (len < 3 || s[0] != ' ')
                return false;
        while (i < len && ((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
                i++;
        return i > 1 && i < len && s[i] == '=';
}

static int scan_line(const char *line, size_t len, struct vc_log_hits *h)
{
        struct vc_log_line l;
        char addr[VC_ADDR_MAX];

        if (kmsg_dict_line(line, len))
                return 0;
        vc_log_strip(line, len, &l);
        if (l.len == 0)
                return 0;
        h->lines++;
        for (size_t i = 0; i < vc_n_causes; i++) {
                const struct vc_cause *c = &vc_causes[i];
                const char *device = l.device;

                if (!c->pattern || !vc_pattern_match(c->pattern, l.msg, l.len))
                        continue;
                if (!device[0])
                        device = vc_log_find_nth_addr(l.msg, l.len, c->device_nth, addr) ? addr : "";
                /* The first row that matches says what the line means. */
                return add_hit(h, c, device, l.msg, l.len);
        }
        return 0;
}

int vc_log_scan(const char *text, size_t size, struct vc_log_hits *hits)
{
        const char *p = text, *end = text + size;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = (size_t)((nl ? nl : end) - p);
                int r;

                r = scan_line(p, len < VC_LINE_MAX ? len : VC_LINE_MAX, hits);
                if (r < 0)
                        return r;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

int vc_iommu_state(struct vc_ctx *ctx, struct vc_iommu_state *ret)
{
        static const char *const tables[] = {"DMAR", "IVRS"};
        struct vc_iommu_state st = {0};
        char dir[4096], path[4096];
        int r;

        r = vc_iommu_enabled(ctx);
        if (r < 0)
                return r;
        st.groups = r > 0;
        r = vc_sysfs_dir(ctx, VC_SYSFS_ACPI_TABLES, dir, sizeof(dir));
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                r = vc_sysfs_join(path, sizeof(path), dir, tables[i]);
                if (r < 0)
                        return r;
                if (vc_sysfs_exists(path, false))
                        st.firmware |= 1u << i;
        }
        *ret = st;
        return 0;
}

int vc_dev_state(struct vc_ctx *ctx, const struct vc_devlist *devs, struct vc_dev *dev, struct vc_dev_state *ret)
{
        struct vc_dev_state st = {.group = -1, .d3cold_allowed = -1};
        char value[16];
        int r;

        r = vc_dev_read_driver(ctx, dev);
        if (r < 0)
                return r;
        snprintf(st.driver, sizeof(st.driver), "%s", dev->driver);
        if (vc_dev_read_override(ctx, dev, st.override, sizeof(st.override)) < 0 || strcmp(st.override, "(null)") == 0)
                st.override[0] = 0;
        if (vc_dev_read_group(ctx, dev) >= 0 && dev->group >= 0) {
                st.group = dev->group;
                (void)vc_group_check(ctx, devs, dev, false, &st.blocker);
        }
        r = vc_sysfs_dev_read(ctx, dev->addr, "reset_method", st.reset_methods, sizeof(st.reset_methods));
        st.reset_method_present = r == 0;
        if (r < 0)
                st.reset_methods[0] = 0;
        /* Only a bus reset: every other device on the bus is reset with it. */
        if (st.reset_method_present && strcmp(st.reset_methods, "bus") == 0)
                for (size_t i = 0; i < devs->n && !st.bus_neighbour; i++) {
                        struct vc_dev *o = &devs->devs[i];

                        if (o == dev || o->domain != dev->domain || o->bus != dev->bus)
                                continue;
                        (void)vc_dev_read_group(ctx, o);
                        if (o->group != dev->group)
                                st.bus_neighbour = o;
                }
        if (vc_sysfs_dev_read(ctx, dev->addr, "d3cold_allowed", value, sizeof(value)) == 0 &&
            (strcmp(value, "0") == 0 || strcmp(value, "1") == 0))
                st.d3cold_allowed = value[0] - '0';
        if (vc_dev_boot_framebuffer(ctx, dev, st.framebuffer, sizeof(st.framebuffer), &st.framebuffer_bar) <= 0)
                st.framebuffer[0] = 0;
        *ret = st;
        return 0;
}

/* "[  1.234567] <3>vfio-claim: MESSAGE", as cmd/output.c writes the boot log. */
int vc_boot_log_scan(const char *text, size_t size, struct vc_log_hits *hits)
{
        const struct vc_cause *err = vc_cause_for_check("boot-log-error"),
                              *warn = vc_cause_for_check("boot-log-warning");
        const char *p = text, *end = text + size;

        if (!err || !warn)
                return -EINVAL;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p)), *s = p;
                size_t len = (size_t)((nl ? nl : end) - p);
                char addr[VC_ADDR_MAX];
                int prio;

                p = nl ? nl + 1 : end;
                if (len > VC_LINE_MAX)
                        len = VC_LINE_MAX;
                (void)strip_bracket_time(&s, &len);
                if (len < 4 || s[0] != '<' || !is_digit(s[1]) || s[2] != '>')
                        continue;
                prio = s[1] - '0';
                s += 3;
                len -= 3;
                if (!starts(s, len, "vfio-claim: ") || prio > 4)
                        continue;
                s += strlen("vfio-claim: ");
                len -= strlen("vfio-claim: ");
                if (add_hit(hits, prio <= 3 ? err : warn, vc_log_find_addr(s, len, addr) ? addr : "", s, len) < 0)
                        return -ENOMEM;
        }
        return 0;
}
