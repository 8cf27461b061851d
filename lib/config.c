// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule language, read from /etc/vfio-claim.conf, /etc/vfio-claim.d/ *.conf
 * and the kernel command line. A bad line is logged with where it came from
 * and skipped; every other rule still applies (as in kmod's config parser).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

/* Printable copy of untrusted text for a message: bytes outside ASCII as \xNN. */
static char *escape(const char *s, size_t max)
{
        size_t n = strnlen(s, max);
        char *out = malloc(n * 4 + 4), *p = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c >= 0x20 && c < 0x7f)
                        *p++ = (char)c;
                else
                        p += sprintf(p, "\\x%02x", c);
        }
        if (s[n])
                p = stpcpy(p, "...");
        *p = 0;
        return out;
}

static char *errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *errorf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

int vc_vfs_parse(const char *s, unsigned *ret, const char **reason)
{
        unsigned long v;

        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5 || (v = strtoul(s, NULL, 10)) < 1 ||
            v > VC_VFS_MAX) {
                *reason = "expected the number of VFs to create, 1 to 65535";
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

const char *vc_vfs_rule_error(const struct vc_rule *r)
{
        if (!r->has_slot)
                return "vfs needs the PF's address (address 01:00.0 vfs 4; an id on the line guards it): an id alone would select the PF's twins and the VFs too";
        if (r->slot.bus < 0 || r->slot.slot < 0 || r->slot.func < 0)
                return "vfs needs an address naming one function, the PF (address 01:00.0 vfs 4)";
        if (r->group)
                return "vfs and group do not go together: the VFs are selected, the PF keeps its host driver";
        return NULL;
}

void vc_rule_clear(struct vc_rule *r)
{
        free(r->origin);
        free(r->text);
        *r = (struct vc_rule){0};
}

static bool rule_selects_everything(const struct vc_rule *r)
{
        bool constrained = false;

        /* A domain alone is every device of most machines ("0000:*:*.*"). */
        if (r->has_slot)
                constrained |= r->slot.bus >= 0 || r->slot.slot >= 0 || r->slot.func >= 0;
        /* "::xxxx" is a class with every digit a wildcard: no constraint at all. */
        if (r->has_id)
                constrained |= r->id.vendor >= 0 || r->id.device >= 0 ||
                               (r->id.class >= 0 && (r->id.class_mask & 0xffff) != 0) || r->id.prog_if >= 0;
        if (r->has_subsys)
                constrained |= r->subsys.vendor >= 0 || r->subsys.device >= 0;
        constrained |= vc_rule_has_identity(r);
        return !constrained;
}

/*
 * Parses one rule ("address 01:00.0 id 10de:1b80 group"). Comments and the
 * line's own blanks are the caller's business. On -EINVAL *ret_error says why.
 */
static bool plain(const char *s)
{
        for (; *s; s++)
                if ((*s < 0x20 && *s != '\t') || *s > 0x7e || *s == '\'')
                        return false;
        return true;
}

/* "id 10de:1401,10de:0fba", as vfio-pci.ids= takes them: the rules to write instead, one per value. */
static char *one_per_rule(const char *text, const char *copy, const char *tok, const char *arg)
{
        size_t off = (size_t)(arg - copy), len = strlen(arg), n = 0;
        _cleanup_free_ char *rules = NULL;
        FILE *f = open_memstream(&rules, &n);

        if (!f)
                return NULL;
        for (const char *v = arg; v < arg + len;) {
                size_t vl = strcspn(v, ",");

                if (vl > 0)
                        fprintf(f, "%s'%.*s%.*s%s'", ftell(f) > 0 ? ", " : "", (int)off, text, (int)vl, v,
                                text + off + len);
                v += vl + 1;
        }
        if (fclose(f) != 0)
                return NULL;
        return errorf("%s '%s': one rule takes one %s; write one rule each: %s", tok, arg,
                      strcmp(tok, "address") == 0 ? "address" : "ID", rules);
}

/* The keywords that take a value, and the flag of struct vc_rule that says
 * the rule has it (SEEN_DRIVER: driver, which has no flag of its own). */
enum {
        KW_ADDRESS,
        KW_ID,
        KW_SUBSYSTEM,
        KW_SERIAL,
        KW_SLOT,
        KW_PATH,
        KW_DRIVER,
        KW_VFS,
        KW_NAME,
        KW_OWNER,
        KW_MODE,
        _KW_MAX
};
#define SEEN_DRIVER SIZE_MAX
static const struct {
        const char *word;
        size_t seen;
} keywords[_KW_MAX] = {
        [KW_ADDRESS] = {"address", offsetof(struct vc_rule, has_slot)},
        [KW_ID] = {"id", offsetof(struct vc_rule, has_id)},
        [KW_SUBSYSTEM] = {"subsystem", offsetof(struct vc_rule, has_subsys)},
        [KW_SERIAL] = {"serial", offsetof(struct vc_rule, has_serial)},
        [KW_SLOT] = {"slot", offsetof(struct vc_rule, has_physslot)},
        [KW_PATH] = {"path", offsetof(struct vc_rule, has_path)},
        [KW_DRIVER] = {"driver", SEEN_DRIVER},
        [KW_VFS] = {"vfs", offsetof(struct vc_rule, has_vfs)},
        [KW_NAME] = {"name", offsetof(struct vc_rule, has_name)},
        [KW_OWNER] = {"owner", offsetof(struct vc_rule, has_owner)},
        [KW_MODE] = {"mode", offsetof(struct vc_rule, has_mode)},
};

static bool is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The device names of the Container Device Interface (its ValidateDeviceName()),
 * without the ':' it also allows inside: a rule's name is a plain handle. */
int vc_rule_name_parse(const char *s, char ret[VC_RULE_NAME_MAX], const char **reason)
{
        size_t n = strlen(s);

        if (n == 0) {
                *reason = "empty name";
                return -EINVAL;
        }
        if (n >= VC_RULE_NAME_MAX) {
                *reason = "longer than 63 characters";
                return -EINVAL;
        }
        if (!is_alnum(s[0]) || !is_alnum(s[n - 1])) {
                *reason = "must begin and end with a letter or digit";
                return -EINVAL;
        }
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') {
                        *reason = "only letters, digits and '-', '_', '.' inside";
                        return -EINVAL;
                }
        memcpy(ret, s, n + 1);
        return 0;
}

