/* fuzz-virtio.h - a fake guest and driver for the virtio fuzz targets. */
/* RAM is filled from the input; the driver sets queues up through the real virtio-mmio
 * registers, then kicks as the input says. */
#ifndef VD_TESTS_FUZZ_VIRTIO_H
#define VD_TESTS_FUZZ_VIRTIO_H

#include "fuzz.h"
#include "vmm/virtio.h"

/* Guest RAM: two regions around a hole, like a real VM's low and high memory, each inside
 * guard pages so a stray access faults even without AddressSanitizer. */
#define FUZZ_RAM_REGION (32u * 1024)
#define FUZZ_RAM_HIGH_GPA (4ull << 30)

struct fuzz_guest {
	struct vmm_mem mem;
};

/* The one guest of this process, RAM zeroed. */
struct fuzz_guest *fuzz_guest(void);
/* Zero RAM and copy the rest of the input to gpa 0 onwards. */
void fuzz_guest_load(struct fuzz_guest *g, struct fuzz_in *in);

/* Queue q's rings: descriptor table, available and used ring, packed at the start of RAM. */
#define FUZZ_Q_STRIDE 0x300u
#define FUZZ_Q_DESC(q) ((q) * FUZZ_Q_STRIDE)
#define FUZZ_Q_AVAIL(q) ((q) * FUZZ_Q_STRIDE + 0x100)
#define FUZZ_Q_USED(q) ((q) * FUZZ_Q_STRIDE + 0x200)

uint32_t fuzz_mmio_read(struct vmm_virtio_mmio *d, uint64_t off);
void fuzz_mmio_write(struct vmm_virtio_mmio *d, uint64_t off, uint32_t v);

/* What one device target adds to the generic driver. */
struct fuzz_dev {
	struct vmm_virtio_mmio *d;
	/* op 1 of the driver script: the host side of the device acts (may be NULL). */
	void (*host)(struct fuzz_dev *fd, uint8_t arg);
	void *opaque;
};

/*
 * The device input: one byte per queue for its size (0 = 16), a feature byte, a script length
 * and script bytes, then guest RAM. The driver negotiates features, sets the queues at
 * FUZZ_Q_*, sets DRIVER_OK (which serves what is queued) and runs the script.
 */
void fuzz_virtio_drive(struct fuzz_dev *fd, struct fuzz_in *in);
/* Checks that hold whatever the guest did: a ready queue's rings lie in RAM. */
void fuzz_virtio_check(struct vmm_virtio_mmio *d);

#endif
