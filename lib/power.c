// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A claimed device's power and reset policy: the rule options
 * "reset-method M[,M...]", "d3cold on|off" and "runtime-pm on|off", written
 * to the device's reset_method, d3cold_allowed and power/control after the
 * bind (vfio-pci's probe itself sets power/control to "auto"), and given
 * back by release from what was found before vfio-claim's first write.
 *
 * The kernel's side (drivers/pci/pci-sysfs.c, pci.c, Documentation/ABI/
 * testing/sysfs-bus-pci, sysfs-devices-power):
 *   - reset_method (5.15+) shows the enabled methods in order, separated by
 *     spaces; it is hidden when the device offers none. A write is the same
 *     space-separated list (a name the kernel does not know, or one the
 *     device does not support, is -EINVAL and leaves the methods as they
 *     were), "default" brings back the kernel's own list, an empty write
 *     disables every reset (never written here). The rule's comma list is
 *     the same list in the same order, commas for spaces.
 *   - d3cold_allowed: "0" or "1" (any number; non-zero is 1).
 *   - power/control: "on" (runtime PM forbidden) or "auto".
 *
 * The record, RUN/vfio-claim/power/ADDR: one "ATTR=VALUE" line per file,
 * the value as read before the bind. A line is added only for a file it
 * has no line for yet, so a re-apply (apply --device, claim) never records
 * vfio-claim's own values; release writes them back and removes the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "macro.h"

/* drivers/pci/pci.c pci_reset_fn_methods[] (cxl_bus since 6.4). */
static const char *const reset_methods[] = {"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus"};

#define ATTR_RESET   "reset_method"
#define ATTR_D3COLD  "d3cold_allowed"
#define ATTR_CONTROL "power/control"

bool vc_power_is_reset_method(const char *s, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(reset_methods); i++)
                if (strlen(reset_methods[i]) == len && memcmp(s, reset_methods[i], len) == 0)
                        return true;
        return false;
}

int vc_power_parse_reset(const char *s, char ret[VC_RESET_VALUE_MAX], const char **reason)
{
        char buf[VC_RESET_VALUE_MAX] = "";
        size_t n = 0;

        if (strcmp(s, "default") == 0) {
                strcpy(ret, "default");
                return 0;
        }
        for (const char *p = s;; p++) {
                size_t len = strcspn(p, ",");

                if (len == 0) {
                        *reason = "empty method name (methods are separated by single commas)";
                        return -EINVAL;
                }
                if (len == 7 && memcmp(p, "default", 7) == 0) {
                        *reason = "'default' stands alone (the kernel's own choice)";
                        return -EINVAL;
                }
                if (!vc_power_is_reset_method(p, len)) {
                        *reason = "unknown method (expected flr, af_flr, pm, bus, cxl_bus, device_specific, acpi or "
                                  "default)";
                        return -EINVAL;
                }
                /* Each method once: the kernel's list is an order of preference. */
                for (const char *q = buf; *q; q += strcspn(q, " "), q += *q == ' ') {
                        if (strcspn(q, " ") == len && memcmp(q, p, len) == 0) {
                                *reason = "a method given twice";
                                return -EINVAL;
                        }
                }
                /* Every name once fits: the buffer holds all seven. */
                if (n + (n > 0) + len >= sizeof(buf)) {
                        *reason = "too many methods";
                        return -EINVAL;
                }
                if (n > 0)
                        buf[n++] = ' ';
                memcpy(buf + n, p, len);
                n += len;
                buf[n] = 0;
                p += len;
                if (!*p)
                        break;
        }
        memcpy(ret, buf, n + 1);
        return 0;
}

int vc_power_parse_switch(const char *s, enum vc_switch *ret, const char **reason)
{
        if (strcmp(s, "off") == 0)
                *ret = VC_SWITCH_OFF;
        else if (strcmp(s, "on") == 0)
                *ret = VC_SWITCH_ON;
        else {
                *reason = "expected on or off";
                return -EINVAL;
        }
        return 0;
}

bool vc_power_wanted(const struct vc_power_policy *p)
{
        return p->reset[0] || p->d3cold != VC_SWITCH_UNSET || p->runtime_pm != VC_SWITCH_UNSET;
}

const char *vc_power_d3cold_value(const struct vc_power_policy *p)
{
        return p->d3cold == VC_SWITCH_OFF ? "0" : p->d3cold == VC_SWITCH_ON ? "1" : "";
}

const char *vc_power_control_value(const struct vc_power_policy *p)
{
        return p->runtime_pm == VC_SWITCH_OFF ? "on" : p->runtime_pm == VC_SWITCH_ON ? "auto" : "";
}

/* ---- the record ---- */

