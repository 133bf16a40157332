#!/bin/sh
# advice-demo.sh - history, advice, sprawl and apply through the real binary: the demo's fake
# engine sampled for a simulated 26 h on an accelerated clock (VIRTDECK_TEST_CLOCK).
set -u
VD=${VD_BIN:-$PWD/virtdeck}
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d /tmp/vd-advice-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT
export VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state
START=1700000000
END=$((START + 26 * 3600))

# cron mode: one `collect --once` a minute continues the rates through the stored counters
for i in 0 1 2 3; do
	VIRTDECK_DATA_DIR=$T/cron VIRTDECK_TEST_CLOCK=$((START + i * 60)) $VD --demo collect --once || fail "collect --once $i"
done
csv=$(VIRTDECK_DATA_DIR=$T/cron VIRTDECK_TEST_CLOCK=$((START + 200)) $VD history nginx --csv --res minute) ||
	fail "history after cron runs"
echo "$csv" | tail -n +3 | awk -F, '$3 != 60 || $8 < 27000 || $8 > 27700 || $9 != 6750 { bad = 1 } END { exit bad || NR != 3 }' ||
	fail "cron-mode minutes should each hold 60 s at 27307 B/s disk and 6750 B/s net: $csv"

# Too little data first: 2 simulated hours -> collecting.
VIRTDECK_TEST_CLOCK=$START $VD --demo collect --interval 60 --for 2h || fail "collect 2h exit $?"
out=$(VIRTDECK_TEST_CLOCK=$((START + 7200)) $VD --demo advise) || fail "advise exit $?"
echo "$out" | grep -q '^fake *demo *nginx *collecting: 2h of 24h' || fail "nginx should be collecting: $out"

# [advice] settings from the config file apply, and a bad line names file:line
printf '[advice]\nmin_hours = 1\ncpu_margin = lots\n' > "$T/v.ini"
out=$(VIRTDECK_TEST_CLOCK=$((START + 7200)) $VD --config "$T/v.ini" --demo advise 2>"$T/err") || fail "advise with config exit $?"
echo "$out" | grep -q '^fake *demo *nginx *OVER' || fail "min_hours=1 from the config: $out"
grep -q "$T/v.ini:3: cpu_margin=lots: expected a fraction" "$T/err" || fail "config problem: $(cat "$T/err")"

# The rest of the day (the collector continues the same history).
VIRTDECK_TEST_CLOCK=$((START + 7260)) $VD --demo collect --interval 60 --for 24h || fail "collect 24h exit $?"
[ -s "$T/data/history.db" ] || fail "no history.db"
json=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --json) || fail "advise --json exit $?"
python3 - "$json" <<'PY' || fail "advise --json content"
import json, sys
d = json.loads(sys.argv[1])
g = {x["name"]: x for x in d["guests"]}
MiB = 1024 * 1024
def check(cond, what):
    if not cond:
        print(what, json.dumps(g, indent=1)); sys.exit(1)
# over-provisioned: 4 vCPUs / 8 GiB using ~0.3 CPU and at most 1.4 GiB
w = g["web-frontend"]
check(w["verdict"] == "OVER" and w["cpu"]["recommended"] == 1, "web-frontend cpu")
# the kernel's peak (the wave's top, 1400M, not the sampled value just under it) x 1.15 = 1610M
# -> 1664M in 64M steps
check(w["memory"]["daily_peak_source"] == "kernel-peak", "web-frontend peak source")
check(w["memory"]["recommended_bytes"] == 1664 * MiB, "web-frontend memory")
check(w["confidence_hours"] >= 25.9, "web-frontend confidence")
# the container of the issue: 512 MiB limit, 40-48 MiB used -> 48 x 1.15 = 55.2 -> 64 MiB
n = g["nginx"]
check(n["verdict"] == "OVER" and n["memory"]["recommended_bytes"] == 64 * MiB, "nginx")
check(n["memory"]["daily_peak_bytes"] <= 48 * MiB and n["memory"]["daily_peak_bytes"] > 47 * MiB, "nginx peak")
# the demo's redis-cache was OOM-killed twice: no shrink, memory grows whatever its samples say
r = g["redis-cache"]
check(r["verdict"] == "UNDER" and r["memory"]["move"] == "grow" and "OOM kill" in r["reason"],
      "redis-cache")
check(g["db-primary"]["verdict"] == "OVER" and g["db-primary"]["memory"]["move"] == "keep", "db-primary")
# 3.5 GiB peak x 1.15 > 4 GiB: memory must grow, so not OVER though CPU could shrink (AWS rule)
c = g["ci-runner"]
check(c["verdict"] == "UNDER" and c["memory"]["move"] == "grow" and c["cpu"]["move"] == "shrink", "ci-runner")
check(g["old-cron"]["verdict"] == "IDLE", "old-cron idle")
check(g["legacy-erp"]["verdict"] == "collecting" and g["batch-etl"]["verdict"] == "collecting", "not running")
r = d["reclaimable"]
# web-frontend, nginx, db-primary and old-cron (redis-cache is UNDER: OOM kills)
over = [x for x in g.values() if x["verdict"] in ("OVER", "IDLE")]
check(r["guests"] == len(over) == 4, "reclaimable guests")
want = sum(x["memory"]["alloc_bytes"] - x["memory"]["recommended_bytes"] for x in over if x["memory"]["move"] == "shrink")
check(r["memory_bytes"] == want, "reclaimable memory")
PY

