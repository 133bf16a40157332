#!/bin/sh
# exec.sh - `virtdeck exec` from a host shell in a real terminal (tmux) and without one: the command
# gets a pty of its own (TIOCSTI cannot type into the admin's shell), its own session, the
# terminal's size and Ctrl-C, its exit status, and the container's rlimits. Root only.
set -u
. "$(dirname "$0")/lib.sh"
tui_ct_setup tuiexec
command -v cc >/dev/null || { echo "SKIP: no C compiler for the TIOCSTI probe"; exit 77; }
fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }
ok() { echo "ok - $*"; }

# The probe pushes its argument into its stdin terminal's input queue, as an attacker would.
cat > "$T/probe.c" <<'EOF'
#include <stdio.h>
#include <sys/ioctl.h>
int main(int argc, char **argv)
{
	int bad = 0;
	for (const char *p = argc > 1 ? argv[1] : ""; *p; p++)
		bad |= ioctl(0, TIOCSTI, p) < 0;
	char cr = '\r';
	bad |= ioctl(0, TIOCSTI, &cr) < 0;
	printf("probe: TIOCSTI %s\n", bad ? "refused" : "done");
	return 0;
}
EOF
cc -static -O -o "$T/rootfs/probe" "$T/probe.c" || fail "building the TIOCSTI probe"

# Seccomp off: the pty alone must close the hole. nofile differs from ours to show whose it is.
"$VD_BIN" create ct "$name" --rootfs "$T/rootfs" --memory 64M -- /bin/sleep 100000 >/dev/null ||
	fail "create $name"
sed -i 's/^seccomp = .*/seccomp = false/; s/^nofile = .*/nofile = 777/' "$VIRTDECK_DATA_DIR/containers/$name.ini"
grep -q '^seccomp = false' "$VIRTDECK_DATA_DIR/containers/$name.ini" || fail "could not turn seccomp off"
[ "$(ulimit -n)" != 777 ] || ulimit -n 1000
"$VD_BIN" start "$name" >/dev/null || fail "start $name"

