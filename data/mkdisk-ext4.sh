#!/bin/sh
# mkdisk-ext4.sh - makes a raw ext4 disk image, optionally filled from a directory (mke2fs -d):
# no root, no loop device, no mount.
#
# Usage: data/mkdisk-ext4.sh OUT.img SIZE [DIR]
#   SIZE  as mke2fs takes it: 64M, 1G, or a number of KiB (ext4 with a journal wants 4M or more)
#   DIR   files to put in the file system's root (owners kept when run as root)
# Environment: VD_MKDISK_LABEL (default virtdeck), VD_MKDISK_OPTS (extra mke2fs options).
set -eu

prog=mkdisk-ext4.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $prog OUT.img SIZE [DIR]"
out=$1
size=$2
dir=${3:-}

mke2fs=
for m in mke2fs /sbin/mke2fs /usr/sbin/mke2fs; do
	if command -v "$m" >/dev/null 2>&1; then mke2fs=$(command -v "$m"); break; fi
done
[ -n "$mke2fs" ] || die "mke2fs not found: install the Debian package e2fsprogs"
[ -z "$dir" ] || [ -d "$dir" ] || die "$dir is not a directory"
case "$size" in
[0-9]*) ;;
*) die "SIZE '$size' is not a size (examples: 64M, 1G)" ;;
esac

rm -f "$out"
# -F: a regular file is fine; -E root_owner: root owns / even when not run as root;
# -m 0: no reserved blocks; lazy init off so the image is complete without the kernel's help.
set -- -q -F -t ext4 -L "${VD_MKDISK_LABEL:-virtdeck}" -m 0 \
	-E "root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0"
[ -z "$dir" ] || set -- "$@" -d "$dir"
# shellcheck disable=SC2086 # VD_MKDISK_OPTS is a list of options
if ! "$mke2fs" "$@" ${VD_MKDISK_OPTS:-} "$out" "$size" >"$out.log" 2>&1; then
	cat "$out.log" >&2
	rm -f "$out" "$out.log"
	die "mke2fs failed for $out ($size${dir:+ from $dir}); a size too small for the files is a common cause"
fi
rm -f "$out.log"
echo "$out"
