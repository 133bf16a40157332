/* vm.c - assembling the machine: KVM, RAM, legacy devices, virtio devices, console, boot. */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/boot.h"
#include "vmm/def.h"
#include "vmm/i8042.h"
#include "vmm/serial.h"
#include "vmm/virtio.h"

#define VMM_SLEEP_PORT 0x3c0
#define VMM_LOG_QUIET_NS (250 * 1000000ull) /* an unfinished line (a prompt) is logged after */
#define VMM_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1 pci=off nomodeset i8042.noaux"

/* What every Linux panic prints first, whatever the loglevel (KERN_EMERG). */
static const char vmm_panic_marker[] = "Kernel panic - not syncing";

/* Keep the panic line: the marker, then what follows it up to the end of the line. */
static void vmm_vm_panic_keep(struct vmm *vm, uint8_t c)
{
	if (c == '\r' || c == '\n') {
		vm->panic_match = 0; /* the line is complete */
		return;
	}
	if (vm->panic_len + 1 < sizeof(vm->panic_line) && c >= 0x20 && c < 0x7f)
		vm->panic_line[vm->panic_len++] = (char)c;
}

/* Watch the guest's console for a kernel panic. A guest program could print the same words,
 * but it can only mislabel why its own VM stopped; the Debian kernel's pvpanic driver is a
 * module no minimal initramfs loads, while this line comes from every kernel. */
static void vmm_vm_panic_scan(struct vmm *vm, const uint8_t *buf, size_t n)
{
	size_t m = sizeof(vmm_panic_marker) - 1;
	for (size_t i = 0; i < n; i++) {
		if (vm->panic_match == m) {
			vmm_vm_panic_keep(vm, buf[i]);
			continue;
		}
		if (buf[i] != (uint8_t)vmm_panic_marker[vm->panic_match])
			vm->panic_match = buf[i] == (uint8_t)vmm_panic_marker[0] ? 1 : 0;
		else if (++vm->panic_match == m) {
			memcpy(vm->panic_line, vmm_panic_marker, m + 1);
			vm->panic_len = m;
			__atomic_store_n(&vm->panic_seen, true, __ATOMIC_RELEASE);
		}
	}
	vm->panic_line[vm->panic_len] = '\0';
}

void vmm_vm_console_out(void *opaque, const uint8_t *buf, size_t n)
{
	struct vmm *vm = opaque;
	vmm_vm_panic_scan(vm, buf, n);
	if (!vm->first_byte_seen) {
		vm->first_byte_seen = true;
		vm->first_byte_ns = vd_now_mono_ns();
	}
	/* A console nobody reads must not stall the guest: drop on a full pty. */
	if (vm->pty_master >= 0 && write(vm->pty_master, buf, n) < 0 && errno != EAGAIN)
		vd_debug("VM %s: pty write: %s", vm->name, strerror(errno));
	vd_rotlog_write(&vm->console_log, buf, n);
	pthread_mutex_lock(&vm->guest_log_lock);
	vd_guestlog_write(&vm->guest_log, buf, n);
	pthread_mutex_unlock(&vm->guest_log_lock);
	if (vm->console_stdout && write(STDOUT_FILENO, buf, n) < 0)
		vm->console_stdout = false;
}

void vmm_vm_log_open(struct vmm *vm, const char *name, uint64_t max)
{
	struct vd_error *e = NULL;
	_cleanup_free_ char *path = NULL;
	pthread_mutex_init(&vm->guest_log_lock, NULL);
	vm->guest_log.log.fd = -1;
	if (vd_guestlog_path("vmm", name, true, &path, &e) == 0)
		vd_guestlog_open(&vm->guest_log, path, max, &e);
	if (e)
		vd_warn("VM %s: its console output is not kept: %s", name, e->msg);
	vd_error_free(e);
}

void vmm_vm_log_quiet(struct vmm *vm)
{
	pthread_mutex_lock(&vm->guest_log_lock);
	uint64_t since = vd_now_real_ns() - vm->guest_log.line_ns;
	if (vm->guest_log.len && since >= VMM_LOG_QUIET_NS)
		vd_guestlog_flush(&vm->guest_log);
	pthread_mutex_unlock(&vm->guest_log_lock);
}

void vmm_vm_log_close(struct vmm *vm)
{
	pthread_mutex_lock(&vm->guest_log_lock);
	vd_guestlog_close(&vm->guest_log);
	pthread_mutex_unlock(&vm->guest_log_lock);
}

static void vmm_vm_serial_irq(void *opaque, int level)
{
	vmm_kvm_irq_line(opaque, VMM_SERIAL_IRQ, level);
}

static void vmm_vm_i8042_irq(void *opaque, unsigned line, int level)
{
	vmm_kvm_irq_line(opaque, line, level);
}

static void vmm_vm_reset(void *opaque)
{
	vmm_request_exit_why(opaque, VMM_EXIT_RESET, "i8042 reset line");
}

/* ACPI sleep control register of the hardware-reduced FADT: SLP_EN with S5 is poweroff. */
static void vmm_vm_sleep_write(void *dev, uint64_t off, const uint8_t *data, unsigned len)
{
	if (off == 0 && (data[0] & 0x20) && ((data[0] >> 2) & 7) == 5)
		vmm_request_exit_why(dev, VMM_EXIT_POWEROFF, "ACPI poweroff (S5)");
}