# history of one guest as CSV and as a table
csv=$(VIRTDECK_TEST_CLOCK=$END $VD history nginx --csv --since 2h) || fail "history --csv exit $?"
echo "$csv" | head -1 | grep -q '^time,state,secs,cpu_avg,cpu_max,mem_avg,mem_max' || fail "csv header: $csv"
rows=$(echo "$csv" | tail -n +2 | wc -l)
[ "$rows" -ge 100 ] || fail "history 2h of raw rows: $rows"
out=$(VIRTDECK_TEST_CLOCK=$END $VD history nginx --since 7d --res hour) || fail "history hour exit $?"
[ "$(echo "$out" | wc -l)" -ge 27 ] || fail "hour rows: $out"
err=$($VD history no-such-guest 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q 'no history for a guest named no-such-guest' || fail "history unknown: $rc $err"
err=$($VD history 2>&1); rc=$?
[ $rc -eq 2 ] || fail "history without a name exit $rc"
err=$($VD advise --param cpu_margin=lots 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q 'cpu_margin=lots: expected a fraction' || fail "bad param: $rc $err"
err=$($VD advise --apply a --undo b 2>&1); rc=$?
[ $rc -eq 2 ] || fail "apply+undo exit $rc"

# sprawl: the stopped ERP for more than a day, the idle cron container, a broken definition
mkdir -p "$T/data/containers" "$T/data/images/unused-img"
printf '[container]\nrootfs=%s/nowhere\n' "$T" > "$T/data/containers/ghost.ini"
head -c 100000 /dev/urandom > "$T/data/images/unused-img/layer.tar"
json=$(VIRTDECK_TEST_CLOCK=$END $VD --demo sprawl --json --param stopped_days=1 --param idle_days=1) || fail "sprawl exit $?"
python3 - "$json" <<'PY' || fail "sprawl --json content"
import json, sys
d = json.loads(sys.argv[1])
k = {(x["kind"], x["name"]): x for x in d["items"]}
assert ("stopped", "legacy-erp") in k and k[("stopped", "legacy-erp")]["days"] >= 1, k
assert ("idle", "old-cron") in k and k[("idle", "old-cron")]["days"] >= 1, k
assert ("idle", "nginx") not in k, k
assert ("missing", "ghost") in k, k
assert ("unused", "unused-img") in k and k[("unused", "unused-img")]["bytes"] >= 100000, k
PY

# apply and undo in one process each (the fake engine forgets between processes, the log does not)
out=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --apply nginx) || fail "apply exit $?"
echo "$out" | grep -q 'applied nginx: .*memory 512M -> 64M' || fail "apply output: $out"
out=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --undo nginx) || fail "undo exit $?"
echo "$out" | grep -q 'undone nginx' || fail "undo output: $out"
err=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --undo nginx 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q 'nothing to undo for nginx' || fail "second undo: $rc $err"
err=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --apply legacy-erp 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q 'still collecting' || fail "apply to a stopped guest: $rc $err"

# a database another program holds the write lock of: a clear error, nothing resized, and
# the collector's --once fails instead of pretending
python3 - "$T/data/history.db" <<'PY' & lk=$!
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("DELETE FROM resize WHERE id < 0")
open(sys.argv[1] + ".held", "w").close()
time.sleep(6)
PY
while [ ! -e "$T/data/history.db.held" ]; do sleep 0.1; done
err=$(VIRTDECK_TEST_CLOCK=$END $VD --demo advise --apply nginx 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "history database $T/data/history.db is locked by another process" ||
	fail "locked db on apply: $rc $err"
echo "$err" | grep -q "not resizing nginx" || fail "apply must not resize without a record: $err"
err=$(VIRTDECK_TEST_CLOCK=$END $VD --demo collect --once 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "is locked by another process" || fail "locked db on collect: $rc $err"
kill $lk 2>/dev/null; wait $lk 2>/dev/null

# only one recorder (real clock: its maintenance drops the simulated 2023 data, so this runs last): a collector running in the background makes `collect --once` refuse
$VD --demo collect --interval 1 & bg=$!
sleep 1
err=$($VD --demo collect --once 2>&1); rc=$?
kill $bg; wait $bg
[ $rc -eq 1 ] && echo "$err" | grep -q 'another virtdeck records the history' || fail "second recorder: $rc $err"

# a damaged database: a clear error, and the engines still answer
rm -f "$T/data/history.db-wal" "$T/data/history.db-shm"
head -c 65536 /dev/urandom > "$T/data/history.db"
err=$($VD --demo advise 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "history database $T/data/history.db is damaged" || fail "damaged db: $rc $err"
echo "$err" | grep -q 'move it aside' || fail "damaged db advice: $err"
$VD --demo list >/dev/null || fail "list with a damaged history"
out=$($VD sprawl 2>&1) || fail "sprawl with a damaged history exit $?"
echo "$out" | grep -q 'checking definitions and images only' || fail "sprawl without history: $out"
echo "PASS: advice-demo"
