// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim: give selected PCI devices to vfio-pci from the first moment of
 * boot. This file parses the global options and hands over to a verb, one
 * file each (apply.c, check.c, list.c, status.c, claim.c), as kmod's tools
 * do; the library does the work and never prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "config.h"
#include "macro.h"
#include "output.h"

struct args arg = {
        .sysfs = "/sys",
        .proc = "/proc",
        .run = "/run",
        .dev = "/dev",
};

/* The verbs, as kmod's struct kmod_cmd table: --help lists them in this order. */
static const struct verb {
        const char *name;
        int (*fn)(int argc, char *argv[]);
        const char *help;
        const char *usage;      /* with the arguments, for --help; NULL: the name alone */
        const char *needs_args; /* what to say when none are given; NULL: takes none */
        bool dry_run;           /* takes --dry-run */
} verbs[] = {
        {.name = "apply",
         .fn = verb_apply,
         .dry_run = true,
         .help = "claim the devices the configuration selects (the boot action)"},
        {.name = "check", .fn = verb_check, .help = "validate the configuration and predict what apply would do"},
        {.name = "list", .fn = verb_list, .help = "list every PCI device and the rule that selects it"},
        {.name = "status",
         .fn = verb_status,
         .help = "show whether every selected device is where the config wants it"},
        {.name = "claim",
         .fn = verb_claim,
         .usage = "claim SELECTOR...",
         .dry_run = true,
         .needs_args = "claim needs a selector: an address, or a rule such as 'id 10de:1b80'",
         .help = "claim devices now (addresses, or one rule: claim id 10de:1b80)"},
        {.name = "release",
         .fn = verb_release,
         .usage = "release ADDRESS...",
         .needs_args = "release needs one or more addresses",
         .help = "give devices back to their host driver"},
        {.name = "import",
         .fn = verb_import,
         .help = "print rules for what vfio-pci.ids=, modprobe.d, driverctl, Unraid set up here"},
        {.name = "cdi", .fn = verb_cdi, .help = "print the CDI spec of the named rules' devices (--write: install it)"},
};

int stderr_threshold(void)
{
        return arg.verbosity > 0 ? LOG_DEBUG : arg.verbosity < 0 ? LOG_WARNING : LOG_INFO;
}

/* One table makes getopt's long and short options and the --help text, so
 * that an option cannot exist without its help line or outlive it. */
enum opt_kind {
        OPT_STRING,     /* const char * at .field */
        OPT_PROMETHEUS, /* --prometheus[=FILE] */
        OPT_BOOL,       /* bool at .field */
        OPT_LOUDER,
        OPT_QUIETER,
        OPT_HELP,
        OPT_VERSION,
};

#define FIELD(f) offsetof(struct args, f)

static const struct option_spec {
        const char *name;
        int short_name;    /* 0: long only */
        const char *value; /* the value's name in --help; NULL: takes none */
        enum opt_kind kind;
        size_t field;
        const char *help; /* '\n' starts an indented line */
} option_specs[] = {
        {"config", 'c', "FILE", OPT_STRING, FIELD(config),
         "read only FILE (default " CONFIG_FILE " and " CONFIG_DIR "/*.conf)"},
        {"sysfs", 0, "DIR", OPT_STRING, FIELD(sysfs), "sysfs root (default /sys; any other never loads modules)"},
        {"cmdline", 0, "FILE", OPT_STRING, FIELD(cmdline), "kernel command line (default /proc/cmdline)"},
        {"proc", 0, "DIR", OPT_STRING, FIELD(proc), "procfs root for mounts and swaps (default /proc)"},
        {"run", 0, "DIR", OPT_STRING, FIELD(run), "/run, for the udev database's filesystem members (default /run)"},
        {"dev", 0, "DIR", OPT_STRING, FIELD(dev), "devtmpfs root for /dev/vfio (default /dev)"},
        {"boot-log", 0, "FILE", OPT_STRING, FIELD(boot_log), "boot log (default " BOOT_LOG " on the live system)"},
        {"kernel", 'k', "REL", OPT_STRING, FIELD(kernel),
         "check modules of kernel release REL (default: running kernel)"},
        {"dry-run", 'n', NULL, OPT_BOOL, FIELD(dry_run), "apply, claim: log what would be written, write nothing"},
        {"device", 0, "ADDR", OPT_STRING, FIELD(device),
         "apply: only this device, silent unless a rule selects it\n(the udev rule's call for a device that appeared)"},
        {"force", 'f', NULL, OPT_BOOL, FIELD(force), "claim, release: even a device that carries a mounted filesystem"},
        {"fail-busy", 0, NULL, OPT_BOOL, FIELD(fail_busy),
         "check: exit 3 when a rule without allow-busy selects a device\nthat carries a mounted filesystem or swap (initramfs build hooks)"},
        {"write", 0, NULL, OPT_BOOL, FIELD(write),
         "import: into " CONFIG_DIR
         "/50-imported.conf (never over it);\ncdi: to /var/run/cdi/vfio-claim.json (RUN/" CDI_FILE ")"},
        {"prometheus", 0, "FILE", OPT_PROMETHEUS, 0,
         "status: Prometheus metrics, on stdout or written atomically to FILE;\nclaim, release: the metrics file to refresh (default\n" METRICS_FILE
         ", when it exists)"},
        {"root", 0, "DIR", OPT_STRING, FIELD(root), "import: read /etc and /boot under DIR"},
        {"json", 'j', NULL, OPT_BOOL, FIELD(json), "list, check, status: one JSON document on stdout"},
        {"verbose", 'v', NULL, OPT_LOUDER, 0, "show debug messages"},
        {"quiet", 'q', NULL, OPT_QUIETER, 0, "show only warnings and errors"},
        {"help", 'h', NULL, OPT_HELP, 0, "this text"},
        {"version", 0, NULL, OPT_VERSION, 0, "the version"},
};

