#!/bin/sh
# console-size.sh - a container's console has the size of the terminal attached to it, from
# `virtdeck console` and from the TUI's `c`, and follows the pane when tmux resizes it. Root only.
set -u
. "$(dirname "$0")/lib.sh"
tui_ct_setup tuisize
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }
ok() { echo "ok - $*"; }

# A shell as the container's command: its console is the pty the supervisor holds.
"$VD_BIN" create ct "$name" --rootfs "$T/rootfs" --memory 64M -- /bin/sh >/dev/null ||
	fail "create $name"
"$VD_BIN" start "$name" >/dev/null || fail "start $name"

pane_size() { tui_tmux display -p -t vd '#{pane_height} #{pane_width}'; }
# Typed as S""Z=: the echoed command line keeps the quotes, only the output reads SZ=. Every
# step has a size of its own, so no earlier answer can match. No `clear`: the console's backlog,
# replayed on the next attach, would wipe the "Connected" line.
ask_size() {
	tui_keys -l "echo S\"\"Z=\$(stty size)"
	tui_keys Enter
}
# expect_size WHAT: the console's shell reports the pane's current size.
expect_size() {
	want=$(pane_size)
	ask_size
	tui_wait_for "SZ=$want" 20 || fail "$1: stty size inside is not the pane's '$want'"
	ok "$1: stty size inside = pane $want"
}
resize_pane() {
	before=$(pane_size)
	tui_tmux resize-window -t vd -x "$1" -y "$2"
	[ "$(pane_size)" != "$before" ] || fail "tmux did not resize the pane"
}

# --- the CLI: `virtdeck console NAME` in a 160-column pane
tui_start 160 40 "exec env VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state PS1='host$ ' sh -i"
tui_wait_for 'host$' 10 || fail "the host shell did not start"
tui_keys -l "$VD_BIN console $name"
tui_keys Enter
tui_wait_for "Connected to $name's console" 20 || fail "virtdeck console did not attach"
tui_keys Enter
expect_size "virtdeck console"
resize_pane 100 25
expect_size "virtdeck console after a resize"
tui_keys C-]
tui_wait_for "Detached from $name" 20 || fail "Ctrl-] did not detach"

# --- the supervisor's winsize op: a size out of a winsize's range is refused, not truncated
ctl_request=${VD_SRCDIR:-$(dirname "$0")/../..}/tests/integration/ctl-request.py
raw() { python3 "$ctl_request" "$VIRTDECK_STATE_DIR/ct/$name.sock" "$1"; }
init=$(timeout 10 "$VD_BUILDDIR/virtdeck-ct" status "$name" |
	sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p')
[ -n "$init" ] || fail "no init pid for $name"
pty_size() { stty -F "/proc/$init/fd/0" size; }
raw '{"op":"winsize","rows":33,"cols":77}' | grep -q '"ok": *true' || fail "winsize 33x77 refused"
[ "$(pty_size)" = "33 77" ] || fail "winsize 33x77 gave the console pty $(pty_size)"
for req in '"rows":0,"cols":80' '"rows":-1,"cols":80' '"rows":24,"cols":65536' \
	'"rows":4294967320,"cols":80'; do
	reply=$(raw "{\"op\":\"winsize\",$req}")
	echo "$reply" | grep -q '"ok": *false' || fail "supervisor accepted winsize {$req}: $reply"
	[ "$(pty_size)" = "33 77" ] || fail "winsize {$req} changed the console pty to $(pty_size)"
done
ok "out-of-range winsize requests refused, the console pty kept 33 77"

# --- the TUI: `c` on the row; the console leaves curses and comes back at the new size
tui_next_server
tui_start 200 36 "exec env VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state $VD_BIN -d 1"
tui_wait_re "$name +ct +running" 30 || fail "the TUI does not list $name as running"
tui_keys '\'
tui_keys -l "$name"
tui_keys Enter
tui_wait_for "filter kept" 10 || fail "filter"
tui_keys c
tui_wait_for "Connected to the console of $name" 20 || fail "c did not attach"
tui_keys Enter
expect_size "TUI console"
resize_pane 120 30
expect_size "TUI console after a resize"
tui_keys C-]
tui_wait_for "detached from $name" 20 || fail "Ctrl-] did not come back to the TUI"
# The table is drawn for the new width: its last column ends within 120 columns, not at 200.
wide=$(tui_screen | awk 'length($0) > 120' | wc -l)
[ "$wide" = 0 ] || fail "after detaching, the TUI still draws $wide lines wider than the pane"
tui_wait_re "$name +ct +running" 20 || fail "the TUI lost its table after the attach"
ok "TUI redrawn for the pane's new size after detaching"
echo "PASS: the console has the terminal's size and follows it, from the CLI and the TUI"