/* The value of keyword kw (not driver) into r: a table of parsers. */
static int parse_selector(int kw, const char *arg, struct vc_rule *r, const char **reason)
{
        /* One line per keyword reads as the table it is. */
        /* clang-format off */
        switch (kw) {
        case KW_ADDRESS:   return vc_slot_filter_parse(arg, &r->slot, reason);
        case KW_ID:        return vc_id_filter_parse(arg, &r->id, reason);
        case KW_SUBSYSTEM: return vc_subsys_filter_parse(arg, &r->subsys, reason);
        case KW_SERIAL:    return vc_serial_parse(arg, &r->serial, reason);
        case KW_SLOT:      return vc_slot_name_parse(arg, r->physslot, reason);
        case KW_PATH:      return vc_path_parse(arg, &r->path, reason);
        case KW_VFS:       return vc_vfs_parse(arg, &r->vfs, reason);
        case KW_NAME:      return vc_rule_name_parse(arg, r->name, reason);
        case KW_OWNER:     return vc_owner_parse(arg, r->owner_user, r->owner_group, reason);
        case KW_MODE:      return vc_mode_parse(arg, &r->mode, reason);
        }
        /* clang-format on */
        return -EINVAL;
}

static int parse_driver(const char *arg, struct vc_rule *r, const char **reason)
{
        if (!vc_is_driver_name(arg)) {
                *reason = "not a driver name";
                return -EINVAL;
        }
        /* The kernel compares driver_override with the driver's name; lsmod
         * shows these two with '_' (module names). */
        if (strcmp(arg, "auto") == 0)
                r->driver_auto = true; /* a variant per device, else vfio-pci */
        else if (strcmp(arg, "vfio_pci") == 0)
                strcpy(r->driver, "vfio-pci");
        else if (strcmp(arg, "pci_stub") == 0)
                strcpy(r->driver, "pci-stub");
        else
                strcpy(r->driver, arg);
        return 0;
}

/* "reset-method M[,M...]", "d3cold on|off", "runtime-pm on|off" (lib/power.c):
 * 1 when tok is one of them (its value taken from save), 0 when not. */
