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

set +e
"$src/tests/harness/run-in-kvm.sh" --timeout 240 --guest -- \
	sh "$src/tests/integration/vmm-payload.sh" "$vmm" "$work/disk.img" "$build/virtdeck" >"$work/out" 2>&1
rc=$?
set -e
cat "$work/out"
if [ "$rc" = 77 ]; then
	echo "SKIP: no KVM here: $(grep -m1 SKIP "$work/out" || echo 'see above')"
	exit 77
fi
grep -q '^VMMTEST PASS' "$work/out" || { echo "FAIL: no check ran (harness exit $rc)"; exit 1; }
grep -q '^VMMTEST FAIL' "$work/out" && exit 1
[ "$rc" = 0 ] || { echo "FAIL: payload exit $rc"; exit 1; }
echo "all virtdeck-vmm checks passed on real KVM ($(grep -c '^VMMTEST PASS' "$work/out") checks)"
