#!/bin/sh
# ct-defs.sh - definitions and resize requests are untrusted input: a definition that does not
# parse is listed as broken (file:line) and can be deleted; a bridge name past the kernel's 15
# characters is refused, never cut; a rootfs swapped for a symlink after create is refused at
# start (the decoy never runs); out-of-range resizes from the CLI or straight on the supervisor's
# socket are refused and the kernel's cgroup files keep their values.
. "$(dirname "$0")/ct-lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to speak to the supervisor's socket"

DEFS=$VIRTDECK_DATA_DIR/containers
LONGBR=vdbr-forty-characters-long-bridge-name$$
LONGBR=$(printf '%.40s' "$LONGBR")

# --- a definition with a bad line is listed as broken, with file:line, and can be deleted
CT_NAMES="$CT_NAMES brk$$"
vd create ct brk$$ --rootfs "$ROOTFS" -- /bin/sh >/dev/null || fail "create brk$$"
echo "this line has no equals sign" >> "$DEFS/brk$$.ini"
line=$(wc -l < "$DEFS/brk$$.ini")
out=$(vd list 2>&1)
echo "$out" | awk -v n="brk$$" '$3 == n { print $5 }' | grep -qx broken ||
	fail "a definition that does not parse is not listed as broken: $out"
echo "$out" | grep -q "brk$$.ini:$line:" || fail "list does not say file:line of the bad line: $out"
vd list --json | python3 -c '
import json, sys
g = [x for x in json.load(sys.stdin)["guests"] if x["name"] == sys.argv[1]]
assert g and g[0]["state"] == "broken", g
assert sys.argv[2] in g[0].get("error", ""), g' "brk$$" "brk$$.ini:$line:" ||
	fail "list --json does not show brk$$ as broken with file:line"
out=$(vd start brk$$ 2>&1) && fail "a broken definition started"
echo "$out" | grep -q "brk$$.ini:$line:" || fail "start does not say file:line: $out"
vd delete brk$$ >/dev/null || fail "delete of a broken definition failed"
[ ! -e "$DEFS/brk$$.ini" ] || fail "delete left the broken definition"
ok "broken definition listed as broken ($DEFS/brk$$.ini:$line), start refused, delete removed it"

# --- bridge names: the kernel's limit is 15 characters
out=$(vd create ct br$$ --rootfs "$ROOTFS" --net bridge --bridge "$LONGBR" -- /bin/sh 2>&1) &&
	fail "a 40-character bridge name was accepted at create"
echo "$out" | grep -q "15" || fail "the bridge refusal does not name the 15-character limit: $out"
[ ! -e "$DEFS/br$$.ini" ] || fail "a refused create left a definition"
CT_NAMES="$CT_NAMES br$$"
vd create ct br$$ --rootfs "$ROOTFS" --net bridge -- /bin/sh >/dev/null || fail "create br$$"
printf 'bridge = %s\n' "$LONGBR" >> "$DEFS/br$$.ini"
out=$(vd start br$$ 2>&1) && fail "a definition with a 40-character bridge started"
echo "$out" | grep -q "15" || fail "start does not name the 15-character limit: $out"
cut15=$(printf '%.15s' "$LONGBR")
if ip link show "$cut15" >/dev/null 2>&1; then
	ip link del "$cut15"
	fail "bridge $cut15 (cut) was created"
fi
vd delete br$$ >/dev/null || fail "delete br$$"
if out=$(vd create vm vbr$$ --kernel /bin/sh --net "$LONGBR" 2>&1); then
	vd delete vbr$$
	fail "a VM with a 40-character bridge was created"
fi
echo "$out" | grep -q "15" || fail "the VM bridge refusal does not name the 15-char limit: $out"
ok "40-character bridge names refused at create (ct and vm) and at start, no bridge made"

