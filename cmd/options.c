// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The option machinery of options.h, one for every verb: it finds the verb,
 * makes getopt_long's options from the global table and the verb's, checks
 * the argument count, and prints --help from the same tables.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "options.h"

/* getopt's value for an option: past every character, then its index in the set. */
#define OPT_BASE   0x100
#define OPTSET_MAX 64

/* The options one parse knows, each name once: getopt_long's table and optstring. */
struct optset {
        const struct option_spec *spec[OPTSET_MAX];
        struct option longs[OPTSET_MAX + 1];
        char shorts[2 + 2 * OPTSET_MAX + 1];
        size_t n, n_shorts;
};

/* prefix: "+:" stops at the first word that is no option, ":" permutes; the
 * ':' makes a missing value ':' rather than '?'. */
static void optset_init(struct optset *set, const char *prefix)
{
        *set = (struct optset){0};
        set->n_shorts = strlen(prefix);
        memcpy(set->shorts, prefix, set->n_shorts);
}

static bool optset_has(const struct optset *set, const char *name)
{
        for (size_t i = 0; i < set->n; i++)
                if (strcmp(set->spec[i]->name, name) == 0)
                        return true;
        return false;
}

/* -E2BIG when the set is full: more options than OPTSET_MAX, a bug in the tables. */
static int optset_add(struct optset *set, const struct option_spec *table, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct option_spec *o = &table[i];

                if (optset_has(set, o->name))
                        continue;
                if (set->n == OPTSET_MAX)
                        return -E2BIG;
                set->spec[set->n] = o;
                set->longs[set->n] = (struct option){o->name,
                                                     o->kind == OPT_STRING_OPTIONAL ? optional_argument
                                                     : o->value                     ? required_argument
                                                                                    : no_argument,
                                                     NULL, OPT_BASE + (int)set->n};
                if (o->short_name) {
                        set->shorts[set->n_shorts++] = (char)o->short_name;
                        if (o->value)
                                set->shorts[set->n_shorts++] = ':';
                        if (o->value && o->kind == OPT_STRING_OPTIONAL)
                                set->shorts[set->n_shorts++] = ':';
                }
                set->n++;
        }
        return 0;
}

/* What getopt_long returned (or its optopt) as the option it stands for; NULL: none. */
static const struct option_spec *optset_spec(const struct optset *set, int c)
{
        if (c >= OPT_BASE && c < OPT_BASE + (int)set->n)
                return set->spec[c - OPT_BASE];
        for (size_t i = 0; c > 0 && i < set->n; i++)
                if (set->spec[i]->short_name == c)
                        return set->spec[i];
        return NULL;
}

/* ---- --help ---- */

/* The help column: where the text starts after the option's names. */
#define HELP_COLUMN 22

static void print_option(const struct option_spec *o, int indent)
{
        char left[64];
        int width = HELP_COLUMN - 1 - indent;

        bool optional = o->kind == OPT_STRING_OPTIONAL;

        snprintf(left, sizeof(left), "%c%c%c --%s%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
                 optional   ? "[="
                 : o->value ? "="
                            : "",
                 o->value ? o->value : "", optional ? "]" : "");
        if ((int)strlen(left) > width)
                printf("%*s%s\n%*s", indent, "", left, HELP_COLUMN, "");
        else
                printf("%*s%-*s ", indent, "", width, left);
        for (const char *h = o->help; *h; h++)
                if (*h == '\n')
                        printf("\n%*s", HELP_COLUMN, "");
                else
                        putchar(*h);
        putchar('\n');
}

static void print_options(const struct option_spec *table, size_t n, int indent)
{
        for (size_t i = 0; i < n; i++)
                print_option(&table[i], indent);
}

static void print_globals(const struct cli *cli)
{
        printf("\nOptions of every verb, before or after it:\n");
        print_options(cli->globals, cli->n_globals, 2);
}

