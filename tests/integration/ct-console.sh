#!/bin/sh
# ct-console.sh - the pty console round-trips bytes; a console client killed with SIGKILL
# leaves the container running, and a new client lists it and re-attaches.
. "$(dirname "$0")/ct-lib.sh"

ct_new con --memory 32M -- /bin/sh

# console_expect NAME INPUT REGEX: type INPUT into NAME's console and stay attached until a line
# matching REGEX came back (up to 30 s on a loaded machine); the output is left in $T/cx.
console_expect() {
	: > "$T/cx"
	(
		[ -n "$2" ] && printf '%s\n' "$2"
		i=0
		while [ $i -lt 300 ] && ! grep -Eq "$3" "$T/cx"; do
			sleep 0.1
			i=$((i + 1))
		done
	) | timeout 40 "$VD" console "$1" 2>/dev/null > "$T/cx"
	grep -Eq "$3" "$T/cx"
}

# Commands typed into the console run in init's shell (PID 1), output comes back.
console_expect con 'echo PID=$$ SUM=$((40+2))' "^PID=1 SUM=42" ||
	fail "console round trip failed: $(tr -d '\r' < "$T/cx")"
ok "console round trip through the pty (PID=1 SUM=42)"

# A client attached and killed with SIGKILL: the supervisor and container do not care.
mkfifo "$T/in"
(sleep 30 > "$T/in" &)
timeout 30 "$VD" console con < "$T/in" > "$T/out" 2>&1 &
client=$!
sleep 0.5
kill -9 $client
wait $client 2>/dev/null
sleep 0.2
[ "$(ct_state con)" = running ] || fail "container not running after its console client was killed"
ok "console client killed with SIGKILL, container still running"

# A brand-new client process (a new console) finds it through the state directory.
json=$(vd list --json)
echo "$json" | grep -q '"name": *"con"' || fail "new client does not list con: $json"
echo "$json" | tr -d ' \n' | grep -q '"name":"con","type":"ct","state":"running"' ||
	fail "new client does not see con running"
console_expect con 'echo again-$((6*7))' "^again-42" || fail "re-attach failed: $(tr -d '\r' < "$T/cx")"
out=$(tr -d '\r' < "$T/cx")
echo "$out" | grep -q "SUM=42" || fail "re-attach did not replay the backlog"
ok "a new client lists it running and re-attaches (backlog replayed)"

# The supervisor also survives the death of the client that started it.
sup=$(ct_field status con supervisor_pid)
[ "$(awk '{print $7}' /proc/"$sup"/stat)" = 0 ] || fail "supervisor still has a controlling tty"
[ "$(awk '{print $6}' /proc/"$sup"/stat)" != "$(awk '{print $6}' /proc/$$/stat)" ] ||
	fail "supervisor shares the test's session"
[ "$(awk '{print $4}' /proc/"$sup"/stat)" = 1 ] || [ "$(awk '{print $4}' /proc/"$sup"/stat)" != $$ ] ||
	fail "supervisor is still our child"
ok "supervisor $sup runs in its own session without a tty (daemonised)"

# An init that handles SIGTERM (the rootfs's vd-init) stops gracefully, long before the
# SIGKILL timeout; its banner was kept for a console that attaches later.
ct_new vdi --memory 32M -- /sbin/vd-init
console_expect vdi "" "virtdeck busybox container vdi up" ||
	fail "vd-init banner not in the backlog: $(tr -d '\r' < "$T/cx")"
t0=$(date +%s%N)
vd stop -t 10 vdi >/dev/null || vd stop vdi >/dev/null || fail "stop vdi"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 5000 ] || fail "graceful stop took $ms ms (SIGTERM ignored?)"
[ "$(ct_state vdi)" = stopped ] || fail "vdi not stopped"
ok "vd-init stopped on SIGTERM in $ms ms (timeout 10 s)"
