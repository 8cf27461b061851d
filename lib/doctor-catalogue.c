// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The catalogue of vfio-claim doctor: every cause it knows, one row each.
 * Adding a cause is adding a row: a log pattern (written from the format
 * string of the code that prints it, cited beside it; see vc_pattern_match()
 * for the pattern language) or the name of a machine-state check that
 * cmd/doctor.c runs. The first row whose pattern matches a line decides
 * what the line means, so the more specific rows come first. The ids are
 * an interface (vfio-claim(8) documents each): never rename one.
 *
 * Sources, by version: Linux v6.1 (Debian 12's kernel; the wording is the
 * same in the releases around it unless noted), QEMU 7.2, libvirt 9.0.
 */
#include "vfio-claim-doctor.h"

#include "macro.h"

#define OWNER_FIX                                                                                                      \
        "give the VM's user the group node: add 'owner USER' (and 'mode 0660' for a group) to the device's rule, or "  \
        "let the VM manager open it (libvirt does as root)"
#define MEMLOCK_FIX                                                                                                    \
        "raise the VM user's RLIMIT_MEMLOCK above the guest's RAM plus its ROMs (LimitMEMLOCK= in the unit, "          \
        "'memlock' in limits.conf, ulimit -l before dropping root), as libvirt does itself"
#define RESET_FIX                                                                                                      \
        "choose a method the device has with the rule option 'reset-method' (see reset_method), give the VM every "    \
        "function of the device and its group, or reboot the host between VM runs"

/* Designated initializers: a row names what it gives; device_nth is 0 unless said. */
#define ROW(id_, sev_, pattern_, check_, cause_, fix_)                                                                 \
        {                                                                                                              \
                .id = (id_), .severity = (sev_), .pattern = (pattern_), .check = (check_), .cause = (cause_),          \
                .fix = (fix_)                                                                                          \
        }
#define ROW_NTH(id_, sev_, pattern_, check_, cause_, fix_, nth_)                                                       \
        {                                                                                                              \
                .id = (id_), .severity = (sev_), .pattern = (pattern_), .check = (check_), .cause = (cause_),          \
                .fix = (fix_), .device_nth = (nth_)                                                                    \
        }

