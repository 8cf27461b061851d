#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut pre-udev hook (installed as pre-udev/00-vfio-claim-pre-udev.sh):
# give the configured PCI devices to vfio-pci before udevd starts. Sourced,
# not executed, by dracut-pre-udev.service (systemd initrd) or by dracut's
# /init (without systemd): no exit, no set -e, never stop the boot.
# vfio-claim apply always exits 0, logs to /dev/kmsg and
# /run/vfio-claim/boot.log, and does nothing with vfio_claim=off.
#
# The paths in this file are filled in by meson (configure_file) at install time.

if [ -x @SBINDIR@/vfio-claim ]; then
    @SBINDIR@/vfio-claim apply || :
else
    echo "vfio-claim: @SBINDIR@/vfio-claim missing from the initramfs; nothing claimed" >&2
fi
