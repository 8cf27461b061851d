// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim: give selected PCI devices to vfio-pci from the first moment of
 * boot. This file has the global options and the list of verbs; each verb
 * has a file of its own with its options and its argument count (apply.c,
 * check.c, list.c, status.c, claim.c, import.c), as kmod's tools do, and
 * options.c parses the command line for them. The library does the work and
 * never prints.
 */
#include <syslog.h>

#include "cmd.h"
#include "config.h"
#include "macro.h"
#include "options.h"
#include "output.h"

struct args arg = {
        .sysconfdir = SYSCONFDIR,
        .sysfs = "/sys",
        .proc = "/proc",
        .run = "/run",
        .dev = "/dev",
        .etc = "/etc",
        .owners = OWNERS_FILE,
};

int stderr_threshold(void)
{
        return arg.verbosity > 0 ? LOG_DEBUG : arg.verbosity < 0 ? LOG_WARNING : LOG_INFO;
}

/* The options of every verb: the roots and files a run reads, its output. */
static const struct option_spec globals[] = {
        {"config", 'c', "FILE", OPT_STRING, &arg.config,
         "read only FILE (default " CONFIG_FILE " and " CONFIG_DIR "/*.conf)"},
        {"sysconfdir", 0, "DIR", OPT_STRING, &arg.sysconfdir,
         "the configuration is DIR/vfio-claim.conf and DIR/vfio-claim.d/*.conf\n(default " SYSCONFDIR ")"},
        {"sysfs", 0, "DIR", OPT_STRING, &arg.sysfs, "sysfs root (default /sys; any other never loads modules)"},
        {"cmdline", 0, "FILE", OPT_STRING, &arg.cmdline, "kernel command line (default /proc/cmdline)"},
        {"proc", 0, "DIR", OPT_STRING, &arg.proc, "procfs root for mounts and swaps (default /proc)"},
        {"run", 0, "DIR", OPT_STRING, &arg.run, "/run: the udev database, the lock, the CDI spec (default /run)"},
        {"dev", 0, "DIR", OPT_STRING, &arg.dev, "devtmpfs root for /dev/vfio (default /dev)"},
        {"etc", 0, "DIR", OPT_STRING, &arg.etc, "DIR/passwd and DIR/group give owner names (default /etc)"},
        {"owners", 0, "FILE", OPT_STRING, &arg.owners,
         "owner names packed into an initramfs, read before --etc (default " OWNERS_FILE ")"},
        {"boot-log", 0, "FILE", OPT_STRING, &arg.boot_log, "boot log (default " BOOT_LOG " on the live system)"},
        {"json", 'j', NULL, OPT_BOOL, &arg.json, "list, check, status, doctor: one JSON document on stdout"},
        {"verbose", 'v', NULL, OPT_LOUDER, &arg.verbosity, "show debug messages"},
        {"quiet", 'q', NULL, OPT_QUIETER, &arg.verbosity, "show only warnings and errors"},
        {"help", 'h', NULL, OPT_HELP, NULL, "this text; after a verb, that verb's"},
        {"version", 0, NULL, OPT_VERSION, NULL, "the version"},
};

/* As kmod's struct kmod_cmd table: --help lists them in this order. */
static const struct verb *const verbs[] = {
        &verb_apply,  &verb_check,  &verb_list, &verb_status, &verb_claim,  &verb_release,
        &verb_import, &verb_doctor, &verb_cdi,  &verb_add,    &verb_remove, &verb_owners,
};

int main(int argc, char *argv[])
{
        static const struct cli cli = {
                .summary = "Give selected PCI devices to vfio-pci from the first moment of boot.",
                .globals = globals,
                .n_globals = ELEMENTSOF(globals),
                .verbs = verbs,
                .n_verbs = ELEMENTSOF(verbs),
                .version = VERSION,
                .json = &arg.json,
        };
        int r;

        arg.argc = argc;
        arg.argv = argv;
        r = cli_run(&cli, argc, argv);
        log_close();
        return r;
}
