#!/bin/sh
# install-deps.sh - installs, from Debian's apt, everything virtdeck needs to build, run and test.
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config python3 \
	libncurses-dev libinih-dev libjson-c-dev libsqlite3-dev libcmocka-dev \
	libvirt-dev libcap-ng-dev libseccomp-dev libnl-3-dev libnl-route-3-dev \
	libvirt-daemon-system libvirt-daemon-driver-lxc libvirt-clients \
	linux-libc-dev tmux busybox-static iproute2 procps \
	qemu-system-x86 cpio e2fsprogs >/dev/null
echo "install-deps.sh: build, run and test dependencies are installed"
