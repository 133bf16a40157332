#!/bin/sh
# libvirt-console.sh - a real libvirtd domain's serial console through virtdeck, in tmux:
# `virtdeck console NAME` and the console's `c` key both show the guest's output, carry typed
# keys to it (the guest echoes them), and Ctrl-] detaches with the guest still running. A serial
# console has no window size: both say so, with the stty command for the pane's size.
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
NAME=vdtest-con-$$
fail() {
	echo "FAIL: $*"
	tui_screen
	exit 1
}
lv_define_vm "$NAME" echo || exit 1
lv_virsh start "$NAME" >/dev/null || fail "virsh start"
sleep 1 # let SeaBIOS boot the sector into its echo loop

# Command line attach.
tui_start 100 20 "$VD_BIN console --connect qemu:///system $NAME; echo EXIT=\$?; sleep 30"
tui_wait_for "Escape character is ^]" 10 || fail "console did not attach"
no_size() {
	size=$(tui_tmux display -p -t vd 'rows #{pane_height} cols #{pane_width}')
	tui_wait_for "has no window size" 10 || fail "$1 did not say the serial console has no size"
	tui_wait_for "stty $size" 10 || fail "$1 did not give the stty command for the pane's $size"
}
no_size "virtdeck console"
tui_keys v d e c h o
tui_wait_for "vdecho" 5 || fail "typed keys did not come back from the guest"
tui_keys C-]
tui_wait_for "Detached from $NAME" 5 || fail "Ctrl-] did not detach"
tui_wait_for "EXIT=0" 5 || fail "virtdeck console did not exit 0"
[ "$(lv_virsh domstate "$NAME")" = running ] || fail "$NAME stopped when the console detached"

# The console's c key, then back to the table, which still refreshes.
tui_next_server
tui_start 160 30 "$VD_BIN -d 1 --connect qemu:///system; echo EXIT=\$?; sleep 30"
tui_wait_for "$NAME" 15 || fail "$NAME not listed"
tui_keys c
tui_wait_for "Connected to the console of $NAME" 10 || fail "c did not attach"
no_size "the TUI's c"
tui_keys t u i o k
tui_wait_for "tuiok" 5 || fail "typed keys did not come back through the c console"
tui_keys C-]
tui_wait_for "detached from $NAME" 10 || fail "Ctrl-] did not return to the table"
lv_virsh suspend "$NAME" >/dev/null
tui_wait_for "paused" 10 || fail "the table stopped following the guest after the console"
tui_keys q
tui_wait_for "EXIT=0" 5 || fail "virtdeck did not exit 0"
echo "PASS: libvirt serial console via virtdeck console and the c key: output, input echo, detach"
