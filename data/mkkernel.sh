#!/bin/sh
# mkkernel.sh - fetches Debian's cloud kernel (apt-get download + dpkg -x, never installed) into DIR:
# vmlinuz, config, and the kvm/virtio modules decompressed; prints shell assignments of the paths.
#
# Usage: data/mkkernel.sh DIR
#   Prints, for `eval "$(data/mkkernel.sh DIR)"`:
#     KERNEL_VMLINUZ=DIR/vmlinuz  KERNEL_CONFIG=DIR/config  KERNEL_RELEASE=6.1.0-NN-cloud-amd64
#     KERNEL_MODDIR=DIR/modules   KERNEL_KVM_MODULES='irqbypass.ko kvm.ko kvm-amd.ko' (load order)
#     KERNEL_VIRTIO_MODULES='virtio_ring.ko virtio.ko ...' (load order, for an inner guest)
#   DIR/modules also has tun, tap, vhost*, loop, bridge, veth, macvtap, vsock; DIR/modules/deps
#   lists each module's dependencies ("name: dep dep"); tests/harness/run-in-kvm.sh --kmod uses it.
# Idempotent: the .deb is cached in DIR and the extraction is skipped when DIR/stamp matches.
# Environment: VD_KERNEL_PKG  the image package to use (default: what linux-image-cloud-amd64
#                             depends on, resolved with apt-cache; a cached .deb is used offline).
set -eu

prog=mkkernel.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $prog DIR"
dir=$1
mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)
# Tests run in parallel (make -j2 check) and several may want the kernel at once: one extracts,
# the others wait for it.
if command -v flock >/dev/null 2>&1 && [ -z "${VD_MKKERNEL_LOCKED:-}" ]; then
	VD_MKKERNEL_LOCKED=1 exec flock "$dir.lock" sh "$0" "$dir"
fi

command -v dpkg >/dev/null 2>&1 || die "dpkg is missing (this script needs a Debian system)"

# ---- which package
pkg=${VD_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1) || true
fi
deb=
if [ -n "$pkg" ]; then
	deb=$(ls "$dir"/deb/"$pkg"_*.deb 2>/dev/null | head -n 1) || true
else
	# apt lists missing (no `apt-get update`) or offline: fall back to a cached package.
	deb=$(ls "$dir"/deb/linux-image-*.deb 2>/dev/null | tail -n 1) || true
	[ -n "$deb" ] || die "cannot resolve the kernel package: 'apt-cache depends linux-image-cloud-amd64' found nothing; run 'apt-get update' (as root) or set VD_KERNEL_PKG"
	pkg=$(basename "$deb" | sed 's/_.*//')
fi

# ---- download (cached)
if [ -z "$deb" ]; then
	command -v apt-get >/dev/null 2>&1 || die "apt-get is missing"
	mkdir -p "$dir/deb"
	echo "$prog: downloading $pkg with apt-get download" >&2
	# apt's sandbox user may not write into DIR; download into a temp dir it can write, then move.
	tmp=$(mktemp -d)
	chmod 0777 "$tmp"
	if ! (cd "$tmp" && apt-get download -q "$pkg" >&2 2>"$tmp/err"); then
		cat "$tmp/err" >&2
		rm -rf "$tmp"
		die "apt-get download $pkg failed (run 'apt-get update' first; network to Debian's mirror needed)"
	fi
	mv "$tmp"/"$pkg"_*.deb "$dir/deb/" || die "no .deb after apt-get download $pkg"
	rm -rf "$tmp"
	deb=$(ls "$dir"/deb/"$pkg"_*.deb | head -n 1)
fi

