// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim status: whether every device the configuration selects is
 * where it wants it (driver, IOMMU group, /dev/vfio node), and this boot's
 * log of apply, and whether the configuration changed after this boot's
 * initramfs was built. Exit 0 all fine, 1 a device is not or the image is
 * older than its configuration, 2 no configuration.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

static struct {
        const char *prometheus; /* --prometheus[=FILE]: "" for stdout */
} opt;

/*
 * The command that rebuilds this system's initramfs, by the generator that is
 * installed (Debian's dracut has no update-initramfs; Arch has mkinitcpio
 * only). Self-contained on purpose: vfio-claim add may grow the same
 * detection, and the two are to be one at the merge.
 */
/* The digest apply logged at boot (its DIGEST_LOG_WORDS line), into ret; false: none. */
static bool boot_log_digest(const char *text, char ret[VC_CONFIG_DIGEST_MAX])
{
        static const char words[] = "vfio-claim: " DIGEST_LOG_WORDS;

        for (const char *p = text; p && (p = strstr(p, words)); p++) {
                const char *d = p + strlen(words);

                if (strnlen(d, VC_CONFIG_DIGEST_MAX) >= VC_CONFIG_DIGEST_MAX - 1 &&
                    vc_config_digest_valid(d, VC_CONFIG_DIGEST_MAX - 1)) {
                        memcpy(ret, d, VC_CONFIG_DIGEST_MAX - 1);
                        ret[VC_CONFIG_DIGEST_MAX - 1] = 0;
                        return true;
                }
        }
        return false;
}

void config_compare(const char *boot_log_text, int boot_log_err, struct config_state *c)
{
        int k;

        *c = (struct config_state){0};
        if (boot_log_err < 0) {
                c->note = "no boot log";
                return;
        }
        if (!boot_log_digest(boot_log_text, c->image)) {
                c->note = "this boot's initramfs has no config digest (built by an older vfio-claim)";
                return;
        }
        if (arg.config) {
                c->note = "--config names a file of its own, not what the initramfs packed";
                return;
        }
        k = config_digest(c->now);
        if (k < 0) {
                c->now[0] = 0;
                log_msg(LOG_WARNING, "the configuration under %s cannot be read: %s; not compared with the initramfs",
                        arg.sysconfdir, vc_read_strerror(k));
                c->note = "the configuration files cannot be read";
                return;
        }
        c->stale = strcmp(c->image, c->now) != 0;
        if (c->stale)
                c->rebuild = initramfs_rebuild_command(c->rebuild_buf, sizeof(c->rebuild_buf));
}

static void print_config_human(const struct config_state *c)
{
        if (c->stale) {
                printf("\nThe configuration changed after this boot's initramfs was built: it packed %s, the files "
                       "under %s are %s now; apply ran with the old ones.\n",
                       c->image, arg.sysconfdir, c->now);
                if (c->rebuild)
                        printf("Rebuild the initramfs: %s\n", c->rebuild);
                else
                        printf("Rebuild the initramfs with its generator (update-initramfs -u, dracut -f or "
                               "mkinitcpio -P)\n");
        } else if (c->note)
                printf("\nConfiguration not compared with this boot's initramfs: %s; not stale.\n", c->note);
        else
                printf("\nConfiguration as packed in this boot's initramfs (%s).\n", c->now);
}

static void print_config_json(const struct config_state *c)
{
        json_key("config_stale");
        json_bool(c->stale);
        json_member_string("config_digest_image", c->image[0] ? c->image : NULL);
        json_member_string("config_digest_now", c->now[0] ? c->now : NULL);
        json_member_string("config_not_compared", c->note);
        json_member_string("config_rebuild", c->stale ? c->rebuild : NULL);
}

/* The power and reset policy of d's rule (lib/power.c): false when it asks for none. */
static bool power_read(struct vc_ctx *ctx, const struct vc_dev *d, struct vc_power_state *ps)
{
        return vc_power_wanted(&d->rule->power) && vc_power_read(ctx, d, ps) >= 0;
}