/* getopt's value for a long-only option: past every character. */
#define LONG_ONLY 0x100

static void help(void)
{
        printf("Usage: vfio-claim [OPTIONS] VERB [ARGS]\n"
               "Give selected PCI devices to vfio-pci from the first moment of boot.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-19s %s\n", verbs[i].usage ? verbs[i].usage : verbs[i].name, verbs[i].help);
        printf("\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(option_specs); i++) {
                const struct option_spec *o = &option_specs[i];
                char left[32];

                snprintf(left, sizeof(left), "%c%c%c --%s%s%s%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
                         o->kind == OPT_PROMETHEUS ? "[="
                         : o->value                ? "="
                                                   : "",
                         o->value ? o->value : "", o->kind == OPT_PROMETHEUS ? "]" : "");
                printf("  %-19s ", left);
                for (const char *h = o->help; *h; h++)
                        if (*h == '\n')
                                printf("\n%22s", "");
                        else
                                putchar(*h);
                putchar('\n');
        }
}

static int apply_option(const struct option_spec *o)
{
        char *field = (char *)&arg + o->field;

        switch (o->kind) {
        case OPT_STRING:
                *(const char **)field = optarg;
                return 1;
        case OPT_BOOL:
                *(bool *)field = true;
                return 1;
        case OPT_PROMETHEUS:
                arg.prometheus = true;
                arg.prometheus_file = optarg;
                return 1;
        case OPT_LOUDER:
                arg.verbosity++;
                return 1;
        case OPT_QUIETER:
                arg.verbosity--;
                return 1;
        case OPT_HELP:
                help();
                return 0;
        case OPT_VERSION:
                printf("vfio-claim " VERSION "\n");
                return 0;
        }
        return -EINVAL;
}

/* 1: go on with the verb, 0: done (--help, --version), <0: usage error. */
static int parse_argv(int argc, char *argv[])
{
        struct option options[ELEMENTSOF(option_specs) + 1] = {};
        char shorts[2 * ELEMENTSOF(option_specs) + 1] = "";
        size_t n_shorts = 0;
        int c;

        for (size_t i = 0; i < ELEMENTSOF(option_specs); i++) {
                const struct option_spec *o = &option_specs[i];

                options[i] = (struct option){o->name,
                                             o->kind == OPT_PROMETHEUS ? optional_argument
                                             : o->value                ? required_argument
                                                                       : no_argument,
                                             NULL, o->short_name ? o->short_name : LONG_ONLY + (int)i};
                if (o->short_name) {
                        shorts[n_shorts++] = (char)o->short_name;
                        if (o->value)
                                shorts[n_shorts++] = ':';
                }
        }
        while ((c = getopt_long(argc, argv, shorts, options, NULL)) >= 0) {
                const struct option_spec *o = NULL;
                int r;

                if (c >= LONG_ONLY)
                        o = &option_specs[c - LONG_ONLY];
                for (size_t i = 0; i < ELEMENTSOF(option_specs) && !o; i++)
                        if (option_specs[i].short_name == c)
                                o = &option_specs[i];
                if (!o)
                        return -EINVAL;
                r = apply_option(o);
                if (r <= 0)
                        return r;
        }
        return 1;
}

int main(int argc, char *argv[])
{
        const struct verb *v = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (optind >= argc) {
                fprintf(stderr, "vfio-claim: no verb given; try --help\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs) && !v; i++)
                if (strcmp(argv[optind], verbs[i].name) == 0)
                        v = &verbs[i];
        if (arg.dry_run && (!v || !v->dry_run)) {
                fprintf(stderr, "vfio-claim: --dry-run is for apply and claim\n");
                return EXIT_USAGE;
        }
        if (!v) {
                fprintf(stderr, "vfio-claim: unknown verb '%s'; try --help\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (arg.prometheus && strcmp(v->name, "status") != 0 && strcmp(v->name, "claim") != 0 &&
            strcmp(v->name, "release") != 0) {
                fprintf(stderr, "vfio-claim: --prometheus is for status, claim and release\n");
                return EXIT_USAGE;
        }
        if (arg.prometheus && !arg.prometheus_file && strcmp(v->name, "status") != 0) {
                fprintf(stderr, "vfio-claim: %s --prometheus needs the file: --prometheus=FILE\n", v->name);
                return EXIT_USAGE;
        }
        if (arg.prometheus && arg.prometheus_file && !arg.prometheus_file[0]) {
                fprintf(stderr, "vfio-claim: --prometheus=: empty file name\n");
                return EXIT_USAGE;
        }
        if (arg.write && strcmp(v->name, "import") != 0 && strcmp(v->name, "cdi") != 0) {
                fprintf(stderr, "vfio-claim: --write is for import and cdi\n");
                return EXIT_USAGE;
        }
        if (arg.device && strcmp(v->name, "apply") != 0) {
                fprintf(stderr, "vfio-claim: --device is for apply\n");
                return EXIT_USAGE;
        }
        if (!v->needs_args && argc - optind > 1) {
                fprintf(stderr, "vfio-claim: %s takes no arguments\n", v->name);
                return EXIT_USAGE;
        }
        if (v->needs_args && argc - optind < 2) {
                fprintf(stderr, "vfio-claim: %s\n", v->needs_args);
                return EXIT_USAGE;
        }
        r = v->fn(argc - optind, argv + optind);
        log_close();
        return r;
}
