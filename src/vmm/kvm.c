/* kvm.c - opening /dev/kvm, checking the API and capabilities, creating the VM and its irqchip. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/vmm.h"

#define VMM_TSS_ADDR 0xfffbd000ull       /* three pages KVM needs for real-mode emulation (VT-x) */
#define VMM_IDENTITY_MAP 0xfffbc000ull   /* the EPT identity map page, just below it */

struct vmm_kvm_cap {
	int cap;
	const char *name;
};

/* Without these the VMM cannot run a guest at all. */
static const struct vmm_kvm_cap vmm_kvm_required[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static bool vmm_kvm_file_has(const char *path, const char *word)
{
	_cleanup_free_ char *buf = NULL;
	if (vd_read_file(path, &buf, NULL) < 0)
		return false;
	return strstr(buf, word) != NULL;
}

static bool vmm_kvm_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static const char *vmm_kvm_nested_flag(void)
{
	if (vmm_kvm_file_has("/sys/module/kvm_intel/parameters/nested", "Y") ||
	    vmm_kvm_file_has("/sys/module/kvm_amd/parameters/nested", "1"))
		return ", nested virtualization enabled for its guests";
	return "";
}

char *vmm_kvm_describe_host(void)
{
	bool dev = vmm_kvm_exists("/dev/kvm");
	bool guest = vmm_kvm_file_has("/proc/cpuinfo", " hypervisor");
	const char *hw = vmm_kvm_file_has("/proc/cpuinfo", " vmx") ? "Intel VT-x" :
			 vmm_kvm_file_has("/proc/cpuinfo", " svm") ? "AMD-V (SVM)" : NULL;
	if (vmm_kvm_exists("/sys/module/kvm_pvm"))
		return vd_xasprintf("PVM (kvm_pvm loaded, this host is %s); /dev/kvm %s",
				    guest ? "itself a guest" : "bare metal", dev ? "present" : "absent");
	if (!dev)
		return vd_xasprintf("missing: no /dev/kvm (%s; %s)",
				    hw ? hw : "no VT-x/AMD-V in the CPU flags",
				    guest ? "this host is a VM itself" : "bare metal");
	if (!hw)
		return vd_xstrdup("present, but the CPU flags show neither VT-x nor AMD-V");
	return vd_xasprintf("%s %s%s", hw, guest ? "nested (this host is a VM)" : "hardware",
			    vmm_kvm_nested_flag());
}

static int vmm_kvm_check_caps(struct vmm *vm, struct vd_error **err)
{
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return vd_error_set(err, ENOTSUP, "KVM API version %d, need %d: this kernel's KVM is unusable",
				    v, KVM_API_VERSION);
	for (size_t i = 0; i < VD_ARRAY_SIZE(vmm_kvm_required); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, vmm_kvm_required[i].cap) <= 0)
			return vd_error_set(err, ENOTSUP, "KVM lacks %s: need a newer kernel",
					    vmm_kvm_required[i].name);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return vd_error_errno(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	return 0;
}

/* PVM's /dev/kvm creates VMs but runs only PVM-enabled guest kernels: an ordinary kernel spins
 * silently. Refuse up front (VIRTDECK_VMM_ALLOW_PVM=1 overrides, for PVM guest kernels). */
static int vmm_kvm_refuse_pvm(struct vmm *vm, struct vd_error **err)
{
	if (!vmm_kvm_exists("/sys/module/kvm_pvm") || vmm_kvm_exists("/sys/module/kvm_intel") ||
	    vmm_kvm_exists("/sys/module/kvm_amd") || getenv("VIRTDECK_VMM_ALLOW_PVM"))
		return 0;
	return vd_error_set(err, ENOTSUP, "this host's /dev/kvm is PVM (kvm_pvm), which boots only "
			    "PVM guest kernels: run VM %s on a host with hardware KVM (kvm_intel/kvm_amd), "
			    "or inside the nested test harness", vm->name);
}

int vmm_kvm_open(struct vmm *vm, struct vd_error **err)
{
	int r = vmm_kvm_refuse_pvm(vm, err);
	if (r < 0)
		return r;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;
		_cleanup_free_ char *what = vmm_kvm_describe_host();
		return vd_error_errno(err, e, "open /dev/kvm for VM %s (host KVM: %s); load kvm_intel or "
				      "kvm_amd and check the permissions of /dev/kvm", vm->name, what);
	}
	return vmm_kvm_check_caps(vm, err);
}

static int vmm_kvm_vm_ioctl(struct vmm *vm, unsigned long req, unsigned long arg, const char *what,
			    struct vd_error **err)
{
	if (ioctl(vm->vm_fd, req, arg) < 0)
		return vd_error_errno(err, errno, "%s on VM %s", what, vm->name);
	return 0;
}

int vmm_kvm_create_vm(struct vmm *vm, struct vd_error **err)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vd_error_errno(err, errno, "KVM_CREATE_VM for %s", vm->name);
	fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
	uint64_t idmap = VMM_IDENTITY_MAP;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r = vmm_kvm_vm_ioctl(vm, KVM_SET_TSS_ADDR, VMM_TSS_ADDR, "KVM_SET_TSS_ADDR", err);
	if (r == 0)
		r = vmm_kvm_vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap,
				     "KVM_SET_IDENTITY_MAP_ADDR", err);
	if (r == 0)
		r = vmm_kvm_vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP", err);
	if (r == 0)
		r = vmm_kvm_vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2", err);
	return r;
}

int vmm_kvm_irq_line(struct vmm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}
