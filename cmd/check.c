// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim check: validates the configuration and predicts what apply
 * would do, for an admin or an initramfs build hook. Exit 0 clean, 1 errors,
 * 2 no configuration, 3 (--fail-busy) a selected device carries a mount.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>

#include "cmd.h"
#include "ident.h"
#include "macro.h"
#include "output.h"

static struct {
        const char *kernel; /* --kernel REL: the modules of that release */
        bool fail_busy;
        bool digest;
        const char *root; /* --root DIR: libvirt's domains under DIR */
} opt;

struct check_state {
        struct session *s;
        bool fail_busy;        /* a busy device is an error (check --fail-busy, add) */
        bool *busy_seen;       /* per device: reported as busy already */
        unsigned busy;         /* selected devices that carry a mounted filesystem or swap */
        unsigned busy_refused; /* ... by a rule without allow-busy */
};

static void on_busy(void *userdata, const struct vc_dev *dev, const char *what)
{
        struct check_state *cs = userdata;
        size_t i = (size_t)(dev - cs->s->devs.devs);

        if (!dev->rule)
                return;
        /* One device may carry several mounts: each is named, the device counted once. */
        if (!cs->busy_seen[i]) {
                cs->busy_seen[i] = true;
                cs->busy++;
                if (!dev->rule->allow_busy)
                        cs->busy_refused++;
        }
        if (dev->rule->allow_busy) {
                log_msg(LOG_WARNING, "%s [%04x:%04x] (%s) carries %s; allowed by allow-busy", dev->addr, dev->vendor,
                        dev->device, dev->rule->origin, what);
                return;
        }
        log_msg(cs->fail_busy ? LOG_ERR : LOG_WARNING,
                "%s [%04x:%04x] (%s%s%s) carries %s: claiming it takes that away from the host (add allow-busy to the rule if that is meant)",
                dev->addr, dev->vendor, dev->device, dev->rule->origin, dev->via ? ", taken by 'group' with " : "",
                dev->via ? dev->via->addr : "", what);
}

static void check_modules(struct session *s)
{
        for (size_t i = 0; i < s->cfg.n_rules; i++) {
                const char *driver = s->cfg.rules[i].driver;
                enum vc_module_state st;
                bool seen = false;
                int k;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = strcmp(s->cfg.rules[j].driver, driver) == 0;
                if (seen || (!opt.kernel && vc_driver_loaded(s->ctx, driver)))
                        continue;
                k = vc_module_lookup(s->ctx, driver, &st);
                if (k < 0) {
                        struct utsname u;

                        uname(&u);
                        log_msg(LOG_WARNING, "no module for driver %s found for kernel %s%s%s", driver,
                                opt.kernel ? opt.kernel : u.release, k == -ENOENT ? "" : ": ",
                                k == -ENOENT ? "" : strerror(-k));
                }
        }
}

/* The kernel's own way to keep the firmware framebuffer off: sysfb_init since 5.15, efifb before. */
const char *framebuffer_fix(void)
{
        struct utsname u;
        const char *rel = opt.kernel;
        unsigned major = 0, minor = 0;

        if (!rel && uname(&u) == 0)
                rel = u.release;
        if (rel && sscanf(rel, "%u.%u", &major, &minor) == 2 && (major < 5 || (major == 5 && minor < 15)))
                return "video=efifb:off";
        return "initcall_blacklist=sysfb_init";
}

static void log_boot_vga(const struct session *s, const struct vc_dev *d)
{
        char fb[64];
        int bar = 0;
        bool only = vc_dev_only_display(&s->devs, d);

        if (vc_dev_boot_framebuffer(s->ctx, d, fb, sizeof(fb), &bar) > 0)
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s) is the boot VGA device and the firmware framebuffer %s still holds its BAR %d: a VM using it fails with \"BAR %d: can't reserve\"; add %s to the kernel command line%s",
                        d->addr, d->vendor, d->device, d->rule->origin, fb, bar, bar, framebuffer_fix(),
                        only ? "; it is the host's only display device: the host keeps no console" : "");
        else
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s) is the boot VGA device: the host console uses it (consider %s)%s", d->addr,
                        d->vendor, d->device, d->rule->origin, framebuffer_fix(),
                        only ? "; it is the host's only display device: the host keeps no console" : "");
}

