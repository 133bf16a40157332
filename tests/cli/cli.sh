#!/bin/sh
# cli.sh - the command line as a script sees it: exit codes, errors, list output (fake engine).
set -u
VD=${VD_BIN:-$PWD/virtdeck}
fail() { echo "FAIL: $*"; exit 1; }

$VD --version | grep -q '^virtdeck [0-9]' || fail "--version"
$VD --version | grep -q 'engines:.*fake' || fail "--version lacks the fake engine"
$VD --help | grep -q 'Usage: virtdeck' || fail "--help"

err=$($VD --frobnicate 2>&1); rc=$?
[ $rc -eq 2 ] || fail "unknown option exit $rc"
echo "$err" | grep -q "unknown option '--frobnicate'" || fail "unknown option message: $err"
err=$($VD teleport 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "unknown command 'teleport'" || fail "unknown command: $rc $err"
err=$($VD -d abc 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "bad --delay 'abc'" || fail "bad delay: $rc $err"
err=$($VD --demo list --bogus 2>&1); rc=$?
[ $rc -eq 2 ] || fail "list --bogus exit $rc"

out=$($VD --demo list) || fail "list exit $?"
echo "$out" | head -1 | grep -q 'ENGINE.*NAME.*STATE.*vCPU.*CPU%.*MEM ALLOC.*MEM USED.*%MEM/ALLOC' || fail "list header: $out"
[ "$(echo "$out" | wc -l)" -eq 9 ] || fail "list should print 8 guests: $out"
echo "$out" | grep -q '^fake *demo *legacy-erp *vm *stopped' || fail "stopped VM row: $out"

json=$($VD list --demo --json) || fail "list --json exit $?"
python3 - "$json" <<'PY' || fail "list --json content"
import json, sys
d = json.loads(sys.argv[1])
g = {x["name"]: x for x in d["guests"]}
assert len(g) == 8, g.keys()
assert g["nginx"]["type"] == "ct" and g["nginx"]["state"] == "running"
assert g["nginx"]["mem_alloc_bytes"] == 512 * 1024 * 1024
assert 0 < g["nginx"]["mem_used_bytes"] < g["nginx"]["mem_alloc_bytes"]
assert g["nginx"]["cpu_pct_alloc"] is not None and g["nginx"]["cpu_pct_alloc"] >= 0
assert g["legacy-erp"]["mem_used_bytes"] is None
assert d["host"]["cpus"] >= 1
PY

err=$($VD --demo stop no-such-guest 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "no guest named no-such-guest" || fail "stop unknown: $rc $err"
out=$($VD --demo pause nginx) || fail "pause nginx"
err=$($VD --demo console nginx 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "operation console is not supported by engine fake" || fail "console on fake: $rc $err"
err=$($VD --demo resize nginx 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "nothing to change" || fail "resize without size: $rc $err"
out=$($VD --demo resize nginx --memory 300M --cpus 0.5) || fail "resize NAME --memory (options after the name): $out"
echo "$out" | grep -q "nginx: resized" || fail "resize output: $out"
out=$($VD --demo stop nginx --timeout 3) || fail "stop NAME --timeout: $out"
err=$($VD --demo resize nginx --memory lots 2>&1); rc=$?
[ $rc -eq 2 ] || fail "resize --memory lots exit $rc: $err"
err=$($VD --connect fake:///nowhere list 2>&1); rc=$?
echo "$err" | grep -q "unknown fake URI fake:///nowhere" || fail "bad connect URI: $err"
err=$($VD create box x 2>&1); rc=$?
[ $rc -eq 2 ] || fail "create box exit $rc"
err=$(echo | $VD --demo 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "needs a terminal" || fail "console without a tty: $rc $err"
# Batch mode: one CSV header, one row per guest per tick, stable column names, numbers parse.
csv=$($VD --demo top -b -n 3 -d 0.1 --csv) || fail "top -b --csv exit $?"
python3 - "$csv" <<'PY' || fail "top -b --csv content: $csv"
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(sys.argv[1])))
assert len(rows) == 3 * 8, len(rows)
need = ["time", "engine", "host", "name", "type", "state", "vcpus", "cpu_limit", "cpu_pct_alloc",
        "cpu_pct_host", "mem_alloc_bytes", "mem_used_bytes", "mem_pct_alloc", "mem_source", "cpu_time_ns"]
# New columns only ever go at the end: scripts reading the old ones by place keep working.
assert list(rows[0].keys()) == need + ["reason", "exit_code", "exit_signal", "oom_kills", "exit", "cpu_window_s"], list(rows[0].keys())
assert sys.argv[1].count("time,engine") == 1
for r in rows:
    if r["state"] == "running":
        assert 0 <= float(r["cpu_pct_alloc"]) <= 100, r
        assert int(r["mem_used_bytes"]) <= int(r["mem_alloc_bytes"]), r
stopped = [r for r in rows if r["name"] == "legacy-erp"]
assert stopped and all(r["cpu_pct_alloc"] == "" for r in stopped)
ticks = sorted({r["cpu_time_ns"] for r in rows if r["name"] == "ci-runner"})
assert len(ticks) == 3, ticks  # CPU time grows every tick
PY
n=$($VD --demo top -b -n 2 -d 0.1 --json | wc -l)
[ "$n" -eq 16 ] || fail "top -b --json should print 16 lines, got $n"
err=$($VD --demo top -b -n 0 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "bad -n '0'" || fail "top -n 0: $rc $err"
echo "PASS: cli"
