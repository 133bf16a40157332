/* blk.c - virtio-blk on a raw image file: read, write, flush and get-id, served synchronously. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/virtio.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VMM_BLK_ID_LEN 20

struct vmm_blk {
	int fd;
	uint64_t size; /* bytes */
	bool readonly;
	uint64_t reads, writes, read_bytes, write_bytes;
};

struct vmm_blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Data moves straight between the file and guest memory through the chain's iovecs. */
static uint8_t vmm_blk_rw(struct vmm_blk *b, const struct vmm_virtq_chain *c, uint64_t off,
			  uint64_t len, bool write)
{
	if (len % 512 || off > b->size || len > b->size - off)
		return VIRTIO_BLK_S_IOERR;
	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	struct iovec iov[VMM_VIRTQ_MAX_SEG];
	unsigned n = write ? vmm_virtq_iov(c, false, sizeof(struct vmm_blk_req), len, iov,
					   VMM_VIRTQ_MAX_SEG)
			   : vmm_virtq_iov(c, true, 0, len, iov, VMM_VIRTQ_MAX_SEG);
	ssize_t r = write ? pwritev(b->fd, iov, (int)n, (off_t)off)
			  : preadv(b->fd, iov, (int)n, (off_t)off);
	if (r != (ssize_t)len)
		return VIRTIO_BLK_S_IOERR;
	if (write)
		b->writes++, b->write_bytes += len;
	else
		b->reads++, b->read_bytes += len;
	return VIRTIO_BLK_S_OK;
}

/* Serve one request; returns the bytes written into the guest's buffers (data + status). */
static uint32_t vmm_blk_request(struct vmm_blk *b, const struct vmm_virtq_chain *c)
{
	struct vmm_blk_req h;
	if (vmm_virtq_read(c, 0, &h, sizeof(h)) != sizeof(h) || c->write_bytes < 1)
		return UINT32_MAX;
	uint64_t data_in = c->write_bytes - 1, data_out = c->read_bytes - sizeof(h);
	uint8_t st = VIRTIO_BLK_S_UNSUPP;
	uint32_t written = 0;
	if (h.sector > UINT64_MAX / 512)
		st = VIRTIO_BLK_S_IOERR;
	else if (h.type == VIRTIO_BLK_T_IN && (st = vmm_blk_rw(b, c, h.sector * 512, data_in, false)) == 0)
		written = (uint32_t)data_in;
	else if (h.type == VIRTIO_BLK_T_OUT)
		st = vmm_blk_rw(b, c, h.sector * 512, data_out, true);
	else if (h.type == VIRTIO_BLK_T_FLUSH)
		st = fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	else if (h.type == VIRTIO_BLK_T_GET_ID) {
		char id[VMM_BLK_ID_LEN] = "virtdeck-disk";
		written = (uint32_t)vmm_virtq_write(c, 0, id, data_in < sizeof(id) ? data_in : sizeof(id));
		st = VIRTIO_BLK_S_OK;
	}
	vmm_virtq_write(c, c->write_bytes - 1, &st, 1);
	return written + 1;
}

static void vmm_blk_notify(struct vmm_virtio_mmio *d, unsigned qi)
{
	struct vmm_virtq_chain c;
	int r;
	while ((r = vmm_virtq_pop(d->mem, &d->q[qi], &c)) > 0) {
		uint32_t len = vmm_blk_request(d->priv, &c);
		if (len == UINT32_MAX) {
			vmm_virtio_mmio_broken(d, "request without header or status byte");
			return;
		}
		vmm_virtio_mmio_used(d, qi, c.head, len);
	}
	if (r < 0)
		vmm_virtio_mmio_broken(d, "bad descriptor chain");
}

static void vmm_blk_counters(struct vmm_virtio_mmio *d, struct vmm_virtio_counters *c)
{
	struct vmm_blk *b = d->priv;
	c->read_bytes += b->read_bytes;
	c->write_bytes += b->write_bytes;
}

static void vmm_blk_destroy(struct vmm_virtio_mmio *d)
{
	struct vmm_blk *b = d->priv;
	close(b->fd);
	free(b);
}

static const struct vmm_virtio_dev_ops vmm_blk_dev_ops = {
	.name = "blk", .device_id = VIRTIO_ID_BLOCK, .nqueues = 1,
	.notify = vmm_blk_notify, .destroy = vmm_blk_destroy, .counters = vmm_blk_counters,
};

struct vmm_virtio_mmio *vmm_blk_create(const struct vmm_mem *mem, const char *path, bool readonly,
				       struct vd_error **err)
{
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		vd_error_errno(err, errno, "open disk image %s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct vmm_blk *b = vd_xcalloc(1, sizeof(*b));
	*b = (struct vmm_blk){ .fd = fd, .size = (uint64_t)st.st_size & ~511ull, .readonly = readonly };
	struct vmm_virtio_mmio *d = vd_xcalloc(1, sizeof(*d));
	uint64_t features = (1ull << VIRTIO_BLK_F_FLUSH) | (readonly ? 1ull << VIRTIO_BLK_F_RO : 0);
	vmm_virtio_mmio_init(d, &vmm_blk_dev_ops, b, mem, features, 8);
	uint64_t sectors = b->size / 512;
	memcpy(d->config, &sectors, 8); /* capacity */
	return d;
}
