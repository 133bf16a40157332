#!/bin/bash
# vmm-panic.sh - a guest kernel that panics is listed as panicked with its panic line as the reason,
# on real KVM (the host's, else the nested harness): runs vmm-panic-payload.sh there and reports
# each check; exit 77 with the reason when there is no KVM.
set -eu

src=${VD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VD_BUILDDIR:-$src}
vd=${VD_VIRTDECK_BIN:-$build/virtdeck}
[ -x "$build/virtdeck-vmm" ] || { echo "SKIP: virtdeck-vmm not built (configure --enable-vmm)"; exit 77; }
vd_harness_dir=$src/tests/harness
. "$vd_harness_dir/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vd-vmm-panic.XXXXXX")
trap 'rm -rf "$work"' EXIT

set +e
"$src/tests/harness/run-in-kvm.sh" --timeout 300 --guest -- \
	sh "$src/tests/integration/vmm-panic-payload.sh" "$vd" "$build/virtdeck-vmm" >"$work/out" 2>&1
rc=$?
set -e
vd_harness_verdict "$work/out" "$rc" "a panicking guest is reported as panicked"
