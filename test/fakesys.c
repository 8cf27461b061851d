// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fake sysfs fixture builder: see fakesys.h for the layout. Formats are
 * the kernel's own (drivers/pci/pci-sysfs.c, drivers/pci/pci-driver.c
 * pci_uevent()), so that the program under test parses what a real machine
 * shows it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakesys.h"

struct devrec {
        char *addr;
        char *dir; /* relative to the root */
        struct fake_dev d;
        char *driver;
        char *group;
};

struct blockrec {
        char *name; /* "sda" or "sda1" */
        char *dir;
};

struct fakesys {
        char *root;
        char *real_root; /* root with symlinks resolved */
        bool owned;
        struct devrec *devs;
        size_t n_devs;
        struct blockrec *blocks;
        size_t n_blocks;
        bool vfio_groups, vfio_cdev; /* what the imitated kernel offers, see fakesys_set_vfio_kernel() */
        unsigned next_cdev;
};

/* ---- small helpers ---- */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                errno = ENOMEM;
        return s;
}

static int neg_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

static char *abs_path(const struct fakesys *fs, const char *rel)
{
        return xasprintf("%s/%s", fs->root, rel);
}

static int mkdir_p(const struct fakesys *fs, const char *rel)
{
        char *p = abs_path(fs, rel);
        size_t skip = strlen(fs->root) + 1;
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = p + skip;; s++) {
                if (*s == '/' || *s == 0) {
                        char c = *s;

                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                                r = neg_errno();
                                break;
                        }
                        *s = c;
                        if (!c)
                                break;
                }
        }
        free(p);
        return r;
}

static int write_abs(const char *path, const char *content, size_t len, mode_t mode)
{
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return neg_errno();
        while (len > 0) {
                ssize_t k = write(fd, content, len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = neg_errno();
                        break;
                }
                content += k;
                len -= (size_t)k;
        }
        if (close(fd) < 0 && r == 0)
                r = neg_errno();
        /* open() applies the umask; the tree's modes are part of what snapshots compare. */
        if (r == 0 && chmod(path, mode) < 0)
                r = neg_errno();
        return r;
}

static int put_file(const struct fakesys *fs, const char *rel, const char *content, mode_t mode)
{
        char *p = abs_path(fs, rel);
        int r;

        if (!p)
                return -ENOMEM;
        r = write_abs(p, content, strlen(content), mode);
        free(p);
        return r;
}

static int put_filef(const struct fakesys *fs, const char *rel, mode_t mode, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int put_filef(const struct fakesys *fs, const char *rel, mode_t mode, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = put_file(fs, rel, s, mode);
        free(s);
        return r;
}

static int put_file_new(const struct fakesys *fs, const char *rel, const char *content, mode_t mode)
{
        char *p = abs_path(fs, rel);
        struct stat st;
        bool exists;

        if (!p)
                return -ENOMEM;
        exists = lstat(p, &st) == 0;
        free(p);
        return exists ? 0 : put_file(fs, rel, content, mode);
}

/*
 * The target of a link in directory dir to target, both relative to the
 * root, as sysfs writes it (fs/kernfs/symlink.c kernfs_get_target_path()):
 * "../" up from dir to the nearest directory that holds target below it,
 * then down. So a VF's physfn reads "../0000:01:00.0" and a driver link
 * "../../../bus/pci/drivers/ahci".
 */
static char *link_target(const char *dir, const char *target)
{
        const char *d = dir, *t = target, *rest = target;
        size_t ups = 0;
        char *s, *p;

        /* Skip the components dir shares with target's directory. */
        for (;;) {
                size_t dl = strcspn(d, "/"), tl = strcspn(t, "/");

                if (!*d || t[tl] != '/' || dl != tl || strncmp(d, t, dl) != 0)
                        break;
                d += dl + (d[dl] == '/');
                t += tl + 1;
                rest = t;
        }
        /* One "../" per component of dir left. */
        for (const char *c = d; *c; c += strcspn(c, "/"), c += *c == '/')
                ups++;
        s = malloc(ups * 3 + strlen(rest) + 1);
        if (!s)
                return NULL;
        p = s;
        for (size_t i = 0; i < ups; i++)
                p = stpcpy(p, "../");
        strcpy(p, rest);
        return s;
}

/* A symlink at link_rel (relative to the root) that points at target_rel, written relative. */
static int put_link(const struct fakesys *fs, const char *link_rel, const char *target_rel)
{
        char *dir = strdup(link_rel), *slash, *target = NULL, *p = NULL;
        int r = -ENOMEM;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash) {
                r = -EINVAL;
                goto out;
        }
        *slash = 0;
        target = link_target(dir, target_rel);
        p = abs_path(fs, link_rel);
        if (!target || !p)
                goto out;
        (void)unlink(p);
        r = symlink(target, p) < 0 ? neg_errno() : 0;
out:
        free(dir);
        free(target);
        free(p);
        return r;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int rm_rf(const char *path)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : neg_errno();
        return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? neg_errno() : 0;
}

static bool valid_name(const char *s)
{
        return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 256;
}

/* "0000:00:1f.2": domain of 4 or more hex digits, bus, slot, function. */
static bool valid_addr(const char *s)
{
        const char *c1 = strchr(s, ':'), *c2, *dot;
        unsigned slot, fn;

        if (!c1 || c1 - s < 4 || strspn(s, "0123456789abcdef") != (size_t)(c1 - s))
                return false;
        c2 = c1 + 3;
        if (strspn(c1 + 1, "0123456789abcdef") != 2 || *c2 != ':')
                return false;
        dot = c2 + 3;
        if (strspn(c2 + 1, "0123456789abcdef") != 2 || *dot != '.' || strlen(dot) != 2 || dot[1] < '0' || dot[1] > '7')
                return false;
        if (sscanf(c2 + 1, "%2x.%1u", &slot, &fn) != 2 || slot > 0x1f)
                return false;
        return true;
}

static struct devrec *find_dev(const struct fakesys *fs, const char *addr)
{
        for (size_t i = 0; i < fs->n_devs; i++)
                if (strcmp(fs->devs[i].addr, addr) == 0)
                        return &fs->devs[i];
        return NULL;
}

/* ---- life cycle ---- */

static int populate(struct fakesys *fs)
{
        static const char *const dirs[] = {
                "bus/pci/devices", "bus/pci/drivers", "devices", "kernel/iommu_groups", "dev/block", "dev/char",
        };
        int r;

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                r = mkdir_p(fs, dirs[i]);
                if (r < 0)
                        return r;
        }
        /* Write-only in the kernel (0200); 0600 here so that the fixture can read them back.
         * Files that exist are kept: fakesys_new_at() may open a tree made before. */
        r = put_file_new(fs, "bus/pci/drivers_probe", "", 0600);
        if (r >= 0)
                r = put_file_new(fs, "bus/pci/drivers_autoprobe", "1\n", 0644);
        if (r >= 0)
                r = put_file_new(fs, "bus/pci/rescan", "", 0600);
        return r;
}

static int fakesys_init(char *root, bool owned, struct fakesys **ret)
{
        struct fakesys *fs = calloc(1, sizeof(*fs));
        int r;

        if (!fs) {
                free(root);
                return -ENOMEM;
        }
        fs->root = root;
        fs->owned = owned;
        fs->real_root = realpath(root, NULL);
        if (!fs->real_root) {
                r = neg_errno();
                goto fail;
        }
        r = populate(fs);
        if (r < 0)
                goto fail;
        *ret = fs;
        return 0;
fail:
        fakesys_free(fs);
        return r;
}

