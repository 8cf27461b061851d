// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "names.h"

/* The classes a passthrough admin meets, named as lspci names them, for builds without the hwdb. */
static const struct {
        uint16_t class;
        const char *name;
} class_names[] = {
        {0x0100, "SCSI storage controller"},
        {0x0101, "IDE interface"},
        {0x0104, "RAID bus controller"},
        {0x0106, "SATA controller"},
        {0x0107, "Serial Attached SCSI controller"},
        {0x0108, "Non-Volatile memory controller"},
        {0x0180, "Mass storage controller"},
        {0x0200, "Ethernet controller"},
        {0x0207, "Infiniband controller"},
        {0x0280, "Network controller"},
        {0x0300, "VGA compatible controller"},
        {0x0302, "3D controller"},
        {0x0380, "Display controller"},
        {0x0401, "Multimedia audio controller"},
        {0x0403, "Audio device"},
        {0x0600, "Host bridge"},
        {0x0601, "ISA bridge"},
        {0x0604, "PCI bridge"},
        {0x0880, "System peripheral"},
        {0x0c03, "USB controller"},
        {0x0c05, "SMBus"},
        {0x1200, "Processing accelerators"},
        {0x1300, "Non-Essential Instrumentation"},
};

const char *names_class_fallback(uint32_t class)
{
        for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
                if (class_names[i].class == class >> 8)
                        return class_names[i].name;
        return "Class";
}

#if HAVE_UDEV
#include <libudev.h>

static struct udev *udev;
static struct udev_hwdb *hwdb;

static bool hwdb_get(const char *modalias, const char *key, char *buf, size_t size)
{
        struct udev_list_entry *e;

        udev_list_entry_foreach (e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
                if (strcmp(udev_list_entry_get_name(e), key) == 0) {
                        snprintf(buf, size, "%s", udev_list_entry_get_value(e));
                        return true;
                }
        }
        return false;
}

bool names_lookup(const struct vc_dev *dev, struct dev_names *ret)
{
        char alias[128];

        if (!hwdb) {
                if (!udev)
                        udev = udev_new();
                if (udev)
                        hwdb = udev_hwdb_new(udev);
                if (!hwdb)
                        return false;
        }
        memset(ret, 0, sizeof(*ret));
        snprintf(alias, sizeof(alias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", dev->vendor, dev->device,
                 dev->subvendor, dev->subdevice, dev->class >> 16, (dev->class >> 8) & 0xff, dev->class & 0xff);
        if (!hwdb_get(alias, "ID_PCI_SUBCLASS_FROM_DATABASE", ret->class_name, sizeof(ret->class_name)))
                (void)hwdb_get(alias, "ID_PCI_CLASS_FROM_DATABASE", ret->class_name, sizeof(ret->class_name));
        (void)hwdb_get(alias, "ID_VENDOR_FROM_DATABASE", ret->vendor, sizeof(ret->vendor));
        snprintf(alias, sizeof(alias), "pci:v%08Xd%08X", dev->vendor, dev->device);
        (void)hwdb_get(alias, "ID_MODEL_FROM_DATABASE", ret->model, sizeof(ret->model));
        snprintf(alias, sizeof(alias), "pci:v%08Xd%08Xsv%08Xsd%08X", dev->vendor, dev->device, dev->subvendor,
                 dev->subdevice);
        (void)hwdb_get(alias, "ID_MODEL_FROM_DATABASE", ret->subsys, sizeof(ret->subsys));
        /* Without a subsystem entry the device's own model comes back: name the vendor only. */
        if (strcmp(ret->subsys, ret->model) == 0) {
                snprintf(alias, sizeof(alias), "pci:v%08X", dev->subvendor);
                if (!hwdb_get(alias, "ID_VENDOR_FROM_DATABASE", ret->subsys, sizeof(ret->subsys)))
                        ret->subsys[0] = 0;
        }
        return ret->vendor[0] || ret->model[0] || ret->class_name[0];
}

void names_done(void)
{
        if (hwdb)
                udev_hwdb_unref(hwdb);
        if (udev)
                udev_unref(udev);
        hwdb = NULL;
        udev = NULL;
}
#else
bool names_lookup(const struct vc_dev *dev, struct dev_names *ret)
{
        return false;
}

void names_done(void)
{
}
#endif
