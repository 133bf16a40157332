#!/bin/sh
# libvirt-daemon.sh - the real console in tmux against a real libvirtd, as local and as
# qemu+tcp://127.0.0.1 (two hosts): p pauses and resumes from the keyboard, a change made
# elsewhere (virsh) shows up through libvirt events long before the 30 s refresh, and a daemon
# restart shows LOST and then the guests again (reconnect with backoff); x stops gracefully and
# forces the stop after its timeout.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/../integration/libvirt-lib.sh"
tui_require_tmux
trap 'tui_cleanup; lv_cleanup' EXIT
trap 'exit 1' INT TERM
lv_require
command -v qemu-system-x86_64 >/dev/null 2>&1 || lv_skip "qemu-system-x86 is not installed"
lv_daemon
[ "$LV_OWN_DAEMON" = 1 ] || lv_skip "the daemon restart step needs a libvirtd started by this test"
NAME=vdtest-tui-$$
fail() {
	echo "FAIL: $*"
	tui_screen
	exit 1
}
lv_define_vm "$NAME" idle || exit 1
lv_virsh start "$NAME" >/dev/null || fail "virsh start"

tui_start 160 30 "$VD_BIN -d 30 --connect qemu:///system --connect qemu+tcp://127.0.0.1/system; echo EXIT=\$?; sleep 30"
tui_wait_for "engines: libvirt 1, libvirt@127.0.0.1 1" 15 || fail "two connections with one domain each expected"
screen=$(tui_screen)
echo "$screen" | grep -E "^libvirt +local +$NAME +vm +running" >/dev/null || fail "local row missing"
echo "$screen" | grep -E "^libvirt +127.0.0.1 +$NAME +vm +running" >/dev/null || fail "127.0.0.1 row missing"

# Keyboard: select the local row and toggle pause.
tui_keys '\' l o c a l Enter
tui_wait_for "1/1" 5 || fail "filter 'local' did not leave one row"
tui_keys p
tui_wait_for "pause $NAME: done" 10 || fail "p did not pause"
[ "$(lv_virsh domstate "$NAME")" = paused ] || fail "libvirt does not see $NAME paused"
tui_keys p
tui_wait_for "resume $NAME: done" 10 || fail "p did not resume"
[ "$(lv_virsh domstate "$NAME")" = running ] || fail "libvirt does not see $NAME running"
tui_keys '\' Escape
tui_wait_for "filter cleared" 5 || fail "Esc did not clear the filter"

# Events: suspend from outside; with a 30 s refresh only an event can update both rows quickly.
lv_virsh suspend "$NAME" >/dev/null || fail "virsh suspend"
i=0
while [ $i -lt 50 ]; do
	n=$(tui_screen | grep -cE "^libvirt +(local|127.0.0.1) +$NAME +vm +paused")
	[ "$n" = 2 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "$n" = 2 ] || fail "the suspend event did not reach both rows within 5 s"
echo "ok: event seen on both connections in $((i * 100)) ms"

# x: graceful stop, which this OS-less guest ignores: "stopping", then forced at the 10 s
# timeout, again without waiting for the 30 s refresh.
lv_virsh resume "$NAME" >/dev/null || fail "virsh resume"
tui_keys '\' l o c a l Enter
tui_wait_for "1/1" 5 || fail "filter 'local' did not leave one row"
tui_wait_for "running" 5 || fail "the resume event did not show"
t0=$(date +%s)
tui_keys x
tui_wait_for "stop $NAME: done" 10 || fail "x did not stop"
tui_wait_re "^libvirt +local +$NAME +vm +stopping" || fail "$NAME not shown stopping"
tui_wait_for "stopped" 20 || fail "the ignored shutdown was not forced after 10 s"
t1=$(date +%s)
[ $((t1 - t0)) -ge 9 ] || fail "forced after $((t1 - t0)) s, before the 10 s timeout"
[ "$(lv_virsh domstate "$NAME")" = "shut off" ] || fail "libvirt does not see $NAME off"
echo "ok: x forced the stop after $((t1 - t0)) s"
tui_keys '\' Escape

# Losing the daemon: both connections show LOST, the console keeps running, and they return.
lv_stop_pid "$(cat "$LV_TMP/libvirtd.pid")"
tui_wait_for "engines: libvirt LOST, libvirt@127.0.0.1 LOST" 15 || fail "a dead daemon was not shown as lost"
tui_keys j
lv_start_own
tui_wait_for "engines: libvirt 1, libvirt@127.0.0.1 1" 30 || fail "the connections did not come back after the daemon restarted"
tui_keys q
tui_wait_for "EXIT=0" 5 || fail "virtdeck did not exit 0 on q"

# A host asked for with --connect that is down when the console starts: shown LOST, then found.
lv_stop_pid "$(cat "$LV_TMP/libvirtd.pid")"
tui_next_server
tui_start 160 30 "$VD_BIN -d 30 --connect qemu+tcp://127.0.0.1/system; echo EXIT=\$?; sleep 30"
tui_wait_for "engines: libvirt@127.0.0.1 LOST" 10 || fail "a host down at start is not shown as lost"
lv_start_own
tui_wait_for "engines: libvirt@127.0.0.1 1" 30 || fail "the host down at start was not connected once up"
tui_keys q
tui_wait_for "EXIT=0" 5 || fail "virtdeck did not exit 0 on q"
echo "PASS: real libvirtd in the console: two hosts, p pause/resume, events, x, lost and reconnected, down at start"
