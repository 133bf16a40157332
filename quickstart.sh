#!/bin/sh
# quickstart.sh - fresh Debian 12 machine to a running console: packages, build, a first container, start.
set -e
cd "$(dirname "$0")"
sh data/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"
# Something real to watch: a busybox container "hello" (128M, half a CPU) from Debian's
# busybox-static. It keeps running after the console quits; `./virtdeck delete hello` removes it
# once stopped.
if [ "$(id -u)" -eq 0 ] && ./virtdeck --version | grep -q ' ct'; then
	rootfs=/var/lib/virtdeck/rootfs/busybox
	[ -x "$rootfs/bin/busybox" ] || sh data/mkrootfs-busybox.sh "$rootfs"
	./virtdeck list --json | grep -q '"name": "hello"' ||
		./virtdeck create ct hello --rootfs "$rootfs" --memory 128M --cpus 0.5
	./virtdeck list --json | grep -A6 '"name": "hello"' | grep -q '"state": "running"' ||
		./virtdeck start hello
	exec ./virtdeck "$@"
fi
# Without root (or without the container engine) the demo engine shows what the console does.
exec ./virtdeck --demo "$@"
