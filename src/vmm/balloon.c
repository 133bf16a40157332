/* balloon.c - virtio-balloon: inflate/deflate for live resize and the guest's memory statistics. */
#include "vmm/virtio.h"

#define VIRTIO_ID_BALLOON 5
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VMM_BALLOON_INFLATE 0
#define VMM_BALLOON_DEFLATE 1
#define VMM_BALLOON_STATS 2
#define VMM_BALLOON_PAGE 4096ull

enum { S_SWAP_IN, S_SWAP_OUT, S_MAJFLT, S_MINFLT, S_MEMFREE, S_MEMTOT, S_AVAIL, S_CACHES };

struct vmm_balloon {
	bool stats_held; /* we hold the driver's stats buffer: returning it asks for fresh stats */
	uint16_t stats_head;
	struct vmm_balloon_stats stats;
	uint64_t inflated_pages;
};

struct vmm_balloon_config {
	uint32_t num_pages; /* device: pages the guest should give */
	uint32_t actual;    /* driver: pages it has given */
};

static void vmm_balloon_pages(struct vmm_virtio_mmio *d, const struct vmm_virtq_chain *c,
			      bool inflate)
{
	struct vmm_balloon *b = d->priv;
	uint32_t pfn;
	for (uint64_t off = 0; off + 4 <= c->read_bytes; off += 4) {
		vmm_virtq_read(c, off, &pfn, 4);
		if (inflate) {
			/* vmm_mem_discard ignores PFNs outside RAM: a bad one cannot hurt the host. */
			vmm_mem_discard(d->mem, (uint64_t)pfn * VMM_BALLOON_PAGE, VMM_BALLOON_PAGE);
			b->inflated_pages++;
		} else if (b->inflated_pages) {
			b->inflated_pages--;
		}
	}
}

static void vmm_balloon_parse_stats(struct vmm_balloon *b, const struct vmm_virtq_chain *c)
{
	struct vmm_balloon_stats *s = &b->stats;
	uint64_t *slot[] = { [S_SWAP_IN] = &s->swap_in, [S_SWAP_OUT] = &s->swap_out,
			     [S_MAJFLT] = &s->major_faults, [S_MINFLT] = &s->minor_faults,
			     [S_MEMFREE] = &s->free, [S_MEMTOT] = &s->total,
			     [S_AVAIL] = &s->available, [S_CACHES] = &s->caches };
	uint8_t rec[10];
	for (uint64_t off = 0; off + sizeof(rec) <= c->read_bytes; off += sizeof(rec)) {
		vmm_virtq_read(c, off, rec, sizeof(rec));
		uint16_t tag;
		uint64_t val;
		memcpy(&tag, rec, 2);
		memcpy(&val, rec + 2, 8);
		if (tag < VD_ARRAY_SIZE(slot))
			*slot[tag] = val;
	}
	s->valid = s->total > 0;
	s->updated_ns = vd_now_mono_ns();
}

static void vmm_balloon_notify(struct vmm_virtio_mmio *d, unsigned qi)
{
	struct vmm_balloon *b = d->priv;
	struct vmm_virtq_chain c;
	int r;
	while ((r = vmm_virtq_pop(d->mem, &d->q[qi], &c)) > 0) {
		if (qi == VMM_BALLOON_STATS) {
			vmm_balloon_parse_stats(b, &c);
			if (b->stats_held) /* a second buffer: give the old one back */
				vmm_virtio_mmio_used(d, qi, b->stats_head, 0);
			b->stats_held = true;
			b->stats_head = c.head;
			continue;
		}
		vmm_balloon_pages(d, &c, qi == VMM_BALLOON_INFLATE);
		vmm_virtio_mmio_used(d, qi, c.head, 0);
	}
	if (r < 0)
		vmm_virtio_mmio_broken(d, "bad descriptor chain");
}

static void vmm_balloon_reset(struct vmm_virtio_mmio *d)
{
	struct vmm_balloon *b = d->priv;
	b->stats_held = false;
}

static void vmm_balloon_destroy(struct vmm_virtio_mmio *d)
{
	free(d->priv);
}

static const struct vmm_virtio_dev_ops vmm_balloon_dev_ops = {
	.name = "balloon", .device_id = VIRTIO_ID_BALLOON, .nqueues = 3,
	.notify = vmm_balloon_notify, .reset = vmm_balloon_reset, .destroy = vmm_balloon_destroy,
};

struct vmm_virtio_mmio *vmm_balloon_create(const struct vmm_mem *mem)
{
	struct vmm_virtio_mmio *d = vd_xcalloc(1, sizeof(*d));
	vmm_virtio_mmio_init(d, &vmm_balloon_dev_ops, vd_xcalloc(1, sizeof(struct vmm_balloon)), mem,
			     /* No DEFLATE_ON_OOM: then an inflated balloon shrinks the guest's MemTotal,
			      * which is what a resize should show. */
			     1ull << VIRTIO_BALLOON_F_STATS_VQ,
			     sizeof(struct vmm_balloon_config));
	return d;
}

void vmm_balloon_poll(struct vmm_virtio_mmio *d)
{
	pthread_mutex_lock(&d->lock);
	struct vmm_balloon *b = d->priv;
	if (b->stats_held && vmm_virtio_mmio_live(d, VMM_BALLOON_STATS)) {
		b->stats_held = false;
		vmm_virtio_mmio_used(d, VMM_BALLOON_STATS, b->stats_head, 0);
	}
	pthread_mutex_unlock(&d->lock);
}

void vmm_balloon_get(struct vmm_virtio_mmio *d, struct vmm_balloon_stats *out)
{
	pthread_mutex_lock(&d->lock);
	struct vmm_balloon *b = d->priv;
	struct vmm_balloon_config cfg;
	memcpy(&cfg, d->config, sizeof(cfg));
	*out = b->stats;
	out->target_pages = cfg.num_pages;
	out->actual_pages = cfg.actual;
	pthread_mutex_unlock(&d->lock);
}

void vmm_balloon_set_target(struct vmm_virtio_mmio *d, uint32_t pages)
{
	pthread_mutex_lock(&d->lock);
	memcpy(d->config, &pages, 4);
	d->config_gen++;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		vmm_virtio_mmio_interrupt(d, VIRTIO_INT_CONFIG);
	pthread_mutex_unlock(&d->lock);
}
