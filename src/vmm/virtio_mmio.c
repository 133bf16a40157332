/* virtio_mmio.c - the virtio-mmio register file (version 2): feature, queue and status handshakes.
 */
#include <errno.h>

#include "common/log.h"
#include "vmm/def.h"
#include "vmm/virtio.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4b434456 /* "VDCK" */

enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014, R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024, R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064,
	R_STATUS = 0x070, R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_AVAIL_LO = 0x090,
	R_AVAIL_HI = 0x094, R_USED_LO = 0x0a0, R_USED_HI = 0x0a4, R_CONFIG_GEN = 0x0fc,
	R_CONFIG = 0x100,
};

void vmm_virtio_mmio_init(struct vmm_virtio_mmio *d, const struct vmm_virtio_dev_ops *ops,
			  void *priv, const struct vmm_mem *mem, uint64_t features,
			  unsigned config_len)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->priv = priv;
	d->mem = mem;
	d->features = features | (1ull << VIRTIO_F_VERSION_1);
	d->config_len = config_len;
}

static void vmm_virtio_mmio_update_irq(struct vmm_virtio_mmio *d)
{
	bool level = d->int_status != 0;
	if (level == d->irq_level)
		return;
	d->irq_level = level;
	if (d->irq)
		d->irq(d->irq_opaque, level);
}

void vmm_virtio_mmio_interrupt(struct vmm_virtio_mmio *d, uint32_t why)
{
	d->int_status |= why;
	vmm_virtio_mmio_update_irq(d);
}

void vmm_virtio_mmio_broken(struct vmm_virtio_mmio *d, const char *why)
{
	if (!d->broken)
		vd_warn("virtio-%s: %s; device stopped until the guest resets it", d->ops->name, why);
	d->broken = true;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	vmm_virtio_mmio_interrupt(d, VIRTIO_INT_CONFIG);
}

bool vmm_virtio_mmio_live(const struct vmm_virtio_mmio *d, unsigned q)
{
	return !d->broken && (d->status & VIRTIO_STATUS_DRIVER_OK) && q < d->ops->nqueues &&
	       d->q[q].ready;
}

void vmm_virtio_mmio_used(struct vmm_virtio_mmio *d, unsigned q, uint16_t head, uint32_t len)
{
	if (vmm_virtq_push(d->mem, &d->q[q], head, len) < 0) {
		vmm_virtio_mmio_broken(d, "used ring outside guest memory");
		return;
	}
	vmm_virtio_mmio_interrupt(d, VIRTIO_INT_USED);
}

static void vmm_virtio_mmio_reset(struct vmm_virtio_mmio *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	memset(d->q, 0, sizeof(d->q));
	d->status = d->int_status = 0;
	d->driver_features = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->broken = false;
	vmm_virtio_mmio_update_irq(d);
}

static struct vmm_virtq *vmm_virtio_mmio_sel(struct vmm_virtio_mmio *d)
{
	return d->queue_sel < d->ops->nqueues ? &d->q[d->queue_sel] : NULL;
}

static uint32_t vmm_virtio_mmio_read_reg(struct vmm_virtio_mmio *d, uint64_t off)
{
	struct vmm_virtq *q = vmm_virtio_mmio_sel(d);
	switch (off) {
	case R_MAGIC:
		return VIRTIO_MMIO_MAGIC;
	case R_VERSION:
		return 2;
	case R_DEVICE_ID:
		return d->ops->device_id;
	case R_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case R_DEV_FEATURES:
		return d->dev_features_sel > 1 ? 0 : (uint32_t)(d->features >> (32 * d->dev_features_sel));
	case R_QUEUE_NUM_MAX:
		return q ? VMM_VIRTQ_MAX : 0;
	case R_QUEUE_READY:
		return q ? q->ready : 0;
	case R_INT_STATUS:
		return d->int_status;
	case R_STATUS:
		return d->status;
	case R_CONFIG_GEN:
		return d->config_gen;
	default:
		return 0;
	}
}

static void vmm_virtio_mmio_notify(struct vmm_virtio_mmio *d, uint32_t qi);

