#!/bin/bash
# vmm-guest.sh - virtdeck-vmm on real KVM: runs vmm-payload.sh where /dev/kvm is real (the host's
# hardware KVM, else the nested QEMU/TCG harness) and reports each check; exit 77 with the reason
# when neither gives KVM.
set -eu

src=${VD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VD_BUILDDIR:-$src}
vmm=$build/virtdeck-vmm
[ -x "$vmm" ] || { echo "SKIP: $vmm not built (configure --enable-vmm)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vd-vmm-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/disk"
echo hello-from-host >"$work/disk/hello.txt"
"$src/data/mkdisk-ext4.sh" "$work/disk.img" 16M "$work/disk" >/dev/null ||
	{ echo "SKIP: cannot build an ext4 image (mkfs.ext4 missing?)"; exit 77; }

# An uncompressed vmlinux for the PVH boot: the Debian kernel's LZ4 payload, unpacked.
vmlinux=none
vd_harness_dir=$src/tests/harness
. "$vd_harness_dir/lib.sh"
if command -v lz4 >/dev/null 2>&1 && cache=$(vd_harness_cache) &&
	eval "$("$src/data/mkkernel.sh" "$cache/kernel" 2>/dev/null)" && [ -f "${KERNEL_VMLINUZ:-}" ]; then
	off=$(grep -obUaP '\x02\x21\x4c\x18' "$KERNEL_VMLINUZ" | head -n 1 | cut -d: -f1)
	if [ -n "$off" ] && tail -c +$((off + 1)) "$KERNEL_VMLINUZ" | lz4 -dc >"$work/vmlinux" 2>/dev/null ||
		[ -s "$work/vmlinux" ]; then
		vmlinux=$work/vmlinux
	fi
fi
[ "$vmlinux" != none ] || echo "note: no vmlinux for the PVH boot (needs lz4 and an LZ4 kernel): skipped"

set +e
"$src/tests/harness/run-in-kvm.sh" --timeout 300 --guest --kmod tun --kmod bridge -- \
	sh "$src/tests/integration/vmm-payload.sh" "$vmm" "$work/disk.img" "$build/virtdeck" "$vmlinux" \
	>"$work/out" 2>&1
rc=$?
set -e
vd_harness_verdict "$work/out" "$rc" "all virtdeck-vmm checks passed on real KVM"
