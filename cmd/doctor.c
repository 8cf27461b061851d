// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim doctor [ADDRESS...] [--log FILE|-] [--json]: why passthrough
 * fails here. It reads the machine's state (the IOMMU, each device the rules
 * select or the arguments name: its driver, group, node, reset, power, the
 * firmware framebuffer), vfio-claim's boot log, the kernel log (/dev/kmsg,
 * without blocking) and, with --log, text a user pasted (QEMU's or libvirt's
 * error, dmesg, journalctl), and maps what it finds to the causes of the
 * catalogue (lib/doctor-catalogue.c). Findings are grouped by device; exit 1
 * when any is an error or a warning, else 0; 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "options.h"
#include "output.h"
#include "vfio-claim-doctor.h"

static struct {
        const char *log_file; /* --log FILE, "-": standard input */
        const char *root;     /* --root DIR: modprobe.d under DIR */
} opt;

#define TEXT_MAX (16 * 1024 * 1024)

struct finding {
        const struct vc_cause *c;
        char device[VC_ADDR_MAX]; /* "" for none */
        char *evidence;
        char *fix; /* NULL: the row's */
        unsigned count;
};

struct doctor {
        struct session s;
        struct finding *f;
        size_t n;
        char **only; /* the ADDRESS arguments, normalised; n_only 0: every device */
        size_t n_only;
        const char *log_file;
        char *cmdline;
        bool boot_log_read;
        char *boot_log;
};

static struct finding *find(struct doctor *d, const char *id, const char *device)
{
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->f[i].c->id, id) == 0 && strcmp(d->f[i].device, device) == 0)
                        return &d->f[i];
        return NULL;
}

static bool wanted(const struct doctor *d, const char *device)
{
        if (d->n_only == 0 || !device[0])
                return true;
        for (size_t i = 0; i < d->n_only; i++)
                if (strcmp(d->only[i], device) == 0)
                        return true;
        return false;
}

/* A finding from a state check: its row by check name; fix (may be NULL) and the evidence said here. */
static void add(struct doctor *d, const char *check, const char *device, const char *fix, const char *fmt, ...)
        _printf_(5, 6);
static void add(struct doctor *d, const char *check, const char *device, const char *fix, const char *fmt, ...)
{
        const struct vc_cause *c = vc_cause_for_check(check);
        struct finding *f;
        va_list ap;
        char *ev = NULL;

        if (!c || !wanted(d, device ? device : ""))
                return;
        if (find(d, c->id, device ? device : "")) /* the log said it already, in its own words */
                return;
        va_start(ap, fmt);
        if (vasprintf(&ev, fmt, ap) < 0)
                ev = NULL;
        va_end(ap);
        f = realloc(d->f, (d->n + 1) * sizeof(*f));
        if (!ev || !f) {
                free(ev);
                if (f)
                        d->f = f;
                log_msg(LOG_ERR, "out of memory");
                return;
        }
        d->f = f;
        f = &d->f[d->n++];
        *f = (struct finding){.c = c, .evidence = ev, .count = 1};
        snprintf(f->device, sizeof(f->device), "%s", device ? device : "");
        if (fix)
                f->fix = strdup(fix);
}

/* A device the kernel log may speak of: one the rules select or the
 * arguments name, or one on a VFIO driver now. The kernel log is every
 * driver's: a failed probe elsewhere is not passthrough's business. */
static bool of_interest(const struct doctor *d, const char *addr)
{
        const struct vc_dev *dev = vc_devlist_find(&d->s.devs, addr);

        if (d->n_only)
                return wanted(d, addr);
        return dev && (dev->rule || vc_driver_needs_iommu(dev->driver));
}

