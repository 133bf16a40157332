#!/bin/sh
# vmm-hostile-payload.sh - runs where /dev/kvm is real, packed by vmm-hostile.sh. Two parts:
# 1. hostile control clients against a running virtdeck-vmm: 32 idle connections, a console
#    client flooding the pty that nobody reads, a client pipelining requests without reading
#    replies; after each `status` must still answer within 5 s; then shutdown (forced after 3 s)
#    ends the VM, and SIGTERM ends a second one under the same attack.
# 2. the fault sweep of start: the VMM SIGKILLed right after exec, during setup, when its socket
#    appears and during the guest's boot; after each `virtdeck list` must be truthful (crashed),
#    nothing may be left (VMM process, tap, socket, pid file) once it is started again and killed.
#    Last, a VMM that stops answering (SIGSTOP) must still be killable with `virtdeck kill`.
# Usage: sh vmm-hostile-payload.sh VMM HOSTILE-CLIENT VIRTDECK [PARTS]  (PARTS: "clients sweep")
# Prints "VMMTEST PASS|FAIL <what>" and "VMMTEST-FIGURE name=value" lines; exit 0 = all passed.
vmm=$1
hc=$2
vd=$3
parts=${4:-clients sweep}
st=/tmp/vd-hostile
failed=0
pass() { echo "VMMTEST PASS $*"; }
fail() { echo "VMMTEST FAIL $*"; failed=1; }
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
json() { sed -n "s/.*\"$1\":\\(-\\{0,1\\}[0-9]*\\).*/\\1/p" | head -n 1; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
bg_pids=
cleanup() { for p in $bg_pids; do kill -9 "$p" 2>/dev/null; done; bg_pids=; }
trap cleanup EXIT

start_vm() { # start_vm NAME: a detached VMM whose guest stays up
	"$vmm" --daemon --state-dir "$st" --name "$1" --kernel "$VD_GUEST_KERNEL" \
		--initrd "$VD_GUEST_INITRD" --memory 256M --vcpus 1 \
		--cmdline "$VD_GUEST_APPEND vd.sleep=150" || { fail "$1: virtdeck-vmm --daemon failed"; exit 1; }
}

# status_ok NAME WHAT: a status request answers within 5 s
status_ok() {
	t=$(now)
	if timeout 20 "$vmm" --ctl "$st/vmm/$1.sock" '{"cmd":"status"}' >/tmp/status.out 2>&1 &&
		grep -q '"ok":true' /tmp/status.out && [ "$(awk -v s="$(since "$t")" 'BEGIN { print (s < 5) }')" = 1 ]; then
		pass "$2: status answered in $(since "$t") s"
	else
		fail "$2: status took $(since "$t") s: $(head -c 200 /tmp/status.out)"
	fi
}

attack() { # attack NAME KIND...: start these hostile clients, left running
	s=$st/vmm/$1.sock
	shift
	for kind in "$@"; do
		case $kind in
		idle) "$hc" idle "$s" 32 60 & ;;
		console) "$hc" console "$s" 60 & ;;
		pipeline) "$hc" pipeline "$s" 20000 60 & ;;
		esac
		bg_pids="$bg_pids $!"
		sleep 1
	done
}

rm -rf "$st"
case $parts in *clients*) ;; *) skip_clients=1 ;; esac
if [ -z "${skip_clients:-}" ]; then
# ---- part 1: hostile clients, one kind at a time, then all at once
start_vm h1
pid=$(cat "$st/vmm/h1.pid")
s=$st/vmm/h1.sock
attack h1 console
status_ok h1 "console client flooding the pty, nobody reading"
cleanup
attack h1 pipeline
status_ok h1 "client pipelining 20000 requests, reading no reply"
cleanup
attack h1 idle
status_ok h1 "32 idle connections"
cleanup
attack h1 pipeline console idle
status_ok h1 "all three attacks at once"
echo "VMMTEST-FIGURE hostile_vmm_rss_kb=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)"
t=$(now)
timeout 20 "$vmm" --ctl "$s" '{"cmd":"shutdown","timeout":3}' >/dev/null 2>&1 ||
	fail "shutdown request under attack got no answer"
if wait_for 15 gone "$pid"; then
	pass "shutdown under attack: the VMM ended in $(since "$t") s ($(cat "$st/vmm/h1.exit"))"
else
	fail "shutdown under attack: VMM still running after 15 s"
	kill -9 "$pid"
fi
[ -e "$s" ] || [ -e "$st/vmm/h1.pid" ] && fail "h1: socket or pid file left behind" ||
	pass "h1: socket and pid file removed"
cleanup
bg_pids=

start_vm h2
pid=$(cat "$st/vmm/h2.pid")
attack h2 pipeline console idle
t=$(now)
kill -TERM "$pid"
if wait_for 10 gone "$pid"; then
	pass "SIGTERM under attack: the VMM ended in $(since "$t") s"
else
	fail "SIGTERM under attack: VMM still running after 10 s"
	kill -9 "$pid"