# --- the rootfs is swapped for a symlink to a decoy after create
R2=$T/r2
cp -a "$ROOTFS" "$R2" && cp -a "$ROOTFS" "$T/decoy" || fail "copying the rootfs"
CT_NAMES="$CT_NAMES sw$$"
vd create ct sw$$ --rootfs "$R2" -- /bin/sh -c 'touch /ran; exec sleep 1000' >/dev/null ||
	fail "create sw$$"
mv "$R2" "$T/r2.real" && ln -s "$T/decoy" "$R2" || fail "swapping the rootfs"
out=$(vd start sw$$ 2>&1) && fail "started through a rootfs swapped for a symlink"
echo "$out" | grep -qi "symlink" || fail "the refusal does not say the rootfs is a symlink: $out"
sleep 0.5
[ ! -e "$T/decoy/ran" ] || fail "the decoy rootfs ran"
ok "rootfs swapped for a symlink: start refused ($out), the decoy never ran"

# --- resize: out of range from the CLI and on the supervisor's socket
ct_new rz$$ --memory 32M --cpus 0.5 -- /bin/sh
dirs=$(timeout 10 "$CT" status rz$$ | python3 -c '
import json, sys
print("\n".join(json.load(sys.stdin)["cgroup_dirs"]))')
cpuf= memf=
for d in $dirs; do
	[ -e "$d/cpu.cfs_quota_us" ] && cpuf=$d/cpu.cfs_quota_us
	[ -e "$d/cpu.max" ] && cpuf=$d/cpu.max
	[ -e "$d/memory.limit_in_bytes" ] && memf=$d/memory.limit_in_bytes
	[ -e "$d/memory.max" ] && memf=$d/memory.max
done
[ -n "$cpuf" ] && [ -n "$memf" ] || fail "no cpu/memory cgroup files among: $dirs"
q0=$(cat "$cpuf") m0=$(cat "$memf")
ini0=$(cat "$DEFS/rz$$.ini")
unchanged() {
	[ "$(cat "$cpuf")" = "$q0" ] || fail "$1 changed $cpuf: $q0 -> $(cat "$cpuf")"
	[ "$(cat "$memf")" = "$m0" ] || fail "$1 changed $memf: $m0 -> $(cat "$memf")"
	[ "$(cat "$DEFS/rz$$.ini")" = "$ini0" ] || fail "$1 changed the definition"
}
for arg in "--cpus 1e308" "--cpus 5000" "--cpus nan" "--cpus inf" "--cpus -1" \
	"--cpus $(( $(nproc) + 1 ))" "--memory nanM" "--memory infG" "--memory 1e308M" \
	"--memory 16777215T" "--memory 0x10M"; do
	# shellcheck disable=SC2086
	out=$(vd resize rz$$ $arg 2>&1) && fail "resize $arg was accepted: $out"
	echo "$out" | grep -Eqi "range|CPU|memory|size" ||
		fail "resize $arg refused without the reason: $out"
	unchanged "resize $arg"
done
ok "CLI resizes out of range refused with the reason; $cpuf=$q0 and $memf=$m0 kept"

raw() { python3 "$srcdir/tests/integration/ctl-request.py" "$VIRTDECK_STATE_DIR/ct/rz$$.sock" "$1"; }
for req in '"cpus":1e308' '"cpus":5000' '"cpus":-1' '"cpus":NaN' '"cpus":"2"' '"mem_bytes":-1' \
	'"mem_bytes":1e308' '"mem_bytes":9223372036854775807' '"mem_bytes":1024' \
	'"mem_bytes":"64M"'; do
	reply=$(raw "{\"op\":\"resize\",$req}")
	echo "$reply" | grep -q '"ok": *false' || fail "supervisor accepted resize {$req}: $reply"
	unchanged "raw resize {$req}"
done
reply=$(raw '{"op":"resize","cpus":1}')
echo "$reply" | grep -q '"ok": *true' || fail "supervisor refused a good resize: $reply"
ok "raw out-of-range resize requests refused by the supervisor, cgroup files unchanged"
