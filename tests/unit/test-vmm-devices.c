/* test-vmm-devices.c - virtdeck-vmm's devices without KVM, on plain memory: the 8250 UART, the
 * i8042, virtqueue parsing with hostile descriptors, and the virtio-mmio register state machine
 * with the rng, blk, balloon and net devices behind it; the console log's size bound. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/ctlsrv.h"
#include "vmm/i8042.h"
#include "vmm/serial.h"
#include "vmm/virtio.h"
#include "common/ctl.h"
#include "vmm/vmm.h"

/* ------------------------------------------------------------------ UART */
static uint8_t out_buf[64];
static size_t out_len;
static int irq_level, irq_changes;

static void fake_out(void *o, const uint8_t *b, size_t n)
{
	memcpy(out_buf + out_len, b, n);
	out_len += n;
}

static void fake_irq(void *o, int level)
{
	irq_level = level;
	irq_changes++;
}

static uint8_t uart_in(struct vmm_serial *s, unsigned reg)
{
	uint8_t v;
	vmm_serial_ops.read(s, reg, &v, 1);
	return v;
}

static void uart_out(struct vmm_serial *s, unsigned reg, uint8_t v)
{
	vmm_serial_ops.write(s, reg, &v, 1);
}

static void test_uart_tx_rx(void **state)
{
	struct vmm_serial s;
	out_len = 0;
	irq_level = 0;
	vmm_serial_init(&s, fake_out, fake_irq, NULL);
	uart_out(&s, 0, 'h');
	uart_out(&s, 0, 'i');
	assert_int_equal(out_len, 2);
	assert_memory_equal(out_buf, "hi", 2);
	assert_int_equal(uart_in(&s, 5) & 0x61, 0x60); /* THRE+TEMT, no data */
	assert_int_equal(uart_in(&s, 2) & 0x0f, 0x01);   /* no interrupt while IER is 0 */

	/* Enabling THRI raises a THRE interrupt that reading IIR acknowledges. */
	uart_out(&s, 1, 0x02);
	assert_int_equal(irq_level, 1);
	assert_int_equal(uart_in(&s, 2) & 0x0f, 0x02);
	assert_int_equal(irq_level, 0);
	assert_int_equal(uart_in(&s, 2) & 0x0f, 0x01);

	/* Input: data ready, RX interrupt first, drained in order. */
	uart_out(&s, 1, 0x03);
	assert_int_equal(vmm_serial_input(&s, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(irq_level, 1);
	assert_int_equal(uart_in(&s, 5) & 1, 1);
	assert_int_equal(uart_in(&s, 2) & 0x0f, 0x04);
	assert_int_equal(uart_in(&s, 0), 'a');
	assert_int_equal(uart_in(&s, 0), 'b');
	assert_int_equal(uart_in(&s, 5) & 1, 0);
	uint8_t big[VMM_SERIAL_RX_MAX + 10] = { 0 };
	assert_int_equal(vmm_serial_input(&s, big, sizeof(big)), VMM_SERIAL_RX_MAX);
	assert_int_equal(vmm_serial_room(&s), 0);
}

static void test_uart_probe_registers(void **state)
{
	struct vmm_serial s;
	vmm_serial_init(&s, fake_out, fake_irq, NULL);
	/* Divisor latch behind DLAB, not the data path. */
	out_len = 0;
	uart_out(&s, 3, 0x80);
	uart_out(&s, 0, 0x01);
	uart_out(&s, 1, 0x00);
	assert_int_equal(uart_in(&s, 0), 0x01);
	uart_out(&s, 3, 0x03);
	assert_int_equal(out_len, 0);
	/* Linux's loopback test: MCR = LOOP|RTS|OUT2 must read back as CTS|DCD in MSR. */
	uart_out(&s, 4, 0x1a);
	assert_int_equal(uart_in(&s, 6) & 0xf0, 0x90);
	uart_out(&s, 4, 0x1f);
	assert_int_equal(uart_in(&s, 6) & 0xf0, 0xf0);
	uart_out(&s, 0, 'x'); /* looped back, not sent */
	assert_int_equal(out_len, 0);
	assert_int_equal(uart_in(&s, 0), 'x');
	uart_out(&s, 4, 0x0b);
	assert_int_equal(uart_in(&s, 6), 0xb0);
	uart_out(&s, 7, 0x5a);
	assert_int_equal(uart_in(&s, 7), 0x5a);
	uart_out(&s, 2, 0x01); /* FIFO on: a 16550A */
	assert_int_equal(uart_in(&s, 2) & 0xc0, 0xc0);
}

/* ------------------------------------------------------------------ i8042 */
static int resets;
static void fake_reset(void *o)
{
	resets++;
}

static void fake_kbd_irq(void *o, unsigned line, int level)
{
}

static uint8_t kbd_in(struct vmm_i8042 *k, unsigned off)
{
	uint8_t v;
	vmm_i8042_ops.read(k, off, &v, 1);
	return v;
}

static void kbd_out(struct vmm_i8042 *k, unsigned off, uint8_t v)
{
	vmm_i8042_ops.write(k, off, &v, 1);
}

static void test_i8042(void **state)
{
	struct vmm_i8042 k;
	resets = 0;
	vmm_i8042_init(&k, fake_kbd_irq, fake_reset, NULL);
	assert_int_equal(kbd_in(&k, 4) & 1, 0);
	kbd_out(&k, 4, 0xaa);
	assert_int_equal(kbd_in(&k, 4) & 1, 1);
	assert_int_equal(kbd_in(&k, 0), 0x55);
	kbd_out(&k, 0, 0xf2); /* keyboard identify */
	assert_int_equal(kbd_in(&k, 0), 0xfa);
	assert_int_equal(kbd_in(&k, 0), 0xab);
	assert_int_equal(kbd_in(&k, 0), 0x83);
	kbd_out(&k, 4, 0x60);
	kbd_out(&k, 0, 0x45);
	kbd_out(&k, 4, 0x20);
	assert_int_equal(kbd_in(&k, 0), 0x45);
	vmm_i8042_ctrl_alt_del(&k); /* translation on (0x40): set 1 codes */
	assert_int_equal(kbd_in(&k, 0), 0x1d);
	assert_int_equal(kbd_in(&k, 0), 0x38);
	assert_int_equal(resets, 0);
	kbd_out(&k, 4, 0xfe);
	assert_int_equal(resets, 1);
}

/* ------------------------------------------------------------------ virtqueues */
#define Q_DESC 0x10000ull
#define Q_AVAIL 0x11000ull
#define Q_USED 0x12000ull
#define Q_BUF 0x20000ull
#define Q_NUM 8

struct qdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
} __attribute__((packed));

static struct vmm_mem gmem;

static int mem_setup(void **state)
{
	struct vd_error *err = NULL;
	return vmm_mem_alloc(&gmem, 64ull << 20, &err);
}

static int mem_teardown(void **state)
{
	vmm_mem_free(&gmem);
	return 0;
}

static struct qdesc *desc(unsigned i)
{
	return (struct qdesc *)vmm_mem_ptr(&gmem, Q_DESC + 16 * i, 16);
}

static void q_init(struct vmm_virtq *q)
{
	memset(vmm_mem_ptr(&gmem, Q_DESC, 0x3000), 0, 0x3000);
	*q = (struct vmm_virtq){ .num = Q_NUM, .ready = true, .desc = Q_DESC, .avail = Q_AVAIL, .used = Q_USED };
}

/* Make head available as the driver's next entry. */
static void q_offer(uint16_t head)
{
	uint16_t *avail = vmm_mem_ptr(&gmem, Q_AVAIL, 4 + 2 * Q_NUM);
	avail[2 + avail[1] % Q_NUM] = head;
	avail[1]++;
}

static uint16_t used_idx(void)
{
	return ((uint16_t *)vmm_mem_ptr(&gmem, Q_USED, 4))[1];
}

static void test_virtq_good_chain(void **state)
{
	struct vmm_virtq q;
	struct vmm_virtq_chain c;
	q_init(&q);
	assert_true(vmm_virtq_check(&gmem, &q));
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), 0);
	*desc(3) = (struct qdesc){ Q_BUF, 16, VIRTQ_DESC_F_NEXT, 5 };
	*desc(5) = (struct qdesc){ Q_BUF + 0x100, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6 };
	*desc(6) = (struct qdesc){ Q_BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0 };
	q_offer(3);
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.nseg, 3);
	assert_int_equal(c.nread, 1);
	assert_int_equal(c.read_bytes, 16);
	assert_int_equal(c.write_bytes, 513);
	uint8_t tag = 0x7e;
	assert_int_equal(vmm_virtq_write(&c, 512, &tag, 1), 1);
	assert_int_equal(*(uint8_t *)vmm_mem_ptr(&gmem, Q_BUF + 0x400, 1), 0x7e);
	assert_int_equal(vmm_virtq_push(&gmem, &q, c.head, 513), 0);
	assert_int_equal(used_idx(), 1);
	uint32_t *elem = vmm_mem_ptr(&gmem, Q_USED + 4, 8);
	assert_int_equal(elem[0], 3);
	assert_int_equal(elem[1], 513);
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), 0);
}