/* "power": what the files hold, what the rule wants (null: nothing), whether they agree. */
static void print_power_json(const struct vc_dev *d, const struct vc_power_state *ps)
{
        const struct vc_power_policy *w = &d->rule->power;

        json_key("power");
        if (!ps) {
                json_null();
                return;
        }
        json_begin_object();
        json_member_string("reset_method", ps->has_reset ? ps->reset : NULL);
        json_key("d3cold_allowed");
        if (ps->d3cold >= 0)
                json_int(ps->d3cold);
        else
                json_null();
        json_member_string("control", ps->control[0] ? ps->control : NULL);
        json_member_string("wanted_reset_method", w->reset[0] ? w->reset : NULL);
        json_key("wanted_d3cold_allowed");
        if (w->d3cold != VC_SWITCH_UNSET)
                json_int(w->d3cold == VC_SWITCH_ON);
        else
                json_null();
        json_member_string("wanted_control", w->runtime_pm != VC_SWITCH_UNSET ? vc_power_control_value(w) : NULL);
        json_key("as_wanted");
        json_bool(vc_power_matches(w, ps));
        json_key("restore_recorded");
        json_bool(ps->recorded);
        json_end_object();
}

static void print_power_human(const struct vc_dev *d, const struct vc_power_state *ps)
{
        const struct vc_power_policy *w = &d->rule->power;
        bool ok = vc_power_matches(w, ps);

        printf("	power %s: reset_method %s, d3cold_allowed %s, power/control %s", ok ? "ok" : "BAD",
               !ps->has_reset ? "(none)"
               : ps->reset[0] ? ps->reset
                              : "(empty)",
               ps->d3cold == 0   ? "0"
               : ps->d3cold == 1 ? "1"
                                 : "?",
               ps->control[0] ? ps->control : "?");
        printf("; wanted%s%s%s%s%s%s\n", w->reset[0] ? " reset_method " : "", w->reset,
               w->d3cold != VC_SWITCH_UNSET ? " d3cold_allowed " : "", vc_power_d3cold_value(w),
               w->runtime_pm != VC_SWITCH_UNSET ? " power/control " : "", vc_power_control_value(w));
}

static void print_json_dev(struct session *s, const struct vc_dev *d, const struct vc_dev_status *st,
                           const struct vfio_paths *p, const struct vc_power_state *ps)
{
        json_begin_object();
        json_dev_ids(d);
        json_key("target_driver");
        json_string(vc_dev_target(d));
        json_key("rule");
        json_string(d->rule->origin);
        json_member_string("rule_name", d->rule->has_name ? d->rule->name : NULL);
        json_key("on_target");
        json_bool(st->on_target);
        json_key("iommu_group");
        if (st->have_group)
                json_int(d->group);
        else
                json_null();
        json_key("group_viable");
        if (st->have_group)
                json_bool(st->viable);
        else
                json_null();
        json_key("group_blocker");
        if (st->blocker)
                json_string(st->blocker->addr);
        else
                json_null();
        json_vfio_paths(p);
        owners_json(s, d, "vfio_group_node", p->group_present ? p->group : NULL);
        owners_json(s, d, "vfio_cdev", p->cdev_present ? p->cdev : NULL);
        print_power_json(d, ps);
        json_end_object();
}

static void print_human_dev(const struct vc_dev *d, const struct vc_dev_status *st, const struct vfio_paths *p)
{
        printf("%s [%04x:%04x] %-4s on %s, wanted %s (%s%s%s)\n", d->addr, d->vendor, d->device,
               st->on_target ? "ok" : "BAD", d->driver[0] ? d->driver : "no driver", vc_dev_target(d), d->rule->origin,
               d->rule->has_name ? ", name " : "", d->rule->has_name ? d->rule->name : "");
        if (!st->have_group) {
                printf("\tno IOMMU group (IOMMU off?)\n");
                return;
        }
        printf("\tIOMMU group %d %s", d->group, st->viable ? "viable" : "NOT viable");
        if (st->blocker)
                printf(": %s stays on %s", st->blocker->addr,
                       st->blocker->driver[0] ? st->blocker->driver : "no driver");
        if (p->group[0])
                printf(", %s %s", p->group, p->group_present ? "present" : "MISSING");
        if (p->cdev[0])
                printf(", %s %s", p->cdev, p->cdev_present ? "present" : "MISSING");
        printf("\n");
}

