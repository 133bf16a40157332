/* vcpu.c - vCPU threads: long-mode registers, MSRs, LAPIC, and the KVM_RUN exit loop. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/boot.h"

#define VMM_MSR_IA32_SYSENTER_CS 0x174
#define VMM_MSR_IA32_SYSENTER_ESP 0x175
#define VMM_MSR_IA32_SYSENTER_EIP 0x176
#define VMM_MSR_STAR 0xc0000081
#define VMM_MSR_LSTAR 0xc0000082
#define VMM_MSR_CSTAR 0xc0000083
#define VMM_MSR_SYSCALL_MASK 0xc0000084
#define VMM_MSR_KERNEL_GS_BASE 0xc0000102
#define VMM_MSR_IA32_TSC 0x10
#define VMM_MSR_IA32_MISC_ENABLE 0x1a0
#define VMM_EFER_LME (1ull << 8)
#define VMM_EFER_LMA (1ull << 10)

static void vmm_vcpu_sigusr1(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

static int vmm_vcpu_msrs(struct vmm_vcpu *vcpu, struct vd_error **err)
{
	static const uint32_t zero[] = { VMM_MSR_IA32_SYSENTER_CS, VMM_MSR_IA32_SYSENTER_ESP,
					 VMM_MSR_IA32_SYSENTER_EIP, VMM_MSR_STAR, VMM_MSR_CSTAR,
					 VMM_MSR_KERNEL_GS_BASE, VMM_MSR_SYSCALL_MASK, VMM_MSR_LSTAR,
					 VMM_MSR_IA32_TSC };
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[VD_ARRAY_SIZE(zero) + 1];
	} m;
	memset(&m, 0, sizeof(m));
	for (unsigned i = 0; i < VD_ARRAY_SIZE(zero); i++)
		m.e[i].index = zero[i];
	m.e[VD_ARRAY_SIZE(zero)] = (struct kvm_msr_entry){ .index = VMM_MSR_IA32_MISC_ENABLE, .data = 1 };
	m.h.nmsrs = VD_ARRAY_SIZE(m.e);
	int n = ioctl(vcpu->fd, KVM_SET_MSRS, &m);
	if (n < 0)
		return vd_error_errno(err, errno, "KVM_SET_MSRS on vCPU %u", vcpu->id);
	if (n != (int)m.h.nmsrs)
		vd_warn("vCPU %u: KVM took %d of %u boot MSRs (MSR %#x refused)", vcpu->id, n, m.h.nmsrs,
			m.e[n].index);
	return 0;
}

/* LINT0 = ExtINT, LINT1 = NMI: the "virtual wire" state firmware leaves for Linux. */
static int vmm_vcpu_lapic(struct vmm_vcpu *vcpu, struct vd_error **err)
{
	struct kvm_lapic_state la;
	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &la) < 0)
		return vd_error_errno(err, errno, "KVM_GET_LAPIC on vCPU %u", vcpu->id);
	uint32_t lint0, lint1;
	memcpy(&lint0, la.regs + 0x350, 4);
	memcpy(&lint1, la.regs + 0x360, 4);
	lint0 = (lint0 & ~0x700u) | (7u << 8);
	lint1 = (lint1 & ~0x700u) | (4u << 8);
	memcpy(la.regs + 0x350, &lint0, 4);
	memcpy(la.regs + 0x360, &lint1, 4);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &la) < 0)
		return vd_error_errno(err, errno, "KVM_SET_LAPIC on vCPU %u", vcpu->id);
	return 0;
}

static void vmm_vcpu_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				   .present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1,
				   .l = code64 ? 1 : 0, .g = 1 };
}

static int vmm_vcpu_sregs(struct vmm_vcpu *vcpu, struct vd_error **err)
{
	struct kvm_sregs sr;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sr) < 0)
		return vd_error_errno(err, errno, "KVM_GET_SREGS on vCPU %u", vcpu->id);
	vmm_vcpu_seg(&sr.cs, 0x10, 0xb, true);
	vmm_vcpu_seg(&sr.ds, 0x18, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.tr = (struct kvm_segment){ .selector = 0x20, .limit = 0xfff, .type = 0xb, .present = 1 };
	sr.gdt = (struct kvm_dtable){ .base = VMM_BOOT_GDT, .limit = 5 * 8 - 1 };
	sr.idt = (struct kvm_dtable){ .base = VMM_BOOT_IDT, .limit = 7 };
	sr.cr0 = 0x80000001ull | 0x10 | 0x20; /* PG, PE, ET, NE */
	sr.cr3 = VMM_BOOT_PML4;
	sr.cr4 = 0x20; /* PAE */
	sr.efer = VMM_EFER_LME | VMM_EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sr) < 0)
		return vd_error_errno(err, errno, "KVM_SET_SREGS on vCPU %u", vcpu->id);
	return 0;
}

