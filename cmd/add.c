// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim add and remove: a rule per selected function, written into a
 * drop-in of its own (CONFIG_DIR/60-add-DDDD-BB-SS.F.conf, under --root DIR
 * as import does), after check has seen the configuration with it; and the
 * way back, which deletes only the rules add wrote. Both rebuild the
 * initramfs afterwards (rebuild.c).
 *
 * add's mark: the comment line right above each rule it writes begins with
 * ADD_MARK. remove deletes a rule only with that mark, in a file of
 * CONFIG_DIR; any other rule is named (file:line) and left as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "names.h"
#include "output.h"

#define ADD_MARK   "# vfio-claim add, "
#define ADD_PREFIX "60-add-"

static struct {
        const char *by; /* serial, path, slot, address; NULL: serial, else path */
        const char *driver;
        const char *root;
        bool force;
        bool no_rebuild;
} opt;

/* The configuration add and remove work on: --config FILE (else the main file
 * under the root) and the drop-ins under the root, where add writes. */
static int load_rules(struct session *s, const char *dir)
{
        _cleanup_free_ char *main_file = arg.config ? strdup(arg.config) : rooted(opt.root, CONFIG_FILE);
        int k;

        if (!main_file)
                return -ENOMEM;
        k = vc_config_load(s->ctx, &s->cfg, main_file, dir);
        return k == -ENOENT ? 0 : k;
}