# --- without a terminal: pipes and files pass as they are, the command has its own session
out=$(echo hi | timeout 20 "$VD_BIN" exec "$name" -- cat 2>&1) || fail "exec cat through a pipe"
[ "$out" = hi ] || fail "exec cat through a pipe gave '$out'"
echo hi | timeout 20 "$VD_BIN" exec "$name" -- cat > "$T/out" 2>"$T/err" || fail "exec cat > file"
[ "$(cat "$T/out")" = hi ] || fail "exec cat > file wrote '$(cat "$T/out")'"
sid=$(timeout 20 "$VD_BIN" exec "$name" -- sh -c 'echo $$ $(cut -d" " -f6 /proc/$$/stat)' </dev/null 2>&1)
set -- $sid
[ $# = 2 ] && [ "$1" = "$2" ] || fail "the command is not in a session of its own: pid, sid = $sid"
ok "without a terminal: pipe in, file out, own session (pid sid: $sid)"

# --- rlimits are the container's, not the caller's or the supervisor's
init=$(timeout 10 "$VD_BUILDDIR/virtdeck-ct" status "$name" | sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p')
want=$(awk '/^Max open files/ { print $4 }' "/proc/$init/limits")
[ "$want" = 777 ] || fail "init of $name has nofile $want, not the 777 of its definition"
got=$(timeout 20 "$VD_BIN" exec "$name" -- sh -c 'ulimit -n' </dev/null 2>&1)
[ "$got" = "$want" ] || fail "exec'd nofile is $got, the container's init has $want (ours: $(ulimit -n))"
ok "exec'd nofile $got = init's"

# --- from a terminal: a host shell in a tmux pane
stamp=$T/sti-injected
tui_start 120 30 "cd $T && exec env VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state PS1='host$ ' sh -i"
tui_wait_for 'host$' 10 || fail "the host shell did not start"
run() {
	tui_keys -l "$1"
	tui_keys Enter
}
# Commands print E""XIT=: the typed line shows the quotes, only the output matches EXIT=.
wait_re() { tui_poll "$2" tui_has_re "$1"; }

# TIOCSTI from the container must not reach the host shell after exec returns.
stty_before=$T/stty.before
run "stty -g > $stty_before; $VD_BIN exec $name -- /probe 'touch $stamp'; echo E\"\"XIT=\$?"
wait_re "EXIT=[0-9]" 20 || fail "exec of the probe did not return"
run "echo marker-one"
tui_wait_for "marker-one" 10 || fail "the host shell does not answer after the probe"
sleep 1
[ ! -e "$stamp" ] || fail "TIOCSTI from inside the container ran a command in the host shell"
tui_screen | grep -q "probe: TIOCSTI" || fail "the probe did not run"
ok "TIOCSTI from inside reaches no host shell ($(tui_screen | grep -o 'probe: TIOCSTI [a-z]*' | head -1))"

# tty names a pty of the container's own devpts.
run "$VD_BIN exec $name -- sh -c 'echo T\"\"TY=\$(tty) PTS=\$(ls /dev/pts | tr \"\\n\" ,)'"
wait_re "TTY=.* PTS=" 20 || fail "exec tty did not print"
line=$(tui_screen | grep -o 'TTY=[^ ]* PTS=[^ ]*$' | tail -1)
n=$(echo "$line" | sed -n 's|^TTY=/dev/pts/\([0-9]*\) .*|\1|p')
[ -n "$n" ] && echo "$line" | grep -qE "PTS=(.*,)?$n," || fail "tty inside is not a container pty: $line"
ok "tty inside: $line"

# The size of the pane, and the new size after a resize (SIGWINCH forwarded).
size=$(tui_tmux display -p -t vd '#{pane_height} #{pane_width}')
run "clear; $VD_BIN exec $name -- stty size"
wait_re "^$size" 20 || fail "stty size inside is not the pane's $size"
run "$VD_BIN exec $name -- sh -c 'while :; do echo S\"\"Z=\$(stty size); sleep 0.3; done'"
tui_wait_for "SZ=$size" 20 || fail "the long-running exec does not see $size"
tui_tmux resize-window -t vd -x 100 -y 25
size2=$(tui_tmux display -p -t vd '#{pane_height} #{pane_width}')
[ "$size2" != "$size" ] || fail "tmux did not resize the pane"
tui_wait_for "SZ=$size2" 20 || fail "after the resize the exec does not see $size2"
ok "size $size, then $size2 after SIGWINCH"

# Ctrl-C reaches the command, not virtdeck: the command's trap decides the exit status.
tui_keys C-c
tui_wait_for 'host$' 10 || fail "Ctrl-C did not end the loop"
run "clear; $VD_BIN exec $name -- sh -c 'trap \"echo GOT-INT; exit 7\" INT; echo READY; while :; do sleep 1; done'; echo E\"\"XIT=\$?"
tui_wait_for "READY" 20 || fail "the trap command did not start"
tui_keys C-c
wait_re "EXIT=[0-9]" 20 || fail "Ctrl-C did not end exec"
tui_screen | grep -q "GOT-INT" || fail "Ctrl-C did not reach the command"
tui_screen | grep -q "EXIT=7" || fail "virtdeck did not return the command's status 7 after Ctrl-C"
ok "Ctrl-C reached the command; status 7 came back"

# Exit status, and the terminal settings are as before.
run "clear; $VD_BIN exec $name -- sh -c 'exit 3'; echo E\"\"XIT=\$?; stty -g > $T/stty.after"
tui_wait_for "EXIT=3" 20 || fail "exit 3 inside did not make virtdeck exit 3"
tui_poll 10 test -s "$T/stty.after"
cmp -s "$stty_before" "$T/stty.after" || fail "terminal settings changed: $(cat "$stty_before") -> $(cat "$T/stty.after")"
ok "exit 3 came back, terminal settings unchanged"

# Input from a pipe, output to the pane: the command reads the pipe's end as its EOF key.
run "clear; echo from-a-pipe | $VD_BIN exec $name -- cat; echo E\"\"XIT=\$?"
wait_re "EXIT=[0-9]" 20 || fail "exec cat with a pipe for input did not end"
tui_screen | grep -q "^from-a-pipe" && tui_screen | grep -q "EXIT=0" || fail "piped input to a pty"
ok "piped input reaches the command through its pty and ends it"

# stdin and stdout redirected, stderr still the pane: stderr reaches the command as a pipe.
run "clear; echo | $VD_BIN exec $name -- sh -c 'readlink /proc/self/fd/2' > $T/fd2; echo E\"\"XIT=\$?"
wait_re "EXIT=[0-9]" 20 || fail "exec with only stderr a terminal did not return"
grep -q '^pipe:' "$T/fd2" || fail "with only stderr a terminal, the command's fd 2 is $(cat "$T/fd2")"
ok "only stderr a terminal: the command's fd 2 is $(cat "$T/fd2")"

# Killed while running: the terminal is restored on that path too.
run "clear; $VD_BIN exec $name -- sleep 600; echo E\"\"XIT=\$?; stty -g > $T/stty.killed"
shell=$(tui_tmux display -p -t vd '#{pane_pid}')
find_vd() { vd=$(pgrep -P "$shell"); }
find_cmd() { helper=$(pgrep -P "$vd") && cmd=$(pgrep -P "$helper"); }
tui_poll 10 find_vd || fail "virtdeck exec is not running in the pane"
tui_poll 10 find_cmd || fail "the command of virtdeck exec did not start"
# The command has the container's pty, never the pane's; the relaying helper keeps nothing of the
# container but the pty master (and its signalfd).
pane_tty=$(tui_tmux display -p -t vd '#{pane_tty}')
for fd in 0 1 2; do
	# The same file, not the same name: the container's devpts has a /dev/pts/0 of its own too.
	[ "$(stat -L -c %d:%i "/proc/$cmd/fd/$fd")" != "$(stat -L -c %d:%i "$pane_tty")" ] ||
		fail "the command has the pane's tty as fd $fd"
done
kept=$(for f in /proc/"$helper"/fd/*; do [ "${f##*/}" -gt 2 ] && readlink "$f"; done | sort | tr '\n' ' ')
[ "$kept" = "/dev/pts/ptmx anon_inode:[signalfd] " ] || fail "the relaying helper holds: $kept"
ok "command's stdio is a container pty, the helper holds only: $kept"
# Raw while the command has the pty: the restore below is a real one.
pane_raw() { [ "$(stty -F "$pane_tty" -g)" != "$(cat "$stty_before")" ]; }
tui_poll 10 pane_raw || fail "the pane's terminal is not raw while exec runs"
kill -TERM $vd
wait_re "EXIT=[0-9]" 20 || fail "exec did not end after SIGTERM"
tui_poll 10 test -s "$T/stty.killed"
cmp -s "$stty_before" "$T/stty.killed" || fail "terminal left changed after SIGTERM: $(cat "$T/stty.killed")"
ok "SIGTERM to virtdeck exec: $(tui_screen | grep -o 'EXIT=[0-9]*' | tail -1), terminal settings restored"
echo "PASS: exec has its own pty and session, the terminal's size, Ctrl-C, status and the container's rlimits"