static void help(const struct cli *cli)
{
        printf("Usage: vfio-claim [OPTIONS] VERB [OPTIONS] [ARGS]\n%s\n\nVerbs, each with the options it takes:\n",
               cli->summary);
        for (size_t i = 0; i < cli->n_verbs; i++) {
                const struct verb *v = cli->verbs[i];
                char left[64];

                snprintf(left, sizeof(left), "%s%s%s", v->name, v->args ? " " : "", v->args ? v->args : "");
                printf("  %-*s %s\n", HELP_COLUMN - 3, left, v->help);
                print_options(v->options, v->n_options, 4);
        }
        print_globals(cli);
        printf("\n'vfio-claim VERB --help' shows one verb. Exit status %d: a usage error (an unknown verb\n"
               "or option, an option without its value, too few or too many arguments); vfio-claim(8)\n"
               "has every verb's exit codes.\n",
               EXIT_USAGE);
}

static void help_verb(const struct cli *cli, const struct verb *v)
{
        printf("Usage: vfio-claim [OPTIONS] %s%s%s%s\n%s\n", v->name, v->n_options ? " [OPTIONS]" : "",
               v->args ? " " : "", v->args ? v->args : "", v->help);
        if (v->n_options) {
                printf("\nOptions of %s:\n", v->name);
                print_options(v->options, v->n_options, 2);
        } else
                printf("\n%s has no options of its own.\n", v->name);
        print_globals(cli);
}

/* ---- usage errors ---- */

/* "vfio-claim: [VERB: ]MESSAGE; see 'vfio-claim [VERB ]--help'"; name: say VERB first. */
static int usage(const struct verb *v, bool name, const char *fmt, ...) _printf_(3, 4);
static int usage(const struct verb *v, bool name, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "vfio-claim: %s%s", name && v ? v->name : "", name && v ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "; see 'vfio-claim %s%s--help'\n", v ? v->name : "", v ? " " : "");
        return -EINVAL;
}

/* The verbs other than v that take the option spelt text ("--write", "-f"), for the message. */
static void owners(const struct cli *cli, const struct verb *v, const char *text, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = 0;
        for (size_t i = 0; i < cli->n_verbs; i++) {
                const struct verb *w = cli->verbs[i];
                bool takes = false;

                for (size_t j = 0; j < w->n_options && w != v; j++) {
                        const struct option_spec *o = &w->options[j];

                        takes = takes || (text[1] == '-' ? strcmp(o->name, text + 2) == 0 : o->short_name == text[1]);
                }
                if (takes && len < size)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : " (an option of ", w->name);
        }
        if (len > 0 && len < size)
                snprintf(buf + len, size - len, ")");
}

static int unknown_option(const struct cli *cli, const struct verb *v, const char *word, int c)
{
        char text[64], of[128];

        if (c > 0 && c < OPT_BASE)
                snprintf(text, sizeof(text), "-%c", c);
        else
                snprintf(text, sizeof(text), "%.*s", (int)strcspn(word, "="), word);
        owners(cli, v, text, of, sizeof(of));
        return usage(v, true, "unknown option '%s'%s", text, of);
}

/* ---- parsing ---- */

/* Where the verb stands in argv: the first word that is neither an option nor
 * an option's value, read with every option any verb takes (so that a value
 * is never taken for the verb); argc when there is none. */
static int find_verb(const struct cli *cli, int argc, char *argv[])
{
        struct optset set;
        int k;

        optset_init(&set, "+:");
        k = optset_add(&set, cli->globals, cli->n_globals);
        for (size_t i = 0; i < cli->n_verbs && k >= 0; i++)
                k = optset_add(&set, cli->verbs[i]->options, cli->verbs[i]->n_options);
        if (k < 0)
                return k;
        opterr = 0;
        optind = 0;
        while (getopt_long(argc, argv, set.shorts, set.longs, NULL) >= 0)
                ;
        return optind;
}

