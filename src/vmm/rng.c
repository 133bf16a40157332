/* rng.c - virtio-rng: fills the guest's buffers from getrandom(). */
#include <sys/random.h>

#include "vmm/virtio.h"

#define VIRTIO_ID_RNG 4

static uint32_t vmm_rng_fill(const struct vmm_virtq_chain *c)
{
	uint32_t total = 0;
	for (unsigned i = c->nread; i < c->nseg; i++) {
		ssize_t r = getrandom(c->seg[i].iov_base, c->seg[i].iov_len, GRND_NONBLOCK);
		if (r <= 0)
			break;
		total += (uint32_t)r;
		if ((size_t)r < c->seg[i].iov_len)
			break;
	}
	return total;
}

static void vmm_rng_notify(struct vmm_virtio_mmio *d, unsigned qi)
{
	struct vmm_virtq_chain c;
	int r;
	while ((r = vmm_virtq_pop(d->mem, &d->q[qi], &c)) > 0)
		vmm_virtio_mmio_used(d, qi, c.head, vmm_rng_fill(&c));
	if (r < 0)
		vmm_virtio_mmio_broken(d, "bad descriptor chain");
}

static const struct vmm_virtio_dev_ops vmm_rng_dev_ops = {
	.name = "rng", .device_id = VIRTIO_ID_RNG, .nqueues = 1, .notify = vmm_rng_notify,
};

struct vmm_virtio_mmio *vmm_rng_create(const struct vmm_mem *mem)
{
	struct vmm_virtio_mmio *d = vd_xcalloc(1, sizeof(*d));
	vmm_virtio_mmio_init(d, &vmm_rng_dev_ops, NULL, mem, 0, 0);
	return d;
}
