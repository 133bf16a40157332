#!/bin/sh
# container.sh - a busybox container's whole life from the console, as a user does it: create (form),
# start, see real use against its limits, attach to its console, resize, stop, delete. Root only.
set -u
. "$(dirname "$0")/lib.sh"
tui_ct_setup tuict
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }

tui_start 200 36 "VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state $VD_BIN -d 0.5"
tui_wait_for "virtdeck" || exit 1

# Create from the form: engine ct, template "container: web (512M, 1 CPU)", name, rootfs.
tui_keys n
tui_wait_for "Create a guest from a template" 3 || fail "n did not open the form"
tui_wait_for "< ct@local >" || fail "the form does not offer the ct engine"
tui_keys -l "$name"
tui_keys Up Right Down Down Down Down Down
tui_keys -l "$T/rootfs"
tui_keys Enter
tui_wait_for "create $name: done" 8 || fail "create not reported"
tui_wait_re "$name +ct +stopped" || fail "the new container is not listed as stopped"
# Other guests of this host (a libvirt test's domains, say) may be listed too: filter to ours.
tui_keys '\'
tui_keys -l "$name"
tui_keys Enter
tui_wait_for "filter kept" 3 || fail "filter"

# Start it: running, with its cgroup's real memory use against the 512M limit.
tui_keys s
tui_wait_for "start $name: done" 8 || fail "start not reported"
tui_wait_for "cgroup" 5 || fail "no cgroup memory figure"
tui_wait_re "$name +ct +running +1 .* 512M .* cgroup" || fail "running row lacks 1 CPU, 512M, cgroup"

# Its console: a command typed there runs inside (its own hostname), Ctrl-] comes back.
tui_keys c
tui_wait_for "Connected to the console of $name" 5 || fail "c did not attach"
tui_keys Enter
tui_keys -l 'echo in-$(hostname)-ok'
tui_keys Enter
tui_wait_for "in-$name-ok" 5 || fail "the console did not run the command inside"
tui_keys C-]
tui_wait_for "detached from $name" 5 || fail "Ctrl-] did not come back"

# Resize live to 256M / 0.5 CPU.
tui_keys R
tui_wait_for "Resize ct $name (live)" 3 || fail "R did not open the form"
tui_keys BSpace BSpace BSpace BSpace 2 5 6 M Down BSpace 0 . 5 Enter
tui_wait_for "resize $name: done" 8 || fail "resize not reported"
tui_wait_for "256M" 5 || fail "256M not shown"
tui_wait_re "$name +ct +running +0\.5 .* 256M" || fail "row does not show 0.5 CPU and 256M"

# Stop, then delete (it asks).
tui_keys x
tui_wait_for "stop $name: done" 15 || fail "stop not reported"
tui_wait_for "stopped" 5 || fail "not shown stopped"
tui_keys D
tui_wait_for "Delete ct $name" 3 || fail "D did not ask"
tui_keys y
tui_wait_for "delete $name: done" 8 || fail "delete not reported"
tui_wait_gone_re "$name +ct" || fail "the deleted container is still listed"
tui_keys q
echo "PASS: container created, started, attached, resized, stopped and deleted from the console"
