// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vfio_pci: the smallest vfio-pci variant driver, written the way the
 * kernel's own variants are (drivers/vfio/pci/vfio_pci.c, mlx5/main.c): a
 * pci_driver on vfio-pci-core with driver_managed_dma, and an ID table of
 * PCI_DRIVER_OVERRIDE_DEVICE_VFIO entries, which file2alias turns into a
 * "vfio_pci:v00008086d000010D3sv*sd*bc*sc*i*" module alias. It matches only
 * through driver_override. Built by the vm suite against Debian's
 * linux-headers for the test kernel (6.1 API: vfio_alloc_device and
 * vfio_pci_core_init_dev).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

static int test_vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops test_vfio_pci_ops = {
	.name = "test-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = test_vfio_pci_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
};

static int test_vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev, &test_vfio_pci_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

static void test_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id test_vfio_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_INTEL, 0x10d3) }, /* QEMU's e1000e */
	{}
};
MODULE_DEVICE_TABLE(pci, test_vfio_pci_table);

static struct pci_driver test_vfio_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = test_vfio_pci_table,
	.probe = test_vfio_pci_probe,
	.remove = test_vfio_pci_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(test_vfio_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-claim test: a minimal vfio-pci variant driver for QEMU's e1000e");
