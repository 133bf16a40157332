#!/bin/sh
# advice.sh - the console with a history: ADVICE and REC SIZE columns, the advice tab, apply and
# undo from the keyboard (the demo engine, a day of history collected on an accelerated clock).
set -u
. "$(dirname "$0")/lib.sh"
tui_require_tmux
T=$(mktemp -d /tmp/vd-tui-advice.XXXXXX)
trap 'tui_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }
export VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state
now=$(date +%s)
VIRTDECK_TEST_CLOCK=$((now - 26 * 3600)) "$VD_BIN" --demo collect --interval 60 --for 26h || fail "collect"

tui_start 160 32 "VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state $VD_BIN --demo -d 1"
tui_wait_for "legacy-erp" || exit 1
tui_wait_for "REC SIZE" 5 || fail "no advice columns with a history"
tui_wait_re "nginx .* OVER +0\.1 CPU 64M" || fail "nginx is not OVER with 0.1 CPU 64M"
tui_wait_re "old-cron .* IDLE" || fail "old-cron is not IDLE"
tui_wait_re "legacy-erp .* 0h/24h" || fail "a stopped guest should still be collecting"

tui_keys N / n g i n x Enter
tui_keys Enter 4
tui_wait_for "confidence: 26.0 h of data" 5 || fail "the advice tab lacks the confidence"
tui_keys Escape a
tui_wait_for "Apply the advice to nginx: memory 512M -> 64M, CPU 1 -> 0.1?" 5 || fail "a did not ask"
tui_keys y
tui_wait_for "apply advice to nginx: done" 5 || fail "apply not reported"
tui_wait_for "64M" 3 || fail "nginx not resized"
tui_wait_re "nginx .* 0\.1 .* 64M" || fail "nginx does not show 0.1 CPU and 64M"
tui_keys u
tui_wait_for "Undo the last applied advice of nginx" 5 || fail "u did not ask"
tui_keys y
tui_wait_for "undo advice of nginx: done" 5 || fail "undo not reported"
tui_wait_re "nginx .* 512M" || fail "nginx not back at 512M"
tui_keys q
echo "PASS: advice columns, advice tab, apply and undo in the console"
