/* virtq.c - split virtqueue rings: hostile-guest-proof chain walking and used-ring updates. */
#include <errno.h>

#include "vmm/virtq.h"

struct vmm_virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

bool vmm_virtq_check(const struct vmm_mem *mem, const struct vmm_virtq *q)
{
	uint64_t n = q->num;
	if (n == 0 || n > VMM_VIRTQ_MAX || (n & (n - 1)))
		return false;
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return false;
	return vmm_mem_ptr(mem, q->desc, 16 * n) && vmm_mem_ptr(mem, q->avail, 6 + 2 * n) &&
	       vmm_mem_ptr(mem, q->used, 6 + 8 * n);
}

static uint16_t vmm_virtq_load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

/* Append one descriptor's buffer; enforces readable-before-writable and the size caps. */
static int vmm_virtq_add_seg(const struct vmm_mem *mem, struct vmm_virtq_chain *c,
			     const struct vmm_virtq_desc *d)
{
	bool w = d->flags & VIRTQ_DESC_F_WRITE;
	if (c->nseg >= VMM_VIRTQ_MAX_SEG || (d->flags & VIRTQ_DESC_F_INDIRECT))
		return -EINVAL;
	if (!w && c->nseg > c->nread)
		return -EINVAL; /* a readable buffer after a writable one */
	uint64_t *total = w ? &c->write_bytes : &c->read_bytes;
	if (d->len > VMM_VIRTQ_MAX_BYTES || *total + d->len > VMM_VIRTQ_MAX_BYTES)
		return -EINVAL;
	void *p = vmm_mem_ptr(mem, d->addr, d->len);
	if (!p)
		return -EINVAL;
	c->seg[c->nseg++] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (!w)
		c->nread = c->nseg;
	*total += d->len;
	return 0;
}

static int vmm_virtq_walk(const struct vmm_mem *mem, const struct vmm_virtq *q, uint16_t head,
			  struct vmm_virtq_chain *c)
{
	const struct vmm_virtq_desc *table = vmm_mem_ptr(mem, q->desc, 16ull * q->num);
	if (!table)
		return -EINVAL;
	c->head = head;
	c->nseg = c->nread = 0;
	c->read_bytes = c->write_bytes = 0;
	uint16_t i = head;
	/* A chain longer than the table must revisit an entry: that is a loop. */
	for (unsigned steps = 0; steps < q->num; steps++) {
		if (i >= q->num)
			return -EINVAL;
		struct vmm_virtq_desc d;
		memcpy(&d, &table[i], sizeof(d)); /* one snapshot: the guest may change it under us */
		if (vmm_virtq_add_seg(mem, c, &d) < 0)
			return -EINVAL;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		i = d.next;
	}
	return -EINVAL;
}

int vmm_virtq_pop(const struct vmm_mem *mem, struct vmm_virtq *q, struct vmm_virtq_chain *c)
{
	uint8_t *avail = vmm_mem_ptr(mem, q->avail, 6 + 2ull * q->num);
	if (!q->ready || !avail)
		return -EINVAL;
	uint16_t idx = vmm_virtq_load16(avail + 2);
	if (idx == q->last_avail)
		return 0;
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return -EINVAL;
			/* the driver claims more new entries than the ring holds */ /* the driver
											claims more
											new entries
											than the
											ring holds
										      */
	uint16_t head;
	memcpy(&head, avail + 4 + 2 * (q->last_avail % q->num), 2);
	int r = vmm_virtq_walk(mem, q, head, c);
	if (r > 0)
		q->last_avail++;
	return r;
}

int vmm_virtq_push(const struct vmm_mem *mem, struct vmm_virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *used = vmm_mem_ptr(mem, q->used, 6 + 8ull * q->num);
	if (!used)
		return -EINVAL;
	uint32_t elem[2] = { head, len };
	memcpy(used + 4 + 8 * (q->used_idx % q->num), elem, sizeof(elem));
	q->used_idx++;
	__atomic_store_n((uint16_t *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

/* Walk segments [from, to) skipping off bytes, calling fn on each piece. */
static size_t vmm_virtq_copy(const struct vmm_virtq_chain *c, unsigned from, unsigned to,
			     uint64_t off, void *buf, size_t len, bool into_guest)
{
	size_t done = 0;
	for (unsigned i = from; i < to && done < len; i++) {
		const struct iovec *s = &c->seg[i];
		if (off >= s->iov_len) {
			off -= s->iov_len;
			continue;
		}
		size_t n = s->iov_len - off < len - done ? s->iov_len - off : len - done;
		uint8_t *g = (uint8_t *)s->iov_base + off;
		if (into_guest)
			memcpy(g, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, g, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vmm_virtq_read(const struct vmm_virtq_chain *c, uint64_t off, void *buf, size_t len)
{
	return vmm_virtq_copy(c, 0, c->nread, off, buf, len, false);
}

size_t vmm_virtq_write(const struct vmm_virtq_chain *c, uint64_t off, const void *buf, size_t len)
{
	return vmm_virtq_copy(c, c->nread, c->nseg, off, (void *)buf, len, true);
}

unsigned vmm_virtq_iov(const struct vmm_virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		       struct iovec *iov, unsigned max)
{
	unsigned n = 0, from = writable ? c->nread : 0, to = writable ? c->nseg : c->nread;
	for (unsigned i = from; i < to && len > 0 && n < max; i++) {
		const struct iovec *s = &c->seg[i];
		if (off >= s->iov_len) {
			off -= s->iov_len;
			continue;
		}
		size_t take = s->iov_len - off < len ? s->iov_len - off : len;
		iov[n++] = (struct iovec){ .iov_base = (uint8_t *)s->iov_base + off, .iov_len = take };
		len -= take;
		off = 0;
	}
	return n;
}
