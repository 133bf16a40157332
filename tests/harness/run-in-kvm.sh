#!/bin/bash
# run-in-kvm.sh - runs a command where /dev/kvm is real KVM: on the host when it has hardware KVM,
# otherwise inside a QEMU/TCG "harness VM" whose emulated AMD CPU gives nested SVM to kvm-amd.
#
# Usage: tests/harness/run-in-kvm.sh [OPTIONS] -- CMD [ARG]...
#   --mem MB          harness VM memory (default 2048; an inner guest of 256 MiB fits)
#   --smp N           harness VM vCPUs (default 1; N>1 uses multi-threaded TCG, not faster)
#   --timeout S       stop the harness VM after S seconds (default 300): exit 124
#   --add SRC[:DST]   pack a file or directory (DST defaults to SRC's absolute path); ELF programs
#                     bring their shared libraries (ldd). Repeatable.
#   --env NAME=VALUE  set in the command's environment. Repeatable.
#   --with-qemu       pack qemu-system-x86_64, its libraries and firmware (an inner VMM to compare
#                     with, e.g. -machine microvm -accel kvm); adds ~2 s to the boot
#   --guest           pack an inner guest: VD_GUEST_KERNEL (Debian cloud kernel) and
#                     VD_GUEST_INITRD (busybox, virtio modules, tests/harness/guest-init.sh)
#   --guest-init F    like --guest, with F as the inner guest's payload script
#   --kmod NAME       load this module (and what it depends on) in the harness VM too, after kvm:
#                     tun, vhost_net, vhost_vsock, loop, bridge, veth, macvtap, ... (the modules
#                     data/mkkernel.sh extracts). Repeatable.
#   --append ARGS     extra harness kernel command line
#   --mode M          auto (default; env VD_HARNESS_MODE): host if the host has hardware KVM,
#                     else nested; host: run on the host; nested: always in the harness VM
#   --log FILE        keep the harness VM's serial log in FILE
#   -q, --quiet       do not relay the command's output (still in the log)
# The command runs with sh in the host's current directory path (created inside); arguments naming
# existing files are packed at their absolute paths, so `run-in-kvm.sh -- ./build/prog x` works.
# Environment of the command: VD_IN_HARNESS=1 (0 on the host), VD_HARNESS_MODE=host|nested,
# VD_GUEST_KERNEL, VD_GUEST_INITRD, VD_GUEST_APPEND (with --guest; the last is a kernel command
# line that boots it fast: quiet, console=ttyS0, initcall_blacklist=cmos_init).
# Exit: the command's exit code; 77 when KVM cannot be had (no qemu-system-x86_64, no kernel, the
# kvm modules do not load inside: the reason is printed); 124 on timeout; 99 when the harness VM
# itself broke (no HARNESS-EXIT line: see the log).
# Environment: VD_HARNESS_CACHE (default tests/harness/cache), VD_HARNESS_QEMU (qemu binary),
# VD_HARNESS_CPU (harness VM -cpu, default max: the one TCG model with svm), VD_KERNEL_PKG (see
# data/mkkernel.sh).
set -eu

prog=run-in-kvm.sh
vd_harness_dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$vd_harness_dir/../.." && pwd)
. "$vd_harness_dir/lib.sh"

