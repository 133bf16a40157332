#!/bin/sh
# ct-basic.sh - a busybox container is isolated: PID 1, own hostname/net, no host processes,
# Docker's capability set, a seccomp filter, no leaked fds; stop and delete leave nothing.
. "$(dirname "$0")/ct-lib.sh"

sleep 300 & marker=$!
ct_new web --memory 64M --cpus 0.5 --hostname webhost -- /bin/sh

[ "$(ct_state web)" = running ] || fail "web is not listed as running"
ok "started and listed as running"

[ "$(ctx web -- cat /proc/1/cmdline | tr '\0' ' ')" = "/bin/sh " ] || fail "PID 1 is not the container's cmd"
[ "$(ctx web -- sh -c 'cat /proc/1/status' | awk '/^NSpid/ {print $2}')" = 1 ] || fail "init is not PID 1"
ok "init is PID 1 of its own pid namespace"

[ "$(ctx web -- hostname)" = webhost ] || fail "hostname is not webhost"
ok "own hostname"

host_net=$(readlink /proc/self/ns/net)
ct_net=$(ctx web -- readlink /proc/self/ns/net)
[ -n "$ct_net" ] && [ "$ct_net" != "$host_net" ] || fail "shares the host's net namespace ($ct_net)"
links=$(ctx web -- cat /proc/net/dev | tail -n +3 | awk -F: '{gsub(/ /,"",$1); print $1}' | tr '\n' ' ')
[ "$links" = "lo " ] || fail "net=loopback shows links: $links"
ok "own net namespace with only lo"

for ns in ipc uts mnt cgroup time; do
	host=$(readlink /proc/self/ns/$ns 2>/dev/null) || continue
	[ "$(ctx web -- readlink /proc/1/ns/$ns)" != "$host" ] || fail "shares the host's $ns namespace"
done
ok "own ipc, uts, mnt, cgroup and time namespaces"

nprocs=$(ctx web -- ps -o pid | tail -n +2 | wc -l)
[ "$nprocs" -le 3 ] || fail "sees $nprocs processes"
! ctx web -- ps -o args | grep -q "sleep 300" || fail "host process visible"
ok "host processes invisible ($nprocs visible)"

capeff=$(ctx web -- grep CapEff /proc/1/status | awk '{print $2}')
[ "$capeff" = 00000000a80425fb ] || fail "CapEff of init is $capeff, expected Docker's 00000000a80425fb"
capbnd=$(ctx web -- grep CapBnd /proc/self/status | awk '{print $2}')
[ "$capbnd" = 00000000a80425fb ] || fail "CapBnd of exec is $capbnd"
ok "capabilities are Docker's default 14 (init and exec)"

[ "$(ctx web -- grep Seccomp: /proc/1/status | awk '{print $2}')" = 2 ] || fail "init has no seccomp filter"
[ "$(ctx web -- grep NoNewPrivs /proc/1/status | awk '{print $2}')" = 1 ] || fail "init lacks no_new_privs"
out=$(ctx web -- unshare -U true 2>&1) && fail "unshare -U succeeded inside the container"
echo "$out" | grep -q "Operation not permitted" || fail "unshare -U failed oddly: $out"
ok "seccomp denies unshare(CLONE_NEWUSER) with EPERM; no_new_privs set"

# ash keeps a dup of its tty at fd 10 for job control: every fd must be the console itself.
for fd in $(ctx web -- ls /proc/1/fd); do
	target=$(ctx web -- readlink /proc/1/fd/$fd)
	case $target in
	/dev/console | /dev/tty | /dev/pts/*) ;;
	*) fail "init holds fd $fd -> $target (CVE-2024-21626 class leak)" ;;
	esac
done
ok "init holds nothing but its console (no leaked host fds)"

ctx web -- sh -c 'echo 1 > /proc/sysrq-trigger' 2>/dev/null && fail "/proc/sysrq-trigger is writable"
ctx web -- sh -c 'echo 1 > /proc/sys/kernel/ns_last_pid' 2>/dev/null && fail "/proc/sys is writable"
[ -z "$(ctx web -- cat /proc/keys 2>/dev/null)" ] || fail "/proc/keys is not masked"
ctx web -- sh -c 'touch /sys/x' 2>/dev/null && fail "/sys is writable"
ok "masked and read-only /proc and /sys paths"

vd stop web >/dev/null || fail "stop"
[ "$(ct_state web)" = stopped ] || fail "web not stopped after stop"
vd delete web >/dev/null || fail "delete"
ct_assert_gone web
[ -z "$(ct_state web)" ] || fail "web still listed after delete"
kill $marker
ok "stop + delete removed every cgroup, mount and state file"
