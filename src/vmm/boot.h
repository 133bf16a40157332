/* boot.h - loading a Linux bzImage by the x86 64-bit boot protocol: header, boot_params, e820. */
#ifndef VD_VMM_BOOT_H
#define VD_VMM_BOOT_H

#include <asm/bootparam.h>

#include "vmm/vmm.h"

/* Fixed guest-physical addresses of what the loader writes below 1 MiB. */
#define VMM_BOOT_GDT 0x500ull
#define VMM_BOOT_IDT 0x520ull
#define VMM_BOOT_STACK 0x8ff0ull
#define VMM_BOOT_PARAMS 0x7000ull
#define VMM_BOOT_PML4 0x9000ull /* PML4, PDPT, then 4 page directories: 4 GiB identity map */
#define VMM_BOOT_CMDLINE 0x20000ull
#define VMM_BOOT_CMDLINE_MAX 0x10000ull
#define VMM_BOOT_EBDA 0x9fc00ull /* RAM below this; firmware area (ACPI tables) above */
#define VMM_BOOT_ACPI 0xe0000ull
#define VMM_BOOT_KERNEL 0x100000ull
#define VMM_PVH_START_INFO 0x6000ull

/* What the loader learnt from a bzImage's setup header. */
struct vmm_boot_kernel {
	struct setup_header hdr;
	uint64_t pm_offset;   /* where the protected-mode kernel starts in the file */
	uint64_t pm_size;
	uint64_t init_size;   /* memory the kernel needs from its load address */
};

/* Where vmm_boot_load put things, for the vCPU registers and the tests. */
struct vmm_boot_layout {
	bool pvh;            /* entry is the 32-bit PVH entry of an ELF vmlinux */
	uint64_t entry;      /* 64-bit entry point (bzImage) or 32-bit PVH entry */
	uint64_t initrd_gpa, initrd_size;
};

/* head: the file's first bytes (at least up to the setup header); len: the whole file's size. */
int vmm_boot_parse_header(const uint8_t *head, size_t head_len, uint64_t len,
			  struct vmm_boot_kernel *out, struct vd_error **err);
/* Fill tab with the guest's memory map; returns the number of entries. */
unsigned vmm_boot_e820(const struct vmm_mem *mem, struct boot_e820_entry *tab, unsigned max);
/* Write a 4 GiB identity map with 2 MiB pages at VMM_BOOT_PML4. */
int vmm_boot_page_tables(const struct vmm_mem *mem);
/* Write the GDT the vCPUs' long-mode segments refer to. */
int vmm_boot_gdt(const struct vmm_mem *mem);
/* Build boot_params at VMM_BOOT_PARAMS from the header, the command line and the initrd. */
int vmm_boot_params(const struct vmm_mem *mem, const struct vmm_boot_kernel *k, const char *cmdline,
		    const struct vmm_boot_layout *lay, uint64_t rsdp, struct vd_error **err);
/* Place the initrd as high as the kernel allows, below low RAM's end, above the kernel. */
int vmm_boot_place_initrd(const struct vmm_mem *mem, const struct vmm_boot_kernel *k, uint64_t size,
			  uint64_t *gpa, struct vd_error **err);
/* Load kernel (and initrd) files into guest memory and set everything up; fills *lay. */
int vmm_boot_load(struct vmm *vm, const char *kernel, const char *initrd, const char *cmdline,
		  struct vmm_boot_layout *lay, struct vd_error **err);

/* pvh.c: uncompressed ELF kernels with a PVH entry note. */
bool vmm_pvh_is_elf(const uint8_t *head, size_t len);
/* Load PT_LOAD segments at their physical addresses, find the PVH entry. */
int vmm_pvh_load_elf(const struct vmm_mem *mem, int fd, uint64_t fsize, uint64_t *entry,
		     uint64_t *kernel_end, struct vd_error **err);
/* Write hvm_start_info (command line, initrd module, memory map, RSDP) at VMM_PVH_START_INFO. */
int vmm_pvh_start_info(const struct vmm_mem *mem, const struct vmm_boot_layout *lay, uint64_t rsdp,
		       struct vd_error **err);

/* acpi.c: RSDP, XSDT, FADT (hardware-reduced), MADT and a DSDT naming the virtio-mmio devices. */
struct vmm_acpi_dev {
	uint64_t base, size;
	unsigned gsi;
};
int vmm_acpi_build(const struct vmm_mem *mem, unsigned nvcpus, const struct vmm_acpi_dev *devs,
		   unsigned ndevs, uint64_t *rsdp, struct vd_error **err);

#endif