/* Each present node's owner, group and mode, against what the rule asks. */
static void print_owners(struct session *s, const struct vc_dev *d, const struct vfio_paths *p)
{
        char buf[128];

        for (int c = 0; c < 2; c++) {
                const char *path = c ? p->cdev : p->group;

                if (!path[0] || !(c ? p->cdev_present : p->group_present))
                        continue;
                owners_format(s, d, path, buf, sizeof(buf));
                if (buf[0])
                        printf("\t%s%s\n", path, buf);
        }
}

static void print_boot_log(const char *path, const char *text, int err, int result, unsigned selected,
                           const struct config_state *c)
{
        if (arg.json) {
                print_config_json(c);
                json_key("boot_log");
                if (err >= 0)
                        json_string(text);
                else
                        json_null();
                json_messages();
                json_key("ok");
                json_bool(result == 0);
                json_end_object();
                json_end();
                return;
        }
        if (selected == 0 && result != EXIT_NO_CONFIG)
                printf("no device is selected by the configuration\n");
        print_config_human(c);
        if (err >= 0)
                printf("\nBoot log (%s):\n%s", path, text);
        else
                printf("\nNo boot log (%s: %s): vfio-claim apply did not run this boot?\n", path, strerror(-err));
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {0};
        _cleanup_free_ char *boot_log_text = NULL;
        const char *boot_log = arg.boot_log ? arg.boot_log : BOOT_LOG;
        unsigned bad = 0, selected = 0;
        struct config_state cs;
        int result, k;

        if (opt.prometheus)
                return status_prometheus(opt.prometheus[0] ? opt.prometheus : NULL);
        result = session_open_resolve(&s, NEED_RULES);
        if (result < 0)
                return EXIT_PROBLEMS;
        k = vc_read_file(boot_log, VC_CONFIG_MAX, &boot_log_text, NULL);
        config_compare(boot_log_text, k, &cs);
        if (arg.json) {
                json_begin_object();
                json_key("devices");
                json_begin_array();
        }
        for (size_t i = 0; i < s.devs.n; i++) {
                struct vc_dev *d = &s.devs.devs[i];
                struct vc_dev_status st;
                struct vfio_paths p;
                struct vc_power_state ps;
                bool power;

                if (vc_dev_status(s.ctx, &s.devs, d, &st) < 0)
                        continue; /* not selected */
                selected++;
                power = power_read(s.ctx, d, &ps);
                if (!st.on_target || (power && !vc_power_matches(&d->rule->power, &ps)))
                        bad++;
                vfio_paths_find(s.ctx, d, vc_dev_target(d), &p);
                if (arg.json)
                        print_json_dev(&s, d, &st, &p, power ? &ps : NULL);
                else
                        print_human_dev(d, &st, &p);
                if (!arg.json)
                        print_owners(&s, d, &p);
                if (!arg.json && power)
                        print_power_human(d, &ps);
        }
        if (owners_need_memlock(&s) && !arg.json)
                printf("note: %s\n", owners_memlock_advice());

        if ((bad > 0 || cs.stale) && result == 0)
                result = EXIT_PROBLEMS;
        if (arg.json) {
                json_end_array();
                json_member_string("memlock_advice", owners_need_memlock(&s) ? owners_memlock_advice() : NULL);
        }
        print_boot_log(boot_log, boot_log_text, k, result, selected, &cs);
        log_close();
        return result;
}

static const struct option_spec options[] = {
        {"prometheus", 0, "FILE", OPT_STRING_OPTIONAL, &opt.prometheus,
         "Prometheus metrics instead, on stdout or written atomically to FILE"},
};

/* No arguments. */
const struct verb verb_status = {
        .name = "status",
        .run = run,
        .json = true,
        VERB_OPTIONS(options),
        .help = "show whether every selected device is where the config wants it",
};
