/* i8042.c - a minimal 8042 keyboard controller: what Linux's i8042/atkbd probe, plus reset. */
#include "vmm/i8042.h"

#define I8042_STR_OBF 0x01
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08
#define I8042_STR_KEYLOCK 0x10 /* set = keyboard not locked */
#define I8042_STR_AUX 0x20
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_XLATE 0x40
#define KBD_ACK 0xfa

void vmm_i8042_init(struct vmm_i8042 *k, void (*irq)(void *, unsigned, int), void (*reset)(void *),
		    void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->cmdbyte = I8042_CTR_KBDINT | I8042_STR_SYS;
	k->irq = irq;
	k->reset = reset;
	k->opaque = opaque;
}

static void vmm_i8042_update_irq(struct vmm_i8042 *k)
{
	bool has = k->q_len > 0;
	bool aux = has && k->q_aux[k->q_head];
	bool l1 = has && !aux && (k->cmdbyte & I8042_CTR_KBDINT);
	bool l12 = has && aux && (k->cmdbyte & I8042_CTR_AUXINT);
	if (k->irq && l1 != k->irq1)
		k->irq(k->opaque, 1, l1);
	if (k->irq && l12 != k->irq12)
		k->irq(k->opaque, 12, l12);
	k->irq1 = l1;
	k->irq12 = l12;
}

static void vmm_i8042_push(struct vmm_i8042 *k, uint8_t v, bool aux)
{
	if (k->q_len >= VMM_I8042_QUEUE)
		return;
	unsigned i = (k->q_head + k->q_len) % VMM_I8042_QUEUE;
	k->q[i] = v;
	k->q_aux[i] = aux;
	k->q_len++;
}

static uint8_t vmm_i8042_pop(struct vmm_i8042 *k)
{
	if (k->q_len == 0)
		return 0;
	uint8_t v = k->q[k->q_head];
	k->q_head = (k->q_head + 1) % VMM_I8042_QUEUE;
	k->q_len--;
	return v;
}

/* Commands written to port 0x64. */
static void vmm_i8042_command(struct vmm_i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: /* read configuration byte */
		vmm_i8042_push(k, k->cmdbyte, false);
		break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: /* these take a data byte */
		k->pending = cmd;
		break;
	case 0xa7: /* disable aux */
		k->cmdbyte |= 0x20;
		break;
	case 0xa8:
		k->cmdbyte &= (uint8_t)~0x20;
		break;
	case 0xa9: /* aux interface test: no mouse here */
		vmm_i8042_push(k, 0xff, false);
		break;
	case 0xaa: /* controller self test */
		vmm_i8042_push(k, 0x55, false);
		break;
	case 0xab: /* keyboard interface test */
		vmm_i8042_push(k, 0x00, false);
		break;
	case 0xad:
		k->cmdbyte |= 0x10;
		break;
	case 0xae:
		k->cmdbyte &= (uint8_t)~0x10;
		break;
	case 0xfe: /* pulse the reset line */
	case 0xf0 ... 0xfd:
		if ((cmd & 1) == 0 && k->reset)
			k->reset(k->opaque);
		break;
	default:
		break;
	}
}

/* Bytes written to port 0x60 with no controller command pending go to the keyboard. */
static void vmm_i8042_kbd(struct vmm_i8042 *k, uint8_t v)
{
	if (k->kbd_pending) {
		k->kbd_pending = 0;
		vmm_i8042_push(k, KBD_ACK, false);
		return;
	}
	switch (v) {
	case 0xff: /* reset: ACK, then self-test passed */
		vmm_i8042_push(k, KBD_ACK, false);
		vmm_i8042_push(k, 0xaa, false);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		vmm_i8042_push(k, KBD_ACK, false);
		vmm_i8042_push(k, 0xab, false);
		vmm_i8042_push(k, 0x83, false);
		break;
	case 0xee: /* echo */
		vmm_i8042_push(k, 0xee, false);
		break;
	case 0xed: case 0xf0: case 0xf3: /* LEDs, scancode set, typematic: one argument */
		k->kbd_pending = v;
		vmm_i8042_push(k, KBD_ACK, false);
		break;
	default:
		vmm_i8042_push(k, KBD_ACK, false);
		break;
	}
}

static void vmm_i8042_data(struct vmm_i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->cmdbyte = v;
		break;
	case 0xd1: /* output port: bit 0 low resets the CPU */
		if (!(v & 1) && k->reset)
			k->reset(k->opaque);
		break;
	case 0xd2:
		vmm_i8042_push(k, v, false);
		break;
	case 0xd3:
		vmm_i8042_push(k, v, true);
		break;
	case 0xd4: /* to the mouse: there is none */
		break;
	default:
		vmm_i8042_kbd(k, v);
		break;
	}
}

static void vmm_i8042_read(void *dev, uint64_t off, uint8_t *data, unsigned len)
{
	struct vmm_i8042 *k = dev;
	pthread_mutex_lock(&k->lock);
	if (off == 0) {
		data[0] = vmm_i8042_pop(k);
		/* The ISA line is edge-triggered: drop it so the next byte raises a fresh edge. */
		if (k->irq1 && k->irq)
			k->irq(k->opaque, 1, 0);
		k->irq1 = false;
	} else {
		data[0] = I8042_STR_SYS | I8042_STR_KEYLOCK | (k->q_len ? I8042_STR_OBF : 0) |
			  (k->q_len && k->q_aux[k->q_head] ? I8042_STR_AUX : 0);
	}
	vmm_i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (len > 1)
		memset(data + 1, 0, len - 1);
}

static void vmm_i8042_write(void *dev, uint64_t off, const uint8_t *data, unsigned len)
{
	struct vmm_i8042 *k = dev;
	pthread_mutex_lock(&k->lock);
	if (off == 0)
		vmm_i8042_data(k, data[0]);
	else if (off == 4)
		vmm_i8042_command(k, data[0]);
	vmm_i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

void vmm_i8042_ctrl_alt_del(struct vmm_i8042 *k)
{
	/* Set 2 make/break codes; with translation on, the set 1 equivalents. */
	static const uint8_t set2[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14 };
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
	pthread_mutex_lock(&k->lock);
	bool xl = k->cmdbyte & I8042_CTR_XLATE;
	const uint8_t *seq = xl ? set1 : set2;
	size_t n = xl ? sizeof(set1) : sizeof(set2);
	for (size_t i = 0; i < n; i++)
		vmm_i8042_push(k, seq[i], false);
	vmm_i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

const struct vmm_dev_ops vmm_i8042_ops = {
	.name = "i8042",
	.read = vmm_i8042_read,
	.write = vmm_i8042_write,
};