release=${pkg#linux-image-}
stamp="$(basename "$deb") +balloon"

# ---- extract (skipped when already done for this .deb)
if [ ! -f "$dir/stamp" ] || [ "$(cat "$dir/stamp")" != "$stamp" ] || [ ! -f "$dir/vmlinuz" ] ||
	[ ! -f "$dir/modules/deps" ]; then
	echo "$prog: extracting $(basename "$deb")" >&2
	x="$dir/x.tmp"
	rm -rf "$x" "$dir/modules" "$dir/vmlinuz" "$dir/config" "$dir/stamp"
	dpkg -x "$deb" "$x" || die "dpkg -x $deb failed"
	cp "$x"/boot/vmlinuz-* "$dir/vmlinuz" || die "no /boot/vmlinuz-* in $deb"
	cp "$x"/boot/config-* "$dir/config" 2>/dev/null || true
	kdir=$(ls -d "$x"/lib/modules/*/kernel 2>/dev/null | head -n 1) || true
	[ -n "$kdir" ] || die "no lib/modules/*/kernel in $deb"
	mkdir -p "$dir/modules"
	# Flat copies, decompressed (busybox insmod loads plain .ko only). Names keep their dashes.
	for rel in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel \
		drivers/crypto/ccp/ccp \
		drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_mmio \
		drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev \
		drivers/virtio/virtio_pci drivers/virtio/virtio_balloon drivers/block/virtio_blk drivers/net/net_failover \
		net/core/failover drivers/net/virtio_net drivers/char/virtio_console \
		drivers/char/hw_random/virtio-rng net/vmw_vsock/vsock \
		net/vmw_vsock/vmw_vsock_virtio_transport_common net/vmw_vsock/vmw_vsock_virtio_transport \
		drivers/net/tun drivers/net/tap drivers/vhost/vhost_iotlb drivers/vhost/vhost \
		drivers/vhost/vhost_net drivers/vhost/vhost_vsock drivers/block/loop net/llc/llc \
		net/802/stp net/bridge/bridge drivers/net/veth drivers/net/macvlan drivers/net/macvtap; do
		name=$(basename "$rel")
		src=
		for ext in ko ko.xz ko.zst ko.gz; do
			[ -f "$kdir/$rel.$ext" ] && { src="$kdir/$rel.$ext"; break; }
		done
		[ -n "$src" ] || continue # built in, or absent in this flavour
		case "$src" in
		*.xz) xz -dc "$src" >"$dir/modules/$name.ko" || die "cannot decompress $src (install xz-utils)" ;;
		*.zst) zstd -dqc "$src" >"$dir/modules/$name.ko" || die "cannot decompress $src (install zstd)" ;;
		*.gz) gzip -dc "$src" >"$dir/modules/$name.ko" || die "cannot decompress $src" ;;
		*) cp "$src" "$dir/modules/$name.ko" ;;
		esac
	done
	rm -rf "$x"
	# DIR/modules/deps: "name: dep dep" from each module's modinfo (for load-order resolution).
	for f in "$dir"/modules/*.ko; do
		printf '%s: %s\n' "$(basename "$f" .ko)" \
			"$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')"
	done >"$dir/modules/deps"
	echo "$stamp" >"$dir/stamp"
fi

# ---- load orders (only modules present in this flavour; built-ins are skipped)
order() {
	out=
	for m in "$@"; do
		[ -f "$dir/modules/$m.ko" ] && out="$out${out:+ }$m.ko"
	done
	echo "$out"
}
# ccp exists as a module only in the generic flavour, where kvm-amd needs it.
kvm_mods=$(order irqbypass ccp kvm kvm-amd)
virtio_mods=$(order virtio_ring virtio virtio_mmio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci virtio_blk failover net_failover virtio_net virtio_console virtio-rng virtio_balloon)

[ -f "$dir/modules/kvm.ko" ] || [ -n "$(grep -s '^CONFIG_KVM=y' "$dir/config")" ] ||
	die "$pkg has no kvm module"

cat <<EOF
KERNEL_PKG=$pkg
KERNEL_RELEASE=$release
KERNEL_VMLINUZ=$dir/vmlinuz
KERNEL_CONFIG=$([ -f "$dir/config" ] && echo "$dir/config")
KERNEL_MODDIR=$dir/modules
KERNEL_KVM_MODULES='$kvm_mods'
KERNEL_VIRTIO_MODULES='$virtio_mods'
EOF
