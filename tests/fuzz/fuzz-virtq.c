/* fuzz-virtq.c - libFuzzer target: the split-virtqueue walker on any ring a guest can write. */
#include "fuzz-virtio.h"

/* Everything a chain hands a device must lie inside one region of guest RAM. */
static void fuzz_virtq_in_ram(const struct vmm_mem *mem, const struct iovec *s)
{
	const uint8_t *b = s->iov_base;
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vmm_mem_region *r = &mem->regions[i];
		if (b >= r->hva && b <= r->hva + r->size &&
		    s->iov_len <= (size_t)(r->hva + r->size - b))
			return;
	}
	fuzz_fail("segment %p+%zu is outside guest RAM", s->iov_base, s->iov_len);
}

static void fuzz_virtq_check_chain(const struct vmm_mem *mem, const struct vmm_virtq *q,
				   const struct vmm_virtq_chain *c)
{
	uint64_t rd = 0, wr = 0;
	if (c->nread > c->nseg || c->nseg > VMM_VIRTQ_MAX_SEG || c->nseg > q->num ||
	    c->head >= q->num)
		fuzz_fail("chain head %u: %u segments, %u readable, queue of %u", c->head, c->nseg,
			  c->nread, q->num);
	for (unsigned i = 0; i < c->nseg; i++) {
		fuzz_virtq_in_ram(mem, &c->seg[i]);
		*(i < c->nread ? &rd : &wr) += c->seg[i].iov_len;
	}
	if (rd != c->read_bytes || wr != c->write_bytes || rd + wr > 2ull * VMM_VIRTQ_MAX_BYTES)
		fuzz_fail("chain byte counts %llu/%llu, segments say %llu/%llu",
			  (unsigned long long)c->read_bytes, (unsigned long long)c->write_bytes,
			  (unsigned long long)rd, (unsigned long long)wr);
}

/* What a device does with a chain: copy out, copy in, and build iovecs at odd offsets. */
static void fuzz_virtq_use(const struct vmm_virtq_chain *c, struct fuzz_in *in)
{
	static uint8_t buf[2 * FUZZ_RAM_REGION + 64];
	struct iovec iov[VMM_VIRTQ_MAX_SEG];
	uint64_t off = fuzz_u16(in), len = fuzz_u16(in);
	size_t got = vmm_virtq_read(c, off, buf, sizeof(buf));
	if (got > c->read_bytes || vmm_virtq_write(c, off, buf, got) > c->write_bytes)
		fuzz_fail("copied more than the chain holds");
	for (int w = 0; w < 2; w++) {
		unsigned n =
			vmm_virtq_iov(c, w, off, len, iov, fuzz_u8(in) % (VMM_VIRTQ_MAX_SEG + 1));
		uint64_t sum = 0;
		for (unsigned i = 0; i < n; i++)
			sum += iov[i].iov_len;
		if (sum > len)
			fuzz_fail("iovecs cover %llu bytes, %llu asked", (unsigned long long)sum,
				  (unsigned long long)len);
	}
}

/* Input: queue size, ring addresses and indices as the driver would set them, RAM after that. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vmm_virtq q = { .num = fuzz_u16(&in) };
	q.desc = fuzz_u64(&in);
	q.avail = fuzz_u64(&in);
	q.used = fuzz_u64(&in);
	q.last_avail = fuzz_u16(&in);
	q.used_idx = fuzz_u16(&in);
	uint8_t rounds = fuzz_u8(&in) % 8 + 1, use[64];
	struct fuzz_in ops = { use, fuzz_bytes(&in, use, sizeof(use)) };
	struct fuzz_guest *g = fuzz_guest();
	fuzz_guest_load(g, &in);
	/* vmm_virtq_check is the gate the transport applies before a queue may be used. */
	q.ready = vmm_virtq_check(&g->mem, &q);
	if (!q.ready)
		return 0;
	struct vmm_virtq_chain c;
	for (uint8_t i = 0; i < rounds && vmm_virtq_pop(&g->mem, &q, &c) > 0; i++) {
		fuzz_virtq_check_chain(&g->mem, &q, &c);
		fuzz_virtq_use(&c, &ops);
		if (vmm_virtq_push(&g->mem, &q, c.head, (uint32_t)c.write_bytes) < 0)
			fuzz_fail("push refused on a checked queue");
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}
