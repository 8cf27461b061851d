// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile input: configuration files, kernel command lines and sysfs trees
 * that are broken, huge, not files at all, or change under the program.
 * For each, vfio-claim runs on the fake machine of tenv_machine() (the real
 * binary, killed with its process group after 10 s) and must
 *   - finish within 10 s: nothing may block (FIFOs, character devices);
 *   - exit as documented: apply 0 always; check 2 when no config could be
 *     read, 1 when there are errors, 0 when only warnings;
 *   - say what is wrong, naming the file (config, command line, sysfs
 *     attribute) or the rule and device it concerns; quote untrusted bytes
 *     escaped, never raw;
 *   - never crash, never trip a sanitizer (run it in the ASan build too);
 *   - write nothing but what the good rules ask for: a snapshot diff of the
 *     whole tree before and after.
 *
 * The caps the program enforces are written down here as assertions, each
 * at its boundary (vfio-claim.conf(5) LIMITS, docs/configuration.md "Caps", vfio-claim.h):
 *   - a config file of 1 MiB is read, one byte more is refused as a whole
 *     (even a good rule at its top does not apply);
 *   - a line of 4096 bytes (without its newline) is read, 4097 is refused;
 *   - a kernel command line of 64 KiB is read, one byte more is refused as
 *     a whole (a rule at its start does not apply);
 *   - a sysfs attribute is one page: a uevent of 4096 bytes is read (and
 *     one of 4095, the most a kernel sysfs show() produces), 4097 is refused.
 *
 * Environment: T_ONLY=case,... as for every harness test; FAKESYS_KEEP=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define TIMEOUT_S   10.0
#define CAP_CONFIG  (1024 * 1024)
#define CAP_LINE    4096
#define CAP_CMDLINE (64 * 1024)
#define CAP_ATTR    4096

#define OVR(addr)   "bus/pci/devices/" addr "/driver_override"
#define AHCI_UNBIND "bus/pci/drivers/ahci/unbind"
#define VFIO_BIND   "bus/pci/drivers/vfio-pci/bind"
/* What "address 00:03.0" does on the machine: the second AHCI controller. */
#define GOOD_RULE    "address 00:03.0\n"
#define GOOD_CHANGES OVR("0000:00:03.0"), AHCI_UNBIND, VFIO_BIND

static double slowest_run;
static unsigned n_runs;

/* ---- helpers ---- */

/* Removes whatever is at path: file, link, FIFO or (empty) directory. */
static void clear_path(const char *path)
{
        if (unlink(path) < 0 && errno != ENOENT && !(errno == EISDIR && rmdir(path) == 0))
                t_fatal(__FILE__, __LINE__, path, -errno);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
        int fd;

        clear_path(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        for (const char *p = data; len > 0;) {
                ssize_t k = write(fd, p, len);

                if (k < 0)
                        t_fatal(__FILE__, __LINE__, path, -errno);
                p += k;
                len -= (size_t)k;
        }
        close(fd);
}

/* A file of exactly size bytes: first, then comment lines shorter than the line cap. */
static char *padded(const char *first, size_t size, size_t *ret_len)
{
        size_t n = strlen(first);
        char *s = malloc(size + 1);

        if (!s || n > size)
                t_fatal(__FILE__, __LINE__, "padded", -ENOMEM);
        memcpy(s, first, n);
        while (n < size) {
                size_t k = size - n > 4000 ? 4000 : size - n;

                if (k == 1) {
                        s[n++] = '\n';
                        continue;
                }
                s[n] = '#';
                memset(s + n + 1, 'x', k - 2);
                s[n + k - 1] = '\n';
                n += k;
        }
        s[n] = 0;
        *ret_len = n;
        return s;
}

/* The tree's real path of a device attribute. */
static char *dev_file(struct tenv *e, const char *addr, const char *attr)
{
        return xasprintf("%s/%s/%s", fakesys_root(e->fs), fakesys_dev_dir(e->fs, addr), attr);
}

static char *tree_file(struct tenv *e, const char *rel)
{
        return xasprintf("%s/%s", fakesys_root(e->fs), rel);
}

static bool ascii_only(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s >= 0x7f || ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t'))
                        return false;
        return true;
}

static void show_escaped(const char *label, const char *s)
{
        printf("#   %s:\n#     | ", label);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '\n')
                        printf(s[1] ? "\n#     | " : "\n");
                else if (c < 0x20 || c >= 0x7f)
                        printf("\\x%02x", c);
                else
                        putchar(c);
        }
}

/* ---- running the binary with a deadline ---- */

/* Called while the program runs, about every 2 ms; may wait that long itself. */
typedef void (*tick_fn)(void *userdata);

/* argv with the harness's t_spawn and the deadline; counts the runs and keeps the slowest time. */
static void spawn_timed(const char *dir, const char *const *argv, struct result *r, double timeout, tick_fn tick,
                        void *userdata)
{
        double t0 = t_now();

        t_spawn(r, argv, &(struct t_spawn){.dir = dir, .timeout = timeout, .tick = tick, .userdata = userdata});
        n_runs++;
        if (t_now() - t0 > slowest_run)
                slowest_run = t_now() - t0;
}

