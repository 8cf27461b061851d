// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The start-up every verb shares: the library context, the rules, the
 * devices. One place, so that the verbs agree on what "the configuration" is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "cmd.h"
#include "names.h"
#include "output.h"

/* The main file and the drop-in directory under --sysconfdir (default SYSCONFDIR). */
int config_paths(char main_file[4096], char dropin_dir[4096])
{
        if (snprintf(main_file, 4096, "%s/" CONFIG_MAIN_NAME, arg.sysconfdir) >= 4096 ||
            snprintf(dropin_dir, 4096, "%s/" CONFIG_DROPIN_NAME, arg.sysconfdir) >= 4096)
                return -ENAMETOOLONG;
        return 0;
}

int config_digest(char ret[VC_CONFIG_DIGEST_MAX])
{
        return vc_config_digest(arg.sysconfdir, CONFIG_MAIN_NAME, CONFIG_DROPIN_NAME, ret);
}

static void load_config(struct session *s, int missing_priority)
{
        char main_file[4096], dropin_dir[4096];
        int k;

        if (arg.config)
                k = vc_config_load(s->ctx, &s->cfg, arg.config, NULL);
        else {
                k = config_paths(main_file, dropin_dir);
                if (k < 0) {
                        log_msg(LOG_ERR, "--sysconfdir=%s: %s", arg.sysconfdir, strerror(-k));
                        s->config_error = k;
                        return;
                }
                k = vc_config_load(s->ctx, &s->cfg, main_file, dropin_dir);
        }
        if (k == -ENOMEM)
                log_msg(LOG_ERR, "out of memory");
        if (k == -ENOENT && arg.config)
                log_msg(missing_priority, "no configuration: %s does not exist", arg.config);
        else if (k == -ENOENT)
                log_msg(missing_priority, "no configuration: %s does not exist and %s has no *.conf", main_file,
                        dropin_dir);
        s->config_error = k < 0 ? k : 0;
}

static void load_cmdline(struct session *s)
{
        char path[4096];
        const char *p = arg.cmdline;
        int k;

        if (!p) {
                k = vc_root_path(s->ctx, VC_ROOT_PROC, "cmdline", path, sizeof(path));
                if (k < 0) {
                        log_msg(LOG_WARNING, "%s/cmdline: cannot read the kernel command line: %s", arg.proc,
                                strerror(-k));
                        return;
                }
                p = path;
        }
        k = vc_cmdline_load(s->ctx, &s->cfg, p);
        if (k < 0)
                log_msg(LOG_WARNING, "%s: cannot read the kernel command line: %s", p,
                        k == -EINVAL ? "NUL byte in it" : vc_read_strerror(k));
}

/* No file of the configuration could be read: fatal or not, by the rule below. */
static void missing_config(struct session *s, enum session_need need)
{
        if (need == NEED_FILES) {
                if (s->config_error == -ENOENT && !arg.config && s->cfg.n_rules > 0) {
                        log_msg(LOG_NOTICE, "checking the vfio_claim.rule= rules of the kernel command line only");
                        return;
                }
                if (s->config_error == -ENOENT)
                        log_msg(LOG_ERR, "no configuration to check");
                s->no_config = true;
        } else if (need == NEED_RULES && s->cfg.n_rules == 0) {
                if (s->config_error == -ENOENT)
                        log_msg(LOG_ERR,
                                "no configuration: %s%s does not exist and no vfio_claim.rule= on the kernel command line",
                                arg.config ? arg.config : arg.sysconfdir, arg.config ? "" : "/" CONFIG_MAIN_NAME);
                s->no_config = true;
        }
}

