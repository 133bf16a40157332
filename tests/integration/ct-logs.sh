#!/bin/sh
# ct-logs.sh - a container's console output is kept: `virtdeck logs` with --tail, --since and -f,
# after the container exits with an error, bounded by rotation, removed by delete.
. "$(dirname "$0")/ct-lib.sh"

LOGDIR=$VIRTDECK_DATA_DIR/logs/ct
n=lg$$

# Wait (polling) until `virtdeck logs NAME` prints a line matching a pattern.
wait_log() {
	i=0
	until vd logs "$1" 2>/dev/null | grep -q "$2"; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "$1: '$2' never appeared in virtdeck logs"
		sleep 0.1
	done
}

wait_stopped() {
	i=0
	while [ "$(ct_state "$1")" = running ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "$1 never stopped"
		sleep 0.1
	done
}

# 1. A command that prints and exits 3: its output outlives it.
ct_new "$n" --memory 32M -- /bin/sh -c 'echo boom; echo line-two; exit 3'
wait_stopped "$n"
out=$(vd logs "$n") || fail "virtdeck logs $n failed after the container stopped"
echo "$out" | grep -q '^boom' || fail "logs of $n lack 'boom': $out"
echo "$out" | grep -q '^line-two' || fail "logs of $n lack 'line-two': $out"
[ "$(echo "$out" | tr -d '\r' | grep -c .)" -eq 2 ] || fail "logs of $n are not its two lines: $out"
ok "a container that printed and exited 3: virtdeck logs prints what it printed"

# The file keeps each line's time and the guest's bytes (CRI log format, documented).
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F boom' "$LOGDIR/$n.log" ||
	fail "$LOGDIR/$n.log is not in the CRI format: $(head -2 "$LOGDIR/$n.log")"
vd logs -t "$n" | grep -Eq '^[0-9-]{10}T[0-9:.]+Z boom' || fail "logs -t shows no times"
ok "the log keeps a time per line (logs -t shows it)"

# 2. --tail N: only the last N lines.
[ "$(vd logs --tail 1 "$n" | tr -d '\r')" = line-two ] || fail "--tail 1: $(vd logs --tail 1 "$n")"
ok "--tail 1 prints the last line only"

# 3. A restart appends; --since keeps lines printed within the duration.
sleep 3
vd start "$n" >/dev/null || fail "restart $n"
wait_stopped "$n"
[ "$(vd logs "$n" | grep -c '^boom')" -eq 2 ] || fail "a restart did not keep the first run's output"
[ "$(vd logs --since 2s "$n" | grep -c '^boom')" -eq 1 ] || fail "--since 2s: $(vd logs --since 2s "$n")"
ok "a restart appends; --since 2s shows only the second run"

# 4. -f sees new lines as they come and ends when the container stops.
f=f$$
ct_new "$f" --memory 32M -- /bin/sh -c 'i=0; while [ $i -lt 30 ]; do echo tick-$i; i=$((i+1)); sleep 0.2; done'
: >"$T/follow.out"
timeout 30 "$VD" logs -f "$f" >"$T/follow.out" 2>&1 &
fpid=$!
i=0
until grep -q tick-3 "$T/follow.out"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "logs -f saw no new lines: $(cat "$T/follow.out")"
	sleep 0.1
done
grep -q tick-29 "$T/follow.out" && fail "logs -f printed tick-29 before the container printed it"
wait $fpid
rc=$?
[ $rc -eq 0 ] || fail "logs -f did not end by itself when $f stopped (exit $rc)"
grep -q tick-29 "$T/follow.out" || fail "logs -f missed the last line: $(tail -3 "$T/follow.out")"
[ "$(grep -c tick- "$T/follow.out")" -eq 30 ] || fail "logs -f repeated or lost lines"
ok "logs -f prints lines as they come, each once, and ends when the container stops"

# 5. -f ends on Ctrl-C (SIGINT) too.
c=c$$
ct_new "$c" --memory 32M -- /bin/sh -c 'while :; do echo still; sleep 1; done'
wait_log "$c" still
timeout 30 "$VD" logs -f "$c" >/dev/null 2>&1 &
cpid=$!
sleep 0.5
kill -INT $cpid
i=0
while kill -0 $cpid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "logs -f did not end on SIGINT"
	sleep 0.1
done
ok "logs -f ends on Ctrl-C"
vd kill "$c" >/dev/null

# 6. Rotation keeps the bound: a flood of output leaves NAME.log and NAME.log.1 within it.
r=r$$
ct_new "$r" --memory 64M -- /bin/sh -c 'i=0; while [ $i -lt 60000 ]; do echo "flood line $i padding padding"; i=$((i+1)); done; echo the-end'
wait_stopped "$r"
size=$(cat "$LOGDIR/$r.log" "$LOGDIR/$r.log.1" | wc -c)
[ "$size" -le $((2 * 1024 * 1024)) ] || fail "the log of $r grew to $size bytes, beyond 2 x 1M"
[ -s "$LOGDIR/$r.log.1" ] || fail "the log of $r was never rotated ($size bytes)"
vd logs --tail 1 "$r" | grep -q the-end || fail "after rotation the last line is lost"
vd logs "$r" | grep -q 'flood line 0 ' && fail "the oldest lines outlived the bound"
ok "a flood keeps the log within its bound ($size bytes in NAME.log + NAME.log.1)"

# 7. delete removes the log.
vd delete "$r" >/dev/null || fail "delete $r"
[ ! -e "$LOGDIR/$r.log" ] && [ ! -e "$LOGDIR/$r.log.1" ] || fail "delete left the log of $r"
ok "delete removes the log"
