#!/bin/sh
# ct-resources.sh - cgroup limits are real: a workload over the memory limit is OOM-killed and
# the event shows in stats; CPU time moves under load and the quota throttles; live resize and
# pause/resume act on the kernel's files.
. "$(dirname "$0")/ct-lib.sh"

ct_new res --memory 16M --cpus 0.5 -- /bin/sh

[ "$(ct_field stats res mem_limit)" = 16777216 ] || fail "memory limit not 16M: $(ct_field stats res mem_limit)"
[ "$(ctx res -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 16777216 ] ||
	fail "the container does not see its own limit at /sys/fs/cgroup/memory"
ctx res -- sh -c 'echo 1 > /sys/fs/cgroup/pids/pids.max' 2>/dev/null && fail "cgroupfs is writable inside"
[ ! -e "$ROOTFS/sys/fs/cgroup/name=systemd" ] &&
	! ctx res -- ls /sys/fs/cgroup/name=systemd >/dev/null 2>&1 ||
	fail "a hierarchy without its own group (name=systemd) is exposed"
ctx res -- grep -q "^c 1:3 rwm" /sys/fs/cgroup/devices/devices.list ||
	fail "its devices group is not the one seen inside"
ok "its own cgroups visible read-only at /sys/fs/cgroup (limit 16M seen inside)"
before=$(ct_field stats res oom_events)
ctx res -- sh -c 'head -c 64m /dev/zero | tail >/dev/null'
rc=$?
[ $rc = 137 ] || fail "the 64M workload was not SIGKILLed (exit $rc)"
after=$(ct_field stats res oom_events)
[ "$after" -gt "$before" ] || fail "oom_events did not move ($before -> $after)"
[ "$(ct_field stats res mem_peak)" -le 16777216 ] || fail "peak above the limit"
[ "$(ct_state res)" = running ] || fail "the container died with its workload"
ok "16M limit enforced: workload OOM-killed, oom_events $before -> $after, container still running"

c0=$(ct_field stats res cpu_ns)
t0=$(ct_field stats res throttled_ns)
ctx res -- timeout 2 sh -c 'while :; do :; done'
c1=$(ct_field stats res cpu_ns)
t1=$(ct_field stats res throttled_ns)
burn=$(( (c1 - c0) / 1000000 ))
# The quota caps what the loop gets whatever else runs; how much it gets below the cap depends on
# the machine's load (make -j2 check runs QEMU next to it), so only a loop that came near the cap
# must show throttling.
[ "$burn" -ge 50 ] || fail "CPU time moved only ${burn} ms in a 2 s busy loop"
[ "$burn" -le 1600 ] || fail "${burn} ms of CPU in 2 s despite a 0.5 CPU quota"
if [ "$burn" -ge 800 ]; then
	[ "$t1" -gt "$t0" ] || fail "${burn} ms at the 0.5 CPU cap but the quota never throttled"
	ok "2 s busy loop: ${burn} ms CPU (quota 0.5), throttled"
else
	ok "2 s busy loop: ${burn} ms CPU, under the 0.5 CPU cap (a loaded machine: throttling not asserted)"
fi

vd resize --memory 48M --cpus 1.5 res >/dev/null || fail "resize"
[ "$(ct_field stats res mem_limit)" = 50331648 ] || fail "live memory resize not applied"
[ "$(ct_field status res cpus)" = 1.5 ] || fail "live cpu resize not reported"
grep -q "memory = 50331648" "$VIRTDECK_DATA_DIR/containers/res.ini" || fail "resize not saved in the definition"
ctx res -- sh -c 'head -c 24m /dev/zero | tail >/dev/null' || fail "24M workload failed after growing to 48M"
ok "live resize to 48M / 1.5 CPUs applied and saved"

# Shrinking below what the container holds (no swap to push it to): the kernel refuses, the
# old limit stays, and the error says what to do.
ctx res -- sh -c 'x=$(head -c 20971520 /dev/zero | tr "\000" a); sleep 4; echo ${#x} >/dev/null' &
holder=$!
sleep 1.5
if [ "$(awk '/SwapTotal/ {print $2}' /proc/meminfo)" = 0 ]; then
	out=$(vd resize --memory 8M res 2>&1) && fail "shrinking below current use was accepted"
	echo "$out" | grep -q "pick a larger limit" || fail "shrink refusal does not say what to do: $out"
	[ "$(ct_field stats res mem_limit)" = 50331648 ] || fail "a refused shrink changed the limit"
	ok "shrink below current use refused, limit kept ($out)"
fi
wait $holder

out=$(vd resize --memory 1M res 2>&1) && fail "1M accepted"
echo "$out" | grep -q "minimum" || fail "bad limit error does not say why: $out"
ok "limit below the minimum refused ($out)"

vd pause res >/dev/null || fail "pause"
[ "$(ct_state res)" = paused ] || fail "not paused"
c0=$(ct_field stats res cpu_ns)
sleep 0.3
[ "$(ct_field stats res cpu_ns)" = "$c0" ] || fail "CPU time moves while paused"
vd resume res >/dev/null || fail "resume"
[ "$(ct_state res)" = running ] || fail "not running after resume"
ok "pause freezes the container, resume thaws it"
