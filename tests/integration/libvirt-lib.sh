# libvirt-lib.sh - start (or reuse) a libvirtd for the libvirt tests and clean up after them.
# Sourced. The daemon gets a test-only config: unix socket without auth, TCP on 127.0.0.1 only
# with auth "none". It runs in its own mount namespace with the cgroup2 mount hidden, so the
# LXC driver works on this host's hybrid cgroup layout.

LV_TMP=$(mktemp -d /tmp/vd-lv.XXXXXX)
chmod 755 "$LV_TMP" # qemu runs as libvirt-qemu and must reach the disk image
LV_OWN_DAEMON=0
LV_OWN_LOGD=0
LV_DOMAINS=""

lv_skip() {
	echo "SKIP: $*"
	exit 77
}

lv_require() {
	[ "$(id -u)" -eq 0 ] || lv_skip "starting libvirtd needs root"
	# One daemon per host: the libvirt tests take turns (make check runs tests in parallel).
	exec 9>/tmp/virtdeck-libvirt-tests.lock
	flock -w 150 9 || lv_skip "another libvirt test held the lock for 150 s"
	for c in libvirtd virtlogd virsh python3; do
		command -v "$c" >/dev/null 2>&1 || lv_skip "$c is not installed (data/install-deps.sh installs it)"
	done
}

lv_virsh() {
	timeout 60 virsh -q -c "${LV_URI:-qemu:///system}" "$@"
}