/* One warning per group, naming every host device 'group' takes. */
static void log_group_takes_host(const struct vc_problem *p)
{
        const struct vc_dev *d = p->dev;
        _cleanup_free_ char *list = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&list, &len);

        if (!f)
                return;
        for (size_t i = 0; i < p->n_taken; i++) {
                const struct vc_dev *t = p->taken[i];

                fprintf(f, "%s%s [%04x:%04x] (%s, on %s)", i ? ", " : "", t->addr, t->vendor, t->device,
                        vc_host_kind_to_string(p->taken_kind[i]), t->driver);
        }
        fclose(f);
        log_msg(LOG_WARNING,
                "%s [%04x:%04x] (%s): 'group' takes IOMMU group %d whole, with host devices no rule names: %s; the host loses them at boot (use a slot with a group of its own, or ACS isolation, not 'group')",
                d->addr, d->vendor, d->device, d->rule->origin, d->group, list ? list : "");
}

static void on_problem(void *userdata, const struct vc_problem *p)
{
        const struct vc_dev *d = p->dev, *b = p->blocker;
        struct session *s = userdata;
        char dir[4096];

        switch (p->kind) {
        case VC_PROBLEM_BOOT_VGA:
                log_boot_vga(userdata, d);
                break;
        case VC_PROBLEM_GROUP_CHIPSET:
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s): IOMMU group %d would not be viable: it shares the group with the chipset bridge %s [%04x:%04x] (class %06x, on %s), which the host needs; without ACS isolation between them this device cannot be passed through on its own (a rule naming the bridge takes it, if the host can do without it)",
                        d->addr, d->vendor, d->device, d->rule->origin, d->group, b->addr, b->vendor, b->device,
                        b->class, b->driver[0] ? b->driver : "no driver");
                break;
        case VC_PROBLEM_GROUP_DRIVER:
                if (p->blocker_kind != VC_HOST_OTHER)
                        log_msg(LOG_WARNING,
                                "%s [%04x:%04x] (%s): IOMMU group %d would not be viable: %s [%04x:%04x] stays on %s, and the host needs it (%s): the fix is another slot or ACS isolation between them, not 'group'",
                                d->addr, d->vendor, d->device, d->rule->origin, d->group, b->addr, b->vendor, b->device,
                                b->driver[0] ? b->driver : "no driver", vc_host_kind_to_string(p->blocker_kind));
                else
                        log_msg(LOG_WARNING,
                                "%s [%04x:%04x] (%s): IOMMU group %d would not be viable: %s [%04x:%04x] stays on %s (a rule for it, or 'group', takes it too, if the host can do without it)",
                                d->addr, d->vendor, d->device, d->rule->origin, d->group, b->addr, b->vendor, b->device,
                                b->driver[0] ? b->driver : "no driver");
                break;
        case VC_PROBLEM_GROUP_TAKES_HOST:
                log_group_takes_host(p);
                break;
        case VC_PROBLEM_NO_GROUP:
                log_msg(LOG_WARNING,
                        "%s [%04x:%04x] (%s) has no IOMMU group although the IOMMU is on: vfio-pci will refuse it at boot (is it behind a bridge the IOMMU does not cover, or excluded by the firmware?)",
                        d->addr, d->vendor, d->device, d->rule->origin);
                break;
        case VC_PROBLEM_NO_IOMMU:
                if (vc_sysfs_dir(s->ctx, VC_SYSFS_IOMMU_GROUPS, dir, sizeof(dir)) < 0)
                        snprintf(dir, sizeof(dir), "%s", arg.sysfs);
                log_msg(LOG_WARNING,
                        "the IOMMU is not enabled (no %s): vfio-pci will not bind; enable VT-d/AMD-Vi and add intel_iommu=on or amd_iommu=on",
                        dir);
                break;
        }
}

