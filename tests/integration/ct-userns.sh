#!/bin/sh
# ct-userns.sh - a container in its own user namespace: root inside is an unprivileged uid on
# the host, the maps are as configured, isolation and privileges are as without it.
. "$(dirname "$0")/ct-lib.sh"
unshare -U true 2>/dev/null || skip "user namespaces are disabled here"

chmod 0711 "$T" # root inside (an unprivileged host uid) must reach its rootfs
BASE=$(( 400000 + ($$ % 1000) * 65536 ))
"$srcdir/data/mkrootfs-busybox.sh" "$T/rootfs-u" "$BASE" >/dev/null || fail "building the shifted rootfs"
CT_NAMES="$CT_NAMES un"
vd create ct un --rootfs "$T/rootfs-u" --memory 32M -- /bin/sh >/dev/null || fail "create"
echo "userns_base = $BASE" >> "$VIRTDECK_DATA_DIR/containers/un.ini"
vd start un >/dev/null || fail "start un"

init=$(ct_field status un init_pid)
[ "$(awk '/^Uid:/ {print $2}' /proc/"$init"/status)" = "$BASE" ] || fail "init does not run as host uid $BASE"
[ "$(ctx un -- id -u)" = 0 ] || fail "exec is not root inside"
[ "$(ctx un -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')" = "0 $BASE 65536" ] || fail "uid_map wrong"
ok "root inside is host uid $BASE (uid_map 0 $BASE 65536)"

[ "$(ctx un -- grep CapEff /proc/1/status | awk '{print $2}')" = 00000000a80425fb ] || fail "CapEff inside"
[ "$(ctx un -- grep Seccomp: /proc/1/status | awk '{print $2}')" = 2 ] || fail "no seccomp filter"
ctx un -- touch /root/written || fail "root inside cannot write its own rootfs"
[ "$(stat -c %u "$T/rootfs-u/root/written")" = "$BASE" ] || fail "file written inside is not owned by $BASE"
ctx un -- sh -c 'echo x > /proc/sys/kernel/hostname' 2>/dev/null && fail "/proc/sys writable"
ok "Docker caps and seccomp inside the user namespace; files it writes belong to $BASE on the host"

out=$( (echo 'echo PID=$$ UID=$(id -u)'; sleep 1) | timeout 10 "$VD" console un 2>/dev/null | tr -d '\r')
echo "$out" | grep -q "^PID=1 UID=0" || fail "console: $out"
ok "console shell is PID 1, uid 0"

# From a terminal (script(1) gives one), exec's pty is the container root's own: it can reopen it.
if command -v script >/dev/null; then
	out=$(timeout 20 script -qec "$VD exec un -- sh -c 'stat -c %u:%g \$(tty); echo x > \$(tty)'" /dev/null |
		tr -d '\r')
	[ "$out" = "0:0
x" ] || fail "exec's pty from a terminal is not root's inside: $out"
	ok "exec's pty belongs to root inside, who reopens it"
fi

# The exec helper that relays from inside the container's cgroup and namespaces runs as root of
# the user namespace: it keeps no host identity.
timeout 20 "$VD" exec un -- sleep 5 </dev/null >/dev/null 2>&1 &
# The helper once its command runs: it has a child.
find_helper() {
	for p in $(cat "$(ct_cgdir un)/cgroup.procs"); do
		case $(readlink "/proc/$p/exe") in */virtdeck-ct | /memfd:virtdeck-ct*) pgrep -P "$p" >/dev/null && helper=$p ;; esac
	done
	[ -n "$helper" ]
}
i=0 helper=""
while ! find_helper && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$helper" ] || fail "no exec helper with a running command in the container's cgroup"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$helper/status")" = "$BASE" ] || fail "the exec helper keeps a host uid"
wait
ok "the exec helper runs as $BASE, root of the user namespace"

vd stop un >/dev/null && vd delete un >/dev/null || fail "stop/delete"
ct_assert_gone un
ok "stop + delete leave nothing"
