/* boot.c - the x86 64-bit boot protocol: bzImage header checks, boot_params, e820, page tables. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"

#define VMM_BOOT_HDR_OFF 0x1f1
#define VMM_BOOT_MAGIC 0x53726448 /* "HdrS" */
#define VMM_E820_RAM 1
#define VMM_E820_RESERVED 2
#define VMM_PTE_P 0x1ull
#define VMM_PTE_RW 0x2ull
#define VMM_PTE_PS 0x80ull

int vmm_boot_parse_header(const uint8_t *img, size_t head_len, uint64_t len,
			  struct vmm_boot_kernel *out, struct vd_error **err)
{
	struct setup_header h;
	if (head_len < VMM_BOOT_HDR_OFF + sizeof(h) || len < head_len)
		return vd_error_set(err, EINVAL, "kernel is %llu bytes, too small to be a bzImage",
				    (unsigned long long)len);
	memcpy(&h, img + VMM_BOOT_HDR_OFF, sizeof(h));
	if (h.boot_flag != 0xaa55 || h.header != VMM_BOOT_MAGIC)
		return vd_error_set(err, EINVAL, "kernel is not a bzImage (no HdrS signature); give a "
				    "bzImage such as /boot/vmlinuz-*");
	if (h.version < 0x020c || !(h.xloadflags & XLF_KERNEL_64))
		return vd_error_set(err, ENOTSUP, "bzImage boot protocol %u.%02u without a 64-bit entry: "
				    "need protocol 2.12+ (Linux 3.8+) built for x86_64",
				    h.version >> 8, h.version & 0xff);
	if (!(h.loadflags & LOADED_HIGH))
		return vd_error_set(err, ENOTSUP, "zImage (loaded low) kernels are not supported");
	unsigned sects = h.setup_sects ? h.setup_sects : 4;
	uint64_t off = (uint64_t)(sects + 1) * 512;
	if (off >= len)
		return vd_error_set(err, EINVAL, "bzImage truncated: setup is %llu bytes of %llu",
				    (unsigned long long)off, (unsigned long long)len);
	out->hdr = h;
	out->pm_offset = off;
	out->pm_size = len - off;
	out->init_size = h.init_size > out->pm_size ? h.init_size : out->pm_size;
	return 0;
}

static unsigned vmm_boot_e820_add(struct boot_e820_entry *tab, unsigned n, unsigned max,
				  uint64_t addr, uint64_t size, uint32_t type)
{
	if (n >= max || size == 0)
		return n;
	tab[n] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	return n + 1;
}

unsigned vmm_boot_e820(const struct vmm_mem *mem, struct boot_e820_entry *tab, unsigned max)
{
	const struct vmm_mem_region *low = &mem->regions[0];
	unsigned n = vmm_boot_e820_add(tab, 0, max, 0, VMM_BOOT_EBDA, VMM_E820_RAM);
	n = vmm_boot_e820_add(tab, n, max, VMM_BOOT_EBDA, VMM_BOOT_KERNEL - VMM_BOOT_EBDA,
			      VMM_E820_RESERVED);
	n = vmm_boot_e820_add(tab, n, max, VMM_BOOT_KERNEL, low->size - VMM_BOOT_KERNEL, VMM_E820_RAM);
	if (mem->nregions > 1)
		n = vmm_boot_e820_add(tab, n, max, mem->regions[1].gpa, mem->regions[1].size,
				      VMM_E820_RAM);
	return n;
}

int vmm_boot_page_tables(const struct vmm_mem *mem)
{
	uint64_t *pml4 = vmm_mem_ptr(mem, VMM_BOOT_PML4, 6 * 4096);
	if (!pml4)
		return -EFAULT;
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	memset(pml4, 0, 6 * 4096);
	pml4[0] = (VMM_BOOT_PML4 + 0x1000) | VMM_PTE_P | VMM_PTE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (VMM_BOOT_PML4 + 0x2000 + i * 0x1000ull) | VMM_PTE_P | VMM_PTE_RW;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | VMM_PTE_P | VMM_PTE_RW | VMM_PTE_PS;
	return 0;
}

