/* cpuid.c - the guest's CPUID: what KVM supports, with per-vCPU APIC IDs and the hypervisor bit. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "vmm/vmm.h"

/* Fetch KVM_GET_SUPPORTED_CPUID, growing the buffer while KVM says E2BIG. */
static struct kvm_cpuid2 *vmm_cpuid_supported(int kvm_fd, int *err_out)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = vd_xcalloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		*err_out = errno;
		free(c);
		if (*err_out != E2BIG)
			return NULL;
	}
	return NULL;
}

static void vmm_cpuid_fix(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus)
{
	switch (e->function) {
	case 1:
		/* Initial APIC ID and logical count; the hypervisor bit makes Linux look for KVM leaves. */
		e->ebx = (e->ebx & 0x0000ffffu) | ((ncpus & 0xffu) << 16) | (id << 24);
		e->ecx |= 1u << 31;
		if (ncpus > 1)
			e->edx |= 1u << 28;
		break;
	case 0xb:
	case 0x1f:
		e->edx = id; /* x2APIC ID */
		break;
	default:
		break;
	}
}

int vmm_cpuid_setup(struct vmm *vm, struct vmm_vcpu *vcpu, struct vd_error **err)
{
	int e = 0;
	_cleanup_free_ struct kvm_cpuid2 *c = vmm_cpuid_supported(vm->kvm_fd, &e);
	if (!c)
		return vd_error_errno(err, e, "KVM_GET_SUPPORTED_CPUID for VM %s", vm->name);
	for (unsigned i = 0; i < c->nent; i++)
		vmm_cpuid_fix(&c->entries[i], vcpu->id, vm->nvcpus);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		return vd_error_errno(err, errno, "KVM_SET_CPUID2 on vCPU %u of VM %s", vcpu->id, vm->name);
	return 0;
}
