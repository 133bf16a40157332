#!/bin/sh
# ct-faults.sh - the fault sweep: the CLI, the console and the supervisor are SIGKILLed at each
# step of create, start, resize, stop, kill and delete (failpoints, src/common/failpoint.h).
# After each death `virtdeck list --json` tells the truth, the container can be killed,
# restarted, stopped and deleted, and nothing is left: cgroups, mounts, state files, processes.
. "$(dirname "$0")/ct-lib.sh"

scope=$("$CT" cgroup-scope -)
SUPS=""
faults_cleanup() {
	for p in $SUPS; do kill -9 "$p" 2>/dev/null; done
	[ -n "${TMUX_S:-}" ] && tmux kill-session -t "$TMUX_S" 2>/dev/null
	ct_cleanup
	[ -n "${BRIDGE:-}" ] && ip link del "$BRIDGE" 2>/dev/null
}
trap faults_cleanup EXIT

cg_dirs() { find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$scope/virtdeck/$1" 2>/dev/null; }

# What really is: running when its supervisor answers, lost when tasks are left in its
# cgroups without one, stopped otherwise.
reality() {
	if timeout 5 "$CT" status "$1" >/dev/null 2>&1; then
		echo running
		return
	fi
	for d in $(cg_dirs "$1"); do
		[ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || { echo lost; return; }
	done
	echo stopped
}

# What `virtdeck list --json` says ("" when it does not list the container).
listed() {
	vd list --json | tr -d ' \n' | grep -o "\"name\":\"$1\",\"type\":\"ct\",\"state\":\"[a-z]*\"" |
		sed 's/.*"state":"\([a-z]*\)"/\1/'
}

# Supervisors of this test that are still at work (a CLI death does not stop them): wait.
settle() {
	i=0
	while [ $i -lt 150 ]; do
		busy=""
		for p in $(pgrep -f "virtdeck-ct start $1\$" 2>/dev/null); do
			[ -S "$VIRTDECK_STATE_DIR/ct/$1.sock" ] || busy=$p # starting or stopping
		done
		[ -z "$busy" ] && return 0
		i=$((i + 1))
		sleep 0.1
	done
}

# Nothing of the test's state dir is left: cgroups (any controller), mounts, files.
assert_clean() {
	left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$scope" 2>/dev/null)
	[ -z "$left" ] || fail "$1: cgroups left behind: $left"
	! grep -q "$T" /proc/self/mountinfo || fail "$1: mounts under $T left on the host"
	files=$(ls -A "$VIRTDECK_STATE_DIR/ct" 2>/dev/null)
	[ -z "$files" ] || fail "$1: state files left behind: $files"
	procs=$(pgrep -f "virtdeck-ct start $2\$")
	[ -z "$procs" ] || fail "$1: supervisor processes left: $procs"
}

# After the death: truthful list, then every way back works and nothing leaks.
check_after() {
	point=$1 name=$2
	settle "$name"
	real=$(reality "$name")
	shown=$(listed "$name")
	if [ ! -e "$VIRTDECK_DATA_DIR/containers/$name.ini" ]; then
		[ -z "$shown" ] || fail "$point: $name has no definition but is listed as $shown"
		[ "$real" = stopped ] || fail "$point: $name has no definition but is $real"
		assert_clean "$point (no definition)" "$name"
		vd create ct "$name" --rootfs "$ROOTFS" --memory 32M -- /bin/sleep 600 >/dev/null ||
			fail "$point: create again"
		shown=stopped real=stopped
	fi
	[ "$shown" = "$real" ] || fail "$point: list says $name is '$shown', it is $real"
	case $real in
	running) vd stop -t 0 "$name" >/dev/null || fail "$point: stop of running $name" ;;
	lost) vd kill "$name" >/dev/null || fail "$point: kill of lost $name" ;;
	esac
	[ "$(reality "$name")" = stopped ] && [ "$(listed "$name")" = stopped ] ||
		fail "$point: $name not stopped after stop/kill (list: $(listed "$name"))"
	vd start "$name" >/dev/null || fail "$point: restart of $name"
	[ "$(listed "$name")" = running ] || fail "$point: $name not running after restart"
	vd stop -t 0 "$name" >/dev/null || fail "$point: stop after restart"
	vd delete "$name" >/dev/null || fail "$point: delete"
	assert_clean "$point" "$name"
	ok "$point: listed $shown (true), kill/stop, start, stop, delete work, nothing left"
}

fpx() { point=$1; shift; VIRTDECK_FAILPOINT=$point timeout 30 "$VD" "$@" >/dev/null 2>&1; }
mk() { vd create ct "$1" --rootfs "$ROOTFS" --memory 32M -- /bin/sleep 600 >/dev/null || fail "create $1"; }
sup_of() { ct_field status "$1" supervisor_pid; }

k=0
next() { k=$((k + 1)); name=f$$-$k; CT_NAMES="$CT_NAMES $name"; }

# create
for point in ct-cli-create-before-save ct-cli-create-after-save; do
	next
	fpx $point create ct $name --rootfs "$ROOTFS" --memory 32M -- /bin/sleep 600
	check_after $point $name
done