/* The boot CPU enters the kernel's 64-bit entry with RSI = boot_params. */
static int vmm_vcpu_boot_regs(struct vmm_vcpu *vcpu, uint64_t entry, struct vd_error **err)
{
	struct kvm_regs r = { .rflags = 2, .rip = entry, .rsi = VMM_BOOT_PARAMS,
			      .rsp = VMM_BOOT_STACK, .rbp = VMM_BOOT_STACK };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int rc = vmm_vcpu_sregs(vcpu, err);
	if (rc < 0)
		return rc;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return vd_error_errno(err, errno, "setting boot registers of vCPU %u", vcpu->id);
	return 0;
}

static int vmm_vcpu_create(struct vmm *vm, unsigned id, struct vd_error **err)
{
	struct vmm_vcpu *v = &vm->vcpus[id];
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return vd_error_errno(err, errno, "KVM_CREATE_VCPU %u of VM %s", id, vm->name);
	fcntl(v->fd, F_SETFD, FD_CLOEXEC);
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		return vd_error_errno(err, errno, "mmap kvm_run of vCPU %u", id);
	int r = vmm_cpuid_setup(vm, v, err);
	if (r == 0)
		r = vmm_vcpu_msrs(v, err);
	if (r == 0)
		r = vmm_vcpu_lapic(v, err);
	return r;
}

int vmm_vcpu_create_all(struct vmm *vm, struct vd_error **err)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		int r = vmm_vcpu_create(vm, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* After a panic line the guest's own end (reset, poweroff, triple fault) is the panic. */
static bool vmm_panic_ends(struct vmm *vm, enum vmm_exit_reason why)
{
	bool guest_end = why == VMM_EXIT_RESET || why == VMM_EXIT_POWEROFF ||
			 why == VMM_EXIT_TRIPLE_FAULT;
	return guest_end && __atomic_load_n(&vm->panic_seen, __ATOMIC_ACQUIRE);
}

void vmm_request_exit(struct vmm *vm, enum vmm_exit_reason why)
{
	vmm_request_exit_why(vm, why, NULL);
}

void vmm_request_exit_why(struct vmm *vm, enum vmm_exit_reason why, const char *detail)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->exit_reason == VMM_EXIT_NONE && vmm_panic_ends(vm, why)) {
		why = VMM_EXIT_PANIC;
		detail = vm->panic_line;
	}
	if (vm->exit_reason == VMM_EXIT_NONE) {
		vm->exit_reason = why;
		vd_strlcpy(vm->exit_detail, detail ? detail : "", sizeof(vm->exit_detail));
	}
	pthread_mutex_unlock(&vm->lock);
	uint64_t one = 1;
	if (write(vm->event_fd, &one, sizeof(one)) < 0)
		vd_warn("VM %s: cannot wake the main loop: %s", vm->name, strerror(errno));
}

/* Park while paused; returns false when the vCPU must stop. */
static bool vmm_vcpu_checkpoint(struct vmm_vcpu *v)
{
	struct vmm *vm = v->vm;
	if (!__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&vm->stop_req, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req && !vm->stop_req) {
		vm->parked++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_req && !vm->stop_req)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->parked--;
	}
	bool go = !vm->stop_req;
	v->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->lock);
	return go;
}

static void vmm_vcpu_io(struct vmm_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		if (!vmm_bus_access(&v->vm->pio, run->io.port, data, run->io.size, wr) && !wr)
			memset(data, 0xff, run->io.size);
}

static void vmm_vcpu_mmio(struct vmm_vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
	if (!vmm_bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
}

static void vmm_vcpu_fail(struct vmm_vcpu *v, const char *what)
{
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	ioctl(v->fd, KVM_GET_REGS, &r);
	vd_err("VM %s vCPU %u: %s (exit %u, rip %#llx)", v->vm->name, v->id, what, v->run->exit_reason,
	       (unsigned long long)r.rip);
	vmm_request_exit_why(v->vm, VMM_EXIT_CRASH, what);
}

/* The exit loop: long but flat, one case per exit reason. Returns when the VM stops. */
static void *vmm_vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct kvm_run *run = v->run;
	while (vmm_vcpu_checkpoint(v)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vmm_vcpu_fail(v, strerror(errno));
			break;
		}
		v->exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vmm_vcpu_io(v);
			break;
		case KVM_EXIT_MMIO:
			vmm_vcpu_mmio(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			vmm_request_exit_why(v->vm, VMM_EXIT_POWEROFF, "the vCPU halted");
			return NULL;
		case KVM_EXIT_SHUTDOWN: /* a triple fault: a guest's last resort to reset, or a crash */
			vmm_request_exit_why(v->vm, VMM_EXIT_TRIPLE_FAULT, "triple fault (KVM_EXIT_SHUTDOWN)");
			return NULL;
		case KVM_EXIT_SYSTEM_EVENT:
			vmm_request_exit_why(v->vm, run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
					     VMM_EXIT_RESET : VMM_EXIT_POWEROFF, "KVM system event");
			return NULL;
		case KVM_EXIT_FAIL_ENTRY:
			vmm_vcpu_fail(v, "KVM_EXIT_FAIL_ENTRY: the CPU refused the guest state");
			return NULL;
		case KVM_EXIT_INTERNAL_ERROR:
			vmm_vcpu_fail(v, "KVM internal error (emulation failed)");
			return NULL;
		default:
			vmm_vcpu_fail(v, "unexpected exit reason");
			return NULL;
		}
	}
	return NULL;
}

