#!/bin/sh
# mkinitramfs-busybox.sh - builds a busybox initramfs (gzip'd newc cpio, no root needed) whose /init
# mounts proc, sys, devtmpfs, tmpfs, loads given kernel modules, runs a script and powers off.
#
# Usage: data/mkinitramfs-busybox.sh OUT.cpio.gz [--init SCRIPT] [--add SRC[:DST]]... [--kmod F.ko]...
#   --init SCRIPT   run by /init (with /bin/sh) once the system is up; default: print
#                   VIRTDECK-GUEST-UP. /init powers off (poweroff -f) when SCRIPT returns, or
#                   resets (reboot -f) with vd.end=reboot on the kernel command line.
#   --add SRC[:DST] copy a file or directory into the image at DST (default: SRC's absolute path;
#                   a relative DST is taken from the image's root).
#                   ELF programs and libraries bring the shared libraries `ldd` lists with them.
#   --kmod F.ko     a module for /init to insmod, in the order given (.ko.xz/.zst/.gz are
#                   decompressed here: busybox insmod loads plain .ko only). A module that fails to
#                   load is written to /run/vd-insmod-failed; the script decides what that means.
#                   MODULE.PARAM=VALUE words of the kernel command line are passed to insmod as
#                   modprobe would (e.g. virtio_mmio.device=4K@0xd0000000:5).
#   --gzip-level N  gzip level (default 6); 0: an uncompressed cpio (the kernel takes both; under
#                   TCG unpacking a plain cpio is much faster than gunzip).
#   --bare          only the --add'ed files (no busybox, no /init): an archive to append to another
#                   (the kernel unpacks concatenated gzip'd cpio archives in order, later wins).
# Inside: /usr/bin/busybox with every applet linked; /bin, /sbin, /lib, /lib64 point into /usr as on
# Debian; /tmp and / are the writable initramfs; the script reads the kernel command line from
# /proc/cmdline.
set -eu

prog=mkinitramfs-busybox.sh
die() { echo "$prog: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -eu/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; -*) die "first argument must be OUT.cpio.gz" ;; esac
out=$1
shift

busybox=${VD_BUSYBOX:-}
if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox /usr/lib/busybox/busybox; do
		[ -x "$b" ] && { busybox=$b; break; }
	done
fi
[ -n "$busybox" ] || die "busybox not found: install the Debian package busybox-static"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: install busybox-static (or set VD_BUSYBOX to a static one)"
fi
command -v cpio >/dev/null 2>&1 || die "cpio not found: install the Debian package cpio"

bare=0
case " $* " in *" --bare "*) bare=1 ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/vd-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM

chmod 0755 "$stage"
# merged /usr like Debian: programs that find their data relative to their own path (qemu finds
# /usr/share/qemu from /usr/bin) work.
mkdir -p "$stage/usr/bin" "$stage/usr/lib/vd-modules" "$stage/usr/lib64" "$stage/usr/share" \
	"$stage/etc" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run" "$stage/root" \
	"$stage/mnt" "$stage/var"
ln -s usr/bin "$stage/bin"
ln -s usr/bin "$stage/sbin"
ln -s bin "$stage/usr/sbin"
ln -s usr/lib "$stage/lib"
ln -s usr/lib64 "$stage/lib64"
ln -s ../run "$stage/var/run"
ln -s ../tmp "$stage/var/tmp"
if [ "$bare" = 0 ]; then
	cp "$busybox" "$stage/usr/bin/busybox"
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || [ -e "$stage/usr/bin/$a" ] || ln -s busybox "$stage/usr/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
fi

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_libs FILE: the shared libraries FILE needs, at their own paths.
copy_libs() {
	ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
		while read -r lib; do
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib" || die "cannot copy $lib (needed by $1)"
		done
}

