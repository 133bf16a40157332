#!/bin/sh
# kvm-info.sh - says what KVM this machine has (hardware, nested, PVM, missing) and whether the
# nested harness (tests/harness/run-in-kvm.sh) works here, with the time it takes.
#
# Usage: tests/harness/kvm-info.sh [--quick | --guest]
#   --quick   only look; do not run the KVM smoke program or boot the harness VM
#   --guest   also boot the test guest with QEMU microvm on that KVM and time it (~10 s more)
# Exit: 0 when tests can get a KVM that boots ordinary guests (host hardware KVM or the harness),
# 77 when not (the reason is printed).
set -eu

vd_harness_dir=$(cd "$(dirname "$0")" && pwd)
. "$vd_harness_dir/lib.sh"
quick=0
guest=0
case "${1:-}" in
--quick) quick=1 ;;
--guest) guest=1 ;;
'') ;;
*) echo "usage: kvm-info.sh [--quick | --guest]" >&2; exit 2 ;;
esac

# guest_check: boots the test guest with microvm where run-in-kvm.sh runs, says how long it took.
guest_check() {
	[ "$guest" = 1 ] || return 0
	g=$(mktemp "${TMPDIR:-/tmp}/vd-kvm-info.XXXXXX")
	cat >"$g" <<'EOF'
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 90 qemu-system-x86_64 -machine microvm -accel kvm -cpu host -m 256 -smp 1 -nodefaults \
	-no-reboot -display none -monitor none -serial stdio -kernel "$VD_GUEST_KERNEL" \
	-initrd "$VD_GUEST_INITRD" -append "$VD_GUEST_APPEND" </dev/null | grep -q '^VIRTDECK-GUEST-UP' || exit 1
awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f\n", b - a }'
EOF
	if r=$("$vd_harness_dir/run-in-kvm.sh" --mode "$1" --timeout 180 --with-qemu --guest -- sh "$g" 2>/dev/null); then
		say "test guest" "QEMU microvm booted it to VIRTDECK-GUEST-UP and off in $(echo "$r" | tail -n 1) s"
	else
		say "test guest" "QEMU microvm did not boot it (run tests/integration/harness-selftest.sh to see why)"
	fi
	rm -f "$g"
}

say() { printf '%-22s %s\n' "$1" "$2"; }

vendor=$(sed -n 's/^vendor_id[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
virt=none
case " $flags " in *" vmx "*) virt=vmx ;; *" svm "*) virt=svm ;; esac
hv=no
case " $flags " in *" hypervisor "*) hv=yes ;; esac
say "cpu" "$vendor, virtualization flag: $virt, running under a hypervisor: $hv"

mods=
for m in kvm kvm_intel kvm_amd kvm_pvm; do [ -d "/sys/module/$m" ] && mods="$mods $m"; done
mods=${mods# }
say "kvm modules" "${mods:-none}"
for m in kvm_intel kvm_amd; do
	[ -r "/sys/module/$m/parameters/nested" ] && say "$m nested" "$(cat "/sys/module/$m/parameters/nested")"
done

kind=$(vd_host_kvm_kind)
case "$kind" in
hardware) what="hardware KVM: tests run on it directly" ;;
nested) what="KVM inside a VM (nested, with VT-x/AMD-V): tests run on it directly" ;;
pvm) what="PVM (kvm_pvm): runs PVM guest kernels; unmodified Linux guests do not boot (the harness is used)" ;;
noaccess) what="/dev/kvm exists but $(id -un) cannot open it read-write (add the user to group kvm)" ;;
missing) what="no /dev/kvm (the harness is used)" ;;
*) what="/dev/kvm from an unknown module (the harness is used)" ;;
esac
say "/dev/kvm" "$kind: $what"

qemu=${VD_HARNESS_QEMU:-qemu-system-x86_64}
if command -v "$qemu" >/dev/null 2>&1; then
	say "qemu" "$("$qemu" --version | head -n 1)"
else
	say "qemu" "missing: install the Debian package qemu-system-x86 (the harness needs it)"
fi
cache=$(vd_harness_cache)
if [ -f "$cache/kernel/stamp" ]; then
	say "harness kernel" "$(cat "$cache/kernel/stamp") (cached in $cache/kernel)"
else
	say "harness kernel" "not fetched yet (data/mkkernel.sh gets it with apt-get download)"
fi

if [ "$quick" = 1 ]; then
	case "$kind" in hardware|nested) exit 0 ;; esac
	command -v "$qemu" >/dev/null 2>&1 || exit 77
	exit 0
fi

smoke=
if command -v gcc >/dev/null 2>&1; then
	smoke=$(mktemp "${TMPDIR:-/tmp}/vd-kvm-smoke.XXXXXX")
	trap 'rm -f "$smoke"' EXIT
	gcc -static -O2 -o "$smoke" "$vd_harness_dir/kvm-smoke.c" 2>/dev/null || smoke=
fi
[ -n "$smoke" ] || say "kvm-smoke" "cannot build (gcc -static with libc6-dev needed): skipped"

if [ -n "$smoke" ] && [ "$kind" != missing ] && [ "$kind" != noaccess ]; then
	if r=$("$smoke" 2>&1); then
		say "host kvm-smoke" "ok: a real-mode vCPU did an IO exit and HLT on the host's /dev/kvm"
	else
		say "host kvm-smoke" "failed: $(echo "$r" | tail -n 1)"
	fi
fi

case "$kind" in
hardware|nested)
	guest_check host
	say "verdict" "run-in-kvm.sh runs tests on the host's KVM"
	exit 0 ;;
esac

if [ -z "$smoke" ]; then
	smoke_cmd="test -c /dev/kvm"
else
	smoke_cmd=$smoke
fi
t0=$(date +%s.%N)
set +e
r=$("$vd_harness_dir/run-in-kvm.sh" --mode nested --timeout 120 -q -- $smoke_cmd 2>&1)
rc=$?
set -e
t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
case "$rc" in
0)
	say "nested harness" "works: /dev/kvm in a TCG VM with emulated AMD SVM, whole run $t s"
	guest_check nested
	say "verdict" "run-in-kvm.sh runs tests in the nested harness VM"
	exit 0 ;;
77)
	say "nested harness" "unavailable: $(echo "$r" | grep SKIP | tail -n 1)"
	say "verdict" "no KVM for tests: KVM tests exit 77 (skip)"
	exit 77 ;;
*)
	say "nested harness" "broken (exit $rc after $t s):"
	echo "$r" | tail -n 15 | sed 's/^/    /'
	exit 1 ;;
esac