int fakesys_new(struct fakesys **ret)
{
        const char *tmp = getenv("TMPDIR");
        char *root;

        if (!tmp || !*tmp)
                tmp = "/tmp";
        root = xasprintf("%s/fakesys.XXXXXX", tmp);
        if (!root)
                return -ENOMEM;
        if (!mkdtemp(root)) {
                int r = neg_errno();

                free(root);
                return r;
        }
        return fakesys_init(root, true, ret);
}

int fakesys_new_at(const char *dir, struct fakesys **ret)
{
        char *root;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return neg_errno();
        root = strdup(dir);
        if (!root)
                return -ENOMEM;
        return fakesys_init(root, false, ret);
}

void fakesys_free(struct fakesys *fs)
{
        if (!fs)
                return;
        if (fs->owned && fs->root) {
                const char *keep = getenv("FAKESYS_KEEP");

                if (keep && *keep && strcmp(keep, "0") != 0)
                        fprintf(stderr, "fakesys: keeping %s\n", fs->root);
                else
                        (void)rm_rf(fs->root);
        }
        for (size_t i = 0; i < fs->n_devs; i++) {
                free(fs->devs[i].addr);
                free(fs->devs[i].dir);
                free(fs->devs[i].driver);
                free(fs->devs[i].group);
        }
        free(fs->devs);
        for (size_t i = 0; i < fs->n_blocks; i++) {
                free(fs->blocks[i].name);
                free(fs->blocks[i].dir);
        }
        free(fs->blocks);
        free(fs->real_root);
        free(fs->root);
        free(fs);
}

const char *fakesys_root(const struct fakesys *fs)
{
        return fs->root;
}

/* ---- drivers and devices ---- */

int fakesys_add_driver(struct fakesys *fs, const char *name)
{
        static const char *const attrs[] = {"bind", "unbind", "new_id", "remove_id"};
        char *dir;
        int r;

        if (!valid_name(name))
                return -EINVAL;
        dir = xasprintf("bus/pci/drivers/%s", name);
        if (!dir)
                return -ENOMEM;
        r = mkdir_p(fs, dir);
        for (size_t i = 0; r >= 0 && i < sizeof(attrs) / sizeof(attrs[0]); i++) {
                char *p = xasprintf("%s/%s", dir, attrs[i]);
                struct stat st;
                char *ap = p ? abs_path(fs, p) : NULL;

                if (!ap)
                        r = -ENOMEM;
                /* Adding a driver twice keeps what was written. */
                else if (lstat(ap, &st) < 0)
                        r = put_file(fs, p, "", 0600);
                free(ap);
                free(p);
        }
        free(dir);
        return r;
}

static char *make_uevent(const struct fake_dev *d, const char *driver)
{
        return xasprintf("%s%s%s"
                         "PCI_CLASS=%X\n"
                         "PCI_ID=%04X:%04X\n"
                         "PCI_SUBSYS_ID=%04X:%04X\n"
                         "PCI_SLOT_NAME=%s\n"
                         "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                         driver ? "DRIVER=" : "", driver ? driver : "", driver ? "\n" : "", d->class & 0xffffff,
                         d->vendor, d->device, d->subvendor, d->subdevice, d->addr, d->vendor, d->device, d->subvendor,
                         d->subdevice, (d->class >> 16) & 0xff, (d->class >> 8) & 0xff, d->class & 0xff);
}

static int link_driver(struct fakesys *fs, struct devrec *rec, const char *driver)
{
        char *l = NULL, *t = NULL, *back = NULL;
        int r;

        r = fakesys_add_driver(fs, driver);
        if (r < 0)
                return r;
        l = xasprintf("%s/driver", rec->dir);
        t = xasprintf("bus/pci/drivers/%s", driver);
        back = xasprintf("bus/pci/drivers/%s/%s", driver, rec->addr);
        if (!l || !t || !back)
                r = -ENOMEM;
        if (r >= 0)
                r = put_link(fs, l, t);
        if (r >= 0)
                r = put_link(fs, back, rec->dir);
        free(l);
        free(t);
        free(back);
        return r;
}

