/* test-vmm-boot.c - virtdeck-vmm's boot path without KVM: bzImage header checks, e820, page
 * tables, boot_params, initrd placement, ACPI tables and VM definitions. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/def.h"

/* A minimal bzImage: setup header with "HdrS", protocol 2.15, a 64-bit entry. */
static uint8_t *fake_bzimage(size_t len, uint16_t version, uint16_t xload)
{
	uint8_t *img = calloc(1, len);
	struct setup_header h = { .setup_sects = 3, .boot_flag = 0xaa55, .header = 0x53726448,
				  .version = version, .loadflags = LOADED_HIGH, .xloadflags = xload,
				  .cmdline_size = 2048, .initrd_addr_max = 0x7fffffff,
				  .init_size = 0x400000 };
	memcpy(img + 0x1f1, &h, sizeof(h));
	return img;
}

static void test_header_checks(void **state)
{
	struct vmm_boot_kernel k;
	struct vd_error *err = NULL;
	_cleanup_free_ uint8_t *good = fake_bzimage(8192, 0x020f, XLF_KERNEL_64);
	assert_int_equal(vmm_boot_parse_header(good, 8192, 8192, &k, &err), 0);
	assert_null(err);
	assert_int_equal(k.pm_offset, 4 * 512);
	assert_int_equal(k.pm_size, 8192 - 4 * 512);
	assert_int_equal(k.init_size, 0x400000);

	_cleanup_free_ uint8_t *old = fake_bzimage(8192, 0x0206, 0);
	assert_int_equal(vmm_boot_parse_header(old, 8192, 8192, &k, &err), -ENOTSUP);
	assert_non_null(strstr(err->msg, "64-bit"));
	vd_error_freep(&err);

	good[0x202] = 'X'; /* no HdrS */
	assert_int_equal(vmm_boot_parse_header(good, 8192, 8192, &k, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "not a bzImage"));
	vd_error_freep(&err);
	assert_int_equal(vmm_boot_parse_header(good, 100, 100, &k, &err), -EINVAL);
	vd_error_freep(&err);
}

static void test_e820_small_and_large(void **state)
{
	struct vmm_mem mem;
	struct vd_error *err = NULL;
	struct boot_e820_entry tab[8];
	assert_int_equal(vmm_mem_alloc(&mem, 256ull << 20, &err), 0);
	assert_int_equal(vmm_boot_e820(&mem, tab, 8), 3);
	assert_int_equal(tab[0].addr, 0);
	assert_int_equal(tab[0].size, VMM_BOOT_EBDA);
	assert_int_equal(tab[1].type, 2); /* the firmware area holding the ACPI tables */
	assert_int_equal(tab[2].addr, 1 << 20);
	assert_int_equal(tab[2].addr + tab[2].size, 256ull << 20);
	vmm_mem_free(&mem);

	/* 4 GiB: 3 GiB below the MMIO hole, the rest from 4 GiB up (NORESERVE: nothing touched). */
	assert_int_equal(vmm_mem_alloc(&mem, 4ull << 30, &err), 0);
	assert_int_equal(vmm_boot_e820(&mem, tab, 8), 4);
	assert_int_equal(tab[2].addr + tab[2].size, 3ull << 30);
	assert_int_equal(tab[3].addr, 4ull << 30);
	assert_int_equal(tab[3].size, 1ull << 30);
	assert_null(vmm_mem_ptr(&mem, (3ull << 30) - 8, 16)); /* straddles the hole */
	assert_null(vmm_mem_ptr(&mem, 0xd0000000ull, 4));      /* virtio windows are not RAM */
	assert_non_null(vmm_mem_ptr(&mem, (5ull << 30) - 16, 16));
	assert_null(vmm_mem_ptr(&mem, (5ull << 30) - 16, 17));
	assert_null(vmm_mem_ptr(&mem, UINT64_MAX - 4, 16));   /* wrap-around */
	vmm_mem_free(&mem);
	assert_int_equal(vmm_mem_alloc(&mem, 1000, &err), -EINVAL);
	vd_error_freep(&err);
}

static void test_page_tables(void **state)
{
	struct vmm_mem mem;
	struct vd_error *err = NULL;
	assert_int_equal(vmm_mem_alloc(&mem, 128ull << 20, &err), 0);
	assert_int_equal(vmm_boot_page_tables(&mem), 0);
	uint64_t *pml4 = vmm_mem_ptr(&mem, VMM_BOOT_PML4, 4096);
	uint64_t *pdpt = vmm_mem_ptr(&mem, pml4[0] & ~0xfffull, 4096);
	assert_int_equal(pml4[0] & 3, 3); /* present, writable */
	assert_int_equal(pml4[1], 0);
	for (int i = 0; i < 4; i++) {
		uint64_t *pd = vmm_mem_ptr(&mem, pdpt[i] & ~0xfffull, 4096);
		assert_non_null(pd);
		/* 2 MiB page j of GiB i maps itself. */
		assert_int_equal(pd[7] & ~0xfffull, ((uint64_t)i << 30) + (7ull << 21));
		assert_int_equal(pd[7] & 0x83, 0x83);
	}
	assert_int_equal(pdpt[4], 0);
	vmm_mem_free(&mem);
}