/* vfio-claim with the environment's roots (as tenv_run), the NULL-terminated args, and the deadline. */
static void hrun_tick(struct tenv *e, struct result *r, tick_fn tick, void *userdata, const char *const *args)
{
        const char *argv[32];
        size_t n = tenv_argv(e, argv);

        for (size_t i = 0; args[i] && n < 31; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        spawn_timed(e->dir, argv, r, TIMEOUT_S, tick, userdata);
}

#define HRUN(e, r, ...) hrun_tick((e), (r), NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

static bool sane_run(const struct result *r, const char *file, int line, const char *what)
{
        bool ok = true;

        ok &= t_check_run(r, r->code >= 0, file, line, "%s: finishes within %.0f s", what, TIMEOUT_S);
        ok &= t_check_run(r, r->code < 128, file, line, "%s: no crash (exit %d)", what, r->code);
        ok &= t_check_run(r, !contains(r->err, "runtime error") && !contains(r->err, "Sanitizer"), file, line,
                          "%s: no sanitizer report", what);
        return ok;
}

/* Every changed path of the tree is one of allowed (relative, symlinks resolved); nothing added or removed. */
static bool check_changes_within(struct tenv *e, const struct fakesys_snapshot *a, const struct fakesys_snapshot *b,
                                 const char *const *allowed, const char *file, int line, const char *what)
{
        char **diff = NULL;
        int n = fakesys_diff(a, b, &diff);
        bool ok = true;

        if (n < 0)
                t_fatal(file, line, "fakesys_diff", n);
        for (int i = 0; i < n; i++) {
                bool found = false;

                for (size_t j = 0; allowed[j] && !found; j++) {
                        char *c = fakesys_canon(e->fs, allowed[j]);

                        found = c && diff[i][0] == 'M' && strcmp(diff[i] + 2, c) == 0;
                        free(c);
                }
                if (!found) {
                        if (ok)
                                printf("#   changes outside what is allowed:\n");
                        ok = false;
                        printf("#     %s\n", diff[i]);
                }
        }
        fakesys_strv_free(diff);
        return t_check(ok, file, line, "%s", what);
}

/*
 * The usual round: apply (exit 0, the tree changes in exactly the listed
 * paths, its stderr has every needle of apply_msgs), then check (exit
 * check_code, stdout and stderr together have every needle of check_msgs,
 * and it writes nothing).
 */
struct expect {
        const char *what;
        const char *const *changes;    /* NULL-terminated; may be empty */
        const char *const *apply_msgs; /* NULL-terminated, NULL: none */
        int check_code;                /* -1: do not run check */
        const char *const *check_msgs;
        bool within; /* changes is what may change, not what must */
};

static void round_trip(struct tenv *e, const struct expect *x, const char *file, int line)
{
        struct fakesys_snapshot before = {0}, after = {0}, after_check = {0};
        struct result r = {0};
        char *what, *msg;

        /* An override an earlier round set goes back to unset, so that this round's write shows. */
        for (size_t i = 0; !x->within && x->changes[i]; i++) {
                size_t n = strlen(x->changes[i]);

                if (n > 16 && strcmp(x->changes[i] + n - 16, "/driver_override") == 0 &&
                    strcmp(tread(e, x->changes[i]), "vfio-pci\n") == 0)
                        SETUP(fakesys_write(e->fs, x->changes[i], "(null)\n"));
        }
        tsnap(e, &before);
        HRUN(e, &r, "apply");
        tsnap(e, &after);
        what = xasprintf("%s: apply", x->what);
        if (sane_run(&r, file, line, what))
                t_check_run(&r, r.code == 0, file, line, "%s exits 0", what);
        msg = xasprintf("%s %s", what,
                        x->within       ? "writes nothing but what the good rules may ask for"
                        : x->changes[0] ? "writes exactly what the good rules ask for"
                                        : "writes nothing at all");
        if (x->within)
                check_changes_within(e, &before, &after, x->changes, file, line, msg);
        else
                t_check_changes(e, &before, &after, x->changes, file, line, msg);
        free(msg);
        for (size_t i = 0; x->apply_msgs && x->apply_msgs[i]; i++)
                t_check_run(&r, contains(r.err, x->apply_msgs[i]), file, line, "%s says '%s'", what, x->apply_msgs[i]);
        /* Shown escaped: the raw bytes are what is wrong. */
        if (!t_check(ascii_only(r.err), file, line, "%s: messages are printable ASCII (untrusted bytes escaped)", what))
                show_escaped("stderr, escaped", r.err);
        free(what);
        if (x->check_code >= 0) {
                char *both;

                HRUN(e, &r, "check");
                tsnap(e, &after_check);
                what = xasprintf("%s: check", x->what);
                both = xasprintf("%s%s", r.out, r.err);
                if (sane_run(&r, file, line, what))
                        t_check_run(&r, r.code == x->check_code, file, line, "%s exits %d", what, x->check_code);
                for (size_t i = 0; x->check_msgs && x->check_msgs[i]; i++)
                        t_check_run(&r, contains(both, x->check_msgs[i]), file, line, "%s says '%s'", what,
                                    x->check_msgs[i]);
                t_check_changes(e, &after, &after_check, (const char *const[]){NULL}, file, line,
                                "check writes nothing");
                free(both);
                free(what);
        }
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
        fakesys_snapshot_clear(&after_check);
        result_clear(&r);
}

#define ROUND(e, ...) round_trip((e), &(struct expect){__VA_ARGS__}, __FILE__, __LINE__)
#define LIST(...)     ((const char *const[]){__VA_ARGS__, NULL})
#define NONE          ((const char *const[]){NULL})

static struct tenv *machine(void)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        tenv_cmdline(e, "BOOT_IMAGE=/vmlinuz ro quiet\n");
        return e;
}

/* "error: CONFIG: cannot read: WHY", as apply and check say it. */
static char *cannot_read(struct tenv *e, const char *why)
{
        return xasprintf("error: %s: cannot read: %s", e->config, why);
}

static char *at_line(struct tenv *e, unsigned line, const char *msg)
{
        return xasprintf("error: %s:%u: %s", e->config, line, msg);
}

/* ---- the configuration file ---- */