static int unlink_rel(const struct fakesys *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int unlink_rel(const struct fakesys *fs, const char *fmt, ...)
{
        va_list ap;
        char *rel, *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&rel, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p = abs_path(fs, rel);
        free(rel);
        if (!p)
                return -ENOMEM;
        r = unlink(p) < 0 && errno != ENOENT ? neg_errno() : 0;
        free(p);
        return r;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

/*
 * DIR/config as the kernel's config file shows it: the IDs and class in the
 * header, and from 0x100 an extended capability chain: AER (ID 0x0001), then,
 * with a serial, the Device Serial Number (ID 0x0003) at 0x140 with the lower
 * dword first, where QEMU's e1000e puts it.
 */
static int put_config(const struct fakesys *fs, const char *dir, const struct fake_dev *dev)
{
        uint8_t cfg[4096] = {0};
        size_t size = dev->config_size ? dev->config_size : sizeof(cfg);
        char *rel, *p;
        int r;

        if (size > sizeof(cfg))
                return -EINVAL;
        put_le32(cfg, (uint32_t)dev->device << 16 | dev->vendor);
        put_le32(cfg + 8, (dev->class & 0xffffff) << 8 | 0x01);
        cfg[0x0e] = (dev->class >> 8) == 0x0604 ? 1 : 0;
        put_le32(cfg + 0x2c, (uint32_t)dev->subdevice << 16 | dev->subvendor);
        put_le32(cfg + 0x100, (dev->has_serial ? 0x140u : 0u) << 20 | 1u << 16 | 0x0001);
        if (dev->has_serial) {
                put_le32(cfg + 0x140, 1u << 16 | 0x0003);
                put_le32(cfg + 0x144, (uint32_t)dev->serial);
                put_le32(cfg + 0x148, (uint32_t)(dev->serial >> 32));
        }
        rel = xasprintf("%s/config", dir);
        p = rel ? abs_path(fs, rel) : NULL;
        r = p ? write_abs(p, (const char *)cfg, size, 0644) : -ENOMEM;
        free(p);
        free(rel);
        return r;
}

int fakesys_add_device(struct fakesys *fs, const struct fake_dev *dev)
{
        struct devrec rec = {0}, *p;
        char *rel = NULL, *busdom = NULL;
        int r = -ENOMEM;

        if (!dev->addr || !valid_addr(dev->addr) || find_dev(fs, dev->addr))
                return -EINVAL;
        if ((dev->driver && !valid_name(dev->driver)) || (dev->group && !valid_name(dev->group)) ||
            (dev->group && strspn(dev->group, "0123456789") != strlen(dev->group)))
                return -EINVAL;
        if (dev->parent) {
                const struct devrec *parent = find_dev(fs, dev->parent);

                if (!parent)
                        return -ENOENT;
                rec.dir = xasprintf("%s/%s", parent->dir, dev->addr);
        } else {
                /* The root bus the kernel names pciDDDD:BB after domain and bus. */
                busdom = strndup(dev->addr, strlen(dev->addr) - 5);
                if (busdom)
                        rec.dir = xasprintf("devices/pci%s/%s", busdom, dev->addr);
        }
        rec.addr = strdup(dev->addr);
        if (!rec.dir || !rec.addr)
                goto fail;
        rec.d = *dev;
        rec.d.addr = rec.addr;
        rec.d.driver = NULL;
        rec.d.group = NULL;
        rec.d.parent = NULL;
        rec.d.boot_vga = NULL;
        rec.d.driver_override = NULL;
        rec.d.reset_method = NULL;
        if (dev->group) {
                rec.group = strdup(dev->group);
                if (!rec.group)
                        goto fail;
        }

        r = mkdir_p(fs, rec.dir);
        if (r < 0)
                goto fail;
#define ATTR(name, mode, ...)                                                                                          \
        do {                                                                                                           \
                free(rel);                                                                                             \
                rel = xasprintf("%s/" name, rec.dir);                                                                  \
                r = rel ? put_filef(fs, rel, mode, __VA_ARGS__) : -ENOMEM;                                             \
                if (r < 0)                                                                                             \
                        goto fail;                                                                                     \
        } while (0)
        ATTR("vendor", 0444, "0x%04x\n", dev->vendor);
        ATTR("device", 0444, "0x%04x\n", dev->device);
        ATTR("subsystem_vendor", 0444, "0x%04x\n", dev->subvendor);
        ATTR("subsystem_device", 0444, "0x%04x\n", dev->subdevice);
        ATTR("class", 0444, "0x%06x\n", dev->class & 0xffffff);
        ATTR("driver_override", 0644, "%s\n", dev->driver_override ? dev->driver_override : "(null)");
        ATTR("enable", 0644, "%s\n", dev->driver ? "1" : "0");
        ATTR("numa_node", 0644, "%s\n", "-1");
        ATTR("modalias", 0444, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", dev->vendor, dev->device,
             dev->subvendor, dev->subdevice, (dev->class >> 16) & 0xff, (dev->class >> 8) & 0xff, dev->class & 0xff);
        ATTR("remove", 0600, "%s", ""); /* 0200 in the kernel */
        /* Six BARs, the ROM and the bridge windows: start, end, flags (pci-sysfs.c resource_show()). */
        ATTR("resource", 0444, "%s",
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
             "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
        /* On every device (measured on 6.1); reset_method only where the device offers one. */
        ATTR("d3cold_allowed", 0644, "%s\n", "1");
        if (dev->reset_method)
                ATTR("reset_method", 0644, "%s\n", dev->reset_method);
        free(rel);
        rel = xasprintf("%s/power", rec.dir);
        r = rel ? mkdir_p(fs, rel) : -ENOMEM;
        if (r < 0)
                goto fail;
        ATTR("power/control", 0644, "%s\n", "on");
        if (dev->boot_vga)
                ATTR("boot_vga", 0444, "%s\n", dev->boot_vga);
        if (dev->sriov_total > 0) {
                ATTR("sriov_totalvfs", 0444, "%u\n", dev->sriov_total);
                ATTR("sriov_numvfs", 0644, "%u\n", 0);
                ATTR("sriov_offset", 0444, "%u\n", dev->sriov_offset ? dev->sriov_offset : 1);
                ATTR("sriov_stride", 0444, "%u\n", dev->sriov_stride ? dev->sriov_stride : 1);
                ATTR("sriov_vf_device", 0444, "%x\n", dev->device);
                ATTR("sriov_drivers_autoprobe", 0644, "%u\n", 1);
                ATTR("sriov_vf_total_msix", 0444, "%u\n", 0);
        }
#undef ATTR
        r = put_config(fs, rec.dir, dev);
        if (r < 0)
                goto fail;
        if (dev->slot) {
                free(rel);
                rel = xasprintf("bus/pci/slots/%s", dev->slot);
                r = rel && valid_name(dev->slot) ? mkdir_p(fs, rel) : -EINVAL;
                if (r < 0)
                        goto fail;
                free(rel);
                rel = xasprintf("bus/pci/slots/%s/address", dev->slot);
                /* The card's address without the function: "0000:01:00". */
                r = rel ? put_filef(fs, rel, 0444, "%.*s\n", (int)strlen(dev->addr) - 2, dev->addr) : -ENOMEM;
                if (r < 0)
                        goto fail;
        }
        free(rel);
        rel = xasprintf("%s/uevent", rec.dir);
        if (rel) {
                char *u = make_uevent(&rec.d, dev->driver);

                r = u ? put_file(fs, rel, u, 0644) : -ENOMEM;
                free(u);
        } else
                r = -ENOMEM;
        if (r < 0)
                goto fail;

        free(rel);
        rel = xasprintf("%s/subsystem", rec.dir);
        r = rel ? put_link(fs, rel, "bus/pci") : -ENOMEM;
        if (r < 0)
                goto fail;
        free(rel);
        rel = xasprintf("bus/pci/devices/%s", dev->addr);
        r = rel ? put_link(fs, rel, rec.dir) : -ENOMEM;
        if (r < 0)
                goto fail;
        if (dev->driver) {
                r = link_driver(fs, &rec, dev->driver);
                if (r < 0)
                        goto fail;
        }
        if (dev->group) {
                char *gdir = xasprintf("kernel/iommu_groups/%s", dev->group);
                char *gdevs = xasprintf("kernel/iommu_groups/%s/devices", dev->group);
                char *gtype = xasprintf("kernel/iommu_groups/%s/type", dev->group);
                char *member = xasprintf("kernel/iommu_groups/%s/devices/%s", dev->group, dev->addr);

                free(rel);
                rel = xasprintf("%s/iommu_group", rec.dir);
                r = gdir && gdevs && gtype && member && rel ? 0 : -ENOMEM;
                if (r >= 0)
                        r = mkdir_p(fs, gdevs);
                if (r >= 0 && !fakesys_exists(fs, gtype))
                        r = put_file(fs, gtype, "DMA\n", 0644);
                if (r >= 0)
                        r = put_link(fs, rel, gdir);
                if (r >= 0)
                        r = put_link(fs, member, rec.dir);
                free(gdir);
                free(gdevs);
                free(gtype);
                free(member);
                if (r < 0)
                        goto fail;
        }
        p = realloc(fs->devs, (fs->n_devs + 1) * sizeof(*p));
        if (!p) {
                r = -ENOMEM;
                goto fail;
        }
        fs->devs = p;
        if (dev->driver) {
                rec.driver = strdup(dev->driver);
                if (!rec.driver) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        fs->devs[fs->n_devs++] = rec;
        free(rel);
        free(busdom);
        return 0;
fail:
        free(rel);
        free(busdom);
        free(rec.addr);
        free(rec.dir);
        free(rec.group);
        free(rec.driver);
        return r;
}

int fakesys_set_vfio_kernel(struct fakesys *fs, bool groups, bool cdev)
{
        fs->vfio_groups = groups;
        fs->vfio_cdev = cdev;
        return groups ? mkdir_p(fs, "class/vfio") : 0;
}

static bool is_vfio_driver(const char *driver)
{
        size_t n = driver ? strlen(driver) : 0;

        return n && (strcmp(driver, "vfio-pci") == 0 || (n > 9 && strcmp(driver + n - 9, "_vfio_pci") == 0));
}

/*
 * The struct device every VFIO device has since 6.1 (class vfio-dev,
 * drivers/vfio/vfio_main.c): DEVICE/vfio-dev/vfioN holding device (a link
 * back), power/, subsystem and uevent, as measured on Debian's 6.1; and
 * class/vfio-dev/vfioN. Only with CONFIG_VFIO_DEVICE_CDEV does it get a
 * devt: then dev holds MAJ:MIN and the uevent names the node.
 */
static int add_vfio_dev(struct fakesys *fs, struct devrec *rec)
{
        unsigned n = fs->next_cdev++;
        char *dir = xasprintf("%s/vfio-dev/vfio%u", rec->dir, n), *rel = NULL,
             *cls = xasprintf("class/vfio-dev/vfio%u", n);
        int r = dir && cls ? mkdir_p(fs, "class/vfio-dev") : -ENOMEM;

        if (r >= 0)
                r = (rel = xasprintf("%s/power", dir)) ? mkdir_p(fs, rel) : -ENOMEM;
        free(rel);
        if (r >= 0)
                r = (rel = xasprintf("%s/power/control", dir)) ? put_file(fs, rel, "auto\n", 0644) : -ENOMEM;
        free(rel);
        if (r >= 0)
                r = (rel = xasprintf("%s/device", dir)) ? put_link(fs, rel, rec->dir) : -ENOMEM;
        free(rel);
        if (r >= 0)
                r = (rel = xasprintf("%s/subsystem", dir)) ? put_link(fs, rel, "class/vfio-dev") : -ENOMEM;
        free(rel);
        if (r >= 0 && fs->vfio_cdev)
                r = (rel = xasprintf("%s/dev", dir)) ? put_filef(fs, rel, 0444, "%u:%u\n", 511u, n) : -ENOMEM;
        else
                rel = NULL;
        free(rel);
        if (r >= 0)
                r = (rel = xasprintf("%s/uevent", dir))
                            ? (fs->vfio_cdev ? put_filef(fs, rel, 0644,
                                                         "MAJOR=511\nMINOR=%u\nDEVNAME=vfio/devices/vfio%u\n", n, n)
                                             : put_file(fs, rel, "", 0644))
                            : -ENOMEM;
        free(rel);
        if (r >= 0)
                r = put_link(fs, cls, dir);
        free(dir);
        free(cls);
        return r;
}

static int remove_vfio_dev(struct fakesys *fs, struct devrec *rec)
{
        char *p = xasprintf("%s/%s/vfio-dev", fs->root, rec->dir);
        DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;
        int r = p ? 0 : -ENOMEM;

        while (d && r >= 0 && (de = readdir(d)))
                if (strncmp(de->d_name, "vfio", 4) == 0)
                        r = unlink_rel(fs, "class/vfio-dev/%s", de->d_name);
        if (d)
                closedir(d);
        if (r >= 0 && p)
                r = rm_rf(p);
        free(p);
        return r;
}

/* What the kernel adds when a VFIO driver binds a device and removes when it
 * lets go: the device's vfio-dev (see add_vfio_dev()) and its group's node
 * (class/vfio/N -> devices/virtual/vfio/N, while some device of the group is
 * bound). */
static int update_vfio_nodes(struct fakesys *fs, struct devrec *rec, bool bound)
{
        char *rel;
        int r = 0;

        if (!fs->vfio_groups && !fs->vfio_cdev)
                return 0;
        r = bound ? add_vfio_dev(fs, rec) : remove_vfio_dev(fs, rec);
        if (r < 0 || !fs->vfio_groups || !rec->group)
                return r;
        if (!bound)
                for (size_t i = 0; i < fs->n_devs; i++)
                        if (&fs->devs[i] != rec && fs->devs[i].group && strcmp(fs->devs[i].group, rec->group) == 0 &&
                            is_vfio_driver(fs->devs[i].driver))
                                return 0; /* the group's node stays while a member is bound */
        if (bound) {
                char *vdir = xasprintf("devices/virtual/vfio/%s", rec->group),
                     *link = xasprintf("class/vfio/%s", rec->group);
                char *f = vdir ? xasprintf("%s/dev", vdir) : NULL, *u = vdir ? xasprintf("%s/uevent", vdir) : NULL;

                r = vdir && link && f && u ? mkdir_p(fs, vdir) : -ENOMEM;
                if (r >= 0)
                        r = put_filef(fs, f, 0444, "%u:%s\n", 243u, rec->group);
                if (r >= 0)
                        r = put_filef(fs, u, 0644, "MAJOR=243\nMINOR=%s\nDEVNAME=vfio/%s\n", rec->group, rec->group);
                if (r >= 0)
                        r = put_link(fs, link, vdir);
                free(vdir);
                free(link);
                free(f);
                free(u);
                return r;
        }
        r = unlink_rel(fs, "class/vfio/%s", rec->group);
        rel = r >= 0 ? xasprintf("%s/devices/virtual/vfio/%s", fs->root, rec->group) : NULL;
        if (r >= 0)
                r = rel ? rm_rf(rel) : -ENOMEM;
        free(rel);
        return r;
}

static char *link_base(struct fakesys *fs, const char *dir, const char *name);
static int adopt(struct fakesys *fs, const char *addr, const char *dir);
static int read_hex_attr(struct fakesys *fs, const char *dir, const char *attr, uint32_t max, uint32_t *ret);

/* A device the tree has but fs did not add (a VF that fakesys_kernel_write() made):
 * learnt from the tree, with its IDs, driver and group. */
static struct devrec *find_or_adopt(struct fakesys *fs, const char *addr)
{
        struct devrec *rec = find_dev(fs, addr);
        char *link = rec || !valid_addr(addr) ? NULL : xasprintf("bus/pci/devices/%s", addr);
        char *dir = link && fakesys_exists(fs, link) ? fakesys_canon(fs, link) : NULL;
        uint32_t v;

        free(link);
        if (!dir || adopt(fs, addr, dir) < 0) {
                free(dir);
                return rec;
        }
        free(dir);
        rec = &fs->devs[fs->n_devs - 1];
        rec->driver = link_base(fs, rec->dir, "driver");
        rec->group = link_base(fs, rec->dir, "iommu_group");
        if (read_hex_attr(fs, rec->dir, "vendor", 0xffff, &v) >= 0)
                rec->d.vendor = (uint16_t)v;
        if (read_hex_attr(fs, rec->dir, "device", 0xffff, &v) >= 0)
                rec->d.device = (uint16_t)v;
        if (read_hex_attr(fs, rec->dir, "subsystem_vendor", 0xffff, &v) >= 0)
                rec->d.subvendor = (uint16_t)v;
        if (read_hex_attr(fs, rec->dir, "subsystem_device", 0xffff, &v) >= 0)
                rec->d.subdevice = (uint16_t)v;
        if (read_hex_attr(fs, rec->dir, "class", 0xffffff, &v) >= 0)
                rec->d.class = v;
        return rec;
}

int fakesys_set_driver(struct fakesys *fs, const char *addr, const char *driver)
{
        struct devrec *rec = find_or_adopt(fs, addr);
        char *rel, *u, *dup = NULL;
        int r;

        if (!rec)
                return -ENOENT;
        if (driver && !valid_name(driver))
                return -EINVAL;
        if (rec->driver) {
                r = unlink_rel(fs, "bus/pci/drivers/%s/%s", rec->driver, rec->addr);
                if (r < 0)
                        return r;
        }
        r = unlink_rel(fs, "%s/driver", rec->dir);
        if (r < 0)
                return r;
        if (driver) {
                dup = strdup(driver);
                if (!dup)
                        return -ENOMEM;
                r = link_driver(fs, rec, driver);
                if (r < 0) {
                        free(dup);
                        return r;
                }
        }
        if (is_vfio_driver(rec->driver) != is_vfio_driver(dup)) {
                r = update_vfio_nodes(fs, rec, is_vfio_driver(dup));
                if (r < 0) {
                        free(dup);
                        return r;
                }
                /* vfio-pci's probe allows runtime PM (pm_runtime_allow: "auto", seen
                 * on 6.1 right after the bind), its remove forbids it again ("on"). */
                rel = xasprintf("%s/power/control", rec->dir);
                r = rel ? put_file(fs, rel, is_vfio_driver(dup) ? "auto\n" : "on\n", 0644) : -ENOMEM;
                free(rel);
                if (r < 0) {
                        free(dup);
                        return r;
                }
        }
        free(rec->driver);
        rec->driver = dup;
        rel = xasprintf("%s/uevent", rec->dir);
        u = make_uevent(&rec->d, driver);
        r = rel && u ? put_file(fs, rel, u, 0644) : -ENOMEM;
        free(rel);
        free(u);
        return r;
}

int fakesys_remove_device(struct fakesys *fs, const char *addr)
{
        struct devrec *rec = find_or_adopt(fs, addr);
        char *p;
        int r = 0;

        if (!rec)
                return -ENOENT;
        if (rec->driver && is_vfio_driver(rec->driver))
                r = fakesys_set_driver(fs, addr, NULL);
        if (r >= 0 && rec->driver)
                r = unlink_rel(fs, "bus/pci/drivers/%s/%s", rec->driver, rec->addr);
        if (r >= 0 && rec->group) {
                char *g = xasprintf("%s/kernel/iommu_groups/%s", fs->root, rec->group);
                char *gd = g ? xasprintf("%s/devices", g) : NULL;

                /* The group goes with its last member. */
                r = gd ? unlink_rel(fs, "kernel/iommu_groups/%s/devices/%s", rec->group, rec->addr) : -ENOMEM;
                if (r >= 0 && rmdir(gd) == 0)
                        r = rm_rf(g);
                free(g);
                free(gd);
        }
        if (r >= 0)
                r = unlink_rel(fs, "bus/pci/devices/%s", rec->addr);
        p = r >= 0 ? abs_path(fs, rec->dir) : NULL;
        if (r >= 0)
                r = p ? rm_rf(p) : -ENOMEM;
        free(p);
        if (r < 0)
                return r;
        free(rec->addr);
        free(rec->dir);
        free(rec->driver);
        free(rec->group);
        memmove(rec, rec + 1, (size_t)(fs->devs + fs->n_devs - (rec + 1)) * sizeof(*rec));
        fs->n_devs--;
        return 0;
}

/* ---- block devices ---- */

static const struct blockrec *find_block(const struct fakesys *fs, const char *name)
{
        for (size_t i = 0; i < fs->n_blocks; i++)
                if (strcmp(fs->blocks[i].name, name) == 0)
                        return &fs->blocks[i];
        return NULL;
}

int fakesys_add_block(struct fakesys *fs, const char *addr, const char *name, unsigned major, unsigned minor,
                      const char *const *slaves)
{
        const char *slash = name ? strchr(name, '/') : NULL;
        const char *base = slash ? slash + 1 : name;
        struct blockrec rec = {0}, *p;
        char *rel = NULL, *disk = NULL;
        int r = -ENOMEM;

        if (!name || !valid_name(base) || find_block(fs, base))
                return -EINVAL;
        if (slash) {
                /* A partition lives in its disk's directory. */
                const struct blockrec *d;

                disk = strndup(name, (size_t)(slash - name));
                if (!disk)
                        return -ENOMEM;
                d = find_block(fs, disk);
                free(disk);
                if (!d)
                        return -ENOENT;
                rec.dir = xasprintf("%s/%s", d->dir, base);
        } else if (addr) {
                const struct devrec *dev = find_dev(fs, addr);

                if (!dev)
                        return -ENOENT;
                rec.dir = xasprintf("%s/host0/target0:0:0/0:0:0:0/block/%s", dev->dir, base);
        } else
                rec.dir = xasprintf("devices/virtual/block/%s", base);
        rec.name = strdup(base);
        if (!rec.dir || !rec.name)
                goto fail;
        r = mkdir_p(fs, rec.dir);
        if (r < 0)
                goto fail;
        rel = xasprintf("%s/dev", rec.dir);
        r = rel ? put_filef(fs, rel, 0444, "%u:%u\n", major, minor) : -ENOMEM;
        free(rel);
        rel = NULL;
        if (r < 0)
                goto fail;
        rel = xasprintf("%s/uevent", rec.dir);
        r = rel ? put_filef(fs, rel, 0644, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", major, minor, base,
                            slash ? "partition" : "disk")
                : -ENOMEM;
        free(rel);
        rel = NULL;
        if (r < 0)
                goto fail;
        if (!slash) {
                rel = xasprintf("%s/slaves", rec.dir);
                r = rel ? mkdir_p(fs, rel) : -ENOMEM;
                free(rel);
                rel = NULL;
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; slaves && slaves[i]; i++) {
                const struct blockrec *s = find_block(fs, slaves[i]);

                if (!s) {
                        r = -ENOENT;
                        goto fail;
                }
                rel = xasprintf("%s/slaves/%s", rec.dir, s->name);
                r = rel ? put_link(fs, rel, s->dir) : -ENOMEM;
                free(rel);
                rel = NULL;
                if (r < 0)
                        goto fail;
        }
        rel = xasprintf("dev/block/%u:%u", major, minor);
        r = rel ? put_link(fs, rel, rec.dir) : -ENOMEM;
        free(rel);
        rel = NULL;
        if (r < 0)
                goto fail;
        p = realloc(fs->blocks, (fs->n_blocks + 1) * sizeof(*p));
        if (!p) {
                r = -ENOMEM;
                goto fail;
        }
        fs->blocks = p;
        fs->blocks[fs->n_blocks++] = rec;
        return 0;
fail:
        free(rec.dir);
        free(rec.name);
        return r;
}

int fakesys_remove_iommu_groups(struct fakesys *fs)
{
        char *p = abs_path(fs, "kernel/iommu_groups");
        int r;

        if (!p)
                return -ENOMEM;
        r = rm_rf(p);
        free(p);
        return r;
}

/* ---- reading and writing ---- */

char *fakesys_read(struct fakesys *fs, const char *relpath)
{
        char *p = abs_path(fs, relpath), *buf = NULL;
        size_t size = 0, alloc = 0;
        int fd;

        if (!p)
                return NULL;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        free(p);
        if (fd < 0)
                return NULL;
        for (;;) {
                ssize_t k;

                if (size + 1 >= alloc) {
                        char *nb = realloc(buf, alloc ? alloc * 2 : 256);

                        if (!nb) {
                                free(buf);
                                close(fd);
                                errno = ENOMEM;
                                return NULL;
                        }
                        buf = nb;
                        alloc = alloc ? alloc * 2 : 256;
                }
                k = read(fd, buf + size, alloc - 1 - size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int e = errno;

                        free(buf);
                        close(fd);
                        errno = e;
                        return NULL;
                }
                if (k == 0)
                        break;
                size += (size_t)k;
        }
        close(fd);
        buf[size] = 0;
        return buf;
}

int fakesys_write(struct fakesys *fs, const char *relpath, const char *content)
{
        /* Through symlinks (bus/pci/devices/X/attr), but never out of the tree. */
        char *canon = fakesys_canon(fs, relpath), *p;
        struct stat st;
        mode_t mode = 0644;
        int r;

        if (!canon)
                return errno == ENOMEM ? -ENOMEM : -EXDEV;
        p = abs_path(fs, canon);
        free(canon);
        if (!p)
                return -ENOMEM;
        if (lstat(p, &st) == 0)
                mode = st.st_mode & 07777;
        r = write_abs(p, content, strlen(content), mode);
        free(p);
        return r;
}

bool fakesys_exists(struct fakesys *fs, const char *relpath)
{
        char *p = abs_path(fs, relpath);
        struct stat st;
        bool r;

        if (!p)
                return false;
        r = lstat(p, &st) == 0;
        free(p);
        return r;
}

const char *fakesys_dev_dir(const struct fakesys *fs, const char *addr)
{
        const struct devrec *rec = find_dev(fs, addr);

        return rec ? rec->dir : NULL;
}

char *fakesys_canon(struct fakesys *fs, const char *relpath)
{
        char *p = abs_path(fs, relpath), *real, *out = NULL;
        size_t n = strlen(fs->real_root);

        if (!p)
                return NULL;
        real = realpath(p, NULL);
        if (!real && errno == ENOENT) {
                /* The last component may not exist yet: resolve its directory. */
                char *slash = strrchr(p, '/'), *dir;

                *slash = 0;
                dir = realpath(p, NULL);
                if (dir)
                        real = xasprintf("%s/%s", dir, slash + 1);
                free(dir);
        }
        free(p);
        if (!real)
                return NULL;
        if (strncmp(real, fs->real_root, n) == 0 && real[n] == '/')
                out = strdup(real + n + 1);
        free(real);
        return out;
}

/* ---- snapshots ---- */

struct walk {
        struct fakesys *fs;
        struct fakesys_entry *e;
        size_t n, alloc;
};

static int snap_add(struct walk *w, const char *rel, const char *abs, const struct stat *st)
{
        struct fakesys_entry ent = {.mode = st->st_mode};

        ent.path = strdup(rel);
        if (!ent.path)
                return -ENOMEM;
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t k = readlink(abs, target, sizeof(target) - 1);

                if (k < 0) {
                        free(ent.path);
                        return neg_errno();
                }
                target[k] = 0;
                ent.data = strdup(target);
                ent.size = (size_t)k;
        } else if (S_ISREG(st->st_mode)) {
                ent.data = fakesys_read(w->fs, rel);
                if (!ent.data) {
                        int r = neg_errno();

                        free(ent.path);
                        return r;
                }
                /* Content may hold NUL bytes written by the program: take the file's size. */
                ent.size = (size_t)st->st_size;
        } else
                ent.data = strdup("");
        if (!ent.data) {
                free(ent.path);
                return -ENOMEM;
        }
        if (w->n == w->alloc) {
                size_t na = w->alloc ? w->alloc * 2 : 256;
                struct fakesys_entry *p = realloc(w->e, na * sizeof(*p));

                if (!p) {
                        free(ent.path);
                        free(ent.data);
                        return -ENOMEM;
                }
                w->e = p;
                w->alloc = na;
        }
        w->e[w->n++] = ent;
        return 0;
}

static int snap_walk(struct walk *w, const char *rel)
{
        char *abs = rel[0] ? abs_path(w->fs, rel) : strdup(w->fs->root);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (!abs)
                return -ENOMEM;
        d = opendir(abs);
        if (!d) {
                r = neg_errno();
                free(abs);
                return r;
        }
        while (r >= 0 && (de = readdir(d))) {
                char *crel, *cabs;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                crel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : strdup(de->d_name);
                cabs = xasprintf("%s/%s", abs, de->d_name);
                if (!crel || !cabs)
                        r = -ENOMEM;
                else if (lstat(cabs, &st) < 0)
                        r = neg_errno();
                else {
                        r = snap_add(w, crel, cabs, &st);
                        if (r >= 0 && S_ISDIR(st.st_mode))
                                r = snap_walk(w, crel);
                }
                free(crel);
                free(cabs);
        }
        closedir(d);
        free(abs);
        return r;
}

static int entry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct fakesys_entry *)a)->path, ((const struct fakesys_entry *)b)->path);
}

