#!/bin/sh
# vmm-payload.sh - runs where /dev/kvm is real (inside the nested harness, or on a KVM host), packed
# by vmm-guest.sh: boots the inner guest with virtdeck-vmm and checks, in one boot, the /init
# marker, two vCPUs, virtio-blk read+write, balloon stats and inflate, pause/resume, a console
# client killed with SIGKILL, and shutdown by Ctrl-Alt-Del, all through the control socket.
# With VIRTDECK (the console binary) it then does the user's path through the CLI: create, start,
# list (memory really used from the balloon), resize by balloon, pause/resume, a console killed
# with SIGKILL, stop, delete.
# With VMLINUX (an uncompressed ELF kernel) it finally boots that through its PVH entry note.
# Where /dev/net/tun and the bridge module are there (run-in-kvm.sh --kmod tun --kmod bridge), the
# first VM also gets virtio-net on a tap in bridge vdbr0, and host and guest ping each other.
# Usage: sh vmm-payload.sh VMM DISK.img [VIRTDECK [VMLINUX]]
# Prints "VMMTEST PASS|FAIL <what>" lines and "VMMTEST-FIGURE <name>=<value>"; exit 0 = all passed.
vmm=$1
disk=$2
vd=${3:-}
vmlinux=${4:-none}
net=
netargs=
if [ -c /dev/net/tun ] && [ -d /sys/module/bridge ]; then
	net="--net vdbr0"
	netargs="vd.ip=10.0.2.15/24 vd.ping=10.0.2.1"
