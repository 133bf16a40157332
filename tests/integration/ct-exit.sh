#!/bin/sh
# ct-exit.sh - why a container stopped, as a user checks it: an OOM-killed workload shows
# `oom-killed` (table in tmux, the detail view, list --json, top -b --csv), a command that prints
# and exits 3 shows `exited 3` (also after the state directory is wiped, as by a reboot), and a
# supervisor killed with SIGKILL leaves a `lost` row with the container's live memory.
. "$(dirname "$0")/ct-lib.sh"
VD_BIN=$VD
. "$srcdir/tests/tui/lib.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (apt-get install tmux)"
exit_cleanup() { tui_cleanup; ct_cleanup; }
trap exit_cleanup EXIT

# The value of KEY in the guest NAME's object of `virtdeck list --json` (strings unquoted).
jfield() {
	vd list --json | tr -d '\n' | sed 's/}, *{/}\n{/g' | grep "\"name\": \"$1\"" |
		sed -n "s/.*\"$2\": \"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" | head -1
}
# Poll (0.1 s steps, up to $2 s) until NAME's JSON state is not "running".
wait_stopped() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		s=$(jfield "$1" state)
		[ -n "$s" ] && [ "$s" != running ] && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

# --- a command that prints and exits 3
b=boom$$
ct_new "$b" --memory 32M -- /bin/sh -c 'echo boom; exit 3'
wait_stopped "$b" 30 || fail "$b still running"
[ "$(jfield "$b" state)" = "exited 3" ] || fail "list --json says $b is '$(jfield "$b" state)', not 'exited 3'"
[ "$(jfield "$b" exit_code)" = 3 ] || fail "list --json exit_code is '$(jfield "$b" exit_code)'"
vd list | grep -Eq "^ct +[a-z]+ +$b +ct +exited 3 .*exited with status 3" ||
	fail "list does not show 'exited 3' with its reason: $(vd list | grep "$b")"
rm -rf "$VIRTDECK_STATE_DIR" # what a reboot does to /run
[ "$(jfield "$b" state)" = "exited 3" ] || fail "the exit was forgotten with the state dir: $(jfield "$b" state)"
ok "exits 3: listed 'exited 3' with status 3 and the reason, kept after the state dir is wiped"

# --- the OOM killer ends init (tail buffers an endless line from /dev/zero)
hg=hog$$
ct_new "$hg" --memory 16M -- /bin/sh -c 'exec tail /dev/zero'
wait_stopped "$hg" 60 || fail "$hg was not OOM-killed within 60 s"
[ "$(jfield "$hg" state)" = oom-killed ] || fail "list --json says $hg is '$(jfield "$hg" state)', not oom-killed"
[ "$(jfield "$hg" oom_kills)" -ge 1 ] || fail "oom_kills is '$(jfield "$hg" oom_kills)'"
jfield "$hg" reason | grep -q "OOM kill" || fail "the reason does not name the OOM kill: $(jfield "$hg" reason)"
csv=$(vd top -b -n 1 -d 0.2 --csv)
echo "$csv" | head -1 | grep -q '^time,engine,host,name,type,state,vcpus,cpu_limit,cpu_pct_alloc,cpu_pct_host,mem_alloc_bytes,mem_used_bytes,mem_pct_alloc,mem_source,cpu_time_ns,' ||
	fail "top -b --csv changed its existing columns: $(echo "$csv" | head -1)"
echo "$csv" | head -1 | grep -q ',reason,exit_code,exit_signal,oom_kills,exit,cpu_window_s$' || fail "no exit columns at the end of the CSV"
echo "$csv" | grep ",$hg,ct,oom-killed," | grep -q ',9,[1-9][0-9]*,oom,[0-9.]*$' ||
	fail "top -b --csv row for $hg: $(echo "$csv" | grep ",$hg,")"
ok "OOM: list --json and top -b --csv say oom-killed, signal 9, the OOM count and the reason"

tui_start 220 30 "VIRTDECK_DATA_DIR=$VIRTDECK_DATA_DIR VIRTDECK_STATE_DIR=$VIRTDECK_STATE_DIR $VD -d 0.5"
tui_wait_re "$hg +ct +oom-killed .* OOM kill" 20 || fail "the table does not show $hg oom-killed with its reason"
tui_wait_re "$b +ct +exited 3 " 5 || fail "the table does not show $b as exited 3"
tui_keys '\'
tui_keys -l "$hg"
tui_keys Enter
tui_wait_for "filter kept" 5 || fail "filter"
tui_keys Enter
tui_wait_re "$hg - container on engine ct, host .* - oom-killed" 10 || fail "the detail view's title"
tui_wait_re "Stopped +OOM kill: its cgroup ran out of memory at " 5 || fail "the detail view does not say why"
tui_wait_re "OOM kills +[1-9]" 5 || fail "the detail view does not count the OOM kills"
tui_cleanup
ok "OOM: the table and the detail view say oom-killed, why and how many"

# --- the supervisor is SIGKILLed: the container still runs and its memory is still shown
l=lost$$
ct_new "$l" --memory 64M -- /bin/sh -c 'head -c 8000000 /dev/zero >/dev/hold; sleep 600'
sleep 1
sup=$(ct_field status "$l" supervisor_pid)
[ -n "$sup" ] || fail "no supervisor pid for $l"
kill -9 "$sup"
[ "$(jfield "$l" state)" = lost ] || fail "a container without its supervisor is '$(jfield "$l" state)', not lost"
jfield "$l" reason | grep -q "supervisor lost" || fail "no reason for lost: $(jfield "$l" reason)"
memdir=$(find /sys/fs/cgroup/memory -type d -path "*/virtdeck/$l" 2>/dev/null | head -1)
if [ -n "$memdir" ]; then
	usage=$(cat "$memdir/memory.usage_in_bytes")
	inact=$(awk '$1 == "total_inactive_file" { print $2 }' "$memdir/memory.stat")
	want=$((usage - inact))
else # cgroup v2
	memdir=$(find /sys/fs/cgroup -type d -path "*/virtdeck/$l" | head -1)
	want=$(($(cat "$memdir/memory.current") - $(awk '$1 == "inactive_file" { print $2 }' "$memdir/memory.stat")))
fi
got=$(jfield "$l" mem_used_bytes)
[ -n "$got" ] && [ "$got" != null ] || fail "a lost container shows no memory"
[ "$got" -gt 8000000 ] || fail "a lost container's memory $got is below the 8 MB it holds"
diff=$((got > want ? got - want : want - got))
[ $diff -lt $((want / 10)) ] || fail "lost $l shows $got bytes, its cgroup says $want"
vd list | grep -Eq "^ct +[a-z]+ +$l +ct +lost .* [0-9.]+M .*supervisor lost" ||
	fail "list text row: $(vd list | grep "$l")"
vd kill "$l" >/dev/null || fail "kill of a lost container"
[ "$(jfield "$l" state)" = stopped ] || fail "lost $l not stopped after kill: $(jfield "$l" state)"
jfield "$l" reason | grep -q "killed by user" || fail "after kill the reason is $(jfield "$l" reason)"
ok "supervisor killed: listed lost with its cgroup's live memory ($got vs $want bytes), killed by user after"