int fakesys_snapshot(struct fakesys *fs, struct fakesys_snapshot *ret)
{
        struct walk w = {.fs = fs};
        int r;

        r = snap_walk(&w, "");
        if (r < 0) {
                struct fakesys_snapshot s = {w.e, w.n};

                fakesys_snapshot_clear(&s);
                return r;
        }
        if (w.n > 1)
                qsort(w.e, w.n, sizeof(*w.e), entry_cmp);
        ret->entries = w.e;
        ret->n = w.n;
        return 0;
}

void fakesys_snapshot_clear(struct fakesys_snapshot *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->entries[i].path);
                free(s->entries[i].data);
        }
        free(s->entries);
        s->entries = NULL;
        s->n = 0;
}

static int strv_push(char ***v, size_t *n, char *s)
{
        char **p;

        if (!s)
                return -ENOMEM;
        p = realloc(*v, (*n + 2) * sizeof(char *));
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p[(*n)++] = s;
        p[*n] = NULL;
        *v = p;
        return 0;
}

void fakesys_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

int fakesys_diff(const struct fakesys_snapshot *a, const struct fakesys_snapshot *b, char ***ret)
{
        char **v = calloc(1, sizeof(char *));
        size_t n = 0, i = 0, j = 0;
        int r = 0;

        if (!v)
                return -ENOMEM;
        while (r >= 0 && (i < a->n || j < b->n)) {
                const struct fakesys_entry *x = i < a->n ? &a->entries[i] : NULL;
                const struct fakesys_entry *y = j < b->n ? &b->entries[j] : NULL;
                int c = !x ? 1 : !y ? -1 : strcmp(x->path, y->path);

                if (c < 0) {
                        r = strv_push(&v, &n, xasprintf("- %s", x->path));
                        i++;
                } else if (c > 0) {
                        r = strv_push(&v, &n, xasprintf("+ %s", y->path));
                        j++;
                } else {
                        if (x->mode != y->mode)
                                r = strv_push(&v, &n, xasprintf("T %s", x->path));
                        else if (x->size != y->size || memcmp(x->data, y->data, x->size) != 0)
                                r = strv_push(&v, &n, xasprintf("M %s", x->path));
                        i++;
                        j++;
                }
        }
        if (r < 0) {
                fakesys_strv_free(v);
                return r;
        }
        *ret = v;
        return (int)n;
}

