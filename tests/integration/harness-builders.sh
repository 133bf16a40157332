#!/bin/bash
# harness-builders.sh - checks the image builders without booting anything: mkinitramfs-busybox.sh
# (busybox applets, /init, --init, --add with an ELF's libraries, --kmod decompression, --bare,
# plain cpio) and mkdisk-ext4.sh (files in, read back with debugfs, too-small size refused).
set -eu

src=${VD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/vd-harness-builders.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
for t in cpio busybox gzip; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t missing (data/install-deps.sh installs it)"; exit 77; }
done

# ---- mkinitramfs-busybox.sh: a full image
echo 'echo from-the-init-script' >"$work/init.sh"
echo 'not really a module' >"$work/fake.ko"
kmods=(--kmod "$work/fake.ko")
if command -v xz >/dev/null 2>&1; then
	echo 'compressed module' | xz >"$work/comp.ko.xz"
	kmods+=(--kmod "$work/comp.ko.xz")
fi
mkdir -p "$work/tree/sub"
echo data >"$work/tree/sub/file"
elf=$(command -v ls)
"$src/data/mkinitramfs-busybox.sh" "$work/full.cpio.gz" --init "$work/init.sh" \
	--add "$elf:/opt/bin/ls" --add "$work/tree:/opt/tree" "${kmods[@]}"
mkdir "$work/x"
(cd "$work/x" && gzip -dc "$work/full.cpio.gz" | cpio -id --quiet 2>/dev/null)
x=$work/x
check "image has /init, executable" test -x "$x/init"
check "busybox is there with applet links (sh, insmod, mount)" \
	test -f "$x/usr/bin/busybox" -a -L "$x/usr/bin/sh" -a -L "$x/usr/bin/insmod" -a -L "$x/usr/bin/mount"
check "merged /usr: /bin and /lib are links into /usr" test -L "$x/bin" -a -L "$x/lib"
check "--init script installed as /etc/vd-init.sh" grep -q from-the-init-script "$x/etc/vd-init.sh"
check "--add SRC:DST copies an ELF program" cmp "$elf" "$x/opt/bin/ls"
libc=$(ldd "$elf" | sed -n 's/.*libc\.so\.6 => \(\/[^ ]*\) .*/\1/p')
check "--add brings the program's libc ($libc)" test -n "$libc" -a -f "$x/usr/${libc#/usr/}"
check "--add brings the dynamic loader" test -f "$x/usr/lib64/ld-linux-x86-64.so.2"
check "--add copies a directory tree" grep -q data "$x/opt/tree/sub/file"
check "--kmod files are numbered in load order" grep -qx 01-fake.ko "$x/etc/vd-modules"
if command -v xz >/dev/null 2>&1; then
	check "--kmod .ko.xz is decompressed" grep -q 'compressed module' "$x/usr/lib/vd-modules/02-comp.ko"
fi

# ---- --bare, plain cpio
"$src/data/mkinitramfs-busybox.sh" "$work/bare.cpio" --bare --gzip-level 0 --add "$work/init.sh:/harness/cmd"
check "--gzip-level 0 writes a plain newc cpio" sh -c "head -c 6 '$work/bare.cpio' | grep -q 070701"
check "--bare has the added file" sh -c "cpio -it --quiet <'$work/bare.cpio' | grep -qx harness/cmd"
check "--bare has no busybox and no /init" sh -c "! cpio -it --quiet <'$work/bare.cpio' | grep -qE '^(init|usr/bin/busybox)$'"
check "bad option is refused" sh -c "! '$src/data/mkinitramfs-busybox.sh' '$work/y.gz' --nope"

# ---- mkdisk-ext4.sh
if command -v mke2fs >/dev/null 2>&1 || [ -x /sbin/mke2fs ]; then
	mkdir -p "$work/disk/d"
	echo hello-from-host >"$work/disk/hello.txt"
	echo deep >"$work/disk/d/deep.txt"
	check "mkdisk-ext4.sh makes an 8M image from a directory" "$src/data/mkdisk-ext4.sh" "$work/disk.img" 8M "$work/disk"
	check "the image is 8 MiB" test "$(stat -c %s "$work/disk.img")" = 8388608
	debugfs=$(command -v debugfs || echo /sbin/debugfs)
	if [ -x "$debugfs" ]; then
		check "debugfs reads hello.txt back" sh -c "'$debugfs' -R 'cat /hello.txt' '$work/disk.img' 2>/dev/null | grep -qx hello-from-host"
		check "debugfs reads d/deep.txt back" sh -c "'$debugfs' -R 'cat /d/deep.txt' '$work/disk.img' 2>/dev/null | grep -qx deep"
	fi
	check "a size too small is refused" sh -c "! '$src/data/mkdisk-ext4.sh' '$work/small.img' 64k '$work/disk'"
	check "an empty image without DIR" "$src/data/mkdisk-ext4.sh" "$work/empty.img" 4M
else
	echo "SKIP: mke2fs missing (e2fsprogs): mkdisk-ext4.sh not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