static const char *rule_state(const struct vc_rule *rule, bool json, int result)
{
        /* Nothing was resolved: an explicit --config that is missing leaves the command line's rules unchecked. */
        if (result == EXIT_NO_CONFIG)
                return json ? "not-checked" : "not checked (no configuration)";
        switch (rule->state) {
        case VC_RULE_GUARD_MISMATCH:
                return json ? "guard-mismatch" : "guard mismatch, claims nothing";
        case VC_RULE_NO_MATCH:
                return json ? "no-match" : "matches nothing";
        case VC_RULE_LATER:
                return json ? "later" : "no device now; registered for devices that appear later";
        default:
                return json ? "ok" : "selects";
        }
}

static void print_human(const struct session *s, const struct check_state *cs, int result)
{
        for (size_t i = 0; i < s->cfg.n_rules; i++) {
                const struct vc_rule *rule = &s->cfg.rules[i];

                printf("%s: %s -> %s: %s\n", rule->origin, rule->text, rule->driver_auto ? "auto" : rule->driver,
                       rule_state(rule, false, result));
                for (size_t j = 0; j < s->devs.n; j++) {
                        const struct vc_dev *d = &s->devs.devs[j];

                        if (d->rule != rule)
                                continue;
                        printf("\t%s [%04x:%04x] now %s%s%s\n", d->addr, d->vendor, d->device,
                               d->driver[0] ? "on " : "without driver", d->driver, d->via ? " (same IOMMU group)" : "");
                        if (rule->driver_auto)
                                printf("\t\tdriver auto: %s\n", vc_dev_target(d));
                        ident_print_human(d, "\t\t");
                        owners_print_expected((struct session *)s, d, "\t\t");
                }
        }
        if (owners_need_memlock((struct session *)s))
                printf("note: %s\n", owners_memlock_advice());
        printf("%u error(s), %u warning(s)%s\n", log_count(LOG_ERR), log_count(LOG_WARNING) - log_count(LOG_ERR),
               cs->busy ? "; a selected device carries a mounted filesystem or swap" : "");
}

static void print_json(const struct session *s, const struct check_state *cs, int result)
{
        json_begin_object();
        json_key("rules");
        json_begin_array();
        for (size_t i = 0; i < s->cfg.n_rules; i++) {
                const struct vc_rule *rule = &s->cfg.rules[i];

                json_begin_object();
                json_key("origin");
                json_string(rule->origin);
                json_key("rule");
                json_string(rule->text);
                json_key("driver");
                json_string(rule->driver_auto ? "auto" : rule->driver);
                json_key("state");
                json_string(rule_state(rule, true, result));
                json_key("devices");
                json_begin_array();
                for (size_t j = 0; j < s->devs.n; j++) {
                        const struct vc_dev *d = &s->devs.devs[j];

                        if (d->rule != rule)
                                continue;
                        json_begin_object();
                        json_dev_ids(d);
                        ident_json(d);
                        json_key("target_driver");
                        json_string(vc_dev_target(d));
                        json_key("via_group_of");
                        if (d->via)
                                json_string(d->via->addr);
                        else
                                json_null();
                        json_end_object();
                }
                json_end_array();
                json_end_object();
        }
        json_end_array();
        json_member_string("memlock_advice", owners_need_memlock((struct session *)s) ? owners_memlock_advice() : NULL);
        json_key("busy");
        json_int(cs->busy);
        json_key("errors");
        json_int(log_count(LOG_ERR));
        json_key("warnings");
        json_int(log_count(LOG_WARNING) - log_count(LOG_ERR));
        json_messages();
        json_key("result");
        json_string(result == 0                ? "ok"
                    : result == EXIT_NO_CONFIG ? "no-config"
                    : result == EXIT_BUSY      ? "busy"
                                               : "errors");
        json_end_object();
        json_end();
}

