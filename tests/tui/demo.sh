#!/bin/sh
# demo.sh - the real binary in tmux with --demo: table, cursor, help, quit, exit code, terminal restored.
set -u
. "$(dirname "$0")/lib.sh"
tui_require_tmux
trap tui_cleanup EXIT
out=$(mktemp -d)
trap 'tui_cleanup; rm -rf "$out"' EXIT

# The pane runs a shell that records the tty settings before and after, and the exit code.
tui_start 120 30 "stty -g > $out/before; $VD_BIN --demo -d 1; echo \"EXIT=\$?\" > $out/rc; stty -g > $out/after; echo DONE; sleep 30"

tui_wait_for "legacy-erp" || exit 1
tui_wait_for "[demo: fake engine]" 2 || exit 1
screen=$(tui_screen)
for want in "ENGINE" "NAME" "STATE" "vCPU" "CPU%" "MEM ALLOC" "MEM USED" "%MEM/ALLOC" "Guests 8 (vm 4, ct 4)" "web-frontend" "nginx"; do
	echo "$screen" | grep -qF -- "$want" || { echo "FAIL: main screen lacks '$want':"; echo "$screen"; exit 1; }
done
tui_wait_for "1/8" || exit 1

tui_keys j
tui_wait_for "2/8" 3 || { echo "FAIL: j did not move the cursor"; exit 1; }

tui_keys '?'
tui_wait_for "virtdeck help - keys" 3 || exit 1
tui_screen | grep -qF "kill the selected guest" || { echo "FAIL: help lacks the kill key"; exit 1; }

tui_keys q
tui_wait_for "DONE" 5 || { echo "FAIL: virtdeck did not exit on q"; exit 1; }
rc=$(cat "$out/rc")
[ "$rc" = "EXIT=0" ] || { echo "FAIL: virtdeck exited with '$rc'"; exit 1; }
cmp -s "$out/before" "$out/after" || { echo "FAIL: terminal modes not restored: $(cat "$out/before") vs $(cat "$out/after")"; exit 1; }
tui_screen | grep -qF "virtdeck help" && { echo "FAIL: the alternate screen was not left"; exit 1; }

# SIGTERM while running must also restore the terminal and exit 0.
tui_next_server
tui_start 100 30 "stty -g > $out/before; sh -c 'echo \$\$ > $out/pid; exec $VD_BIN --demo'; echo \"EXIT=\$?\" > $out/rc; stty -g > $out/after; echo DONE; sleep 30"
tui_wait_for "legacy-erp" || exit 1
kill -TERM "$(cat "$out/pid")"
tui_wait_for "DONE" 5 || { echo "FAIL: virtdeck ignored SIGTERM"; exit 1; }
[ "$(cat "$out/rc")" = "EXIT=0" ] || { echo "FAIL: SIGTERM exit was $(cat "$out/rc")"; exit 1; }
cmp -s "$out/before" "$out/after" || { echo "FAIL: terminal not restored after SIGTERM"; exit 1; }

# A tiny window shows the size notice instead of a broken table.
tui_next_server
tui_start 50 6 "$VD_BIN --demo; sleep 30"
tui_wait_for "Terminal too small: 50x6" || exit 1
tui_tmux resize-window -t vd -x 120 -y 30 2>/dev/null || tui_tmux resize-pane -t vd -x 120 -y 30
tui_wait_for "legacy-erp" 5 || { echo "FAIL: table did not come back after growing the window"; exit 1; }
echo "PASS: demo console: table, j, ?, q, SIGTERM, resize"