/* argv without the verb's word. 1: go on, 0: done (--help, --version), <0: usage error (said). */
static int parse(const struct cli *cli, const struct verb *v, int argc, char *argv[])
{
        struct optset set;
        int c, k;

        optset_init(&set, ":");
        k = optset_add(&set, cli->globals, cli->n_globals);
        if (k >= 0 && v)
                k = optset_add(&set, v->options, v->n_options);
        if (k < 0)
                return usage(v, true, "more than %d options", OPTSET_MAX);
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, set.shorts, set.longs, NULL)) >= 0) {
                const struct option_spec *o = optset_spec(&set, c == ':' || c == '?' ? optopt : c);

                if (c == ':' && o)
                        return usage(v, true, "option --%s needs a value", o->name);
                if (c == '?' && o)
                        return usage(v, true, "option --%s takes no value", o->name);
                if (c == '?' || c == ':' || !o)
                        return unknown_option(cli, v, argv[optind - 1], optopt);
                switch (o->kind) {
                case OPT_STRING:
                        *(const char **)o->target = optarg;
                        break;
                case OPT_STRING_OPTIONAL:
                        *(const char **)o->target = optarg ? optarg : "";
                        break;
                case OPT_BOOL:
                        *(bool *)o->target = true;
                        break;
                case OPT_LOUDER:
                        (*(int *)o->target)++;
                        break;
                case OPT_QUIETER:
                        (*(int *)o->target)--;
                        break;
                case OPT_HELP:
                        if (v)
                                help_verb(cli, v);
                        else
                                help(cli);
                        return 0;
                case OPT_VERSION:
                        printf("vfio-claim %s\n", cli->version);
                        return 0;
                }
        }
        return 1;
}

/* The verbs that print JSON, for the message to one that does not. */
static void json_verbs(const struct cli *cli, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = 0;
        for (size_t i = 0; i < cli->n_verbs; i++)
                if (cli->verbs[i]->json && len < size)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", cli->verbs[i]->name);
}

static int check_args(const struct cli *cli, const struct verb *v, int n_args)
{
        char list[128];

        if (*cli->json && !v->json) {
                json_verbs(cli, list, sizeof(list));
                return usage(v, true, "no JSON output (--json is for %s)", list);
        }
        if ((unsigned)n_args < v->min_args)
                return usage(v, false, "%s", v->needs_args ? v->needs_args : "too few arguments");
        if ((unsigned)n_args > v->max_args && v->max_args == 0)
                return usage(v, false, "%s takes no arguments", v->name);
        if ((unsigned)n_args > v->max_args)
                return usage(v, false, "%s takes at most %u arguments", v->name, v->max_args);
        return 0;
}

int cli_run(const struct cli *cli, int argc, char *argv[])
{
        _cleanup_free_ char **av = calloc((size_t)argc + 1, sizeof(char *));
        const struct verb *v = NULL;
        int at, n = 0, r;

        if (!av) {
                fprintf(stderr, "vfio-claim: out of memory\n");
                return EXIT_FAILURE;
        }
        at = find_verb(cli, argc, argv);
        if (at < 0) {
                fprintf(stderr, "vfio-claim: more than %d options\n", OPTSET_MAX);
                return EXIT_FAILURE;
        }
        for (size_t i = 0; at < argc && i < cli->n_verbs && !v; i++)
                if (strcmp(argv[at], cli->verbs[i]->name) == 0)
                        v = cli->verbs[i];
        if (at < argc && !v) {
                fprintf(stderr, "vfio-claim: unknown verb '%s'; try --help\n", argv[at]);
                return EXIT_USAGE;
        }
        for (int i = 0; i < argc; i++)
                if (i != at)
                        av[n++] = argv[i];
        r = parse(cli, v, n, av);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (!v) {
                fprintf(stderr, "vfio-claim: no verb given; try --help\n");
                return EXIT_USAGE;
        }
        if (check_args(cli, v, n - optind) < 0)
                return EXIT_USAGE;
        /* The verb's argv: its name, then its arguments (getopt put them last). */
        av[optind - 1] = (char *)v->name;
        return v->run(n - optind + 1, av + optind - 1);
}
