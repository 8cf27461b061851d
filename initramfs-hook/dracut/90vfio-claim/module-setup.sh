#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut module for vfio-claim: the binary, its configuration, vfio-pci with
# its dependencies, and a pre-udev hook that runs "vfio-claim apply" before
# udevd starts. The hook runs in both kinds of image:
#   - systemd initrd: dracut-pre-udev.service (Before=systemd-udevd.service)
#     sources the pre-udev hooks;
#   - without systemd (--omit systemd): dracut's /init sources them right
#     before it starts udevd.
#
# The image also gets @PKGLIBDIR@/config.digest, the digest of the
# configuration files as packed ("vfio-claim check --digest" on the image's
# copies): apply logs it at boot, vfio-claim status compares it with the
# running system's files (an image older than its configuration).
#
# Build-time safety: installkernel() runs "vfio-claim check --fail-busy" for
# the kernel being built; when a rule without allow-busy selects a device that
# holds a mounted filesystem or active swap it fails, dracut stops, and the
# old image stays in place; so it does when check exits with a code this
# module does not know (a binary of another version, a usage error: 64).
#
# The paths in this file are filled in by meson (configure_file) at install time.

# shellcheck disable=SC2034,SC2154 # variables and functions come from dracut

vfio_claim=@SBINDIR@/vfio-claim
vfio_claim_static=@PKGLIBDIR@/vfio-claim-static
vfio_claim_sysconfdir=@SYSCONFDIR@
vfio_claim_digest=@PKGLIBDIR@/config.digest
vfio_claim_conf=@SYSCONFDIR@/vfio-claim.conf
vfio_claim_confd=@SYSCONFDIR@/vfio-claim.d

# called by dracut
check() {
    # Included in every image once installed: rules can also come from the
    # kernel command line (vfio_claim.rule=), and without rules apply is a
    # no-op. 1 (left out) only when the binary is gone.
    require_binaries "$vfio_claim" || return 1
    return 0
}

# called by dracut
depends() {
    return 0
}

# Driver names from "driver NAME" rule options.
_vfio_claim_drivers() {
    local f
    for f in "$dracutsysrootdir$vfio_claim_conf" "$dracutsysrootdir$vfio_claim_confd"/*.conf; do
        [[ -f $f ]] && sed -e 's/#.*//' "$f"
    done | tr -s ' \t\r' '\n' | sed -n '/^driver$/{n;/^auto$/!p;}' | sort -u
}

# The PF's host driver for rules with "vfs N" (it creates the VFs at boot),
# by the PF's modalias on this machine.
_vfio_claim_pf_modules() {
    local f a d
    for f in "$dracutsysrootdir$vfio_claim_conf" "$dracutsysrootdir$vfio_claim_confd"/*.conf; do
        [[ -f $f ]] && sed -e 's/#.*//' "$f"
    done | awk '{ v = 0; a = ""; for (i = 1; i < NF; i++) { if ($i == "vfs") v = 1; if ($i == "address") a = $(i + 1) } if (v && a != "") print a }' |
        while read -r a; do
            for d in /sys/bus/pci/devices/"$a" /sys/bus/pci/devices/*:"$a"; do
                [[ -r $d/modalias ]] && modprobe -S "$kernel" -R "$(cat "$d/modalias")" 2>/dev/null
            done
        done | sort -u
}

# called by dracut
installkernel() {
    local out rc

    out=$("$vfio_claim" check --kernel "$kernel" --fail-busy 2>&1)
    rc=$?
    case $rc in
        0)
            [[ -z $out ]] || dinfo "$out"
            ;;
        2)
            # no configuration: a normal state, the image claims nothing
            dinfo "vfio-claim: $out"
            ;;
        1)
            dwarn "$out"
            dwarn "vfio-claim: check reported problems (exit $rc); building the image anyway"
            ;;
        3)
            derror "$out"
            derror "vfio-claim: a rule selects a device that holds a mounted filesystem or active swap."
            derror "vfio-claim: booting this image would take it away from the system; not building it,"
            derror "vfio-claim: the current initramfs stays in place. Fix the rule in $vfio_claim_conf"
            derror "vfio-claim: (or $vfio_claim_confd/), or add the option allow-busy to it if that is really meant."
            return 1
            ;;
        *)
            # Not one of check's results: the refusal above may not have
            # been checked at all (a binary of another version, a usage error).
            derror "$out"
            derror "vfio-claim: check exited with $rc, which this module does not know (0 to 3);"
            derror "vfio-claim: is $vfio_claim of another version than this module? Not building the image,"
            derror "vfio-claim: the current initramfs stays in place."
            return 1
            ;;
    esac

    # vfio-pci is not loaded on a host that has not claimed anything yet:
    # hostonly mode would leave it out.
    # shellcheck disable=SC2046 # a list of names
    # The variant drivers check picked for "driver auto" rules, and the
    # host drivers of "vfs" rules' PFs.
    hostonly='' instmods vfio-pci vfio_iommu_type1 $(_vfio_claim_drivers) $(_vfio_claim_pf_modules) \
        $(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*driver auto: //p' | sort -u)
    return 0
}

# called by dracut
install() {
    local f digest

    # An image without the binary would hand the devices to their host
    # drivers: stop dracut (as its own inst_hook does) rather than build it.
    if [[ -x $dracutsysrootdir$vfio_claim_static ]]; then
        inst_binary "$vfio_claim_static" "$vfio_claim"
    else
        inst_binary "$vfio_claim"
    fi || {
        dfatal "vfio-claim: cannot install $vfio_claim into the image"
        exit 1
    }
    for f in "$vfio_claim_conf" "$vfio_claim_confd"/*.conf; do
        [[ -f $dracutsysrootdir$f ]] && inst_simple "$f"
    done
    # The digest of the configuration as packed (the image's copies), by
    # the binary, the one algorithm status uses: apply logs it at boot,
    # status compares it with the running system's files.
    if digest=$("$vfio_claim" --sysconfdir "$initdir$vfio_claim_sysconfdir" check --digest) &&
        mkdir -p "$initdir${vfio_claim_digest%/*}" && printf '%s\n' "$digest" >"$initdir$vfio_claim_digest"; then
        dinfo "vfio-claim: config digest $digest"
    else
        dwarn "vfio-claim: no config digest in the image; vfio-claim status cannot tell whether it is older than the configuration"
    fi
    # The ids of the names the rules' "owner" uses, from the system root's
    # passwd and group (the image has no user database): apply reads them
    # at boot; the configuration copies stay as they are.
    mkdir -p "$initdir${vfio_claim_digest%/*}"
    if ! "$vfio_claim" --sysconfdir "$initdir$vfio_claim_sysconfdir" --etc "${dracutsysrootdir:-}/etc" owners \
        >"$initdir${vfio_claim_digest%/*}/owners"; then
        dwarn "vfio-claim: an owner name in the rules is not in /etc/passwd or /etc/group; its nodes keep root's owner at boot"
    fi
    inst_hook pre-udev 00 "$moddir/vfio-claim-pre-udev.sh"
}