lv_wait_daemon() {
	i=0
	while [ $i -lt 100 ]; do
		timeout 5 virsh -q -c qemu:///system version >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

lv_start_own() {
	cat > "$LV_TMP/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
auth_tcp = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$LV_TMP/libvirtd.log"
CONF
	mkdir -p /var/log/libvirt /run/libvirt
	if ! pgrep -x virtlogd >/dev/null || [ ! -S /run/libvirt/virtlogd-sock ]; then
		virtlogd -d -p "$LV_TMP/virtlogd.pid" && LV_OWN_LOGD=1
	fi
	# A /dev/kvm that the qemu user cannot open makes libvirt 9.0 re-probe QEMU on every define
	# (~40 s each: "KVM was enabled when probing ..., but it is not available now"); inside the
	# daemon's namespace only, cover it so QEMU is probed once, for TCG.
	hide_kvm=""
	if [ -e /dev/kvm ] && ! runuser -u libvirt-qemu -- test -w /dev/kvm 2>/dev/null; then
		# QEMU's private /dev cannot carry that bind mount over: run QEMU on the host's /dev.
		: > "$LV_TMP/no-kvm"
		cat /etc/libvirt/qemu.conf > "$LV_TMP/qemu.conf" 2>/dev/null
		echo 'namespaces = [ ]' >> "$LV_TMP/qemu.conf"
		hide_kvm="mount --bind $LV_TMP/no-kvm /dev/kvm; mount --bind $LV_TMP/qemu.conf /etc/libvirt/qemu.conf;"
	fi
	unshare -m --propagation slave sh -c \
		"umount /sys/fs/cgroup/unified 2>/dev/null; $hide_kvm exec libvirtd -d --listen -f $LV_TMP/libvirtd.conf -p $LV_TMP/libvirtd.pid" ||
		lv_skip "libvirtd failed to start"
	LV_OWN_DAEMON=1
	lv_wait_daemon || lv_skip "libvirtd did not answer within 10 s: $(tail -3 "$LV_TMP/libvirtd.log" 2>/dev/null)"
}

# Reuse a running libvirtd only if it also serves TCP on loopback; else start our own.
lv_daemon() {
	if pgrep -x libvirtd >/dev/null; then
		timeout 5 virsh -q -c qemu+tcp://127.0.0.1/system version >/dev/null 2>&1 ||
			lv_skip "a libvirtd that this test did not start runs without TCP on 127.0.0.1; stop it first"
		return 0
	fi
	lv_start_own
}

# lv_boot_image FILE spin|idle|echo : a one-sector "disk" that SeaBIOS boots: a busy loop (burns
# one vCPU), an sti/hlt loop (nearly idle), or a serial console that prints VDHELLO on COM1 and
# echoes what it receives, checking the UART after each timer tick (hlt, so nearly idle too).
lv_boot_image() {
	python3 - "$1" "$2" <<'PY'
import sys
msg = b'VDHELLO\r\n\0'
echo = (b'\xfa\xfc\x31\xc0\x8e\xd8'            # cli; cld; xor ax,ax; mov ds,ax
        b'\xbe\x25\x7c'                          # mov si, 0x7c00 + 0x25 (msg)
        b'\xac\x84\xc0\x74\x06'                  # print: lodsb; test al,al; jz echo
        b'\xba\xf8\x03\xee\xeb\xf5'              # mov dx,0x3f8; out dx,al; jmp print
        b'\xfb\xf4'                              # echo: sti; hlt (until the next timer tick)
        b'\xba\xfd\x03\xec\xa8\x01\x74\xf6'      # check: mov dx,0x3fd; in al,dx; test al,1; jz echo
        b'\xba\xf8\x03\xec\xee\xeb\xf1')          # mov dx,0x3f8; in al,dx; out dx,al; jmp check
code = {'spin': b'\xeb\xfe', 'idle': b'\xfb\xf4\xeb\xfd', 'echo': echo + msg}[sys.argv[2]]
assert len(echo) == 0x25
b = bytearray(512)
b[0:len(code)] = code
b[510:512] = b'\x55\xaa'
open(sys.argv[1], 'wb').write(b)
PY
}

# lv_define_vm NAME spin|idle|echo : a 64 MiB TCG domain with no OS, booting the sector above,
# with its first serial port as the console.
lv_define_vm() {
	lv_boot_image "$LV_TMP/$1.img" "$2"
	cat > "$LV_TMP/$1.xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/>
      <source file='$LV_TMP/$1.img'/><target dev='hda' bus='ide'/></disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'/>
  </devices>
</domain>
XML
	LV_DOMAINS="$LV_DOMAINS qemu:///system:$1"
	# The first define after installing QEMU probes its capabilities (~40 s here), later ones are instant.
	lv_virsh define "$LV_TMP/$1.xml" >/dev/null || { echo "FAIL: defining $1"; return 1; }
}

# Stop a daemon we started and wait (up to 10 s) until it is gone, so the next test starts clean.
lv_stop_pid() {
	kill "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

lv_cleanup() {
	for d in $LV_DOMAINS; do
		uri=${d%:*} name=${d##*:}
		timeout 20 virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1
		timeout 20 virsh -q -c "$uri" undefine "$name" >/dev/null 2>&1
	done
	if [ "$LV_OWN_DAEMON" = 1 ] && [ -s "$LV_TMP/libvirtd.pid" ]; then
		lv_stop_pid "$(cat "$LV_TMP/libvirtd.pid")"
	fi
	if [ "$LV_OWN_LOGD" = 1 ] && [ -s "$LV_TMP/virtlogd.pid" ]; then
		lv_stop_pid "$(cat "$LV_TMP/virtlogd.pid")"
	fi
	# The LXC driver leaves its per-container run-state (empty dirs, a socket) in /run: remove
	# ours once the daemon is gone (rmdir only takes empty directories).
	for d in $LV_DOMAINS; do
		n=${d##*:}
		rm -f "/var/log/libvirt/qemu/$n.log" "/var/log/libvirt/lxc/$n.log"
		case "$d" in lxc:*) ;; *) continue ;; esac
		[ "$LV_OWN_DAEMON" = 1 ] || continue
		rmdir "/run/libvirt/lxc/$n.dev" "/run/libvirt/lxc/$n.devpts" "/run/libvirt/lxc/$n.fuse" 2>/dev/null
		rm -f "/run/libvirt/lxc/$n.sock"
	done
	rm -rf "$LV_TMP"
}

# lv_json FILE PYEXPR : evaluate PYEXPR with g(name, host=None) -> guest dict; prints the result.
lv_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def g(name, host=None):
    for x in doc["guests"]:
        if x["name"] == name and (host is None or x["host"] == host):
            return x
    return None
def hosts(name):
    return sorted(x["host"] for x in doc["guests"] if x["name"] == name)
print(eval(sys.argv[2]))
PY
}