static void test_boot_params_and_initrd(void **state)
{
	struct vmm_mem mem;
	struct vd_error *err = NULL;
	struct vmm_boot_kernel k;
	_cleanup_free_ uint8_t *img = fake_bzimage(8192, 0x020f, XLF_KERNEL_64);
	assert_int_equal(vmm_mem_alloc(&mem, 128ull << 20, &err), 0);
	assert_int_equal(vmm_boot_parse_header(img, 8192, 8192, &k, &err), 0);
	struct vmm_boot_layout lay = { 0 };
	assert_int_equal(vmm_boot_place_initrd(&mem, &k, 5000, &lay.initrd_gpa, &err), 0);
	assert_int_equal(lay.initrd_gpa % 4096, 0);
	assert_true(lay.initrd_gpa + 5000 <= 128ull << 20);
	assert_true(lay.initrd_gpa >= VMM_BOOT_KERNEL + k.init_size);
	lay.initrd_size = 5000;
	assert_int_equal(vmm_boot_place_initrd(&mem, &k, 200ull << 20, &lay.initrd_gpa, &err), -ENOMEM);
	vd_error_freep(&err);
	assert_int_equal(vmm_boot_place_initrd(&mem, &k, 5000, &lay.initrd_gpa, &err), 0);

	assert_int_equal(vmm_boot_params(&mem, &k, "console=ttyS0 quiet", &lay, 0xe0000, &err), 0);
	struct boot_params *bp = vmm_mem_ptr(&mem, VMM_BOOT_PARAMS, sizeof(*bp));
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.ramdisk_image, lay.initrd_gpa);
	assert_int_equal(bp->hdr.ramdisk_size, 5000);
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
	assert_true(bp->hdr.loadflags & CAN_USE_HEAP);
	assert_string_equal((char *)vmm_mem_ptr(&mem, bp->hdr.cmd_line_ptr, 20), "console=ttyS0 quiet");

	char *long_cmd = calloc(1, 3000);
	memset(long_cmd, 'a', 2999);
	assert_int_equal(vmm_boot_params(&mem, &k, long_cmd, &lay, 0, &err), -E2BIG);
	vd_error_freep(&err);
	free(long_cmd);
	vmm_mem_free(&mem);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *acpi_table(struct vmm_mem *mem, uint64_t gpa, const char *sig)
{
	const uint8_t *t = vmm_mem_ptr(mem, gpa, 36);
	assert_non_null(t);
	assert_memory_equal(t, sig, 4);
	uint32_t len;
	memcpy(&len, t + 4, 4);
	assert_int_equal(sum(vmm_mem_ptr(mem, gpa, len), len), 0);
	return t;
}