static int record_path(const struct vc_ctx *ctx, const char *addr, char *buf, size_t size)
{
        char rel[64 + VC_ADDR_MAX];
        int r;

        r = vc_path(rel, sizeof(rel), "vfio-claim/power/%s", addr);
        if (r < 0)
                return r;
        return vc_root_path(ctx, VC_ROOT_RUN, rel, buf, size);
}

/* The record's text, "" when there is none. */
static int record_read(const struct vc_ctx *ctx, const char *addr, char **ret)
{
        char path[PATH_MAX];
        char *text = NULL;
        int r;

        r = record_path(ctx, addr, path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_read_file(path, VC_ATTR_MAX * 4, &text, NULL);
        if (r == -ENOENT) {
                text = strdup("");
                r = text ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = text;
        return 0;
}

/* The value of ATTR in the record's text: 1 and it in buf, 0: no such line. */
static int record_get(const char *text, const char *attr, char *buf, size_t size)
{
        size_t alen = strlen(attr);

        for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
                size_t len = strcspn(l, "\n");

                if (len > alen && memcmp(l, attr, alen) == 0 && l[alen] == '=') {
                        if (len - alen - 1 >= size)
                                return -EFBIG;
                        memcpy(buf, l + alen + 1, len - alen - 1);
                        buf[len - alen - 1] = 0;
                        return 1;
                }
        }
        return 0;
}

static int mkdir_one(const char *path)
{
        return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int vc_power_record(struct vc_ctx *ctx, const struct vc_dev *dev)
{
        const struct vc_power_policy *p = dev->rule ? &dev->rule->power : NULL;
        const char *attrs[3];
        size_t n = 0;
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX], dir[PATH_MAX], add[3 * (VC_ATTR_MAX + 32)] = "";
        int r;

        if (!p || !vc_power_wanted(p) || ctx->dry_run)
                return 0;
        if (p->reset[0])
                attrs[n++] = ATTR_RESET;
        if (p->d3cold != VC_SWITCH_UNSET)
                attrs[n++] = ATTR_D3COLD;
        if (p->runtime_pm != VC_SWITCH_UNSET)
                attrs[n++] = ATTR_CONTROL;
        r = record_read(ctx, dev->addr, &text);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char val[VC_ATTR_MAX], old[VC_ATTR_MAX];
                size_t len = strlen(add);

                if (record_get(text, attrs[i], old, sizeof(old)) != 0)
                        continue; /* found before an earlier run's first write */
                if (vc_sysfs_dev_read(ctx, dev->addr, attrs[i], val, sizeof(val)) < 0)
                        continue; /* nothing to give back: the write will fail and say so */
                r = vc_path(add + len, sizeof(add) - len, "%s=%s\n", attrs[i], val);
                if (r < 0)
                        return r;
        }
        if (!add[0])
                return 0;
        r = vc_root_path(ctx, VC_ROOT_RUN, "vfio-claim", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = mkdir_one(dir);
        if (r < 0)
                return r;
        r = vc_root_path(ctx, VC_ROOT_RUN, "vfio-claim/power", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = mkdir_one(dir);
        if (r < 0)
                return r;
        r = record_path(ctx, dev->addr, path, sizeof(path));
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, add, strlen(add)) != (ssize_t)strlen(add))
                return -EIO;
        return 0;
}

/* ---- writing ---- */

static void write_attr(struct vc_ctx *ctx, const struct vc_dev *dev, const char *attr, const char *value,
                       const char *what)
{
        int r;

        if (ctx->dry_run) {
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": dry run: would write '%s' to %s (%s)", VC_DEV_ARGS(dev), value,
                       attr, what);
                return;
        }
        r = vc_sysfs_dev_write(ctx, dev->addr, attr, value);
        if (r < 0)
                vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": cannot write '%s' to %s (%s): %s%s", VC_DEV_ARGS(dev), value,
                       attr, what, strerror(-r),
                       r == -ENOENT && strcmp(attr, ATTR_RESET) == 0
                               ? " (no reset_method: a kernel before 5.15, or the device offers no reset)"
                       : r == -EINVAL && strcmp(attr, ATTR_RESET) == 0 ? " (a method the device does not offer?)"
                                                                       : "");
        else
                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": %s set to %s (%s)", VC_DEV_ARGS(dev), attr, value, what);
}

void vc_power_apply(struct vc_ctx *ctx, struct vc_dev *dev)
{
        const struct vc_power_policy *p = dev->rule ? &dev->rule->power : NULL;

        if (!p || !vc_power_wanted(p))
                return;
        if (dev->outcome != VC_OUT_CLAIMED && dev->outcome != VC_OUT_ALREADY && dev->outcome != VC_OUT_DRY_RUN)
                return; /* not on its driver: the next bind (vfio-pci's probe) would undo power/control */
        if (p->reset[0])
                write_attr(ctx, dev, ATTR_RESET, p->reset, "reset-method");
        if (p->d3cold != VC_SWITCH_UNSET)
                write_attr(ctx, dev, ATTR_D3COLD, vc_power_d3cold_value(p), "d3cold");
        if (p->runtime_pm != VC_SWITCH_UNSET)
                write_attr(ctx, dev, ATTR_CONTROL, vc_power_control_value(p), "runtime-pm");
}