/* Each hostile chain must be refused without touching anything outside guest RAM. */
static void expect_refused(struct qdesc d0, struct qdesc d1)
{
	struct vmm_virtq q;
	struct vmm_virtq_chain c;
	q_init(&q);
	*desc(0) = d0;
	*desc(1) = d1;
	q_offer(0);
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), -EINVAL);
}

static void test_virtq_hostile(void **state)
{
	const uint16_t N = VIRTQ_DESC_F_NEXT, W = VIRTQ_DESC_F_WRITE;
	expect_refused((struct qdesc){ Q_BUF, 8, N, 1 }, (struct qdesc){ Q_BUF, 8, N, 0 }); /* loop */
	expect_refused((struct qdesc){ Q_BUF, 8, N, 0 }, (struct qdesc){ 0 });             /* self loop */
	expect_refused((struct qdesc){ Q_BUF, 8, N, 200 }, (struct qdesc){ 0 });           /* next >= num */
	expect_refused((struct qdesc){ (64ull << 20) - 4, 8, 0, 0 }, (struct qdesc){ 0 }); /* past RAM */
	expect_refused((struct qdesc){ UINT64_MAX - 3, 8, 0, 0 }, (struct qdesc){ 0 });    /* wraps */
	expect_refused((struct qdesc){ 0xd0000000ull, 4, 0, 0 }, (struct qdesc){ 0 });    /* MMIO */
	expect_refused((struct qdesc){ Q_BUF, 0xffffffffu, 0, 0 }, (struct qdesc){ 0 });  /* oversized */
	expect_refused((struct qdesc){ Q_BUF, 8, W | N, 1 }, (struct qdesc){ Q_BUF, 8, 0, 0 }); /* R after W */
	expect_refused((struct qdesc){ Q_BUF, 16, VIRTQ_DESC_F_INDIRECT, 0 }, (struct qdesc){ 0 });

	/* Bad ring state: a head index out of range, and an avail index far ahead. */
	struct vmm_virtq q;
	struct vmm_virtq_chain c;
	q_init(&q);
	q_offer(Q_NUM + 3);
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), -EINVAL);
	q_init(&q);
	((uint16_t *)vmm_mem_ptr(&gmem, Q_AVAIL, 4))[1] = 1000;
	assert_int_equal(vmm_virtq_pop(&gmem, &q, &c), -EINVAL);

	/* Ring layout checks when a driver makes a queue ready. */
	q_init(&q);
	q.num = 3;
	assert_false(vmm_virtq_check(&gmem, &q)); /* not a power of two */
	q_init(&q);
	q.used = (64ull << 20) - 8;
	assert_false(vmm_virtq_check(&gmem, &q));
	q_init(&q);
	q.desc = Q_DESC + 2;
	assert_false(vmm_virtq_check(&gmem, &q));
}

