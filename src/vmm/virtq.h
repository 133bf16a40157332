/* virtq.h - split virtqueues: parsing guest descriptor chains with every field bounds-checked. */
#ifndef VD_VMM_VIRTQ_H
#define VD_VMM_VIRTQ_H

#include <sys/uio.h>

#include "vmm/vmm.h"

#define VMM_VIRTQ_MAX 256      /* largest queue we offer */
#define VMM_VIRTQ_MAX_SEG 128  /* longest chain we accept */
#define VMM_VIRTQ_MAX_BYTES (64u << 20) /* most bytes one chain may describe */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct vmm_virtq {
	uint16_t num;
	bool ready;
	uint64_t desc, avail, used; /* guest-physical addresses set by the driver */
	uint16_t last_avail;        /* next available entry we will consume */
	uint16_t used_idx;
};

/* One descriptor chain: readable segments first, then writable ones (the spec's order). */
struct vmm_virtq_chain {
	uint16_t head;
	unsigned nseg, nread; /* segments [0, nread) are device-readable, the rest writable */
	struct iovec seg[VMM_VIRTQ_MAX_SEG];
	uint64_t read_bytes, write_bytes;
};

/* Check that the rings of a queue the driver made ready lie in guest RAM; false = broken. */
bool vmm_virtq_check(const struct vmm_mem *mem, const struct vmm_virtq *q);
/* Take the next chain: 1 = got one, 0 = queue empty, -EINVAL = the guest broke the rules. */
int vmm_virtq_pop(const struct vmm_mem *mem, struct vmm_virtq *q, struct vmm_virtq_chain *c);
/* Return a chain to the driver with len bytes written; -EINVAL when the ring moved away. */
int vmm_virtq_push(const struct vmm_mem *mem, struct vmm_virtq *q, uint16_t head, uint32_t len);
/* Copy bytes from the readable part at offset off; returns bytes copied. */
size_t vmm_virtq_read(const struct vmm_virtq_chain *c, uint64_t off, void *buf, size_t len);
/* Copy into the writable part at offset off; returns bytes copied. */
size_t vmm_virtq_write(const struct vmm_virtq_chain *c, uint64_t off, const void *buf, size_t len);
/* iovecs covering [off, off+len) of the readable (write=false) or writable part; returns count. */
unsigned vmm_virtq_iov(const struct vmm_virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		       struct iovec *iov, unsigned max);

#endif