const struct vc_cause vc_causes[] = {
        /* ---- the IOMMU ---- */
        ROW("iommu-off", VC_SEV_ERROR, NULL, "iommu-off", "the kernel made no IOMMU groups: the IOMMU is off",
            "(the platform's fix is worked out from the firmware tables and the command line)"),
        /* QEMU 7.2 hw/vfio/pci.c vfio_realize(): error_setg_errno(errp, ..., "no iommu_group found") */
        ROW("iommu-off", VC_SEV_ERROR, "no iommu_group found", NULL,
            "QEMU found no IOMMU group for the device: the IOMMU is off or does not cover it",
            "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup and boot with intel_iommu=on on Intel"),
        /* libvirt 9.0 src/qemu/qemu_hostdev.c qemuHostdevPreparePCIDevicesCheckSupport():
         * "host doesn't support passthrough of host PCI devices" */
        ROW("iommu-off", VC_SEV_ERROR, "host doesn't support passthrough of host PCI devices", NULL,
            "libvirt found no IOMMU (no /sys/kernel/iommu_groups)",
            "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup and boot with intel_iommu=on on Intel"),
        /* Linux v6.1 drivers/vfio/vfio_iommu_type1.c vfio_iommu_type1_attach_group():
         * "%s: No interrupt remapping support.  Use the module param \"allow_unsafe_interrupts\" to enable VFIO IOMMU
         * support on this platform\n" */
        ROW("no-interrupt-remapping", VC_SEV_ERROR, "No interrupt remapping support.", NULL,
            "the IOMMU cannot remap interrupts, and VFIO refuses a device whose MSIs it cannot confine",
            "enable interrupt remapping in the firmware setup (x2APIC, 'Interrupt Remapping'), drop intremap=off or "
            "nointremap from the command line; vfio_iommu_type1.allow_unsafe_interrupts=1 only if every VM is trusted"),
        /* Linux v6.1 drivers/iommu/intel/iommu.c device_rmrr_is_relaxable() caller, intel_iommu_attach_device():
         * dev_err(dev, "Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your
         * platform vendor.\n") */
        ROW("rmrr", VC_SEV_ERROR, "Device is ineligible for IOMMU domain attach due to platform RMRR requirement", NULL,
            "the firmware reserves memory for the device (an RMRR) that it keeps using, so it cannot be given to a VM",
            "use another slot (RMRRs are per slot on many boards), update the firmware, or turn off the feature that "
            "uses it (often the board's management or a RAID option ROM)"),
        /* QEMU 7.2 hw/vfio/common.c vfio_connect_container(): error_setg_errno(errp, errno, "Failed to set iommu for
         * container") after the kernel's EPERM from VFIO_SET_IOMMU (interrupt remapping or RMRR refusals) */
        ROW("no-interrupt-remapping", VC_SEV_ERROR, "Failed to set iommu for container: Operation not permitted", NULL,
            "the kernel refused the IOMMU for the device's group (no interrupt remapping, or an RMRR; the kernel log "
            "says which)",
            "read the kernel log for \"No interrupt remapping support\" or \"RMRR\"; enable interrupt remapping in the "
            "firmware setup"),

        /* ---- the group and its node ---- */
        ROW("group-not-viable", VC_SEV_WARNING, NULL, "group-not-viable",
            "another endpoint of the device's IOMMU group stays on a host driver, so VFIO will not open the group",
            "claim the other endpoint too (a rule for it, or 'group'), or put the card into a slot with a group of its "
            "own"),
        /* QEMU 7.2 hw/vfio/common.c vfio_get_group(): error_setg(errp, "group %d is not viable", groupid);
         * QEMU before 2.10: "vfio: error, group %d is not viable, please ensure ..." */
        ROW("group-not-viable", VC_SEV_ERROR, "group %d is not viable", NULL,
            "another endpoint of the device's IOMMU group is on a host driver, so VFIO will not open the group",
            "claim every endpoint of the group (a rule for each, or 'group'), or use a slot with a group of its own"),
        ROW("node-permission", VC_SEV_INFO, NULL, "node-root-only",
            "the group node is root's alone (crw-------): only a VM run as root, or by a manager that sets the owner "
            "itself as libvirt does, can open it",
            OWNER_FIX),
        /* QEMU 7.2 hw/vfio/common.c vfio_get_group(): snprintf(path, ..., "/dev/vfio/%d", groupid);
         * error_setg_errno(errp, errno, "failed to open %s", path) */
        ROW("node-permission", VC_SEV_ERROR, "failed to open /dev/vfio/%d: Permission denied", NULL,
            "the VM's user may not open the device's group node", OWNER_FIX),
        /* the same call, the node missing: the device is not on vfio-pci */
        ROW("not-on-target", VC_SEV_ERROR, "failed to open /dev/vfio/%d: No such file or directory", NULL,
            "the group node does not exist: the device (or its group) is not bound to vfio-pci",
            "claim the device: a rule for it in /etc/vfio-claim.conf, then vfio-claim apply (or a reboot)"),
        /* QEMU 7.2 hw/vfio/common.c vfio_get_device(): error_setg_errno(errp, errno, "error getting device from group
           %d", ...) */
        ROW("host-driver-took-it", VC_SEV_ERROR, "error getting device from group %d: Device or resource busy", NULL,
            "the device is open already: another VM (or a second -device for it) holds it",
            "stop the other VM, or give each VM its own device"),
        ROW("not-on-target", VC_SEV_ERROR, "error getting device from group %d: No such device", NULL,
            "the group is usable, but the device itself is not bound to vfio-pci",
            "claim the device: a rule for it in /etc/vfio-claim.conf, then vfio-claim apply (or a reboot)"),

        /* ---- memory ---- */
        /* Linux v6.1 drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote(): pr_warn("%s: RLIMIT_MEMLOCK (%ld)
           exceeded\n", ...) */
        ROW("memlock", VC_SEV_ERROR, "RLIMIT_MEMLOCK (%d) exceeded", NULL,
            "the VM's process may not lock enough memory: VFIO pins all of the guest's RAM", MEMLOCK_FIX),
        /* QEMU 7.2 hw/vfio/common.c vfio_dma_map(): error_report("VFIO_MAP_DMA failed: %s", strerror(errno)) */
        ROW("memlock", VC_SEV_ERROR, "VFIO_MAP_DMA failed: Cannot allocate memory", NULL,
            "pinning the guest's memory for DMA failed: most often RLIMIT_MEMLOCK is below the guest's RAM",
            MEMLOCK_FIX),
        /* QEMU 7.2 hw/vfio/common.c vfio_listener_region_add():
         * error_report("vfio_dma_map(%p, 0x%"HWADDR_PRIx", 0x%"HWADDR_PRIx", %p) = %d (%s)", ...) */
        ROW("memlock", VC_SEV_ERROR, "vfio_dma_map(%*) = -12 (Cannot allocate memory)", NULL,
            "pinning the guest's memory for DMA failed: most often RLIMIT_MEMLOCK is below the guest's RAM",
            MEMLOCK_FIX),
        ROW("memlock", VC_SEV_INFO, NULL, "memlock-owner",
            "the group node belongs to an ordinary user: a VM run as that user must be allowed to lock all of its RAM",
            MEMLOCK_FIX),

        /* ---- the device's memory and power ---- */
        ROW("bar-reserved", VC_SEV_WARNING, NULL, "boot-framebuffer",
            "a firmware framebuffer still holds one of the device's BARs, so vfio-pci cannot reserve it",
            "(the kernel parameter for this kernel is named in the finding)"),
        /* Linux v6.1 drivers/pci/pci.c __pci_request_region(): pci_warn(pdev, "BAR %d: can't reserve %pR\n", ...) */
        ROW("bar-reserved", VC_SEV_ERROR, "BAR %d: can't reserve", NULL,
            "another driver holds a BAR of the device: for the boot GPU, the firmware framebuffer (efifb, simplefb, "
            "vesafb; see /proc/iomem)",
            "add initcall_blacklist=sysfb_init to the kernel command line (video=efifb:off before 5.15), or pass a GPU "
            "that is not the boot display"),
        /* Linux v6.1 drivers/pci/pci.c pci_power_up():
         * pci_err(dev, "Unable to change power state from %s to D0, device inaccessible\n", pci_power_name(...)) */
        ROW("d3cold", VC_SEV_ERROR, "Unable to change power state from D3cold to D0, device inaccessible", NULL,
            "the device did not come back from D3cold (powered off while idle)",
            "keep it powered while idle: the rule options 'runtime-pm off' and 'd3cold off' (or write 0 to its "
            "d3cold_allowed and 'on' to power/control after every bind)"),
        ROW("d3cold", VC_SEV_INFO, NULL, "d3cold-allowed",
            "the display device may be put into D3cold while idle on vfio-pci; some GPUs do not come back from it",
            "if a VM's start fails with \"Unable to change power state from D3cold\", add 'runtime-pm off' and 'd3cold "
            "off' to the rule"),

        /* ---- reset ---- */
        /* QEMU 7.2 hw/vfio/pci.c vfio_pci_hot_reset():
         * error_report("vfio: Cannot reset device %s, depends on group %d which is not owned.", ...) */
        ROW("reset-unavailable", VC_SEV_WARNING, "Cannot reset device %*, depends on group %d which is not owned", NULL,
            "the only reset is a bus reset, and another device on that bus is in a group the VM does not own",
            RESET_FIX),
        /* QEMU 7.2 hw/vfio/pci.c vfio_pci_hot_reset(): error_report("vfio: Cannot reset device %s, no available reset
           mechanism.", ...) */
        ROW("reset-unavailable", VC_SEV_WARNING, "Cannot reset device %*, no available reset mechanism", NULL,
            "the device offers no reset (no FLR, no PM reset, no bus it is alone on): it keeps its state across VM runs",
            RESET_FIX),
        /* Linux v6.1 drivers/pci/pci.c pci_dev_wait(): pci_warn(dev, "not ready %dms after %s; giving up\n", ...) */
        ROW("reset-unavailable", VC_SEV_ERROR, "not ready %dms after %*; giving up", NULL,
            "the device did not come back from a reset", RESET_FIX),
        /* libvirt 9.0 src/util/virpci.c virPCIDeviceTrySecondaryBusReset():
         * _("Active %1$s devices on bus with %2$s, not doing bus reset"): the device is the second address */
        ROW_NTH("reset-unavailable", VC_SEV_ERROR, "Active %* devices on bus with %*, not doing bus reset", NULL,
                "libvirt can reset the device only with its bus, and another device on that bus is in use", RESET_FIX,
                2),
        /* libvirt 9.0 src/util/virpci.c virPCIDeviceReset():
         * _("Unable to reset PCI device %1$s: %2$s"), the second "no FLR, PM reset or bus reset available" */
        ROW("reset-unavailable", VC_SEV_ERROR, "Unable to reset PCI device %*: no FLR, PM reset or bus reset available",
            NULL, "libvirt found no way to reset the device", RESET_FIX),
        ROW("reset-unavailable", VC_SEV_WARNING, NULL, "no-reset-method",
            "the kernel offers no reset for the device (reset_method is empty, or hidden as it is when there is none)",
            RESET_FIX),
        ROW("reset-unavailable", VC_SEV_WARNING, NULL, "bus-reset-shared",
            "the device's only reset is a bus reset, and the bus holds devices outside its IOMMU group", RESET_FIX),

        /* ---- the option ROM ---- */
        /* Linux v6.1 drivers/pci/rom.c pci_get_rom_size():
         * pci_info(pdev, "Invalid PCI ROM header signature: expecting 0xaa55, got %#06x\n", ...) */
        ROW("rom-unreadable", VC_SEV_WARNING, "Invalid PCI ROM header signature: expecting 0xaa55, got", NULL,
            "the device's option ROM does not read back as a ROM (often a GPU whose ROM the host firmware already ran)",
            "give QEMU a ROM image with romfile= (dumped from the card while it is not the boot display), or rombar=0"),
        /* QEMU 7.2 hw/vfio/pci.c vfio_pci_load_rom(): error_report("vfio-pci: Cannot read device rom at %s", ...);
         * error_printf("Device option ROM contents are probably invalid (check dmesg).\n...") */
        ROW("rom-unreadable", VC_SEV_WARNING, "Cannot read device rom at", NULL, "QEMU could not read the option ROM",
            "give QEMU a ROM image with romfile=, or rombar=0 when the guest needs none"),
        ROW("rom-unreadable", VC_SEV_WARNING, "Device option ROM contents are probably invalid", NULL,
            "QEMU could not read the option ROM",
            "give QEMU a ROM image with romfile=, or rombar=0 when the guest needs none"),

        /* ---- interrupts ---- */
        /* Linux v6.1 kernel/irq/manage.c __setup_irq() (pr_fmt "genirq: "):
         * pr_err("Flags mismatch irq %d. %08x (%s) vs. %08x (%s)\n", ...), with vfio's name for the
         * handler, drivers/vfio/pci/vfio_pci_intrs.c vfio_intx_set_signal(): "vfio-intx(%s)" */
        ROW("intx-shared", VC_SEV_ERROR, "Flags mismatch irq %d. %x (vfio-intx(%*)) vs. %x (", NULL,
            "the device's legacy interrupt line (INTx) is shared with a host device, and VFIO needs it exclusively",
            "use MSI in the guest (most drivers can), move the card to a slot with another line, or unbind the host "
            "device that shares it (cat /proc/interrupts)"),
        ROW("intx-shared", VC_SEV_ERROR, "Flags mismatch irq %d. %x (%*) vs. %x (vfio-intx(", NULL,
            "the device's legacy interrupt line (INTx) is shared with a host device, and VFIO needs it exclusively",
            "use MSI in the guest (most drivers can), move the card to a slot with another line, or unbind the host "
            "device that shares it (cat /proc/interrupts)"),
        /* QEMU 7.2 hw/vfio/pci.c vfio_intx_enable(): error_setg_errno(errp, -ret, "failed to setup INTx fd") */
        ROW("intx-shared", VC_SEV_ERROR, "failed to setup INTx fd: Device or resource busy", NULL,
            "the kernel could not give the device's INTx line to VFIO: another driver shares it",
            "use MSI in the guest, move the card to a slot with another line, or unbind the host device that shares it"),

        /* ---- binding ---- */
        ROW("probe-failed", VC_SEV_ERROR, NULL, "held-unbound",
            "the device is held off its host driver (driver_override) but the target driver did not bind it",
            "read the kernel log for the probe's error (vfio-pci refuses a device without an IOMMU group with -22, a PF "
            "with VFs with -16); vfio-claim status shows the state"),
        /* Linux v6.1 drivers/base/dd.c call_driver_probe(): pr_warn("%s: probe of %s failed with error %d\n", ...);
         * Linux 6.6 and later: dev_err(dev, "probe with driver %s failed with error %d\n", ...) */
        ROW("probe-failed", VC_SEV_ERROR, "probe of %* failed with error %d", NULL,
            "the driver refused the device (for vfio-pci: -22 without an IOMMU group or for a bridge, -16 for a PF with "
            "VFs)",
            "fix what the error names (for -22 the IOMMU, see iommu-off), then vfio-claim claim ADDRESS or reboot"),
        ROW("probe-failed", VC_SEV_ERROR, "probe with driver %* failed with error %d", NULL,
            "the driver refused the device (for vfio-pci: -22 without an IOMMU group or for a bridge, -16 for a PF with "
            "VFs)",
            "fix what the error names (for -22 the IOMMU, see iommu-off), then vfio-claim claim ADDRESS or reboot"),
        ROW("not-on-target", VC_SEV_ERROR, NULL, "not-on-target",
            "a rule selects the device, but it is not on the rule's driver", "vfio-claim apply, or reboot"),
        ROW("host-driver-took-it", VC_SEV_ERROR, NULL, "host-driver-took-it",
            "the device went to its host driver although vfio-claim held it (driver_override set) or claimed it this "
            "boot: the host driver was there first (built in, or loaded before vfio-claim ran), or something rebound it",
            "vfio-claim claim ADDRESS now; for the boot, make sure the initramfs hook runs (update-initramfs -u) and "
            "that nothing (driverctl, a libvirt managed='yes' reattach) gives it back"),

        /* ---- vfio-claim itself ---- */
        ROW("ids-conflict", VC_SEV_WARNING, NULL, "ids-conflict",
            "vfio-pci.ids= or 'options vfio-pci ids=' is still set beside vfio-claim's rules: vfio-pci takes those "
            "devices by ID when it loads, whatever the rules say",
            "remove it (vfio-claim import prints the rules that say the same), then rebuild the initramfs"),
        ROW("claim-failed", VC_SEV_ERROR, NULL, "boot-log-error", "vfio-claim reported an error at boot",
            "the line says what failed; vfio-claim status shows where each device is now"),
        ROW("claim-failed", VC_SEV_WARNING, NULL, "boot-log-warning", "vfio-claim warned at boot",
            "the line says what; vfio-claim check shows the configuration's problems"),

        /* ---- harmless lines: what they mean ---- */
        /* Linux v6.1 drivers/pci/vgaarb.c vga_update_device_decodes():
         * vgaarb_info(dev, "changed VGA decodes: olddecodes=%s,decodes=%s:owns=%s\n", ...); before 4.x
         * pr_info("vgaarb: device changed decodes: PCI:%s,olddecodes=%s,decodes=%s:owns=%s\n", ...) */
        ROW("vgaarb-decodes", VC_SEV_INFO, "VGA decodes: olddecodes=", NULL,
            "harmless: vfio-pci told the VGA arbiter the device no longer decodes legacy VGA ranges", "none needed"),
        ROW("vgaarb-decodes", VC_SEV_INFO, "device changed decodes: PCI:", NULL,
            "harmless: vfio-pci told the VGA arbiter the device no longer decodes legacy VGA ranges", "none needed"),
        ROW("vgaarb-decodes", VC_SEV_INFO, "VGA decodes changed: olddecodes=", NULL,
            "harmless: vfio-pci told the VGA arbiter the device no longer decodes legacy VGA ranges", "none needed"),
        /* Linux v6.1 drivers/vfio/pci/vfio_pci_config.c vfio_ecap_init():
         * pr_info("%s: %s hiding ecap 0x%x@0x%x\n", __func__, dev_name(...), ecap, epos) */
        ROW("ecap-hidden", VC_SEV_INFO, "vfio_ecap_init: %* hiding ecap 0x%x@0x%x", NULL,
            "harmless: vfio-pci hides an extended capability it cannot virtualise from the guest", "none needed"),
        /* Linux v6.1 drivers/pci/pci.c pci_enable_resources(): pci_info(dev, "enabling device (%04x -> %04x)\n", ...)
         */
        ROW("enabling-device", VC_SEV_INFO, "enabling device (%x -> %x)", NULL,
            "harmless: the PCI core turned on the device's memory or I/O decoding for the driver", "none needed"),
        /* Linux v6.1 drivers/vfio/pci/vfio_pci_core.c vfio_pci_core_request():
         * pci_notice_ratelimited(pdev, "Relaying device request to user (#%u)\n", count) */
        ROW("device-request", VC_SEV_INFO, "Relaying device request to user (#%d)", NULL,
            "harmless by itself: the device was to be unbound while a VM held it, and vfio asked the VM to let go; the "
            "unbind waits until it does",
            "none, unless the unbind hangs: then stop the VM that holds the device"),
};

const size_t vc_n_causes = ELEMENTSOF(vc_causes);
