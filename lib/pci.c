// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI devices straight from sysfs. One read of each device's uevent gives
 * the IDs, the class and the bound driver; everything else is read only for
 * the devices a rule selects, so that a large SR-IOV box costs little. When
 * every rule names an address, even the uevent is read only where a rule
 * can match: the directory's name is the address.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "internal.h"

static int parse_id_pair(const char *v, uint16_t *a, uint16_t *b)
{
        uint32_t x, y;

        /* "8086:2922" */
        if (strlen(v) != 9 || v[4] != ':' || !vc_parse_hex_u32(v, 4, 0xffff, &x) ||
            !vc_parse_hex_u32(v + 5, 4, 0xffff, &y))
                return -EINVAL;
        *a = (uint16_t)x;
        *b = (uint16_t)y;
        return 0;
}

/* Parses a PCI device's uevent text into dev; -EINVAL names nothing useful. */
static int parse_uevent(char *text, struct vc_dev *dev)
{
        bool have_id = false, have_class = false;
        char *line, *save = NULL;

        dev->driver[0] = 0;
        dev->subvendor = dev->subdevice = 0;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                const char *v;

                if (!eq)
                        continue;
                *eq = 0;
                v = eq + 1;
                if (strcmp(line, "PCI_ID") == 0) {
                        if (parse_id_pair(v, &dev->vendor, &dev->device) < 0)
                                return -EINVAL;
                        have_id = true;
                } else if (strcmp(line, "PCI_SUBSYS_ID") == 0) {
                        if (parse_id_pair(v, &dev->subvendor, &dev->subdevice) < 0)
                                return -EINVAL;
                } else if (strcmp(line, "PCI_CLASS") == 0) {
                        uint32_t c;

                        if (!vc_parse_hex_u32(v, strlen(v), 0xffffff, &c))
                                return -EINVAL;
                        dev->class = c;
                        have_class = true;
                } else if (strcmp(line, "DRIVER") == 0) {
                        /* Driver names become path components: no '/' and bounded. */
                        if (!*v || strlen(v) >= VC_DRIVER_MAX || strchr(v, '/') || strcmp(v, ".") == 0 ||
                            strcmp(v, "..") == 0)
                                return -EINVAL;
                        strcpy(dev->driver, v);
                }
        }
        return have_id && have_class ? 0 : -ENODATA;
}

static int dev_cmp(const void *a, const void *b)
{
        const struct vc_dev *x = a, *y = b;

        if (x->domain != y->domain)
                return x->domain < y->domain ? -1 : 1;
        if (x->bus != y->bus)
                return x->bus < y->bus ? -1 : 1;
        if (x->slot != y->slot)
                return x->slot < y->slot ? -1 : 1;
        return (int)x->func - (int)y->func;
}

/*
 * Reads and parses the uevent of dev below dirfd, the directory dir
 * (SYSFS/bus/pci/devices; AT_FDCWD: rel paths start with dir). 0: done,
 * -ENOENT: the device went away meanwhile (not ours to report), any other
 * error: logged, the device is to be ignored.
 */
static int read_uevent(struct vc_ctx *ctx, int dirfd, const char *dir, struct vc_dev *dev)
{
        char text[VC_ATTR_MAX + 1], rel[4096], devdir[4096];
        int r;

        if (dirfd == AT_FDCWD)
                r = vc_sysfs_join(devdir, sizeof(devdir), dir, dev->addr);
        else
                r = vc_path(devdir, sizeof(devdir), "%s", dev->addr);
        if (r >= 0)
                r = vc_sysfs_join(rel, sizeof(rel), devdir, "uevent");
        if (r < 0)
                return r; /* cannot happen: the address was checked */
        r = vc_sysfs_read_at(dirfd, rel, text, sizeof(text), NULL);
        if (r >= 0)
                r = parse_uevent(text, dev);
        /* Removed while we looked: not ours to report. A device that
         * is still there without a uevent is a sysfs surprise. */
        if (r == -ENOENT && faccessat(dirfd, devdir, F_OK, 0) < 0)
                return -ENOENT;
        if (r < 0)
                vc_log(ctx, LOG_WARNING, "%s/%s/uevent: %s; device ignored", dir, dev->addr,
                       r == -ENODATA  ? "no PCI_ID or PCI_CLASS"
                       : r == -EINVAL ? "unexpected contents"
                       : r == -EFBIG  ? "larger than a page"
                                      : strerror(-r));
        return r < 0 ? r : 0;
}

/* With an address in every rule, only a device at one of those addresses can be selected. */
static bool may_select(const struct vc_config *cfg, const struct vc_dev *dev)
{
        for (size_t i = 0; cfg && i < cfg->n_rules; i++)
                if (vc_slot_match(&cfg->rules[i].slot, dev))
                        return true;
        return !cfg;
}

