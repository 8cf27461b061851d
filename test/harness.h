/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the integration tests share: TAP output and checks, a scratch
 * environment around a fake sysfs tree, running the real vfio-claim binary,
 * snapshot expectations and a small strict JSON parser.
 *
 * One harness for every C test: the unit tests use its registration and
 * checks only. Usage: test-NAME [VFIO-CLAIM [MKFAKESYS]].
 *
 * Exit codes: 0 all passed, 1 a check failed, 77 skipped (no binary), 99 the
 * fixture itself could not be set up. Output is TAP: "ok N - case: what",
 * diagnostics as "# ..." lines (a failed check on a run shows the command,
 * its exit code, stdout and stderr).
 *
 * Environment: T_ONLY=case,case runs only those cases; FAKESYS_KEEP=1 keeps
 * every tree and scratch directory for a look (their paths are printed);
 * VFIO_CLAIM and MKFAKESYS stand in for the first two arguments. To rerun a
 * failed check by hand, copy its command line: the tree is left with
 * FAKESYS_KEEP=1.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "fakesys.h"

/* ---- registration and TAP ---- */

/*
 * A test file is a list of cases, each registered where it is defined:
 *
 *   TEST(twins_by_address)
 *   {
 *           CHECK(..., "what it means");
 *   }
 *
 * The harness's main() runs them in the order of the file (a case may not
 * rely on another having run, but a closing summary case may come last) and
 * prints TAP. Its name on the TAP lines and in $T_ONLY has dashes for the
 * underscores: "twins-by-address". A file whose cases run the vfio-claim
 * binary says TEST_NEEDS_BINARY() once: without argv[1] (or $VFIO_CLAIM) the
 * whole file is skipped.
 */
struct t_case {
        const char *name; /* the identifier, "twins_by_address" */
        void (*fn)(void);
        int line; /* runs in line order */
};

void t_register(const struct t_case *c);
extern bool t_needs_binary;

