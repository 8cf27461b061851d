/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake sysfs tree with the layout of the real one, for running vfio-claim
 * with --sysfs against hardware that is not there:
 *
 *   devices/pci0000:00/0000:00:1f.2/{vendor,device,...,uevent,driver_override,config}
 *   devices/pci0000:00/0000:00:01.0/0000:01:00.0/...   (behind a bridge)
 *   bus/pci/devices/0000:00:1f.2 -> ../../../devices/pci0000:00/0000:00:1f.2
 *   .../0000:00:1f.2/driver -> ../../../bus/pci/drivers/ahci
 *   .../0000:00:1f.2/iommu_group -> ../../../kernel/iommu_groups/3
 *   kernel/iommu_groups/3/devices/0000:00:1f.2 -> ../../../../devices/pci0000:00/0000:00:1f.2
 *   bus/pci/drivers/ahci/{bind,unbind,new_id,remove_id,0000:00:1f.2}
 *   bus/pci/drivers_probe
 *   bus/pci/slots/NAME/address         ("0000:01:00": the card in that slot)
 *   dev/block/8:1 -> ../../devices/pci0000:00/0000:00:1f.2/host0/.../block/sda/sda1
 *
 * Nothing reacts to writes: there is no kernel behind the tree. vfio-claim
 * opens the command files (bind, unbind, new_id, remove_id, drivers_probe)
 * for appending and replaces driver_override, on this tree exactly as on
 * the live /sys (where sysfs ignores both), so a plain file keeps every
 * "VALUE\n" asked of the kernel in order and a test reads them back
 * (fakesys_read, snapshots); it moves driver links itself
 * (fakesys_set_driver) when it needs the state after a bind. Every function
 * that can fail returns a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fakesys;

struct fake_dev {
        const char *addr; /* "0000:00:1f.2", required */
        uint16_t vendor, device;
        uint16_t subvendor, subdevice;
        uint32_t class;              /* 24 bits: 0x010601 */
        const char *driver;          /* bound driver, NULL: none; its directory is made if missing */
        const char *group;           /* IOMMU group number as text ("3"), NULL: no group */
        const char *boot_vga;        /* content of boot_vga ("1" or "0"), NULL: no such file */
        const char *parent;          /* address of the bridge it sits behind, NULL: on a root bus */
        const char *driver_override; /* NULL: "(null)", as the kernel shows an unset override */
        uint64_t serial;             /* with has_serial: a Device Serial Number capability at 0x140 */
        bool has_serial;
        const char *slot;         /* physical slot name: bus/pci/slots/NAME/address, NULL: none */
        const char *reset_method; /* content of reset_method ("flr", "pm"), NULL: no such file (ich9-ahci) */
        unsigned config_size;     /* bytes of config a reader gets (64 for non-root), 0: 4096 */
        /* > 0: an SR-IOV PF: sriov_totalvfs (this), sriov_numvfs 0, sriov_offset,
         * sriov_stride (0: 1), sriov_vf_device (its own device ID),
         * sriov_drivers_autoprobe 1. A write to sriov_numvfs does what the
         * kernel does only under the fake-kernel shim (fakesys_kernel_write). */
        unsigned sriov_total;
        uint16_t sriov_offset, sriov_stride;
};

/* A new, empty tree under a fresh directory in $TMPDIR (or /tmp): bus/pci/devices,
 * bus/pci/drivers, drivers_probe, drivers_autoprobe, devices, kernel/iommu_groups, dev/block. */
int fakesys_new(struct fakesys **ret);
/* The same in an existing empty (or absent) directory, which fakesys_free() keeps. */
int fakesys_new_at(const char *dir, struct fakesys **ret);
/* Removes the tree (unless it was made with fakesys_new_at, or $FAKESYS_KEEP is set). */
void fakesys_free(struct fakesys *fs);

const char *fakesys_root(const struct fakesys *fs);

int fakesys_add_driver(struct fakesys *fs, const char *name);
int fakesys_add_device(struct fakesys *fs, const struct fake_dev *dev);

/* Moves the device to driver (NULL: unbound) the way the kernel would after a bind:
 * the driver link, DRIVER= in uevent, and the driver's link back to the device. */
int fakesys_set_driver(struct fakesys *fs, const char *addr, const char *driver);
/* The device goes away as on a hot-unplug: its directory, bus/pci/devices/ADDR, its
 * driver's link and its IOMMU group membership (the group with its last member). */
