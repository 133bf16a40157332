# lib.sh - shared helpers of the KVM harness scripts (sourced; POSIX sh).
# shellcheck shell=sh

# vd_host_kvm_kind: prints what /dev/kvm on this machine is:
#   hardware  kvm_intel/kvm_amd on bare metal       (runs any guest: use it directly)
#   nested    kvm_intel/kvm_amd inside a VM         (runs any guest: use it directly)
#   pvm       kvm_pvm (a PVM host: guests must be PVM kernels; no real mode, no unmodified Linux)
#   noaccess  /dev/kvm exists but this user cannot open it read-write
#   missing   no /dev/kvm
#   unknown   /dev/kvm with no module we know of
# VD_HARNESS_HOST_KIND overrides the answer (to test the harness's own host path).
vd_host_kvm_kind() {
	if [ -n "${VD_HARNESS_HOST_KIND:-}" ]; then echo "$VD_HARNESS_HOST_KIND"; return; fi
	if [ ! -e /dev/kvm ]; then echo missing; return; fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo noaccess; return; fi
	if [ -d /sys/module/kvm_pvm ]; then echo pvm; return; fi
	if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
		if grep -qw hypervisor /proc/cpuinfo 2>/dev/null; then echo nested; else echo hardware; fi
		return
	fi
	echo unknown
}

# vd_harness_cache: the folder for the kernel, cached images and logs (created). The caller sets
# vd_harness_dir (the tests/harness folder).
# shellcheck disable=SC2154
vd_harness_cache() {
	c=${VD_HARNESS_CACHE:-}
	if [ -z "$c" ]; then
		c=$vd_harness_dir/cache
		if ! mkdir -p "$c" 2>/dev/null || [ ! -w "$c" ]; then
			c=${TMPDIR:-/tmp}/virtdeck-harness-cache
		fi
	fi
	mkdir -p "$c" || { echo "cannot create the harness cache $c (set VD_HARNESS_CACHE)" >&2; return 1; }
	(cd "$c" && pwd)
}

# vd_harness_verdict OUT RC WHAT: the verdict of a payload run through run-in-kvm.sh, whose
# output is in OUT and exit status RC: skip (77) when no KVM could be had, fail when no check
# ran, one failed or the payload did not exit 0; otherwise say WHAT passed and how many checks.
vd_harness_verdict() {
	cat "$1"
	if [ "$2" = 77 ]; then
		echo "SKIP: no KVM here: $(grep -m1 SKIP "$1" || echo 'see above')"
		exit 77
	fi
	grep -q '^VMMTEST PASS' "$1" || { echo "FAIL: no check ran (harness exit $2)"; exit 1; }
	grep -q '^VMMTEST FAIL' "$1" && exit 1
	[ "$2" = 0 ] || { echo "FAIL: payload exit $2"; exit 1; }
	echo "$3 ($(grep -c '^VMMTEST PASS' "$1") checks)"
}