static int open_session(struct session *s, const char *verb, char **ret_dir)
{
        struct log_config lc = {.to_stderr = true, .stderr_max = stderr_threshold()};
        _cleanup_free_ char *dir = rooted(opt.root, CONFIG_DIR);
        int k;

        struct stat st;

        (void)log_open(&lc);
        if (!dir || session_open(s, NEED_ARGS) < 0)
                return -ENOMEM;
        if (opt.root) {
                int e = stat(opt.root, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;

                if (e) {
                        log_msg(LOG_ERR, "--root %s: %s", opt.root, strerror(e));
                        return -e;
                }
        }
        /* The devices of a captured tree are not this system's: their rules go under that tree's root. */
        if (!vc_ctx_is_live(s->ctx) && !opt.root) {
                log_msg(LOG_ERR,
                        "%s on %s, which is not the running system's sysfs, needs --root DIR: the rules are for that machine",
                        verb, arg.sysfs);
                return -EINVAL;
        }
        /* As non-root the config space shows no DSN (add would pick path), and /etc is not writable. */
        if (vc_ctx_is_live(s->ctx) && !opt.root && geteuid() != 0) {
                log_msg(LOG_ERR, "%s writes %s and reads the devices' config space: run it as root", verb, dir);
                return -EPERM;
        }
        k = load_rules(s, dir);
        if (k < 0) {
                log_msg(LOG_ERR, "cannot read the configuration: %s", strerror(-k));
                return k;
        }
        k = vc_pci_enumerate(s->ctx, NULL, &s->devs);
        if (k < 0) {
                log_msg(LOG_ERR, "%s: cannot list PCI devices: %s", arg.sysfs, strerror(-k));
                return k;
        }
        (void)vc_resolve(s->ctx, &s->cfg, &s->devs);
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

/* "FILE:LINE" into its parts; false for an origin that is no file's (the kernel command line). */
static bool origin_split(const char *origin, char *file, size_t size, unsigned *line)
{
        const char *colon = strrchr(origin, ':');
        char *end;
        unsigned long n;

        if (!colon || colon == origin || (size_t)(colon - origin) >= size)
                return false;
        errno = 0;
        n = strtoul(colon + 1, &end, 10);
        if (errno || *end || end == colon + 1 || n == 0 || n > UINT32_MAX)
                return false;
        memcpy(file, origin, (size_t)(colon - origin));
        file[colon - origin] = 0;
        *line = (unsigned)n;
        return true;
}

/* ---- add ---- */

/* Bridges of every kind (class 06: host, ISA/LPC, PCI): the host needs them, a VM never gets one. */
static bool is_any_bridge(const struct vc_dev *d)
{
        return (d->class >> 16) == 0x06;
}

static bool is_rule_keyword(const char *s)
{
        static const char *const words[] = {"address", "id", "subsystem", "serial", "slot", "path"};

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcmp(s, words[i]) == 0)
                        return true;
        return false;
}

/* The command line's selectors as rules: one rule of all the words, or one address rule per argument. */
static int selector_rules(struct session *s, struct vc_config *sel, int argc, char *argv[])
{
        if (is_rule_keyword(argv[1])) {
                _cleanup_free_ char *text = NULL;
                size_t len = 1;

                for (int i = 1; i < argc; i++)
                        len += strlen(argv[i]) + 1;
                text = calloc(1, len);
                if (!text)
                        return -ENOMEM;
                for (int i = 1; i < argc; i++) {
                        strcat(text, argv[i]);
                        strcat(text, " ");
                }
                return vc_config_add_line(s->ctx, sel, "command line", text);
        }
        for (int i = 1; i < argc; i++) {
                char line[256], origin[64];
                int k;

                snprintf(origin, sizeof(origin), "argument %d", i);
                if (snprintf(line, sizeof(line), "address %s", argv[i]) >= (int)sizeof(line)) {
                        log_msg(LOG_ERR, "%s: selector too long", origin);
                        return -EINVAL;
                }
                k = vc_config_add_line(s->ctx, sel, origin, line);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* The rule's selector for d by kind; false when d has no such identity. */
static bool identity_text(const struct vc_dev *d, const char *by, char *buf, size_t size)
{
        char text[VC_PATH_STR_MAX];

        if (strcmp(by, "serial") == 0) {
                char serial[VC_SERIAL_STR_MAX];

                if (!d->has_serial)
                        return false;
                vc_serial_format(d->serial, serial);
                snprintf(buf, size, "serial %s", serial);
        } else if (strcmp(by, "path") == 0) {
                if (!d->has_path || vc_path_format(&d->path, text, sizeof(text)) < 0)
                        return false;
                snprintf(buf, size, "path %s", text);
        } else if (strcmp(by, "slot") == 0) {
                if (!d->slot_name[0])
                        return false;
                snprintf(buf, size, "slot %s", d->slot_name);
        } else
                snprintf(buf, size, "address %s", d->addr);
        return true;
}

/* The devices other than d that a rule of text would select (bridges never are); -errno when it does not parse. */
static int others_selected(struct session *s, const struct vc_dev *d, const char *text, const struct vc_dev **ret)
{
        _cleanup_(vc_config_clear) struct vc_config one = {0};
        int n = 0, k;

        k = vc_config_add_line(s->ctx, &one, "new rule", text);
        if (k < 0 || one.n_rules != 1)
                return k < 0 ? k : -EINVAL;
        for (size_t i = 0; i < s->devs.n; i++) {
                const struct vc_dev *o = &s->devs.devs[i];

                if (o == d || is_any_bridge(o) || !vc_rule_matches(&one.rules[0], o))
                        continue;
                if (n++ == 0)
                        *ret = o;
        }
        return n;
}

/* The rule for d: the most stable identity that selects it alone, with its id guard. */
static int make_rule(struct session *s, const struct vc_dev *d, char *buf, size_t size)
{
        static const char *const prefer[] = {"serial", "path"};
        const char *const *kinds = opt.by ? &opt.by : prefer;
        size_t n_kinds = opt.by ? 1 : ELEMENTSOF(prefer);

        for (size_t i = 0; i < n_kinds; i++) {
                const struct vc_dev *other = NULL;
                char ident[VC_PATH_STR_MAX + 16];
                int k;

                if (!identity_text(d, kinds[i], ident, sizeof(ident))) {
                        if (opt.by)
                                log_msg(LOG_ERR, "%s [%04x:%04x]: has no %s%s", d->addr, d->vendor, d->device, opt.by,
                                        strcmp(opt.by, "serial") == 0 ? " (no Device Serial Number capability)" : "");
                        continue;
                }
                if (snprintf(buf, size, "%s id %04x:%04x%s%s", ident, d->vendor, d->device,
                             opt.driver ? " driver " : "", opt.driver ? opt.driver : "") >= (int)size)
                        return -ENAMETOOLONG;
                k = others_selected(s, d, buf, &other);
                if (k < 0)
                        return k;
                if (k == 0)
                        return 0;
                log_msg(opt.by ? LOG_ERR : LOG_INFO, "%s: '%s' would also select %s%s", d->addr, buf, other->addr,
                        opt.by ? "" : "; trying the next identity");
        }
        if (!opt.by)
                log_msg(LOG_ERR, "%s [%04x:%04x]: no serial or path selects it alone", d->addr, d->vendor, d->device);
        return -ENOENT;
}

/* lspci's line for d, as a comment: "0000:01:00.0 Ethernet controller [0200]: Intel ... [8086:10d3]". */
static void describe(FILE *f, const struct vc_dev *d)
{
        struct dev_names nm;

        if (names_lookup(d, &nm))
                fprintf(f, "# %s %s [%04x]: %s %s [%04x:%04x]", d->addr, nm.class_name, d->class >> 8, nm.vendor,
                        nm.model, d->vendor, d->device);
        else
                fprintf(f, "# %s %s [%04x]: Device [%04x:%04x]", d->addr, names_class_fallback(d->class), d->class >> 8,
                        d->vendor, d->device);
        fprintf(f, " (subsystem [%04x:%04x], driver %s)\n", d->subvendor, d->subdevice,
                d->driver[0] ? d->driver : "none");
}

/* The command line, one line, as a shell would take it back. */
static void print_command(FILE *f, int argc, char *argv[])
{
        for (int i = 0; i < argc; i++) {
                bool plain = argv[i][0] != 0;

                for (const char *p = argv[i]; *p && plain; p++)
                        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%", *p);
                fputs(i ? " " : "", f);
                if (plain) {
                        fputs(argv[i], f);
                        continue;
                }
                fputc('\'', f);
                for (const char *p = argv[i]; *p; p++)
                        if (*p == '\'')
                                fputs("'\\''", f);
                        else
                                fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
                fputc('\'', f);
        }
}

struct new_file {
        char *path;
        char *text;
        char addr[VC_ADDR_MAX]; /* the device's (check_result() reads the devices again) */
};

struct new_files {
        struct new_file *v;
        size_t n;
};

static void new_files_free(struct new_files *f)
{
        for (size_t i = 0; f->v && i <= f->n; i++) {
                free(f->v[i].path);
                free(f->v[i].text);
        }
        free(f->v);
}

/* DIR/60-add-0000-01-00.0.conf, or with -2, -3 ... when that name is taken (by a file or an earlier one of this run).
 */
static char *file_name(const char *dir, const struct vc_dev *d, const struct new_file *files, size_t n)
{
        char name[VC_ADDR_MAX];

        snprintf(name, sizeof(name), "%s", d->addr);
        for (char *p = name; *p; p++)
                if (*p == ':')
                        *p = '-';
        for (unsigned k = 1; k < 100; k++) {
                char *path;
                struct stat st;
                bool taken = false;
                int r = k == 1 ? asprintf(&path, "%s/" ADD_PREFIX "%s.conf", dir, name)
                               : asprintf(&path, "%s/" ADD_PREFIX "%s-%u.conf", dir, name, k);

                if (r < 0)
                        return NULL;
                taken = lstat(path, &st) == 0;
                for (size_t i = 0; i < n && !taken; i++)
                        taken = strcmp(files[i].path, path) == 0;
                if (!taken)
                        return path;
                free(path);
        }
        return NULL;
}

static int mkdir_parents(const char *dir)
{
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                if (!s)
                        return 0;
                *s = '/';
        }
}

/* The rule in a file add made: its third line, after the description and the mark. */
static const char *third_line(const char *text)
{
        return strchr(strchr(text, '\n') + 1, '\n') + 1;
}

/* The new rules among the configuration's, then check on the result: its exit code; busy devices in *busy. */
struct busy_mark {
        struct new_file *files;
        size_t n;
        bool *busy;
};

static void on_busy_mark(void *userdata, const struct vc_dev *dev, const char *what)
{
        struct busy_mark *m = userdata;

        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->files[i].addr, dev->addr) == 0)
                        m->busy[i] = true;
}