/* ambient: the kernel log (not text the user chose to show) */
static void add_hits(struct doctor *d, const struct vc_log_hits *h, const char *from, bool ambient)
{
        for (size_t i = 0; i < h->n; i++) {
                const struct vc_log_hit *hit = &h->v[i];
                struct finding *f;

                if (!wanted(d, hit->device) || (ambient && hit->device[0] && !of_interest(d, hit->device)))
                        continue;
                f = find(d, hit->cause->id, hit->device);
                if (f) {
                        f->count += hit->count;
                        continue;
                }
                f = realloc(d->f, (d->n + 1) * sizeof(*f));
                if (!f) {
                        log_msg(LOG_ERR, "out of memory");
                        return;
                }
                d->f = f;
                f = &d->f[d->n];
                *f = (struct finding){.c = hit->cause, .count = hit->count};
                if (asprintf(&f->evidence, "%s: %s", from, hit->evidence) < 0)
                        return;
                snprintf(f->device, sizeof(f->device), "%s", hit->device);
                d->n++;
        }
}

static void scan_text(struct doctor *d, const char *text, size_t size, const char *from, bool ambient)
{
        struct vc_log_hits h = {0};

        if (vc_log_scan(text, size, &h) < 0)
                log_msg(LOG_ERR, "%s: out of memory", from);
        add_hits(d, &h, from, ambient);
        vc_log_hits_clear(&h);
}

