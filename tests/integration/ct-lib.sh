# ct-lib.sh - shared set-up for the container integration tests (sourced, not run).
# Real kernel, real namespaces and cgroups: needs root; skips (77) with a reason otherwise.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

builddir=${VD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${VD_SRCDIR:-$builddir}
VD=$builddir/virtdeck
CT=$builddir/virtdeck-ct

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, cgroups, pivot_root)"
[ -x "$VD" ] && [ -x "$CT" ] || skip "virtdeck or virtdeck-ct not built in $builddir"
[ -x /bin/busybox ] || skip "busybox-static is not installed (apt-get install busybox-static)"
unshare -m -p -n -u -i -f true 2>/dev/null || skip "cannot create namespaces here"
[ -d /sys/fs/cgroup ] || skip "no cgroup hierarchy mounted at /sys/fs/cgroup"

T=$(mktemp -d /tmp/vd-ct-test.XXXXXX)
export VIRTDECK_STATE_DIR=$T/state VIRTDECK_DATA_DIR=$T/data
unset VIRTDECK_CT_BIN
ROOTFS=$T/rootfs
CT_NAMES=""

# Every container a test made is stopped and deleted, whatever happened.
ct_cleanup() {
	for n in $CT_NAMES; do
		timeout 10 "$VD" kill "$n" >/dev/null 2>&1 || timeout 10 "$VD" stop -t 0 "$n" >/dev/null 2>&1
		timeout 10 "$VD" delete "$n" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap ct_cleanup EXIT
trap 'exit 1' INT TERM

"$srcdir/data/mkrootfs-busybox.sh" "$ROOTFS" >/dev/null || fail "building the busybox rootfs"

vd() { timeout 20 "$VD" "$@"; }
ctx() { timeout 20 "$VD" exec "$@"; }

# ct_new NAME [create options...] [-- cmd...]: create and start, registered for cleanup.
ct_new() {
	n=$1
	shift
	CT_NAMES="$CT_NAMES $n"
	vd create ct "$n" --rootfs "$ROOTFS" "$@" >/dev/null || fail "create $n"
	vd start "$n" >/dev/null || fail "start $n"
}

# The JSON value of a numeric key in `virtdeck-ct stats|status NAME`.
ct_field() {
	timeout 10 "$CT" "$1" "$2" | tr ',{}' '\n\n\n' | sed -n "s/^\"$3\":\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" | head -1
}

# The first cgroup directory the supervisor reports.
ct_cgdir() { timeout 10 "$CT" status "$1" | sed 's/.*"cgroup_dirs":\["\([^"]*\)".*/\1/; s|\\/|/|g'; }

ct_state() { vd list | awk -v n="$1" '$1 == "ct" && $3 == n { print $5 }'; }

# No cgroup directory and no mount of the container survives it.
ct_assert_gone() {
	n=$1
	# Only our own groups: other suites may run a container of the same name at the same time.
	scope=$("$CT" cgroup-scope -)
	left=$(find /sys/fs/cgroup -maxdepth 7 -type d -path "*/$scope/virtdeck/$n" 2>/dev/null)
	[ -z "$left" ] || fail "$n: cgroups left behind: $left"
	! grep -q "$ROOTFS" /proc/self/mountinfo || fail "$n: mounts of $ROOTFS left on the host"
	[ ! -e "$VIRTDECK_STATE_DIR/ct/$n.sock" ] && [ ! -e "$VIRTDECK_STATE_DIR/ct/$n.pid" ] ||
		fail "$n: state files left behind"
}