/* --force on a busy device: its rule gets allow-busy, or the initramfs build hooks would refuse the image. */
static int allow_busy(struct session *s, size_t first, struct new_file *files, size_t n)
{
        _cleanup_free_ bool *busy = calloc(n + 1, sizeof(bool));
        struct busy_mark m = {.files = files, .n = n, .busy = busy};

        if (!busy)
                return -ENOMEM;
        if (session_find_busy(s, on_busy_mark, NULL, &m) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char *text;
                size_t len = strlen(files[i].text);

                if (!busy[i])
                        continue;
                if (asprintf(&text, "%.*s allow-busy\n", (int)(len - 1), files[i].text) < 0)
                        return -ENOMEM;
                free(files[i].text);
                files[i].text = text;
                s->cfg.rules[first + i].allow_busy = true;
        }
        return 0;
}

static int check_result(struct session *s, struct new_file *files, size_t n, unsigned *busy)
{
        size_t first = s->cfg.n_rules;

        for (size_t i = 0; i < n; i++) {
                /* The rule is the file's third line: the description and the mark stand above it. */
                _cleanup_free_ char *origin = NULL;
                const char *rule = third_line(files[i].text);
                _cleanup_free_ char *line = strndup(rule, strcspn(rule, "\n"));

                if (!line || asprintf(&origin, "%s:3", files[i].path) < 0) {
                        origin = NULL;
                        return -ENOMEM;
                }
                if (vc_config_add_line(s->ctx, &s->cfg, origin, line) < 0)
                        return -EINVAL;
        }
        if (s->cfg.n_rules != first + n)
                return -EINVAL;
        vc_devlist_clear(&s->devs);
        if (session_resolve(s, LOG_ERR, false) < 0)
                return -EIO;
        if (opt.force && allow_busy(s, first, files, n) < 0)
                return -ENOMEM;
        return check_findings(s, !opt.force, busy);
}

