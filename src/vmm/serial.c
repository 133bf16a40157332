/* serial.c - an 8250/16550A UART: enough of the register model for Linux's 8250 driver. */
#include "vmm/serial.h"

#define UART_RX 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_LCR_DLAB 0x80
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

void vmm_serial_init(struct vmm_serial *s, void (*out)(void *, const uint8_t *, size_t),
		     void (*irq)(void *, int), void *opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out = out;
	s->irq = irq;
	s->opaque = opaque;
	s->mcr = 0x08; /* OUT2 */
	s->dll = 0x0c; /* 9600 baud, as a BIOS leaves it */
}

static uint8_t vmm_serial_iir(const struct vmm_serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->rx_len > 0)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* Drive the IRQ line from the interrupt state; called with the lock held, after every change. */
static void vmm_serial_update_irq(struct vmm_serial *s)
{
	bool level = vmm_serial_iir(s) != UART_IIR_NO_INT;
	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->irq)
		s->irq(s->opaque, level);
}

static uint8_t vmm_serial_pop(struct vmm_serial *s)
{
	if (s->rx_len == 0)
		return 0;
	uint8_t c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % VMM_SERIAL_RX_MAX;
	s->rx_len--;
	return c;
}

static void vmm_serial_push(struct vmm_serial *s, uint8_t c)
{
	if (s->rx_len >= VMM_SERIAL_RX_MAX)
		return;
	s->rx[(s->rx_head + s->rx_len) % VMM_SERIAL_RX_MAX] = c;
	s->rx_len++;
}

/* Modem status; in loopback the outputs (DTR, RTS, OUT1, OUT2) come back as inputs. */
static uint8_t vmm_serial_msr(const struct vmm_serial *s)
{
	if (!(s->mcr & UART_MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS */
	return (uint8_t)(((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) | ((s->mcr & 0x04) << 4) |
			 ((s->mcr & 0x08) << 4));
}

static uint8_t vmm_serial_read_reg(struct vmm_serial *s, unsigned reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_RX:
		return dlab ? s->dll : vmm_serial_pop(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR: {
		uint8_t iir = vmm_serial_iir(s);
		if (iir == UART_IIR_THRI)
			s->thre_pending = false; /* reading IIR acknowledges THRE */
		return iir | ((s->fcr & UART_FCR_ENABLE) ? 0xc0 : 0);
	}
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (s->rx_len ? UART_LSR_DR : 0);
	case UART_MSR:
		return vmm_serial_msr(s);
	default:
		return s->scr;
	}
}

static void vmm_serial_tx(struct vmm_serial *s, uint8_t c)
{
	if (s->mcr & UART_MCR_LOOP)
		vmm_serial_push(s, c);
	else if (s->out)
		s->out(s->opaque, &c, 1);
	s->tx_bytes++;
	s->thre_pending = true; /* we "send" instantly: the holding register is empty again */
}

static void vmm_serial_write_reg(struct vmm_serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_RX:
		if (dlab)
			s->dll = v;
		else
			vmm_serial_tx(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
		} else {
			if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
				s->thre_pending = true;
			s->ier = v & 0x0f;
		}
		break;
	case UART_IIR:
		s->fcr = v & 0xc9;
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break;
	}
}

static void vmm_serial_read(void *dev, uint64_t off, uint8_t *data, unsigned len)
{
	struct vmm_serial *s = dev;
	pthread_mutex_lock(&s->lock);
	data[0] = vmm_serial_read_reg(s, (unsigned)off & 7);
	if (len > 1)
		memset(data + 1, 0, len - 1);
	vmm_serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void vmm_serial_write(void *dev, uint64_t off, const uint8_t *data, unsigned len)
{
	struct vmm_serial *s = dev;
	pthread_mutex_lock(&s->lock);
	vmm_serial_write_reg(s, (unsigned)off & 7, data[0]);
	vmm_serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t vmm_serial_input(struct vmm_serial *s, const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&s->lock);
	size_t i = 0;
	for (; i < n && s->rx_len < VMM_SERIAL_RX_MAX; i++)
		vmm_serial_push(s, buf[i]);
	vmm_serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return i;
}

size_t vmm_serial_room(struct vmm_serial *s)
{
	pthread_mutex_lock(&s->lock);
	size_t room = VMM_SERIAL_RX_MAX - s->rx_len;
	pthread_mutex_unlock(&s->lock);
	return room;
}

const struct vmm_dev_ops vmm_serial_ops = {
	.name = "serial8250",
	.read = vmm_serial_read,
	.write = vmm_serial_write,
};
