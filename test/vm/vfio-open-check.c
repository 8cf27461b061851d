// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-open-check: prove that a PCI device is usable through VFIO, the way
 * QEMU or a DPDK application would open it.
 *
 *   vfio-open-check DDDD:BB:DD.F
 *
 * Opens /dev/vfio/vfio and checks the API version and type1 support, opens
 * the device's group /dev/vfio/N, checks that the group is viable (every
 * device in it is on vfio-pci or driverless), attaches the group to the
 * container, selects the type1 IOMMU and gets the device fd. Prints one line,
 * "vfio-open-check: ADDR: OK group N, R regions, I irqs" or
 * "vfio-open-check: ADDR: FAIL <step>: <reason>", and exits 0 or 1.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

static const char *addr;

static int fail(const char *step, int err)
{
        printf("vfio-open-check: %s: FAIL %s: %s\n", addr, step, strerror(err));
        return 1;
}

int main(int argc, char **argv)
{
        char path[PATH_MAX], link[PATH_MAX];
        struct vfio_group_status status = {.argsz = sizeof(status)};
        struct vfio_device_info info = {.argsz = sizeof(info)};
        const char *group;
        ssize_t n;
        int container, grp, dev, r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DDDD:BB:DD.F\n", argv[0]);
                return 2;
        }
        addr = argv[1];

        r = snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", addr);
        if (r < 0 || (size_t)r >= sizeof(path))
                return fail("address", ENAMETOOLONG);
        n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                return fail("iommu_group", errno);
        link[n] = '\0';
        group = strrchr(link, '/');
        group = group ? group + 1 : link;

        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0)
                return fail("open /dev/vfio/vfio", errno);
        r = ioctl(container, VFIO_GET_API_VERSION);
        if (r != VFIO_API_VERSION) {
                printf("vfio-open-check: %s: FAIL api version %d, want %d\n", addr, r, VFIO_API_VERSION);
                return 1;
        }
        if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
                printf("vfio-open-check: %s: FAIL no type1 IOMMU support\n", addr);
                return 1;
        }

        r = snprintf(path, sizeof(path), "/dev/vfio/%s", group);
        if (r < 0 || (size_t)r >= sizeof(path))
                return fail("group", ENAMETOOLONG);
        grp = open(path, O_RDWR | O_CLOEXEC);
        if (grp < 0)
                return fail(path, errno);
        if (ioctl(grp, VFIO_GROUP_GET_STATUS, &status) < 0)
                return fail("VFIO_GROUP_GET_STATUS", errno);
        if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
                printf("vfio-open-check: %s: FAIL group %s not viable "
                       "(a device in it is on a host driver)\n",
                       addr, group);
                return 1;
        }
        if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container) < 0)
                return fail("VFIO_GROUP_SET_CONTAINER", errno);
        if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
                return fail("VFIO_SET_IOMMU", errno);
        dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, addr);
        if (dev < 0)
                return fail("VFIO_GROUP_GET_DEVICE_FD", errno);
        if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info) < 0)
                return fail("VFIO_DEVICE_GET_INFO", errno);
        if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
                printf("vfio-open-check: %s: FAIL not a vfio-pci device\n", addr);
                return 1;
        }

        printf("vfio-open-check: %s: OK group %s, %u regions, %u irqs\n", addr, group, info.num_regions, info.num_irqs);
        close(dev);
        close(grp);
        close(container);
        return 0;
}