static bool by_valid(void)
{
        return !opt.by || strcmp(opt.by, "serial") == 0 || strcmp(opt.by, "path") == 0 || strcmp(opt.by, "slot") == 0 ||
               strcmp(opt.by, "address") == 0;
}

static int run_add(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_(vc_config_clear) struct vc_config sel = {0};
        _cleanup_free_ char *dir = NULL;
        _cleanup_(new_files_free) struct new_files nf = {0};
        _cleanup_free_ bool *hit = NULL; /* per selector rule: some device matched it */
        struct new_file *files;
        size_t n_files = 0, n_targets = 0;
        unsigned busy = 0;
        char when[64];
        time_t now = time(NULL);
        struct tm tm;
        int result = 0, k;

        if (opt.driver && !vc_is_driver_name(opt.driver)) {
                fprintf(stderr, "vfio-claim: add: --driver '%s' is not a driver's name; see 'vfio-claim add --help'\n",
                        opt.driver);
                return EXIT_USAGE;
        }
        if (opt.root && !opt.root[0]) {
                fprintf(stderr, "vfio-claim: add: --root needs a directory; see 'vfio-claim add --help'\n");
                return EXIT_USAGE;
        }
        if (!by_valid()) {
                fprintf(stderr,
                        "vfio-claim: add: --by takes serial, path, slot or address, not '%s'; see 'vfio-claim add --help'\n",
                        opt.by);
                return EXIT_USAGE;
        }
        if (open_session(&s, argv[0], &dir) < 0)
                return EXIT_PROBLEMS;
        if (selector_rules(&s, &sel, argc, argv) < 0 || sel.n_errors > 0 || sel.n_rules == 0)
                return EXIT_USAGE;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
        /* One more than the devices: new_files_free() frees the entry being made too. */
        nf.v = files = calloc((size_t)s.devs.n + 1, sizeof(*files));
        hit = calloc(sel.n_rules, sizeof(bool));
        if (!files || !hit)
                return EXIT_PROBLEMS;
        /* Identity of every device: a new rule must select its function and no other. */
        for (size_t i = 0; i < s.devs.n; i++)
                (void)vc_dev_read_serial_slot_path(s.ctx, &s.devs.devs[i], VC_IDENT_ALL);
        for (size_t i = 0; i < s.devs.n; i++) {
                const struct vc_dev *d = &s.devs.devs[i];
                bool wanted = false;
                char rule[VC_LINE_MAX];
                FILE *f;
                size_t size = 0;

                if (is_any_bridge(d))
                        continue;
                for (size_t j = 0; j < sel.n_rules; j++)
                        if (vc_rule_matches(&sel.rules[j], d))
                                wanted = hit[j] = true;
                if (!wanted)
                        continue;
                n_targets++;
                if (d->rule) {
                        printf("%s is selected already by %s (%s): nothing written\n", d->addr, d->rule->origin,
                               d->rule->text);
                        continue;
                }
                k = make_rule(&s, d, rule, sizeof(rule));
                if (k < 0) {
                        result = EXIT_PROBLEMS;
                        continue;
                }
                snprintf(files[n_files].addr, sizeof(files[n_files].addr), "%s", d->addr);
                files[n_files].path = file_name(dir, d, files, n_files);
                f = open_memstream(&files[n_files].text, &size);
                if (!files[n_files].path || !f) {
                        if (f)
                                fclose(f);
                        return EXIT_PROBLEMS;
                }
                describe(f, d);
                fprintf(f, ADD_MARK "%s: ", when);
                print_command(f, arg.argc, arg.argv);
                fprintf(f, "\n%s\n", rule);
                if (fclose(f) != 0 || !files[n_files].text)
                        return EXIT_PROBLEMS;
                nf.n = ++n_files;
        }
        /* Each argument must name a device: a mistyped address among good ones is not skipped in silence. */
        for (size_t j = 0; j < sel.n_rules; j++)
                if (!hit[j]) {
                        log_msg(LOG_ERR, "%s: no PCI device (other than a bridge) matches", sel.rules[j].text);
                        result = EXIT_PROBLEMS;
                }
        if (n_targets == 0 || (result != 0 && n_files > 0)) {
                if (n_files > 0)
                        log_msg(LOG_ERR, "nothing written");
                return EXIT_PROBLEMS;
        }
        if (result != 0 || n_files == 0) {
                if (result != 0 && n_files > 0)
                        log_msg(LOG_ERR, "nothing written");
                return result;
        }
        k = check_result(&s, files, n_files, &busy);
        /* A check that could not run is no verdict: never written, --force or not. */
        if (k < 0) {
                log_msg(LOG_ERR, "cannot check the configuration with the new rules: %s; nothing written",
                        strerror(-k));
                return EXIT_PROBLEMS;
        }
        if (k != 0 && !opt.force) {
                log_msg(LOG_ERR, "check %s%s: nothing written (--force writes it anyway)",
                        busy ? "finds a selected device busy" : "finds errors",
                        busy && log_count(LOG_ERR) > busy ? " and errors" : "");
                return EXIT_PROBLEMS;
        }
        if (k != 0)
                log_msg(LOG_WARNING, "check finds errors; written anyway (--force)");
        k = mkdir_parents(dir);
        if (k < 0) {
                log_msg(LOG_ERR, "%s: cannot create: %s", dir, strerror(-k));
                return EXIT_PROBLEMS;
        }
        for (size_t i = 0; i < n_files; i++) {
                k = write_file_atomic(files[i].path, files[i].text, strlen(files[i].text), 0644);
                if (k < 0) {
                        log_msg(LOG_ERR, "%s: cannot write: %s", files[i].path, strerror(-k));
                        result = EXIT_PROBLEMS;
                        continue;
                }
                printf("%s: wrote %s:3: %s", files[i].addr, files[i].path, third_line(files[i].text));
        }
        if (result == 0 && initramfs_rebuild(opt.root, opt.no_rebuild) < 0)
                result = EXIT_PROBLEMS;
        return result;
}