int vmm_vcpu_start_all(struct vmm *vm, struct vd_error **err)
{
	struct sigaction sa = { .sa_handler = vmm_vcpu_sigusr1 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	vm->state = VMM_RUNNING;
	/* The exit loop needs little stack; a small one keeps an 8 MiB default stack from being
	 * backed by a 2 MiB huge page per vCPU (VMM overhead, not guest memory). */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		int r = pthread_create(&vm->vcpus[i].thread, &attr, vmm_vcpu_thread, &vm->vcpus[i]);
		if (r != 0) {
			pthread_attr_destroy(&attr);
			return vd_error_errno(err, r, "starting vCPU thread %u of VM %s", i, vm->name);
		}
		vm->vcpus[i].started = true;
	}
	pthread_attr_destroy(&attr);
	return 0;
}

/* PVH: 32-bit protected mode, paging off, flat segments, EBX = hvm_start_info. */
static int vmm_vcpu_pvh_regs(struct vmm_vcpu *vcpu, uint64_t entry, struct vd_error **err)
{
	struct kvm_sregs sr;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sr) < 0)
		return vd_error_errno(err, errno, "KVM_GET_SREGS on vCPU %u", vcpu->id);
	vmm_vcpu_seg(&sr.cs, 0x10, 0xb, false);
	vmm_vcpu_seg(&sr.ds, 0x18, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
	sr.gdt = (struct kvm_dtable){ .base = VMM_BOOT_GDT, .limit = 5 * 8 - 1 };
	sr.cr0 = 0x11; /* PE, ET */
	sr.cr3 = sr.cr4 = sr.efer = 0;
	struct kvm_regs r = { .rflags = 2, .rip = entry, .rbx = VMM_PVH_START_INFO };
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sr) < 0 || ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
		return vd_error_errno(err, errno, "setting PVH registers of vCPU %u", vcpu->id);
	return 0;
}

int vmm_vcpu_boot(struct vmm *vm, bool pvh, uint64_t entry, struct vd_error **err)
{
	if (pvh)
		return vmm_vcpu_pvh_regs(&vm->vcpus[0], entry, err);
	return vmm_vcpu_boot_regs(&vm->vcpus[0], entry, err);
}

static void vmm_vcpu_kick_all(struct vmm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (!vm->vcpus[i].started)
			continue;
		vm->vcpus[i].run->immediate_exit = 1;
		pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	}
}

void vmm_vcpu_pause_all(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->pause_req, true, __ATOMIC_RELEASE);
	vmm_vcpu_kick_all(vm);
	while (vm->parked < vm->nvcpus && !vm->stop_req) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000; /* re-kick: a vCPU may have been outside KVM_RUN */
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
		if (vm->parked < vm->nvcpus)
			vmm_vcpu_kick_all(vm);
	}
	vm->state = VMM_PAUSED;
	pthread_mutex_unlock(&vm->lock);
}

void vmm_vcpu_resume_all(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_RELEASE);
	vm->state = VMM_RUNNING;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vmm_vcpu_stop_all(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->stop_req, true, __ATOMIC_RELEASE);
	vmm_vcpu_kick_all(vm);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (!vm->vcpus[i].started)
			continue;
		pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
	vm->state = VMM_STOPPED;
}

uint64_t vmm_vcpu_cpu_ns(const struct vmm_vcpu *vcpu)
{
	clockid_t cid;
	struct timespec ts;
	if (!vcpu->started || pthread_getcpuclockid(vcpu->thread, &cid) != 0 ||
	    clock_gettime(cid, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t vmm_vcpu_total_ns(void *arg)
{
	struct vmm *vm = arg;
	uint64_t total = 0;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		total += vmm_vcpu_cpu_ns(&vm->vcpus[i]);
	return total;
}

struct vd_rate_reading vmm_vcpu_cpu_reading(struct vmm *vm)
{
	return vd_rate_read(vmm_vcpu_total_ns, vm);
}