static void test_acpi_tables(void **state)
{
	struct vmm_mem mem;
	struct vd_error *err = NULL;
	uint64_t rsdp;
	struct vmm_acpi_dev devs[2] = { { 0xd0000000, 0x1000, 16 }, { 0xd0001000, 0x1000, 17 } };
	assert_int_equal(vmm_mem_alloc(&mem, 128ull << 20, &err), 0);
	assert_int_equal(vmm_acpi_build(&mem, 3, devs, 2, &rsdp, &err), 0);
	const uint8_t *r = vmm_mem_ptr(&mem, rsdp, 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	uint64_t xsdt, ptr[2];
	memcpy(&xsdt, r + 24, 8);
	const uint8_t *x = acpi_table(&mem, xsdt, "XSDT");
	memcpy(ptr, x + 36, 16);
	const uint8_t *fadt = acpi_table(&mem, ptr[0], "FACP");
	const uint8_t *madt = acpi_table(&mem, ptr[1], "APIC");
	uint32_t flags, madt_len;
	memcpy(&flags, fadt + 112, 4);
	assert_true(flags & (1u << 20)); /* hardware-reduced */
	memcpy(&madt_len, madt + 4, 4);
	assert_int_equal(madt_len, 44 + 3 * 8 + 12); /* 3 local APICs + 1 IOAPIC */
	assert_int_equal(madt[44 + 2 * 8 + 3], 2); /* third CPU's APIC ID */
	uint64_t dsdt;
	memcpy(&dsdt, fadt + 140, 8);
	const uint8_t *d = acpi_table(&mem, dsdt, "DSDT");
	uint32_t dlen;
	memcpy(&dlen, d + 4, 4);
	assert_non_null(memmem(d, dlen, "LNRO0005", 8)); /* virtio-mmio devices are named */
	assert_non_null(memmem(d, dlen, "VR01", 4));
	assert_non_null(memmem(d, dlen, "_S5_", 4));
	vmm_mem_free(&mem);
}

static void test_def_ini(void **state)
{
	char path[] = "/tmp/vd-test-def-XXXXXX";
	int fd = mkstemp(path);
	const char *ini = "[vm]\nname=web\nvcpus=2\nmemory=512M\nkernel=/boot/vmlinuz\nballoon=no\n";
	assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
	close(fd);
	struct vmm_def d;
	struct vd_error *err = NULL;
	vmm_def_init(&d);
	assert_int_equal(vmm_def_load(path, &d, &err), 0);
	assert_string_equal(d.name, "web");
	assert_int_equal(d.vcpus, 2);
	assert_int_equal(d.mem_bytes, 512ull << 20);
	assert_false(d.balloon);
	assert_true(d.rng);
	assert_int_equal(vmm_def_check(&d, &err), 0);
	assert_int_equal(vmm_def_save(path, &d, &err), 0);
	vmm_def_clear(&d);
	assert_int_equal(vmm_def_load(path, &d, &err), 0);
	assert_string_equal(d.kernel, "/boot/vmlinuz");
	vmm_def_clear(&d);

	fd = open(path, O_WRONLY | O_TRUNC);
	const char *bad = "[vm]\nname=x\nvcpus=lots\n";
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	assert_int_equal(vmm_def_load(path, &d, &err), -EINVAL);
	assert_non_null(strstr(err->msg, ":3: vcpus=lots"));
	vd_error_freep(&err);
	vmm_def_clear(&d);
	unlink(path);
}

/* A synthetic vmlinux: one PT_LOAD at 16 MiB and a PT_NOTE with the PVH entry. */
static int fake_elf(uint64_t paddr, bool with_note)
{
	char path[] = "/tmp/vd-test-elf-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	Elf64_Ehdr eh = { .e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
			  .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_phoff = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = paddr, .p_filesz = 16, .p_memsz = 0x2000 },
		{ .p_type = with_note ? PT_NOTE : PT_NULL, .p_offset = 0x800, .p_filesz = 24 },
	};
	uint32_t note[6] = { 4, 8, 18, 0x006e6558 /* "Xen\0" */, 0x1000123, 0 };
	assert_int_equal(pwrite(fd, &eh, sizeof(eh), 0), sizeof(eh));
	assert_int_equal(pwrite(fd, ph, sizeof(ph), sizeof(eh)), sizeof(ph));
	assert_int_equal(pwrite(fd, note, sizeof(note), 0x800), sizeof(note));
	assert_int_equal(pwrite(fd, "kernel-text-here", 16, 0x1000), 16);
	return fd;
}

static void test_pvh_elf(void **state)
{
	struct vmm_mem mem;
	struct vd_error *err = NULL;
	uint64_t entry = 0, end = 0;
	assert_int_equal(vmm_mem_alloc(&mem, 64ull << 20, &err), 0);
	int fd = fake_elf(16ull << 20, true);
	assert_int_equal(vmm_pvh_load_elf(&mem, fd, 0x1010, &entry, &end, &err), 0);
	assert_int_equal(entry, 0x1000123);
	assert_int_equal(end, (16ull << 20) + 0x2000);
	assert_memory_equal(vmm_mem_ptr(&mem, 16ull << 20, 16), "kernel-text-here", 16);
	close(fd);
	fd = fake_elf(16ull << 20, false);
	assert_int_equal(vmm_pvh_load_elf(&mem, fd, 0x1010, &entry, &end, &err), -ENOTSUP);
	vd_error_freep(&err);
	close(fd);
	fd = fake_elf((64ull << 20) - 0x1000, true); /* 8 KiB from 4 KiB below the end of RAM */
	assert_int_equal(vmm_pvh_load_elf(&mem, fd, 0x1010, &entry, &end, &err), -EINVAL);
	vd_error_freep(&err);
	close(fd);
	fd = fake_elf(16ull << 20, true); /* the file is shorter than the segment says */
	assert_int_equal(vmm_pvh_load_elf(&mem, fd, 0x1008, &entry, &end, &err), -EINVAL);
	vd_error_freep(&err);
	close(fd);

	struct vmm_boot_layout lay = { .pvh = true, .initrd_gpa = 0x2000000, .initrd_size = 1234 };
	assert_int_equal(vmm_pvh_start_info(&mem, &lay, 0xe0000, &err), 0);
	uint32_t *si = vmm_mem_ptr(&mem, VMM_PVH_START_INFO, 64);
	assert_int_equal(si[0], 0x336ec578);
	assert_int_equal(si[3], 1); /* one module: the initrd */
	vmm_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_e820_small_and_large),
		cmocka_unit_test(test_page_tables),
		cmocka_unit_test(test_boot_params_and_initrd),
		cmocka_unit_test(test_acpi_tables),
		cmocka_unit_test(test_def_ini),
		cmocka_unit_test(test_pvh_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
