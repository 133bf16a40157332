#!/bin/sh
# ct-devices.sh - host devices stay closed to containers (issue 12, item 1): inside a container,
# mknod + open (read-write, else read-only) of the host's ttys, screen memory, loop, fuse,
# zram, hwrng and root disk all fail, while null, zero, full, random, urandom, tty, ptmx, pts
# and the console work.
# Run on cgroup v1 (the devices controller) and on cgroup2 (a BPF_CGROUP_DEVICE program).
. "$(dirname "$0")/ct-lib.sh"

# The host's root disk: the device under /, else the first real disk.
rootdev=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
case $rootdev in 0:*|"")
	d=$(ls /sys/block | grep -v -e '^loop' -e '^ram' -e '^zram' | head -1)
	rootdev=$([ -n "$d" ] && cat "/sys/block/$d/dev") ;;
esac

# name type major minor: what a container must not open.
{
	echo "tty0 c 4 0"; echo "tty1 c 4 1"; echo "vcs1 c 7 1"; echo "vcsa1 c 7 129"
	echo "loop-control c 10 237"; echo "loop0 b 7 0"; echo "fuse c 10 229"
	echo "hwrng c 10 183"
	[ -r /sys/block/zram0/dev ] && echo "zram0 b $(tr ':' ' ' < /sys/block/zram0/dev)"
	[ -n "$rootdev" ] && echo "rootdisk b $(echo "$rootdev" | tr ':' ' ')"
} > "$ROOTFS/devlist"
# The same nodes made on the host side, so opening is tested even where mknod is refused.
mkdir "$ROOTFS/hostnodes"
while read -r name type maj min; do
	mknod "$ROOTFS/hostnodes/$name" "$type" "$maj" "$min" || fail "host mknod $name"
done < "$ROOTFS/devlist"

cat > "$ROOTFS/devprobe.sh" <<'EOF'
# Inside the container: mknod each node, open it read-write (else read-only: hwrng refuses
# writers, a mounted disk may too); print every node that opened.
cd /tmp
try() { (exec 3<>"$1") 2>/dev/null || (exec 3<"$1") 2>/dev/null; }
while read -r name type maj min; do
	rm -f "n-$name"
	if mknod "n-$name" "$type" "$maj" "$min" 2>/dev/null && try "n-$name"; then
		echo "OPEN(mknod) $name"
	fi
	rm -f "n-$name"
	try "/hostnodes/$name" && echo "OPEN(host-made) $name"
done < /devlist
echo probe-done
EOF

