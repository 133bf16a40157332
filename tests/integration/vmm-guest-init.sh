# vmm-guest-init.sh - the inner guest payload of vmm-guest.sh: the harness guest-init.sh checks
# (marker, CPUs, memory, virtio-blk) plus the network: with an eth0, it takes 10.0.2.15/24 and
# pings the host side of the bridge (10.0.2.1): GUEST-NET=ok|fail.

echo VIRTDECK-GUEST-UP
echo "GUEST-NPROC=$(nproc)"
echo "GUEST-MEMTOTAL-KB=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
echo "GUEST-CMDLINE=$(cat /proc/cmdline)"

if [ -b /dev/vda ]; then
	if mount -t ext4 /dev/vda /mnt 2>/dev/null; then
		echo "GUEST-BLK-FS=ext4"
		[ -f /mnt/hello.txt ] && echo "GUEST-BLK-READ=$(head -n 1 /mnt/hello.txt)"
		if echo written-by-guest >/mnt/guest-wrote.txt && sync && umount /mnt; then
			echo "GUEST-BLK=ok"
		else
			echo "GUEST-BLK=fail:write or umount"
		fi
	else
		echo "GUEST-BLK-FS=raw"
		echo "GUEST-BLK-READ=$(head -c 16 /dev/vda | tr -c '[:print:]' '.')"
		printf VIRTDECK-BLK-OK | dd of=/dev/vda bs=4096 seek=1 conv=notrunc,fsync 2>/dev/null
		echo 3 >/proc/sys/vm/drop_caches
		back=$(dd if=/dev/vda bs=4096 skip=1 count=1 2>/dev/null | head -c 15)
		if [ "$back" = VIRTDECK-BLK-OK ]; then echo "GUEST-BLK=ok"; else echo "GUEST-BLK=fail:read back '$back'"; fi
	fi
fi

if [ -d /sys/class/net/eth0 ]; then
	ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up
	if ping -c 1 -W 10 10.0.2.1 >/dev/null 2>&1 || ping -c 2 -W 10 10.0.2.1 >/dev/null 2>&1; then
		echo "GUEST-NET=ok"
	else
		echo "GUEST-NET=fail"
	fi
fi

for w in $(cat /proc/cmdline); do
	case "$w" in vd.sleep=*) sleep "${w#vd.sleep=}" ;; esac
done
echo VIRTDECK-GUEST-DONE