fi
st=/tmp/vd-vmm-test
sock=$st/vmm/t1.sock
con=$st/vmm/t1.console
failed=0
pass() { echo "VMMTEST PASS $*"; }
fail() { echo "VMMTEST FAIL $*"; failed=1; }
now() { cut -d' ' -f1 /proc/uptime; }
ctl() { "$vmm" --ctl "$sock" "$1"; }
# json NAME: the first integer value of "NAME": in stdin
json() { sed -n "s/.*\"$1\":\\(-\\{0,1\\}[0-9]*\\).*/\\1/p" | head -n 1; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	n=$(($1 * 5)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
	return 1
}
in_console() { grep -q "^$1" "$con" 2>/dev/null; }

rm -rf "$st"
t0=$(now)
# Started by a subshell that is SIGKILLed at once: the VMM must not depend on its starter.
( exec "$vmm" --daemon --state-dir "$st" --name t1 --kernel "$VD_GUEST_KERNEL" \
	--initrd "$VD_GUEST_INITRD" --memory 256M --vcpus 2 --disk "$disk" $net \
	--cmdline "$VD_GUEST_APPEND $netargs vd.sleep=150" ) &
starter=$!
wait "$starter"
rc=$?
kill -9 "$starter" 2>/dev/null
[ "$rc" = 0 ] || { fail "virtdeck-vmm --daemon exited $rc"; cat "$st/vmm/t1.log" 2>/dev/null; exit 1; }
pass "virtdeck-vmm detached and answers on $sock"
if [ -n "$net" ]; then
	ip addr add 10.0.2.1/24 dev vdbr0 && ip link set vdbr0 up && pass "net: bridge vdbr0 made by the VMM" ||
		fail "net: no bridge vdbr0: $(ip link 2>&1 | tail -n 4)"
fi

if wait_for 60 in_console VIRTDECK-GUEST-UP; then
	pass "guest reached its /init marker"
	echo "VMMTEST-FIGURE start_to_marker_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
	s=$(ctl '{"cmd":"status"}')
	echo "VMMTEST-FIGURE vmm_setup_us=$(($(echo "$s" | json setup_ns) / 1000)) vmm_setup_cpu_us=$(($(echo "$s" | json setup_cpu_ns) / 1000))"
else
	fail "no VIRTDECK-GUEST-UP on the console in 60 s"
	tr -d '\r' <"$con" | tail -n 30
	cat "$st/vmm/t1.log"
	exit 1
fi
wait_for 10 in_console GUEST-BLK= || true
tr -d '\r' <"$con" | sed 's/^/guest: /'
in_console GUEST-NPROC=2 && pass "guest sees 2 vCPUs" || fail "guest does not see 2 vCPUs"
in_console GUEST-BLK-READ=hello-from-host && pass "virtio-blk: guest read the host's file" ||
	fail "virtio-blk: guest did not read hello.txt"
in_console GUEST-BLK=ok && pass "virtio-blk: guest wrote, synced and unmounted" || fail "virtio-blk write"
if [ -n "$net" ]; then
	wait_for 20 in_console GUEST-PING= || true
	in_console GUEST-PING=ok && pass "virtio-net: guest pinged the host over tap+bridge" ||
		fail "virtio-net: guest could not ping 10.0.2.1"
	ping -c 1 -W 5 10.0.2.15 >/dev/null 2>&1 && pass "virtio-net: host pinged the guest" ||
		fail "virtio-net: host could not ping the guest"
fi

# ---- balloon statistics, then inflate by 96 MiB
has_stats() { ctl '{"cmd":"stats"}' | grep -q '"valid":true'; }
if wait_for 15 has_stats; then
	s=$(ctl '{"cmd":"stats"}')
	echo "stats: $s"
	total0=$(echo "$s" | sed 's/.*"balloon"://' | json total)
	avail0=$(echo "$s" | sed 's/.*"balloon"://' | json available)
	pass "balloon reports guest memory: total $total0 available $avail0"
	echo "VMMTEST-FIGURE vmm_overhead_bytes=$(echo "$s" | json vmm_overhead)"
	[ "$(echo "$s" | json io_write)" -gt 0 ] && [ "$(echo "$s" | json io_read)" -gt 0 ] &&
		pass "stats count the disk traffic: read $(echo "$s" | json io_read) written $(echo "$s" | json io_write) bytes" ||
		fail "stats show no disk traffic"
	# The VMM stamps its vCPU reading and keeps one a second or more before it: one reply gives
	# a rate, and two vCPU threads cannot have run more than twice the time between the two.
	t=$(echo "$s" | json t_ns) c=$(echo "$s" | json cpu_ns)
	wt=$(echo "$s" | json win_t_ns) wc=$(echo "$s" | json win_cpu_ns)
	[ -n "$wt" ] && [ $((t - wt)) -ge 1000000000 ] && [ "$wc" -le "$c" ] &&
		[ $((c - wc)) -le $((2 * (t - wt))) ] &&
		pass "stats carry a stamped reading $(((t - wt) / 1000000)) ms older: $(((c - wc) / 1000000)) ms of vCPU time" ||
		fail "stats lack an engine-stamped earlier reading: t $t cpu $c win $wt/$wc"
	echo "VMMTEST-FIGURE rss_bytes=$(echo "$s" | json rss)"
	echo "VMMTEST-FIGURE mem_touched_bytes=$(echo "$s" | json mem_touched)"
	ctl '{"cmd":"balloon","bytes":167772160}' >/dev/null || fail "balloon request refused"
	shrunk() {
		t=$(ctl '{"cmd":"stats"}' | sed 's/.*"balloon"://' | json total)
		[ -n "$t" ] && [ "$t" -lt $((total0 - 64 * 1048576)) ]
	}
	if wait_for 20 shrunk; then
		s=$(ctl '{"cmd":"stats"}')
		pass "balloon inflated: guest total $total0 -> $(echo "$s" | sed 's/.*"balloon"://' | json total)"
	else
		fail "balloon target set but the guest's total did not drop: $(ctl '{"cmd":"stats"}')"
	fi
else
	fail "no balloon statistics: $(ctl '{"cmd":"stats"}')"
fi

# ---- pause / resume: paused vCPUs burn no CPU
ctl '{"cmd":"pause"}' | grep -q '"state":"paused"' && pass "pause" || fail "pause"
c1=$(ctl '{"cmd":"stats"}' | json cpu_ns)
sleep 1
c2=$(ctl '{"cmd":"stats"}' | json cpu_ns)
[ -n "$c1" ] && [ $((c2 - c1)) -lt 5000000 ] && pass "paused vCPUs used $(((c2 - c1) / 1000)) us in 1 s" ||
	fail "paused vCPUs still ran: $c1 -> $c2 ns"
ctl '{"cmd":"resume"}' | grep -q '"state":"running"' && pass "resume" || fail "resume"

# ---- a console client killed with SIGKILL leaves the VM running
sleep 30 | "$vmm" --attach "$sock" >/tmp/attach.out &
att=$!
sleep 1
grep -q "GUEST-" /tmp/attach.out && pass "console attach shows the recent guest output" ||
	fail "console attach showed nothing: $(head -c 200 /tmp/attach.out)"
kill -9 "$att"
wait "$att" 2>/dev/null
if ctl '{"cmd":"status"}' | grep -q '"state":"running"'; then
	pass "console client SIGKILLed, VM still running"
else
	fail "VM gone after its console client was killed"
	ls -la "$st/vmm"; ps; dmesg | tail -n 20; tail -n 5 "$con"; cat "$st/vmm/t1.log"
fi

# ---- graceful shutdown: Ctrl-Alt-Del through the i8042, the guest resets, the VMM exits
pid=$(ctl '{"cmd":"status"}' | json pid)
ctl '{"cmd":"shutdown","timeout":20}' >/dev/null || fail "shutdown request refused"
gone() { ! kill -0 "$pid" 2>/dev/null; }
if wait_for 25 gone; then
	if grep -q "stopped: reset" "$st/vmm/t1.log" && grep -q reset "$st/vmm/t1.exit"; then
		pass "shutdown: Ctrl-Alt-Del made the guest reset and the VMM exit"
	else
		fail "shutdown: VMM exited but not by guest reset: $(tail -n 2 "$st/vmm/t1.log")"
	fi
else
	fail "shutdown: VMM still running 25 s after Ctrl-Alt-Del"
	ctl '{"cmd":"kill"}'
fi
[ -e "$sock" ] && fail "control socket left behind" || pass "control socket removed"
cat "$st/vmm/t1.log"

# ---- PVH: the same kernel uncompressed, entered at its PVH note (one vCPU, straight to poweroff)
if [ -f "$vmlinux" ]; then
	t=$(now)
	timeout 90 "$vmm" --state-dir "$st" --name pvh --console-stdout --kernel "$vmlinux" \
		--initrd "$VD_GUEST_INITRD" --memory 256M --vcpus 1 --cmdline "$VD_GUEST_APPEND" \
		</dev/null >/tmp/pvh.out 2>&1
	rc=$?
	if grep -q '^VIRTDECK-GUEST-UP' /tmp/pvh.out && [ "$rc" = 0 ]; then
		pass "PVH: vmlinux booted to its marker and powered off"
		echo "VMMTEST-FIGURE pvh_start_to_poweroff_s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
	else
		fail "PVH boot (exit $rc): $(tail -n 5 /tmp/pvh.out)"
	fi
fi
[ -n "$vd" ] || exit "$failed"

# ---- the same through the virtdeck CLI and the vmm engine
export VIRTDECK_STATE_DIR=/tmp/vd-cli/state VIRTDECK_DATA_DIR=/tmp/vd-cli/data
con=$VIRTDECK_STATE_DIR/vmm/c1.console
vdj() { "$vd" list --json 2>/dev/null | tr -d ' \n'; }
"$vd" create vm c1 --kernel "$VD_GUEST_KERNEL" --initrd "$VD_GUEST_INITRD" --memory 256M --vcpus 1 \
	--cmdline "$VD_GUEST_APPEND vd.sleep=150" && pass "cli: create vm" || fail "cli: create vm"
"$vd" start c1 && pass "cli: start" || fail "cli: start"
wait_for 60 in_console VIRTDECK-GUEST-UP && pass "cli: guest booted to its marker" || fail "cli: no marker"
# What the guest printed is kept with a time per line: virtdeck logs (and its --tail, -t).
vlog() { "$vd" logs "$@" c1 2>&1 | tr -d '\r'; }
vlog | grep -q '^VIRTDECK-GUEST-UP' && pass "cli: virtdeck logs shows the guest's console output" ||
	fail "cli: virtdeck logs lacks the marker: $(vlog | tail -3)"
[ "$(vlog --tail 2 | wc -l)" = 2 ] && vlog -t --tail 1 | grep -Eq '^[0-9-]{10}T[0-9:.]+Z ' &&
	pass "cli: logs --tail 2 and -t" || fail "cli: logs --tail/-t: $(vlog -t --tail 2)"
balloon_src() { vdj | grep -q '"name":"c1","type":"vm","state":"running".*"mem_source":"balloon"'; }
if wait_for 15 balloon_src; then
	pass "cli: list shows the memory really used, from the balloon: $(vdj | grep -o '"mem_alloc_bytes":[0-9]*,"mem_used_bytes":[0-9]*')"
else
	fail "cli: list never showed balloon memory: $(vdj)"
fi
"$vd" resize --memory 160M c1 && pass "cli: resize --memory 160M" || fail "cli: resize"
resized() { vdj | grep -q '"mem_alloc_bytes":167772160'; }
wait_for 10 resized && pass "cli: allocation now 160M" || fail "cli: allocation not 160M: $(vdj)"
"$vd" pause c1 && vdj | grep -q '"state":"paused"' && pass "cli: pause" || fail "cli: pause"
"$vd" resume c1 && vdj | grep -q '"state":"running"' && pass "cli: resume" || fail "cli: resume"
sleep 30 | "$vd" console c1 >/tmp/console.out 2>&1 &
cpid=$!
sleep 1
kill -0 "$cpid" 2>/dev/null && pass "cli: console attached" || fail "cli: console exited by itself"
kill -9 "$cpid"
wait "$cpid" 2>/dev/null
vdj | grep -q '"state":"running"' && pass "cli: console SIGKILLed, VM still running" ||
	fail "cli: VM not running after the console was killed"
"$vd" stop --timeout 20 c1 && vdj | grep -q '"state":"stopped"' && pass "cli: stop (Ctrl-Alt-Del)" ||
	fail "cli: stop: $(vdj)"
vlog | grep -q '^VIRTDECK-GUEST-UP' && pass "cli: the VM's output outlives its stop" ||
	fail "cli: logs after stop: $(vlog | tail -3)"
"$vd" delete c1 && ! vdj | grep -q '"name":"c1"' && pass "cli: delete" || fail "cli: delete"
[ ! -e "$VIRTDECK_DATA_DIR/logs/vmm/c1.log" ] && pass "cli: delete removes the VM's log" ||
	fail "cli: delete left $VIRTDECK_DATA_DIR/logs/vmm/c1.log"
exit "$failed"
