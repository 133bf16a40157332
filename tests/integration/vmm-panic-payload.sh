#!/bin/sh
# vmm-panic-payload.sh - runs where /dev/kvm is real, packed by vmm-panic.sh: a guest whose kernel
# panics (vd.panic=1: sysrq c) must be listed as panicked with the panic line as its reason, in
# `virtdeck list`, `list --json` and `top -b --csv`, and still after the state dir is wiped.
# Usage: sh vmm-panic-payload.sh VIRTDECK VIRTDECK-VMM. Prints "VMMTEST PASS|FAIL <what>"; exit 0 = all passed.
vd=$1
export VIRTDECK_VMM_BIN=$2
failed=0
pass() { echo "VMMTEST PASS $*"; }
fail() { echo "VMMTEST FAIL $*"; failed=1; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
export VIRTDECK_STATE_DIR=/tmp/vd-panic/state VIRTDECK_DATA_DIR=/tmp/vd-panic/data
vdj() { "$vd" list --json 2>/dev/null | tr -d '\n' | sed 's/}, *{/}\n{/g' | grep '"name": "p1"'; }
panicked() { vdj | grep -q '"state": "panicked"'; }

"$vd" create vm p1 --kernel "$VD_GUEST_KERNEL" --initrd "$VD_GUEST_INITRD" --memory 256M --vcpus 1 \
	--cmdline "$VD_GUEST_APPEND vd.panic=1" >/dev/null || fail "create vm"
"$vd" start p1 >/dev/null || fail "start"
if wait_for 120 panicked; then
	pass "list --json: panicked"
else
	fail "never listed panicked: $(vdj); console: $(tail -c 600 "$VIRTDECK_STATE_DIR/vmm/p1.console")"
fi
vdj | grep -q '"reason": "Kernel panic - not syncing: sysrq triggered crash' &&
	pass "the reason is the kernel's panic line" || fail "reason: $(vdj)"
"$vd" list | grep -Eq '^vmm .* p1 +vm +panicked .*Kernel panic - not syncing' &&
	pass "list: panicked with the panic line" || fail "list: $("$vd" list | grep p1)"
"$vd" top -b -n 1 -d 0.2 --csv | grep ',p1,vm,panicked,' | grep -q ',panic,[0-9.]*$' &&
	pass "top -b --csv: panicked, exit kind panic" || fail "top -b --csv: $("$vd" top -b -n 1 -d 0.2 --csv)"
rm -rf "$VIRTDECK_STATE_DIR"
panicked && pass "still panicked after the state dir is wiped" || fail "forgotten: $(vdj)"
"$vd" delete p1 >/dev/null || fail "delete"
exit "$failed"