/* All of fd up to TEXT_MAX; a pipe or a terminal too (vc_read_file takes regular files only). */
static int read_all(int fd, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        for (;;) {
                ssize_t k;

                if (size + 65536 + 1 > alloc) {
                        char *nb;

                        if (alloc >= TEXT_MAX)
                                return -EFBIG;
                        alloc = alloc ? 2 * alloc : 65536 * 2;
                        nb = realloc(buf, alloc);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                k = read(fd, buf + size, alloc - size - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                size += (size_t)k;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static void read_log_option(struct doctor *d)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        bool in = strcmp(d->log_file, "-") == 0;
        size_t size = 0;
        int k;

        fd = in ? dup(STDIN_FILENO) : open(d->log_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                log_msg(LOG_ERR, "%s: cannot open: %s", in ? "standard input" : d->log_file, strerror(errno));
                return;
        }
        k = read_all(fd, &text, &size);
        if (k < 0) {
                log_msg(LOG_ERR, "%s: cannot read: %s", in ? "standard input" : d->log_file, strerror(-k));
                return;
        }
        scan_text(d, text, size, in ? "log" : d->log_file, false);
}

/* /dev/kmsg: one record per read(), EAGAIN at the end; never blocks. A record
 * overwritten while we read (EPIPE) is skipped. */
static void read_kmsg(struct doctor *d)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t size = 0, alloc = 0;
        char path[4096];

        if (vc_root_path(d->s.ctx, VC_ROOT_DEV, "kmsg", path, sizeof(path)) < 0)
                return;
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                log_msg(errno == ENOENT ? LOG_DEBUG : LOG_NOTICE, "%s: cannot open: %s; the kernel log is not read",
                        path, strerror(errno));
                return;
        }
        for (;;) {
                char rec[8192];
                ssize_t k = read(fd, rec, sizeof(rec));

                if (k < 0 && (errno == EPIPE || errno == EINTR))
                        continue;
                if (k <= 0)
                        break;
                if (size + (size_t)k + 2 > alloc) {
                        char *nb;

                        if (alloc >= TEXT_MAX)
                                break;
                        alloc = alloc ? 2 * alloc : 1024 * 1024;
                        nb = realloc(text, alloc);
                        if (!nb)
                                break;
                        text = nb;
                }
                memcpy(text + size, rec, (size_t)k);
                size += (size_t)k;
                if (text[size - 1] != '\n')
                        text[size++] = '\n';
        }
        if (text)
                scan_text(d, text, size, "kernel log", true);
}

static void read_boot_log(struct doctor *d)
{
        char path[4096];
        const char *p = arg.boot_log;
        size_t size = 0;
        struct vc_log_hits h = {0};

        if (!p) {
                if (vc_root_path(d->s.ctx, VC_ROOT_RUN, "vfio-claim/boot.log", path, sizeof(path)) < 0)
                        return;
                p = path;
        }
        if (vc_read_file(p, VC_CONFIG_MAX, &d->boot_log, &size) < 0)
                return;
        d->boot_log_read = true;
        if (vc_boot_log_scan(d->boot_log, size, &h) < 0)
                log_msg(LOG_ERR, "%s: out of memory", p);
        add_hits(d, &h, p, false);
        vc_log_hits_clear(&h);
}

static bool cmdline_has(const char *cmdline, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = cmdline; p && (p = strstr(p, word)); p += n)
                if ((p == cmdline || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

static void cpu_vendor(struct vc_ctx *ctx, char *buf, size_t size)
{
        _cleanup_free_ char *text = NULL;
        char path[4096];
        const char *v;

        buf[0] = 0;
        if (vc_root_path(ctx, VC_ROOT_PROC, "cpuinfo", path, sizeof(path)) < 0 ||
            vc_read_file(path, VC_CONFIG_MAX, &text, NULL) < 0)
                return;
        v = strstr(text, "vendor_id");
        if (v && (v = strchr(v, ':')))
                snprintf(buf, size, "%.*s", (int)strcspn(v + 2, "\n"), v + 2);
}

static void check_iommu(struct doctor *d)
{
        const char *c = d->cmdline ? d->cmdline : "";
        struct vc_iommu_state st;
        unsigned fw;
        char vendor[64], fix[512], groups[4096];
        bool intel_on = cmdline_has(c, "intel_iommu=on"),
             off = cmdline_has(c, "iommu=off") || cmdline_has(c, "amd_iommu=off") || cmdline_has(c, "intel_iommu=off");

        if (vc_iommu_state(d->s.ctx, &st) < 0 || st.groups)
                return;
        fw = st.firmware;
        cpu_vendor(d->s.ctx, vendor, sizeof(vendor));
        if (off)
                snprintf(fix, sizeof(fix), "remove %s from the kernel command line%s",
                         cmdline_has(c, "intel_iommu=off") ? "intel_iommu=off"
                         : cmdline_has(c, "amd_iommu=off") ? "amd_iommu=off"
                                                           : "iommu=off",
                         fw & VC_IOMMU_FW_DMAR ? " and add intel_iommu=on" : "");
        else if ((fw & VC_IOMMU_FW_DMAR) && !intel_on)
                snprintf(fix, sizeof(fix),
                         "add intel_iommu=on to the kernel command line (the firmware has VT-d on: it gives a DMAR "
                         "table), then reboot");
        else if (fw & VC_IOMMU_FW_DMAR)
                snprintf(fix, sizeof(fix),
                         "the firmware has VT-d and intel_iommu=on is set, yet the kernel made no groups: read the "
                         "kernel log's DMAR lines (a kernel without CONFIG_INTEL_IOMMU, or a broken DMAR table)");
        else if (fw & VC_IOMMU_FW_IVRS)
                snprintf(fix, sizeof(fix),
                         "the firmware has AMD-Vi on (it gives an IVRS table): boot with amd_iommu=on, and read the "
                         "kernel log's AMD-Vi lines");
        else if (strcmp(vendor, "GenuineIntel") == 0)
                snprintf(fix, sizeof(fix),
                         "enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup: the "
                         "firmware gives no DMAR table; then boot with intel_iommu=on");
        else if (strcmp(vendor, "AuthenticAMD") == 0)
                snprintf(fix, sizeof(fix),
                         "enable the IOMMU (AMD-Vi, often 'IOMMU' under the chipset or CPU settings) in the firmware "
                         "setup: the firmware gives no IVRS table");
        else
                snprintf(fix, sizeof(fix),
                         "enable the IOMMU in the firmware setup (VT-d on Intel, AMD-Vi/IOMMU on AMD): the firmware "
                         "gives neither a DMAR nor an IVRS table; on Intel boot with intel_iommu=on too");
        if (vc_sysfs_dir(d->s.ctx, VC_SYSFS_IOMMU_GROUPS, groups, sizeof(groups)) < 0)
                snprintf(groups, sizeof(groups), "kernel/iommu_groups");
        add(d, "iommu-off", NULL, fix, "%s has no groups; ACPI tables: %s; CPU: %s; %s", groups,
            fw & VC_IOMMU_FW_DMAR   ? "DMAR (VT-d)"
            : fw & VC_IOMMU_FW_IVRS ? "IVRS (AMD-Vi)"
                                    : "no DMAR, no IVRS",
            vendor[0] ? vendor : "unknown",
            intel_on ? "intel_iommu=on is on the command line" : "no intel_iommu=on on the command line");
}

static void on_import(void *userdata, const struct vc_import_source *src, const char *text, const char *rule,
                      const char *reason)
{
        struct doctor *d = userdata;
        struct finding *f;
        char *more = NULL;

        /* vfio-pci.ids= words, "options vfio-pci ids=" IDs; a softdep claims nothing by itself. */
        if (src->kind != VC_IMPORT_CMDLINE && (src->kind != VC_IMPORT_MODPROBE || strncmp(text, "softdep", 7) == 0))
                return;
        f = find(d, "ids-conflict", "");
        if (!f) {
                add(d, "ids-conflict", NULL, NULL, "%s: %s%s (beside %zu rule(s) of vfio-claim)", src->origin,
                    src->kind == VC_IMPORT_CMDLINE ? "vfio-pci.ids=" : "options vfio-pci ids=", text, d->s.cfg.n_rules);
                return;
        }
        if (asprintf(&more, "%s; %s: %s%s", f->evidence, src->origin,
                     src->kind == VC_IMPORT_CMDLINE ? "vfio-pci.ids=" : "options vfio-pci ids=", text) < 0)
                return;
        free(f->evidence);
        f->evidence = more;
}

static void check_ids(struct doctor *d)
{
        if (d->s.cfg.n_rules == 0)
                return;
        if (d->cmdline)
                vc_import_cmdline(d->cmdline, "kernel command line", on_import, d);
        import_modprobe(opt.root, on_import, d);
}

static bool kernel_at_least(unsigned want_major, unsigned want_minor)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return true;
        return major > want_major || (major == want_major && minor >= want_minor);
}

static void check_reset(struct doctor *d, const struct vc_dev *dev, const struct vc_dev_state *st)
{
        /* reset_method (5.15+) is hidden when the device offers no reset at all. */
        if ((!st->reset_method_present && kernel_at_least(5, 15)) ||
            (st->reset_method_present && st->reset_methods[0] == 0)) {
                char path[4096];

                if (vc_sysfs_dir(d->s.ctx, VC_SYSFS_PCI_DEVICES, path, sizeof(path)) < 0)
                        snprintf(path, sizeof(path), "bus/pci/devices");
                add(d, "no-reset-method", dev->addr, NULL, "%s/%s/reset_method: %s", path, dev->addr,
                    st->reset_method_present ? "empty" : "absent (the kernel offers no reset)");
                return;
        }
        if (st->bus_neighbour)
                add(d, "bus-reset-shared", dev->addr, NULL,
                    "reset_method is 'bus' only, and %s (IOMMU group %d, on %s) is on the same bus",
                    st->bus_neighbour->addr, st->bus_neighbour->group,
                    st->bus_neighbour->driver[0] ? st->bus_neighbour->driver : "no driver");
}

static void check_node(struct doctor *d, struct vc_dev *dev, const char *target)
{
        struct vfio_paths p;
        struct stat st;

        vfio_paths_find(d->s.ctx, dev, target, &p);
        if (!p.group_present || stat(p.group, &st) < 0)
                return;
        if (st.st_uid == 0 && (st.st_mode & 077) == 0)
                add(d, "node-root-only", dev->addr, NULL, "%s is %04o, owner root", p.group,
                    (unsigned)(st.st_mode & 07777));
        else if (st.st_uid != 0) {
                struct passwd *pw = getpwuid(st.st_uid);
                char fix[512];

                snprintf(fix, sizeof(fix),
                         "give %s an RLIMIT_MEMLOCK above the guest's RAM plus its ROMs (LimitMEMLOCK= in its unit, "
                         "'%s hard memlock' in limits.conf, or raise it before dropping root, as libvirt does)",
                         pw ? pw->pw_name : "the node's owner", pw ? pw->pw_name : "USER");
                add(d, "memlock-owner", dev->addr, fix, "%s belongs to uid %u%s%s%s", p.group, (unsigned)st.st_uid,
                    pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
        }
}

/* The boot log names the device as claimed (cmd/apply.c's account). */
static bool boot_log_claimed(const struct doctor *d, const char *addr, const char *target)
{
        char want[128];

        if (!d->boot_log)
                return false;
        snprintf(want, sizeof(want), "bound to %s", target);
        for (const char *l = d->boot_log; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);

                if (memmem(l, len, addr, strlen(addr)) && memmem(l, len, want, strlen(want)))
                        return true;
                l = nl ? nl + 1 : NULL;
        }
        return false;
}

static void check_binding(struct doctor *d, struct vc_dev *dev, const char *target, const struct vc_dev_state *st)
{
        const char *override = st->override;
        const char *why, *fix = NULL;
        char fixbuf[256];

        if (strcmp(st->driver, target) == 0)
                return;
        if (!dev->driver[0] && strcmp(override, target) == 0) {
                add(d, "held-unbound", dev->addr, NULL, "driver_override is %s, and no driver is bound", override);
                return;
        }
        if (dev->driver[0] && (strcmp(override, target) == 0 || boot_log_claimed(d, dev->addr, target))) {
                add(d, "host-driver-took-it", dev->addr, NULL, "%s is on %s; driver_override %s%s", dev->addr,
                    dev->driver, override[0] ? override : "unset",
                    boot_log_claimed(d, dev->addr, target) ? "; the boot log says it was bound to the target" : "");
                return;
        }
        if (!dev->rule) {
                why = "no rule of the configuration selects it";
                snprintf(fixbuf, sizeof(fixbuf), "add 'address %s' to /etc/vfio-claim.conf, then vfio-claim claim %s",
                         dev->addr, dev->addr);
                fix = fixbuf;
        } else if (d->s.cfg.off) {
                why = "vfio_claim=off is on the kernel command line: apply claimed nothing this boot";
                fix = "remove vfio_claim=off from the kernel command line and reboot, or run vfio-claim apply now";
        } else if (!d->boot_log_read) {
                why = "there is no boot log: vfio-claim apply did not run this boot";
                fix = "rebuild the initramfs so that its hook runs (update-initramfs -u, dracut -f, mkinitcpio -P), "
                      "or run vfio-claim apply now";
        } else
                why = "the boot log does not say it was claimed";
        add(d, "not-on-target", dev->addr, fix, "%s is on %s, wanted %s%s%s: %s", dev->addr,
            dev->driver[0] ? dev->driver : "no driver", target, dev->rule ? " by " : "",
            dev->rule ? dev->rule->origin : "", why);
}

static void check_device(struct doctor *d, struct vc_dev *dev)
{
        const char *target = dev->rule ? vc_dev_target(dev) : VC_DEFAULT_DRIVER;
        struct vc_dev_state st;

        if (vc_dev_state(d->s.ctx, &d->s.devs, dev, &st) < 0)
                return;
        check_binding(d, dev, target, &st);
        if (st.group >= 0) {
                if (st.blocker)
                        add(d, "group-not-viable", dev->addr, NULL, "IOMMU group %d: %s [%04x:%04x] is on %s", st.group,
                            st.blocker->addr, st.blocker->vendor, st.blocker->device,
                            st.blocker->driver[0] ? st.blocker->driver : "no driver");
                check_node(d, dev, target);
        }
        check_reset(d, dev, &st);
        if (st.framebuffer[0]) {
                char fix[256];

                snprintf(fix, sizeof(fix),
                         "add %s to the kernel command line and reboot (or pass a GPU that is not the boot display)",
                         framebuffer_fix());
                char iomem[4096];

                if (vc_root_path(d->s.ctx, VC_ROOT_PROC, "iomem", iomem, sizeof(iomem)) < 0)
                        snprintf(iomem, sizeof(iomem), "/proc/iomem");
                add(d, "boot-framebuffer", dev->addr, fix, "%s: the firmware framebuffer %s lies in BAR %d", iomem,
                    st.framebuffer, st.framebuffer_bar);
        }
        if ((dev->class >> 16) == 0x03 && vc_driver_needs_iommu(st.driver) && st.d3cold_allowed == 1)
                add(d, "d3cold-allowed", dev->addr, NULL, "d3cold_allowed is 1 on the display device %s (on %s)",
                    dev->addr, st.driver);
}

static bool named_in_findings(const struct doctor *d, const char *addr)
{
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->f[i].device, addr) == 0)
                        return true;
        return false;
}