die() { echo "$prog: $*" >&2; exit 99; }
skip() { echo "$prog: SKIP: $*" >&2; exit 77; }
usage() { sed -n '2,/^set -eu/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

mem=2048
smp=1
tmo=300
mode=${VD_HARNESS_MODE:-auto}
with_qemu=0
guest=0
guest_init=$vd_harness_dir/guest-init.sh
append=
log=
quiet=0
adds=()
envs=()
kmods_extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--mem) mem=${2:?--mem needs MB}; shift 2 ;;
	--smp) smp=${2:?--smp needs N}; shift 2 ;;
	--timeout) tmo=${2:?--timeout needs seconds}; shift 2 ;;
	--add) adds+=("${2:?--add needs SRC[:DST]}"); shift 2 ;;
	--env)
		case "${2:-}" in [A-Za-z_]*=*) ;; *) die "--env needs NAME=VALUE" ;; esac
		envs+=("$2"); shift 2 ;;
	--with-qemu) with_qemu=1; shift ;;
	--guest) guest=1; shift ;;
	--guest-init) guest=1; guest_init=${2:?--guest-init needs a script}; shift 2 ;;
	--kmod) kmods_extra+=("${2:?--kmod needs a module name}"); shift 2 ;;
	--append) append=${2?--append needs ARGS}; shift 2 ;;
	--mode) mode=${2:?--mode needs auto|host|nested}; shift 2 ;;
	--log) log=${2:?--log needs FILE}; shift 2 ;;
	-q|--quiet) quiet=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	*) die "unknown option '$1' (the command goes after --; see --help)" ;;
	esac
done
[ $# -ge 1 ] || die "no command given (usage: $prog [OPTIONS] -- CMD [ARG]...)"
case "$mode" in auto|host|nested) ;; *) die "--mode must be auto, host or nested" ;; esac
[ -f "$guest_init" ] || die "guest init script $guest_init not found"

t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

cache=$(vd_harness_cache) || exit 99
mkkernel() {
	# The Debian cloud kernel: the harness VM's and the inner guest's. 77 when it cannot be had.
	local out
	if ! out=$("$top/data/mkkernel.sh" "$cache/kernel"); then
		skip "no kernel for the harness VM (data/mkkernel.sh failed: see above)"
	fi
	eval "$out"
}

# The inner guest (tests/harness/mkguest.sh): sets VD_GUEST_KERNEL, VD_GUEST_INITRD, VD_GUEST_APPEND.
build_guest() {
	local gdir=$cache/guest out rc
	[ "$guest_init" = "$vd_harness_dir/guest-init.sh" ] || gdir=$work/guest
	set +e
	out=$("$vd_harness_dir/mkguest.sh" --init "$guest_init" "$gdir")
	rc=$?
	set -e
	[ "$rc" != 77 ] || skip "no kernel for the inner guest (data/mkkernel.sh failed: see above)"
	[ "$rc" = 0 ] || die "building the inner guest failed (tests/harness/mkguest.sh)"
	eval "$out"
}

# resolve_kmods NAME...: prints the module files (in KERNEL_MODDIR) to load, dependencies first.
resolve_kmods() {
	local done_=" " out=() n
	visit() {
		local n=${1//-/_} f d
		case "$done_" in *" $n "*) return 0 ;; esac
		done_="$done_$n "
		f=
		for c in "$n" "${n//_/-}"; do [ -f "$KERNEL_MODDIR/$c.ko" ] && { f=$c; break; }; done
		[ -n "$f" ] || die "--kmod $1: no such module in $KERNEL_MODDIR (see data/mkkernel.sh)"
		for d in $(sed -n "s/^$f: //p" "$KERNEL_MODDIR/deps"); do visit "$d"; done
		out+=("$f.ko")
	}
	for n in "$@"; do visit "$n"; done
	echo "${out[@]}"
}