static int parse_power(const char *tok, char **save, struct vc_rule *r, char **ret_error)
{
        struct vc_power_policy *p = &r->power;
        enum vc_switch *sw = strcmp(tok, "d3cold") == 0       ? &p->d3cold
                             : strcmp(tok, "runtime-pm") == 0 ? &p->runtime_pm
                                                              : NULL;
        const char *reason = NULL;
        char *arg;
        int k;

        if (!sw && strcmp(tok, "reset-method") != 0)
                return 0;
        if (sw ? *sw != VC_SWITCH_UNSET : p->reset[0] != 0) {
                *ret_error = errorf("'%s' given twice", tok);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        arg = strtok_r(NULL, " \t", save);
        if (!arg) {
                *ret_error = errorf("'%s' needs a value", tok);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        k = sw ? vc_power_parse_switch(arg, sw, &reason) : vc_power_parse_reset(arg, p->reset, &reason);
        if (k < 0) {
                _cleanup_free_ char *earg = escape(arg, 64);

                *ret_error = earg ? errorf("%s '%s': %s", tok, earg, reason) : NULL;
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        return 1;
}

int vc_rule_parse(const char *text, struct vc_rule *ret, char **ret_error)
{
        struct vc_rule r = {0};
        _cleanup_free_ char *copy = strdup(text);
        bool have_driver = false;
        char *save = NULL, *tok;

        if (!copy)
                return -ENOMEM;
        strcpy(r.driver, VC_DEFAULT_DRIVER);
        for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                _cleanup_free_ char *etok = escape(tok, 64);
                const char *reason = NULL;
                char *arg = NULL;
                bool *seen = NULL;
                int k, kw;

                if (!etok)
                        return -ENOMEM;
                if (strcmp(tok, "group") == 0 || strcmp(tok, "allow-busy") == 0) {
                        bool *flag = tok[0] == 'g' ? &r.group : &r.allow_busy;

                        if (*flag) {
                                *ret_error = errorf("'%s' given twice", tok);
                                return -EINVAL;
                        }
                        *flag = true;
                        continue;
                }
                k = parse_power(tok, &save, &r, ret_error);
                if (k < 0)
                        return k;
                if (k > 0)
                        continue;
                for (kw = 0; kw < _KW_MAX && strcmp(tok, keywords[kw].word) != 0; kw++)
                        ;
                if (kw == _KW_MAX) {
                        *ret_error = errorf(
                                "unknown keyword '%s' (expected address, id, subsystem, serial, slot, path, group, driver, vfs, name, owner, mode, allow-busy, reset-method, d3cold or runtime-pm)",
                                etok);
                        return -EINVAL;
                }
                seen = keywords[kw].seen == SEEN_DRIVER ? &have_driver : (bool *)((char *)&r + keywords[kw].seen);
                if (*seen) {
                        *ret_error = errorf("'%s' given twice", tok);
                        return -EINVAL;
                }
                arg = strtok_r(NULL, " \t", &save);
                if (!arg) {
                        *ret_error = errorf("'%s' needs a value", tok);
                        return -EINVAL;
                }
                *seen = true;
                _cleanup_free_ char *earg = escape(arg, 64);
                if (!earg)
                        return -ENOMEM;
                if (kw == KW_DRIVER)
                        k = parse_driver(arg, &r, &reason);
                else
                        k = parse_selector(kw, arg, &r, &reason);
                if (k < 0 && kw != KW_DRIVER && kw != KW_NAME && kw != KW_OWNER && kw != KW_MODE && strchr(arg, ',') &&
                    strlen(text) < 256 && strspn(arg, "0123456789abcdefABCDEF:.,*x") == strlen(arg) && plain(text)) {
                        *ret_error = one_per_rule(text, copy, tok, arg);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                if (k < 0) {
                        *ret_error = errorf("%s '%s': %s", tok, earg, reason);
                        return -EINVAL;
                }
        }
        if (!r.has_slot && !r.has_id && !r.has_subsys && !vc_rule_has_identity(&r)) {
                *ret_error = errorf("no selector: a rule needs address, id, subsystem, serial, slot or path");
                return -EINVAL;
        }
        if (r.has_vfs && vc_vfs_rule_error(&r)) {
                *ret_error = errorf("%s", vc_vfs_rule_error(&r));
                return -EINVAL;
        }
        if (rule_selects_everything(&r)) {
                *ret_error = errorf(
                        "the selectors match every PCI device (of a whole domain, at best); refusing such a rule");
                return -EINVAL;
        }
        r.text = strdup(text);
        if (!r.text)
                return -ENOMEM;
        *ret = r;
        return 0;
}

void vc_config_clear(struct vc_config *cfg)
{
        for (size_t i = 0; i < cfg->n_rules; i++)
                vc_rule_clear(&cfg->rules[i]);
        free(cfg->rules);
        *cfg = (struct vc_config){0};
}

/* "10" and "10s" are seconds, "500ms" milliseconds; 0 turns the deadline off. */
int vc_parse_duration_ms(const char *s, int64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (uint64_t)(*p - '0');
                if (v > VC_DEADLINE_MAX_MS)
                        return -ERANGE;
        }
        if (*p == 0 || strcmp(p, "s") == 0)
                v *= 1000;
        else if (strcmp(p, "ms") != 0)
                return -EINVAL;
        if (v > VC_DEADLINE_MAX_MS)
                return -ERANGE;
        *ret = (int64_t)v;
        return 0;
}

/* Settings are lines of their own: "deadline 10s". */
static int parse_setting(struct vc_ctx *ctx, struct vc_config *cfg, const char *origin, char *s)
{
        char *save = NULL, *key = strtok_r(s, " \t", &save), *value = strtok_r(NULL, " \t", &save);
        int64_t ms;

        if (!value || strtok_r(NULL, " \t", &save)) {
                cfg->n_errors++;
                vc_log(ctx, LOG_ERR, "%s: '%s' takes exactly one value; line ignored", origin, key);
                return 0;
        }
        if (vc_parse_duration_ms(value, &ms) < 0) {
                _cleanup_free_ char *e = escape(value, 64);

                cfg->n_errors++;
                vc_log(ctx, LOG_ERR,
                       "%s: deadline '%s': expected seconds (10, 10s) or milliseconds (500ms), at most 1 h; line ignored",
                       origin, e ? e : "");
                return 0;
        }
        cfg->deadline_ms = ms;
        cfg->deadline_set = true;
        vc_log(ctx, LOG_DEBUG, "%s: deadline %lld ms", origin, (long long)ms);
        return 0;
}

static int config_push(struct vc_config *cfg, struct vc_rule *r)
{
        struct vc_rule *p = realloc(cfg->rules, (cfg->n_rules + 1) * sizeof(*p));

        if (!p)
                return -ENOMEM;
        p[cfg->n_rules++] = *r;
        cfg->rules = p;
        return 0;
}

/* One line of a config file: comment and blanks stripped here. */
int vc_config_add_line(struct vc_ctx *ctx, struct vc_config *cfg, const char *origin, const char *line)
{
        _cleanup_free_ char *copy = strdup(line), *error = NULL;
        struct vc_rule r;
        char *s, *bad;
        int k;

        if (!copy)
                return -ENOMEM;
        /* One trailing CR (a DOS line end) is tolerated; any other control
         * character, comments included, is an error: a CR in the middle is an
         * old-Mac file whose rules would otherwise vanish into a comment. */
        k = (int)strlen(copy);
        if (k > 0 && copy[k - 1] == '\r')
                copy[--k] = 0;
        for (bad = copy; *bad; bad++)
                if ((unsigned char)*bad < 0x20 && *bad != '\t')
                        break;
        if (*bad) {
                cfg->n_errors++;
                vc_log(ctx, LOG_ERR, "%s: control character \\x%02x in line%s; line ignored", origin,
                       (unsigned char)*bad, *bad == '\r' ? " (carriage-return line ends?)" : "");
                return 0;
        }
        copy[strcspn(copy, "#")] = 0;
        /* Blanks are spaces and tabs. */
        s = copy + strspn(copy, " \t");
        k = (int)strlen(s);
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
                s[--k] = 0;
        if (!*s)
                return 0;
        if (strncmp(s, "deadline", 8) == 0 && (s[8] == ' ' || s[8] == '\t' || !s[8]))
                return parse_setting(ctx, cfg, origin, s);
        k = vc_rule_parse(s, &r, &error);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                cfg->n_errors++;
                vc_log(ctx, LOG_ERR, "%s: %s; rule ignored", origin, error ? error : "invalid rule");
                return 0;
        }
        /* A name is the rule's handle in CDI specs and metrics: one rule each. */
        for (size_t i = 0; r.has_name && i < cfg->n_rules; i++)
                if (cfg->rules[i].has_name && strcmp(cfg->rules[i].name, r.name) == 0) {
                        cfg->n_errors++;
                        vc_log(ctx, LOG_ERR, "%s: name '%s' is already the name of the rule at %s; rule ignored",
                               origin, r.name, cfg->rules[i].origin);
                        vc_rule_clear(&r);
                        return 0;
                }
        r.origin = strdup(origin);
        if (!r.origin || config_push(cfg, &r) < 0) {
                vc_rule_clear(&r);
                return -ENOMEM;
        }
        vc_log(ctx, LOG_DEBUG, "%s: rule: %s", origin, r.text);
        return 0;
}

int vc_config_load_file(struct vc_ctx *ctx, struct vc_config *cfg, const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t size, lineno = 0;
        char *p, *end;
        int r;

        r = vc_read_file(path, VC_CONFIG_MAX, &text, &size);
        if (r < 0)
                return r;
        cfg->n_read++;
        end = text + size;
        p = text;
        /* Editors on Windows start UTF-8 files with a byte order mark. */
        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                p += 3;
        while (p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                char origin[4096];

                lineno++;
                if (vc_path(origin, sizeof(origin), "%s:%zu", path, lineno) < 0)
                        return -ENAMETOOLONG;
                if (memchr(p, 0, len)) {
                        cfg->n_errors++;
                        vc_log(ctx, LOG_ERR, "%s: NUL byte in line; line ignored", origin);
                } else if (len > VC_LINE_MAX) {
                        cfg->n_errors++;
                        vc_log(ctx, LOG_ERR, "%s: line longer than %d bytes; line ignored", origin, VC_LINE_MAX);
                } else {
                        char saved = p[len];

                        p[len] = 0;
                        r = vc_config_add_line(ctx, cfg, origin, p);
                        p[len] = saved;
                        if (r < 0)
                                return r;
                }
                p += len + 1;
        }
        return 0;
}

int vc_config_filter_conf(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

/* Byte order, not the locale's: the initramfs has no locale. */
int vc_config_cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* Loads one file; a read error is logged, counted and remembered, -ENOENT only returned. */
static int load_one(struct vc_ctx *ctx, struct vc_config *cfg, const char *path, bool missing_ok, int *first_error)
{
        int r = vc_config_load_file(ctx, cfg, path);

        if (r >= 0 || r == -ENOMEM || (r == -ENOENT && missing_ok))
                return r;
        if (*first_error == 0)
                *first_error = r;
        cfg->n_errors++;
        vc_log(ctx, LOG_ERR, "%s: cannot read: %s", path, vc_read_strerror(r));
        return r;
}

/*
 * The main file, then the drop-ins in byte order. Returns -ENOENT when there
 * is no configuration at all, or the first read error when nothing could be
 * read; a missing main file beside drop-ins is fine.
 */
int vc_config_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *main_file, const char *dropin_dir)
{
        struct dirent **names = NULL;
        int n = 0, first_error = 0;
        bool main_missing = false;
        int r;

        if (main_file) {
                r = load_one(ctx, cfg, main_file, true, &first_error);
                if (r == -ENOMEM)
                        return r;
                main_missing = r == -ENOENT;
        }
        if (dropin_dir) {
                n = scandir(dropin_dir, &names, vc_config_filter_conf, vc_config_cmp_names);
                if (n < 0) {
                        n = 0;
                        if (errno != ENOENT) {
                                if (!first_error)
                                        first_error = negative_errno();
                                cfg->n_errors++;
                                vc_log(ctx, LOG_ERR, "%s: cannot read: %m", dropin_dir);
                        }
                }
        }
        for (int i = 0; i < n; i++) {
                char path[4096];

                if (vc_path(path, sizeof(path), "%s/%s", dropin_dir, names[i]->d_name) >= 0)
                        (void)load_one(ctx, cfg, path, false, &first_error);
                free(names[i]);
        }
        free(names);
        if (cfg->n_read == 0)
                return first_error ? first_error : main_missing ? -ENOENT : 0;
        return 0;
}

/* ---- kernel command line ---- */

/* The kernel treats '-' and '_' alike in parameter names. */
static bool param_eq(const char *a, size_t alen, const char *b)
{
        size_t i;

        for (i = 0; i < alen && b[i]; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

                if (x != y)
                        return false;
        }
        return i == alen && !b[i];
}

static int parse_bool(const char *v, bool *ret)
{
        static const char *const yes[] = {"1", "y", "yes", "true", "on"};
        static const char *const no[] = {"0", "n", "no", "false", "off"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(v, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(v, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/*
 * Splits the next word the way the kernel's next_arg() does: blanks end a
 * word unless inside double quotes, and one pair of quotes around the value
 * (or around the whole word) is dropped.
 */
static char *next_word(char **s, char **ret_value)
{
        char *p = *s, *start, *eq = NULL;
        bool quoted = false;

        p += strspn(p, " \t\n");
        if (!*p)
                return NULL;
        start = p;
        if (*p == '"') {
                start = ++p;
                quoted = true;
        }
        for (; *p; p++) {
                if (*p == '"')
                        quoted = !quoted;
                else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
                        break;
                else if (*p == '=' && !eq)
                        eq = p;
        }
        if (*p)
                *p++ = 0;
        *s = p;
        if (eq) {
                char *v = eq + 1;
                size_t n;

                *eq = 0;
                if (*v == '"')
                        v++;
                n = strlen(v);
                if (n > 0 && v[n - 1] == '"')
                        v[n - 1] = 0;
                *ret_value = v;
        } else {
                size_t n = strlen(start);

                if (start != *s && n > 0 && start[n - 1] == '"')
                        start[n - 1] = 0;
                *ret_value = NULL;
        }
        return start;
}

int vc_cmdline_parse(struct vc_ctx *ctx, struct vc_config *cfg, const char *cmdline, const char *origin)
{
        _cleanup_free_ char *copy = strdup(cmdline);
        char *p = copy, *name, *value;
        int r;

        if (!copy)
                return -ENOMEM;
        /* /proc/cmdline ends in a newline the kernel never parsed: without it,
         * an unclosed quote runs to the end, as it did for the kernel. */
        for (size_t n = strlen(copy); n > 0 && copy[n - 1] == '\n'; n--)
                copy[n - 1] = 0;
        while ((name = next_word(&p, &value))) {
                size_t n = strlen(name);

                /* Everything after "--" belongs to init. */
                if (strcmp(name, "--") == 0)
                        break;
                if (n < 10 || !param_eq(name, 10, "vfio_claim") || (name[10] && name[10] != '.'))
                        continue;
                if (!name[10]) {
                        bool on;

                        if (!value || parse_bool(value, &on) < 0) {
                                _cleanup_free_ char *e = escape(value ? value : "", 64);

                                cfg->n_errors++;
                                vc_log(ctx, LOG_ERR, "%s: vfio_claim=%s: expected off or on; ignored", origin,
                                       e ? e : "");
                                continue;
                        }
                        cfg->off = !on;
                } else if (param_eq(name, n, "vfio_claim.dry_run")) {
                        bool on = true;

                        if (value && parse_bool(value, &on) < 0) {
                                _cleanup_free_ char *e = escape(value, 64);

                                cfg->n_errors++;
                                vc_log(ctx, LOG_ERR, "%s: vfio_claim.dry_run=%s: expected 0 or 1; ignored", origin,
                                       e ? e : "");
                                continue;
                        }
                        cfg->dry_run = on;
                } else if (param_eq(name, n, "vfio_claim.deadline")) {
                        int64_t ms;

                        if (!value || vc_parse_duration_ms(value, &ms) < 0) {
                                _cleanup_free_ char *e = escape(value ? value : "", 64);

                                cfg->n_errors++;
                                vc_log(ctx, LOG_ERR, "%s: vfio_claim.deadline=%s: expected seconds or NNNms; ignored",
                                       origin, e ? e : "");
                                continue;
                        }
                        cfg->deadline_ms = ms;
                        cfg->deadline_set = true;
                } else if (param_eq(name, n, "vfio_claim.rule")) {
                        char *save = NULL, *part;

                        if (!value || !*value) {
                                cfg->n_errors++;
                                vc_log(ctx, LOG_ERR, "%s: vfio_claim.rule needs a value; ignored", origin);
                                continue;
                        }
                        for (part = strtok_r(value, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
                                char o[256];

                                cfg->n_cmdline_rules++;
                                (void)vc_path(o, sizeof(o), "%s: vfio_claim.rule #%zu", origin, cfg->n_cmdline_rules);
                                r = vc_config_add_line(ctx, cfg, o, part);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        _cleanup_free_ char *e = escape(name, 64);

                        cfg->n_errors++;
                        vc_log(ctx, LOG_ERR, "%s: unknown parameter %s; ignored", origin, e ? e : "");
                }
        }
        return 0;
}

int vc_cmdline_load(struct vc_ctx *ctx, struct vc_config *cfg, const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = vc_read_file(path, VC_CMDLINE_MAX, &text, &size);
        if (r < 0)
                return r;
        if (memchr(text, 0, size))
                return -EINVAL;
        return vc_cmdline_parse(ctx, cfg, text, path);
}
