#!/bin/sh
# advice-kernel-ct.sh - advice from the kernel's own counters on real containers: a child OOM-killed
# before the first sample makes the advice UNDER with the OOM kill as the reason (no shrink), and a
# burst of N MiB freed between two samples raises the memory recommendation above N (the kernel's
# peak). Root and real cgroups; skips (77) otherwise.
. "$(dirname "$0")/ct-lib.sh"

MiB=1048576
START=1700000000
# advice JSON of one container: adv_json NAME TIME
adv_json() { VIRTDECK_TEST_CLOCK=$2 vd advise --json | python3 -c '
import json, sys
g = [x for x in json.load(sys.stdin)["guests"] if x["name"] == sys.argv[1] and x["engine"] == "ct"]
print(json.dumps(g[0]) if g else "{}")' "$1"; }

# 1. A 64 MiB container whose shell starts a child that builds a 200 MB string: the OOM killer
#    kills the child before anything is sampled; the shell (init) lives on.
printf '#!/bin/sh\n(x=$(head -c 209715200 /dev/zero | tr "\\000" a); echo "${#x}")\n%s\n' \
	'while sleep 3600; do :; done' > "$ROOTFS/oom.sh"
ct_new oomk$$ --memory 64M --cpus 1 -- /bin/sh /oom.sh
kills=0
for i in $(seq 1 100); do
	kills=$(ct_field stats oomk$$ oom_kills)
	[ "${kills:-0}" -ge 1 ] && break
	sleep 0.2
done
[ "${kills:-0}" -ge 1 ] || fail "the child was never OOM-killed (oom_kills $kills)"
[ "$(ct_state oomk$$)" = running ] || fail "init died with the child: $(ct_state oomk$$)"
ok "the kernel OOM-killed the child (oom_kills $kills, mem_peak $(ct_field stats oomk$$ mem_peak))"

# The first sample ever is taken after the kill; then an hour at a few hundred KB.
VIRTDECK_TEST_CLOCK=$START timeout 120 "$VD" collect --interval 60 --for 1h >/dev/null ||
	fail "collect exit $?"
g=$(adv_json oomk$$ $((START + 3600)))
echo "$g" | python3 -c '
import json, sys
g = json.load(sys.stdin)
MiB = 1 << 20
assert g["verdict"] == "UNDER", g
assert g["memory"]["move"] == "grow", g
assert g["memory"]["oom_events"] >= 1, g
assert g["memory"]["recommended_bytes"] > 64 * MiB, g
assert "OOM kill" in g["reason"] and "no shrink" in g["reason"], g
' || fail "advice after an OOM kill before the first sample: $g"
reason() { echo "$1" | sed 's/.*"reason": *"\([^"]*\)".*/\1/'; }
ok "advice says UNDER with the OOM kill as reason: $(reason "$g")"

# 2. A 512 MiB container at rest, sampled; then a burst of 96 MB that is freed before the next
#    sample; then samples at rest again. Every sample sees a few hundred KB.
printf '#!/bin/sh\nwhile sleep 3600; do :; done\n' > "$ROOTFS/rest.sh"
ct_new peak$$ --memory 512M --cpus 1 -- /bin/sh /rest.sh
T1=$((START + 7200))
VIRTDECK_TEST_CLOCK=$T1 timeout 60 "$VD" collect --once >/dev/null || fail "collect exit $?"
VIRTDECK_TEST_CLOCK=$((T1 + 60)) timeout 60 "$VD" collect --once >/dev/null ||
	fail "collect exit $?"
burst='x=$(head -c 100663296 /dev/zero | tr "\000" a); echo "${#x}"'
ctx peak$$ -- /bin/sh -c "$burst" >/dev/null || fail "the burst did not run"
used=$(ct_field stats peak$$ mem_used)
[ "${used:-0}" -lt $((32 * MiB)) ] || fail "the burst was not freed (mem_used $used)"
VIRTDECK_TEST_CLOCK=$((T1 + 120)) timeout 120 "$VD" collect --interval 60 --for 1h >/dev/null ||
	fail "collect exit $?"
g=$(adv_json peak$$ $((T1 + 3720)))
echo "$g" | python3 -c '
import json, sys
g = json.load(sys.stdin)
MiB = 1 << 20
m = g["memory"]
assert m["daily_peak_bytes"] >= 96 * MiB, g
assert m["daily_peak_source"] == "kernel-peak", g
assert m["recommended_bytes"] > 96 * MiB, g
assert "kernel peak" in g["reason"], g
' || fail "advice after a burst between samples (mem_used now $used): $g"
ok "a 96 MiB burst between samples: $(reason "$g")"
# 3. A container whose init itself is OOM-killed: it stops before anything is sampled, and the
#    kill reaches the history from the supervisor's last record of the cgroup (NAME.final).
printf '#!/bin/sh\nx=$(head -c 209715200 /dev/zero | tr "\\000" a)\necho "${#x}"\nsleep 3600\n' \
	> "$ROOTFS/oominit.sh"
ct_new oomi$$ --memory 64M --cpus 1 -- /bin/sh /oominit.sh
st=
for i in $(seq 1 100); do
	st=$(ct_state oomi$$)
	[ "$st" = oom-killed ] && break
	sleep 0.2
done
[ "$st" = oom-killed ] || fail "the container whose init was OOM-killed is $st, not oom-killed"
T2=$((START + 20000))
VIRTDECK_TEST_CLOCK=$T2 timeout 60 "$VD" collect --once >/dev/null || fail "collect exit $?"
g=$(adv_json oomi$$ $((T2 + 60)))
echo "$g" | python3 -c '
import json, sys
g = json.load(sys.stdin)
assert g["verdict"] == "UNDER", g
assert g["memory"]["oom_events"] >= 1, g
assert g["memory"]["recommended_bytes"] > 64 << 20, g
assert "OOM kill" in g["reason"], g
' || fail "advice for a container stopped by an OOM kill of its init: $g"
ok "init OOM-killed, container stopped before any sample: advice UNDER, $(reason "$g")"
echo "PASS: advice-kernel-ct"