/* ---- spec ---- */

static bool parse_hex(const char *s, size_t len, uint32_t max, uint32_t *ret)
{
        uint32_t v = 0;

        if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                len -= 2;
        }
        if (len == 0 || len > 8)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned)(c - 'A' + 10);
                else
                        return false;
                v = v << 4 | d;
        }
        if (v > max)
                return false;
        *ret = v;
        return true;
}

/* "8086:2922" */
static bool parse_pair(const char *s, uint16_t *a, uint16_t *b)
{
        const char *colon = strchr(s, ':');
        uint32_t x, y;

        if (!colon || !parse_hex(s, (size_t)(colon - s), 0xffff, &x) ||
            !parse_hex(colon + 1, strlen(colon + 1), 0xffff, &y))
                return false;
        *a = (uint16_t)x;
        *b = (uint16_t)y;
        return true;
}

static int spec_dev(struct fakesys *fs, char **tok, size_t n)
{
        struct fake_dev d = {0};
        uint32_t class;
        size_t i = 1;

        if (n < 4)
                return -EINVAL;
        d.addr = tok[i++];
        if (!parse_pair(tok[i++], &d.vendor, &d.device))
                return -EINVAL;
        if (strchr(tok[i], ':')) {
                if (!parse_pair(tok[i++], &d.subvendor, &d.subdevice))
                        return -EINVAL;
        }
        if (i >= n || !parse_hex(tok[i], strlen(tok[i]), 0xffffff, &class))
                return -EINVAL;
        d.class = class;
        for (i++; i < n; i++) {
                char *eq = strchr(tok[i], '=');

                if (!eq)
                        return -EINVAL;
                *eq = 0;
                if (strcmp(tok[i], "driver") == 0)
                        d.driver = eq + 1;
                else if (strcmp(tok[i], "group") == 0)
                        d.group = eq + 1;
                else if (strcmp(tok[i], "boot_vga") == 0)
                        d.boot_vga = eq + 1;
                else if (strcmp(tok[i], "parent") == 0)
                        d.parent = eq + 1;
                else if (strcmp(tok[i], "override") == 0)
                        d.driver_override = eq + 1;
                else if (strcmp(tok[i], "slot") == 0)
                        d.slot = eq + 1;
                else if (strcmp(tok[i], "reset") == 0)
                        d.reset_method = eq + 1;
                else if (strcmp(tok[i], "serial") == 0) {
                        uint32_t b;

                        /* As lspci -vv prints it: eight bytes, most significant first. */
                        if (strlen(eq + 1) != 23)
                                return -EINVAL;
                        d.serial = 0;
                        for (size_t k = 0; k < 8; k++) {
                                if (!parse_hex(eq + 1 + k * 3, 2, 0xff, &b) || (k < 7 && eq[1 + k * 3 + 2] != '-'))
                                        return -EINVAL;
                                d.serial = d.serial << 8 | b;
                        }
                        d.has_serial = true;
                } else if (strcmp(tok[i], "config") == 0) {
                        unsigned size;
                        char end;

                        if (sscanf(eq + 1, "%u%c", &size, &end) != 1 || size == 0 || size > 4096)
                                return -EINVAL;
                        d.config_size = size;
                } else if (strcmp(tok[i], "sriov") == 0) {
                        unsigned t, o = 0, st = 0;
                        int k = sscanf(eq + 1, "%u,%u,%u", &t, &o, &st);

                        if (k < 1 || t < 1 || t > 65535 || o > 0xffff || st > 0xffff)
                                return -EINVAL;
                        d.sriov_total = t;
                        d.sriov_offset = (uint16_t)o;
                        d.sriov_stride = (uint16_t)st;
                } else
                        return -EINVAL;
        }
        return fakesys_add_device(fs, &d);
}