/*
 * The rule, for every verb:
 *
 * The rules are the configuration's (--config FILE alone, else CONFIG_FILE
 * and the *.conf files of CONFIG_DIR) followed by the kernel command line's
 * vfio_claim.rule= words (--cmdline FILE, else PROC/cmdline): exactly what
 * apply reads at boot. claim alone takes its rules from its arguments and
 * reads neither.
 *
 * A configuration is missing when no file of it could be read. That is said
 * at notice level by the verbs that act on it or examine it (apply, check),
 * at debug level by the others, and it is fatal (s->no_config: exit 2) only
 * where nothing is left to report on:
 *   - status, when the command line has no rule either (its rules are this
 *     boot's configuration);
 *   - check, unless the default files are simply absent and the command line
 *     has rules: check examines files, so a file named with --config that is
 *     not there, or one that is there but cannot be read, is the finding.
 * apply, list and release carry on with whatever rules there are.
 *
 * vfio_claim=off on the command line stops apply; check and status warn.
 *
 * Returns <0 only when nothing can run at all (no memory, a bad --kernel).
 */
int session_ctx(struct session *s)
{
        int k;

        if (s->ctx)
                return 0;
        /* What the verb set before: check's --kernel. */
        *s = (struct session){.kernel = s->kernel};
        k = vc_ctx_new(arg.sysfs, &s->ctx);
        if (k >= 0)
                k = vc_ctx_set_root(s->ctx, VC_ROOT_PROC, arg.proc);
        if (k >= 0)
                k = vc_ctx_set_root(s->ctx, VC_ROOT_RUN, arg.run);
        if (k >= 0)
                k = vc_ctx_set_root(s->ctx, VC_ROOT_DEV, arg.dev);
        if (k >= 0)
                k = vc_ctx_set_root(s->ctx, VC_ROOT_ETC, arg.etc);
        if (k >= 0)
                k = vc_ctx_set_owners_file(s->ctx, arg.owners && *arg.owners ? arg.owners : NULL);
        if (k < 0) {
                log_msg(LOG_ERR, k == -ENOMEM ? "out of memory" : "an empty root directory");
                return k;
        }
        vc_ctx_set_log_fn(s->ctx, log_lib, NULL);
        return 0;
}

int session_open(struct session *s, enum session_need need)
{
        int k;

        k = session_ctx(s);
        if (k < 0)
                return k;
        if (s->kernel) {
                k = vc_ctx_set_kernel(s->ctx, s->kernel);
                if (k < 0) {
                        log_msg(LOG_ERR, "--kernel=%s: not a kernel release", s->kernel);
                        return k;
                }
        }
        if (need == NEED_ARGS)
                return 0;
        load_config(s, need == NEED_APPLY || need == NEED_FILES ? LOG_NOTICE : LOG_DEBUG);
        if (s->config_error == -ENOMEM)
                return -ENOMEM;
        load_cmdline(s);
        if (s->config_error < 0)
                missing_config(s, need);
        /* vfio_claim=off: apply claims nothing (apply.c); the reports say so. */
        if (s->cfg.off && !s->no_config && need == NEED_FILES)
                log_msg(LOG_WARNING, "vfio_claim=off is on the running kernel's command line");
        else if (s->cfg.off && !s->no_config && need == NEED_RULES)
                log_msg(LOG_WARNING, "vfio_claim=off is on this boot's kernel command line: nothing was claimed");
        return 0;
}

/* Returns true when the rule selects nothing because all it names are bridges. */
static bool log_bridges(struct session *s, const struct vc_rule *rule, int no_match_priority)
{
        bool only = rule->state == VC_RULE_NO_MATCH && rule->n_conflicts == 0, any = false;

        for (size_t j = 0; j < s->devs.n; j++) {
                const struct vc_dev *d = &s->devs.devs[j];

                if (d->unread || !vc_dev_is_bridge(d) || !vc_rule_matches(rule, d))
                        continue;
                any = true;
                log_msg(only ? no_match_priority : LOG_WARNING,
                        "%s (%s): %s [%04x:%04x] is a PCI bridge; bridges are never claimed%s", rule->origin,
                        rule->text, d->addr, d->vendor, d->device, only ? ", and the rule selects nothing else" : "");
        }
        return only && any;
}