# ------------------------------------------------------------------ host mode
kind=$(vd_host_kvm_kind)
if [ "$mode" = host ] || { [ "$mode" = auto ] && { [ "$kind" = hardware ] || [ "$kind" = nested ]; }; }; then
	case "$kind" in hardware|nested) ;; *) skip "--mode host, but this host's /dev/kvm is '$kind'" ;; esac
	[ ${#kmods_extra[@]} = 0 ] || echo "$prog: note: --kmod ignored on the host (load modules yourself)" >&2
	work=$(mktemp -d "${TMPDIR:-/tmp}/vd-harness.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	export VD_IN_HARNESS=0 VD_HARNESS_MODE=host
	if [ "$guest" = 1 ]; then
		exec 9>"$cache/.lock"; flock 9
		mkkernel
		build_guest
		exec 9>&-
		export VD_GUEST_KERNEL VD_GUEST_INITRD VD_GUEST_APPEND
	fi
	for e in ${envs[@]+"${envs[@]}"}; do export "${e?}"; done
	set +e
	timeout -k 5 "$tmo" sh -c '"$@"' sh "$@" </dev/null
	rc=$?
	set -e
	echo "$prog: exit $rc after $(elapsed) s (host KVM: $kind)" >&2
	exit "$rc"
fi

# ------------------------------------------------------------------ nested mode
qemu=${VD_HARNESS_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 ||
	skip "$qemu not found: install the Debian package qemu-system-x86 (the host's /dev/kvm is '$kind')"
command -v cpio >/dev/null 2>&1 || skip "cpio not found: install the Debian package cpio"

work=$(mktemp -d "${TMPDIR:-/tmp}/vd-harness.XXXXXX")
qpid=
# timeout puts qemu in its own process group, out of reach of the terminal's Ctrl-C: stop it here.
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Cached pieces, built under a lock (parallel make check).
exec 9>"$cache/.lock"
flock 9
mkkernel
base=$cache/base.cpio
if [ ! -s "$base" ] || [ "$vd_harness_dir/harness-init.sh" -nt "$base" ] ||
	[ "$top/data/mkinitramfs-busybox.sh" -nt "$base" ] || [ "$cache/kernel/stamp" -nt "$base" ]; then
	kmods=()
	for m in $KERNEL_KVM_MODULES; do kmods+=(--kmod "$KERNEL_MODDIR/$m"); done
	"$top/data/mkinitramfs-busybox.sh" "$base" --gzip-level 0 --init "$vd_harness_dir/harness-init.sh" "${kmods[@]}" ||
		die "building the harness initramfs failed"
fi
pieces=()  # all plain cpio: under TCG the kernel unpacks them much faster than gzip ones
if [ "$with_qemu" = 1 ]; then
	qpiece=$cache/qemu.cpio
	qbin=$(command -v "$qemu")
	if [ ! -s "$qpiece" ] || [ "$qbin" -nt "$qpiece" ] || [ "$top/data/mkinitramfs-busybox.sh" -nt "$qpiece" ]; then
		qadds=(--add "$qbin:/usr/bin/qemu-system-x86_64")
		for f in bios-microvm.bin qboot.rom bios-256k.bin linuxboot_dma.bin linuxboot.bin pvh.bin \
			kvmvapic.bin multiboot_dma.bin; do
			[ -e "/usr/share/qemu/$f" ] && qadds+=(--add "/usr/share/qemu/$f")
		done
		"$top/data/mkinitramfs-busybox.sh" "$qpiece" --bare --gzip-level 0 "${qadds[@]}" ||
			die "packing qemu into the harness initramfs failed"
	fi
	pieces+=("$qpiece")
fi
if [ "$guest" = 1 ]; then
	build_guest
	gpiece=$cache/guest-kernel.cpio
	if [ ! -s "$gpiece" ] || [ "$cache/kernel/stamp" -nt "$gpiece" ]; then
		"$top/data/mkinitramfs-busybox.sh" "$gpiece" --bare --gzip-level 0 \
			--add "$KERNEL_VMLINUZ:/harness/guest/vmlinuz" || die "packing the inner kernel failed"
	fi
	pieces+=("$gpiece")
fi
exec 9>&-

# The payload: the command, its environment, its files.
q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
mkdir -p "$work/p"
{
	echo "export VD_IN_HARNESS=1 VD_HARNESS_MODE=nested"
	if [ "$guest" = 1 ]; then
		echo "export VD_GUEST_KERNEL=/harness/guest/vmlinuz VD_GUEST_INITRD=/harness/guest/initrd.gz"
		echo "export VD_GUEST_APPEND=$(q "$VD_GUEST_APPEND")"
	fi
	for e in ${envs[@]+"${envs[@]}"}; do echo "export ${e%%=*}=$(q "${e#*=}")"; done
} >"$work/p/env"
{
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} >"$work/p/cmd"
pwd >"$work/p/cwd"
padds=(--add "$work/p/env:/harness/env" --add "$work/p/cmd:/harness/cmd" --add "$work/p/cwd:/harness/cwd")
[ "$guest" = 1 ] && padds+=(--add "$VD_GUEST_INITRD:/harness/guest/initrd.gz")
if [ ${#kmods_extra[@]} -gt 0 ]; then
	# The payload archive replaces /etc/vd-modules: the kvm modules, then these.
	mkdir -p "$work/kmod"
	i=0
	for m in $KERNEL_KVM_MODULES $(resolve_kmods "${kmods_extra[@]}"); do
		i=$((i + 1))
		f=$(printf '%02d-%s' "$i" "$m")
		echo "$f" >>"$work/kmod/vd-modules"
		padds+=(--add "$KERNEL_MODDIR/$m:/usr/lib/vd-modules/$f")
	done
	padds+=(--add "$work/kmod/vd-modules:/etc/vd-modules")
fi
for a in "$@"; do
	[ -f "$a" ] && padds+=(--add "$a")
done
for a in ${adds[@]+"${adds[@]}"}; do padds+=(--add "$a"); done
"$top/data/mkinitramfs-busybox.sh" "$work/payload.cpio" --bare --gzip-level 0 "${padds[@]}" ||
	die "packing the payload failed"
cat ${pieces[@]+"${pieces[@]}"} "$base" "$work/payload.cpio" >"$work/initrd.cpio"
tbuild=$(elapsed)

accel=tcg
[ "$smp" -gt 1 ] && accel=tcg,thread=multi
[ -n "$log" ] || log=$work/serial.log
: >"$log"
mkfifo "$work/serial"
timeout -k 5 "$tmo" "$qemu" -accel "$accel" -cpu "${VD_HARNESS_CPU:-max}" -m "$mem" -smp "$smp" \
	-nodefaults -machine q35 -kernel "$KERNEL_VMLINUZ" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 $append" \
	-display none -no-reboot -monitor none -serial "file:$work/console.log" -serial stdio \
	</dev/null >"$work/serial" 2>"$work/qemu.err" &
qpid=$!
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%$'\r'}
	printf '%s\n' "$line" >>"$log"
	case "$line" in
	HARNESS-*) ;;
	*) [ "$quiet" = 1 ] || printf '%s\n' "$line" ;;
	esac
done <"$work/serial"
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
# The harness kernel's own messages (errors only: loglevel=3), to stderr and the log.
if [ -s "$work/console.log" ]; then
	tr -d '\r' <"$work/console.log" | grep -v 'reboot: Power down' | sed 's/^/harness-kernel: /' |
		tee -a "$log" >&2 || true
fi

rc=$(sed -n 's/^HARNESS-EXIT=\([0-9]*\)$/\1/p' "$log" | tail -n 1)
reason=$(sed -n 's/^HARNESS-SKIP=//p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "$prog: TIMEOUT: the harness VM did not finish in $tmo s; the serial log ends:" >&2
		tail -n 20 "$log" | sed 's/^/serial: /' >&2
		exit 124
	fi
	echo "$prog: the harness VM ended without a HARNESS-EXIT line (qemu exit $qrc)" >&2
	[ -s "$work/qemu.err" ] && sed 's/^/qemu: /' "$work/qemu.err" >&2
	tail -n 20 "$log" | sed 's/^/serial: /' >&2
	exit 99
fi
if [ "$rc" = 77 ] && [ -n "$reason" ]; then
	echo "$prog: SKIP: $reason" >&2
fi
echo "$prog: exit $rc after $(elapsed) s (nested KVM in a TCG harness VM; images ready at ${tbuild} s)" >&2
exit "$rc"
