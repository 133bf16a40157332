# selftest-payload.sh - runs inside the harness (tests/integration/harness-selftest.sh packs it):
# shellcheck shell=sh
# 1. kvm-smoke (KVM_CREATE_VM, a real-mode vCPU, an IO exit, HLT) on /dev/kvm;
# 2. QEMU's microvm with -accel kvm as the inner VMM boots the Debian cloud kernel with the inner
#    busybox initramfs and an ext4 virtio-blk disk, to VIRTDECK-GUEST-UP; checks the guest's lines,
#    then loop-mounts the disk to see the file the guest wrote.
# Usage: sh selftest-payload.sh KVM-SMOKE DISK.img
# Prints SELFTEST-STEP <name> PASS|FAIL|SKIP <detail>; exits 0 when no step failed.
smoke=$1
disk=$2
failed=0
# Also runs on a host with hardware KVM (run-in-kvm.sh's host mode): keep to a private folder.
tmp=$(mktemp -d /tmp/vd-selftest.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t=$(now)
if "$smoke"; then
	echo "SELFTEST-STEP kvm-smoke PASS ($(since "$t") s)"
else
	echo "SELFTEST-STEP kvm-smoke FAIL (exit $?)"
	failed=1
fi

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "SELFTEST-STEP microvm-guest SKIP (no qemu-system-x86_64 here)"
elif [ -z "${VD_GUEST_KERNEL:-}" ]; then
	echo "SELFTEST-STEP microvm-guest SKIP (no inner guest packed: VD_GUEST_KERNEL unset)"
else
	t=$(now)
	out=$tmp/inner.log
	timeout 60 qemu-system-x86_64 -machine microvm -accel kvm -cpu host -m 256 -smp 1 -nodefaults \
		-no-reboot -display none -monitor none -serial stdio \
		-kernel "$VD_GUEST_KERNEL" -initrd "$VD_GUEST_INITRD" -append "$VD_GUEST_APPEND" \
		-drive "file=$disk,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0 \
		</dev/null >"$out" 2>&1
	rc=$?
	tr -d '\r' <"$out" | sed 's/^/inner: /'
	why=
	grep -q '^VIRTDECK-GUEST-UP' "$out" || why="$why no VIRTDECK-GUEST-UP;"
	grep -q '^GUEST-BLK=ok' "$out" || why="$why no GUEST-BLK=ok;"
	grep -q '^GUEST-BLK-READ=hello-from-host' "$out" || why="$why did not read hello.txt;"
	grep -q '^VIRTDECK-GUEST-DONE' "$out" || why="$why no VIRTDECK-GUEST-DONE;"
	[ "$rc" = 0 ] || why="$why inner qemu exit $rc;"
	# What the guest wrote must be on the disk: look with a loop mount here in the harness.
	if mkdir -p "$tmp/m" && mount -o loop,ro -t ext4 "$disk" "$tmp/m" 2>/dev/null; then
		[ "$(cat "$tmp/m/guest-wrote.txt" 2>/dev/null)" = written-by-guest ] ||
			why="$why guest-wrote.txt not on the disk after the guest;"
		umount "$tmp/m"
	else
		echo "(no loop mount here: the guest's write is not checked from outside)"
	fi
	if [ -z "$why" ]; then
		echo "SELFTEST-STEP microvm-guest PASS ($(since "$t") s from inner VMM start to power off)"
	else
		echo "SELFTEST-STEP microvm-guest FAIL:$why"
		failed=1
	fi
fi
exit "$failed"
