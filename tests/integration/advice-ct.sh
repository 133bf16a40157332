#!/bin/sh
# advice-ct.sh - right-sizing a real container: 512 MiB limit, a ~40 MiB workload sampled for a
# simulated 25 h (VIRTDECK_TEST_CLOCK), flagged OVER near the expected size; apply changes the
# real cgroup limit and undo restores it. Root and real cgroups; skips (77) otherwise.
. "$(dirname "$0")/ct-lib.sh"

MiB=1048576
# The kernel's own memory limit of the container (v1 memory.limit_in_bytes or v2 memory.max).
cg_mem_limit() {
	for f in $(find /sys/fs/cgroup -maxdepth 7 -path "*/virtdeck/$1/memory.limit_in_bytes" -o \
		-path "*/virtdeck/$1/memory.max" 2>/dev/null); do
		cat "$f"
		return
	done
}
near() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a - b < 0.001 && b - a < 0.001) }'; }
# The workload: a shell holding a 40 MB string, then sleeping (a script: cmd= is split on spaces).
printf '#!/bin/sh\nx=$(head -c 41943040 /dev/zero | tr "\\000" a)\nwhile sleep 3600; do :; done\necho "${#x}"\n' > "$ROOTFS/hold.sh"
ct_new adv --memory 512M --cpus 1 -- /bin/sh /hold.sh
# Wait until it holds its 40 MB and stops moving (building the string briefly takes more).
used=0 prev=-1
for i in $(seq 1 100); do
	used=$(ct_field stats adv mem_used)
	[ "${used:-0}" -ge $((38 * MiB)) ] && [ $((used - prev)) -lt $MiB ] && [ $((prev - used)) -lt $MiB ] && break
	prev=${used:-0}
	sleep 0.3
done
[ "${used:-0}" -ge $((38 * MiB)) ] || fail "the workload never reached 38 MiB (mem_used $used)"
[ "$(ct_field stats adv mem_limit)" = $((512 * MiB)) ] || fail "limit is not 512M"
ok "workload running: mem_used $((used / MiB)) MiB of a 512 MiB limit"

START=1700000000
END=$((START + 25 * 3600))
VIRTDECK_TEST_CLOCK=$START timeout 300 "$VD" collect --interval 60 --for 25h || fail "collect exit $?"
# A sleeping shell is idle by Azure's rule (CPU < 3 %, no I/O): IDLE by default; with the idle
# rule off (idle_cpu_percent=0) the same figures make it OVER.
json=$(VIRTDECK_TEST_CLOCK=$END vd advise --json) || fail "advise --json exit $?"
echo "$json" | python3 -c 'import json,sys; g=[x for x in json.load(sys.stdin)["guests"] if x["name"]=="adv"][0]; sys.exit(g["verdict"] != "IDLE")' ||
	fail "a sleeping workload should be IDLE: $json"
json=$(VIRTDECK_TEST_CLOCK=$END vd advise --json --param idle_cpu_percent=0) || fail "advise --json exit $?"
rec=$(python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
g = [x for x in d["guests"] if x["name"] == "adv" and x["engine"] == "ct"]
assert g, d
g = g[0]
MiB = 1024 * 1024
peak = g["memory"]["daily_peak_bytes"]
rec = g["memory"]["recommended_bytes"]
assert g["verdict"] == "OVER", g
assert g["confidence_hours"] >= 24, g
assert 38 * MiB <= peak <= 100 * MiB, g
# the expected figure: daily peak x 1.15, up to the next 16 MiB
want = -(-int(peak * 1.15) // (16 * MiB)) * 16 * MiB
assert rec == want, (rec, want, g)
assert g["cpu"]["recommended"] == 0.1 and g["cpu"]["move"] == "shrink", g
print(rec)
PY
) || fail "advice for the container: $json"
ok "flagged IDLE, and OVER without the idle rule: recommended $((rec / MiB)) MiB for a $((used / MiB)) MiB workload"

out=$(VIRTDECK_TEST_CLOCK=$END vd advise --apply adv) || fail "apply exit $?: $out"
[ "$(cg_mem_limit adv)" = "$rec" ] || fail "kernel memory limit after apply: $(cg_mem_limit adv), want $rec"
[ "$(ct_field stats adv mem_limit)" = "$rec" ] || fail "engine's limit after apply: $(ct_field stats adv mem_limit)"
near "$(ct_field status adv cpus)" 0.1 || fail "CPU quota after apply: $(ct_field status adv cpus)"
[ "$(ct_state adv)" = running ] || fail "the container did not survive the shrink"
ok "apply set the real cgroup limit to $((rec / MiB)) MiB and 0.1 CPU ($out)"

out=$(VIRTDECK_TEST_CLOCK=$END vd advise --undo adv) || fail "undo exit $?: $out"
[ "$(cg_mem_limit adv)" = $((512 * MiB)) ] || fail "kernel memory limit after undo: $(cg_mem_limit adv)"
near "$(ct_field status adv cpus)" 1 || fail "CPU quota after undo: $(ct_field status adv cpus)"
ok "undo restored 512 MiB and 1 CPU"

# A size below what it uses now is refused with the reason, and nothing changes: a history in
# which the workload used little, then the workload grows past the recommendation.
printf '#!/bin/sh\nx=$(head -c 104857600 /dev/zero | tr "\\000" a)\nwhile sleep 3600; do :; done\necho "${#x}"\n' > "$ROOTFS/grow.sh"
ctx adv -- /bin/sh /grow.sh & grower=$!
for i in $(seq 1 100); do
	used=$(ct_field stats adv mem_used)
	[ "${used:-0}" -ge $((140 * MiB)) ] && break
	sleep 0.1
done
[ "${used:-0}" -ge $((140 * MiB)) ] || fail "the second workload never grew (mem_used $used)"
out=$(VIRTDECK_TEST_CLOCK=$END vd advise --apply adv 2>&1) && fail "apply below current use accepted: $out"
echo "$out" | grep -q "refusing to set the memory of adv to $((rec / MiB))M: it uses" || fail "refusal reason: $out"
[ "$(cg_mem_limit adv)" = $((512 * MiB)) ] || fail "a refused apply changed the limit"
kill $grower 2>/dev/null
ok "apply below the current use refused ($out)"
echo "PASS: advice-ct"
