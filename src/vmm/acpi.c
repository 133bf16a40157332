/* acpi.c - the guest's ACPI tables: hardware-reduced FADT, MADT (CPUs, IOAPIC), DSDT (virtio-mmio).
 */
#include <errno.h>

#include "vmm/boot.h"

/* The Debian cloud kernel parses no MP table and announces no virtio-mmio devices from the
 * command line: SMP, the IOAPIC and virtio-mmio all reach it through ACPI, as on microvm. */
#define ACPI_XSDT (VMM_BOOT_ACPI + 0x40)
#define ACPI_FADT (VMM_BOOT_ACPI + 0x100)
#define ACPI_MADT (VMM_BOOT_ACPI + 0x300)
#define ACPI_DSDT (VMM_BOOT_ACPI + 0x1000)
#define ACPI_END (VMM_BOOT_ACPI + 0x10000)
#define ACPI_FADT_LEN 276
#define VMM_ACPI_SLEEP_PORT 0x3c0 /* sleep control (write) and status (+1) registers */

struct acpi_buf {
	uint8_t b[4096];
	size_t n;
	bool overflow;
};

static void acpi_put(struct acpi_buf *a, const void *p, size_t n)
{
	if (a->n + n > sizeof(a->b)) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->n, p, n);
	a->n += n;
}

static void acpi_u8(struct acpi_buf *a, uint8_t v)
{
	acpi_put(a, &v, 1);
}

static void acpi_u32(struct acpi_buf *a, uint32_t v)
{
	acpi_put(a, &v, 4);
}

static uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return (uint8_t)(0 - s);
}

/* AML PkgLength: the encoded length counts its own bytes. */
static void aml_pkglen(struct acpi_buf *a, size_t len)
{
	if (len + 1 <= 0x3f) {
		acpi_u8(a, (uint8_t)(len + 1));
	} else if (len + 2 <= 0xfff) {
		acpi_u8(a, (uint8_t)(0x40 | ((len + 2) & 0xf)));
		acpi_u8(a, (uint8_t)((len + 2) >> 4));
	} else {
		acpi_u8(a, (uint8_t)(0x80 | ((len + 3) & 0xf)));
		acpi_u8(a, (uint8_t)(((len + 3) >> 4) & 0xff));
		acpi_u8(a, (uint8_t)((len + 3) >> 12));
	}
}

/* op [ext] PkgLength body */
static void aml_wrap(struct acpi_buf *a, const uint8_t *op, size_t oplen,
		     const struct acpi_buf *body)
{
	acpi_put(a, op, oplen);
	aml_pkglen(a, body->n);
	acpi_put(a, body->b, body->n);
	a->overflow |= body->overflow;
}

static void aml_int(struct acpi_buf *a, uint32_t v)
{
	if (v <= 1) {
		acpi_u8(a, (uint8_t)v);
	} else if (v <= 0xff) {
		acpi_u8(a, 0x0a);
		acpi_u8(a, (uint8_t)v);
	} else {
		acpi_u8(a, 0x0c);
		acpi_u32(a, v);
	}
}

static void aml_name_str(struct acpi_buf *a, const char *name, const char *s)
{
	acpi_u8(a, 0x08);
	acpi_put(a, name, 4);
	acpi_u8(a, 0x0d);
	acpi_put(a, s, strlen(s) + 1);
}

static void aml_name_int(struct acpi_buf *a, const char *name, uint32_t v)
{
	acpi_u8(a, 0x08);
	acpi_put(a, name, 4);
	aml_int(a, v);
}

/* Name(_CRS, ResourceTemplate() { Memory32Fixed(RW, base, size); Interrupt(Level, High){gsi} }) */
static void aml_crs(struct acpi_buf *a, const struct vmm_acpi_dev *d)
{
	struct acpi_buf res = { .n = 0 }, buf = { .n = 0 };
	uint8_t mem[] = { 0x86, 0x09, 0x00, 0x01 };
	acpi_put(&res, mem, sizeof(mem));
	acpi_u32(&res, (uint32_t)d->base);
	acpi_u32(&res, (uint32_t)d->size);
	uint8_t irq[] = { 0x89, 0x06, 0x00, 0x01, 0x01 };
	acpi_put(&res, irq, sizeof(irq));
	acpi_u32(&res, d->gsi);
	uint8_t end[] = { 0x79, 0x00 };
	acpi_put(&res, end, sizeof(end));
	aml_int(&buf, (uint32_t)res.n);
	acpi_put(&buf, res.b, res.n);
	acpi_u8(a, 0x08);
	acpi_put(a, "_CRS", 4);
	uint8_t op = 0x11;
	aml_wrap(a, &op, 1, &buf);
}

