/* i8042.h - the PS/2 controller: keyboard probe, Ctrl-Alt-Del injection and CPU reset. */
#ifndef VD_VMM_I8042_H
#define VD_VMM_I8042_H

#include <pthread.h>

#include "vmm/vmm.h"

#define VMM_I8042_QUEUE 32

struct vmm_i8042 {
	pthread_mutex_t lock;
	uint8_t cmdbyte;   /* controller configuration byte */
	uint8_t pending;   /* controller command waiting for its data byte, 0 = none */
	uint8_t kbd_pending; /* keyboard command waiting for its data byte */
	uint8_t q[VMM_I8042_QUEUE];
	bool q_aux[VMM_I8042_QUEUE];
	unsigned q_head, q_len;
	bool irq1, irq12;
	void (*irq)(void *opaque, unsigned line, int level);
	void (*reset)(void *opaque);
	void *opaque;
};

extern const struct vmm_dev_ops vmm_i8042_ops;
void vmm_i8042_init(struct vmm_i8042 *k, void (*irq)(void *, unsigned, int), void (*reset)(void *),
		    void *opaque);
/* Press and release Ctrl-Alt-Del on the keyboard. */
void vmm_i8042_ctrl_alt_del(struct vmm_i8042 *k);

#endif