int fakesys_remove_device(struct fakesys *fs, const char *addr);
/* Which VFIO interfaces the imitated kernel (6.1 or later) offers: group nodes
 * (CONFIG_VFIO_GROUP: class/vfio/N -> devices/virtual/vfio/N) and device cdevs
 * (CONFIG_VFIO_DEVICE_CDEV, iommufd: DEVICE/vfio-dev/vfioN/dev). With either, every
 * device bound to a VFIO driver has DEVICE/vfio-dev/vfioN/{device,power/,subsystem,uevent}
 * (and class/vfio-dev/vfioN), as Debian's 6.1 shows it; only the cdev kernel adds dev.
 * From then on fakesys_set_driver() to and from vfio-pci or a *_vfio_pci variant adds and
 * removes them as the kernel does. Default: neither (a kernel before 6.1 without
 * vfio loaded), and no class/vfio directory. */
int fakesys_set_vfio_kernel(struct fakesys *fs, bool groups, bool cdev);

/* A block device under the PCI device at addr (a disk behind a storage controller),
 * or a virtual one (dm, md) when addr is NULL. name is "sda", or "sda/sda1" for a
 * partition of a disk added before. slaves (NULL-terminated, may be NULL) names block
 * devices added before, as dm and md list theirs. Adds dev/block/MAJ:MIN. */
int fakesys_add_block(struct fakesys *fs, const char *addr, const char *name, unsigned major, unsigned minor,
                      const char *const *slaves);

/* Removes the IOMMU group directory altogether (the "IOMMU off" look of older kernels). */
int fakesys_remove_iommu_groups(struct fakesys *fs);

/* Paths relative to the root; symlinks in them are followed. */
char *fakesys_read(struct fakesys *fs, const char *relpath); /* malloc'd, NULL on error (errno set) */
int fakesys_write(struct fakesys *fs, const char *relpath, const char *content);
bool fakesys_exists(struct fakesys *fs, const char *relpath);
/* The device's directory relative to the root: "devices/pci0000:00/0000:00:1f.2". */
const char *fakesys_dev_dir(const struct fakesys *fs, const char *addr);
/* relpath with every symlink resolved, relative to the root; malloc'd, NULL when it leaves the tree. */
char *fakesys_canon(struct fakesys *fs, const char *relpath);

/*
 * What the kernel does on a write to the attribute at path (absolute, inside
 * a tree; the tree's root is what precedes "/devices/pci"), for the
 * attributes whose write changes the tree: sriov_numvfs (drivers/pci/iov.c
 * sriov_numvfs_store(): -EINVAL for a non-number, -ERANGE above
 * sriov_totalvfs, nothing for the current count, -ENOENT without a PF
 * driver, -EBUSY for another non-zero count while VFs exist; N creates VFs
 * at PF routing ID + offset + k * stride beside the PF, each in an IOMMU
 * group of its own when the PF has one, with physfn and virtfnK links, and
 * bound to the PF's driver when sriov_drivers_autoprobe is 1 (as nvme or
 * mlx5_core take their VFs); 0 removes them). -ENOSYS for any other
 * attribute: the caller writes it as a plain file. test/fake-kernel.c calls
 * it for the binary under test (LD_PRELOAD).
 */
int fakesys_kernel_write(const char *path, const char *value, size_t len);

/* ---- snapshots: every entry of the tree, in byte order of the path ---- */

struct fakesys_entry {
        char *path;  /* relative to the root */
        mode_t mode; /* type and permission bits */
        char *data;  /* file content or link target; "" for directories and other types */
        size_t size;
};

struct fakesys_snapshot {
        struct fakesys_entry *entries;
        size_t n;
};

int fakesys_snapshot(struct fakesys *fs, struct fakesys_snapshot *ret);
void fakesys_snapshot_clear(struct fakesys_snapshot *s);

/* The differences from a to b, one line each in path order: "+ path" (only in b),
 * "- path" (only in a), "M path" (content or link target), "T path" (type or mode).
 * *ret is a NULL-terminated malloc'd array; returns how many lines. */
int fakesys_diff(const struct fakesys_snapshot *a, const struct fakesys_snapshot *b, char ***ret);
void fakesys_strv_free(char **v);

/* ---- a tree from a text spec (the mkfakesys format) ---- */

/*
 * One statement per line, '#' comments:
 *   driver NAME
 *   dev ADDR VVVV:DDDD [SVVV:SDDD] CCCCCC [driver=NAME] [group=N] [boot_vga=0|1]
 *       [parent=ADDR] [override=NAME] [serial=XX-XX-XX-XX-XX-XX-XX-XX] [slot=NAME]
 *       [config=BYTES] [sriov=TOTAL[,OFFSET,STRIDE]] [reset=METHODS]
 *   block ADDR|- NAME MAJ:MIN [slave=NAME]...
 *   noiommu
 *   write RELPATH TEXT...            (the rest of the line, plus a newline)
 * On error *ret_line is the failing line's number.
 */
int fakesys_apply_spec(struct fakesys *fs, const char *spec, unsigned *ret_line);
