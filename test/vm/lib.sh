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
#                             /usr/bin/vfio-open-check, MODULE... with their
#                             dependencies (default $VM_MODULES), test/vm/init
#                             as /init, and everything already under STAGE
#                             (configs, /vmtest.conf); OMIT lists modules to
#                             leave out even if a dependency needs them
#   vm_boot LOG INITRD APPEND [QEMU ARG...]
#                             boot with the q35 + intel-iommu machine (unless
#                             VM_NO_IOMMU=1), serial console into LOG

VM_MODULES=${VM_MODULES:-"vfio-pci vfio_iommu_type1 ahci e1000e"}
VM_TIMEOUT=${VM_TIMEOUT:-120}
PATH=$PATH:/usr/sbin:/sbin
export PATH

vm_log() { printf '%s\n' "$*" >&2; }

vm_kernel() {
	VM_KDIR=$("$VM_DIR/get-kernel") || return 1
	VM_KVER=$(cat "$VM_KDIR/kver")
	VM_KIMG=$VM_KDIR/boot-image
	[ "${VM_USE_VMLINUZ-}" != 1 ] || VM_KIMG=$VM_KDIR/vmlinuz
}

# A directory holding only the kernel's uapi headers, for musl-gcc: plain
# -I/usr/include would pull glibc's headers in.
vm_kheaders() {
	d=$1
	mkdir -p "$d"
	for h in /usr/include/linux /usr/include/asm-generic; do
		[ -e "$d/${h##*/}" ] || ln -s "$h" "$d/${h##*/}"
	done
	for h in /usr/include/x86_64-linux-gnu/asm /usr/include/asm; do
		if [ -d "$h" ] && [ ! -e "$d/asm" ]; then
			ln -s "$h" "$d/asm"
		fi
	done
}

vm_build_check() {
	out=$1
	src=$VM_DIR/vfio-open-check.c
	if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
		return 0
	fi
	if command -v musl-gcc >/dev/null 2>&1; then
		vm_kheaders "${out%/*}/kheaders"
		musl-gcc -static -Os -Wall -Wextra -idirafter "${out%/*}/kheaders" \
			-o "$out" "$src" || return 1
	else
		# glibc's static libc works too, only bigger.
		${CC:-cc} -static -Os -Wall -Wextra -o "$out" "$src" || return 1
	fi
	strip "$out" 2>/dev/null || true
}

# Resolve MODULE... (with dependencies and soft dependencies) against the
# unpacked kernel; prints paths relative to lib/modules/KVER.
vm_module_paths() {
	root=$VM_KDIR/root
	modprobe -d "$root" -S "$VM_KVER" --show-depends -a "$@" |
		sed -n "s,^insmod $root/lib/modules/$VM_KVER/\\([^ ]*\\).*,\\1,p" |
		sort -u
}

vm_initramfs() {
	out=$1 stage=$2 bin=$3 check=$4
	shift 4
	[ $# -gt 0 ] || set -- $VM_MODULES
	mdir=lib/modules/$VM_KVER

	mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
		"$stage/etc" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/run" \
		"$stage/tmp" "$stage/$mdir"
	cp "$(command -v busybox)" "$stage/bin/busybox"
	ln -sf busybox "$stage/bin/sh"
	[ -z "$bin" ] || cp "$bin" "$stage/usr/sbin/vfio-claim"
	[ -z "$check" ] || cp "$check" "$stage/usr/bin/vfio-open-check"
	cp "$VM_DIR/init" "$stage/init"
	chmod 755 "$stage/init"

	mods=$(vm_module_paths "$@") || return 1
	for m in $mods; do
		name=${m##*/}
		name=${name%%.ko*}
		skip=
		for o in ${OMIT-}; do
			[ "$(echo "$o" | tr - _)" != "$(echo "$name" | tr - _)" ] || skip=1
		done
		[ -z "$skip" ] || continue
		mkdir -p "$stage/$mdir/${m%/*}"
		cp "$VM_KDIR/root/$mdir/$m" "$stage/$mdir/$m"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ ! -f "$VM_KDIR/root/$mdir/$f" ] || cp "$VM_KDIR/root/$mdir/$f" "$stage/$mdir/"
	done
	depmod -b "$stage" "$VM_KVER" || return 1

	(cd "$stage" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$out"
}

vm_boot() {
	log=$1 initrd=$2 append=$3
	shift 3
	if [ "${VM_NO_IOMMU-}" = 1 ]; then
		iommu=
		iommu_arg=
	else
		iommu="-device intel-iommu,intremap=on"
		iommu_arg=intel_iommu=on
	fi
	# shellcheck disable=SC2086 # $iommu is empty or one option pair
	timeout "$VM_TIMEOUT" qemu-system-x86_64 \
		-machine q35,kernel-irqchip=split -accel tcg $iommu \
		-nodefaults -display none -serial stdio -m 512 -no-reboot \
		-kernel "$VM_KIMG" -initrd "$initrd" \
		-append "console=ttyS0 $iommu_arg panic=-1 loglevel=1 $append" \
		"$@" </dev/null >"$log" 2>&1
}