static void vmm_vm_sleep_read(void *dev, uint64_t off, uint8_t *data, unsigned len)
{
	memset(data, 0, len);
}

static const struct vmm_dev_ops vmm_vm_sleep_ops = {
	.name = "acpi-sleep", .read = vmm_vm_sleep_read, .write = vmm_vm_sleep_write,
};

static int vmm_vm_pty(struct vmm *vm, struct vd_error **err)
{
	vm->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (vm->pty_master < 0 || grantpt(vm->pty_master) < 0 || unlockpt(vm->pty_master) < 0 ||
	    ptsname_r(vm->pty_master, vm->pty_path, sizeof(vm->pty_path)) != 0)
		return vd_error_errno(err, errno, "creating the console pty of VM %s", vm->name);
	/* Holding the slave open keeps the master writable while no console is attached. */
	vm->pty_slave = open(vm->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (vm->pty_slave < 0)
		return vd_error_errno(err, errno, "open %s", vm->pty_path);
	struct termios t;
	if (tcgetattr(vm->pty_slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(vm->pty_slave, TCSANOW, &t);
	}
	return 0;
}

static int vmm_vm_legacy(struct vmm *vm, struct vd_error **err)
{
	vm->serial = vd_xcalloc(1, sizeof(*vm->serial));
	vm->i8042 = vd_xcalloc(1, sizeof(*vm->i8042));
	vmm_serial_init(vm->serial, vmm_vm_console_out, vmm_vm_serial_irq, vm);
	vmm_i8042_init(vm->i8042, vmm_vm_i8042_irq, vmm_vm_reset, vm);
	if (vmm_bus_add(&vm->pio, VMM_SERIAL_PORT, 8, &vmm_serial_ops, vm->serial) < 0 ||
	    vmm_bus_add(&vm->pio, 0x60, 5, &vmm_i8042_ops, vm->i8042) < 0 ||
	    vmm_bus_add(&vm->pio, VMM_SLEEP_PORT, 2, &vmm_vm_sleep_ops, vm) < 0)
		return vd_error_set(err, EEXIST, "legacy device ports overlap");
	return 0;
}

static char *vmm_vm_cmdline(const struct vmm_def *def)
{
	return vd_xasprintf("%s%s%s", VMM_DEFAULT_CMDLINE, def->cmdline ? " " : "",
			    def->cmdline ? def->cmdline : "");
}

static int vmm_vm_machine(struct vmm *vm, const struct vmm_def *def, struct vd_error **err)
{
	int r = vmm_kvm_open(vm, err);
	if (r == 0)
		r = vmm_kvm_create_vm(vm, err);
	if (r == 0)
		r = vmm_mem_alloc(&vm->mem, def->mem_bytes, err);
	if (r == 0 && def->ksm)
		vmm_mem_merge(&vm->mem);
	if (r == 0)
		r = vmm_mem_register(vm, err);
	if (r == 0)
		r = vmm_vm_legacy(vm, err);
	if (r == 0)
		r = vmm_virtio_setup_all(vm, def, err);
	return r;
}

int vmm_vm_setup(struct vmm *vm, const struct vmm_def *def, struct vd_error **err)
{
	vd_strlcpy(vm->name, def->name, sizeof(vm->name));
	vm->nvcpus = def->vcpus;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return vd_error_errno(err, errno, "eventfd");
	int r = vmm_vm_pty(vm, err);
	if (r == 0)
		r = vmm_vm_machine(vm, def, err);
	if (r == 0)
		r = vmm_vcpu_create_all(vm, err);
	_cleanup_free_ char *cmdline = vmm_vm_cmdline(def);
	struct vmm_boot_layout lay;
	if (r == 0)
		r = vmm_boot_load(vm, def->kernel, def->initrd, cmdline, &lay, err);
	if (r == 0)
		r = vmm_vcpu_boot(vm, lay.pvh, lay.entry, err);
	return r;
}

void vmm_vm_teardown(struct vmm *vm)
{
	vmm_virtio_teardown_all(vm);
	vmm_mem_free(&vm->mem);
}

int vmm_vm_console_input(struct vmm *vm, int fd)
{
	uint8_t buf[VMM_SERIAL_RX_MAX];
	size_t room = vmm_serial_room(vm->serial);
	if (room == 0)
		return 0;
	ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0)
		vmm_serial_input(vm->serial, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	return 0;
}

bool vmm_vm_console_full(struct vmm *vm)
{
	return vmm_serial_room(vm->serial) == 0;
}

const char *vmm_vm_state_name(const struct vmm *vm)
{
	switch (vm->state) {
	case VMM_RUNNING:
		return "running";
	case VMM_PAUSED:
		return "paused";
	default:
		return "stopped";
	}
}

const char *vmm_vm_exit_name(enum vmm_exit_reason r)
{
	static const char *const names[] = { "none",    "reset",    "poweroff",    "killed",
					     "crashed", "panicked", "triple-fault" };
	return r < VD_ARRAY_SIZE(names) ? names[r] : "unknown";
}
