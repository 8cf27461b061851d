// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim status --prometheus: the state of the selected devices and this
 * boot's apply in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector. One "# HELP" and "# TYPE" per metric,
 * its samples after them; label values escaped as the format wants
 * (backslash, double quote, newline).
 *
 * vfio_claim_config_stale is status's comparison of the configuration digest
 * this boot's initramfs recorded with today's files; only when there was one
 * to compare (an image of an older vfio-claim has none): no made-up zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "config.h"
#include "macro.h"
#include "output.h"

static void label_value(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++)
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '"')
                        fputs("\\\"", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        fputc('"', f);
}

static void family(FILE *f, const char *name, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* apply's summary line in the boot log (cmd/apply.c), the last one: "done in
 * N ms: N selected, N claimed, N already bound, N held off but not bound, N failed". */
struct boot_summary {
        unsigned long long ms, selected, claimed, already, held, failed;
};

static bool take_number(const char **p, unsigned long long *ret)
{
        char *end;

        if (**p < '0' || **p > '9')
                return false;
        errno = 0;
        *ret = strtoull(*p, &end, 10);
        if (errno)
                return false;
        *p = end;
        return true;
}

static bool take_word(const char **p, const char *word)
{
        size_t n = strlen(word);

        if (strncmp(*p, word, n) != 0)
                return false;
        *p += n;
        return true;
}

static bool parse_summary(const char *line, struct boot_summary *ret)
{
        struct boot_summary b;
        const char *p = line;

        if (!take_word(&p, "vfio-claim: done in ") || !take_number(&p, &b.ms) || !take_word(&p, " ms: ") ||
            !take_number(&p, &b.selected) || !take_word(&p, " selected, ") || !take_number(&p, &b.claimed) ||
            !take_word(&p, " claimed, ") || !take_number(&p, &b.already) || !take_word(&p, " already bound, ") ||
            !take_number(&p, &b.held) || !take_word(&p, " held off but not bound, ") || !take_number(&p, &b.failed) ||
            !take_word(&p, " failed") || (*p && *p != '\n'))
                return false;
        *ret = b;
        return true;
}

static bool find_summary(const char *text, struct boot_summary *ret)
{
        bool found = false;

        /* Each line is "[   1.234567] <5>vfio-claim: ...". */
        for (const char *line = text; *line;) {
                static const char needle[] = ">vfio-claim: done in ";
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                const char *m = memmem(line, len, needle, sizeof(needle) - 1);

                if (m && parse_summary(m + 1, ret))
                        found = true;
                if (!nl)
                        break;
                line = nl + 1;
        }
        return found;
}

struct group_seen {
        int group;
        bool viable;
};

int metrics_format(struct session *s, const char *boot_log_text, char **ret, size_t *ret_size)
{
        _cleanup_free_ struct group_seen *groups = calloc(s->devs.n + 1, sizeof(*groups));
        _cleanup_free_ char *text = NULL;
        struct boot_summary b;
        size_t n_groups = 0, size = 0;
        FILE *f;

        if (!groups)
                return -ENOMEM;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        family(f, "vfio_claim_info", "The version of vfio-claim; always 1.");
        fputs("vfio_claim_info{version=", f);
        label_value(f, VERSION);
        fputs("} 1\n", f);

        family(f, "vfio_claim_device_on_target",
               "Whether a device a rule selects is bound to the driver the rule wants (driver): 1 yes, 0 no.");
        for (size_t i = 0; i < s->devs.n; i++) {
                struct vc_dev *d = &s->devs.devs[i];
                struct vc_dev_status st;
                size_t j;

                if (!d->rule || vc_dev_status(s->ctx, &s->devs, d, &st) < 0)
                        continue;
                fputs("vfio_claim_device_on_target{address=", f);
                label_value(f, d->addr);
                fputs(",rule=", f);
                label_value(f, d->rule->origin);
                fputs(",driver=", f);
                label_value(f, vc_dev_target(d));
                fputs(",name=", f);
                label_value(f, d->rule->has_name ? d->rule->name : "");
                fprintf(f, "} %d\n", st.on_target ? 1 : 0);
                if (!st.have_group)
                        continue;
                for (j = 0; j < n_groups && groups[j].group != d->group; j++)
                        ;
                if (j == n_groups)
                        groups[n_groups++] = (struct group_seen){d->group, st.viable};
        }

        family(f, "vfio_claim_group_viable",
               "Whether no other endpoint of a selected device's IOMMU group keeps a host driver (the group is usable "
               "for a VM once its selected devices are on their targets): 1 yes, 0 no.");
        for (size_t j = 0; j < n_groups; j++)
                fprintf(f, "vfio_claim_group_viable{group=\"%d\"} %d\n", groups[j].group, groups[j].viable ? 1 : 0);

        /* Only when this boot's log has apply's summary: no made-up zeros. */
        if (boot_log_text && find_summary(boot_log_text, &b)) {
                family(f, "vfio_claim_boot_apply_seconds", "How long vfio-claim apply took at this boot.");
                fprintf(f, "vfio_claim_boot_apply_seconds %llu.%03llu\n", b.ms / 1000, b.ms % 1000);
                family(f, "vfio_claim_boot_devices",
                       "The devices vfio-claim apply claimed at this boot, found already bound, held off their host "
                       "driver without binding, or failed to hold off.");
                fprintf(f,
                        "vfio_claim_boot_devices{outcome=\"claimed\"} %llu\n"
                        "vfio_claim_boot_devices{outcome=\"already\"} %llu\n"
                        "vfio_claim_boot_devices{outcome=\"held\"} %llu\n"
                        "vfio_claim_boot_devices{outcome=\"failed\"} %llu\n",
                        b.claimed, b.already, b.held, b.failed);
        }
        if (boot_log_text) {
                struct config_state c;

                config_compare(boot_log_text, 0, &c);
                if (!c.note) {
                        family(f, "vfio_claim_config_stale",
                               "Whether the configuration changed after this boot's initramfs was built (its recorded "
                               "digest differs from today's files'): 1 yes, rebuild the initramfs; 0 no.");
                        fprintf(f, "vfio_claim_config_stale %d\n", c.stale ? 1 : 0);
                }
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return 0;
}

static char *read_boot_log(void)
{
        const char *path = arg.boot_log ? arg.boot_log : BOOT_LOG;
        char *text = NULL;

        if (vc_read_file(path, VC_CONFIG_MAX, &text, NULL) < 0)
                return NULL;
        return text;
}

int metrics_write(struct session *s, const char *file)
{
        _cleanup_free_ char *log_text = read_boot_log(), *text = NULL;
        size_t size;
        int r;

        r = metrics_format(s, log_text, &text, &size);
        if (r < 0) {
                log_msg(LOG_ERR, "out of memory");
                return r;
        }
        if (!file) {
                fwrite(text, 1, size, stdout);
                return fflush(stdout) == 0 ? 0 : -EIO;
        }
        r = write_file_atomic(file, text, size, 0644);
        if (r < 0)
                log_msg(LOG_ERR, "%s: cannot write the metrics: %s", file, strerror(-r));
        else
                log_msg(LOG_DEBUG, "%s: metrics written", file);
        return r;
}

/* Exit 0 when the metrics are out, whatever they say (a device off its
 * target is a value, for the alert); 1 when they could not be written. */
int status_prometheus(const char *file)
{
        _cleanup_(session_close) struct session s = {0};
        int r;

        /* No configuration is no device: the metrics still say so. */
        r = session_open_resolve(&s, NEED_NONE);
        if (r < 0)
                return EXIT_PROBLEMS;
        r = metrics_write(&s, file);
        log_close();
        return r < 0 ? EXIT_PROBLEMS : 0;
}
