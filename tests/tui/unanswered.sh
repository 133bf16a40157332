#!/bin/sh
# unanswered.sh - the console with a container whose supervisor is stopped (SIGSTOP): it stays
# up, the row says no-reply, keys still respond, and pause/stop on that row report why. Root only.
set -u
. "$(dirname "$0")/lib.sh"
tui_require_tmux
[ "$(id -u)" -eq 0 ] || { echo "SKIP: containers need root here"; exit 77; }
"$VD_BIN" --version | grep -q ' ct' || { echo "SKIP: this virtdeck has no container engine"; exit 77; }
T=$(mktemp -d /tmp/vd-tui-hang.XXXXXX)
name=tuihang$$
SUP=""
export VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state
cleanup() {
	[ -z "$SUP" ] || kill -CONT "$SUP" 2>/dev/null
	timeout 20 "$VD_BIN" kill "$name" >/dev/null 2>&1
	timeout 20 "$VD_BIN" delete "$name" >/dev/null 2>&1
	tui_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }
sh "${VD_SRCDIR:-$(dirname "$0")/../..}/data/mkrootfs-busybox.sh" "$T/rootfs" >/dev/null || fail "mkrootfs"
timeout 20 "$VD_BIN" create ct "$name" --rootfs "$T/rootfs" --memory 64M -- /bin/sleep 600 >/dev/null ||
	fail "create"
timeout 20 "$VD_BIN" start "$name" >/dev/null || fail "start"
SUP=$(cat "$T/state/ct/$name.pid")
[ -n "$SUP" ] || fail "no supervisor pid"
kill -STOP "$SUP"

tui_start 200 36 "VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state $VD_BIN -d 0.5; echo \$? >$T/exit"
tui_wait_for "virtdeck" 10 || fail "the console did not start"
# Other guests of this host (a libvirt test's domains, say) may be listed too: filter to ours.
tui_keys '\'
tui_keys -l "$name"
tui_keys Enter
tui_wait_for "filter kept" 5 || fail "keys do not respond (filter)"
tui_wait_for "no-reply" 10 || fail "the row does not show no-reply"
tui_screen | grep -E "$name +ct +no-reply" >/dev/null || fail "the row of $name is not no-reply"
echo "ok - the row of $name says no-reply"

# Several refreshes later the console is still there and still answers keys.
sleep 3
[ -s "$T/exit" ] && fail "the console ended with status $(cat "$T/exit")"
tui_keys '?'
tui_wait_for "Esc" 5 || fail "? did not open the help"
tui_keys Escape
tui_wait_for "$name" 5 || fail "Esc did not come back to the table"
echo "ok - after several refreshes the console is up and keys respond"

tui_keys p
tui_wait_for "not answering" 15 || fail "pause did not report the supervisor not answering"
tui_screen | grep -q "kill -CONT $SUP" || fail "the status line does not say how to resume it"
echo "ok - pause reports: $(tui_screen | grep -o 'container [^ ]*: its supervisor.*' | head -1)"
tui_keys L
tui_wait_for "stopped, not answering" 5 || fail "the log lacks the problem"
tui_keys Escape
tui_keys Enter
tui_wait_for "$name - container on engine ct, host local - no-reply" 5 || fail "Enter did not open details"
tui_screen | grep -q "its supervisor (pid $SUP) is stopped" || fail "the details do not say why"
tui_keys Escape
echo "ok - the log and the details say why"
tui_keys x
tui_wait_for "stop $name (engine ct, host local): container $name: its supervisor" 15 ||
	fail "stop did not report the supervisor not answering"
[ -s "$T/exit" ] && fail "the console ended with status $(cat "$T/exit")"
echo "ok - stop reports the problem; the console is still up"

kill -CONT "$SUP"
SUP=""
tui_wait_for "running" 10 || fail "after SIGCONT the row does not come back to running"
tui_keys q
# The exit status, as the shell around the console saw it (tmux may reap late under load).
i=0
until [ -s "$T/exit" ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "q did not end the console within 30 s"
	sleep 0.1
done
[ "$(cat "$T/exit")" = 0 ] || fail "the console ended with status $(cat "$T/exit")"
echo "PASS: a stopped supervisor is shown as no-reply; the console keeps working and says why"