int vmm_boot_gdt(const struct vmm_mem *mem)
{
	/* null, null, 64-bit code (0x10 = __BOOT_CS), data (0x18 = __BOOT_DS), TSS (0x20). */
	static const uint64_t gdt[] = { 0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull,
					0x00808b0000000fffull };
	uint64_t *p = vmm_mem_ptr(mem, VMM_BOOT_GDT, sizeof(gdt) + 8);
	if (!p)
		return -EFAULT;
	memcpy(p, gdt, sizeof(gdt));
	memset(vmm_mem_ptr(mem, VMM_BOOT_IDT, 8), 0, 8);
	return 0;
}

int vmm_boot_place_initrd(const struct vmm_mem *mem, const struct vmm_boot_kernel *k, uint64_t size,
			  uint64_t *gpa, struct vd_error **err)
{
	uint64_t top = mem->regions[0].size;
	uint64_t max = k->hdr.initrd_addr_max ? (uint64_t)k->hdr.initrd_addr_max + 1 : 0x38000000ull;
	if (top > max)
		top = max;
	uint64_t kernel_end = VMM_BOOT_KERNEL + k->init_size;
	if (size > top || ((top - size) & ~0xfffull) < kernel_end)
		return vd_error_set(err, ENOMEM, "initrd of %llu bytes does not fit between the kernel "
				    "(ends at %#llx) and %#llx: give the VM more memory",
				    (unsigned long long)size, (unsigned long long)kernel_end,
				    (unsigned long long)top);
	*gpa = (top - size) & ~0xfffull;
	return 0;
}

static int vmm_boot_cmdline(const struct vmm_mem *mem, const struct vmm_boot_kernel *k,
			    const char *cmdline, struct vd_error **err)
{
	size_t n = strlen(cmdline);
	uint64_t max = k->hdr.cmdline_size ? k->hdr.cmdline_size : 255;
	if (n > max || n >= VMM_BOOT_CMDLINE_MAX)
		return vd_error_set(err, E2BIG, "kernel command line is %zu bytes; this kernel takes %llu",
				    n, (unsigned long long)max);
	char *p = vmm_mem_ptr(mem, VMM_BOOT_CMDLINE, n + 1);
	memcpy(p, cmdline, n + 1);
	return 0;
}

int vmm_boot_params(const struct vmm_mem *mem, const struct vmm_boot_kernel *k, const char *cmdline,
		    const struct vmm_boot_layout *lay, uint64_t rsdp, struct vd_error **err)
{
	struct boot_params *bp = vmm_mem_ptr(mem, VMM_BOOT_PARAMS, sizeof(*bp));
	if (!bp)
		return vd_error_set(err, EFAULT, "boot_params outside guest memory");
	memset(bp, 0, sizeof(*bp));
	bp->hdr = k->hdr;
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP | LOADED_HIGH;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = VMM_BOOT_CMDLINE;
	bp->hdr.ramdisk_image = (uint32_t)lay->initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)lay->initrd_size;
	bp->acpi_rsdp_addr = rsdp;
	bp->e820_entries = (uint8_t)vmm_boot_e820(mem, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	return vmm_boot_cmdline(mem, k, cmdline, err);
}

