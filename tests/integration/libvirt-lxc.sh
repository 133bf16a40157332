#!/bin/sh
# libvirt-lxc.sh - a real libvirtd's LXC driver: a container that shares the host's root, seen
# running as a "ct" with its cgroup memory through `virtdeck list --json`, paused and destroyed.
set -u
. "$(dirname "$0")/libvirt-lib.sh"
trap lv_cleanup EXIT
trap 'exit 1' INT TERM
lv_require
lv_daemon
LXC=lxc:///system
VD="timeout 30 $VD_BIN"
NAME=vdtest-ct-$$
fail() {
	echo "FAIL: $*"
	exit 1
}
timeout 10 virsh -q -c $LXC version >/dev/null 2>&1 || lv_skip "the LXC driver is not available ($(timeout 10 virsh -q -c $LXC version 2>&1 | head -1))"

cat > "$LV_TMP/ct.xml" <<XML
<domain type='lxc'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type>exe</type><init>/bin/sh</init><initarg>-c</initarg>
    <initarg>i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done; exec sleep 600</initarg></os>
  <devices><console type='pty'/></devices>
</domain>
XML
LV_DOMAINS="$LV_DOMAINS $LXC:$NAME"
LV_URI=$LXC lv_virsh define "$LV_TMP/ct.xml" >/dev/null || fail "defining $NAME"
if ! out=$($VD start --connect $LXC "$NAME" 2>&1); then
	case "$out" in
	*cgroup*) lv_skip "the LXC driver cannot start containers on this cgroup layout: $out" ;;
	*) fail "virtdeck start: $out" ;;
	esac
fi
$VD list --json --connect $LXC > "$LV_TMP/a.json" || fail "list --json"
[ "$(lv_json "$LV_TMP/a.json" "g('$NAME')['type']")" = ct ] || fail "$NAME is not a ct: $(cat "$LV_TMP/a.json")"
[ "$(lv_json "$LV_TMP/a.json" "g('$NAME')['state']")" = running ] || fail "$NAME is not running"
[ "$(lv_json "$LV_TMP/a.json" "g('$NAME')['mem_source']")" = cgroup ] || fail "memory source is not the cgroup"
[ "$(lv_json "$LV_TMP/a.json" "g('$NAME')['mem_alloc_bytes']")" = 67108864 ] || fail "limit is not 64 MiB"
used=$(lv_json "$LV_TMP/a.json" "g('$NAME')['mem_used_bytes']")
[ "$used" -gt 0 ] && [ "$used" -lt 67108864 ] || fail "used memory $used is not within the limit"
$VD pause --connect $LXC "$NAME" >/dev/null || fail "pause"
$VD list --json --connect $LXC > "$LV_TMP/b.json"
[ "$(lv_json "$LV_TMP/b.json" "g('$NAME')['state']")" = paused ] || fail "not paused"
$VD kill --connect $LXC "$NAME" >/dev/null || fail "kill"
$VD list --json --connect $LXC > "$LV_TMP/c.json"
[ "$(lv_json "$LV_TMP/c.json" "g('$NAME')['state']")" = stopped ] || fail "not stopped after kill"
echo "PASS: lxc:///system via virtdeck: ct listed with cgroup memory ($used bytes), pause, kill"
