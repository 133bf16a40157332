#!/bin/sh
# libvirt-balloon.sh - a real Linux guest (direct kernel boot under TCG, busybox init, the
# virtio balloon driver) under a real libvirtd: virtdeck shows the memory the guest itself uses
# (balloon available - usable, source "balloon") and a live resize moves the balloon.
# The kernel comes from the nested-KVM harness cache (tests/harness; VD_HARNESS_CACHE).
set -u
. "$(dirname "$0")/libvirt-lib.sh"
trap lv_cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "FAIL: $*"
	exit 1
}
kdir=""
# The harness's cache (tests/harness/lib.sh vd_harness_cache), once data/mkkernel.sh filled it
# (its stamp is written last, so a kernel with a stamp is complete).
for c in ${VD_HARNESS_CACHE:-} ${VD_SRCDIR:-.}/tests/harness/cache ${TMPDIR:-/tmp}/virtdeck-harness-cache; do
	[ -f "$c/kernel/stamp" ] && [ -f "$c/kernel/modules/virtio_balloon.ko" ] && { kdir=$c/kernel; break; }
done
[ -n "$kdir" ] || lv_skip "no guest kernel yet: data/mkkernel.sh tests/harness/cache/kernel fetches one (the harness self-test does it too)"
command -v busybox >/dev/null 2>&1 && busybox --list 2>/dev/null | grep -qx insmod || lv_skip "busybox (static) is not installed"
command -v cpio >/dev/null 2>&1 || lv_skip "cpio is not installed"
lv_require
command -v qemu-system-x86_64 >/dev/null 2>&1 || lv_skip "qemu-system-x86 is not installed"

# An initramfs: busybox, the virtio PCI and balloon modules, and an init that loads them and
# keeps ~40 MiB in use so the guest's own figure is visibly more than nothing.
root=$LV_TMP/initrd
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/m" "$root/tmp"
cp "$(command -v busybox)" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon; do
	cp "$kdir/modules/$m.ko" "$root/m/"
done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs -o size=64m tmp /tmp
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon; do insmod /m/$m.ko; done
dd if=/dev/zero of=/tmp/fill bs=1M count=40 2>/dev/null
echo VD-GUEST-UP > /dev/ttyS0
while :; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$LV_TMP/initrd.gz" || fail "building the initramfs"
cp "$kdir/vmlinuz" "$LV_TMP/vmlinuz"

lv_daemon
NAME=vdtest-balloon-$$
cat > "$LV_TMP/$NAME.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$LV_TMP/vmlinuz</kernel><initrd>$LV_TMP/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 initcall_blacklist=cmos_init</cmdline></os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
XML
LV_DOMAINS="$LV_DOMAINS qemu:///system:$NAME"
lv_virsh define "$LV_TMP/$NAME.xml" >/dev/null || fail "define $NAME"
VD="timeout 30 $VD_BIN"
$VD start --connect qemu:///system "$NAME" >/dev/null || fail "start $NAME"

# Boot under TCG takes seconds; wait for the guest's own stats to show its 40 MiB of tmpfs.
i=0 src="" used=0
while [ $i -lt 60 ]; do
	if $VD list --json --connect qemu:///system > "$LV_TMP/a.json" 2>/dev/null; then
		src=$(lv_json "$LV_TMP/a.json" "g('$NAME')['mem_source']")
		used=$(lv_json "$LV_TMP/a.json" "g('$NAME')['mem_used_bytes']")
	fi
	[ "$src" = balloon ] && [ "$used" -gt $((40 * 1048576)) ] && break
	sleep 1
	i=$((i + 1))
done
[ "$src" = balloon ] || fail "no guest balloon stats after 60 s (source: '$src')"
[ "$used" -gt $((40 * 1048576)) ] && [ "$used" -lt $((256 * 1048576)) ] ||
	fail "guest-used memory $used is not between the 40 MiB it filled and its 256 MiB"
echo "ok: guest reports $((used / 1048576)) MiB used (balloon: available - usable) after ${i} s"

# Live resize: the balloon inflates, and the allocation follows once the guest gave the pages.
$VD resize --connect qemu:///system --live --memory 192M "$NAME" >/dev/null || fail "live resize"
i=0 alloc=0
while [ $i -lt 30 ]; do
	$VD list --json --connect qemu:///system > "$LV_TMP/b.json" 2>/dev/null &&
		alloc=$(lv_json "$LV_TMP/b.json" "g('$NAME')['mem_alloc_bytes']")
	[ "$alloc" = $((192 * 1048576)) ] && break
	sleep 1
	i=$((i + 1))
done
[ "$alloc" = $((192 * 1048576)) ] || fail "balloon did not reach 192M (allocation $alloc)"
echo "ok: live balloon resize 256M -> 192M took effect in ${i} s"
echo "PASS: real guest: memory used from the guest's balloon stats, live balloon resize"