/* FEATURES_OK sticks only when the driver took a subset of ours that includes VERSION_1. */
static void vmm_virtio_mmio_status(struct vmm_virtio_mmio *d, uint32_t v)
{
	if (v == 0) {
		vmm_virtio_mmio_reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~d->features) ||
	     !(d->driver_features & (1ull << VIRTIO_F_VERSION_1))))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	bool was_ok = d->status & VIRTIO_STATUS_DRIVER_OK;
	d->status = v | (d->status & VIRTIO_STATUS_NEEDS_RESET);
	/* Drivers may kick before DRIVER_OK (virtio-balloon's first stats buffer does): serve those
	 * buffers now instead of leaving them to a kick that never comes. */
	if (!was_ok && (v & VIRTIO_STATUS_DRIVER_OK))
		for (unsigned q = 0; q < d->ops->nqueues; q++)
			vmm_virtio_mmio_notify(d, q);
}

static void vmm_virtio_mmio_addr(uint64_t *slot, bool hi, uint32_t v)
{
	if (hi)
		*slot = (*slot & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*slot = (*slot & ~0xffffffffull) | v;
}

static void vmm_virtio_mmio_queue_ready(struct vmm_virtio_mmio *d, struct vmm_virtq *q, uint32_t v)
{
	if (!v) {
		q->ready = false;
		return;
	}
	if (!vmm_virtq_check(d->mem, q)) {
		vmm_virtio_mmio_broken(d, "queue rings outside guest memory or misaligned");
		return;
	}
	q->ready = true;
}

static void vmm_virtio_mmio_notify(struct vmm_virtio_mmio *d, uint32_t qi)
{
	d->notifies++;
	if (vmm_virtio_mmio_live(d, qi) && d->ops->notify)
		d->ops->notify(d, qi);
}

static void vmm_virtio_mmio_queue_reg(struct vmm_virtio_mmio *d, uint64_t off, uint32_t v)
{
	struct vmm_virtq *q = vmm_virtio_mmio_sel(d);
	if (!q || (q->ready && off != R_QUEUE_READY))
		return; /* a live queue's layout is fixed until it is disabled or reset */
	switch (off) {
	case R_QUEUE_NUM:
		q->num = v <= VMM_VIRTQ_MAX ? (uint16_t)v : 0;
		break;
	case R_QUEUE_READY:
		vmm_virtio_mmio_queue_ready(d, q, v);
		break;
	case R_DESC_LO: case R_DESC_HI:
		vmm_virtio_mmio_addr(&q->desc, off == R_DESC_HI, v);
		break;
	case R_AVAIL_LO: case R_AVAIL_HI:
		vmm_virtio_mmio_addr(&q->avail, off == R_AVAIL_HI, v);
		break;
	default:
		vmm_virtio_mmio_addr(&q->used, off == R_USED_HI, v);
		break;
	}
}

static void vmm_virtio_mmio_write_reg(struct vmm_virtio_mmio *d, uint64_t off, uint32_t v)
{
	switch (off) {
	case R_DEV_FEATURES_SEL:
		d->dev_features_sel = v;
		break;
	case R_DRV_FEATURES:
		if (d->drv_features_sel <= 1 && !(d->status & VIRTIO_STATUS_FEATURES_OK))
			vmm_virtio_mmio_addr(&d->driver_features, d->drv_features_sel == 1, v);
		break;
	case R_DRV_FEATURES_SEL:
		d->drv_features_sel = v;
		break;
	case R_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case R_QUEUE_NUM: case R_QUEUE_READY: case R_DESC_LO: case R_DESC_HI: case R_AVAIL_LO:
	case R_AVAIL_HI: case R_USED_LO: case R_USED_HI:
		vmm_virtio_mmio_queue_reg(d, off, v);
		break;
	case R_QUEUE_NOTIFY:
		vmm_virtio_mmio_notify(d, v);
		break;
	case R_INT_ACK:
		d->int_status &= ~v;
		vmm_virtio_mmio_update_irq(d);
		break;
	case R_STATUS:
		vmm_virtio_mmio_status(d, v);
		break;
	default:
		break;
	}
}

static void vmm_virtio_mmio_read(void *dev, uint64_t off, uint8_t *data, unsigned len)
{
	struct vmm_virtio_mmio *d = dev;
	memset(data, 0, len);
	pthread_mutex_lock(&d->lock);
	if (off >= R_CONFIG) {
		uint64_t c = off - R_CONFIG;
		if (c < d->config_len && len <= d->config_len - c)
			memcpy(data, d->config + c, len);
	} else if (len == 4 && !(off & 3)) {
		uint32_t v = vmm_virtio_mmio_read_reg(d, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

static void vmm_virtio_mmio_write(void *dev, uint64_t off, const uint8_t *data, unsigned len)
{
	struct vmm_virtio_mmio *d = dev;
	pthread_mutex_lock(&d->lock);
	if (off >= R_CONFIG) {
		uint64_t c = off - R_CONFIG;
		if (c < d->config_len && len <= d->config_len - c) {
			memcpy(d->config + c, data, len);
			if (d->ops->config_write)
				d->ops->config_write(d, c, len);
		}
	} else if (len == 4 && !(off & 3)) {
		uint32_t v;
		memcpy(&v, data, 4);
		vmm_virtio_mmio_write_reg(d, off, v);
	}
	pthread_mutex_unlock(&d->lock);
}

const struct vmm_dev_ops vmm_virtio_mmio_ops = {
	.name = "virtio-mmio",
	.read = vmm_virtio_mmio_read,
	.write = vmm_virtio_mmio_write,
};

struct vmm_virtio_irq {
	struct vmm *vm;
	unsigned gsi;
};

static void vmm_virtio_irq(void *opaque, int level)
{
	struct vmm_virtio_irq *i = opaque;
	vmm_kvm_irq_line(i->vm, i->gsi, level);
}

static int vmm_virtio_attach(struct vmm *vm, struct vmm_virtio_mmio *d, struct vd_error **err)
{
	unsigned i = vm->ndevs;
	if (i >= VD_ARRAY_SIZE(vm->virtio))
		return vd_error_set(err, ENOSPC, "too many virtio devices on VM %s", vm->name);
	struct vmm_virtio_irq *irq = vd_xcalloc(1, sizeof(*irq));
	*irq = (struct vmm_virtio_irq){ .vm = vm, .gsi = VMM_VIRTIO_GSI + i };
	d->irq = vmm_virtio_irq;
	d->irq_opaque = irq;
	vm->virtio[vm->ndevs++] = d;
	return vmm_bus_add(&vm->mmio, VMM_VIRTIO_BASE + i * VMM_VIRTIO_SIZE, VMM_VIRTIO_SIZE,
			   &vmm_virtio_mmio_ops, d);
}

int vmm_virtio_setup_all(struct vmm *vm, const struct vmm_def *def, struct vd_error **err)
{
	int r = 0;
	if (def->disk) {
		struct vmm_virtio_mmio *blk = vmm_blk_create(&vm->mem, def->disk, def->disk_readonly, err);
		if (!blk)
			return vd_error_wrap(err, "disk of VM %s", vm->name);
		r = vmm_virtio_attach(vm, blk, err);
	}
	if (r == 0 && def->balloon) {
		vm->balloon = vmm_balloon_create(&vm->mem);
		r = vmm_virtio_attach(vm, vm->balloon, err);
	}
	if (r == 0 && def->rng)
		r = vmm_virtio_attach(vm, vmm_rng_create(&vm->mem), err);
	if (r == 0 && def->net) {
		vm->net = vmm_net_create(&vm->mem, vm->name, def->net, err);
		if (!vm->net)
			return vd_error_wrap(err, "network of VM %s", vm->name);
		r = vmm_virtio_attach(vm, vm->net, err);
	}
	return r;
}

void vmm_virtio_teardown_one(struct vmm_virtio_mmio *d)
{
	if (d->ops->destroy)
		d->ops->destroy(d);
	if (d->irq == vmm_virtio_irq)
		free(d->irq_opaque);
	free(d);
}

void vmm_virtio_teardown_all(struct vmm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		vmm_virtio_teardown_one(vm->virtio[i]);
	vm->ndevs = 0;
	vm->balloon = vm->net = NULL;
}

void vmm_virtio_counters(struct vmm *vm, struct vmm_virtio_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < vm->ndevs; i++) {
		struct vmm_virtio_mmio *d = vm->virtio[i];
		if (!d->ops->counters)
			continue;
		pthread_mutex_lock(&d->lock);
		d->ops->counters(d, c);
		pthread_mutex_unlock(&d->lock);
	}
}
