#!/bin/sh
# ct-cgroup2.sh - the cgroup v2 implementation on a real cgroup2 mount. On this hybrid
# machine /sys/fs/cgroup/unified is cgroup2 with only hugetlb, so this checks what v2 can do
# without controllers: clone3(CLONE_INTO_CGROUP), cgroup namespace root, cpu.stat, per-group
# pressure, cgroup.freeze, removal; and that a limit v2 cannot apply is refused cleanly.
. "$(dirname "$0")/ct-lib.sh"

V2=${VD_CGROUP2_ROOT:-/sys/fs/cgroup/unified}
[ "$(stat -f -c %T "$V2" 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 mount at $V2"
export VIRTDECK_CGROUP_ROOT=$V2

ct_new v2c -- /bin/sh
[ "$(ct_field status v2c cgroup_version)" = 2 ] || fail "not running on cgroup v2"
dir=$(ct_cgdir v2c)
case $dir in "$V2"/*virtdeck/v2c) ;; *) fail "v2c is in $dir, not under $V2" ;; esac
init=$(ct_field status v2c init_pid)
grep -qx "$init" "$dir/cgroup.procs" || fail "init $init is not in $dir"
[ "$(ctx v2c -- grep "^0::" /proc/1/cgroup)" = "0::/" ] || fail "cgroup namespace root is not the container's group"
ctx v2c -- grep -q " /sys/fs/cgroup cgroup2 ro" /proc/mounts || fail "/sys/fs/cgroup inside is not cgroup2"
ctx v2c -- sh -c 'echo 1 > /sys/fs/cgroup/cgroup.freeze' 2>/dev/null && fail "cgroup2 writable inside"
ok "init placed in $dir at clone; cgroupns root is the group, mounted read-only inside"

c0=$(ct_field stats v2c cpu_ns)
ctx v2c -- timeout 1 sh -c 'while :; do :; done'
c1=$(ct_field stats v2c cpu_ns)
[ $(( (c1 - c0) / 1000000 )) -ge 50 ] || fail "cpu.stat usage moved only $(( (c1 - c0) / 1000000 )) ms"
if [ -e "$dir/cpu.pressure" ]; then
	[ "$(ct_field stats v2c psi_valid)" = true ] || fail "cpu.pressure exists but PSI not reported"
fi
ok "cpu.stat moved $(( (c1 - c0) / 1000000 )) ms in a 1 s busy loop; PSI read from the group"

vd pause v2c >/dev/null || fail "pause (cgroup.freeze)"
grep -q "frozen 1" "$dir/cgroup.events" || fail "cgroup.events does not say frozen"
vd resume v2c >/dev/null || fail "resume"
grep -q "frozen 0" "$dir/cgroup.events" || fail "still frozen after resume"
ok "pause/resume through cgroup.freeze"

vd stop v2c >/dev/null || fail "stop"
[ ! -d "$dir" ] || fail "$dir left behind"
ok "stop removed $dir"

CT_NAMES="$CT_NAMES v2m"
vd create ct v2m --rootfs "$ROOTFS" --memory 64M -- /bin/sh >/dev/null || fail "create v2m"
out=$(vd start v2m 2>&1) && fail "a memory limit without the memory controller was accepted"
echo "$out" | grep -q "memory.max" || fail "refusal does not name memory.max: $out"
[ -z "$(find "$V2" -maxdepth 3 -name v2m 2>/dev/null)" ] || fail "half-created v2 group left behind"
ok "memory limit without a v2 memory controller refused, nothing left ($out)"