int vc_pci_enumerate(struct vc_ctx *ctx, const struct vc_config *cfg, struct vc_devlist *ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_free_ struct vc_dev *devs = NULL;
        size_t n = 0, alloc = 0, n_ignored = 0;
        char path[4096];
        const char *name;
        int r;

        for (size_t i = 0; cfg && i < cfg->n_rules; i++)
                if (!cfg->rules[i].has_slot || cfg->rules[i].has_vfs)
                        cfg = NULL; /* an id or subsystem alone can select any device; vfs, the PF's VFs */
        r = vc_sysfs_dir(ctx, VC_SYSFS_PCI_DEVICES, path, sizeof(path));
        if (r >= 0)
                r = vc_sysfs_opendir(path, &d);
        if (r < 0)
                return r;
        /* Per device: open, read, close of uevent when a rule may select it, and
         * nothing else unless one does. The directory's name is the address. */
        while ((name = vc_sysfs_next(d))) {
                struct vc_dev dev = {.group = -1};

                if (strlen(name) >= VC_ADDR_MAX || !vc_addr_parse(name, &dev.domain, &dev.bus, &dev.slot, &dev.func)) {
                        vc_log(ctx, LOG_WARNING, "%s/%s: not a PCI address, ignored", path, name);
                        continue;
                }
                strcpy(dev.addr, name);
                if (!may_select(cfg, &dev))
                        dev.unread = true;
                else if ((r = read_uevent(ctx, dirfd(d), path, &dev)) < 0) {
                        n_ignored += r != -ENOENT;
                        continue;
                }
                if (n == alloc) {
                        size_t na = alloc ? alloc * 2 : 64;
                        struct vc_dev *p = realloc(devs, na * sizeof(*p));

                        if (!p)
                                return -ENOMEM;
                        devs = p;
                        alloc = na;
                }
                devs[n++] = dev;
        }
        if (n > 1)
                qsort(devs, n, sizeof(*devs), dev_cmp);
        ret->devs = TAKE_PTR(devs);
        ret->n = n;
        ret->n_ignored = n_ignored;
        return 0;
}

int vc_dev_read_uevent(struct vc_ctx *ctx, struct vc_dev *dev)
{
        char dir[4096];
        int r;

        if (dev->unreadable)
                return -EIO;
        if (!dev->unread)
                return 0;
        r = vc_sysfs_dir(ctx, VC_SYSFS_PCI_DEVICES, dir, sizeof(dir));
        if (r >= 0)
                r = read_uevent(ctx, AT_FDCWD, dir, dev);
        if (r < 0) {
                dev->unreadable = true;
                return r;
        }
        dev->unread = false;
        return 0;
}

void vc_devlist_clear(struct vc_devlist *l)
{
        free(l->devs);
        l->devs = NULL;
        l->n = 0;
        l->n_ignored = 0;
}

struct vc_dev *vc_devlist_find(const struct vc_devlist *l, const char *addr)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->devs[i].addr, addr) == 0)
                        return &l->devs[i];
        return NULL;
}

int vc_dev_read_driver(struct vc_ctx *ctx, struct vc_dev *dev)
{
        char name[VC_DRIVER_MAX];
        int r;

        r = vc_sysfs_dev_link(ctx, dev->addr, "driver", name, sizeof(name));
        if (r == -ENOENT) {
                if (!vc_dev_exists(ctx, dev))
                        return -ENODEV;
                dev->driver[0] = 0;
                return 0;
        }
        if (r < 0)
                return r;
        strcpy(dev->driver, name);
        return 0;
}

int vc_dev_read_group(struct vc_ctx *ctx, struct vc_dev *dev)
{
        char name[32];
        uint32_t g;
        int r;

        if (dev->group_read)
                return 0;
        r = vc_sysfs_dev_link(ctx, dev->addr, "iommu_group", name, sizeof(name));
        if (r == -ENOENT) {
                dev->group = -1;
                dev->group_read = true;
                return 0;
        }
        if (r < 0)
                return r;
        if (strspn(name, "0123456789") != strlen(name) || strlen(name) > 9)
                return -EINVAL;
        g = (uint32_t)strtoul(name, NULL, 10);
        dev->group = (int)g;
        dev->group_read = true;
        return 0;
}

