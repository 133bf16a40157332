# harness-init.sh - runs inside the harness VM (as /etc/vd-init.sh): checks /dev/kvm, runs the
# shellcheck shell=sh
# payload /harness/cmd, and reports its exit code on the serial console as HARNESS-EXIT=<n>.
# Protocol lines (all at the start of a line): HARNESS-KVM=..., HARNESS-SKIP=<reason>,
# HARNESS-EXIT=<n>. run-in-kvm.sh parses them; everything else is the payload's output.

# The payload's channel is the second serial port (ttyS1): the kernel's console (ttyS0) goes to a
# log of its own, so kernel messages never mix with the payload's output.
out=/dev/console
[ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 2>/dev/null && out=/dev/ttyS1
stty -F "$out" opost onlcr 2>/dev/null
exec >"$out" 2>&1

drain() {
	# Wait until the serial port has sent everything (stty sets attributes with TCSADRAIN), so
	# poweroff -f does not cut the last lines.
	s=$(stty -g <"$out" 2>/dev/null) && stty "$s" <"$out" 2>/dev/null
	sleep 0.05 2>/dev/null || true
}

finish() {
	echo "HARNESS-EXIT=$1"
	drain
	exit 0
}

if [ -s /run/vd-insmod-failed ]; then
	echo "HARNESS-SKIP=kernel modules did not load inside the harness VM: $(tr '\n' ';' </run/vd-insmod-failed)"
	finish 77
fi
if [ ! -c /dev/kvm ]; then
	echo "HARNESS-SKIP=no /dev/kvm inside the harness VM (does the emulated CPU offer svm? it needs -cpu max)"
	finish 77
fi
echo "HARNESS-KVM=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null | sed 's/^/kvm_amd nested=/')"

[ -f /harness/env ] && . /harness/env
cwd=/
[ -f /harness/cwd ] && cwd=$(cat /harness/cwd)
mkdir -p "$cwd" 2>/dev/null
cd "$cwd" || cd /
if [ -f /harness/cmd ]; then
	sh /harness/cmd </dev/null
	rc=$?
else
	echo "harness-init: no payload (/harness/cmd missing)"
	rc=99
fi
finish "$rc"