fi
[ -e "$st/vmm/h2.sock" ] || [ -e "$st/vmm/h2.pid" ] && fail "h2: socket or pid file left behind" ||
	pass "h2: socket and pid file removed"
cleanup
bg_pids=
fi
case $parts in *sweep*) ;; *) exit "$failed" ;; esac

# ---- part 2: the fault sweep of `virtdeck start`
export VIRTDECK_STATE_DIR=/tmp/vd-sweep/state VIRTDECK_DATA_DIR=/tmp/vd-sweep/data VIRTDECK_VMM_BIN=$vmm
run=$VIRTDECK_STATE_DIR/vmm
rm -rf /tmp/vd-sweep
net=
[ -c /dev/net/tun ] && [ -d /sys/module/bridge ] && net="--net vdbr1"
"$vd" create vm f1 --kernel "$VD_GUEST_KERNEL" --initrd "$VD_GUEST_INITRD" --memory 256M \
	--vcpus 1 $net --cmdline "$VD_GUEST_APPEND vd.sleep=150" >/dev/null || { fail "create f1"; exit 1; }
state() { "$vd" list --json 2>/dev/null | tr -d ' \n' | sed -n 's/.*"name":"f1","type":"vm","state":"\([a-z]*\)".*/\1/p'; }
# The VMM processes of f1, by their command line (busybox has no pgrep; "[.]" keeps grep itself
# out of the list).
vmm_pids() { grep -ls 'vms/f1[.]ini' /proc/[0-9]*/cmdline 2>/dev/null | sed -n 's,^/proc/\([0-9]*\)/.*,\1,p'; }
kill_vmms() { for p in $(vmm_pids); do kill -9 "$p" 2>/dev/null; done; }
has() { [ -e "$1" ]; }
console_started() { [ -s "$run/f1.console" ]; }
no_vmm() { [ -z "$(vmm_pids)" ]; }
leftovers() { # what a dead f1 must not leave: its VMM, tap, socket, pid file
	out=
	[ -n "$(vmm_pids)" ] && out="$out process"
	[ -n "$net" ] && ip link show vd-f1 >/dev/null 2>&1 && out="$out tap"
	has "$run/f1.sock" && out="$out socket"
	has "$run/f1.pid" && out="$out pid-file"
	echo "$out"
}

sweep() { # sweep POINT: start f1, SIGKILL its VMM at POINT, check, restart, kill, check
	rm -f "$run/f1.console" "$run/f1.sock"
	"$vd" start f1 >/tmp/start.out 2>&1 &
	starter=$!
	case $1 in
	exec) i=0; while [ $i -lt 100 ]; do kill_vmms; i=$((i + 1)); done ;;
	setup) wait_for 30 has "$run/f1.console"; kill_vmms ;;
	socket) wait_for 30 has "$run/f1.sock"; kill_vmms ;;
	boot) wait_for 30 has "$run/f1.sock"; wait_for 30 console_started; sleep 1; kill_vmms ;;
	esac
	wait "$starter"
	kill_vmms # a daemon forked after the last kill of the exec point
	wait_for 10 no_vmm
	st1=$(state)
	case $1:$st1 in
	exec:stopped | exec:crashed | *:crashed) pass "sweep $1: list says $st1" ;;
	*) fail "sweep $1: the VMM was SIGKILLed but list says '$st1'" ;;
	esac
	[ -n "$net" ] && ip link show vd-f1 >/dev/null 2>&1 && fail "sweep $1: tap vd-f1 outlived its VMM"
	if "$vd" start f1 >/tmp/start.out 2>&1 && [ "$(state)" = running ]; then
		pass "sweep $1: start works again"
	else
		fail "sweep $1: restart: $(cat /tmp/start.out) (list: $(state))"
	fi
	"$vd" kill f1 >/tmp/kill.out 2>&1 || fail "sweep $1: kill: $(cat /tmp/kill.out)"
	wait_for 10 no_vmm
	left=$(leftovers)
	[ -z "$left" ] && [ "$(state)" = stopped ] && pass "sweep $1: killed, nothing left" ||
		fail "sweep $1: after kill list says $(state), left:$left"
}
t=$(now)
for point in exec setup socket boot; do
	sweep "$point"
done
echo "VMMTEST-FIGURE sweep_s=$(since "$t")"

# ---- a VMM that stops answering is still killable
"$vd" start f1 >/dev/null 2>&1 || fail "start f1 for the SIGSTOP check"
pid=$(cat "$run/f1.pid" 2>/dev/null)
kill -STOP "$pid"
t=$(now)
if timeout 30 "$vd" kill f1 >/tmp/kill.out 2>&1 && wait_for 5 gone "$pid"; then
	pass "kill of a stopped (unanswering) VMM worked in $(since "$t") s; list says $(state)"
else
	fail "kill of a stopped VMM: $(cat /tmp/kill.out)"
	kill -9 "$pid"
fi
left=$(leftovers)
[ -z "$left" ] && pass "stopped VMM killed, nothing left" || fail "stopped VMM killed, left:$left"
exit "$failed"
