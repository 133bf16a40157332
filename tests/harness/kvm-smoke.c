/* kvm-smoke.c - proves /dev/kvm runs guest code: a VM, 4 KiB of memory, one real-mode vCPU that
 * does `out 0x10, al` (al = 0x42) and `hlt`; checks the IO exit, then the HLT exit.
 * Exit: 0 ok, 77 no usable /dev/kvm (missing, no permission), 1 KVM misbehaved.
 * Build: gcc -static -O2 -o kvm-smoke kvm-smoke.c (static, so it runs in a bare initramfs). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "kvm-smoke: FAIL: %s: %s\n", what, strerror(errno));
	return 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	/* mov al, 0x42; out 0x10, al; hlt */
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	double t0 = now();

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-smoke: SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "kvm-smoke: FAIL: KVM_GET_API_VERSION = %d, want %d\n", api, KVM_API_VERSION);
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem, code, sizeof code);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	int saw_io = 0;
	for (int i = 0; i < 16; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return fail("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t val = *((uint8_t *)run + run->io.data_offset);
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x10 || run->io.size != 1 ||
			    run->io.count != 1 || val != 0x42) {
				fprintf(stderr, "kvm-smoke: FAIL: IO exit dir=%d port=%#x size=%d count=%u val=%#x\n",
					run->io.direction, run->io.port, run->io.size, run->io.count, val);
				return 1;
			}
			printf("kvm-smoke: IO exit: out port 0x10 value 0x42\n");
			saw_io = 1;
			break;
		}
		case KVM_EXIT_HLT:
			if (!saw_io) {
				fprintf(stderr, "kvm-smoke: FAIL: HLT before the IO exit\n");
				return 1;
			}
			printf("kvm-smoke: HLT exit\n");
			printf("KVM-SMOKE-OK (%.1f ms)\n", (now() - t0) * 1e3);
			return 0;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "kvm-smoke: FAIL: entry failed, hardware reason %#llx\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return 1;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "kvm-smoke: FAIL: internal error, suberror %u\n", run->internal.suberror);
			return 1;
		default:
			fprintf(stderr, "kvm-smoke: FAIL: unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	fprintf(stderr, "kvm-smoke: FAIL: no HLT after 16 runs\n");
	return 1;
}
