/* pvh.c - booting an uncompressed vmlinux (ELF) through its PVH entry note: no decompression,
 * no real-mode setup; the kernel starts in 32-bit protected mode with an hvm_start_info. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"

#define PVH_NOTE_ENTRY 18 /* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_MAGIC 0x336ec578
#define PVH_MAX_PHDRS 64

/* The ABI structures of Xen's start_info.h, which Linux's PVH entry reads. */
struct pvh_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct pvh_module {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct pvh_memmap {
	uint64_t addr, size;
	uint32_t type, reserved;
};

bool vmm_pvh_is_elf(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

/* Walk one PT_NOTE segment's notes for the PVH entry ("Xen", type 18). */
static bool vmm_pvh_find_note(const uint8_t *n, uint64_t len, uint64_t *entry)
{
	uint64_t off = 0;
	while (off + 12 <= len) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, n + off, 4);
		memcpy(&descsz, n + off + 4, 4);
		memcpy(&type, n + off + 8, 4);
		uint64_t name = off + 12, desc = name + ((namesz + 3ull) & ~3ull);
		if (desc > len || descsz > len - desc)
			return false;
		if (type == PVH_NOTE_ENTRY && namesz == 4 && !memcmp(n + name, "Xen", 4) && descsz >= 4) {
			uint64_t e = 0; /* a .quad on 64-bit kernels, a .long on older ones */
			memcpy(&e, n + desc, descsz >= 8 ? 8 : 4);
			*entry = e;
			return true;
		}
		off = desc + ((descsz + 3ull) & ~3ull);
	}
	return false;
}

static int vmm_pvh_read(int fd, uint64_t off, void *buf, uint64_t len, uint64_t fsize)
{
	if (off > fsize || len > fsize - off)
		return -EINVAL;
	for (uint64_t done = 0; done < len;) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		done += (uint64_t)r;
	}
	return 0;
}

/* Copy a PT_LOAD segment to its physical address; the range is checked against guest RAM. */
static int vmm_pvh_segment(const struct vmm_mem *mem, int fd, const Elf64_Phdr *ph, uint64_t fsize,
			   uint64_t *end)
{
	if (ph->p_filesz > ph->p_memsz || ph->p_paddr < VMM_BOOT_KERNEL)
		return -EINVAL;
	uint8_t *dst = vmm_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
	if (!dst || vmm_pvh_read(fd, ph->p_offset, dst, ph->p_filesz, fsize) < 0)
		return -EINVAL;
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (ph->p_paddr + ph->p_memsz > *end)
		*end = ph->p_paddr + ph->p_memsz;
	return 0;
}

static int vmm_pvh_note(int fd, const Elf64_Phdr *ph, uint64_t fsize, uint64_t *entry)
{
	if (ph->p_filesz > 4096)
		return 0; /* kernel note segments are small; skip anything else */
	uint8_t buf[4096];
	if (vmm_pvh_read(fd, ph->p_offset, buf, ph->p_filesz, fsize) < 0)
		return -EINVAL;
	return vmm_pvh_find_note(buf, ph->p_filesz, entry) ? 1 : 0;
}

int vmm_pvh_load_elf(const struct vmm_mem *mem, int fd, uint64_t fsize, uint64_t *entry,
		     uint64_t *kernel_end, struct vd_error **err)
{
	Elf64_Ehdr eh;
	if (vmm_pvh_read(fd, 0, &eh, sizeof(eh), fsize) < 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > PVH_MAX_PHDRS)
		return vd_error_set(err, EINVAL, "not a 64-bit x86 ELF kernel with program headers");
	Elf64_Phdr ph[PVH_MAX_PHDRS];
	if (vmm_pvh_read(fd, eh.e_phoff, ph, eh.e_phnum * sizeof(Elf64_Phdr), fsize) < 0)
		return vd_error_set(err, EINVAL, "ELF program headers outside the file");
	bool found = false;
	*kernel_end = VMM_BOOT_KERNEL;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		int r = 0;
		if (ph[i].p_type == PT_LOAD)
			r = vmm_pvh_segment(mem, fd, &ph[i], fsize, kernel_end);
		else if (ph[i].p_type == PT_NOTE && !found)
			r = vmm_pvh_note(fd, &ph[i], fsize, entry);
		if (r < 0)
			return vd_error_set(err, EINVAL, "ELF segment %u does not fit guest memory or the file", i);
		found |= r > 0;
	}
	if (!found)
		return vd_error_set(err, ENOTSUP, "the ELF kernel has no PVH entry note: build it with "
				    "CONFIG_PVH=y, or boot the bzImage");
	return 0;
}

int vmm_pvh_start_info(const struct vmm_mem *mem, const struct vmm_boot_layout *lay, uint64_t rsdp,
		       struct vd_error **err)
{
	struct pvh_start_info *si = vmm_mem_ptr(mem, VMM_PVH_START_INFO, 0x1000);
	if (!si)
		return vd_error_set(err, EFAULT, "PVH start info outside guest memory");
	memset(si, 0, 0x1000);
	struct pvh_module *mod = (struct pvh_module *)(si + 1);
	struct pvh_memmap *map = (struct pvh_memmap *)(mod + 1);
	struct boot_e820_entry e820[8];
	unsigned n = vmm_boot_e820(mem, e820, 8);
	for (unsigned i = 0; i < n; i++)
		map[i] = (struct pvh_memmap){ .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type };
	*si = (struct pvh_start_info){ .magic = PVH_MAGIC, .version = 1, .cmdline_paddr = VMM_BOOT_CMDLINE,
				       .rsdp_paddr = rsdp, .memmap_entries = n,
				       .memmap_paddr = VMM_PVH_START_INFO + ((uint8_t *)map - (uint8_t *)si) };
	if (lay->initrd_size) {
		*mod = (struct pvh_module){ .paddr = lay->initrd_gpa, .size = lay->initrd_size };
		si->nr_modules = 1;
		si->modlist_paddr = VMM_PVH_START_INFO + sizeof(*si);
	}
	return 0;
}
