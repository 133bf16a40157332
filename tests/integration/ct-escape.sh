#!/bin/sh
# ct-escape.sh - escape checks from runc/crun CVE history: a /proc that is a symlink
# (CVE-2019-19921), a cwd through a leaked fd (CVE-2024-21626), fds leaked by the caller, the
# runtime binary reachable through /proc/self/exe (CVE-2019-5736).
# Each refused start must leave nothing behind.
. "$(dirname "$0")/ct-lib.sh"

# 1. /proc in the rootfs is a symlink to a host directory: the mount must not follow it.
EVIL=$T/evil-rootfs
cp -a "$ROOTFS" "$EVIL"
mkdir -p "$T/hostdir"
rmdir "$EVIL/proc"
ln -s "$T/hostdir" "$EVIL/proc"
CT_NAMES="$CT_NAMES evil"
vd create ct evil --rootfs "$EVIL" --memory 32M -- /bin/sh >/dev/null || fail "create evil"
out=$(vd start evil 2>&1) && fail "a rootfs whose /proc is a symlink started"
echo "$out" | grep -q "symlink" || fail "refusal does not say why: $out"
! grep -q "$T/hostdir" /proc/self/mountinfo || fail "something was mounted on the symlink's host target"
[ "$(ct_state evil)" = stopped ] || fail "evil is not stopped after the refused start"
ct_assert_gone evil
ok "symlinked /proc refused ($out)"

# 2. cwd through a descriptor: only host fds could lead outside, and none survive to chdir.
for fd in 3 4 7; do
	n=cwd$fd
	CT_NAMES="$CT_NAMES $n"
	vd create ct $n --rootfs "$ROOTFS" --memory 32M -- /bin/sh >/dev/null || fail "create $n"
	sed -i "s|^\[container\]|[container]\ncwd = /proc/self/fd/$fd|" "$VIRTDECK_DATA_DIR/containers/$n.ini"
	out=$(vd start $n 2>&1) && fail "cwd=/proc/self/fd/$fd was accepted"
	echo "$out" | grep -q "cwd" || fail "refusal does not name the cwd: $out"
	ct_assert_gone $n
done
ok "cwd=/proc/self/fd/N refused for N=3,4,7 and nothing left behind"

# 3. The caller leaks descriptors (a console's files, sockets): none reach the container.
CT_NAMES="$CT_NAMES leak"
vd create ct leak --rootfs "$ROOTFS" --memory 32M -- /bin/sleep 600 >/dev/null || fail "create leak"
exec 7</etc/hostname 8>"$T/leakfile" 9<"$VIRTDECK_DATA_DIR"
vd start leak >/dev/null || fail "start leak"
exec 7<&- 8>&- 9<&-
fds=$(ctx leak -- ls /proc/1/fd | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "init of leak holds fds: $fds"
sup=$(ct_field status leak supervisor_pid)
sfds=$(ls -l /proc/"$sup"/fd | grep -c -e "$T/leakfile" -e "/etc/hostname")
[ "$sfds" = 0 ] || fail "the supervisor kept the caller's fds"
ok "no caller fd reaches the supervisor or init (init fds: $fds)"

# 4. An exec'd process cannot reach the host root through /proc/1/root or cwd.
[ "$(ctx leak -- sh -c 'cd /proc/1/root/.. && ls / | wc -l')" = "$(ctx leak -- sh -c 'ls / | wc -l')" ] ||
	fail "/proc/1/root/.. leads out of the rootfs"
ok "/proc/1/root/.. stays inside"

# 5. CVE-2019-5736: a container whose command is `#!/proc/self/exe` runs the runtime's own
# binary inside it and can reopen /proc/PID/exe for writing. The supervisor (whose child
# becomes init) and exec run from a sealed memfd copy, so there is no host file to reach.
seals_of() {
	python3 -c 'import fcntl, os, sys
fd = os.open("/proc/%s/exe" % sys.argv[1], os.O_RDONLY)
print(fcntl.fcntl(fd, 1034))' "$1" 2>/dev/null # F_GET_SEALS
}
sealed() {
	s=$(seals_of "$1")
	[ -n "$s" ] && [ $((s & 15)) = 15 ] # SEAL, SHRINK, GROW, WRITE
}
readlink /proc/"$sup"/exe | grep -q '^/memfd:virtdeck-ct' ||
	fail "the supervisor runs from $(readlink /proc/"$sup"/exe), not a sealed copy"
sealed "$sup" || fail "the supervisor's memfd lacks the write seals (seals: $(seals_of "$sup"))"
ctx leak -- sleep 30 &
xpid=$!
i=0
while [ $i -lt 200 ]; do
	relay=$(pgrep -f "virtdeck-ct exec leak" | head -n1)
	[ -n "$relay" ] && readlink /proc/"$relay"/exe | grep -q memfd && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$relay" ] || fail "no virtdeck-ct exec process found"
readlink /proc/"$relay"/exe | grep -q '^/memfd:virtdeck-ct' ||
	fail "exec runs from $(readlink /proc/"$relay"/exe), not a sealed copy"
sealed "$relay" || fail "exec's memfd lacks the write seals"
kill "$xpid" 2>/dev/null
wait "$xpid" 2>/dev/null
ok "supervisor and exec run from a sealed memfd (CVE-2019-5736)"

# 6. Mount propagation is cut both ways: the container's mounts never show on the host, and a
# mount the host makes under the rootfs later does not reach into the running container.
grep -F " $ROOTFS" /proc/self/mountinfo && fail "the container's mounts propagated to the host"
mkdir -p "$ROOTFS/mnt"
mount -t tmpfs -o size=1m vd-prop-$$ "$ROOTFS/mnt" || fail "host tmpfs under the rootfs"
inside=$(ctx leak -- cat /proc/mounts | grep -c "vd-prop-$$")
umount "$ROOTFS/mnt"
[ "$inside" = 0 ] || fail "a host mount propagated into the container"
ok "mount propagation cut both ways (checklist 6)"