/* ---- remove ---- */

struct removal {
        char file[4096];
        unsigned line;
};

/* The file's lines without the rule at line and the comment lines add wrote above it. */
static int drop_rule(const char *path, unsigned line, bool *ret_empty)
{
        _cleanup_free_ char *text = NULL, *out = NULL;
        _cleanup_free_ char **lines = NULL;
        size_t n = 0, n_max = 1, size = 0, text_size = 0;
        bool empty = true;
        FILE *f;
        int k;

        k = vc_read_file(path, VC_CONFIG_MAX, &text, &text_size);
        if (k < 0)
                return k;
        /* A NUL would end the text early, and what follows it would be lost in the rewrite. */
        if (memchr(text, 0, text_size))
                return -EBADMSG;
        for (size_t i = 0; i < text_size; i++)
                n_max += text[i] == '\n';
        lines = calloc(n_max, sizeof(char *));
        if (!lines)
                return -ENOMEM;
        for (char *p = text; *p && n < n_max;) {
                char *nl = strchr(p, '\n');

                lines[n++] = p;
                if (!nl)
                        break;
                *nl = 0;
                p = nl + 1;
        }
        if (line < 2 || line > n || strncmp(lines[line - 2], ADD_MARK, strlen(ADD_MARK)) != 0)
                return -ENOENT;
        lines[line - 1] = NULL;
        lines[line - 2] = NULL;
        /* The description above the mark, when it is a comment of its own. */
        if (line >= 3 && lines[line - 3][0] == '#' && strncmp(lines[line - 3], ADD_MARK, strlen(ADD_MARK)) != 0)
                lines[line - 3] = NULL;
        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *p;

                if (!lines[i])
                        continue;
                fprintf(f, "%s\n", lines[i]);
                p = lines[i] + strspn(lines[i], " \t");
                if (*p && *p != '#' && *p != '\r')
                        empty = false;
        }
        if (fclose(f) != 0 || !out)
                return -ENOMEM;
        if (empty) {
                if (unlink(path) < 0)
                        return negative_errno();
        } else {
                k = write_file_atomic(path, out, strlen(out), 0644);
                if (k < 0)
                        return k;
        }
        *ret_empty = empty;
        return 0;
}