static int spec_block(struct fakesys *fs, char **tok, size_t n)
{
        const char *slaves[16];
        size_t ns = 0;
        unsigned maj, min;
        char end;

        if (n < 4 || sscanf(tok[3], "%u:%u%c", &maj, &min, &end) != 2)
                return -EINVAL;
        for (size_t i = 4; i < n; i++) {
                if (strncmp(tok[i], "slave=", 6) != 0 || ns >= 15)
                        return -EINVAL;
                slaves[ns++] = tok[i] + 6;
        }
        slaves[ns] = NULL;
        return fakesys_add_block(fs, strcmp(tok[1], "-") == 0 ? NULL : tok[1], tok[2], maj, min, slaves);
}

static int spec_line(struct fakesys *fs, char *line)
{
        char *tok[32], *save = NULL, *t, *rest;
        size_t n = 0;

        line[strcspn(line, "#\r")] = 0;
        /* "write" takes the rest of the line verbatim. */
        rest = line + strspn(line, " \t");
        if (strncmp(rest, "write", 5) == 0 && (rest[5] == ' ' || rest[5] == '\t')) {
                char *path = rest + 5 + strspn(rest + 5, " \t"), *text, *content;
                int r;

                text = path + strcspn(path, " \t");
                if (text == path)
                        return -EINVAL;
                if (*text)
                        *text++ = 0;
                text += strspn(text, " \t");
                content = xasprintf("%s\n", text);
                if (!content)
                        return -ENOMEM;
                r = fakesys_write(fs, path, content);
                free(content);
                return r;
        }
        for (t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                if (n >= sizeof(tok) / sizeof(tok[0]))
                        return -E2BIG;
                tok[n++] = t;
        }
        if (n == 0)
                return 0;
        if (strcmp(tok[0], "driver") == 0)
                return n == 2 ? fakesys_add_driver(fs, tok[1]) : -EINVAL;
        if (strcmp(tok[0], "dev") == 0)
                return spec_dev(fs, tok, n);
        if (strcmp(tok[0], "block") == 0)
                return spec_block(fs, tok, n);
        if (strcmp(tok[0], "noiommu") == 0)
                return n == 1 ? fakesys_remove_iommu_groups(fs) : -EINVAL;
        return -EINVAL;
}

