#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference: how the widespread passthrough scripts select devices, a
# loop over /sys/bus/pci/devices reading the vendor and device files, here
# with the benchmark's rules (addresses; IDs). Dry run: it prints, writes
# nothing. Usage: reference.sh SYSFS "ADDRESS..." "VVVV:DDDD..."
sysfs=$1
addresses=$2
ids=$3
for dev in "$sysfs"/bus/pci/devices/*; do
        addr=${dev##*/}
        vendor=$(cat "$dev/vendor")
        device=$(cat "$dev/device")
        id="${vendor#0x}:${device#0x}"
        for a in $addresses; do
                [ "$addr" = "$a" ] && echo "would claim $addr"
        done
        for i in $ids; do
                [ "$id" = "$i" ] && echo "would claim $addr"
        done
done
exit 0