static void check_devices(struct doctor *d)
{
        for (size_t i = 0; i < d->s.devs.n; i++) {
                struct vc_dev *dev = &d->s.devs.devs[i];
                bool named = false;

                for (size_t j = 0; j < d->n_only; j++)
                        named = named || strcmp(d->only[j], dev->addr) == 0;
                /* The devices asked about, else those the rules select and those the text names. */
                if (d->n_only ? !named : !dev->rule && !named_in_findings(d, dev->addr))
                        continue;
                if (dev->unread)
                        continue;
                check_device(d, dev);
        }
}

static const char *cause_of(const struct finding *f)
{
        return f->c->cause;
}

static const char *fix_of(const struct finding *f)
{
        return f->fix ? f->fix : f->c->fix;
}

static void print_finding_human(const struct finding *f)
{
        printf("  %s %s: %s\n", vc_severity_to_string(f->c->severity), f->c->id, cause_of(f));
        printf("      evidence: %s", f->evidence);
        if (f->count > 1)
                printf(" (%u times)", f->count);
        printf("\n      fix: %s\n", fix_of(f));
}

static void print_human(const struct doctor *d, const unsigned counts[3])
{
        bool any_general = false;

        /* Devices in address order, then what concerns none. */
        for (size_t i = 0; i < d->s.devs.n; i++) {
                const struct vc_dev *dev = &d->s.devs.devs[i];
                bool header = false;

                for (size_t j = 0; j < d->n; j++) {
                        if (strcmp(d->f[j].device, dev->addr) != 0)
                                continue;
                        if (!header)
                                printf("%s [%04x:%04x] on %s%s%s\n", dev->addr, dev->vendor, dev->device,
                                       dev->driver[0] ? dev->driver : "no driver", dev->rule ? ", rule " : "",
                                       dev->rule ? dev->rule->origin : "");
                        header = true;
                        print_finding_human(&d->f[j]);
                }
        }
        /* A device the text names that this machine does not have. */
        for (size_t j = 0; j < d->n; j++) {
                bool seen = false;

                if (!d->f[j].device[0] || vc_devlist_find(&d->s.devs, d->f[j].device))
                        continue;
                for (size_t k = 0; k < j && !seen; k++)
                        seen = strcmp(d->f[k].device, d->f[j].device) == 0;
                if (seen)
                        continue;
                printf("%s (not on this machine)\n", d->f[j].device);
                for (size_t k = j; k < d->n; k++)
                        if (strcmp(d->f[k].device, d->f[j].device) == 0)
                                print_finding_human(&d->f[k]);
        }
        for (size_t j = 0; j < d->n; j++) {
                if (d->f[j].device[0])
                        continue;
                if (!any_general)
                        printf("no device:\n");
                any_general = true;
                print_finding_human(&d->f[j]);
        }
        if (d->n == 0)
                printf("no findings\n");
        printf("%u error(s), %u warning(s), %u info\n", counts[VC_SEV_ERROR], counts[VC_SEV_WARNING],
               counts[VC_SEV_INFO]);
}

