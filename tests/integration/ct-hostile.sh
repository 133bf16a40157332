#!/bin/sh
# ct-hostile.sh - hostile clients cannot hang a supervisor: a console client flooding a terminal
# nobody reads, a client pipelining thousands of requests without reading a reply, and more idle
# connections than there are slots. Under each, a fresh status answers within a few seconds,
# `virtdeck list` shows the container running, `stop` works and SIGTERM ends the supervisor.
. "$(dirname "$0")/ct-lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the hostile clients"
client=$srcdir/tests/integration/ct-hostile.py

HOSTILE="" SUPS=""
hostile_cleanup() {
	for p in $HOSTILE; do kill -9 "$p" 2>/dev/null; done
	for p in $SUPS; do kill -9 "$p" 2>/dev/null; done # a hung one survives everything else
	ct_cleanup
}
trap hostile_cleanup EXIT

rss_kib() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }

# hostile_start MODE NAME: the client attacks NAME's socket; returns once its attack is in place.
hostile_start() {
	python3 "$client" "$1" "$VIRTDECK_STATE_DIR/ct/$2.sock" > "$T/$1.out" 2>&1 &
	HOSTILE="$HOSTILE $!"
	hpid=$!
	i=0
	until grep -q '^ready' "$T/$1.out"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$1 client never got its attack in place: $(cat "$T/$1.out")"
		kill -0 $hpid 2>/dev/null || fail "$1 client died: $(cat "$T/$1.out")"
		sleep 0.1
	done
}

# A new request still answers, quickly, and the listing is truthful.
assert_answers() {
	t0=$(date +%s%N)
	timeout 5 "$CT" status "$2" >/dev/null || fail "$1: status of $2 got no answer within 5 s"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$(ct_state "$2")" = running ] || fail "$1: list shows $2 as $(ct_state "$2"), not running"
	echo "# $1: status round trip $ms ms under attack ($(sed 's/^ready //' "$T/$1.out"))"
}

# wait_gone PID SECS: the process ends within SECS.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" != Z ]; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

k=0
for mode in ${HOSTILE_MODES:-flood pipeline idle}; do
	k=$((k + 1))
	name=h$k
	ct_new $name --memory 32M -- /bin/sleep 600
	sup=$(ct_field status $name supervisor_pid)
	SUPS="$SUPS $sup"
	rss0=$(rss_kib "$sup")
	t0=$(date +%s%N)
	timeout 5 "$CT" status $name >/dev/null || fail "status of $name before any attack"
	echo "# $mode: status round trip $(( ($(date +%s%N) - t0) / 1000000 )) ms before the attack"
	hostile_start $mode $name
	assert_answers $mode $name
	echo "# $mode: supervisor RSS $rss0 KiB before, $(rss_kib "$sup") KiB under attack"
	[ $mode != flood ] || grep -q "does not read its console: input dropped" \
		"$VIRTDECK_STATE_DIR/ct/$name.log" || fail "flood: dropped input not noted in $name.log"
	timeout 15 "$VD" stop -t 0 $name >/dev/null || fail "$mode: stop of $name failed or hung"
	wait_gone "$sup" 10 || fail "$mode: supervisor $sup still there after stop"
	[ "$(ct_state $name)" = stopped ] || fail "$mode: $name is $(ct_state $name) after stop"
	ok "$mode: status answers, list is truthful, stop works"

	vd start $name >/dev/null || fail "$mode: restart of $name"
	sup=$(ct_field status $name supervisor_pid)
	SUPS="$SUPS $sup"
	hostile_start $mode $name
	assert_answers $mode $name
	kill -TERM "$sup"
	wait_gone "$sup" 15 || fail "$mode: supervisor $sup ignored SIGTERM for 15 s"
	[ "$(ct_state $name)" = stopped ] || fail "$mode: $name is $(ct_state $name) after SIGTERM"
	ct_assert_gone $name
	ok "$mode: SIGTERM ends the supervisor and its container, nothing left"
	for p in $HOSTILE; do kill -9 "$p" 2>/dev/null; done
	HOSTILE=""
done
