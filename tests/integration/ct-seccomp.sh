#!/bin/sh
# ct-seccomp.sh - what a process inside a container can call: Docker's default allow-list with
# its argument rules on all three x86 entry points, TIOCSTI/TIOCLINUX refused (a container
# typing into the admin's terminal), no inheritable or ambient capabilities (CVE-2022-24769).
. "$(dirname "$0")/ct-lib.sh"
command -v cc >/dev/null || skip "a C compiler is needed to build the probe"

cc -static -O1 -o "$T/probe" "$srcdir/tests/integration/ct-seccomp-probe.c" 2>"$T/cc.log" ||
	skip "cannot link a static probe (libc6-dev): $(head -3 "$T/cc.log")"
cp "$T/probe" "$ROOTFS/bin/probe"
ct_new sc --memory 64M -- /bin/sh
# A second container runs the probe under init's own filter (sc's runs under exec's).
ct_new si --memory 32M -- /bin/sh -c '/bin/probe > /tmp/probe.out; exec sleep 600'

# 1. Capabilities: Docker's 14 stay, the inheritable and ambient sets are empty, in init and exec.
for who in /proc/1/status /proc/self/status; do
	st=$(ctx sc -- cat $who) || fail "cat $who in sc"
	for f in CapInh CapAmb; do
		v=$(echo "$st" | awk -v f="$f:" '$1 == f {print $2}')
		[ "$v" = 0000000000000000 ] || fail "$f of $who is $v, expected 0"
	done
	v=$(echo "$st" | awk '$1 == "CapEff:" {print $2}')
	[ "$v" = 00000000a80425fb ] || fail "CapEff of $who is $v, expected Docker's 14 (a80425fb)"
done
ok "CapInh and CapAmb are 0 in init and an exec'd process; CapEff keeps Docker's 14"

# 2. The probe: one line per call, compared with what Docker's profile and item 2 require.
ctx sc -- /bin/probe > "$T/got" || fail "the probe failed in sc: $(cat "$T/got")"
cat > "$T/want" <<'WANT'
kexec_load EPERM
open_by_handle_at EPERM
add_key EPERM
keyctl EPERM
bpf EPERM
perf_event_open EPERM
unshare EPERM
setns EPERM
mount EPERM
umount2 EPERM
pivot_root EPERM
swapon EPERM
init_module EPERM
userfaultfd EPERM
ptrace ESRCH
io_uring_setup EPERM
io_uring_enter EPERM
io_uring_register EPERM
made_up_999 EPERM
ioctl_tiocsti EPERM
ioctl_tiocsti_high EPERM
ioctl_tioclinux EPERM
ioctl_tcgets EBADF
socket_vsock EPERM
socket_vsock_high EPERM
socket_unix ok
clone_newuser EPERM
clone_newns EPERM
clone_newnet EPERM
clone_plain ok
clone3 ENOSYS
personality_query ok
personality_linux32 ok
personality_linux ok
personality_norandom EPERM
chroot ok
ia32_getpid ok
ia32_io_uring_setup EPERM
ia32_kexec_load EPERM
ia32_ioctl_tiocsti EPERM
ia32_made_up_999 EPERM
x32_io_uring_setup EPERM
x32_kexec_load EPERM
getpid ok
WANT
if grep -q "^ia32 absent" "$T/got"; then
	echo "note: this kernel has no ia32 entry point; the 32-bit probes are not run"
	sed -i '/^ia32_/d' "$T/want"
	sed -i '/^ia32 absent/d' "$T/got"
fi
diff "$T/want" "$T/got" > "$T/diff" ||
	fail "calls in sc behave otherwise than the profile (- want, + got):
$(cat "$T/diff")"
ok "$(wc -l < "$T/want") calls: allow-list, argument rules (masked to 32 bits), compat entries"

for i in $(seq 100); do # getpid is the probe's last line
	ctx si -- grep -q '^getpid ' /tmp/probe.out 2>/dev/null && break
	sleep 0.1
done
ctx si -- cat /tmp/probe.out | sed '/^ia32 absent/d' > "$T/got-init"
diff "$T/got" "$T/got-init" > "$T/diff" || fail "init's filter differs from exec's:
$(cat "$T/diff")"
ok "init's children get the same answers as an exec'd process"

# 3. Ordinary work still runs under the filter: a shell, ps, /proc, time, signals, a pty.
out=$(ctx sc -- sh -c 'ls / >/dev/null && cat /proc/self/stat >/dev/null &&
	ps -o pid >/dev/null && date +%s >/dev/null || exit 1
	sleep 30 & p=$!; kill $p; wait $p; [ $? = 143 ] && echo fine' 2>"$T/err")
[ "$out" = fine ] || fail "ordinary commands: $out $(cat "$T/err")"
ctx sc -- ping -c1 -W2 127.0.0.1 >/dev/null || fail "ping on loopback fails under the filter"
out=$( (echo 'echo TTY-$((6*7)) $(tty)'; sleep 1) | timeout 10 "$VD" console sc 2>/dev/null |
	tr -d '\r')
echo "$out" | grep -q "^TTY-42 /dev/" || fail "the pty console fails under the filter: $out"
ok "sh, ls, cat /proc, ps, date, sleep, kill, ping 127.0.0.1 and the pty console run"