int fakesys_apply_spec(struct fakesys *fs, const char *spec, unsigned *ret_line)
{
        char *copy = strdup(spec), *p, *nl;
        unsigned lineno = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (p = copy; p && r >= 0; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                lineno++;
                r = spec_line(fs, p);
        }
        if (r < 0 && ret_line)
                *ret_line = lineno;
        free(copy);
        return r;
}

/* ---- what the kernel does on a write (fakesys_kernel_write) ---- */

static void free_pathp(char **p)
{
        free(*p);
}
#define _cleanup_path_ __attribute__((cleanup(free_pathp)))

/* "0x8086\n" or "10d3\n" (sriov_vf_device has no 0x) from a file of the tree. */
static int read_hex_attr(struct fakesys *fs, const char *dir, const char *attr, uint32_t max, uint32_t *ret)
{
        char *rel = xasprintf("%s/%s", dir, attr), *text = rel ? fakesys_read(fs, rel) : NULL, *p;
        int r = -EINVAL;

        free(rel);
        if (!text)
                return -ENOENT;
        p = text + (strncmp(text, "0x", 2) == 0 ? 2 : 0);
        p[strcspn(p, "\n")] = 0;
        if (parse_hex(p, strlen(p), max, ret))
                r = 0;
        free(text);
        return r;
}

static int read_dec_attr(struct fakesys *fs, const char *dir, const char *attr, unsigned *ret)
{
        char *rel = xasprintf("%s/%s", dir, attr), *text = rel ? fakesys_read(fs, rel) : NULL;
        int r;

        free(rel);
        if (!text)
                return -ENOENT;
        r = sscanf(text, "%u", ret) == 1 ? 0 : -EINVAL;
        free(text);
        return r;
}

/* The basename of the link dir/name, NULL when there is none. */
static char *link_base(struct fakesys *fs, const char *dir, const char *name)
{
        char *p = xasprintf("%s/%s/%s", fs->root, dir, name), target[PATH_MAX], *base;
        ssize_t k = p ? readlink(p, target, sizeof(target) - 1) : -1;

        free(p);
        if (k < 0)
                return NULL;
        target[k] = 0;
        base = strrchr(target, '/');
        return strdup(base ? base + 1 : target);
}

/* A device the tree has on disk but fs does not know (it was opened with fakesys_new_at). */
static int adopt(struct fakesys *fs, const char *addr, const char *dir)
{
        struct devrec *p, rec = {.addr = strdup(addr), .dir = strdup(dir)};

        if (!rec.addr || !rec.dir || !(p = realloc(fs->devs, (fs->n_devs + 1) * sizeof(*p)))) {
                free(rec.addr);
                free(rec.dir);
                return -ENOMEM;
        }
        rec.d.addr = rec.addr;
        fs->devs = p;
        fs->devs[fs->n_devs++] = rec;
        return 0;
}

static unsigned count_virtfn(struct fakesys *fs, const char *pfdir)
{
        unsigned n = 0;

        for (;; n++) {
                char *name = xasprintf("virtfn%u", n), *base = name ? link_base(fs, pfdir, name) : NULL;

                free(name);
                if (!base)
                        return n;
                free(base);
        }
}

static int next_group(struct fakesys *fs)
{
        char *p = abs_path(fs, "kernel/iommu_groups");
        DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;
        long max = -1;

        free(p);
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && atol(de->d_name) > max)
                        max = atol(de->d_name);
        closedir(d);
        return (int)(max + 1);
}

static int remove_vfs(struct fakesys *fs, const char *pfdir, unsigned n)
{
        int r = 0;

        for (unsigned k = n; k-- > 0 && r >= 0;) {
                char *name = xasprintf("virtfn%u", k), *addr = name ? link_base(fs, pfdir, name) : NULL;
                char *vfdir = addr ? xasprintf("%s/%s", pfdir, name) : NULL,
                     *canon = vfdir ? fakesys_canon(fs, vfdir) : NULL;
                char *drv = canon ? link_base(fs, canon, "driver") : NULL,
                     *grp = canon ? link_base(fs, canon, "iommu_group") : NULL;

                if (!canon)
                        r = -ENOENT;
                if (r >= 0 && drv)
                        r = unlink_rel(fs, "bus/pci/drivers/%s/%s", drv, addr);
                if (r >= 0 && grp) {
                        char *g = xasprintf("%s/kernel/iommu_groups/%s", fs->root, grp);
                        char *gd = g ? xasprintf("%s/devices", g) : NULL;

                        /* The group goes with its last member. */
                        r = gd ? unlink_rel(fs, "kernel/iommu_groups/%s/devices/%s", grp, addr) : -ENOMEM;
                        if (r >= 0 && rmdir(gd) == 0)
                                r = rm_rf(g);
                        free(g);
                        free(gd);
                }
                if (r >= 0)
                        r = unlink_rel(fs, "bus/pci/devices/%s", addr);
                if (r >= 0) {
                        char *a = abs_path(fs, canon);

                        r = a ? rm_rf(a) : -ENOMEM;
                        free(a);
                }
                if (r >= 0)
                        r = unlink_rel(fs, "%s/%s", pfdir, name);
                free(name);
                free(addr);
                free(vfdir);
                free(canon);
                free(drv);
                free(grp);
        }
        return r;
}

