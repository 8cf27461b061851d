# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers for booting vfio-claim in QEMU with Debian's kernel. Sourced by
# test/vm/run-vm-tests and tools/demo; set VM_DIR to test/vm first.
#
#   vm_kernel                 fetch the kernel (once), set VM_KDIR/VM_KVER/VM_KIMG
#   vm_build_check OUT        build vfio-open-check statically with musl-gcc
#   vm_initramfs OUT STAGE BINARY CHECK [MODULE...]
#                             pack a newc cpio: busybox, BINARY as
#                             /usr/sbin/vfio-claim, CHECK as
#                             /usr/bin/vfio-open-check, test/vm/sysfs-shape
#                             as /usr/bin/sysfs-shape, MODULE... with their
#                             dependencies (default $VM_MODULES), test/vm/init
#                             as /init, and everything already under STAGE
#                             (configs, /vmtest.conf); OMIT lists modules to
#                             leave out even if a dependency needs them
#   vm_copy_libs STAGE BINARY
#                             copy a dynamic BINARY's loader and libraries
#                             into STAGE (nothing for a static one)
#   vm_copy_qemu STAGE        copy this machine's qemu-system-x86_64 into
#                             STAGE with what it needs to run a TCG guest
#   vm_boot LOG INITRD APPEND [QEMU ARG...]
#                             boot with the q35 + intel-iommu machine (unless
#                             VM_NO_IOMMU=1; VM_NO_IOMMU=arg keeps the device,
#                             so the firmware's DMAR table, but drops
#                             intel_iommu=on) and VM_MEM MiB (default 512),
#                             serial console into LOG

VM_MODULES=${VM_MODULES:-"vfio-pci vfio_iommu_type1 ahci e1000e"}
VM_TIMEOUT=${VM_TIMEOUT:-120}
PATH=$PATH:/usr/sbin:/sbin
export PATH

vm_log() { printf '%s\n' "$*" >&2; }

vm_kernel() {
        : "${VM_DIR:?set VM_DIR to test/vm}"
        VM_KDIR=$("$VM_DIR/get-kernel") || return 1
        VM_KVER=$(cat "$VM_KDIR/kver")
        VM_KIMG=$VM_KDIR/boot-image
        [ "${VM_USE_VMLINUZ-}" != 1 ] || VM_KIMG=$VM_KDIR/vmlinuz
}

# A directory holding only the kernel's uapi headers, for musl-gcc: plain
# -I/usr/include would pull glibc's headers in.
vm_kheaders() {
        _vm_d=$1
        mkdir -p "$_vm_d"
        for _vm_h in /usr/include/linux /usr/include/asm-generic; do
                [ -e "$_vm_d/${_vm_h##*/}" ] || ln -s "$_vm_h" "$_vm_d/${_vm_h##*/}"
        done
        for _vm_h in /usr/include/x86_64-linux-gnu/asm /usr/include/asm; do
                if [ -d "$_vm_h" ] && [ ! -e "$_vm_d/asm" ]; then
                        ln -s "$_vm_h" "$_vm_d/asm"
                fi
        done
}

vm_build_check() {
        _vm_out=$1
        _vm_src=$VM_DIR/vfio-open-check.c
        if command -v musl-gcc >/dev/null 2>&1; then
                vm_kheaders "${_vm_out%/*}/kheaders"
                musl-gcc -static -Os -Wall -Wextra -idirafter "${_vm_out%/*}/kheaders" \
                        -o "$_vm_out" "$_vm_src" || return 1
        else
                # glibc's static libc works too, only bigger.
                ${CC:-cc} -static -Os -Wall -Wextra -o "$_vm_out" "$_vm_src" || return 1
        fi
        strip "$_vm_out" 2>/dev/null || true
}

# Resolve MODULE... (with dependencies and soft dependencies) against the
# unpacked kernel; prints paths relative to lib/modules/KVER.
vm_module_paths() {
        _vm_root=$VM_KDIR/root
        modprobe -d "$_vm_root" -S "$VM_KVER" --show-depends -a "$@" |
                sed -n "s,^insmod $_vm_root/lib/modules/$VM_KVER/\\([^ ]*\\).*,\\1,p" |
                sort -u
}