/* The findings beyond the rules: devices, mounts, modules. Returns the exit code. */
static int check_devices(struct session *s, struct check_state *cs)
{
        int k;

        (void)vc_find_problems(s->ctx, &s->devs, on_problem, s);
        check_vfs(s);
        check_owners(s);
        check_power(s);
        cs->busy_seen = calloc(s->devs.n + 1, sizeof(bool));
        k = cs->busy_seen ? session_find_busy(s, on_busy, log_busy_unknown, cs) : -ENOMEM;
        free(cs->busy_seen);
        cs->busy_seen = NULL;
        if (k < 0)
                log_msg(LOG_WARNING, "%s: cannot read: %s; mounted filesystems not checked", mountinfo_path(s),
                        strerror(-k));
        check_modules(s);
        return cs->fail_busy && cs->busy_refused ? EXIT_BUSY : log_count(LOG_ERR) > 0 ? EXIT_PROBLEMS : 0;
}

int check_findings(struct session *s, bool fail_busy, unsigned *ret_busy)
{
        struct check_state cs = {.s = s, .fail_busy = fail_busy};
        int r;

        r = check_devices(s, &cs);
        *ret_busy = cs.busy_refused;
        return r;
}

/* check --digest: what the build hooks record in the image (DIGEST_FILE), for the files under --sysconfdir. */
static int print_digest(void)
{
        struct log_config lc = {.to_stderr = true, .stderr_max = stderr_threshold()};
        char digest[VC_CONFIG_DIGEST_MAX];
        int k;

        if (arg.config) {
                fprintf(stderr,
                        "vfio-claim: check: --digest is of the files under --sysconfdir, not of --config's FILE; "
                        "see 'vfio-claim check --help'\n");
                return EXIT_USAGE;
        }
        k = config_digest(digest);
        if (k < 0) {
                (void)log_open(&lc);
                log_msg(LOG_ERR, "the configuration under %s cannot be read: %s", arg.sysconfdir, vc_read_strerror(k));
                log_close();
                return EXIT_PROBLEMS;
        }
        printf("%s\n", digest);
        return 0;
}

static int run(int argc, char *argv[])
{
        _cleanup_(session_close) struct session s = {.kernel = opt.kernel};
        struct check_state cs = {.s = &s, .fail_busy = opt.fail_busy};
        int result;

        if (opt.digest)
                return print_digest();
        result = session_open_resolve(&s, NEED_FILES);
        if (result < 0)
                return EXIT_PROBLEMS;
        if (result == 0) {
                result = check_devices(&s, &cs);
                check_libvirt(&s, opt.root);
        }
        /* What an admin would copy into a rule that survives renumbering. */
        for (size_t i = 0; i < s.devs.n; i++)
                if (s.devs.devs[i].rule)
                        (void)vc_dev_read_serial_slot_path(s.ctx, &s.devs.devs[i], VC_IDENT_ALL);
        if (arg.json)
                print_json(&s, &cs, result);
        else
                print_human(&s, &cs, result);
        log_close();
        return result;
}

static const struct option_spec options[] = {
        {"kernel", 'k', "REL", OPT_STRING, &opt.kernel,
         "check modules of kernel release REL (default: running kernel)"},
        {"fail-busy", 0, NULL, OPT_BOOL, &opt.fail_busy,
         "exit 3 when a rule without allow-busy selects a device\nthat carries a mounted filesystem or swap (initramfs build hooks)"},
        {"digest", 0, NULL, OPT_BOOL, &opt.digest,
         "print the configuration files' digest (sha256:HEX) and\nnothing else: what the build hooks record in the image"},
        {"root", 0, "DIR", OPT_STRING, &opt.root,
         "read libvirt's domains in DIR/etc/libvirt/qemu (default:\n/ unless --sysfs is a captured tree)"},
};

const struct verb verb_check = {
        .name = "check",
        .run = run,
        .json = true,
        VERB_OPTIONS(options),
        .help = "validate the configuration and predict what apply would do",
};
