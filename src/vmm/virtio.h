/* virtio.h - the virtio-mmio transport (version 2) and the device contract behind it. */
#ifndef VD_VMM_VIRTIO_H
#define VD_VMM_VIRTIO_H

#include <pthread.h>

#include "vmm/virtq.h"

#define VMM_VIRTIO_MAX_QUEUES 4
#define VMM_VIRTIO_CONFIG_MAX 64

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2

struct vmm_virtio_mmio;
struct vmm_def;

/* Traffic totals for the console's I/O columns. */
struct vmm_virtio_counters {
	uint64_t read_bytes, write_bytes, net_rx, net_tx;
};

/* What a device tells the transport (kvmtool's virtio_ops idea, for one transport). */
struct vmm_virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	unsigned nqueues;
	/* A driver kicked queue q; called with the device lock held. */
	void (*notify)(struct vmm_virtio_mmio *d, unsigned q);
	/* The driver reset the device; drop any held buffers. Lock held. */
	void (*reset)(struct vmm_virtio_mmio *d);
	/* The driver wrote config space (after the bytes were stored). Lock held. */
	void (*config_write)(struct vmm_virtio_mmio *d, uint64_t off, unsigned len);
	void (*destroy)(struct vmm_virtio_mmio *d);
	/* Add this device's traffic to *c. Lock held. Optional. */
	void (*counters)(struct vmm_virtio_mmio *d, struct vmm_virtio_counters *c);
};

struct vmm_virtio_mmio {
	pthread_mutex_t lock;
	const struct vmm_virtio_dev_ops *ops;
	void *priv;
	const struct vmm_mem *mem;
	uint64_t features; /* offered, VERSION_1 included */
	uint64_t driver_features;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint32_t status, int_status, config_gen;
	struct vmm_virtq q[VMM_VIRTIO_MAX_QUEUES];
	uint8_t config[VMM_VIRTIO_CONFIG_MAX];
	unsigned config_len;
	bool broken; /* the guest broke the rules: ignore queues until it resets the device */
	bool irq_level;
	void (*irq)(void *opaque, int level);
	void *irq_opaque;
	uint64_t notifies;
};

extern const struct vmm_dev_ops vmm_virtio_mmio_ops;
void vmm_virtio_mmio_init(struct vmm_virtio_mmio *d, const struct vmm_virtio_dev_ops *ops,
			  void *priv, const struct vmm_mem *mem, uint64_t features,
			  unsigned config_len);
/* Device side (lock held): complete a chain, raise interrupts, give up on a hostile driver. */
void vmm_virtio_mmio_used(struct vmm_virtio_mmio *d, unsigned q, uint16_t head, uint32_t len);
void vmm_virtio_mmio_interrupt(struct vmm_virtio_mmio *d, uint32_t why);
void vmm_virtio_mmio_broken(struct vmm_virtio_mmio *d, const char *why);
bool vmm_virtio_mmio_live(const struct vmm_virtio_mmio *d, unsigned q);

/* Devices. */
struct vmm_virtio_mmio *vmm_blk_create(const struct vmm_mem *mem, const char *path, bool readonly,
				       struct vd_error **err);
struct vmm_virtio_mmio *vmm_rng_create(const struct vmm_mem *mem);
struct vmm_virtio_mmio *vmm_balloon_create(const struct vmm_mem *mem);
/* virtio-net on a tap "vd-NAME" enslaved to bridge (created if missing). */
struct vmm_virtio_mmio *vmm_net_create(const struct vmm_mem *mem, const char *vm,
				       const char *bridge, struct vd_error **err);
/* The same device around an open tap (or, in tests, any non-blocking datagram fd). */
struct vmm_virtio_mmio *vmm_net_create_fd(const struct vmm_mem *mem, const char *vm, int tap,
					  const char *ifname);
/* Main loop side of the network: the fds to poll (tap is -1 while the guest gave no buffers)
 * and the receive path to run when either is ready. */
void vmm_net_pollfds(struct vmm_virtio_mmio *d, int *tap, int *kick);
void vmm_net_rx(struct vmm_virtio_mmio *d);

/* Balloon statistics as the guest last reported them (bytes; 0 = not reported). */
struct vmm_balloon_stats {
	bool valid;
	uint64_t total, free, available, caches, swap_in, swap_out, major_faults, minor_faults;
	uint64_t updated_ns;
	uint32_t target_pages, actual_pages;
};
/* Ask the guest for fresh statistics (main loop, every second or so). */
void vmm_balloon_poll(struct vmm_virtio_mmio *d);
void vmm_balloon_get(struct vmm_virtio_mmio *d, struct vmm_balloon_stats *out);
/* Set how many 4 KiB pages the guest should hand back. */
void vmm_balloon_set_target(struct vmm_virtio_mmio *d, uint32_t pages);

/* Create the devices a definition asks for and put them on the MMIO bus. */
int vmm_virtio_setup_all(struct vmm *vm, const struct vmm_def *def, struct vd_error **err);
void vmm_virtio_teardown_all(struct vmm *vm);
void vmm_virtio_teardown_one(struct vmm_virtio_mmio *d);
/* Sum the traffic of all devices of a VM. */
void vmm_virtio_counters(struct vmm *vm, struct vmm_virtio_counters *c);

#endif
