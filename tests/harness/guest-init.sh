# guest-init.sh - the inner guest's payload (its /etc/vd-init.sh): prints VIRTDECK-GUEST-UP, facts
# shellcheck shell=sh
# (CPUs, memory, devices) and, when there is a /dev/vda, reads and writes it; then /init powers off.
# Lines, each at the start of a line:
#   VIRTDECK-GUEST-UP               userspace runs
#   GUEST-NPROC=<n>  GUEST-MEMTOTAL-KB=<n>  GUEST-CMDLINE=<kernel command line>
#   GUEST-BLK-FS=ext4|raw  GUEST-BLK-READ=<text>  GUEST-BLK=ok|fail:<why>   (only with /dev/vda)
#   VIRTDECK-GUEST-DONE
# ext4 disk: prints /hello.txt's first line as GUEST-BLK-READ, writes /guest-wrote.txt.
# raw disk: prints its first 16 bytes, writes "VIRTDECK-BLK-OK" at offset 4096 and reads it back.
# Network: vd.ip=<addr/prefix> configures eth0 (GUEST-NET=up eth0 <addr> <mac> | fail ...);
# vd.ping=<addr> then pings it once (GUEST-PING=ok|fail <addr>).
# vd.sleep=<s> stays up that long before powering off.
# vd.panic=1 makes the kernel panic (sysrq c) instead: a VMM must report the panic.

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

ip=
peer=
for w in $(cat /proc/cmdline); do
	case "$w" in
	vd.ip=*) ip=${w#vd.ip=} ;;
	vd.ping=*) peer=${w#vd.ping=} ;;
	esac
done
if [ -n "$ip" ]; then
	if [ -d /sys/class/net/eth0 ] && ip addr add "$ip" dev eth0 && ip link set eth0 up; then
		echo "GUEST-NET=up eth0 $ip $(cat /sys/class/net/eth0/address)"
		if [ -n "$peer" ]; then
			if ping -c 1 -W 3 "$peer" >/dev/null 2>&1 || ping -c 1 -W 3 "$peer" >/dev/null 2>&1; then
				echo "GUEST-PING=ok $peer"
			else
				echo "GUEST-PING=fail $peer"
			fi
		fi
	else
		echo "GUEST-NET=fail (no eth0: $(ls /sys/class/net | tr '\n' ' '))"
	fi
fi

for w in $(cat /proc/cmdline); do
	case "$w" in
	vd.sleep=*) sleep "${w#vd.sleep=}" ;;
	vd.panic=1) echo GUEST-PANICKING; echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger ;;
	esac
done
echo VIRTDECK-GUEST-DONE