int vc_power_restore(struct vc_ctx *ctx, const struct vc_dev *dev)
{
        static const char *const attrs[] = {ATTR_RESET, ATTR_D3COLD, ATTR_CONTROL};
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        int r;

        r = record_read(ctx, dev->addr, &text);
        if (r < 0)
                return r;
        if (!text[0])
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                char val[VC_ATTR_MAX];

                if (record_get(text, attrs[i], val, sizeof(val)) <= 0)
                        continue;
                /* An empty reset_method was read from a device whose resets were
                 * all disabled: "" disables them again. */
                r = vc_sysfs_dev_write(ctx, dev->addr, attrs[i], val);
                if (r < 0) {
                        vc_log(ctx, LOG_WARNING, VC_DEV_FMT ": cannot restore %s to '%s': %s", VC_DEV_ARGS(dev),
                               attrs[i], val, strerror(-r));
                } else
                        vc_log(ctx, LOG_INFO, VC_DEV_FMT ": %s restored to %s", VC_DEV_ARGS(dev), attrs[i], val);
        }
        r = record_path(ctx, dev->addr, path, sizeof(path));
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 1;
}

/* ---- reading ---- */

int vc_power_read(struct vc_ctx *ctx, const struct vc_dev *dev, struct vc_power_state *ret)
{
        struct vc_power_state st = {.d3cold = -1};
        _cleanup_free_ char *text = NULL;
        char buf[16];
        int r;

        st.has_reset = vc_sysfs_dev_read(ctx, dev->addr, ATTR_RESET, st.reset, sizeof(st.reset)) >= 0;
        if (!st.has_reset)
                st.reset[0] = 0;
        if (vc_sysfs_dev_read(ctx, dev->addr, ATTR_D3COLD, buf, sizeof(buf)) >= 0 && (buf[0] == '0' || buf[0] == '1') &&
            !buf[1])
                st.d3cold = buf[0] - '0';
        if (vc_sysfs_dev_read(ctx, dev->addr, ATTR_CONTROL, st.control, sizeof(st.control)) < 0)
                st.control[0] = 0;
        r = record_read(ctx, dev->addr, &text);
        if (r >= 0 && text[0]) {
                st.recorded = true;
                if (record_get(text, ATTR_RESET, st.recorded_reset, sizeof(st.recorded_reset)) <= 0)
                        st.recorded_reset[0] = 0;
        }
        *ret = st;
        return 0;
}

bool vc_power_matches(const struct vc_power_policy *p, const struct vc_power_state *st)
{
        if (p->reset[0] && strcmp(p->reset, "default") != 0 && (!st->has_reset || strcmp(st->reset, p->reset) != 0))
                return false;
        if (p->d3cold != VC_SWITCH_UNSET && st->d3cold != (p->d3cold == VC_SWITCH_ON))
                return false;
        if (p->runtime_pm != VC_SWITCH_UNSET && strcmp(st->control, vc_power_control_value(p)) != 0)
                return false;
        return true;
}

/* name (len bytes) is one of list's space-separated words. */
static bool in_list(const char *list, const char *name, size_t len)
{
        for (const char *q = list; *q; q += strcspn(q, " "), q += *q == ' ')
                if (strcspn(q, " ") == len && memcmp(q, name, len) == 0)
                        return true;
        return false;
}

int vc_power_check_reset(struct vc_ctx *ctx, const struct vc_dev *dev, const struct vc_power_policy *p, char *method,
                         size_t size)
{
        struct vc_power_state st;
        const char *offered;
        int r;

        if (!p->reset[0])
                return 0;
        r = vc_power_read(ctx, dev, &st);
        if (r < 0)
                return r;
        if (!st.has_reset)
                return -ENOENT;
        if (strcmp(p->reset, "default") == 0)
                return 0;
        /* What vfio-claim found before it narrowed the list, when it did. */
        offered = st.recorded && st.recorded_reset[0] ? st.recorded_reset : st.reset;
        for (const char *m = p->reset; *m; m += strcspn(m, " "), m += *m == ' ') {
                size_t len = strcspn(m, " ");

                if (!in_list(offered, m, len)) {
                        if (len >= size)
                                return -ENAMETOOLONG;
                        memcpy(method, m, len);
                        method[len] = 0;
                        return -EOPNOTSUPP;
                }
        }
        return 0;
}
