// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim import: the rules that say what this machine's other method
 * says (lib/import.c), as a configuration to review on stdout, or with
 * --write in CONFIG_DIR/50-imported.conf unless that exists. --root DIR
 * reads /etc and /boot under DIR (a mounted system, a test).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

#define IMPORT_FILE CONFIG_DIR "/50-imported.conf"
#define UNRAID_CFG  "/boot/config/vfio-pci.cfg"

static struct {
        const char *root; /* --root DIR: /etc and /boot under it */
        bool write;
} opt;

struct import_out {
        FILE *f;
        unsigned rules, skipped;
        const char *last_origin;
};

static void on_found(void *userdata, const struct vc_import_source *src, const char *text, const char *rule,
                     const char *reason)
{
        struct import_out *o = userdata;

        /* Every rule says where it came from: a comment line per source line, then its rules. */
        fprintf(o->f, "# %s: %s\n", src->origin, text);
        if (rule) {
                fprintf(o->f, "%s\n", rule);
                o->rules++;
        } else {
                fprintf(o->f, "#   not imported: %s\n", reason);
                o->skipped++;
        }
}

char *rooted(const char *root, const char *path)
{
        char *p;

        if (asprintf(&p, "%s%s", root && strcmp(root, "/") != 0 ? root : "", path) < 0)
                return NULL;
        return p;
}

/* Whether a file named as path's last part was taken from a directory before. */
static bool name_seen(char **names, size_t n, const char *path)
{
        const char *name = strrchr(path, '/') + 1;

        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

/* modprobe.d(5)'s directories, in its order: a file in an earlier one hides
 * the file of the same name in a later one (/etc overrides a package's). */
void import_modprobe(const char *root, vc_import_fn fn, void *userdata)
{
        static const char *const dirs[] = {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                           "/usr/lib/modprobe.d", "/lib/modprobe.d"};
        char *names[256];
        size_t n_names = 0;

        for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
                _cleanup_free_ char *pattern = NULL, *dir = rooted(root, dirs[d]);
                glob_t g;

                if (!dir || asprintf(&pattern, "%s/*.conf", dir) < 0 || glob(pattern, 0, NULL, &g) != 0)
                        continue;
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        _cleanup_free_ char *text = NULL;

                        if (name_seen(names, n_names, g.gl_pathv[i]))
                                continue;
                        if (n_names < ELEMENTSOF(names)) {
                                names[n_names] = strdup(strrchr(g.gl_pathv[i], '/') + 1);
                                if (names[n_names])
                                        n_names++;
                        }
                        if (vc_read_file(g.gl_pathv[i], VC_CONFIG_MAX, &text, NULL) >= 0)
                                vc_import_modprobe(text, g.gl_pathv[i], fn, userdata);
                }
                globfree(&g);
        }
        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
}

static void import_all(struct session *s, struct import_out *o)
{
        _cleanup_free_ char *cmdline = NULL, *unraid = rooted(opt.root, UNRAID_CFG),
                            *driverctl = rooted(opt.root, "/etc/driverctl.d");
        char path[4096];

        if (arg.cmdline)
                snprintf(path, sizeof(path), "%s", arg.cmdline);
        else if (vc_root_path(s->ctx, VC_ROOT_PROC, "cmdline", path, sizeof(path)) < 0)
                path[0] = 0;
        if (path[0] && vc_read_file(path, VC_CMDLINE_MAX, &cmdline, NULL) >= 0)
                vc_import_cmdline(cmdline, "kernel command line", on_found, o);
        import_modprobe(opt.root, on_found, o);
        if (driverctl)
                (void)vc_import_driverctl(driverctl, &s->devs, on_found, o);
        if (unraid) {
                _cleanup_free_ char *text = NULL;

                if (vc_read_file(unraid, VC_CONFIG_MAX, &text, NULL) >= 0)
                        vc_import_unraid(text, unraid, &s->devs, on_found, o);
        }
        (void)vc_import_overrides(s->ctx, &s->devs, on_found, o);
}

static int write_config(const char *text)
{
        _cleanup_free_ char *path = rooted(opt.root, IMPORT_FILE), *dir = rooted(opt.root, CONFIG_DIR);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(text);

        if (!path || !dir)
                return -ENOMEM;
        (void)mkdir(dir, 0755);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                log_msg(LOG_ERR, "%s: %s%s", path, strerror(errno),
                        errno == EEXIST ? "; not overwritten (review it, or remove it and import again)" : "");
                return -errno;
        }
        if (write(fd, text, len) != (ssize_t)len) {
                log_msg(LOG_ERR, "%s: cannot write: %m", path);
                return -EIO;
        }
        log_msg(LOG_NOTICE, "wrote %s: review it, then run vfio-claim check", path);
        return 0;
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        struct log_config lc = {.to_stderr = true, .stderr_max = stderr_threshold()};
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        struct import_out o = {0};

        (void)log_open(&lc);
        if (session_open(&s, NEED_ARGS) < 0 || session_resolve(&s, -1, false) < 0)
                return EXIT_PROBLEMS;
        o.f = open_memstream(&text, &size);
        if (!o.f)
                return EXIT_PROBLEMS;
        fprintf(o.f, "# vfio-claim rules imported from what this machine uses now (vfio-claim import).\n"
                     "# Review them with 'vfio-claim check', then remove the old method\n"
                     "# (docs/coming-from-another-method.md).\n");
        import_all(&s, &o);
        if (o.rules == 0 && o.skipped == 0)
                fprintf(o.f,
                        "# nothing found: no vfio-pci.ids=, modprobe.d options, driverctl override, vfio-pci.cfg or driver_override\n");
        if (fclose(o.f) != 0 || !text)
                return EXIT_PROBLEMS;
        if (!opt.write) {
                fputs(text, stdout);
                return 0;
        }
        return write_config(text) < 0 ? EXIT_PROBLEMS : 0;
}

static const struct option_spec options[] = {
        {"write", 0, NULL, OPT_BOOL, &opt.write, "into " CONFIG_DIR "/50-imported.conf (never over it)"},
        {"root", 0, "DIR", OPT_STRING, &opt.root, "read /etc and /boot under DIR"},
};

const struct verb verb_import = {
        .name = "import",
        .run = run,
        VERB_OPTIONS(options),
        .help = "print rules for what vfio-pci.ids=, modprobe.d, driverctl, Unraid set up here",
};
