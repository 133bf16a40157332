#!/bin/sh
# mkguest.sh - makes the inner test guest: the Debian cloud kernel and a busybox initramfs with the
# virtio modules and tests/harness/guest-init.sh (or --init SCRIPT) as payload; for a VMM to boot,
# on the host or inside run-in-kvm.sh. Prints shell assignments for eval.
#
# Usage: tests/harness/mkguest.sh [--init SCRIPT] [DIR]
#   DIR  where initrd.gz goes (default: the harness cache's guest/); rebuilt only when inputs change
# Prints: VD_GUEST_KERNEL=<vmlinuz> VD_GUEST_INITRD=<DIR/initrd.gz> VD_GUEST_APPEND='<cmdline>'
#   VD_GUEST_APPEND boots fast: console=ttyS0, quiet (each serial byte is an exit), and no rtc_cmos
#   probe (it stalls ~5 s when the VMM has no RTC, and in nested guests).
# Exit 77 when the kernel cannot be had (data/mkkernel.sh failed).
set -eu

vd_harness_dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$vd_harness_dir/../.." && pwd)
. "$vd_harness_dir/lib.sh"

init=$vd_harness_dir/guest-init.sh
if [ "${1:-}" = --init ]; then
	[ $# -ge 2 ] || { echo "mkguest.sh: --init needs a SCRIPT" >&2; exit 2; }
	init=$2
	shift 2
fi
[ -f "$init" ] || { echo "mkguest.sh: $init: no such file" >&2; exit 2; }
cache=$(vd_harness_cache)
dir=${1:-$cache/guest}
mkdir -p "$dir"

if ! k=$("$top/data/mkkernel.sh" "$cache/kernel"); then
	echo "mkguest.sh: SKIP: no kernel (data/mkkernel.sh failed)" >&2
	exit 77
fi
eval "$k"

gi=$dir/initrd.gz
# Rebuild when the payload script, the builder or the kernel changed, or another script was used.
# shellcheck disable=SC3013 # -nt: dash and busybox sh have it
if [ ! -s "$gi" ] || [ "$init" -nt "$gi" ] || [ "$top/data/mkinitramfs-busybox.sh" -nt "$gi" ] ||
	[ "$cache/kernel/stamp" -nt "$gi" ] || [ "$(cat "$dir/init-path" 2>/dev/null)" != "$init" ]; then
	set --
	for m in $KERNEL_VIRTIO_MODULES; do set -- "$@" --kmod "$KERNEL_MODDIR/$m"; done
	"$top/data/mkinitramfs-busybox.sh" "$gi" --init "$init" "$@" >&2 || {
		echo "mkguest.sh: building the guest initramfs failed" >&2
		exit 1
	}
	echo "$init" >"$dir/init-path"
fi

cat <<EOF
VD_GUEST_KERNEL=$KERNEL_VMLINUZ
VD_GUEST_INITRD=$gi
VD_GUEST_APPEND='console=ttyS0 panic=-1 quiet loglevel=3 initcall_blacklist=cmos_init'
EOF
