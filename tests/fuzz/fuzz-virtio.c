/* fuzz-virtio.c - the fake guest and driver behind the virtqueue and virtio device targets. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-virtio.h"

enum {
	R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_DESC_LO = 0x080,
	R_AVAIL_LO = 0x090,
	R_USED_LO = 0x0a0,
	R_CONFIG = 0x100,
};

struct fuzz_guest *fuzz_guest(void)
{
	static struct fuzz_guest g;
	if (g.mem.base)
		return &g;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * FUZZ_RAM_REGION + 3 * page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fuzz_fail("mmap guest RAM: %s", strerror(errno));
	uint8_t *low = p + page, *high = low + FUZZ_RAM_REGION + page;
	mprotect(low, FUZZ_RAM_REGION, PROT_READ | PROT_WRITE);
	mprotect(high, FUZZ_RAM_REGION, PROT_READ | PROT_WRITE);
	g.mem = (struct vmm_mem){ .base = low, .size = 2 * FUZZ_RAM_REGION, .nregions = 2 };
	g.mem.regions[0] = (struct vmm_mem_region){ .gpa = 0, .size = FUZZ_RAM_REGION, .hva = low };
	g.mem.regions[1] = (struct vmm_mem_region){ .gpa = FUZZ_RAM_HIGH_GPA,
						    .size = FUZZ_RAM_REGION,
						    .hva = high };
	return &g;
}

void fuzz_guest_load(struct fuzz_guest *g, struct fuzz_in *in)
{
	for (unsigned i = 0; i < g->mem.nregions; i++) {
		memset(g->mem.regions[i].hva, 0, g->mem.regions[i].size);
		fuzz_bytes(in, g->mem.regions[i].hva, g->mem.regions[i].size);
	}
}

uint32_t fuzz_mmio_read(struct vmm_virtio_mmio *d, uint64_t off)
{
	uint32_t v;
	vmm_virtio_mmio_ops.read(d, off, (uint8_t *)&v, 4);
	return v;
}

void fuzz_mmio_write(struct vmm_virtio_mmio *d, uint64_t off, uint32_t v)
{
	vmm_virtio_mmio_ops.write(d, off, (const uint8_t *)&v, 4);
}

static void fuzz_virtio_queue(struct vmm_virtio_mmio *d, unsigned q, uint8_t size)
{
	fuzz_mmio_write(d, R_QUEUE_SEL, q);
	fuzz_mmio_write(d, R_QUEUE_NUM, size ? size : 16);
	fuzz_mmio_write(d, R_DESC_LO, FUZZ_Q_DESC(q));
	fuzz_mmio_write(d, R_AVAIL_LO, FUZZ_Q_AVAIL(q));
	fuzz_mmio_write(d, R_USED_LO, FUZZ_Q_USED(q));
	fuzz_mmio_write(d, R_QUEUE_READY, 1);
}

/* The Linux driver's order: reset, ACK, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
static void fuzz_virtio_start(struct vmm_virtio_mmio *d, const uint8_t *sizes, uint8_t feat)
{
	fuzz_mmio_write(d, R_STATUS, 0);
	fuzz_mmio_write(d, R_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	fuzz_mmio_write(d, R_DRV_FEATURES_SEL, 0);
	fuzz_mmio_write(d, R_DRV_FEATURES, (uint32_t)d->features & (feat & 0x80 ? ~0u : feat));
	fuzz_mmio_write(d, R_DRV_FEATURES_SEL, 1);
	fuzz_mmio_write(d, R_DRV_FEATURES, feat & 0x40 ? 0 : 1); /* VERSION_1, bit 32 */
	fuzz_mmio_write(d, R_STATUS,
			VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < d->ops->nqueues; q++)
		fuzz_virtio_queue(d, q, sizes[q]);
	fuzz_mmio_write(d, R_STATUS,
			VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				VIRTIO_STATUS_DRIVER_OK);
}

void fuzz_virtio_check(struct vmm_virtio_mmio *d)
{
	for (unsigned q = 0; q < VMM_VIRTIO_MAX_QUEUES; q++) {
		if (q >= d->ops->nqueues && d->q[q].ready)
			fuzz_fail("virtio-%s: queue %u beyond the device's %u is ready",
				  d->ops->name, q, d->ops->nqueues);
		if (d->q[q].ready && !vmm_virtq_check(d->mem, &d->q[q]))
			fuzz_fail("virtio-%s: queue %u is ready with rings outside RAM",
				  d->ops->name, q);
	}
}

/* One script step: the low 3 bits say what, the rest is its argument. */
static void fuzz_virtio_step(struct fuzz_dev *fd, uint8_t op, const uint8_t *sizes, uint8_t feat)
{
	struct vmm_virtio_mmio *d = fd->d;
	uint8_t arg = op >> 3, cfg[8];
	switch (op & 7) {
	case 0:
		fuzz_mmio_write(d, R_QUEUE_NOTIFY, arg % (d->ops->nqueues + 1));
		break;
	case 1:
		if (fd->host)
			fd->host(fd, arg);
		break;
	case 2:
		vmm_virtio_mmio_ops.read(d, R_CONFIG + arg % 16, cfg, 1 + arg % 8);
		vmm_virtio_mmio_ops.write(d, R_CONFIG + arg % 16, cfg, 1 + arg % 4);
		break;
	case 3:
		fuzz_virtio_start(d, sizes, feat);
		break;
	case 4:
		fuzz_mmio_write(d, R_INT_ACK, fuzz_mmio_read(d, R_INT_STATUS));
		break;
	case 5: /* disable a queue and bring it back */
		fuzz_mmio_write(d, R_QUEUE_SEL, arg % d->ops->nqueues);
		fuzz_mmio_write(d, R_QUEUE_READY, 0);
		fuzz_virtio_queue(d, arg % d->ops->nqueues, sizes[arg % d->ops->nqueues]);
		break;
	case 6:
		fuzz_mmio_write(d, R_STATUS, 0);
		break;
	default:
		fuzz_mmio_write(d, R_STATUS, fuzz_mmio_read(d, R_STATUS) | VIRTIO_STATUS_DRIVER_OK);
		break;
	}
	fuzz_virtio_check(d);
}

void fuzz_virtio_drive(struct fuzz_dev *fd, struct fuzz_in *in)
{
	uint8_t sizes[VMM_VIRTIO_MAX_QUEUES], script[32];
	memset(sizes, 0, sizeof(sizes));
	fuzz_bytes(in, sizes, sizeof(sizes));
	uint8_t feat = fuzz_u8(in);
	size_t nops = fuzz_u8(in) % (sizeof(script) + 1);
	memset(script, 0, sizeof(script));
	nops = fuzz_bytes(in, script, nops);
	fuzz_guest_load(fuzz_guest(), in);
	fuzz_virtio_start(fd->d, sizes, feat);
	fuzz_virtio_check(fd->d);
	for (size_t i = 0; i < nops; i++)
		fuzz_virtio_step(fd, script[i], sizes, feat);
}
