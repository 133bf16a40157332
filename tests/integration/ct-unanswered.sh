#!/bin/sh
# ct-unanswered.sh - a supervisor that does not answer (stopped with SIGSTOP, its connection slots
# all taken) and a state directory too deep for a unix socket address: every command returns in
# bounded time, never crashes, and says which container, what is wrong and what to do.
. "$(dirname "$0")/ct-lib.sh"

SUP=""
trap '[ -z "$SUP" ] || kill -CONT $SUP 2>/dev/null; ct_cleanup' EXIT

# bounded LIMIT ARGS...: run virtdeck ARGS (stdout in $T/out, stderr in $T/err); fail when it
# dies from a signal, hangs, or takes more than LIMIT seconds. Leaves its exit status in $rc.
bounded() {
	limit=$1
	shift
	t0=$(date +%s)
	timeout -s KILL 90 "$VD" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	took=$(($(date +%s) - t0))
	[ "$rc" -lt 124 ] || fail "virtdeck $* ended with status $rc (crash or hang); stderr: $(cat "$T/err")"
	[ "$took" -le "$limit" ] || fail "virtdeck $* took ${took}s, more than ${limit}s"
}

# says FILE WORDS...: FILE names the container and carries every word (case-insensitive).
says() {
	f=$1
	shift
	for w in "$@"; do
		grep -qi -- "$w" "$f" || fail "'$w' missing from: $(cat "$f")"
	done
}

n=hang$$
ct_new "$n" --memory 32M -- /bin/sleep 600
SUP=$(ct_field status "$n" supervisor_pid)
[ -n "$SUP" ] || fail "no supervisor pid for $n"
kill -STOP "$SUP"

# Take every slot of its listen queue too, so a plain connect would block for good.
for i in $(seq 1 20); do
	timeout 2 "$CT" status "$n" >/dev/null 2>&1 &
done
wait

bounded 20 list
says "$T/err" "$n" "not answering" "kill -CONT $SUP"
awk -v n="$n" '$3 == n' "$T/out" | grep -q 'no-reply' || fail "the row of $n does not say no-reply: $(cat "$T/out")"
ok "list: $n shown as no-reply, stderr says why and what to do ($took s)"

bounded 20 list --json
tr -d '\n' <"$T/out" | sed 's/" *: */":/g' >"$T/flat"
grep -q "\"name\":\"$n\"" "$T/flat" || fail "list --json lost $n: $(cat "$T/out")"
grep -q "\"state\":\"no-reply\"" "$T/flat" || fail "list --json: $n is not no-reply"
says "$T/flat" "not answering" "kill -CONT $SUP"
ok "list --json: state no-reply and the error in the guest's entry ($took s)"

bounded 25 top -b -n 2 -d 0.5
grep -q "$n" "$T/out" || fail "top -b lost $n: $(cat "$T/out")"
says "$T/err" "$n" "not answering"
ok "top -b -n 2: both refreshes done, $n reported ($took s)"

for op in pause stop kill; do
	bounded 30 "$op" "$n"
	[ "$rc" = 1 ] || fail "$op of a stopped supervisor exited $rc"
	says "$T/err" "$n" "not answering" "kill -CONT $SUP"
	ok "$op $n: exit 1, says the supervisor is not answering ($took s)"
done

# Without its pid file nothing tells that the supervisor is stopped: the request itself must be
# bounded (the listen queue is full, so even connect waits) and still name the container.
pidf=$VIRTDECK_STATE_DIR/ct/$n.pid
mv "$pidf" "$pidf.aside"
bounded 20 list
mv "$pidf.aside" "$pidf"
says "$T/err" "$n" "not answering within"
awk -v n="$n" '$3 == n' "$T/out" | grep -q 'no-reply' || fail "without a pid file $n is not no-reply"
ok "list: a full listen queue costs a bounded wait ($took s), $n still reported"

kill -CONT "$SUP"
SUP=""
vd stop -t 0 "$n" >/dev/null || fail "stop after SIGCONT"
ok "after SIGCONT the container stops normally"

# A state directory whose socket paths exceed the 107 bytes of sun_path still works: the socket
# is reached through its directory (/proc/self/fd/N/NAME.sock).
deep=$T/$(printf 'd%.0s' $(seq 1 60))/$(printf 'e%.0s' $(seq 1 40))
export VIRTDECK_STATE_DIR=$deep
m=deep$$
sock=$deep/ct/$m.sock
[ "${#sock}" -gt 107 ] || fail "test set-up: $sock is only ${#sock} bytes"
ct_new "$m" --memory 32M -- /bin/sleep 600
bounded 20 list
awk -v n="$m" '$3 == n' "$T/out" | grep -q running || fail "$m is not running under a ${#sock}-byte socket path: $(cat "$T/out" "$T/err")"
bounded 20 pause "$m"
[ "$rc" = 0 ] || fail "pause under a long socket path: $(cat "$T/err")"
vd resume "$m" >/dev/null || fail "resume under a long socket path"
bounded 30 stop "$m"
[ "$rc" = 0 ] || fail "stop under a long socket path: $(cat "$T/err")"
ok "a ${#sock}-byte socket path works: list, pause, resume, stop"
