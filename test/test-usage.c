// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim's command line (issue 18, item 2): each verb takes its own
 * options and the global ones, before or after the verb, and the number of
 * arguments it declares. Anything else is a usage error: exit 64 (EX_USAGE),
 * none of check's 0 to 3 that the initramfs build hooks read, a message that
 * names the verb and its --help, and nothing run (the tree is compared
 * before and after). The command lines the hooks, the udev rule, the tests
 * and the documentation use keep working, in either order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

/* The options of the verbs, as vfio-claim(8) lists them: this test's own
 * account, not the binary's. value: what an option that takes one is given. */
static const struct opt {
        const char *name;  /* "--dry-run" */
        const char *alias; /* the short form, NULL: none */
        const char *value;
        const char *verbs; /* " apply claim " */
} opts[] = {
        {"--dry-run", "-n", NULL, " apply claim "},
        {"--device", NULL, "0000:00:03.0", " apply "},
        {"--kernel", "-k", "6.1.0-18-amd64", " check "},
        {"--fail-busy", NULL, NULL, " check "},
        {"--force", "-f", NULL, " claim release add "},
        {"--write", NULL, NULL, " import cdi "},
        {"--root", NULL, "/nonexistent", " check import add remove "},
        {"--by", NULL, "path", " add "},
        {"--driver", NULL, "pci-stub", " add "},
        {"--no-rebuild", NULL, NULL, " add remove "},
        {"--json", "-j", NULL, " check list status "},
        {"--prometheus", NULL, NULL, " status claim release "},
};

/* Every verb, with the arguments it needs to run at all. */
static const struct verb {
        const char *name;
        const char *arg; /* NULL: takes none */
} verbs[] = {
        {"apply", NULL},        {"check", NULL},  {"list", NULL}, {"status", NULL},   {"claim", "00:03.0"},
        {"release", "00:03.0"}, {"import", NULL}, {"cdi", NULL},  {"add", "00:03.0"}, {"remove", "00:03.0"},
};

static bool takes(const struct opt *o, const char *verb)
{
        char word[32];

        snprintf(word, sizeof(word), " %s ", verb);
        return strstr(o->verbs, word) != NULL;
}

/* A machine with one rule, its tree taken before the runs; finish() checks
 * that none of them wrote anything and frees it all. */
struct fixture {
        struct tenv *e;
        struct fakesys_snapshot before;
        struct result r;
};

static void start(struct fixture *f)
{
        *f = (struct fixture){.e = tenv_new()};
        tenv_machine(f->e);
        tenv_config(f->e, "address 00:03.0\n");
        tsnap(f->e, &f->before);
}

static void finish(struct fixture *f, const char *what)
{
        struct fakesys_snapshot after;

        tsnap(f->e, &after);
        CHECK_CHANGES(f->e, &f->before, &after, what, NULL);
        fakesys_snapshot_clear(&f->before);
        fakesys_snapshot_clear(&after);
        result_clear(&f->r);
        tenv_free(f->e);
}

/* vfio-claim with the verb first and then e's options (--sysfs ...), then the rest. */
static void run_verb_first(struct tenv *e, struct result *r, const char *verb, const char *const *rest)
{
        const char *argv[64];
        size_t n = tenv_argv(e, argv);

        memmove(&argv[2], &argv[1], (n - 1) * sizeof(argv[0]));
        argv[1] = verb;
        n++;
        for (size_t i = 0; rest && rest[i] && n < 63; i++)
                argv[n++] = rest[i];
        argv[n] = NULL;
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir});
}

static bool usage_error(const struct result *r, const char *verb, const char *what)
{
        char *said, *see;
        bool ok;

        if (asprintf(&said, "vfio-claim: %s: %s", verb, what) < 0 ||
            asprintf(&see, "see 'vfio-claim %s --help'", verb) < 0)
                abort();
        ok = r->code == T_EXIT_USAGE && contains(r->err, said) && contains(r->err, see) && r->out[0] == 0 &&
             count(r->err, "\n") == 1;
        free(said);
        free(see);
        return ok;
}