static void print_json(const struct doctor *d, const unsigned counts[3], int result)
{
        json_begin_object();
        json_key("findings");
        json_begin_array();
        for (size_t i = 0; i < d->n; i++) {
                const struct finding *f = &d->f[i];

                json_begin_object();
                json_member_string("id", f->c->id);
                json_member_string("severity", vc_severity_to_string(f->c->severity));
                json_member_string("device", f->device);
                json_member_string("evidence", f->evidence);
                json_member_string("cause", cause_of(f));
                json_member_string("fix", fix_of(f));
                json_key("count");
                json_int(f->count);
                json_end_object();
        }
        json_end_array();
        json_key("errors");
        json_int(counts[VC_SEV_ERROR]);
        json_key("warnings");
        json_int(counts[VC_SEV_WARNING]);
        json_key("infos");
        json_int(counts[VC_SEV_INFO]);
        json_messages();
        json_key("result");
        json_int(result);
        json_end_object();
        json_end();
}

static void doctor_free(struct doctor *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->f[i].evidence);
                free(d->f[i].fix);
        }
        free(d->f);
        for (size_t i = 0; i < d->n_only; i++)
                free(d->only[i]);
        free(d->only);
        free(d->cmdline);
        free(d->boot_log);
        session_close(&d->s);
}