#define TEST(n)                                                                                                        \
        static void test_##n(void);                                                                                    \
        static const struct t_case t_case_##n = {#n, test_##n, __LINE__};                                              \
        __attribute__((constructor)) static void t_register_##n(void)                                                  \
        {                                                                                                              \
                t_register(&t_case_##n);                                                                               \
        }                                                                                                              \
        static void test_##n(void)

#define TEST_NEEDS_BINARY()                                                                                            \
        __attribute__((constructor)) static void t_needs_binary_set(void)                                              \
        {                                                                                                              \
                t_needs_binary = true;                                                                                 \
        }

/*
 * The checks, one TAP line each ("ok N - case: message"); a failure adds
 * "#   at file:line" and, for CHECK_INT and CHECK_STR, both values.
 *   CHECK(cond)                 the message is the condition's text
 *   CHECK(cond, fmt, ...)       a message of its own
 *   CHECK_INT(a, b), CHECK_STR(a, b)   "a == b", as integers or strings (NULL never equals)
 *   CHECK_RUN(r, cond, fmt, ...)       a check on a run of a program (below)
 * Each returns whether it passed.
 */
bool t_check(bool ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool t_check_int(long long a, long long b, const char *file, int line, const char *what);
bool t_check_str(const char *a, const char *b, const char *file, int line, const char *what);
void t_skip(const char *why);
void t_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_diag_text(const char *label, const char *text);
_Noreturn void t_fatal(const char *file, int line, const char *what, int err);
/* asprintf that ends the test on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* This process's environment with LC_ALL=C, for the binary under test. */
char **child_environ(void);
/* The same with each NAME=VALUE of the NULL-terminated vars in place of NAME; malloc'd
 * (free() the array only: the strings are this process's and the caller's). */
char **t_environ(const char *const *vars);

#define T_CHECK_PICK_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, name, ...) name
#define T_CHECK_BARE_(cond)                                                                             t_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define T_CHECK_MSG_(cond, ...)                                                                         t_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK(...)                                                                                                     \
        T_CHECK_PICK_(__VA_ARGS__, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, \
                      T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_,              \
                      T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_MSG_, T_CHECK_BARE_, _)                                      \
        (__VA_ARGS__)
#define CHECK_INT(a, b) t_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a " == " #b)
#define CHECK_STR(a, b) t_check_str((a), (b), __FILE__, __LINE__, #a " == " #b)
/* A fixture step that must work; a failure is the harness's problem (exit 99). */
#define SETUP(expr)                                                                                                    \
        do {                                                                                                           \
                int _r_ = (expr);                                                                                      \
                if (_r_ < 0)                                                                                           \
                        t_fatal(__FILE__, __LINE__, #expr, _r_);                                                       \
        } while (0)

extern const char *t_binary;    /* the vfio-claim under test */
extern const char *t_mkfakesys; /* NULL when not given */

/* vfio-claim's exit code for a usage error (cmd/cmd.h): EX_USAGE of sysexits.h. */
#define T_EXIT_USAGE 64

/* ---- the environment of one run ---- */

struct tenv {
        struct fakesys *fs;
        char *dir;      /* scratch directory beside the tree */
        char *config;   /* dir/vfio-claim.conf, not created until tenv_config() */
        char *cmdline;  /* dir/cmdline */
        char *proc;     /* dir/proc, with self/mountinfo and swaps */
        char *dev;      /* dir/dev */
        char *etc;      /* dir/etc: passwd and group for owner names (--etc) */
        char *owners;   /* dir/owners: an initramfs' owners file (--owners), not created */
        char *boot_log; /* dir/run/boot.log */
        char *run;      /* dir/run, for --run: udev/data/ of the tests that need one */
        unsigned runs;
};

struct tenv *tenv_new(void);
/*
 * The machine most tests use, a q35 with three identical AHCI controllers
 * (8086:2922, subsystem 1af4:1100, class 010601), all on ahci:
 *   00:00.0 host bridge 8086:29c0 (060000)            group 0, no driver
 *   00:01.0 root port 1b36:000c (060400) pcieport      group 1
 *     01:00.0 GPU 10de:1b80 (030000) nouveau           group 1, boot_vga 0
 *     01:00.1 HDMI audio 10de:10f0 (040300) snd_hda_intel group 1
 *   00:02.0 VGA 1234:1111 (030000) bochs-drm           group 2, boot_vga 1
 *   00:03.0 AHCI, the second controller                group 4
 *   00:04.0 xHCI 1b36:000d (0c0330) xhci_hcd           group 5
 *   00:1c.0 root port 8086:2940 (060400) pcieport      group 6
 *     02:00.0 AHCI, the third controller               group 7
 *   00:1f.0 LPC 8086:2918 (060100) lpc_ich             group 3
 *   00:1f.2 AHCI, the boot disk's controller           group 3
 *   00:1f.3 SMBus 8086:2930 (0c0500) i801_smbus        group 3
 * and the drivers vfio-pci and pci-stub registered. Subsystem 1af4:1100
 * everywhere but on the GPU functions (1458:3702).
 */
void tenv_machine(struct tenv *e);
void tenv_free(struct tenv *e);
void tenv_config(struct tenv *e, const char *text);
void tenv_cmdline(struct tenv *e, const char *text);
/* A file in the scratch directory (parents made); returns its absolute path, malloc'd. */
char *tenv_file(struct tenv *e, const char *rel, const char *text);
void tenv_dev(struct tenv *e, const struct fake_dev *d);

struct result {
        int code;   /* exit code, or 128 + signal */
        char *out;  /* stdout */
        char *err;  /* stderr */
        char *argv; /* the command, for messages */
        int pgid;   /* the command's process group (t_spawn) */
};

void result_clear(struct result *r);
/* Clears r and records argv as a shell-quoted command line, for messages. */
void result_start(struct result *r, const char *const *argv);

/* The binary and the options that point it into e (--sysfs, --config, --cmdline,
 * --proc, --run, --dev, --etc, --owners, --boot-log): fills argv from the start, returns the count. */
size_t tenv_argv(const struct tenv *e, const char **argv);

/* Runs vfio-claim with --sysfs, --config, --cmdline, --proc, --dev and --boot-log
 * pointing into e, then the NULL-terminated arguments. */
void tenv_run(struct tenv *e, struct result *r, ...) __attribute__((sentinel));
/* The fake tree's kernel (test/fake-kernel.c, an LD_PRELOAD shim meson names
 * in $FAKE_KERNEL_SHIM): false, with the test skipped, where it is absent. */
bool t_have_kernel_shim(void);
/* vfio-claim with e's roots and args (NULL-terminated) with that shim
 * preloaded, and vars ("NAME=VALUE", NULL-terminated; NULL: none) set. */
void tenv_run_kernel(struct tenv *e, struct result *r, const char *const *args, const char *const *vars);
/* Runs prog with the NULL-terminated arguments and input on stdin (NULL: /dev/null). */
void t_run_prog(struct result *r, const char *prog, const char *const *args, const char *input);

/*
 * How t_spawn runs a program: stdout and stderr into files in dir, input on
 * stdin (NULL: /dev/null), env as its environment (NULL: child_environ()),
 * in a process group of its own. Past timeout seconds (0: none) the group is
 * killed and r->code is -1; tick, when set, is called about every 2 ms while
 * the program runs. Whatever the group left behind when the program exits
 * (a background child) is killed too.
 */
struct t_spawn {
        const char *dir;
        const char *input;
        char *const *env;
        double timeout;
        void (*tick)(void *userdata);
        void *userdata;
        /* Leave what the command left running in its process group (apply's
         * work past its deadline) to the caller: kill(-r->pgid, SIGKILL). */
        bool leave_group;
};

void t_spawn(struct result *r, const char *const *argv, const struct t_spawn *how);
/* Monotonic seconds. */
double t_now(void);

/* A check on a run: on failure the command, its exit code and output are shown. */
bool t_check_run(const struct result *r, bool ok, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
#define CHECK_RUN(r, cond, ...) t_check_run((r), !!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* A whole file, malloc'd; "" when it cannot be read. */
char *t_slurp(const char *path);
bool contains(const char *haystack, const char *needle);
size_t count(const char *haystack, const char *needle);
/* The lines of text that contain every one of the NULL-terminated needles. */
size_t count_lines_with(const char *text, ...) __attribute__((sentinel));

/* ---- the tree ---- */

/* Content of a file in the tree, "" when missing; valid for the next 15 calls. */
const char *tread(struct tenv *e, const char *relpath);
/* The device's attribute, through bus/pci/devices/ADDR/ATTR. */
const char *tattr(struct tenv *e, const char *addr, const char *attr);

void tsnap(struct tenv *e, struct fakesys_snapshot *s);
/* Checks that from before to after exactly the listed paths (relative, symlinks allowed,
 * NULL-terminated) changed content and nothing else changed at all. */
bool t_check_changes(struct tenv *e, const struct fakesys_snapshot *before, const struct fakesys_snapshot *after,
                     const char *const *paths, const char *file, int line, const char *what);
#define CHECK_CHANGES(e, before, after, what, ...)                                                                     \
        t_check_changes((e), (before), (after), (const char *const[]){__VA_ARGS__}, __FILE__, __LINE__, (what))

/* ---- JSON ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
        enum json_type type;
        bool b;
        double num;
        char *str;
        size_t n; /* array items or object members */
        struct json *items;
        char **keys; /* objects */
};

/* Exactly one JSON document (RFC 8259) plus blanks; NULL and *err on anything else. */
struct json *json_parse(const char *text, const char **err);
void json_free(struct json *j);
/* "devices.0.address": object members by name, array items by index. NULL when absent. */
const struct json *json_path(const struct json *j, const char *path);
const char *json_path_str(const struct json *j, const char *path);
/* 1: python3 -m json.tool accepts text, 0: it rejects it, -1: no python3. */
int t_python_json(const char *text);