/* The Done-when lines of the issue, word for word: verb, option, what is said. */
static const struct {
        const char *verb, *option, *said, *why;
} named[] = {
        {"list", "--write", "unknown option '--write' (an option of import, cdi)",
         "names the verb, the option, whose it is and the help"},
        {"status", "--fail-busy", "unknown option '--fail-busy' (an option of check)", "another verb's option"},
        {"check", "--no-such-option", "unknown option '--no-such-option';", "no verb claims it"},
        {"check", "--no-such-option=1", "unknown option '--no-such-option';", "named without its value"},
};

TEST(named_in_the_issue)
{
        struct fixture f;

        start(&f);
        for (size_t i = 0; i < ELEMENTS(named); i++) {
                tenv_run(f.e, &f.r, named[i].verb, named[i].option, NULL);
                CHECK_RUN(&f.r, usage_error(&f.r, named[i].verb, named[i].said), "%s %s: usage error 64, %s",
                          named[i].verb, named[i].option, named[i].why);
        }
        finish(&f, "a usage error runs nothing");
}

/* Every verb against every option of another verb, long and short after
 * the verb, and the first of them before it too (the same parse: fewer runs
 * under ASan): refused, and nothing runs (claim and release would write). */
TEST(other_verbs_options)
{
        struct fixture f;
        unsigned refused = 0, wrong = 0, before_done[ELEMENTS(verbs)] = {0};

        start(&f);
        for (size_t v = 0; v < ELEMENTS(verbs); v++)
                for (size_t i = 0; i < ELEMENTS(opts); i++) {
                        const struct opt *o = &opts[i];

                        if (takes(o, verbs[v].name))
                                continue;
                        for (int form = 0; form < 3; form++) {
                                const char *spelt = form == 2 ? o->alias : o->name;
                                const char *rest[] = {spelt, o->value ? o->value : verbs[v].arg,
                                                      o->value ? verbs[v].arg : NULL, NULL};
                                char what[96];

                                if (!spelt || (form == 1 && before_done[v]++))
                                        continue;
                                if (form == 1)
                                        tenv_run(f.e, &f.r, spelt, o->value ? o->value : verbs[v].name,
                                                 o->value ? verbs[v].name : verbs[v].arg,
                                                 o->value ? verbs[v].arg : NULL, NULL);
                                else
                                        tenv_run(f.e, &f.r, verbs[v].name, rest[0], rest[1], rest[2], NULL);
                                if (strcmp(o->name, "--json") == 0)
                                        snprintf(what, sizeof(what),
                                                 "no JSON output (--json is for check, list, status, doctor)");
                                else
                                        snprintf(what, sizeof(what), "unknown option '%s' (an option of", spelt);
                                if (usage_error(&f.r, verbs[v].name, what))
                                        refused++;
                                else if (wrong++ < 3)
                                        CHECK_RUN(&f.r, false, "%s refuses %s", verbs[v].name, spelt);
                        }
                }
        CHECK(wrong == 0 && refused > 50,
              "every verb refuses every other verb's option, in every place (%u refused, %u not)", refused, wrong);
        finish(&f, "none of them ran");
}

TEST(argument_count)
{
        struct fixture f;

        start(&f);
        for (size_t v = 0; v < ELEMENTS(verbs); v++) {
                char *want;

                if (verbs[v].arg) {
                        tenv_run(f.e, &f.r, verbs[v].name, NULL);
                        SETUP(asprintf(&want, "vfio-claim: %s needs ", verbs[v].name));
                } else {
                        tenv_run(f.e, &f.r, verbs[v].name, "extra", NULL);
                        SETUP(asprintf(&want, "vfio-claim: %s takes no arguments; see 'vfio-claim %s --help'",
                                       verbs[v].name, verbs[v].name));
                }
                CHECK_RUN(&f.r, f.r.code == T_EXIT_USAGE && contains(f.r.err, want) && f.r.out[0] == 0, "%s: %s",
                          verbs[v].name,
                          verbs[v].arg ? "a missing argument is a usage error" : "an extra argument is a usage error");
                free(want);
        }
        tenv_run(f.e, &f.r, "check", "--kernel", NULL);
        CHECK_RUN(&f.r, usage_error(&f.r, "check", "option --kernel needs a value"), "an option without its value");
        tenv_run(f.e, &f.r, "status", "--json=yes", NULL);
        CHECK_RUN(&f.r, usage_error(&f.r, "status", "option --json takes no value"),
                  "a value for an option that takes none");
        tenv_run(f.e, &f.r, NULL);
        CHECK_RUN(&f.r, f.r.code == T_EXIT_USAGE && contains(f.r.err, "no verb given"), "no verb: usage error");
        tenv_run(f.e, &f.r, "lsit", NULL);
        CHECK_RUN(&f.r, f.r.code == T_EXIT_USAGE && contains(f.r.err, "unknown verb 'lsit'"),
                  "an unknown verb: usage error");
        tenv_run(f.e, &f.r, "--no-such-option", NULL);
        CHECK_RUN(&f.r,
                  f.r.code == T_EXIT_USAGE &&
                          contains(f.r.err, "vfio-claim: unknown option '--no-such-option'; see 'vfio-claim --help'"),
                  "an unknown option without a verb: usage error");
        finish(&f, "none of them ran");
}

