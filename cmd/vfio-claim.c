// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim: give selected PCI devices to vfio-pci from the first moment of
 * boot. This file parses the global options and hands over to a verb, one
 * file each (apply.c, check.c, list.c, status.c, claim.c), as kmod's tools
 * do; the library does the work and never prints.
 */
#include <errno.h>
#include <getopt.h>
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
};

int stderr_threshold(void)
{
        return arg.verbosity > 0 ? LOG_DEBUG : arg.verbosity < 0 ? LOG_WARNING : LOG_INFO;
}

static void help(void)
{
        printf("Usage: vfio-claim [OPTIONS] VERB [ARGS]\n"
               "Give selected PCI devices to vfio-pci from the first moment of boot.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-19s %s\n", verbs[i].usage ? verbs[i].usage : verbs[i].name, verbs[i].help);
        printf("\nOptions:\n"
               "  -c, --config=FILE   read only FILE (default " CONFIG_FILE " and " CONFIG_DIR "/*.conf)\n"
               "      --sysfs=DIR     sysfs root (default /sys; any other never loads modules)\n"
               "      --cmdline=FILE  kernel command line (default /proc/cmdline)\n"
               "      --proc=DIR      procfs root for mounts and swaps (default /proc)\n"
               "      --run=DIR       /run, for the udev database's filesystem members (default /run)\n"
               "      --dev=DIR       devtmpfs root for /dev/vfio (default /dev)\n"
               "      --boot-log=FILE boot log (default " BOOT_LOG " on the live system)\n"
               "  -k, --kernel=REL    check modules of kernel release REL (default: running kernel)\n"
               "  -n, --dry-run       apply, claim: log what would be written, write nothing\n"
               "      --device=ADDR   apply: only this device, silent unless a rule selects it\n"
               "                      (the udev rule's call for a device that appeared)\n"
               "  -f, --force         claim, release: even a device that carries a mounted filesystem\n"
               "      --fail-busy     check: exit 3 when a rule without allow-busy selects a device\n"
               "                      that carries a mounted filesystem or swap (initramfs build hooks)\n"
               "      --write         import: into " CONFIG_DIR "/50-imported.conf (never over it)\n"
               "      --root=DIR      import: read /etc and /boot under DIR\n"
               "  -j, --json          list, check, status: one JSON document on stdout\n"
               "  -v, --verbose       show debug messages\n"
               "  -q, --quiet         show only warnings and errors\n"
               "  -h, --help          this text\n"
               "      --version       the version\n");
}

enum {
        OPT_SYSFS = 0x100,
        OPT_CMDLINE,
        OPT_PROC,
        OPT_RUN,
        OPT_DEV,
        OPT_BOOT_LOG,
        OPT_VERSION,
        OPT_FAIL_BUSY,
        OPT_WRITE,
        OPT_ROOT,
        OPT_DEVICE
};

/* 1: go on with the verb, 0: done (--help, --version), <0: usage error. */
static int parse_argv(int argc, char *argv[])
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"sysfs", required_argument, NULL, OPT_SYSFS},
                {"cmdline", required_argument, NULL, OPT_CMDLINE},
                {"proc", required_argument, NULL, OPT_PROC},
                {"run", required_argument, NULL, OPT_RUN},
                {"dev", required_argument, NULL, OPT_DEV},
                {"boot-log", required_argument, NULL, OPT_BOOT_LOG},
                {"kernel", required_argument, NULL, 'k'},
                {"dry-run", no_argument, NULL, 'n'},
                {"force", no_argument, NULL, 'f'},
                {"fail-busy", no_argument, NULL, OPT_FAIL_BUSY},
                {"write", no_argument, NULL, OPT_WRITE},
                {"root", required_argument, NULL, OPT_ROOT},
                {"device", required_argument, NULL, OPT_DEVICE},
                {"json", no_argument, NULL, 'j'},
                {"verbose", no_argument, NULL, 'v'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:k:nfjvqh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        arg.config = optarg;
                        break;
                case OPT_SYSFS:
                        arg.sysfs = optarg;
                        break;
                case OPT_CMDLINE:
                        arg.cmdline = optarg;
                        break;
                case OPT_PROC:
                        arg.proc = optarg;
                        break;
                case OPT_RUN:
                        arg.run = optarg;
                        break;
                case OPT_DEV:
                        arg.dev = optarg;
                        break;
                case OPT_BOOT_LOG:
                        arg.boot_log = optarg;
                        break;
                case 'k':
                        arg.kernel = optarg;
                        break;
                case 'n':
                        arg.dry_run = true;
                        break;
                case 'f':
                        arg.force = true;
                        break;
                case OPT_FAIL_BUSY:
                        arg.fail_busy = true;
                        break;
                case OPT_WRITE:
                        arg.write = true;
                        break;
                case OPT_ROOT:
                        arg.root = optarg;
                        break;
                case OPT_DEVICE:
                        arg.device = optarg;
                        break;
                case 'j':
                        arg.json = true;
                        break;
                case 'v':
                        arg.verbosity++;
                        break;
                case 'q':
                        arg.verbosity--;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("vfio-claim " VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
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
