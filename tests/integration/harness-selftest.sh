#!/bin/bash
# harness-selftest.sh - proves tests/harness/run-in-kvm.sh gives real KVM: the exit code and
# output come back; a static KVM program runs a real-mode vCPU to an IO exit and HLT; QEMU microvm
# (-accel kvm) boots the Debian cloud kernel with an ext4 virtio-blk disk to VIRTDECK-GUEST-UP.
# Exit 77 (with the reason) when this machine cannot give KVM (no qemu, no kernel package...).
set -eu

src=${VD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
run=$src/tests/harness/run-in-kvm.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/vd-harness-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. the protocol: output and exit code come back
t=$(date +%s.%N)
set +e
out=$("$run" --timeout 120 -- sh -c 'echo "payload says hi"; test -c /dev/kvm || exit 5; exit 3' 2>"$work/err")
rc=$?
set -e
cat "$work/err" >&2
if [ "$rc" = 77 ]; then
	echo "SKIP: the harness cannot give KVM here: $(grep -m1 SKIP "$work/err" || echo see above)"
	exit 77
fi
if [ "$rc" = 3 ] && [ "$out" = "payload says hi" ]; then
	ok "exit code and output come back through the harness ($(secs "$t") s)"
else
	bad "protocol: want exit 3 and 'payload says hi', got exit $rc and '$out'"
fi

# ---- 2. real KVM: kvm-smoke, then QEMU microvm as the inner VMM booting Linux
command -v gcc >/dev/null 2>&1 || { echo "SKIP: gcc missing (install build-essential)"; exit 77; }
if ! gcc -static -O2 -o "$work/kvm-smoke" "$src/tests/harness/kvm-smoke.c" 2>"$work/cc.err"; then
	cat "$work/cc.err"
	echo "SKIP: cannot build a static program (gcc -static needs libc6-dev's libc.a)"
	exit 77
fi
mkdir -p "$work/disk"
echo hello-from-host >"$work/disk/hello.txt"
"$src/data/mkdisk-ext4.sh" "$work/disk.img" 8M "$work/disk" >/dev/null

t=$(date +%s.%N)
set +e
"$run" --timeout 180 --with-qemu --guest --kmod loop -- sh "$src/tests/harness/selftest-payload.sh" \
	"$work/kvm-smoke" "$work/disk.img" >"$work/out" 2>&1
rc=$?
set -e
cat "$work/out"
[ "$rc" != 77 ] || { echo "SKIP: $(grep -m1 SKIP "$work/out")"; exit 77; }
for step in kvm-smoke microvm-guest; do
	line=$(grep -m1 "^SELFTEST-STEP $step " "$work/out" || true)
	case "$line" in
	*" PASS"*) ok "$step: ${line#SELFTEST-STEP $step PASS }" ;;
	*" SKIP"*) echo "SKIP: $step: ${line#SELFTEST-STEP $step SKIP }" ;;
	'') bad "$step: no result (harness exit $rc)" ;;
	*) bad "$step: ${line#SELFTEST-STEP $step }" ;;
	esac
done
[ "$rc" = 0 ] || [ "$fail" -gt 0 ] || bad "the payload exited $rc"
echo "harness run with the inner guest: $(secs "$t") s"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
