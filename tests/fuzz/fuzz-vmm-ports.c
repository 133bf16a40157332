/* fuzz-vmm-ports.c - libFuzzer target: port I/O to the UART and the PS/2 controller. */
/* Console input and Ctrl-Alt-Del come in between, in any order. */
#include "fuzz.h"
#include "vmm/i8042.h"
#include "vmm/serial.h"

static void fuzz_out(void *opaque, const uint8_t *buf, size_t n)
{
	*(uint64_t *)opaque += n;
}

static void fuzz_irq(void *opaque, int level)
{
}

static void fuzz_kbd_irq(void *opaque, unsigned line, int level)
{
	if (line != 1 && line != 12)
		fuzz_fail("i8042 raised IRQ %u", line);
}

static void fuzz_reset(void *opaque)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* Each access: kind (read/write/input, which device), port offset, a byte. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vmm_serial s;
	struct vmm_i8042 k;
	struct vmm_bus pio = { 0 };
	uint64_t out = 0;
	vmm_serial_init(&s, fuzz_out, fuzz_irq, &out);
	vmm_i8042_init(&k, fuzz_kbd_irq, fuzz_reset, NULL);
	vmm_bus_add(&pio, VMM_SERIAL_PORT, 8, &vmm_serial_ops, &s);
	vmm_bus_add(&pio, 0x60, 5, &vmm_i8042_ops, &k);
	while (in.n > 0) {
		uint8_t kind = fuzz_u8(&in), port = fuzz_u8(&in), v[4] = { fuzz_u8(&in) };
		uint64_t addr = kind & 2 ? VMM_SERIAL_PORT + port % 9 : 0x60 + port % 6;
		if ((kind & 0xc) == 0xc)
			vmm_serial_input(&s, v, 1 + kind % 3);
		else if ((kind & 0xc) == 0x8)
			vmm_i8042_ctrl_alt_del(&k);
		else
			vmm_bus_access(&pio, addr, v, 1 + (kind >> 4) % 4, kind & 1);
		if (s.rx_len > VMM_SERIAL_RX_MAX || k.q_len > VMM_I8042_QUEUE)
			fuzz_fail("queue overflow: uart %u, i8042 %u", s.rx_len, k.q_len);
	}
	pthread_mutex_destroy(&s.lock);
	pthread_mutex_destroy(&k.lock);
	return 0;
}
