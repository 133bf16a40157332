/* serial.h - the 8250/16550A UART at COM1: the guest's console. */
#ifndef VD_VMM_SERIAL_H
#define VD_VMM_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

#define VMM_SERIAL_PORT 0x3f8
#define VMM_SERIAL_IRQ 4
#define VMM_SERIAL_RX_MAX 256

struct vmm_serial {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* a "transmitter empty" interrupt waits to be read from IIR */
	bool irq_level;
	uint8_t rx[VMM_SERIAL_RX_MAX];
	unsigned rx_head, rx_len;
	/* Where output goes and how the IRQ line is driven; swapped for fakes in tests. */
	void (*out)(void *opaque, const uint8_t *buf, size_t n);
	void (*irq)(void *opaque, int level);
	void *opaque;
	uint64_t tx_bytes;
};

extern const struct vmm_dev_ops vmm_serial_ops;
void vmm_serial_init(struct vmm_serial *s, void (*out)(void *, const uint8_t *, size_t),
		     void (*irq)(void *, int), void *opaque);
/* Queue input bytes for the guest; returns how many fitted. */
size_t vmm_serial_input(struct vmm_serial *s, const uint8_t *buf, size_t n);
/* Room left in the receive buffer. */
size_t vmm_serial_room(struct vmm_serial *s);

#endif