TEST(config_fifo)
{
        struct tenv *e = machine();
        char *msg = cannot_read(e, "not a regular file");
        int writer;

        clear_path(e->config);
        SETUP(mkfifo(e->config, 0644) < 0 ? -errno : 0);
        ROUND(e, .what = "config is a FIFO without writer", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        /* With a writer that never writes, a blocking read would wait forever. */
        writer = open(e->config, O_RDWR | O_CLOEXEC);
        SETUP(writer < 0 ? -errno : 0);
        ROUND(e, .what = "config is a FIFO with a silent writer", .changes = NONE, .apply_msgs = LIST(msg),
              .check_code = 2, .check_msgs = LIST(msg));
        /* ... and one that has written a good rule into it: still not a file. */
        SETUP(write(writer, GOOD_RULE, strlen(GOOD_RULE)) < 0 ? -errno : 0);
        ROUND(e, .what = "config is a FIFO holding a rule", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        close(writer);
        free(msg);
        tenv_free(e);
}

TEST(config_not_a_file)
{
        struct tenv *e = machine();
        char *other = xasprintf("%s/other.conf", e->dir);
        char *msg;

        clear_path(e->config);
        SETUP(mkdir(e->config, 0755) < 0 ? -errno : 0);
        msg = cannot_read(e, "Is a directory");
        ROUND(e, .what = "config is a directory", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        free(msg);

        clear_path(e->config);
        SETUP(symlink("vfio-claim.conf", e->config) < 0 ? -errno : 0);
        msg = cannot_read(e, "Too many levels of symbolic links");
        ROUND(e, .what = "config is a symlink to itself", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        clear_path(e->config);
        SETUP(symlink("other.conf", e->config) < 0 ? -errno : 0);
        SETUP(symlink("vfio-claim.conf", other) < 0 ? -errno : 0);
        ROUND(e, .what = "config is a symlink loop of two", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        free(msg);
        clear_path(other);

        clear_path(e->config);
        SETUP(symlink("/dev/zero", e->config) < 0 ? -errno : 0);
        msg = cannot_read(e, "not a regular file");
        ROUND(e, .what = "config is /dev/zero", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        free(msg);

        clear_path(e->config);
        msg = xasprintf("no configuration: %s does not exist", e->config);
        ROUND(e, .what = "config is missing", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST("no configuration to check"));
        free(msg);
        free(other);
        tenv_free(e);
}

TEST(config_huge)
{
        struct tenv *e = machine();
        char *msg = cannot_read(e, "too large");
        int fd;

        /* 100 MiB, sparse: a good rule at the top and NUL bytes after it. */
        write_bytes(e->config, GOOD_RULE, strlen(GOOD_RULE));
        fd = open(e->config, O_WRONLY | O_CLOEXEC);
        SETUP(fd < 0 || ftruncate(fd, 100 * 1024 * 1024) < 0 ? -errno : 0);
        close(fd);
        ROUND(e, .what = "config of 100 MiB", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        free(msg);
        tenv_free(e);
}

TEST(config_size_cap)
{
        struct tenv *e = machine();
        char *msg = cannot_read(e, "too large");
        size_t len;
        char *text = padded(GOOD_RULE, CAP_CONFIG, &len);

        /* Files larger than 1 MiB are refused (vfio-claim.conf(5) LIMITS): 1 MiB itself is not. */
        write_bytes(e->config, text, len);
        ROUND(e, .what = "config of exactly 1 MiB", .changes = LIST(GOOD_CHANGES), .check_code = 0);
        free(text);
        text = padded(GOOD_RULE, CAP_CONFIG + 1, &len);
        write_bytes(e->config, text, len);
        ROUND(e, .what = "config of 1 MiB and one byte", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 2,
              .check_msgs = LIST(msg));
        free(text);
        free(msg);
        tenv_free(e);
}

TEST(config_nul_bytes)
{
        static const char text[] = "address 00:04.0\0 id 1b36:000d\n"
                                   "\0\0\0\0\n"
                                   "address 00:03.0\n"
                                   "\0";
        struct tenv *e = machine();
        char *m1 = at_line(e, 1, "NUL byte in line; line ignored"), *m2 = at_line(e, 2, "NUL byte in line");
        char *m4 = at_line(e, 4, "NUL byte in line");

        write_bytes(e->config, text, sizeof(text) - 1);
        ROUND(e, .what = "config with NUL bytes", .changes = LIST(GOOD_CHANGES), .apply_msgs = LIST(m1, m2, m4),
              .check_code = 1, .check_msgs = LIST(m1, m2));
        free(m1);
        free(m2);
        free(m4);
        tenv_free(e);
}

TEST(config_invalid_utf8)
{
        static const char text[] = "\xff\xfe address 00:04.0\n"
                                   "address 00:04.0 id \xc0\xaf:000d\n"
                                   "address 00:1f.\xe2\x82\n"
                                   "address 00:03.0 # caf\xc3\xa9, and \xff in a comment is nobody's business\n";
        struct tenv *e = machine();
        char *m1 = at_line(e, 1, "unknown keyword '\\xff\\xfe'"), *m2 = at_line(e, 2, "id '\\xc0\\xaf:000d'");
        char *m3 = at_line(e, 3, "address '00:1f.\\xe2\\x82'");

        write_bytes(e->config, text, sizeof(text) - 1);
        ROUND(e, .what = "config with invalid UTF-8", .changes = LIST(GOOD_CHANGES), .apply_msgs = LIST(m1, m2, m3),
              .check_code = 1, .check_msgs = LIST(m1, m2, m3));
        free(m1);
        free(m2);
        free(m3);
        tenv_free(e);
}

TEST(config_long_lines)
{
        struct tenv *e = machine();
        size_t n = CAP_CONFIG - 64, k;
        char *text = malloc(n + 64), *msg = at_line(e, 1, "line longer than 4096 bytes; line ignored");
        static const char head[] = "address 00:04.0 #";

        /* A line of almost 1 MiB, then a good rule: the file is read, the line refused. */
        if (!text)
                t_fatal(__FILE__, __LINE__, "malloc", -ENOMEM);
        memcpy(text, head, sizeof(head) - 1);
        memset(text + sizeof(head) - 1, 'x', n - (sizeof(head) - 1));
        k = n;
        text[k++] = '\n';
        memcpy(text + k, GOOD_RULE, strlen(GOOD_RULE));
        k += strlen(GOOD_RULE);
        write_bytes(e->config, text, k);
        ROUND(e, .what = "config with a 1 MiB line", .changes = LIST(GOOD_CHANGES), .apply_msgs = LIST(msg),
              .check_code = 1, .check_msgs = LIST(msg));

        /* The cap itself: 4096 bytes of line are read, 4097 are not. */
        memcpy(text, "address 00:03.0 #", 17);
        memset(text + 17, 'x', CAP_LINE - 17);
        text[CAP_LINE] = '\n';
        write_bytes(e->config, text, CAP_LINE + 1);
        ROUND(e, .what = "config line of exactly 4096 bytes", .changes = LIST(GOOD_CHANGES), .check_code = 0);
        memset(text + 17, 'x', CAP_LINE + 1 - 17);
        text[CAP_LINE + 1] = '\n';
        write_bytes(e->config, text, CAP_LINE + 2);
        ROUND(e, .what = "config line of 4097 bytes", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 1,
              .check_msgs = LIST(msg));
        free(msg);
        free(text);
        tenv_free(e);
}

TEST(config_cr_only)
{
        static const char rules[] = "address 00:04.0\raddress 00:01.0\r";
        static const char header[] = "# vfio-claim rules for this box\raddress 00:04.0\r";
        static const char trailing[] = "address 00:03.0 # the second AHCI controller\raddress 00:04.0\r";
        struct tenv *e = machine();
        char *m1 = at_line(e, 1, "control character \\x0d"), *any = at_line(e, 1, "");

        /*
         * Old Mac line ends: the file is one line. One trailing CR is a DOS line
         * end and tolerated; any other CR must be an error naming the line, and
         * the rules it hides must not apply, whatever else is on the line.
         */
        write_bytes(e->config, rules, sizeof(rules) - 1);
        ROUND(e, .what = "config with CR-only line ends", .changes = NONE, .apply_msgs = LIST(m1), .check_code = 1,
              .check_msgs = LIST(m1));
        write_bytes(e->config, header, sizeof(header) - 1);
        ROUND(e, .what = "config with CR-only line ends after a comment header", .changes = NONE,
              .apply_msgs = LIST(any), .check_code = 1, .check_msgs = LIST(any));
        write_bytes(e->config, trailing, sizeof(trailing) - 1);
        ROUND(e, .what = "config with CR-only line ends after a trailing comment", .changes = LIST(GOOD_CHANGES),
              .within = true, .apply_msgs = LIST(any), .check_code = 1, .check_msgs = LIST(any));
        free(m1);
        free(any);
        tenv_free(e);
}

/* ---- the kernel command line ---- */

/* A command line of exactly size bytes (newline included): filler words and the rule, first or last. */
static char *cmdline_of(size_t size, const char *rule, bool rule_first, size_t *ret_len)
{
        size_t n = strlen(rule);
        char *s = malloc(size + 1);

        if (!s || n + 3 > size)
                t_fatal(__FILE__, __LINE__, "cmdline_of", -ENOMEM);
        for (size_t i = 0; i < size - 1; i++)
                s[i] = i % 61 == 60 ? ' ' : (char)('a' + i % 26);
        if (rule_first) {
                memcpy(s, rule, n);
                s[n] = ' ';
        } else {
                s[size - 2 - n] = ' ';
                memcpy(s + size - 1 - n, rule, n);
        }
        s[size - 1] = '\n';
        s[size] = 0;
        *ret_len = size;
        return s;
}

TEST(cmdline_cap)
{
        struct tenv *e = machine();
        const char *rule = "vfio_claim.rule=\"address 00:03.0\"";
        char *msg = xasprintf("warning: %s: cannot read the kernel command line: too large", e->cmdline), *s;
        size_t len;

        tenv_config(e, "deadline 0\n");
        /* "The kernel command line is read up to 64 KiB": a rule at the very end of 64 KiB applies. */
        s = cmdline_of(CAP_CMDLINE, rule, false, &len);
        write_bytes(e->cmdline, s, len);
        ROUND(e, .what = "command line of exactly 64 KiB", .changes = LIST(GOOD_CHANGES), .check_code = 0);
        free(s);
        s = cmdline_of(CAP_CMDLINE - 1, rule, false, &len);
        write_bytes(e->cmdline, s, len);
        ROUND(e, .what = "command line of 64 KiB less one byte", .changes = LIST(GOOD_CHANGES), .check_code = 0);
        free(s);
        /* One byte more: refused as a whole, even the rule at its start. */
        s = cmdline_of(CAP_CMDLINE + 1, rule, true, &len);
        write_bytes(e->cmdline, s, len);
        ROUND(e, .what = "command line of 64 KiB and one byte", .changes = NONE, .apply_msgs = LIST(msg),
              .check_code = 0, .check_msgs = LIST(msg));
        free(s);
        s = cmdline_of(1024 * 1024, rule, true, &len);
        write_bytes(e->cmdline, s, len);
        ROUND(e, .what = "command line of 1 MiB", .changes = NONE, .apply_msgs = LIST(msg), .check_code = 0,
              .check_msgs = LIST(msg));
        free(s);
        free(msg);
        tenv_free(e);
}

TEST(cmdline_not_a_file)
{
        static const char nul[] = "ro vfio_claim=off\0 vfio_claim.rule=\"address 00:04.0\"\n";
        struct tenv *e = machine();
        char *m_fifo = xasprintf("warning: %s: cannot read the kernel command line: not a regular file", e->cmdline);
        char *m_dir = xasprintf("warning: %s: cannot read the kernel command line: Is a directory", e->cmdline);
        char *m_nul = xasprintf("warning: %s: cannot read the kernel command line: NUL byte in it", e->cmdline);
        int writer;

        /* The configuration's rules apply whatever is wrong with the command line (a warning: check exits 0). */
        tenv_config(e, GOOD_RULE);
        clear_path(e->cmdline);
        SETUP(mkfifo(e->cmdline, 0644) < 0 ? -errno : 0);
        writer = open(e->cmdline, O_RDWR | O_CLOEXEC);
        SETUP(writer < 0 ? -errno : 0);
        ROUND(e, .what = "command line is a FIFO with a silent writer", .changes = LIST(GOOD_CHANGES),
              .apply_msgs = LIST(m_fifo), .check_code = 0, .check_msgs = LIST(m_fifo));
        close(writer);
        clear_path(e->cmdline);
        SETUP(mkdir(e->cmdline, 0755) < 0 ? -errno : 0);
        ROUND(e, .what = "command line is a directory", .changes = LIST(GOOD_CHANGES), .apply_msgs = LIST(m_dir),
              .check_code = 0, .check_msgs = LIST(m_dir));
        clear_path(e->cmdline);
        write_bytes(e->cmdline, nul, sizeof(nul) - 1);
        ROUND(e, .what = "command line with a NUL byte", .changes = LIST(GOOD_CHANGES), .apply_msgs = LIST(m_nul),
              .check_code = 0, .check_msgs = LIST(m_nul));
        free(m_fifo);
        free(m_dir);
        free(m_nul);
        tenv_free(e);
}

/* ---- sysfs ---- */

/* "SYSFS/bus/pci/devices/ADDR/uevent: WHY; device ignored" */
static char *uevent_msg(struct tenv *e, const char *addr, const char *why)
{
        return xasprintf("warning: %s/bus/pci/devices/%s/uevent: %s; device ignored", fakesys_root(e->fs), addr, why);
}

static char *no_match(struct tenv *e, unsigned line, const char *rule, bool error)
{
        return xasprintf("%s: %s:%u (%s): matches no PCI device", error ? "error" : "warning", e->config, line, rule);
}

TEST(uevent_missing)
{
        struct tenv *e = machine();
        char *p = dev_file(e, "0000:00:03.0", "uevent"), *q = dev_file(e, "0000:00:04.0", "uevent");
        char *w = no_match(e, 1, "address 00:03.0", false), *err = no_match(e, 1, "address 00:03.0", true);
        char *m = uevent_msg(e, "0000:00:03.0", "No such file or directory");

        /* The device directory is there, its uevent is not: a warning naming the
         * file; the device is skipped and the rule says it matched nothing. */
        SETUP(unlink(p) < 0 || unlink(q) < 0 ? -errno : 0);
        tenv_config(e, "address 00:03.0\naddress 01:00.1\n");
        ROUND(e, .what = "uevent missing",
              .changes = LIST(OVR("0000:01:00.1"), "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND),
              .apply_msgs = LIST(w, m), .check_code = 1, .check_msgs = LIST(err, m));
        free(p);
        free(q);
        free(w);
        free(err);
        free(m);
        tenv_free(e);
}

TEST(uevent_unreadable)
{
        struct tenv *e = machine();
        char *p = dev_file(e, "0000:00:03.0", "uevent");
        char *err = no_match(e, 1, "address 00:03.0", true), *m;
        int writer;

        tenv_config(e, GOOD_RULE);
        if (geteuid() != 0) {
                SETUP(chmod(p, 0) < 0 ? -errno : 0);
                m = uevent_msg(e, "0000:00:03.0", "Permission denied");
                ROUND(e, .what = "uevent mode 000", .changes = NONE, .apply_msgs = LIST(m), .check_code = 1,
                      .check_msgs = LIST(err));
                free(m);
                SETUP(chmod(p, 0644) < 0 ? -errno : 0);
        } else
                t_skip("uevent mode 000: root reads it anyway (the FIFOs below stand in)");
        /* A FIFO in place of the attribute: no writer, then a writer that never writes. */
        clear_path(p);
        SETUP(mkfifo(p, 0644) < 0 ? -errno : 0);
        m = uevent_msg(e, "0000:00:03.0", "no PCI_ID or PCI_CLASS");
        ROUND(e, .what = "uevent is a FIFO without writer", .changes = NONE, .apply_msgs = LIST(m), .check_code = 1,
              .check_msgs = LIST(err));
        free(m);
        writer = open(p, O_RDWR | O_CLOEXEC);
        SETUP(writer < 0 ? -errno : 0);
        m = uevent_msg(e, "0000:00:03.0", "Resource temporarily unavailable");
        ROUND(e, .what = "uevent is a FIFO with a silent writer", .changes = NONE, .apply_msgs = LIST(m),
              .check_code = 1, .check_msgs = LIST(err));
        close(writer);
        free(m);
        free(p);
        free(err);
        tenv_free(e);
}

TEST(uevent_garbage)
{
        static const char binary[] = "\x00\xff\xfe\x01garbage\nPCI_ID=8086:2922\nPCI_CLASS=010601\n";
        struct tenv *e = machine();
        char *p3 = dev_file(e, "0000:00:03.0", "uevent"), *p4 = dev_file(e, "0000:00:04.0", "uevent");
        char *p2 = dev_file(e, "0000:02:00.0", "uevent"), *pf = dev_file(e, "0000:00:1f.2", "uevent");
        char *p1 = dev_file(e, "0000:01:00.0", "uevent");
        char *m3 = uevent_msg(e, "0000:00:03.0", "unexpected contents");
        char *m4 = uevent_msg(e, "0000:00:04.0", "no PCI_ID or PCI_CLASS");
        char *m2 = uevent_msg(e, "0000:02:00.0", "unexpected contents");
        char *mf = uevent_msg(e, "0000:00:1f.2", "larger than a page");
        char *m1 = uevent_msg(e, "0000:01:00.0", "unexpected contents");
        char *big = malloc(CAP_ATTR + 2);

        if (!big)
                t_fatal(__FILE__, __LINE__, "malloc", -ENOMEM);
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/uevent",
                            "PCI_CLASS=10601\nPCI_ID=zzzz:2922\nPCI_SUBSYS_ID=1AF4:1100\n"));
        write_bytes(p4, binary, sizeof(binary) - 1);
        /* A driver name that would climb out of bus/pci/drivers. */
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:02:00.0/uevent",
                            "DRIVER=../../../../../etc\nPCI_CLASS=10601\nPCI_ID=8086:2922\n"));
        memset(big, 'X', CAP_ATTR + 1);
        memcpy(big, "PCI_CLASS=10601\nPCI_ID=8086:2922\nX=", 35);
        big[CAP_ATTR] = '\n';
        write_bytes(pf, big, CAP_ATTR + 1);
        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:01:00.0/uevent",
                            "PCI_CLASS=30000\nPCI_ID=10de:1b80\nDRIVER="
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"));
        tenv_config(e, "address 00:03.0\naddress 00:04.0\naddress 02:00.0\naddress 00:1f.2\naddress 01:00.0\n"
                       "address 01:00.1\n");
        ROUND(e, .what = "uevent with garbage",
              .changes = LIST(OVR("0000:01:00.1"), "bus/pci/drivers/snd_hda_intel/unbind", VFIO_BIND),
              .apply_msgs = LIST(m3, m4, m2, mf, m1), .check_code = 1, .check_msgs = LIST(m3, m4, m2, mf, m1));

        /* One page: 4096 bytes is a page, 4095 the most a sysfs show() returns; 4097 is more. */
        tenv_config(e, GOOD_RULE);
        for (size_t size = CAP_ATTR - 1; size <= CAP_ATTR; size++) {
                char *what = xasprintf("uevent of %zu bytes", size);

                memset(big, 'X', size);
                memcpy(big, "DRIVER=ahci\nPCI_CLASS=10601\nPCI_ID=8086:2922\nX=", 47);
                big[size - 1] = '\n';
                write_bytes(p3, big, size);
                ROUND(e, .what = what, .changes = LIST(GOOD_CHANGES), .check_code = 0);
                free(what);
        }
        memset(big, 'X', CAP_ATTR + 1);
        memcpy(big, "DRIVER=ahci\nPCI_CLASS=10601\nPCI_ID=8086:2922\nX=", 47);
        big[CAP_ATTR] = '\n';
        write_bytes(p3, big, CAP_ATTR + 1);
        free(m3);
        m3 = uevent_msg(e, "0000:00:03.0", "larger than a page");
        ROUND(e, .what = "uevent of 4097 bytes", .changes = NONE, .apply_msgs = LIST(m3), .check_code = 1,
              .check_msgs = LIST(m3));
        free(big);
        free(p1);
        free(p2);
        free(p3);
        free(p4);
        free(pf);
        free(m1);
        free(m2);
        free(m3);
        free(m4);
        free(mf);
        tenv_free(e);
}

/* PCI_ID without PCI_CLASS: refused with a message, never read as class 0. */
TEST(uevent_no_class)
{
        struct tenv *e = machine();
        char *m = uevent_msg(e, "0000:00:03.0", "no PCI_ID or PCI_CLASS");
        char *err = no_match(e, 1, "address 00:03.0", true), *err2 = no_match(e, 2, "id ::0000", true);

        SETUP(fakesys_write(e->fs, "bus/pci/devices/0000:00:03.0/uevent",
                            "DRIVER=ahci\nPCI_ID=8086:2922\nPCI_SUBSYS_ID=1AF4:1100\nPCI_SLOT_NAME=0000:00:03.0\n"));
        /* "id ::0000" is class 00, subclass 00: what a missing class read as 0 would match. */
        tenv_config(e, "address 00:03.0\nid ::0000\n");
        ROUND(e, .what = "uevent without PCI_CLASS", .changes = NONE, .apply_msgs = LIST(m), .check_code = 1,
              .check_msgs = LIST(m, err, err2));
        free(m);
        free(err);
        free(err2);
        tenv_free(e);
}

/* A name of n 'd's: "dddd...". */
static char *driver_name(size_t n)
{
        char *s = malloc(n + 1);

        if (!s)
                t_fatal(__FILE__, __LINE__, "malloc", -ENOMEM);
        memset(s, 'd', n);
        s[n] = 0;
        return s;
}

/*
 * DRIVER= at the cap: a driver name of 63 characters fits the 64-byte field
 * with its NUL and is used (the device is unbound from it); 64 characters
 * are refused as unexpected contents and the device is left alone. Under
 * ASan a write past the field would end the run.
 */
TEST(uevent_driver_cap)
{
        struct tenv *e = machine();
        char *d63 = driver_name(63), *d64 = driver_name(64);
        char *unbind63 = xasprintf("bus/pci/drivers/%s/unbind", d63);
        char *said63 = xasprintf("0000:00:03.0 [8086:2922]: unbinding from %s", d63);
        char *m = uevent_msg(e, "0000:00:03.0", "unexpected contents");

        tenv_config(e, GOOD_RULE);
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", d63));
        CHECK(contains(tattr(e, "0000:00:03.0", "uevent"), d63), "the fixture put the 63-character name in uevent");
        ROUND(e, .what = "DRIVER= of 63 characters", .changes = LIST(OVR("0000:00:03.0"), unbind63, VFIO_BIND),
              .apply_msgs = LIST(said63), .check_code = 0);
        SETUP(fakesys_write(e->fs, OVR("0000:00:03.0"), "(null)\n"));
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", d64));
        CHECK(contains(tattr(e, "0000:00:03.0", "uevent"), d64), "the fixture put the 64-character name in uevent");
        ROUND(e, .what = "DRIVER= of 64 characters", .changes = NONE, .apply_msgs = LIST(m), .check_code = 1,
              .check_msgs = LIST(m));
        free(d63);
        free(d64);
        free(unbind63);
        free(said63);
        free(m);
        tenv_free(e);
}

TEST(override_surprises)
{
        struct tenv *e = machine();
        char *p = dev_file(e, "0000:00:03.0", "driver_override");
        char *fifo_msg;
        int fd;

        tenv_config(e, GOOD_RULE);
        /* A kernel without driver_override: nothing may happen to the device at all. */
        SETUP(unlink(p) < 0 ? -errno : 0);
        ROUND(e, .what = "driver_override missing", .changes = NONE,
              .apply_msgs = LIST("error: 0000:00:03.0 [8086:2922]: cannot set driver_override to vfio-pci: No such "
                                 "file or directory"),
              .check_code = 0);
        /* A FIFO: reading it must not block, writing it fails (no reader). */
        SETUP(mkfifo(p, 0644) < 0 ? -errno : 0);
        fifo_msg = xasprintf("error: 0000:00:03.0 [8086:2922]: cannot set driver_override to vfio-pci: %s",
                             strerror(ENXIO));
        ROUND(e, .what = "driver_override is a FIFO", .changes = NONE, .apply_msgs = LIST(fifo_msg), .check_code = 0);
        free(fifo_msg);
        clear_path(p);
        /* Garbage: replaced, and quoted escaped (terminal escapes, BEL, bytes beyond ASCII). */
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        SETUP(fd < 0 ? -errno : 0);
        SETUP(dprintf(fd, "evil\x1b[2J\x1b[31mRED\x07\xff\xfe%0200d\n", 0) < 0 ? -EIO : 0);
        close(fd);
        ROUND(e, .what = "driver_override with garbage", .changes = LIST(GOOD_CHANGES),
              .apply_msgs = LIST("0000:00:03.0 [8086:2922]: driver_override was "), .check_code = 0);
        free(p);
        tenv_free(e);
}

TEST(driver_link_surprises)
{
        struct tenv *e = machine();
        char *link = dev_file(e, "0000:00:03.0", "driver"), *unbind = tree_file(e, "bus/pci/unbind");

        tenv_config(e, GOOD_RULE);
        /* The driver went away (its directory is gone, the link still names it). */
        SETUP(unlink(link) < 0 ? -errno : 0);
        SETUP(symlink("../../../bus/pci/drivers/vanished", link) < 0 ? -errno : 0);
        ROUND(e, .what = "driver link pointing nowhere", .changes = LIST(OVR("0000:00:03.0")),
              .apply_msgs = LIST("error: 0000:00:03.0 [8086:2922]: unbinding from vanished failed: No such file or "
                                 "directory; it stays on vanished"),
              .check_code = 0);
        SETUP(fakesys_write(e->fs, OVR("0000:00:03.0"), "(null)\n"));
        /*
         * A link whose last component is "..": a driver name may not be a path step.
         * A file at bus/pci/unbind (the parent of drivers/) stands for anything that
         * "bus/pci/drivers/../unbind" could reach; it must stay untouched.
         */
        write_bytes(unbind, "", 0);
        SETUP(chmod(unbind, 0600) < 0 ? -errno : 0);
        SETUP(unlink(link) < 0 ? -errno : 0);
        SETUP(symlink("..", link) < 0 ? -errno : 0);
        ROUND(e, .what = "driver link named '..'", .changes = LIST(OVR("0000:00:03.0"), VFIO_BIND), .within = true,
              .check_code = -1);
        CHECK(strcmp(tread(e, "bus/pci/unbind"), "") == 0,
              "nothing written to bus/pci/unbind through a driver link "
              "named '..': '%s'",
              tread(e, "bus/pci/unbind"));
        free(link);
        free(unbind);
        tenv_free(e);
}

TEST(iommu_group_dangling)
{
        struct tenv *e = machine();
        char *link = dev_file(e, "0000:00:04.0", "iommu_group");

        SETUP(unlink(link) < 0 ? -errno : 0);
        SETUP(symlink("../../../kernel/iommu_groups/99", link) < 0 ? -errno : 0);
        tenv_config(e, "address 00:04.0 group\n");
        ROUND(e, .what = "iommu_group link pointing nowhere",
              .changes = LIST(OVR("0000:00:04.0"), "bus/pci/drivers/xhci_hcd/unbind", VFIO_BIND),
              .apply_msgs = LIST("0000:00:04.0 [1b36:000d]: cannot read its IOMMU group: No such file or directory"),
              .check_code = 0);
        free(link);
        tenv_free(e);
}

/*
 * An iommu_group link whose name is not a number: refused with a message,
 * never read as group 0. An endpoint shares group 0 with the host bridge
 * here, so 'group' on a misread device would pull it in.
 */
TEST(iommu_group_not_a_number)
{
        struct tenv *e = machine();
        char *link = dev_file(e, "0000:00:04.0", "iommu_group"), *dir = tree_file(e, "kernel/iommu_groups/abc");

        tenv_dev(e, &(struct fake_dev){.addr = "0000:00:05.0",
                                       .vendor = 0x8086,
                                       .device = 0x10d3,
                                       .subvendor = 0x1af4,
                                       .subdevice = 0x1100,
                                       .class = 0x020000,
                                       .driver = "e1000e",
                                       .group = "0"});
        SETUP(mkdir(dir, 0755) < 0 ? -errno : 0);
        SETUP(unlink(link) < 0 ? -errno : 0);
        SETUP(symlink("../../../kernel/iommu_groups/abc", link) < 0 ? -errno : 0);
        tenv_config(e, "address 00:04.0 group\n");
        ROUND(e, .what = "iommu_group link named 'abc'",
              .changes = LIST(OVR("0000:00:04.0"), "bus/pci/drivers/xhci_hcd/unbind", VFIO_BIND),
              .apply_msgs = LIST("0000:00:04.0 [1b36:000d]: cannot read its IOMMU group: Invalid argument"),
              .check_code = 0);
        CHECK(strcmp(tattr(e, "0000:00:05.0", "driver_override"), "(null)\n") == 0,
              "group 0's endpoint is not pulled in: its override is '%s'", tattr(e, "0000:00:05.0", "driver_override"));
        free(dir);
        free(link);
        tenv_free(e);
}

TEST(sysfs_not_a_tree)
{
        struct tenv *e = machine();
        char *file = xasprintf("%s/not-sysfs", e->dir), *msg;
        const char *args[] = {"--sysfs", file, "--config", e->config, "--cmdline", e->cmdline, NULL, NULL};
        struct result r = {0};
        const char *argv[16];
        size_t n = 0;

        tenv_config(e, GOOD_RULE);
        write_bytes(file, "x", 1);
        msg = xasprintf("%s/bus/pci/devices: cannot list PCI devices: Not a directory", file);
        argv[n++] = t_binary;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n++] = "apply";
        argv[n] = NULL;
        spawn_timed(e->dir, argv, &r, TIMEOUT_S, NULL, NULL);
        if (sane_run(&r, __FILE__, __LINE__, "--sysfs is a file: apply"))
                CHECK_RUN(&r, r.code == 0 && contains(r.err, msg), "--sysfs is a file: apply exits 0 and says so");
        argv[n - 1] = "check";
        spawn_timed(e->dir, argv, &r, TIMEOUT_S, NULL, NULL);
        if (sane_run(&r, __FILE__, __LINE__, "--sysfs is a file: check"))
                CHECK_RUN(&r, r.code == 1 && contains(r.err, msg), "--sysfs is a file: check exits 1 and says so");
        result_clear(&r);
        free(msg);
        free(file);
        tenv_free(e);
}

/* ---- a device that disappears ---- */

TEST(device_gone_link)
{
        struct tenv *e = machine();
        char *dir = tree_file(e, fakesys_dev_dir(e->fs, "0000:00:03.0"));
        char *away = xasprintf("%s/gone", fakesys_root(e->fs));
        char *w = no_match(e, 1, "address 00:03.0", false), *err = no_match(e, 1, "address 00:03.0", true);

        /* Unplugged before the run: bus/pci/devices/0000:00:03.0 dangles. */
        tenv_config(e, GOOD_RULE);
        SETUP(rename(dir, away) < 0 ? -errno : 0);
        ROUND(e, .what = "device directory gone, link dangling", .changes = NONE, .apply_msgs = LIST(w),
              .check_code = 1, .check_msgs = LIST(err));
        SETUP(rename(away, dir) < 0 ? -errno : 0);
        free(dir);
        free(away);
        free(w);
        free(err);
        tenv_free(e);
}

struct vanish {
        int inotify;
        const char *dir, *away;
        bool moved;
};

/* Moves the device away as soon as its uevent has been read (closed after reading). */
static void vanish_tick(void *userdata)
{
        struct vanish *v = userdata;
        struct pollfd p = {.fd = v->inotify, .events = POLLIN};
        char buf[4096];

        if (v->moved || poll(&p, 1, 2) <= 0)
                return;
        if (read(v->inotify, buf, sizeof(buf)) > 0 && rename(v->dir, v->away) == 0)
                v->moved = true;
}

TEST(device_gone_race)
{
        struct tenv *e = machine();
        char *dir = tree_file(e, fakesys_dev_dir(e->fs, "0000:00:03.0")),
             *uevent = dev_file(e, "0000:00:03.0", "uevent");
        char *away = xasprintf("%s/gone", fakesys_root(e->fs));
        unsigned gone = 0, complete = 0, tries = 8;

        /*
         * Unplugged while apply runs: the device's directory is moved out of the
         * tree the moment its uevent has been read. A few hundred more functions
         * make the enumeration last long enough for the move to come before the
         * writes, mostly. Whenever the move comes, the outcome is one of two: the
         * device is reported gone, or (the move came after all of it) the claim
         * went through; and never a write to anything else.
         */
        for (unsigned i = 0; i < 240; i++) {
                char addr[16];

                snprintf(addr, sizeof(addr), "0000:%02x:%02x.%u", 0x10 + i / 32 / 8, (i / 8) % 32, i % 8);
                tenv_dev(e, &(struct fake_dev){.addr = addr,
                                               .vendor = 0x15b3,
                                               .device = 0x101e,
                                               .subvendor = 0x15b3,
                                               .class = 0x020000,
                                               .driver = "mlx5_core"});
        }
        tenv_config(e, GOOD_RULE);
        for (unsigned t = 0; t < tries; t++) {
                struct fakesys_snapshot before = {0}, after = {0};
                struct vanish v = {.dir = dir, .away = away};
                struct result r = {0};

                char *bind_before;

                SETUP(fakesys_write(e->fs, OVR("0000:00:03.0"), "(null)\n"));
                bind_before = strdup(tread(e, VFIO_BIND));
                if (!bind_before)
                        t_fatal(__FILE__, __LINE__, "strdup", -ENOMEM);
                tsnap(e, &before);
                v.inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                SETUP(v.inotify < 0 || inotify_add_watch(v.inotify, uevent, IN_CLOSE_NOWRITE) < 0 ? -errno : 0);
                hrun_tick(e, &r, vanish_tick, &v, (const char *const[]){"apply", NULL});
                close(v.inotify);
                if (v.moved)
                        SETUP(rename(away, dir) < 0 ? -errno : 0);
                tsnap(e, &after);
                if (sane_run(&r, __FILE__, __LINE__, "device vanishing during apply"))
                        CHECK_RUN(&r, r.code == 0, "device vanishing during apply: exit 0");
                check_changes_within(e, &before, &after, LIST(GOOD_CHANGES), __FILE__, __LINE__,
                                     "device vanishing during apply: nothing else written");
                if (contains(r.err, "0000:00:03.0 [8086:2922]: device is gone"))
                        gone++;
                else if (strcmp(tattr(e, "0000:00:03.0", "driver_override"), "vfio-pci\n") == 0 &&
                         strncmp(tread(e, VFIO_BIND), bind_before, strlen(bind_before)) == 0 &&
                         strcmp(tread(e, VFIO_BIND) + strlen(bind_before), "0000:00:03.0\n") == 0)
                        complete++;
                else
                        CHECK_RUN(&r, false, "device vanishing during apply: reported gone, or claimed before it went");
                free(bind_before);
                fakesys_snapshot_clear(&before);
                fakesys_snapshot_clear(&after);
                result_clear(&r);
        }
        t_diag("device moved away during apply: %u of %u runs said 'device is gone', %u finished before the move", gone,
               tries, complete);
        free(dir);
        free(uevent);
        free(away);
        tenv_free(e);
}

TEST(summary)
{
        t_diag("%u runs of vfio-claim, the slowest %.2f s (the limit is %.0f s)", n_runs, slowest_run, TIMEOUT_S);
        CHECK(n_runs > 0 && slowest_run < TIMEOUT_S, "no run came near the time limit");
}