/* Whether an earlier entry is the same rule. */
static bool seen_removal(const struct removal *v, size_t n, const char *file, unsigned line)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].line == line && strcmp(v[i].file, file) == 0)
                        return true;
        return false;
}

/* Lines of a file, from its end first: removing one does not move the ones before it. */
static int by_line_desc(const void *a, const void *b)
{
        const struct removal *x = a, *y = b;
        int c = strcmp(x->file, y->file);

        return c ? c : x->line < y->line ? 1 : x->line > y->line ? -1 : 0;
}

static bool line_has_mark(const char *path, unsigned line)
{
        _cleanup_free_ char *text = NULL;
        unsigned l = 1;
        const char *prev = NULL;

        if (line < 2 || vc_read_file(path, VC_CONFIG_MAX, &text, NULL) < 0)
                return false;
        for (const char *p = text; *p && l < line; l++) {
                prev = p;
                p = strchr(p, '\n');
                if (!p)
                        return false;
                p++;
        }
        return prev && l == line && strncmp(prev, ADD_MARK, strlen(ADD_MARK)) == 0;
}

static int run_remove(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ struct removal *rm = NULL;
        size_t n_rm = 0;
        int result = 0, k;

        if (opt.root && !opt.root[0]) {
                fprintf(stderr, "vfio-claim: remove: --root needs a directory; see 'vfio-claim remove --help'\n");
                return EXIT_USAGE;
        }
        if (open_session(&s, argv[0], &dir) < 0)
                return EXIT_PROBLEMS;
        rm = calloc(s.devs.n + 1, sizeof(*rm));
        if (!rm)
                return EXIT_PROBLEMS;
        for (int a = 1; a < argc; a++) {
                struct vc_slot_filter filter;
                const char *reason = NULL;
                bool found = false;

                if (vc_slot_filter_parse(argv[a], &filter, &reason) < 0) {
                        fprintf(stderr, "vfio-claim: remove: '%s': %s; see 'vfio-claim remove --help'\n", argv[a],
                                reason ? reason : "not an address");
                        return EXIT_USAGE;
                }
                /* "", "*", "*:*.*": every device, never what an admin means by an address. */
                if (filter.domain < 0 && filter.bus < 0 && filter.slot < 0 && filter.func < 0) {
                        fprintf(stderr, "vfio-claim: remove: '%s' names every PCI device; give an address\n", argv[a]);
                        return EXIT_USAGE;
                }
                for (size_t i = 0; i < s.devs.n; i++) {
                        const struct vc_dev *d = &s.devs.devs[i];
                        char file[4096];
                        unsigned line;
                        size_t dlen = strlen(dir);

                        if (!vc_slot_match(&filter, d) || is_any_bridge(d))
                                continue;
                        found = true;
                        if (!d->rule) {
                                printf("%s: no rule selects it\n", d->addr);
                                continue;
                        }
                        if (origin_split(d->rule->origin, file, sizeof(file), &line) && strncmp(file, dir, dlen) == 0 &&
                            file[dlen] == '/' && !strchr(file + dlen + 1, '/') && line_has_mark(file, line)) {
                                if (!seen_removal(rm, n_rm, file, line)) {
                                        snprintf(rm[n_rm].file, sizeof(rm[n_rm].file), "%s", file);
                                        rm[n_rm++].line = line;
                                }
                                continue;
                        }
                        printf("%s is selected by %s (%s), a rule add did not write: left as it is\n", d->addr,
                               d->rule->origin, d->rule->text);
                        result = EXIT_PROBLEMS;
                }
                if (!found) {
                        log_msg(LOG_ERR, "%s: no PCI device (other than a bridge) there", argv[a]);
                        result = EXIT_PROBLEMS;
                }
        }
        qsort(rm, n_rm, sizeof(*rm), by_line_desc);
        for (size_t i = 0; i < n_rm; i++) {
                bool empty = false;

                k = drop_rule(rm[i].file, rm[i].line, &empty);
                if (k < 0) {
                        log_msg(LOG_ERR, "%s:%u: cannot remove the rule: %s", rm[i].file, rm[i].line, strerror(-k));
                        result = EXIT_PROBLEMS;
                        continue;
                }
                printf("removed the rule %s:%u%s\n", rm[i].file, rm[i].line, empty ? ", and the file, now empty" : "");
        }
        if (n_rm > 0 && initramfs_rebuild(opt.root, opt.no_rebuild) < 0)
                result = EXIT_PROBLEMS;
        return result;
}