# What the container may use still works (exec'd processes are in the same device cgroup).
check_allowed() {
	n=$1
	ctx "$n" -- sh -c 'echo x > /dev/null' || fail "$n: writing /dev/null failed"
	for d in urandom random zero; do
		[ "$(ctx "$n" -- sh -c "head -c 16 /dev/$d | wc -c")" = 16 ] ||
			fail "$n: reading /dev/$d failed"
	done
	out=$(ctx "$n" -- sh -c 'echo x > /dev/full' 2>&1)
	echo "$out" | grep -q "No space left" || fail "$n: /dev/full did not say ENOSPC: $out"
	# Without a controlling tty /dev/tty gives ENXIO; only EPERM would be the device cgroup.
	out=$(ctx "$n" -- sh -c '(exec 3<>/dev/tty) 2>&1')
	echo "$out" | grep -q "not permitted" && fail "$n: the device cgroup refused /dev/tty: $out"
	# A fresh pty from ptmx; its locked slave answers EIO, never EPERM.
	out=$(ctx "$n" -- sh -c 'exec 3<>/dev/ptmx || exit 9
		p=$(ls /dev/pts | grep -v ptmx | sort -n | tail -1)
		(exec 4<>/dev/pts/$p) 2>&1; echo "pts=$p"')
	echo "$out" | grep -q "^pts=[0-9]" || fail "$n: opening /dev/ptmx gave no pty: $out"
	echo "$out" | grep -q "not permitted" && fail "$n: the device cgroup refused /dev/pts: $out"
	# init's shell on the console: /dev/tty and /dev/console write back through the pty; a host
	# node is refused to init too, not only to exec'd processes.
	out=$( (echo 'echo T$((1+1)) >/dev/tty; echo C$((2+1)) >/dev/console;' \
		'(exec 3<>/hostnodes/tty1) 2>/dev/null || echo D$((3+1))'; sleep 1) |
		timeout 10 "$VD" console "$n" 2>/dev/null | tr -d '\r')
	echo "$out" | grep -q "^T2" && echo "$out" | grep -q "^C3" ||
		fail "$n: console round trip through /dev/tty and /dev/console failed: $out"
	echo "$out" | grep -q "^D4" || fail "$n: init opened the host's tty1: $out"
	ok "$n: null, zero, full, random, urandom, tty, ptmx, pts and the console work"
}

check_denied() {
	n=$1
	out=$(ctx "$n" -- /bin/sh /devprobe.sh 2>&1)
	echo "$out" | grep -q probe-done || fail "$n: the probe did not run: $out"
	opened=$(echo "$out" | grep "^OPEN" | tr '\n' ' ')
	[ -z "$opened" ] || fail "$n: host devices opened inside the container: $opened"
	ok "$n: mknod + open refused for $(cut -d' ' -f1 "$ROOTFS/devlist" | tr '\n' ' ')($rootdev)"
}

# devices_allow= opens one more device (fuse here), nothing else.
check_fuse() {
	n=$1
	ct_new "$n" $MEM -- /bin/sh
	vd stop -t 0 "$n" >/dev/null || fail "stop $n"
	sed -i "s|^\[container\]|[container]\ndevices_allow = c 10:229 rwm|" \
		"$VIRTDECK_DATA_DIR/containers/$n.ini"
	vd start "$n" >/dev/null || fail "start $n with devices_allow"
	ctx "$n" -- sh -c 'mknod /tmp/fuse c 10 229 && (exec 3<>/tmp/fuse)' ||
		fail "$n: fuse not open with devices_allow"
	out=$(ctx "$n" -- /bin/sh /devprobe.sh 2>&1)
	opened=$(echo "$out" | grep "^OPEN" | tr '\n' ' ')
	[ "$opened" = "OPEN(mknod) fuse OPEN(host-made) fuse " ] ||
		fail "$n: with fuse allowed, opened: $opened"
	ctx "$n" -- rm -f /tmp/fuse
	ok "$n: devices_allow = c 10:229 rwm opens fuse and nothing more"
}

run_mode() {
	sfx=$1
	ct_new "dev$sfx" $MEM -- /bin/sh
	check_denied "dev$sfx"
	check_allowed "dev$sfx"
	check_fuse "fuse$sfx"
}

# The hybrid host's cgroup2 mount has no memory controller: the limit only on v1.
MEM="--memory 32M"
run_mode 1
[ "$(ct_field status dev1 cgroup_version)" = 1 ] || fail "dev1 did not run on cgroup v1"
[ "$(ctx dev1 -- head -1 /sys/fs/cgroup/devices/devices.list)" != "a *:* rwm" ] ||
	fail "dev1's devices cgroup allows everything"

V2=${VD_CGROUP2_ROOT:-/sys/fs/cgroup/unified}
if [ "$(stat -f -c %T "$V2" 2>/dev/null)" = cgroup2fs ]; then
	export VIRTDECK_CGROUP_ROOT=$V2
	MEM=
	run_mode 2
	unset VIRTDECK_CGROUP_ROOT
	[ "$(ct_field status dev2 cgroup_version)" = 2 ] || fail "dev2 did not run on cgroup v2"
	ok "cgroup2: the BPF device program confines dev2"
else
	echo "# no cgroup2 mount at $V2: the BPF device program is not tested here"
fi

# A host without the devices controller: refuse to start, unless the definition opts out.
FAKE=$(mktemp -d /tmp/vd-ct-nodev.XXXXXX)
fake_cleanup() {
	ct_cleanup
	umount "$FAKE/pids" 2>/dev/null
	umount "$FAKE" 2>/dev/null
	rmdir "$FAKE"
}
trap fake_cleanup EXIT
mount -t tmpfs tmpfs "$FAKE" && mkdir "$FAKE/pids" && mount -t cgroup -o pids cgroup "$FAKE/pids" ||
	fail "mounting a cgroup root without devices at $FAKE"
CT_NAMES="$CT_NAMES nodev"
vd create ct nodev --rootfs "$ROOTFS" -- /bin/sh >/dev/null || fail "create nodev"
export VIRTDECK_CGROUP_ROOT=$FAKE
out=$(vd start nodev 2>&1) && fail "started without a devices controller"
echo "$out" | grep -q "container nodev: no devices cgroup controller" &&
	echo "$out" | grep -q "set devices = unconfined" ||
	fail "refusal does not say what failed, for which container, and what to do: $out"
[ -z "$(find "$FAKE/pids" -name nodev)" ] || fail "a refused start left its cgroup behind"
ok "no devices controller: start refused ($out)"
sed -i "s|^devices = confined|devices = unconfined|" "$VIRTDECK_DATA_DIR/containers/nodev.ini"
vd start nodev >/dev/null || fail "devices = unconfined did not start"
vd stop -t 0 nodev >/dev/null
ok "devices = unconfined opts out explicitly and starts"
