/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verbs that own their options. Each verb file has one table of the options
 * it takes and declares how many arguments it wants (as systemd's verbs.h
 * does); vfio-claim.c has the table of the global options and the list of
 * verbs. One table makes getopt_long's long and short options and the --help
 * text, so that an option cannot exist without its help line or outlive it;
 * the machinery that turns tables into both is options.c, for every verb.
 *
 * The command line is vfio-claim [OPTIONS] VERB [OPTIONS] [ARGS]: the global
 * options and the verb's own may stand before or after the verb (the verb is
 * the first word that is neither an option nor an option's value), so that
 * "vfio-claim status --json", "vfio-claim --json status" and the older
 * "vfio-claim --kernel REL check" all work. An option the verb does not
 * take, wherever it stands, is a usage error that names the verb.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

enum opt_kind {
        OPT_STRING,          /* const char * at .target */
        OPT_STRING_OPTIONAL, /* --name[=VALUE]: const char * at .target, "" without VALUE */
        OPT_BOOL,            /* bool at .target */
        OPT_LOUDER,          /* -v */
        OPT_QUIETER,
        OPT_HELP,
        OPT_VERSION,
};

struct option_spec {
        const char *name;
        int short_name;    /* 0: long only */
        const char *value; /* the value's name in --help; NULL: takes none */
        enum opt_kind kind;
        void *target;     /* OPT_STRING, OPT_BOOL: where the value goes */
        const char *help; /* '\n' starts an indented line */
};

#define VERB_ARGS_MANY UINT_MAX

struct verb {
        const char *name;
        /* argv[0] is the verb's name, argv[1..] its arguments; returns the exit code. */
        int (*run)(int argc, char *argv[]);
        const char *args; /* the arguments' names in --help, "SELECTOR..."; NULL: none */
        unsigned min_args, max_args;
        const char *needs_args; /* said when fewer than min_args are given */
        bool json;              /* prints a JSON document for --json */
        const struct option_spec *options;
        size_t n_options;
        const char *help;
};

#define VERB_OPTIONS(table) .options = (table), .n_options = ELEMENTSOF(table)
/* names: for --help; missing: said when fewer than min are given. */
#define VERB_ARGS(names, min, max, missing)                                                                            \
        .args = (names), .min_args = (min), .max_args = (max), .needs_args = (missing)

/* The whole command line: what vfio-claim.c's main() describes. */
struct cli {
        const char *summary; /* the line under Usage: */
        const struct option_spec *globals;
        size_t n_globals;
        const struct verb *const *verbs;
        size_t n_verbs;
        const char *version;
        const bool *json; /* the global --json: only verbs with .json take it */
};

/* Parses argv, then runs the verb it names. Returns the exit code: the verb's,
 * 0 after --help or --version, EXIT_USAGE (cmd.h; said on stderr) for a command line
 * that names no verb or one it does not know, an option the verb does not
 * take, an option without its value, or too few or too many arguments. */
int cli_run(const struct cli *cli, int argc, char *argv[]);