/* ------------------------------------------------------------------ virtio-mmio */
static uint32_t mmio_rd(struct vmm_virtio_mmio *d, uint64_t off)
{
	uint32_t v;
	vmm_virtio_mmio_ops.read(d, off, (uint8_t *)&v, 4);
	return v;
}

static void mmio_wr(struct vmm_virtio_mmio *d, uint64_t off, uint32_t v)
{
	vmm_virtio_mmio_ops.write(d, off, (const uint8_t *)&v, 4);
}

/* The driver's side of the handshake up to DRIVER_OK with queue 0..n-1 at our fixed rings. */
static void drive_up(struct vmm_virtio_mmio *d, unsigned nq, uint64_t features)
{
	mmio_wr(d, 0x70, 0);
	mmio_wr(d, 0x70, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	mmio_wr(d, 0x24, 0);
	mmio_wr(d, 0x20, (uint32_t)features);
	mmio_wr(d, 0x24, 1);
	mmio_wr(d, 0x20, (uint32_t)(features >> 32));
	mmio_wr(d, 0x70, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned i = 0; i < nq; i++) {
		mmio_wr(d, 0x30, i);
		mmio_wr(d, 0x38, Q_NUM);
		mmio_wr(d, 0x80, (uint32_t)(Q_DESC + i * 0x4000));
		mmio_wr(d, 0x90, (uint32_t)(Q_AVAIL + i * 0x4000));
		mmio_wr(d, 0xa0, (uint32_t)(Q_USED + i * 0x4000));
		mmio_wr(d, 0x44, 1);
	}
	mmio_wr(d, 0x70, 0x0f);
}

static void test_mmio_registers_and_features(void **state)
{
	struct vmm_virtio_mmio *d = vmm_rng_create(&gmem);
	assert_int_equal(mmio_rd(d, 0x000), 0x74726976);
	assert_int_equal(mmio_rd(d, 0x004), 2);
	assert_int_equal(mmio_rd(d, 0x008), 4);
	mmio_wr(d, 0x14, 1);
	assert_int_equal(mmio_rd(d, 0x10), 1); /* VERSION_1 is bit 32 */
	/* A legacy driver (no VERSION_1) does not get FEATURES_OK. */
	mmio_wr(d, 0x70, 3);
	mmio_wr(d, 0x24, 0);
	mmio_wr(d, 0x20, 0);
	mmio_wr(d, 0x70, 0x0b);
	assert_int_equal(mmio_rd(d, 0x70) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* Features we never offered are refused too. */
	mmio_wr(d, 0x70, 0);
	mmio_wr(d, 0x70, 3);
	mmio_wr(d, 0x24, 1);
	mmio_wr(d, 0x20, 1 | (1u << 5));
	mmio_wr(d, 0x70, 0x0b);
	assert_int_equal(mmio_rd(d, 0x70) & VIRTIO_STATUS_FEATURES_OK, 0);
	drive_up(d, 1, 1ull << 32);
	assert_int_equal(mmio_rd(d, 0x70), 0x0f);
	mmio_wr(d, 0x30, 0);
	assert_int_equal(mmio_rd(d, 0x44), 1);
	mmio_wr(d, 0x30, 7); /* a queue that does not exist */
	assert_int_equal(mmio_rd(d, 0x34), 0);
	uint8_t odd[2] = { 1, 2 }; /* unaligned and short register writes are ignored */
	vmm_virtio_mmio_ops.write(d, 0x71, odd, 2);
	assert_int_equal(mmio_rd(d, 0x70), 0x0f);
	mmio_wr(d, 0x70, 0);
	assert_int_equal(mmio_rd(d, 0x70), 0);
	mmio_wr(d, 0x30, 0);
	assert_int_equal(mmio_rd(d, 0x44), 0);
	vmm_virtio_teardown_one(d);
}

static void test_mmio_rng_and_broken_device(void **state)
{
	struct vmm_virtio_mmio *d = vmm_rng_create(&gmem);
	struct vmm_virtq q;
	q_init(&q);
	d->irq = fake_irq;
	irq_level = 0;
	drive_up(d, 1, 1ull << 32);
	memset(vmm_mem_ptr(&gmem, Q_BUF, 64), 0, 64);
	*desc(0) = (struct qdesc){ Q_BUF, 64, VIRTQ_DESC_F_WRITE, 0 };
	q_offer(0);
	mmio_wr(d, 0x50, 0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(mmio_rd(d, 0x60), VIRTIO_INT_USED);
	assert_int_equal(irq_level, 1);
	uint8_t zero[64] = { 0 };
	assert_memory_not_equal(vmm_mem_ptr(&gmem, Q_BUF, 64), zero, 64);
	mmio_wr(d, 0x64, VIRTIO_INT_USED);
	assert_int_equal(irq_level, 0);

	/* A looping chain: the device is marked broken and asks for a reset, the VMM lives on. */
	*desc(1) = (struct qdesc){ Q_BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1 };
	q_offer(1);
	mmio_wr(d, 0x50, 0);
	assert_true(mmio_rd(d, 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(used_idx(), 1);
	q_offer(0); /* ignored until reset */
	mmio_wr(d, 0x50, 0);
	assert_int_equal(used_idx(), 1);
	mmio_wr(d, 0x70, 0);
	assert_int_equal(mmio_rd(d, 0x70), 0);
	assert_int_equal(irq_level, 0);

	/* Rings outside RAM when the queue goes ready: broken, the queue stays off. */
	mmio_wr(d, 0x70, 3);
	mmio_wr(d, 0x30, 0);
	mmio_wr(d, 0x38, Q_NUM);
	mmio_wr(d, 0x80, 0xfffff000u);
	mmio_wr(d, 0x84, 0x7);
	mmio_wr(d, 0x44, 1);
	assert_int_equal(mmio_rd(d, 0x44), 0);
	assert_true(mmio_rd(d, 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	vmm_virtio_teardown_one(d);
}

static void test_mmio_blk(void **state)
{
	char path[] = "/tmp/vd-test-blk-XXXXXX";
	int fd = mkstemp(path);
	char sector[512];
	memset(sector, 'D', sizeof(sector));
	for (int i = 0; i < 8; i++)
		assert_int_equal(write(fd, sector, 512), 512);
	close(fd);
	struct vd_error *err = NULL;
	struct vmm_virtio_mmio *d = vmm_blk_create(&gmem, path, false, &err);
	assert_non_null(d);
	uint64_t cap;
	vmm_virtio_mmio_ops.read(d, 0x100, (uint8_t *)&cap, 8);
	assert_int_equal(cap, 8);
	struct vmm_virtq q;
	q_init(&q);
	drive_up(d, 1, 1ull << 32);
	uint32_t hdr[4] = { 0 /* IN */, 0, 2, 0 };
	memcpy(vmm_mem_ptr(&gmem, Q_BUF, 16), hdr, 16);
	*desc(0) = (struct qdesc){ Q_BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
	*desc(1) = (struct qdesc){ Q_BUF + 0x1000, 1024, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 };
	*desc(2) = (struct qdesc){ Q_BUF + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0 };
	q_offer(0);
	mmio_wr(d, 0x50, 0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(*(uint8_t *)vmm_mem_ptr(&gmem, Q_BUF + 0x2000, 1), 0); /* OK */
	assert_int_equal(*(uint8_t *)vmm_mem_ptr(&gmem, Q_BUF + 0x1000 + 1023, 1), 'D');
	/* Past the end of the disk: IOERR, not a crash or a short read. */
	hdr[2] = 7;
	memcpy(vmm_mem_ptr(&gmem, Q_BUF, 16), hdr, 16);
	q_offer(0);
	mmio_wr(d, 0x50, 0);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(*(uint8_t *)vmm_mem_ptr(&gmem, Q_BUF + 0x2000, 1), 1);
	/* A write lands in the file. */
	hdr[0] = 1;
	hdr[2] = 1;
	memcpy(vmm_mem_ptr(&gmem, Q_BUF, 16), hdr, 16);
	memset(vmm_mem_ptr(&gmem, Q_BUF + 0x3000, 512), 'W', 512);
	*desc(1) = (struct qdesc){ Q_BUF + 0x3000, 512, VIRTQ_DESC_F_NEXT, 2 };
	q_offer(0);
	mmio_wr(d, 0x50, 0);
	assert_int_equal(*(uint8_t *)vmm_mem_ptr(&gmem, Q_BUF + 0x2000, 1), 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, sector, 1, 512), 1);
	assert_int_equal(sector[0], 'W');
	close(fd);
	struct vmm_virtio_counters io = { 0 };
	d->ops->counters(d, &io); /* the failed read past the end does not count */
	assert_int_equal(io.read_bytes, 1024);
	assert_int_equal(io.write_bytes, 512);
	vmm_virtio_teardown_one(d);
	unlink(path);
}

static void test_balloon_stats_and_target(void **state)
{
	struct vmm_virtio_mmio *d = vmm_balloon_create(&gmem);
	struct vmm_virtq q;
	q_init(&q);
	memset(vmm_mem_ptr(&gmem, Q_DESC + 0x8000, 0x3000), 0, 0x3000);
	drive_up(d, 3, (1ull << 32) | 2);
	/* The stats queue is queue 2: rings at +0x8000. A buffer with MEMTOT and AVAIL. */
	uint8_t stats[20];
	uint16_t tag = 5;
	uint64_t v = 200ull << 20;
	memcpy(stats, &tag, 2), memcpy(stats + 2, &v, 8);
	tag = 6, v = 150ull << 20;
	memcpy(stats + 10, &tag, 2), memcpy(stats + 12, &v, 8);
	memcpy(vmm_mem_ptr(&gmem, Q_BUF, 20), stats, 20);
	struct qdesc *sd = vmm_mem_ptr(&gmem, Q_DESC + 0x8000, 16);
	*sd = (struct qdesc){ Q_BUF, 20, 0, 0 };
	uint16_t *avail = vmm_mem_ptr(&gmem, Q_AVAIL + 0x8000, 6);
	avail[2] = 0;
	avail[1] = 1;
	mmio_wr(d, 0x50, 2);
	struct vmm_balloon_stats s;
	vmm_balloon_get(d, &s);
	assert_true(s.valid);
	assert_int_equal(s.total, 200ull << 20);
	assert_int_equal(s.available, 150ull << 20);
	/* Polling hands the buffer back so the guest refreshes it. */
	vmm_balloon_poll(d);
	assert_int_equal(((uint16_t *)vmm_mem_ptr(&gmem, Q_USED + 0x8000, 4))[1], 1);
	vmm_balloon_set_target(d, 1234);
	assert_int_equal(mmio_rd(d, 0x100), 1234);
	assert_true(mmio_rd(d, 0x60) & VIRTIO_INT_CONFIG);
	assert_int_equal(mmio_rd(d, 0xfc), 1);
	vmm_virtio_teardown_one(d);
}

/* The control socket is untrusted: a balloon target or a shutdown timeout that is not a whole
 * number in range is refused and changes nothing (json-c would clamp or truncate it). */
static void test_ctl_refuses_bad_numbers(void **state)
{
	static struct vmm vm;
	vd_strlcpy(vm.name, "ctl", sizeof(vm.name));
	vm.mem.size = 256ull << 20; /* the balloon arithmetic only needs the size */
	vm.balloon = vmm_balloon_create(&gmem);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	const char *const bad[] = { "{\"cmd\":\"balloon\",\"bytes\":134217728.9}",
				    "{\"cmd\":\"balloon\",\"bytes\":1e308}",
				    "{\"cmd\":\"balloon\",\"bytes\":NaN}",
				    "{\"cmd\":\"balloon\",\"bytes\":\"128M\"}",
				    "{\"cmd\":\"balloon\",\"bytes\":-1}",
				    "{\"cmd\":\"shutdown\",\"timeout\":1e300}",
				    "{\"cmd\":\"shutdown\",\"timeout\":9223372036854775807}",
				    NULL };
	struct vd_ctlsrv_client cl = { .fd = sv[0] };
	for (size_t i = 0; bad[i]; i++) {
		struct json_object *req = json_tokener_parse(bad[i]);
		assert_non_null(req);
		vmm_ctl_handle(&vm, &cl, req);
		json_object_put(req);
		char reply[512] = "";
		assert_true(read(sv[1], reply, sizeof(reply) - 1) > 0);
		if (!strstr(reply, "\"ok\":false"))
			fail_msg("%s was accepted: %s", bad[i], reply);
		assert_int_equal(mmio_rd(vm.balloon, 0x100), 0); /* no pages asked back */
		assert_int_equal(vm.shutdown_deadline_ns, 0);
	}
	struct json_object *good = json_tokener_parse("{\"cmd\":\"balloon\",\"bytes\":134217728}");
	vmm_ctl_handle(&vm, &cl, good);
	json_object_put(good);
	char reply[512] = "";
	assert_true(read(sv[1], reply, sizeof(reply) - 1) > 0);
	assert_int_equal(mmio_rd(vm.balloon, 0x100), 32768);
	free(cl.out);
	close(sv[0]);
	close(sv[1]);
	vmm_virtio_teardown_one(vm.balloon);
}

/* ------------------------------------------------------------------ virtio-net receive */
static unsigned readv_calls, readv_empty;

/* Every readv of this program goes through here (the net device's receive path is the only
 * caller), so a test can count them and catch a readv with no buffer at all. */
ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	readv_calls++;
	if (iovcnt == 0)
		readv_empty++;
	return syscall(SYS_readv, fd, iov, iovcnt);
}

/* What the VMM's main loop does for the network, for at most max_ns: poll the fds the device
 * asks for and run its receive path; returns early once nothing is ready for 100 ms. */
static unsigned net_loop(struct vmm_virtio_mmio *d, uint64_t max_ns)
{
	uint64_t end = vd_now_mono_ns() + max_ns;
	unsigned turns = 0;
	while (vd_now_mono_ns() < end) {
		int tap, kick;
		vmm_net_pollfds(d, &tap, &kick);
		struct pollfd p[2] = { { .fd = tap, .events = POLLIN },
				       { .fd = kick, .events = POLLIN } };
		if (poll(p, 2, 100) <= 0)
			break;
		vmm_net_rx(d);
		turns++;
	}
	return turns;
}

static uint32_t used_elem(unsigned i, unsigned word)
{
	return ((uint32_t *)vmm_mem_ptr(&gmem, Q_USED + 4 + 8 * i, 8))[word];
}

/* A receive chain the device cannot write into (only device-readable descriptors, or too small
 * for the virtio-net header) is handed back empty, never read into with no buffer, and the
 * next good chain gets the frame: no spin, no stall, no reset needed. */
static void test_net_rx_chain_without_writable_buffer(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	struct vmm_virtio_mmio *d = vmm_net_create_fd(&gmem, "t", sv[0], "vd-test");
	struct vmm_virtq q;
	q_init(&q);
	memset(vmm_mem_ptr(&gmem, Q_DESC + 0x4000, 0x3000), 0, 0x3000);
	d->irq = fake_irq;
	drive_up(d, 2, (1ull << 32) | (1u << 5));
	uint8_t frame[12 + 60];
	memset(frame, 0, 12);
	memset(frame + 12, 0xab, 60);
	assert_int_equal(send(sv[1], frame, sizeof(frame), 0), sizeof(frame));
	*desc(0) = (struct qdesc){ Q_BUF, 1526, 0, 0 };                        /* readable only */
	*desc(1) = (struct qdesc){ Q_BUF + 0x800, 8, VIRTQ_DESC_F_WRITE, 0 };  /* < header */
	*desc(2) = (struct qdesc){ Q_BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0 };
	q_offer(0);
	q_offer(1);
	q_offer(2);
	readv_calls = readv_empty = 0;
	mmio_wr(d, 0x50, 0);
	unsigned turns = net_loop(d, 2000000000ull);
	print_message("net rx: %u loop turns, %u readv calls (%u with no buffer)\n", turns,
		      readv_calls, readv_empty);
	assert_int_equal(readv_empty, 0);
	assert_in_range(readv_calls, 1, 4);
	assert_false(mmio_rd(d, 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(used_idx(), 3);
	assert_int_equal(used_elem(0, 0), 0);
	assert_int_equal(used_elem(0, 1), 0);
	assert_int_equal(used_elem(1, 0), 1);
	assert_int_equal(used_elem(1, 1), 0);
	assert_int_equal(used_elem(2, 0), 2);
	assert_int_equal(used_elem(2, 1), sizeof(frame));
	uint8_t *got = vmm_mem_ptr(&gmem, Q_BUF + 0x1000, sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	vmm_virtio_teardown_one(d);
	close(sv[1]);
}

/* ------------------------------------------------------------------ console log bound */
static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* A guest printing without end must not fill the host's /run: the console log stays within its
 * bound (here the default), the rotated NAME.1 too. */
static void test_console_log_bounded(void **state)
{
	char dir[] = "/tmp/vd-test-console-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = vd_xasprintf("%s/t.console", dir);
	static struct vmm vm;
	vm.pty_master = -1;
	struct vd_error *err = NULL;
	assert_int_equal(vd_rotlog_open(&vm.console_log, path, 0, &err), 0);
	struct vmm_serial s;
	vmm_serial_init(&s, vmm_vm_console_out, NULL, &vm);
	unsigned total = (3u << 20) + 100;
	for (unsigned i = 0; i < total; i++)
		uart_out(&s, 0, (uint8_t)('a' + i % 26));
	off_t cur = file_size(path);
	char *old = vd_xasprintf("%s.1", path);
	print_message("console log after 3 MiB: %lld + %lld bytes\n", (long long)cur,
		      (long long)file_size(old));
	assert_true(cur > 0 && cur <= (1 << 20));
	assert_true(file_size(old) <= (1 << 20));
	/* Just after a rotation NAME holds 100 bytes: the 2 KiB an attach replays span both. */
	char tail[2048];
	assert_int_equal(vd_rotlog_tail(path, tail, sizeof(tail)), sizeof(tail));
	for (unsigned i = 0; i < sizeof(tail); i++)
		assert_int_equal(tail[i], 'a' + (total - sizeof(tail) + i) % 26);
	vd_rotlog_close(&vm.console_log);
	unlink(path);
	unlink(old);
	rmdir(dir);
	free(path);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_tx_rx),
		cmocka_unit_test(test_uart_probe_registers),
		cmocka_unit_test(test_i8042),
		cmocka_unit_test(test_virtq_good_chain),
		cmocka_unit_test(test_virtq_hostile),
		cmocka_unit_test(test_mmio_registers_and_features),
		cmocka_unit_test(test_mmio_rng_and_broken_device),
		cmocka_unit_test(test_mmio_blk),
		cmocka_unit_test(test_balloon_stats_and_target),
		cmocka_unit_test(test_ctl_refuses_bad_numbers),
		cmocka_unit_test(test_net_rx_chain_without_writable_buffer),
		cmocka_unit_test(test_console_log_bounded),
	};
	return cmocka_run_group_tests(tests, mem_setup, mem_teardown);
}
