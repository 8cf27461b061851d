// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim cdi [--write]: a Container Device Interface spec, kind
 * vfio-claim/pci, with one device per named rule ("name gpu": podman run
 * --device vfio-claim/pci=gpu). Its edits bring the VFIO nodes of the rule's
 * devices into the container: each IOMMU group's node /dev/vfio/N and, on
 * kernels with CONFIG_VFIO_DEVICE_CDEV, each device's /dev/vfio/devices/vfioN;
 * the container node /dev/vfio/vfio once, in the spec's own edits, which a
 * runtime adds with any device of the spec.
 *
 * cdiVersion is the lowest whose fields the spec uses (the rules of
 * specs-go/version.go upstream): 0.3.0, or 0.5.0 when a name begins with a
 * digit. Debian 12's podman (4.3, CDI library 0.5) reads 0.1.0 to 0.5.0.
 *
 * A named rule none of whose devices is on vfio-pci (or a variant) now is
 * left out: a device without edits makes runtimes refuse the whole spec, and
 * one whose node is missing fails the container at its start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

static struct {
        bool write; /* cdi --write */
} opt;

bool cdi_wanted(const struct vc_config *cfg)
{
        for (size_t i = 0; i < cfg->n_rules; i++)
                if (cfg->rules[i].has_name)
                        return true;
        return false;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

static bool strv_has(char *const *v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* The container paths of rule's VFIO nodes, each once: at most two a device. */
static int rule_nodes(struct session *s, const struct vc_rule *rule, char ***ret, size_t *ret_n)
{
        char **v = calloc(2 * s->devs.n + 1, sizeof(char *));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                struct vc_vfio_nodes nodes;
                struct vc_dev_status st;
                char *p[2] = {NULL, NULL};
                bool oom = false;

                /* Only a device on a VFIO driver now has nodes to open: the spec is
                 * rewritten on every claim and release, and at boot after apply.
                 * vc_dev_status() reads the driver again. */
                if (d->rule != rule || vc_dev_status(s->ctx, &s->devs, d, &st) < 0 || !vc_driver_needs_iommu(d->driver))
                        continue;
                if (vc_dev_vfio_nodes(s->ctx, d, &nodes) < 0) {
                        log_msg(LOG_WARNING, "%s: cannot read its IOMMU group or VFIO device; left out of the CDI spec",
                                d->addr);
                        continue;
                }
                /* asprintf() leaves its pointer undefined on failure. */
                if (nodes.group >= 0 && asprintf(&p[0], "/dev/vfio/%d", nodes.group) < 0)
                        p[0] = NULL, oom = true;
                if (nodes.cdev[0] && asprintf(&p[1], "/dev/vfio/devices/%s", nodes.cdev) < 0)
                        p[1] = NULL, oom = true;
                if (oom) {
                        free(p[0]);
                        free(p[1]);
                        strv_free(v, n);
                        return -ENOMEM;
                }
                for (size_t k = 0; k < 2; k++)
                        if (p[k] && !strv_has(v, n, p[k]))
                                v[n++] = p[k];
                        else
                                free(p[k]);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static void nodes_json(FILE *f, const char *indent, char *const *paths, size_t n)
{
        fprintf(f, "%s\"deviceNodes\": [\n", indent);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s  {\"path\": \"%s\"}%s\n", indent, paths[i], i + 1 < n ? "," : "");
        fprintf(f, "%s]\n", indent);
}

/* The spec; *ret_n: how many devices it has. Names and paths need no JSON
 * escaping: names are letters, digits, '-', '_', '.'; paths are ours. */
static int cdi_format(struct session *s, char **ret, size_t *ret_size, size_t *ret_n)
{
        _cleanup_free_ char *devices = NULL, *text = NULL;
        size_t dsize = 0, size = 0, n_devices = 0;
        bool digit = false;
        FILE *df, *f;

        df = open_memstream(&devices, &dsize);
        if (!df)
                return -ENOMEM;
        for (size_t i = 0; i < s->cfg.n_rules; i++) {
                const struct vc_rule *rule = &s->cfg.rules[i];
                char **paths;
                size_t n;

                if (!rule->has_name)
                        continue;
                if (rule_nodes(s, rule, &paths, &n) < 0) {
                        fclose(df);
                        return -ENOMEM;
                }
                if (n == 0) {
                        strv_free(paths, n);
                        log_msg(LOG_NOTICE,
                                "%s (name %s): none of its devices is on a VFIO driver now; not in the CDI spec",
                                rule->origin, rule->name);
                        continue;
                }
                digit |= is_digit(rule->name[0]);
                fprintf(df, "%s    {\n      \"name\": \"%s\",\n      \"containerEdits\": {\n", n_devices ? ",\n" : "",
                        rule->name);
                nodes_json(df, "        ", paths, n);
                fputs("      }\n    }", df);
                n_devices++;
                strv_free(paths, n);
        }
        if (fclose(df) != 0)
                return -ENOMEM;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        /* 0.5.0 allowed names to begin with a digit; nothing else here needs more than 0.3.0. */
        fprintf(f, "{\n  \"cdiVersion\": \"%s\",\n  \"kind\": \"vfio-claim/pci\",\n  \"devices\": [%s%s%s],\n",
                digit ? "0.5.0" : "0.3.0", n_devices ? "\n" : "", devices ? devices : "", n_devices ? "\n  " : "");
        fputs("  \"containerEdits\": {\n", f);
        nodes_json(f, "    ", (char *[]){"/dev/vfio/vfio"}, 1);
        fputs("  }\n}\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        *ret_n = n_devices;
        return 0;
}

int cdi_write(struct session *s)
{
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        size_t size, n;
        int r;

        if (asprintf(&dir, "%s/cdi", arg.run) < 0 || asprintf(&path, "%s/" CDI_FILE, arg.run) < 0) {
                log_msg(LOG_ERR, "out of memory");
                return -ENOMEM;
        }
        r = cdi_format(s, &text, &size, &n);
        if (r < 0) {
                log_msg(LOG_ERR, "out of memory");
                return r;
        }
        /* No device: no spec, rather than one with the numbers of another boot. */
        if (n == 0) {
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = negative_errno();
                        log_msg(LOG_ERR, "%s: cannot remove the CDI spec: %s", path, strerror(-r));
                        return r;
                }
                log_msg(LOG_INFO, "no named rule has a VFIO device: no CDI spec at %s", path);
                return 0;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                r = negative_errno();
                log_msg(LOG_ERR, "%s: cannot create the CDI directory: %s", dir, strerror(-r));
                return r;
        }
        r = write_file_atomic(path, text, size, 0644);
        if (r < 0) {
                log_msg(LOG_ERR, "%s: cannot write the CDI spec: %s", path, strerror(-r));
                return r;
        }
        log_msg(LOG_INFO, "%s: CDI spec written, %zu device%s", path, n, n == 1 ? "" : "s");
        return 0;
}

void fleet_refresh(struct session *given, const char *metrics_file)
{
        _cleanup_(session_close) struct session own = {0};
        struct session *s = given;
        _cleanup_free_ char *cdi = NULL;
        const char *metrics = metrics_file;
        struct stat st;
        bool want_cdi;

        if (asprintf(&cdi, "%s/" CDI_FILE, arg.run) < 0) {
                log_msg(LOG_ERR, "out of memory");
                return;
        }
        if (!metrics && stat(METRICS_FILE, &st) == 0)
                metrics = METRICS_FILE;
        /* claim's rules are its arguments: the spec and the metrics are the configuration's. */
        if (!s) {
                if (session_open(&own, NEED_NONE) < 0)
                        return;
                s = &own;
        }
        want_cdi = cdi_wanted(&s->cfg) || stat(cdi, &st) == 0;
        /* Nothing to refresh: no device list to read. */
        if (!want_cdi && !metrics)
                return;
        if (s == &own && session_resolve(&own, -1, false) < 0)
                return;
        if (want_cdi)
                (void)cdi_write(s);
        if (metrics)
                (void)metrics_write(s, metrics);
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_free_ char *text = NULL;
        size_t size, n;
        int r;

        r = session_open_resolve(&s, NEED_NONE);
        if (r < 0)
                return EXIT_PROBLEMS;
        if (opt.write) {
                r = cdi_write(&s);
                log_close();
                return r < 0 ? EXIT_PROBLEMS : 0;
        }
        r = cdi_format(&s, &text, &size, &n);
        if (r < 0) {
                log_msg(LOG_ERR, "out of memory");
                return EXIT_PROBLEMS;
        }
        fwrite(text, 1, size, stdout);
        log_close();
        return fflush(stdout) == 0 ? 0 : EXIT_PROBLEMS;
}

static const struct option_spec options[] = {
        {"write", 0, NULL, OPT_BOOL, &opt.write, "install it: /var/run/cdi/vfio-claim.json (RUN/" CDI_FILE ")"},
};

/* No arguments. */
const struct verb verb_cdi = {
        .name = "cdi",
        .run = run,
        VERB_OPTIONS(options),
        .help = "print the CDI spec of the named rules' devices, or install it",
};