int session_resolve(struct session *s, int no_match_priority, bool only_selectable)
{
        int k;

        k = vc_pci_enumerate(s->ctx, only_selectable ? &s->cfg : NULL, &s->devs);
        if (k < 0) {
                char dir[4096];

                if (vc_sysfs_dir(s->ctx, VC_SYSFS_PCI_DEVICES, dir, sizeof(dir)) < 0)
                        snprintf(dir, sizeof(dir), "%s", arg.sysfs);
                log_msg(LOG_ERR, "%s: cannot list PCI devices: %s", dir, strerror(-k));
                return k;
        }
        (void)vc_resolve(s->ctx, &s->cfg, &s->devs);
        for (size_t i = 0; no_match_priority >= 0 && i < s->cfg.n_rules; i++) {
                const struct vc_rule *rule = &s->cfg.rules[i];

                /* A bridge the rule names is one message: the rule's outcome, when it selects nothing else. */
                if (log_bridges(s, rule, no_match_priority))
                        continue;
                if (rule->state == VC_RULE_LATER && !s->now_only) {
                        log_msg(no_match_priority < LOG_NOTICE ? LOG_NOTICE : no_match_priority,
                                "%s (%s): no device now; registered for devices that appear later", rule->origin,
                                rule->text);
                        continue;
                }
                if (rule->state != VC_RULE_NO_MATCH && rule->state != VC_RULE_LATER)
                        continue;
                log_msg(no_match_priority, "%s (%s): %s", rule->origin, rule->text,
                        rule->n_conflicts > 0 ? "claims nothing: earlier rules selected its devices for other drivers"
                                              : "matches no PCI device");
        }
        return 0;
}

int session_open_resolve(struct session *s, enum session_need need)
{
        struct log_config lc = {.to_stderr = true, .stderr_max = stderr_threshold(), .collect = arg.json};

        (void)log_open(&lc);
        if (session_open(s, need) < 0)
                return -ENOMEM;
        if (s->no_config)
                return EXIT_NO_CONFIG;
        /* A rule that selects nothing is check's error, status's warning, no concern of list's. */
        if (session_resolve(s, need == NEED_FILES ? LOG_ERR : need == NEED_RULES ? LOG_WARNING : -1, false) < 0)
                return EXIT_PROBLEMS;
        return 0;
}

void session_close(struct session *s)
{
        vc_devlist_clear(&s->devs);
        vc_config_clear(&s->cfg);
        vc_ctx_free(s->ctx);
        s->ctx = NULL;
        names_done();
}

void vfio_paths_find(struct vc_ctx *ctx, struct vc_dev *d, const char *driver, struct vfio_paths *ret)
{
        struct vc_vfio_nodes n;
        struct stat st;

        *ret = (struct vfio_paths){0};
        if (!vc_driver_needs_iommu(driver) || vc_dev_vfio_nodes(ctx, d, &n) < 0)
                return;
        if (n.group >= 0 && vc_vfio_node_path(ctx, &n, false, ret->group, sizeof(ret->group)) >= 0)
                ret->group_present = stat(ret->group, &st) == 0;
        if (n.cdev[0] && vc_vfio_node_path(ctx, &n, true, ret->cdev, sizeof(ret->cdev)) >= 0)
                ret->cdev_present = stat(ret->cdev, &st) == 0;
}

static void json_node(const char *path_key, const char *present_key, const char *path, bool present)
{
        json_member_string(path_key, path);
        json_key(present_key);
        if (path[0])
                json_bool(present);
        else
                json_null();
}

void json_vfio_paths(const struct vfio_paths *p)
{
        json_node("vfio_group_node", "vfio_group_node_present", p->group, p->group_present);
        json_node("vfio_cdev", "vfio_cdev_present", p->cdev, p->cdev_present);
}
