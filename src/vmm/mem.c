/* mem.c - guest RAM: one anonymous mapping, its KVM memory slots and bounds-checked translation. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/vmm.h"

void vmm_mem_merge(const struct vmm_mem *mem)
{
	madvise(mem->base, mem->size, MADV_MERGEABLE);
}

/* Guest RAM starts on a 2 MiB boundary: only then can the host back guest 2 MiB frames with
 * transparent huge pages (and KVM map them with large second-level entries). Linux before 6.7
 * does not align large anonymous mappings by itself; QEMU aligns its RAM the same way. */
static void *vmm_mem_map_aligned(uint64_t size)
{
	const uint64_t align = 2 * VMM_MIB;
	uint8_t *raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + align > base)
		munmap(base + size, (size_t)(raw + align - base));
	return base;
}

int vmm_mem_alloc(struct vmm_mem *mem, uint64_t size, struct vd_error **err)
{
	if (size < 64 * VMM_MIB || size > 1024 * VMM_GIB || size % (2 * VMM_MIB))
		return vd_error_set(err, EINVAL, "guest memory %llu bytes: give 64M..1T in 2M steps",
				    (unsigned long long)size);
	void *p = vmm_mem_map_aligned(size);
	if (!p)
		return vd_error_errno(err, errno, "mmap %llu bytes of guest memory",
				      (unsigned long long)size);
	/* Huge pages make the second-level page walk shorter; a hint, failure changes nothing. */
	madvise(p, size, MADV_HUGEPAGE);
	mem->base = p;
	mem->size = size;
	uint64_t low = size < VMM_LOWMEM_MAX ? size : VMM_LOWMEM_MAX;
	mem->regions[0] = (struct vmm_mem_region){ .gpa = 0, .size = low, .hva = p };
	mem->nregions = 1;
	if (size > low) {
		mem->regions[1] = (struct vmm_mem_region){ .gpa = VMM_HIGHMEM_BASE, .size = size - low,
							   .hva = (uint8_t *)p + low };
		mem->nregions = 2;
	}
	return 0;
}

void vmm_mem_free(struct vmm_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	mem->base = NULL;
}

int vmm_mem_register(struct vmm *vm, struct vd_error **err)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct vmm_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i, .guest_phys_addr = r->gpa, .memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return vd_error_errno(err, errno, "KVM_SET_USER_MEMORY_REGION slot %u of VM %s", i,
					      vm->name);
	}
	return 0;
}

/* Every guest-supplied address goes through here: the whole range must sit in one region. */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vmm_mem_region *r = &mem->regions[i];
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t vmm_mem_touched(const struct vmm_mem *mem)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t pages = mem->size / (uint64_t)psz;
	_cleanup_free_ unsigned char *vec = vd_xmalloc(pages);
	if (mincore(mem->base, mem->size, vec) < 0)
		return 0;
	uint64_t n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n * (uint64_t)psz;
}

void vmm_mem_discard(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	void *p = vmm_mem_ptr(mem, gpa, len);
	if (p)
		madvise(p, len, MADV_DONTNEED);
}
