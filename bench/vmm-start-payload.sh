#!/bin/sh
# vmm-start-payload.sh - inside the harness (packed by bench/vmm-start): boots the same kernel and
# initrd with virtdeck-vmm and with QEMU microvm, alternating, and prints one line per run.
probe=$1
vmm=$2
runs=${3:-2}
vmlinux=${4:-none} # the same kernel uncompressed: both VMMs then enter it at its PVH note
append="$VD_GUEST_APPEND vd.sleep=2"
i=0
while [ "$i" -lt "$runs" ]; do
	echo "virtdeck-vmm $("$probe" VIRTDECK-GUEST-UP 256 -- "$vmm" --state-dir /tmp/vdb --name b$i \
		--console-stdout --kernel "$VD_GUEST_KERNEL" --initrd "$VD_GUEST_INITRD" --memory 256M \
		--vcpus 1 --no-rng --cmdline "$append" </dev/null)"
	echo "qemu-microvm $("$probe" VIRTDECK-GUEST-UP 256 -- qemu-system-x86_64 -machine microvm \
		-accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-reboot -display none -monitor none \
		-serial stdio -kernel "$VD_GUEST_KERNEL" -initrd "$VD_GUEST_INITRD" -append "$append" </dev/null)"
	if [ -f "$vmlinux" ]; then
		echo "virtdeck-vmm-pvh $("$probe" VIRTDECK-GUEST-UP 256 -- "$vmm" --state-dir /tmp/vdb --name p$i \
			--console-stdout --kernel "$vmlinux" --initrd "$VD_GUEST_INITRD" --memory 256M \
			--vcpus 1 --no-rng --cmdline "$append" </dev/null)"
		echo "qemu-microvm-pvh $("$probe" VIRTDECK-GUEST-UP 256 -- qemu-system-x86_64 -machine microvm \
			-accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-reboot -display none -monitor none \
			-serial stdio -kernel "$vmlinux" -initrd "$VD_GUEST_INITRD" -append "$append" </dev/null)"
	fi
	i=$((i + 1))
done