static const struct option_spec add_options[] = {
        {"by", 0, "KIND", OPT_STRING, &opt.by,
         "select by serial, path, slot or address\n(default: serial when the device reports a DSN, else path)"},
        {"driver", 0, "NAME", OPT_STRING, &opt.driver, "the rule's driver (default vfio-pci)"},
        {"force", 'f', NULL, OPT_BOOL, &opt.force, "write even when check finds errors or a busy device"},
        {"no-rebuild", 0, NULL, OPT_BOOL, &opt.no_rebuild, "print the initramfs command instead of running it"},
        {"root", 0, "DIR", OPT_STRING, &opt.root, "write under DIR" CONFIG_DIR " (never rebuilds)"},
};

const struct verb verb_add = {
        .name = "add",
        .run = run_add,
        VERB_ARGS("SELECTOR...", 1, VERB_ARGS_MANY,
                  "add needs an address or a rule's selectors (add 01:00, add id 10de:1b80)"),
        VERB_OPTIONS(add_options),
        .help = "write a rule for each selected function into a drop-in, check it, rebuild the initramfs",
};

static const struct option_spec remove_options[] = {
        {"no-rebuild", 0, NULL, OPT_BOOL, &opt.no_rebuild, "print the initramfs command instead of running it"},
        {"root", 0, "DIR", OPT_STRING, &opt.root, "work under DIR" CONFIG_DIR " (never rebuilds)"},
};

const struct verb verb_remove = {
        .name = "remove",
        .run = run_remove,
        VERB_ARGS("ADDRESS...", 1, VERB_ARGS_MANY, "remove needs one or more addresses"),
        VERB_OPTIONS(remove_options),
        .help = "delete the rules add wrote for these devices, rebuild the initramfs",
};