add() {
	src=${1%%:*}
	dst=${1#*:}
	[ -e "$src" ] || die "--add $1: $src does not exist"
	if [ "$dst" = "$1" ]; then
		# no DST: the source's absolute path
		dst=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
	else
		case "$dst" in /*) ;; *) dst=/$dst ;; esac
	fi
	mkdir -p "$stage$(dirname "$dst")"
	if [ -d "$src" ]; then
		mkdir -p "$stage$dst"
		cp -a "$src/." "$stage$dst/" || die "cannot copy directory $src"
	else
		rm -f "$stage$dst"
		cp -L "$src" "$stage$dst" || die "cannot copy $src"
		if is_elf "$src"; then copy_libs "$src"; fi
	fi
}

init_script=
nmod=0
modlist=
level=6
while [ $# -gt 0 ]; do
	case "$1" in
	--init) [ $# -ge 2 ] || die "--init needs a SCRIPT"; init_script=$2; shift 2 ;;
	--add) [ $# -ge 2 ] || die "--add needs SRC[:DST]"; add "$2"; shift 2 ;;
	--kmod)
		[ $# -ge 2 ] || die "--kmod needs a module file"
		[ -f "$2" ] || die "--kmod $2: no such file"
		nmod=$((nmod + 1))
		name=$(basename "$2")
		name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
		dst=$(printf '%02d-%s' "$nmod" "$name")
		case "$2" in
		*.xz) xz -dc "$2" >"$stage/lib/vd-modules/$dst" || die "cannot decompress $2 (install xz-utils)" ;;
		*.zst) zstd -dqc "$2" >"$stage/lib/vd-modules/$dst" || die "cannot decompress $2 (install zstd)" ;;
		*.gz) gzip -dc "$2" >"$stage/lib/vd-modules/$dst" || die "cannot decompress $2" ;;
		*) cp "$2" "$stage/lib/vd-modules/$dst" ;;
		esac
		modlist="$modlist $dst"
		shift 2 ;;
	--bare) shift ;;
	--gzip-level) [ $# -ge 2 ] || die "--gzip-level needs N"; level=$2; shift 2 ;;
	-h|--help) usage ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

if [ "$bare" = 1 ]; then
	[ -z "$init_script" ] || cp "$init_script" "$stage/etc/vd-init.sh"
	[ -z "$modlist" ] || die "--kmod needs a full image (not --bare)"
	rmdir "$stage/usr/lib/vd-modules" 2>/dev/null || true
else
	echo "$modlist" | tr ' ' '\n' | sed '/^$/d' >"$stage/etc/vd-modules"
	if [ -n "$init_script" ]; then
		[ -f "$init_script" ] || die "--init $init_script: no such file"
		cp "$init_script" "$stage/etc/vd-init.sh"
	else
		printf '# default payload: say the guest is up\necho VIRTDECK-GUEST-UP\n' >"$stage/etc/vd-init.sh"
	fi
	chmod 0755 "$stage/etc/vd-init.sh"

cat >"$stage/init" <<'EOF'
#!/bin/sh
# /init - virtdeck busybox initramfs: mount, load modules, run /etc/vd-init.sh, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=${TERM:-linux}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run
chmod 1777 /tmp
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs shm /dev/shm
[ -c /dev/null ] || mknod /dev/null c 1 3
ln -sf /proc/self/fd /dev/fd 2>/dev/null
hostname vd-guest
ip link set lo up 2>/dev/null
: >/run/vd-insmod-failed
# Like modprobe, give each module its MODULE.PARAM=VALUE words from the kernel command line
# (e.g. virtio_mmio.device=4K@0xd0000000:5); '-' and '_' are the same in module names.
cmdline=$(cat /proc/cmdline)
for m in $(cat /etc/vd-modules); do
	name=${m#??-}
	name=$(echo "${name%.ko}" | tr - _)
	set --
	for w in $cmdline; do
		key=${w%%=*}
		case "$key" in *.*) ;; *) continue ;; esac
		[ "$(echo "${key%%.*}" | tr - _)" = "$name" ] && set -- "$@" "${w#*.}"
	done
	if ! err=$(insmod "/lib/vd-modules/$m" "$@" 2>&1); then
		case "$err" in *"File exists"*) continue ;; esac
		echo "init: insmod ${m#??-} failed: $err"
		echo "${m#??-} $err" >>/run/vd-insmod-failed
	fi
done
cd /
sh /etc/vd-init.sh </dev/console
sync
# vd.end=reboot on the command line: end with a reset instead (a VMM without ACPI cannot power
# off; QEMU's -no-reboot and most VMMs exit on a reset).
case " $cmdline " in *" vd.end=reboot "*) reboot -f ;; esac
poweroff -f
# poweroff -f cannot fail on a working kernel; never return from /init (that panics).
while :; do sleep 1000; done
EOF
chmod 0755 "$stage/init"
fi

mkdir -p "$(dirname "$out")"
if [ "$level" = 0 ]; then
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp" || die "cpio failed"
else
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -n -"$level" >"$out.tmp" ||
		die "cpio/gzip failed"
fi
mv "$out.tmp" "$out"
