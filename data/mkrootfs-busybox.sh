#!/bin/sh
# mkrootfs-busybox.sh - build a small busybox root filesystem for virtdeck containers from
# Debian's busybox-static package (apt only, no download of its own).
# usage: mkrootfs-busybox.sh DIR [UID_BASE]
# With UID_BASE the tree is owned by that host uid/gid: root inside a container that runs in a
# user namespace (userns_base = UID_BASE in its definition).
set -eu

die() { echo "mkrootfs-busybox.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: mkrootfs-busybox.sh DIR [UID_BASE]"
dir=$1
base=${2:-}
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || die "$bb not found: apt-get install busybox-static"
# A dynamic busybox would need the host's libraries inside the rootfs.
if command -v file >/dev/null 2>&1 && file -L "$bb" | grep -q 'dynamically linked'; then
	die "$bb is dynamically linked: apt-get install busybox-static"
fi
[ ! -e "$dir" ] || [ -d "$dir" ] || die "$dir exists and is not a directory"

mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev var/log run home
chmod 1777 tmp
chmod 0700 root
cp "$bb" bin/busybox
chmod 0755 bin/busybox
# Like `busybox --install -s`, but into our tree: absolute links to /bin/busybox, which
# resolve inside the container.
for app in $(bin/busybox --list-full); do
	[ -e "$app" ] || [ -L "$app" ] || ln -s /bin/busybox "$app"
done

cat > etc/passwd <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > etc/group <<'GR'
root:x:0:
tty:x:5:
nogroup:x:65534:
GR
echo "virtdeck" > etc/hostname
printf '127.0.0.1 localhost\n::1 localhost\n' > etc/hosts
: > etc/resolv.conf

# /sbin/init for cmd=/sbin/init: a tiny init that runs a shell on the console and waits.
cat > sbin/vd-init <<'IN'
#!/bin/sh
# vd-init - minimal init for a virtdeck busybox container.
# The shell runs in the background so that `wait` lets the TERM trap run at once on stop.
trap 'kill $sh 2>/dev/null; exit 0' TERM INT
echo "virtdeck busybox container $(hostname) up"
while :; do
	/bin/sh -l </dev/console >/dev/console 2>&1 &
	sh=$!
	wait $sh
	sleep 1
done
IN
chmod 0755 sbin/vd-init
if [ -n "$base" ]; then
	chown -R -h "$base:$base" . || die "chown to $base failed (needs root)"
fi
echo "busybox rootfs ready in $dir"