# start: the CLI, then the supervisor at each step (it inherits the failpoint from the CLI)
for point in ct-cli-start-before-helper ct-cli-start-after-helper ct-super-after-lock \
	ct-super-after-record ct-super-after-cgroup ct-super-before-clone ct-super-after-clone \
	ct-super-before-ready ct-super-after-listen; do
	next
	mk $name
	fpx $point start $name
	check_after $point $name
done

# resize: the CLI after the live change; the supervisor (started with the point) mid-request
next
mk $name
vd start $name >/dev/null || fail "start $name"
fpx ct-cli-resize-after-live resize $name --memory 48M
check_after ct-cli-resize-after-live $name
for point in ct-super-resize ct-super-stop ct-super-reaped ct-super-cleanup; do
	next
	mk $name
	VIRTDECK_FAILPOINT=$point vd start $name >/dev/null || fail "start $name with $point armed"
	SUPS="$SUPS $(sup_of $name)"
	case $point in
	ct-super-resize) vd resize $name --memory 48M >/dev/null 2>&1 ;;
	*) vd stop -t 0 $name >/dev/null 2>&1 ;;
	esac
	check_after $point $name
done

# stop: the CLI killed while it waits for a graceful stop (init traps TERM; timeout 3 s)
next
vd create ct $name --rootfs "$ROOTFS" --memory 32M -- /bin/sh -c 'trap "" HUP; trap "sleep 1" TERM; while :; do sleep 1; done' \
	>/dev/null || fail "create $name"
vd start $name >/dev/null || fail "start $name"
timeout 30 "$VD" stop -t 3 $name >/dev/null 2>&1 &
sleep 0.5
kill -9 $! 2>/dev/null
check_after cli-killed-during-stop $name

# kill of a crashed container: the CLI dies between killing the tasks and removing the groups
next
mk $name
vd start $name >/dev/null || fail "start $name"
kill -9 "$(sup_of $name)"
fpx ct-cli-recover-after-kill kill $name
check_after ct-cli-recover-after-kill $name

# A container left running by a supervisor that wrote no record (killed before this version
# wrote one first): start kills the leftover tasks of our own cgroup and starts afresh.
next
mk $name
vd start $name >/dev/null || fail "start $name"
init=$(ct_field status $name init_pid)
kill -9 "$(sup_of $name)"
rm -f "$VIRTDECK_STATE_DIR/ct/$name.json" "$VIRTDECK_STATE_DIR/ct/$name.sock"
vd start $name >/dev/null || fail "start over the leftover tasks of a lost supervisor"
[ "$(awk '{print $3}' /proc/"$init"/stat 2>/dev/null)" = Z ] || [ ! -e /proc/"$init" ] ||
	fail "the leftover init $init survived the new start"
check_after no-record-leftovers $name

# delete
for point in ct-cli-delete-after-settle ct-cli-delete-after-state; do
	next
	mk $name
	vd start $name >/dev/null || fail "start $name"
	vd stop -t 0 $name >/dev/null || fail "stop $name"
	fpx $point delete $name
	check_after $point $name
done

# net=bridge: no veth and no address claim outlive a death around the network set-up.
if command -v ip >/dev/null; then
	br=$(echo "vdf$$" | cut -c1-15)
	BRIDGE=$br
	subnet=10.198.$(( $$ % 200 + 20 )).0/24
	for point in ct-super-after-clone ct-super-before-ready ct-super-after-listen; do
		next
		vd create ct $name --rootfs "$ROOTFS" --memory 32M --net bridge -- /bin/sleep 600 \
			>/dev/null || fail "create $name"
		printf 'bridge = %s\nsubnet = %s\n' "$br" "$subnet" >> "$VIRTDECK_DATA_DIR/containers/$name.ini"
		fpx $point start $name
		check_after "$point (net=bridge)" $name
		i=0
		while [ -n "$(ls /sys/class/net/"$br"/brif 2>/dev/null)" ]; do
			i=$((i + 1))
			[ $i -lt 100 ] || fail "$point (net=bridge): veths left on $br: $(ls /sys/class/net/"$br"/brif)"
			sleep 0.1
		done
	done
	ok "net=bridge: no veth left on $br after the deaths"
else
	echo "# iproute2 missing: net=bridge cases skipped"
fi

# The console (the TUI in tmux) killed in the middle of its start and stop actions.
command -v tmux >/dev/null || { echo "# tmux missing: console cases skipped"; exit 0; }
TMUX_S=vdf$$
for point in ct-cli-start-after-helper ct-super-after-clone; do
	next
	mk $name
	tmux new-session -d -s $TMUX_S -x 160 -y 30 \
		"VIRTDECK_FAILPOINT=$point VIRTDECK_STATE_DIR=$VIRTDECK_STATE_DIR VIRTDECK_DATA_DIR=$VIRTDECK_DATA_DIR $VD -d 0.5"
	i=0
	until tmux capture-pane -p -t $TMUX_S 2>/dev/null | grep -q " $name "; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "console never showed $name"
		sleep 0.1
	done
	tmux send-keys -t $TMUX_S s
	sleep 1
	tmux kill-session -t $TMUX_S 2>/dev/null
	check_after "console+$point" $name
done
