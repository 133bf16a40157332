#!/bin/sh
# logs.sh - the detail view's Logs tab on a real container that printed 200 lines and exited 3:
# the newest lines show, and a search brings an old line into view. Root only.
set -u
. "$(dirname "$0")/lib.sh"
tui_ct_setup tuilog
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }

"$VD_BIN" create ct "$name" --rootfs "$T/rootfs" --memory 32M -- /bin/sh -c \
	'i=0; while [ $i -lt 200 ]; do [ $i = 42 ] && echo needle-42 || echo out-$i; i=$((i+1)); done; exit 3' \
	>/dev/null || fail "create"
"$VD_BIN" start "$name" >/dev/null || fail "start"
i=0
until "$VD_BIN" logs "$name" | grep -q out-199; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the container never printed out-199"
	sleep 0.1
done

tui_start 120 30 "VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state $VD_BIN -d 0.5"
tui_wait_for "virtdeck" || exit 1
tui_keys '\'
tui_keys -l "$name"
tui_keys Enter
tui_wait_re "$name +ct +exited 3" || fail "the container is not listed as exited 3"
tui_keys Enter
tui_wait_for "$name - container on engine ct" 5 || fail "Enter did not open the details"
tui_wait_re "Stopped +exited with status 3" || fail "the overview does not say why it stopped"
tui_wait_re "^ +out-199 *$" || fail "the overview does not show the last lines it printed"
echo "ok - the overview says why it stopped and what it printed last"
tui_keys 6
tui_wait_for "What $name printed (200 lines, newest last)" 5 || fail "6 did not open the Logs tab"
tui_wait_re "^ out-199 *$" || fail "the Logs tab does not show the newest line"
tui_has "needle-42" && fail "line 43 shows although 200 lines do not fit"
echo "ok - the Logs tab shows what the stopped container printed last"

tui_keys /
tui_wait_for "search the output: _" 5 || fail "/ did not start a search"
tui_keys -l needle
tui_wait_re "^ needle-42 *$" || fail "searching 'needle' did not bring its line into view"
tui_keys Enter
tui_wait_for "'needle' found in line 43 of 200" 5 || fail "the status does not say where it was found"
echo "ok - search finds a line and scrolls to it"
tui_keys End
tui_wait_re "^ out-199 *$" || fail "End did not return to the newest line"
tui_keys q