/* Read a whole file into guest memory at gpa (bounded by max). */
static int vmm_boot_read_into(const struct vmm_mem *mem, int fd, uint64_t off, uint64_t size,
			      uint64_t gpa, const char *path, struct vd_error **err)
{
	uint8_t *dst = vmm_mem_ptr(mem, gpa, size);
	if (!dst)
		return vd_error_set(err, ENOMEM, "%s (%llu bytes) does not fit in guest memory at %#llx",
				    path, (unsigned long long)size, (unsigned long long)gpa);
	for (uint64_t done = 0; done < size;) {
		ssize_t r = pread(fd, dst + done, size - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vd_error_errno(err, r < 0 ? errno : EIO, "read %s", path);
		done += (uint64_t)r;
	}
	return 0;
}

static int vmm_boot_open(const char *path, uint64_t *size, struct vd_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vd_error_errno(err, e, "open %s", path);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* An ELF vmlinux: what the initrd placement and command line need, as a bzImage would say it. */
static int vmm_boot_elf(struct vmm *vm, int fd, uint64_t size, const char *path,
			struct vmm_boot_kernel *k, struct vmm_boot_layout *lay, struct vd_error **err)
{
	uint64_t end = 0;
	int r = vmm_pvh_load_elf(&vm->mem, fd, size, &lay->entry, &end, err);
	if (r < 0)
		return vd_error_wrap(err, "loading ELF kernel %s of VM %s", path, vm->name);
	memset(k, 0, sizeof(*k));
	k->hdr.initrd_addr_max = 0x7fffffff;
	k->hdr.cmdline_size = 2047;
	k->init_size = end - VMM_BOOT_KERNEL;
	lay->pvh = true;
	return 0;
}

static int vmm_boot_kernel_file(struct vmm *vm, const char *path, struct vmm_boot_kernel *k,
				struct vmm_boot_layout *lay, struct vd_error **err)
{
	uint64_t size;
	_cleanup_close_ int fd = vmm_boot_open(path, &size, err);
	if (fd < 0)
		return fd;
	uint8_t head[1024];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return vd_error_errno(err, errno, "read %s", path);
	if (vmm_pvh_is_elf(head, (size_t)n))
		return vmm_boot_elf(vm, fd, size, path, k, lay, err);
	int r = vmm_boot_parse_header(head, (size_t)n, size, k, err);
	if (r == 0 && VMM_BOOT_KERNEL + k->init_size > vm->mem.regions[0].size)
		r = vd_error_set(err, ENOMEM, "kernel %s needs %llu bytes from 1 MiB: give VM %s more "
				 "memory", path, (unsigned long long)k->init_size, vm->name);
	if (r == 0)
		r = vmm_boot_read_into(&vm->mem, fd, k->pm_offset, k->pm_size, VMM_BOOT_KERNEL, path, err);
	lay->entry = VMM_BOOT_KERNEL + 0x200; /* the 64-bit entry, 512 bytes into the kernel */
	return r < 0 ? vd_error_wrap(err, "loading kernel of VM %s", vm->name) : 0;
}

static int vmm_boot_initrd_file(struct vmm *vm, const char *path, const struct vmm_boot_kernel *k,
				struct vmm_boot_layout *lay, struct vd_error **err)
{
	uint64_t size;
	_cleanup_close_ int fd = vmm_boot_open(path, &size, err);
	if (fd < 0)
		return fd;
	int r = vmm_boot_place_initrd(&vm->mem, k, size, &lay->initrd_gpa, err);
	if (r == 0)
		r = vmm_boot_read_into(&vm->mem, fd, 0, size, lay->initrd_gpa, path, err);
	lay->initrd_size = size;
	return r < 0 ? vd_error_wrap(err, "loading initrd of VM %s", vm->name) : 0;
}

static unsigned vmm_boot_acpi_devs(struct vmm *vm, struct vmm_acpi_dev *devs)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		devs[i] = (struct vmm_acpi_dev){ .base = VMM_VIRTIO_BASE + i * VMM_VIRTIO_SIZE,
						 .size = VMM_VIRTIO_SIZE, .gsi = VMM_VIRTIO_GSI + i };
	return vm->ndevs;
}

int vmm_boot_load(struct vmm *vm, const char *kernel, const char *initrd, const char *cmdline,
		  struct vmm_boot_layout *lay, struct vd_error **err)
{
	struct vmm_boot_kernel k;
	memset(lay, 0, sizeof(*lay));
	int r = vmm_boot_kernel_file(vm, kernel, &k, lay, err);
	if (r == 0 && initrd)
		r = vmm_boot_initrd_file(vm, initrd, &k, lay, err);
	if (r < 0)
		return r;
	struct vmm_acpi_dev devs[8];
	uint64_t rsdp = 0;
	unsigned ndevs = vmm_boot_acpi_devs(vm, devs);
	if (vmm_boot_page_tables(&vm->mem) < 0 || vmm_boot_gdt(&vm->mem) < 0)
		return vd_error_set(err, EFAULT, "writing page tables of VM %s", vm->name);
	r = vmm_acpi_build(&vm->mem, vm->nvcpus, devs, ndevs, &rsdp, err);
	if (r == 0 && lay->pvh)
		r = vmm_boot_cmdline(&vm->mem, &k, cmdline, err);
	if (r == 0 && lay->pvh)
		return vmm_pvh_start_info(&vm->mem, lay, rsdp, err);
	if (r == 0)
		r = vmm_boot_params(&vm->mem, &k, cmdline, lay, rsdp, err);
	return r;
}