vm_initramfs() {
        _vm_out=$1 _vm_stage=$2 _vm_bin=$3 _vm_check=$4
        shift 4
        # shellcheck disable=SC2086 # a list
        [ $# -gt 0 ] || set -- $VM_MODULES
        _vm_mdir=lib/modules/$VM_KVER

        mkdir -p "$_vm_stage/bin" "$_vm_stage/sbin" "$_vm_stage/usr/bin" "$_vm_stage/usr/sbin" \
                "$_vm_stage/etc" "$_vm_stage/proc" "$_vm_stage/sys" "$_vm_stage/dev" "$_vm_stage/run" \
                "$_vm_stage/tmp" "$_vm_stage/$_vm_mdir"
        cp "$(command -v busybox)" "$_vm_stage/bin/busybox"
        ln -sf busybox "$_vm_stage/bin/sh"
        vm_copy_libs "$_vm_stage" "$_vm_stage/bin/busybox" # busybox-static needs none
        [ -z "$_vm_bin" ] || cp "$_vm_bin" "$_vm_stage/usr/sbin/vfio-claim"
        [ -z "$_vm_check" ] || cp "$_vm_check" "$_vm_stage/usr/bin/vfio-open-check"
        cp "$VM_DIR/init" "$_vm_stage/init"
        cp "$VM_DIR/sysfs-shape" "$_vm_stage/usr/bin/sysfs-shape"
        chmod 755 "$_vm_stage/init"

        _vm_mods=$(vm_module_paths "$@") || return 1
        for _vm_m in $_vm_mods; do
                _vm_name=${_vm_m##*/}
                _vm_name=${_vm_name%%.ko*}
                _vm_skip=
                for _vm_o in ${OMIT-}; do
                        [ "$(echo "$_vm_o" | tr - _)" != "$(echo "$_vm_name" | tr - _)" ] || _vm_skip=1
                done
                [ -z "$_vm_skip" ] || continue
                mkdir -p "$_vm_stage/$_vm_mdir/${_vm_m%/*}"
                cp "$VM_KDIR/root/$_vm_mdir/$_vm_m" "$_vm_stage/$_vm_mdir/$_vm_m"
        done
        for _vm_f in modules.order modules.builtin modules.builtin.modinfo; do
                [ ! -f "$VM_KDIR/root/$_vm_mdir/$_vm_f" ] || cp "$VM_KDIR/root/$_vm_mdir/$_vm_f" "$_vm_stage/$_vm_mdir/"
        done
        depmod -b "$_vm_stage" "$VM_KVER" || return 1

        (cd "$_vm_stage" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$_vm_out"
}

vm_copy_libs() {
        ldd "$2" >/dev/null 2>&1 || return 0
        for _vm_l in $(ldd "$2" | sed -n 's,.* => \(/[^ ]*\) .*,\1,p; s,^[[:space:]]*\(/[^ ]*\) .*,\1,p'); do
                mkdir -p "$1${_vm_l%/*}"
                cp -L "$_vm_l" "$1$_vm_l"
        done
}

# The guest side of a real VFIO client: the host's qemu-system-x86_64 at
# the same path, its libraries and loader, the accelerator module and the
# firmware, found where QEMU itself looks (its -L help list is relative to
# the binary, so they keep their host paths). Debian builds TCG as a module,
# and QEMU refuses to start without it. What it opens was read off strace
# (QEMU 7.2, -machine q35 -nodefaults, no -kernel): bios-256k.bin and
# kvmvapic.bin, nothing else; the other option ROMs belong to devices and
# options (-kernel, NICs, VGA) the tests do not use. About 50 MB.
vm_copy_qemu() {
        _vm_q=$(command -v qemu-system-x86_64) || return 1
        mkdir -p "$1${_vm_q%/*}"
        cp -L "$_vm_q" "$1$_vm_q"
        vm_copy_libs "$1" "$_vm_q"
        _vm_a=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
        if [ -f "$_vm_a" ]; then
                mkdir -p "$1${_vm_a%/*}"
                cp "$_vm_a" "$1$_vm_a"
                vm_copy_libs "$1" "$_vm_a"
        fi
        for _vm_f in bios-256k.bin kvmvapic.bin; do
                _vm_found=
                for _vm_d in $("$_vm_q" -L help); do
                        [ -f "$_vm_d/$_vm_f" ] || continue
                        mkdir -p "$1$_vm_d"
                        cp -L "$_vm_d/$_vm_f" "$1$_vm_d/$_vm_f"
                        _vm_found=1
                        break
                done
                [ -n "$_vm_found" ] || { vm_log "vm_copy_qemu: no $_vm_f in $("$_vm_q" -L help | tr '\n' ' ')"; return 1; }
        done
}

vm_boot() {
        _vm_log=$1 _vm_initrd=$2 _vm_append=$3
        shift 3
        if [ "${VM_NO_IOMMU-}" = 1 ]; then
                _vm_iommu=
                _vm_iommu_arg=
        elif [ "${VM_NO_IOMMU-}" = arg ]; then
                _vm_iommu="-device intel-iommu,intremap=on"
                _vm_iommu_arg=
        else
                _vm_iommu="-device intel-iommu,intremap=on"
                _vm_iommu_arg=intel_iommu=on
        fi
        # no_timer_check: under TCG on a busy host the kernel's IO-APIC timer
        # test can miss its ticks and panic ("timer doesn't work through
        # Interrupt-remapped IO-APIC"; seen once in a CI-like run while other
        # builds loaded both cores). The test proves nothing about vfio-claim.
        # shellcheck disable=SC2086 # $_vm_iommu is empty or one option pair
        timeout "$VM_TIMEOUT" qemu-system-x86_64 \
                -machine q35,kernel-irqchip=split -accel tcg $_vm_iommu \
                -nodefaults -display none -serial stdio -m "${VM_MEM:-512}" -no-reboot \
                -kernel "$VM_KIMG" -initrd "$_vm_initrd" \
                -append "console=ttyS0 $_vm_iommu_arg panic=-1 no_timer_check loglevel=1 $_vm_append" \
                "$@" </dev/null >"$_vm_log" 2>&1
}
