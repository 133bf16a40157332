#!/bin/sh
# quickstart.sh - fresh Debian 12 machine to a running console: packages, build, start.
set -e
cd "$(dirname "$0")"
sh data/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"
# With no guests of your own yet, the demo engine shows what the console does; drop --demo
# (or add --connect URI) to watch this host's containers, VMs and libvirt domains.
if ./virtdeck list --json 2>/dev/null | grep -q '"name"'; then
	exec ./virtdeck "$@"
fi
exec ./virtdeck --demo "$@"
