/* fuzz-virtio-mmio.c - libFuzzer target: any sequence of virtio-mmio register accesses. */
/* Of any width and alignment, as a guest's MMIO exits deliver them. */
#include "fuzz-virtio.h"

#define FUZZ_MMIO_OPS 64

struct fuzz_mmio_op {
	bool write;
	uint16_t off;
	uint8_t len;
	uint8_t val[8];
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* Input: a device byte, an access count, 12 bytes per access, then guest RAM. */
static size_t fuzz_mmio_parse(struct fuzz_in *in, struct fuzz_mmio_op *ops)
{
	size_t n = fuzz_u8(in) % (FUZZ_MMIO_OPS + 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t kind = fuzz_u8(in);
		ops[i].write = kind & 1;
		ops[i].len = 1 + (kind >> 1) % 8; /* a KVM MMIO exit carries 1..8 bytes */
		ops[i].off = fuzz_u16(in) % 0x200;
		memset(ops[i].val, 0, sizeof(ops[i].val));
		fuzz_bytes(in, ops[i].val, sizeof(ops[i].val));
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_mmio_op ops[FUZZ_MMIO_OPS];
	bool balloon = fuzz_u8(&in) & 1;
	size_t n = fuzz_mmio_parse(&in, ops);
	struct fuzz_guest *g = fuzz_guest();
	fuzz_guest_load(g, &in);
	struct vmm_virtio_mmio *d = balloon ? vmm_balloon_create(&g->mem) : vmm_rng_create(&g->mem);
	for (size_t i = 0; i < n; i++) {
		uint8_t buf[8];
		memcpy(buf, ops[i].val, sizeof(buf));
		if (ops[i].write)
			vmm_virtio_mmio_ops.write(d, ops[i].off, buf, ops[i].len);
		else
			vmm_virtio_mmio_ops.read(d, ops[i].off, buf, ops[i].len);
		fuzz_virtio_check(d);
	}
	if (balloon)
		vmm_balloon_poll(d);
	vmm_virtio_teardown_one(d);
	return 0;
}