static void aml_virtio_dev(struct acpi_buf *a, const struct vmm_acpi_dev *d, unsigned i)
{
	struct acpi_buf body = { .n = 0 };
	char name[5];
	snprintf(name, sizeof(name), "VR%02X", i & 0xff);
	acpi_put(&body, name, 4);
	aml_name_str(&body, "_HID", "LNRO0005");
	aml_name_int(&body, "_UID", i);
	aml_crs(&body, d);
	static const uint8_t devop[] = { 0x5b, 0x82 };
	aml_wrap(a, devop, 2, &body);
}

/* Name(_HID, EisaId(id)) for the legacy devices: PNP IDs compress to a 32-bit integer. */
static void aml_name_eisa(struct acpi_buf *a, const char *name, const char *id)
{
	uint16_t v1 = (uint16_t)(((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40));
	unsigned hex = (unsigned)strtoul(id + 3, NULL, 16);
	uint32_t v = (uint32_t)((v1 >> 8) | ((v1 & 0xff) << 8)) | ((hex >> 8) & 0xff) << 16 |
		     (hex & 0xff) << 24;
	acpi_u8(a, 0x08);
	acpi_put(a, name, 4);
	acpi_u8(a, 0x0c);
	acpi_u32(a, v);
}

static void aml_io(struct acpi_buf *res, uint16_t port, uint8_t len)
{
	uint8_t io[] = { 0x47, 0x01, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)port,
			 (uint8_t)(port >> 8), 0x01, len };
	acpi_put(res, io, sizeof(io));
}

/* A legacy ISA device: without it in the DSDT a hardware-reduced kernel never maps its IRQ. */
static void aml_legacy_dev(struct acpi_buf *a, const char *name, const char *hid,
			   const uint16_t *ports, const uint8_t *lens, unsigned nports,
			   unsigned irq)
{
	struct acpi_buf body = { .n = 0 }, res = { .n = 0 }, buf = { .n = 0 };
	acpi_put(&body, name, 4);
	aml_name_eisa(&body, "_HID", hid);
	for (unsigned i = 0; i < nports; i++)
		aml_io(&res, ports[i], lens[i]);
	uint8_t irqd[] = { 0x22, (uint8_t)(1u << irq), (uint8_t)((1u << irq) >> 8) };
	uint8_t end[] = { 0x79, 0x00 };
	acpi_put(&res, irqd, sizeof(irqd));
	acpi_put(&res, end, sizeof(end));
	aml_int(&buf, (uint32_t)res.n);
	acpi_put(&buf, res.b, res.n);
	acpi_u8(&body, 0x08);
	acpi_put(&body, "_CRS", 4);
	uint8_t op = 0x11;
	aml_wrap(&body, &op, 1, &buf);
	static const uint8_t devop[] = { 0x5b, 0x82 };
	aml_wrap(a, devop, 2, &body);
}

static void aml_legacy(struct acpi_buf *sb)
{
	static const uint16_t com_ports[] = { 0x3f8 }, kbd_ports[] = { 0x60, 0x64 };
	static const uint8_t com_lens[] = { 8 }, kbd_lens[] = { 1, 1 };
	aml_legacy_dev(sb, "COM1", "PNP0501", com_ports, com_lens, 1, 4);
	aml_legacy_dev(sb, "PS2K", "PNP0303", kbd_ports, kbd_lens, 2, 1);
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
	t[8] = rev;
	memcpy(t + 10, "VDECK ", 6);
	memcpy(t + 16, "VIRTDECK", 8);
	uint32_t one = 1;
	memcpy(t + 24, &one, 4);
	memcpy(t + 28, "VDCK", 4);
	memcpy(t + 32, &one, 4);
	t[9] = 0;
	t[9] = acpi_sum(t, len);
}

static int acpi_dsdt(const struct vmm_mem *mem, const struct vmm_acpi_dev *devs, unsigned ndevs,
		     uint32_t *len)
{
	struct acpi_buf sb = { .n = 0 }, aml = { .n = 0 };
	acpi_put(&sb, "\\_SB_", 5);
	aml_legacy(&sb);
	for (unsigned i = 0; i < ndevs; i++)
		aml_virtio_dev(&sb, &devs[i], i);
	uint8_t scope = 0x10;
	aml_wrap(&aml, &scope, 1, &sb);
	/* Name(_S5_, Package() { 5, 0, 0, 0 }): the sleep type poweroff writes to the port. */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0, 0, 0 };
	acpi_put(&aml, s5, sizeof(s5));
	*len = (uint32_t)(36 + aml.n);
	uint8_t *t = vmm_mem_ptr(mem, ACPI_DSDT, *len);
	if (aml.overflow || !t || ACPI_DSDT + *len > ACPI_END)
		return -E2BIG;
	memcpy(t + 36, aml.b, aml.n);
	acpi_header(t, "DSDT", *len, 2);
	return 0;
}

