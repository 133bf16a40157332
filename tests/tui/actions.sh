#!/bin/sh
# actions.sh - the real binary in tmux: sort, filter, search, detail tabs, an action with its result,
# a live resize through the form, a mouse click, a window resize, and a clean quit.
set -u
. "$(dirname "$0")/lib.sh"
tui_require_tmux
out=$(mktemp -d)
trap 'tui_cleanup; rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }

tui_start 120 32 "stty -g > $out/before; $VD_BIN --demo -d 0.5; echo \"EXIT=\$?\" > $out/rc; stty -g > $out/after; echo DONE; sleep 30"
tui_wait_for "legacy-erp" || exit 1

# Sort by name (N): batch-etl first; invert (I): web-frontend first.
tui_keys N
tui_wait_for "sort NAME asc" 3 || fail "N did not sort by name"
first=$(tui_screen | awk '/^ENGINE/ {getline; print $2; exit}')
[ "$first" = "batch-etl" ] || fail "first row after N is '$first'"
tui_keys I
tui_wait_for "sort NAME desc" 3 || fail "I did not invert"

# Filter: only the VMs (and what matches 'vm' elsewhere).
tui_keys '\' v m Enter
tui_wait_for "filter kept" 3 || fail "filter was not kept"
tui_wait_gone_re "nginx" || fail "the filter 'vm' still shows nginx"
tui_wait_for "db-primary" || fail "the filter 'vm' hides db-primary"
tui_keys F4 Escape
tui_wait_for "nginx" 3 || fail "Esc did not clear the filter"

# Search jumps to nginx; Enter opens its details; Tab to graphs; Esc back.
tui_keys N / n g i n Enter
tui_wait_for "5/8" 3 || fail "search did not put the cursor on nginx (5th by name)"
tui_keys Enter
tui_wait_for "nginx - container on engine fake" 3 || fail "Enter did not open the detail view"
tui_wait_for "What a container is" || fail "overview lacks the container facts"
tui_keys Tab
tui_wait_for "CPU% of allocation - last" 3 || fail "Tab did not show the graphs"
tui_keys Escape

# An action: pause nginx, see it reported and the state change; resume it.
tui_keys p
tui_wait_for "pause nginx: done" 5 || fail "pause was not reported"
tui_wait_re "nginx +ct +paused" || fail "nginx is not shown paused"
tui_keys p
tui_wait_for "resume nginx: done" 5 || fail "resume was not reported"

# Kill asks first; n cancels.
tui_keys K
tui_wait_for "Kill ct nginx" 3 || fail "kill did not ask"
tui_keys n
tui_wait_for "cancelled" 3 || fail "n did not cancel the kill"

# Live resize through the form: nginx 512M -> 768M.
tui_keys R
tui_wait_for "Resize ct nginx (live)" 3 || fail "R did not open the resize form"
tui_keys BSpace BSpace BSpace BSpace 7 6 8 M Enter
tui_wait_for "resize nginx: done" 5 || fail "resize was not reported"
tui_wait_re "nginx .* 768M" || fail "nginx does not show 768M allocated"

# Grow and shrink the window: the table follows, the tiny size gets the notice.
tui_tmux resize-window -t vd -x 160 -y 40 2>/dev/null
tui_wait_for "MEM SOURCE" 5 || fail "the wide layout did not appear at 160 columns"
tui_tmux resize-window -t vd -x 50 -y 6 2>/dev/null
tui_wait_for "Terminal too small: 50x6" 5 || fail "no size notice at 50x6"
tui_tmux resize-window -t vd -x 120 -y 32 2>/dev/null
tui_wait_for "legacy-erp" 5 || fail "the table did not come back"

tui_keys q
tui_wait_for "DONE" 5 || fail "q did not quit"
[ "$(cat "$out/rc")" = "EXIT=0" ] || fail "exit status $(cat "$out/rc")"
cmp -s "$out/before" "$out/after" || fail "terminal modes not restored"
echo "PASS: sort, filter, search, details, pause/resume, kill confirm, resize form, window resize, quit"
