#!/bin/bash
# vmm-hostile.sh - virtdeck-vmm against hostile control clients and SIGKILL at each step of start,
# on real KVM (the host's, else the nested harness): runs vmm-hostile-payload.sh there and
# reports each check; exit 77 with the reason when there is no KVM.
set -eu

src=${VD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VD_BUILDDIR:-$src}
vmm=${VD_VMM_BIN:-$build/virtdeck-vmm}
vd=${VD_VIRTDECK_BIN:-$build/virtdeck}
[ -x "$vmm" ] || { echo "SKIP: $vmm not built (configure --enable-vmm)"; exit 77; }
command -v gcc >/dev/null || { echo "SKIP: no gcc for the static test client"; exit 77; }
vd_harness_dir=$src/tests/harness
. "$vd_harness_dir/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vd-vmm-hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -static -O2 -o "$work/hostile-client" "$src/tests/integration/vmm-hostile-client.c" ||
	{ echo "SKIP: cannot build a static program (libc6-dev?)"; exit 77; }

set +e
"$src/tests/harness/run-in-kvm.sh" --timeout 400 --guest --kmod tun --kmod bridge -- \
	sh "$src/tests/integration/vmm-hostile-payload.sh" "$vmm" "$work/hostile-client" "$vd" \
	"${VD_HOSTILE_PARTS:-clients sweep}" \
	>"$work/out" 2>&1
rc=$?
set -e
vd_harness_verdict "$work/out" "$rc" "virtdeck-vmm withstood hostile clients and SIGKILL during start"