static int create_vfs(struct fakesys *fs, const char *pfdir, const char *pfaddr, unsigned n)
{
        uint32_t domain, bus, slot, func, vendor, device, vf_device, sv, sd, class;
        unsigned offset, stride, autoprobe = 0;
        char *driver = link_base(fs, pfdir, "driver"), *grp = link_base(fs, pfdir, "iommu_group");
        char *parent = NULL, *slash, *reset = NULL;
        int group = grp ? next_group(fs) : -1, r = 0;

        if (sscanf(pfaddr, "%x:%x:%x.%x", &domain, &bus, &slot, &func) != 4 ||
            read_hex_attr(fs, pfdir, "vendor", 0xffff, &vendor) < 0 ||
            read_hex_attr(fs, pfdir, "device", 0xffff, &device) < 0 ||
            read_hex_attr(fs, pfdir, "subsystem_vendor", 0xffff, &sv) < 0 ||
            read_hex_attr(fs, pfdir, "subsystem_device", 0xffff, &sd) < 0 ||
            read_hex_attr(fs, pfdir, "class", 0xffffff, &class) < 0 ||
            read_dec_attr(fs, pfdir, "sriov_offset", &offset) < 0 ||
            read_dec_attr(fs, pfdir, "sriov_stride", &stride) < 0)
                r = -EIO;
        if (r >= 0 && read_hex_attr(fs, pfdir, "sriov_vf_device", 0xffff, &vf_device) < 0)
                vf_device = device;
        (void)read_dec_attr(fs, pfdir, "sriov_drivers_autoprobe", &autoprobe);
        /* The VFs reset as the PF does (QEMU's NVMe: flr on both). */
        {
                char *rel = xasprintf("%s/reset_method", pfdir);

                reset = rel ? fakesys_read(fs, rel) : NULL;
                if (reset)
                        reset[strcspn(reset, "\n")] = 0;
                free(rel);
        }
        /* The VFs sit beside the PF: behind its bridge, or on its root bus. */
        slash = strrchr(pfdir, '/');
        if (r >= 0 && slash) {
                char *up = strndup(pfdir, (size_t)(slash - pfdir)), *b = up ? strrchr(up, '/') : NULL;

                if (!up)
                        r = -ENOMEM;
                else if (b && valid_addr(b + 1)) {
                        parent = strdup(b + 1);
                        if (!parent)
                                r = -ENOMEM;
                        else if (!find_dev(fs, b + 1))
                                r = adopt(fs, b + 1, up);
                }
                free(up);
        }
        for (unsigned k = 0; r >= 0 && k < n; k++) {
                uint32_t rid = (bus << 8 | slot << 3 | func) + offset + k * stride;
                char addr[32], gname[16], *link = NULL, *back = NULL;

                snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", domain, (rid >> 8) & 0xff, (rid >> 3) & 0x1f,
                         rid & 7);
                snprintf(gname, sizeof(gname), "%d", group + (int)k);
                r = fakesys_add_device(fs, &(struct fake_dev){.addr = addr,
                                                              .vendor = (uint16_t)vendor,
                                                              .device = (uint16_t)vf_device,
                                                              .subvendor = (uint16_t)sv,
                                                              .subdevice = (uint16_t)sd,
                                                              .class = class,
                                                              .driver = autoprobe == 1 ? driver : NULL,
                                                              .group = group >= 0 ? gname : NULL,
                                                              .parent = parent,
                                                              .reset_method = reset});
                link = xasprintf("%s/virtfn%u", pfdir, k);
                back = xasprintf("%s/physfn", fakesys_dev_dir(fs, addr) ? fakesys_dev_dir(fs, addr) : "");
                if (r >= 0)
                        r = link && back ? put_link(fs, link, fakesys_dev_dir(fs, addr)) : -ENOMEM;
                if (r >= 0)
                        r = put_link(fs, back, pfdir);
                /* Beside physfn, as 6.1 shows it on QEMU's NVMe VFs. */
                free(link);
                link = r >= 0 ? xasprintf("%s/sriov_vf_msix_count", fakesys_dev_dir(fs, addr)) : NULL;
                if (r >= 0)
                        r = link ? put_file(fs, link, "0\n", 0644) : -ENOMEM;
                free(link);
                free(back);
        }
        free(driver);
        free(grp);
        free(parent);
        free(reset);
        return r;
}

int fakesys_kernel_write(const char *given, const char *value, size_t len)
{
        const char *gbase = strrchr(given, '/');
        _cleanup_path_ char *path = NULL;
        const char *base, *devs;
        struct fakesys *fs = NULL;
        char *root = NULL, *pfdir = NULL, *drv = NULL, *pfaddr, *text, *end;
        unsigned long n;
        unsigned total, cur;
        int r;

        if (!gbase || strcmp(gbase, "/sriov_numvfs") != 0)
                return -ENOSYS;
        path = realpath(given, NULL);
        base = path ? strrchr(path, '/') : NULL;
        devs = path ? strstr(path, "/devices/pci") : NULL;
        if (!base || !devs)
                return -ENOSYS;
        /* kstrtou16(buf, 0, ...): one number, one trailing newline at most. */
        text = strndup(value, len);
        if (!text)
                return -ENOMEM;
        errno = 0;
        n = strtoul(text, &end, 0);
        r = end == text || errno || n > 0xffff || (*end && strcmp(end, "\n") != 0) ? -EINVAL : 0;
        free(text);
        if (r < 0)
                return r;
        root = strndup(path, (size_t)(devs - path));
        pfdir = strndup(devs + 1, (size_t)(base - devs - 1));
        if (!root || !pfdir) {
                r = -ENOMEM;
                goto out;
        }
        pfaddr = strrchr(pfdir, '/') + 1;
        r = fakesys_new_at(root, &fs);
        if (r < 0)
                goto out;
        r = adopt(fs, pfaddr, pfdir);
        if (r >= 0)
                r = read_dec_attr(fs, pfdir, "sriov_totalvfs", &total);
        if (r < 0)
                goto out;
        cur = count_virtfn(fs, pfdir);
        if (n > total)
                r = -ERANGE;
        else if (n == cur)
                r = 0;
        else if (!(drv = link_base(fs, pfdir, "driver")))
                r = -ENOENT;
        else if (n == 0)
                r = remove_vfs(fs, pfdir, cur);
        else if (cur > 0)
                r = -EBUSY;
        else
                r = create_vfs(fs, pfdir, pfaddr, (unsigned)n);
        /* The attribute shows the kernel's count, whatever happened. */
        {
                char *rel = xasprintf("%s/sriov_numvfs", pfdir);
                int k = rel ? put_filef(fs, rel, 0644, "%u\n", count_virtfn(fs, pfdir)) : -ENOMEM;

                free(rel);
                if (r >= 0)
                        r = k;
        }
out:
        fakesys_free(fs);
        free(root);
        free(pfdir);
        free(drv);
        return r;
}