/* The addresses named, normalised; a word that is none is a usage error. */
static int parse_addresses(struct doctor *d, int argc, char *argv[])
{
        for (int i = 1; i < argc; i++) {
                char addr[VC_ADDR_MAX], *s, **v;

                if (!vc_addr_normalize(argv[i], strlen(argv[i]), addr)) {
                        fprintf(stderr, "vfio-claim: doctor: '%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)\n",
                                argv[i]);
                        return -EINVAL;
                }
                s = strdup(addr);
                v = s ? realloc(d->only, (d->n_only + 1) * sizeof(char *)) : NULL;
                if (!v) {
                        free(s);
                        return -ENOMEM;
                }
                d->only = v;
                d->only[d->n_only++] = s;
        }
        return 0;
}

static int run(int argc, char *argv[])
{
        _cleanup_(doctor_free) struct doctor d = {0};
        unsigned counts[3] = {0};
        char path[4096];
        int r, result;

        d.log_file = opt.log_file;
        r = parse_addresses(&d, argc, argv);
        if (r < 0)
                return r == -ENOMEM ? EXIT_PROBLEMS : EXIT_USAGE;
        if (session_open_resolve(&d.s, NEED_NONE) < 0)
                return EXIT_PROBLEMS;
        for (size_t i = 0; i < d.n_only; i++)
                if (!vc_devlist_find(&d.s.devs, d.only[i]))
                        log_msg(LOG_WARNING, "%s: no such PCI device here", d.only[i]);
        if (arg.cmdline || vc_root_path(d.s.ctx, VC_ROOT_PROC, "cmdline", path, sizeof(path)) == 0)
                (void)vc_read_file(arg.cmdline ? arg.cmdline : path, VC_CMDLINE_MAX, &d.cmdline, NULL);

        /* The text first: its words are the evidence a state check then need not repeat. */
        if (d.log_file)
                read_log_option(&d);
        read_kmsg(&d);
        read_boot_log(&d);
        check_iommu(&d);
        check_ids(&d);
        check_devices(&d);

        for (size_t i = 0; i < d.n; i++)
                counts[d.f[i].c->severity]++;
        result = counts[VC_SEV_ERROR] + counts[VC_SEV_WARNING] > 0 || log_count(LOG_ERR) > 0 ? EXIT_PROBLEMS : 0;
        if (arg.json)
                print_json(&d, counts, result);
        else
                print_human(&d, counts);
        log_close();
        return result;
}

static const struct option_spec options[] = {
        {"log", 'l', "FILE", OPT_STRING, &opt.log_file,
         "also read FILE (- for standard input): QEMU's or libvirt's error,\ndmesg, journalctl"},
        {"root", 0, "DIR", OPT_STRING, &opt.root, "read modprobe.d under DIR"},
};

const struct verb verb_doctor = {
        .name = "doctor",
        .run = run,
        VERB_ARGS("[ADDRESS...]", 0, VERB_ARGS_MANY, NULL),
        .json = true,
        VERB_OPTIONS(options),
        .help = "why passthrough fails: the state, boot and kernel log, QEMU's or libvirt's text",
};