static void acpi_gas_io(uint8_t *g, uint16_t port)
{
	g[0] = 1; /* system I/O */
	g[1] = 8;
	g[2] = 0;
	g[3] = 1; /* byte access */
	uint64_t a = port;
	memcpy(g + 4, &a, 8);
}

static void acpi_fadt(const struct vmm_mem *mem)
{
	uint8_t *t = vmm_mem_ptr(mem, ACPI_FADT, ACPI_FADT_LEN);
	memset(t, 0, ACPI_FADT_LEN);
	uint32_t dsdt32 = ACPI_DSDT, flags = (1u << 20) /* HW_REDUCED_ACPI */;
	uint64_t dsdt = ACPI_DSDT;
	memcpy(t + 40, &dsdt32, 4);
	/* IAPC_BOOT_ARCH: an i8042 is present (Ctrl-Alt-Del, reset), no VGA, no CMOS RTC. */
	uint16_t boot_arch = (1u << 1) | (1u << 2) | (1u << 5);
	memcpy(t + 109, &boot_arch, 2);
	memcpy(t + 112, &flags, 4);
	t[131] = 0; /* FADT minor version */
	memcpy(t + 140, &dsdt, 8);
	acpi_gas_io(t + 244, VMM_ACPI_SLEEP_PORT);
	acpi_gas_io(t + 256, VMM_ACPI_SLEEP_PORT + 1);
	memcpy(t + 268, "VIRTDECK", 8);
	acpi_header(t, "FACP", ACPI_FADT_LEN, 6);
}

static uint32_t acpi_madt(const struct vmm_mem *mem, unsigned nvcpus)
{
	uint32_t len = 44 + 8 * nvcpus + 12;
	uint8_t *t = vmm_mem_ptr(mem, ACPI_MADT, len);
	memset(t, 0, len);
	uint32_t lapic = 0xfee00000, ioapic = 0xfec00000;
	memcpy(t + 36, &lapic, 4);
	uint8_t *e = t + 44;
	for (unsigned i = 0; i < nvcpus; i++, e += 8) {
		e[0] = 0, e[1] = 8, e[2] = (uint8_t)i, e[3] = (uint8_t)i;
		e[4] = 1; /* enabled */
	}
	e[0] = 1, e[1] = 12, e[2] = 0;
	memcpy(e + 4, &ioapic, 4); /* GSI base 0 follows as zero */
	acpi_header(t, "APIC", len, 5);
	return len;
}

static void acpi_rsdp_xsdt(const struct vmm_mem *mem)
{
	uint8_t *x = vmm_mem_ptr(mem, ACPI_XSDT, 36 + 16);
	uint64_t ptrs[2] = { ACPI_FADT, ACPI_MADT };
	memcpy(x + 36, ptrs, sizeof(ptrs));
	acpi_header(x, "XSDT", 36 + 16, 1);
	uint8_t *r = vmm_mem_ptr(mem, VMM_BOOT_ACPI, 36);
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "VDECK ", 6);
	r[15] = 2;
	uint32_t len = 36;
	uint64_t xsdt = ACPI_XSDT;
	memcpy(r + 20, &len, 4);
	memcpy(r + 24, &xsdt, 8);
	r[8] = acpi_sum(r, 20);
	r[32] = acpi_sum(r, 36);
}

int vmm_acpi_build(const struct vmm_mem *mem, unsigned nvcpus, const struct vmm_acpi_dev *devs,
		   unsigned ndevs, uint64_t *rsdp, struct vd_error **err)
{
	uint32_t dsdt_len;
	if (!vmm_mem_ptr(mem, VMM_BOOT_ACPI, ACPI_END - VMM_BOOT_ACPI))
		return vd_error_set(err, EFAULT, "ACPI area outside guest memory");
	if (nvcpus == 0 || ACPI_MADT + 44 + 8 * nvcpus + 12 > ACPI_DSDT)
		return vd_error_set(err, EINVAL, "%u vCPUs do not fit the MADT", nvcpus);
	if (acpi_dsdt(mem, devs, ndevs, &dsdt_len) < 0)
		return vd_error_set(err, E2BIG, "DSDT for %u devices too large", ndevs);
	acpi_fadt(mem);
	acpi_madt(mem, nvcpus);
	acpi_rsdp_xsdt(mem);
	*rsdp = VMM_BOOT_ACPI;
	return 0;
}