/* stderr with every number as N: apply says how many ms it took. */
static char *numbers_out(const char *text)
{
        char *s = strdup(text), *w = s;

        if (!s)
                abort();
        for (const char *p = text; *p; p++)
                if (*p >= '0' && *p <= '9') {
                        if (w == s || w[-1] != 'N')
                                *w++ = 'N';
                } else
                        *w++ = *p;
        *w = 0;
        return s;
}

/* A command line and the same words in another order: the same run. */
static void same_run(struct tenv *e, const char *what, const char *const *a, const char *const *b, bool verb_first_b)
{
        struct result ra = {0}, rb = {0};
        const char *argv[64];
        char *ea, *eb;
        size_t n = tenv_argv(e, argv);

        for (size_t i = 0; a[i] && n < 63; i++)
                argv[n++] = a[i];
        argv[n] = NULL;
        t_spawn(&ra, argv, &(struct t_spawn){.dir = e->dir});
        if (verb_first_b)
                run_verb_first(e, &rb, b[0], b + 1);
        else {
                n = tenv_argv(e, argv);
                for (size_t i = 0; b[i] && n < 63; i++)
                        argv[n++] = b[i];
                argv[n] = NULL;
                t_spawn(&rb, argv, &(struct t_spawn){.dir = e->dir});
        }
        CHECK_RUN(&ra, ra.code != T_EXIT_USAGE && ra.code >= 0 && ra.code <= 3 && !contains(ra.err, "see 'vfio-claim"),
                  "%s: runs (exit %d)", what, ra.code);
        ea = numbers_out(ra.err);
        eb = numbers_out(rb.err);
        CHECK_RUN(&rb, rb.code == ra.code && strcmp(rb.out, ra.out) == 0 && strcmp(ea, eb) == 0,
                  "%s: the other order is the same run (exit %d and %d)", what, ra.code, rb.code);
        free(ea);
        free(eb);
        result_clear(&ra);
        result_clear(&rb);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(valid_forms)
{
        struct fixture f;
        struct tenv *e;
        char *root;

        start(&f);
        e = f.e;
        root = tenv_file(e, "root/etc/modprobe.d/vfio.conf", "options vfio-pci ids=8086:2922\n");
        *strstr(root, "/etc/") = 0;
        /* The global options after the verb too (tenv's --sysfs ... stand after it in b). */
        same_run(e, "status --json", ARGS("status", "--json"), ARGS("status", "--json"), true);
        same_run(e, "--json status", ARGS("--json", "status"), ARGS("status", "--json"), false);
        same_run(e, "list -j -v", ARGS("-j", "-v", "list"), ARGS("list", "-v", "-j"), true);
        same_run(e, "list -v", ARGS("-v", "list"), ARGS("list", "-v"), false);
        /* The hooks' line, and the vm suite's older order. */
        same_run(e, "check --kernel REL --fail-busy", ARGS("check", "--kernel", "6.1.0-18-amd64", "--fail-busy"),
                 ARGS("--kernel", "6.1.0-18-amd64", "--fail-busy", "check"), false);
        same_run(e, "check -k REL", ARGS("check", "-k", "6.1.0-18-amd64"), ARGS("check", "--kernel=6.1.0-18-amd64"),
                 true);
        same_run(e, "check --json --fail-busy", ARGS("check", "--json", "--fail-busy"),
                 ARGS("--fail-busy", "-j", "check"), false);
        same_run(e, "apply --dry-run", ARGS("apply", "--dry-run"), ARGS("--dry-run", "apply"), false);
        same_run(e, "apply -n", ARGS("apply", "-n"), ARGS("apply", "--dry-run"), true);
        same_run(e, "apply --device ADDR --dry-run", ARGS("apply", "--device", "0000:00:04.0", "--dry-run"),
                 ARGS("--dry-run", "apply", "--device=0000:00:04.0"), false);
        same_run(e, "claim --dry-run ADDR", ARGS("claim", "--dry-run", "00:03.0"), ARGS("claim", "00:03.0", "-n"),
                 true);
        same_run(e, "claim -n id ID", ARGS("--dry-run", "claim", "id", "8086:2922"),
                 ARGS("claim", "id", "8086:2922", "--dry-run"), false);
        same_run(e, "release --force ADDR (not held: left alone)", ARGS("release", "--force", "00:04.0"),
                 ARGS("release", "00:04.0", "-f"), true);
        same_run(e, "import --root DIR", ARGS("import", "--root", root), ARGS("--root", root, "import"), false);
        /* check's own option reaches the library: it refuses a release that is no file name. */
        tenv_run(f.e, &f.r, "check", "--kernel", "6.1/x", NULL);
        CHECK_RUN(&f.r, f.r.code == 1 && contains(f.r.err, "--kernel=6.1/x: not a kernel release"),
                  "check --kernel goes to the library context (exit 1 for a release with a '/')");
        tenv_run(f.e, &f.r, "status", "--json", NULL);
        {
                const char *err = NULL;
                struct json *j = json_parse(f.r.out, &err);

                CHECK_RUN(&f.r, j && json_path(j, "devices") && f.r.code == 1,
                          "status --json: a JSON document, exit 1 (%s)", err ? err : "parsed");
                json_free(j);
        }
        free(root);
        finish(&f, "dry runs and reports wrote nothing");
}

/* The text between "\n  NAME" (a verb's line in --help) and the next verb's line. */
static char *verb_block(const char *help, const char *name)
{
        char *head, *p, *end;

        SETUP(asprintf(&head, "\n  %s ", name));
        p = strstr(help, head);
        free(head);
        if (!p)
                return strdup("");
        end = strstr(p + 1, "\n  ");
        while (end && end[3] == ' ')
                end = strstr(end + 1, "\n  ");
        return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

TEST(help_lists_each_verbs_options)
{
        struct fixture f;

        start(&f);

        tenv_run(f.e, &f.r, "--help", NULL);
        CHECK_RUN(&f.r, f.r.code == 0 && contains(f.r.out, "Usage: vfio-claim [OPTIONS] VERB"), "--help: exit 0");
        CHECK_RUN(&f.r,
                  contains(f.r.out, "--config=FILE") && contains(f.r.out, "--sysfs=DIR") && contains(f.r.out, "--json"),
                  "--help: the global options");
        for (size_t v = 0; v < ELEMENTS(verbs); v++) {
                char *block = verb_block(f.r.out, verbs[v].name);

                for (size_t i = 0; i < ELEMENTS(opts); i++) {
                        bool own = takes(&opts[i], verbs[v].name) && strcmp(opts[i].name, "--json") != 0;

                        CHECK(contains(block, opts[i].name) == own, "--help: %s %s under %s", opts[i].name,
                              own ? "listed" : "not listed", verbs[v].name);
                }
                free(block);
        }
        for (size_t v = 0; v < ELEMENTS(verbs); v++) {
                struct result h = {0};
                bool ok = true;

                tenv_run(f.e, &h, verbs[v].name, "--help", NULL);
                for (size_t i = 0; i < ELEMENTS(opts); i++)
                        ok = ok && contains(h.out, opts[i].name) ==
                                           (takes(&opts[i], verbs[v].name) || strcmp(opts[i].name, "--json") == 0);
                CHECK_RUN(&h, h.code == 0 && ok && contains(h.out, "--sysfs=DIR"),
                          "%s --help: its own options and the global ones, no other verb's", verbs[v].name);
                result_clear(&h);
        }
        finish(&f, "--help writes nothing");
}