int vc_dev_vfio_nodes(struct vc_ctx *ctx, struct vc_dev *dev, struct vc_vfio_nodes *ret)
{
        struct vc_vfio_nodes n = {.group = -1};
        _cleanup_closedir_ DIR *d = NULL;
        char path[4096];
        const char *name;
        int r;

        r = vc_sysfs_dev_path(ctx, dev->addr, "vfio-dev", path, sizeof(path));
        if (r < 0)
                return r;
        r = vc_sysfs_opendir(path, &d);
        if (r < 0 && r != -ENOENT)
                return r;
        while (d && (name = vc_sysfs_next(d))) {
                const char *num = name + 4;
                char devpath[4096], rel[64];

                if (strncmp(name, "vfio", 4) != 0 || !*num || strspn(num, "0123456789") != strlen(num) ||
                    strlen(name) >= sizeof(n.cdev))
                        continue;
                /* Since 6.1 every VFIO device has vfio-dev/vfioN; only with
                 * CONFIG_VFIO_DEVICE_CDEV does it hold dev (MAJ:MIN) and have a node. */
                r = vc_sysfs_join(rel, sizeof(rel), name, "dev");
                if (r >= 0)
                        r = vc_sysfs_join(devpath, sizeof(devpath), path, rel);
                if (r < 0)
                        return r;
                if (vc_sysfs_exists(devpath, false)) {
                        strcpy(n.cdev, name);
                        break;
                }
        }
        r = vc_dev_read_group(ctx, dev);
        if (r < 0)
                return r;
        /* Without SYSFS/class/vfio a device with a cdev is on a kernel without
         * group nodes; without either, assume the groups every kernel before
         * iommufd had (a captured tree may lack class/). */
        if (dev->group >= 0) {
                r = vc_sysfs_dir(ctx, VC_SYSFS_CLASS_VFIO, path, sizeof(path));
                if (r < 0)
                        return r;
                if (!n.cdev[0] || vc_sysfs_exists(path, false))
                        n.group = dev->group;
        }
        *ret = n;
        return 0;
}

int vc_dev_read_override(struct vc_ctx *ctx, const struct vc_dev *dev, char *buf, size_t size)
{
        int r;

        r = vc_sysfs_dev_read(ctx, dev->addr, "driver_override", buf, size);
        if (r < 0)
                return r;
        /* Older kernels print an unset override as "(null)". */
        if (strcmp(buf, "(null)") == 0)
                buf[0] = 0;
        /* It goes into messages: nothing unprintable reaches a terminal or the kernel log. */
        for (char *p = buf; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                        *p = '?';
        return 0;
}

int vc_dev_boot_vga(struct vc_ctx *ctx, const struct vc_dev *dev)
{
        char buf[16];
        int r;

        r = vc_sysfs_dev_read(ctx, dev->addr, "boot_vga", buf, sizeof(buf));
        if (r == -ENOENT)
                return 0; /* only VGA-class devices have the attribute */
        if (r < 0)
                return r;
        return strcmp(buf, "1") == 0;
}

/* Header types 1 and 2: bridges are never claimed and never spoil a group. */
bool vc_dev_is_bridge(const struct vc_dev *dev)
{
        uint32_t cs = dev->class >> 8;

        return cs == 0x0604 || cs == 0x0607 || cs == 0x0609;
}

/* Host, ISA, other bridges (class 06xx but not a PCI bridge): an IOMMU group
 * shares them with endpoints when the chipset lacks ACS. The host needs them
 * (LPC holds the TPM and watchdog, the host bridge the memory controller), so
 * 'group' never pulls them in. */
bool vc_dev_is_chipset_bridge(const struct vc_dev *dev)
{
        return (dev->class >> 16) == 0x06 && !vc_dev_is_bridge(dev);
}

bool vc_dev_exists(struct vc_ctx *ctx, const struct vc_dev *dev)
{
        char path[4096];

        return vc_sysfs_dev_path(ctx, dev->addr, NULL, path, sizeof(path)) >= 0 && vc_sysfs_exists(path, false);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The addresses in IOMMU group N, sorted, so that messages do not depend on readdir. */
int vc_group_members(struct vc_ctx *ctx, int group, char ***ret, size_t *ret_n)
{
        _cleanup_closedir_ DIR *d = NULL;
        char **v = NULL;
        size_t n = 0;
        char path[4096];
        const char *name;
        int r;

        r = vc_sysfs_group_path(ctx, group, "devices", path, sizeof(path));
        if (r >= 0)
                r = vc_sysfs_opendir(path, &d);
        if (r < 0)
                return r;
        while ((name = vc_sysfs_next(d))) {
                char *s;

                if (!vc_addr_parse(name, NULL, NULL, NULL, NULL))
                        continue;
                s = strdup(name);
                if (!s || vc_strv_push(&v, &n, s) < 0) {
                        free(s);
                        vc_strv_free(v, n);
                        return -ENOMEM;
                }
        }
        if (n > 1)
                qsort(v, n, sizeof(char *), cmp_str);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* 1 when the kernel made IOMMU groups, 0 when there are none. */
int vc_iommu_enabled(struct vc_ctx *ctx)
{
        _cleanup_closedir_ DIR *d = NULL;
        char path[4096];
        int r;

        r = vc_sysfs_dir(ctx, VC_SYSFS_IOMMU_GROUPS, path, sizeof(path));
        if (r >= 0)
                r = vc_sysfs_opendir(path, &d);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        return vc_sysfs_next(d) ? 1 : 0;
}

bool vc_driver_loaded(struct vc_ctx *ctx, const char *driver)
{
        char path[4096];

        return vc_sysfs_driver_path(ctx, driver, NULL, path, sizeof(path)) >= 0 && vc_sysfs_exists(path, true);
}
