/* vmm.h - virtdeck-vmm's shared types: the VM, guest memory, the device buses and vCPUs. */
#ifndef VD_VMM_VMM_H
#define VD_VMM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/guestlog.h"
#include "common/rate.h"
#include "common/rotlog.h"

#define VMM_MIB (1024ull * 1024)
#define VMM_GIB (1024ull * VMM_MIB)
#define VMM_MAX_VCPUS 64
#define VMM_MAX_DEVS 32

/* Guest-physical layout (see boot.c for the low-memory map). */
#define VMM_LOWMEM_MAX (3 * VMM_GIB)   /* RAM below the 32-bit MMIO hole */
#define VMM_HIGHMEM_BASE (4 * VMM_GIB) /* RAM above it */
#define VMM_VIRTIO_BASE 0xd0000000ull  /* virtio-mmio windows, one per 4 KiB */
#define VMM_VIRTIO_SIZE 0x1000ull
#define VMM_VIRTIO_GSI 16              /* first GSI of virtio devices (IOAPIC pins 16..23) */

/* One contiguous stretch of guest RAM. */
struct vmm_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

/* Guest RAM: one anonymous mapping split into a low and a high region around the hole. */
struct vmm_mem {
	uint8_t *base;
	uint64_t size;
	unsigned nregions;
	struct vmm_mem_region regions[2];
};

/* A device on the port-IO or MMIO bus; offsets are relative to the device's base. */
struct vmm_dev_ops {
	const char *name;
	void (*read)(void *dev, uint64_t off, uint8_t *data, unsigned len);
	void (*write)(void *dev, uint64_t off, const uint8_t *data, unsigned len);
};

struct vmm_bus_entry {
	uint64_t base, len;
	const struct vmm_dev_ops *ops;
	void *dev;
};

struct vmm_bus {
	unsigned n;
	struct vmm_bus_entry e[VMM_MAX_DEVS];
};

struct vmm;

struct vmm_vcpu {
	struct vmm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits;
};

enum vmm_run_state { VMM_RUNNING, VMM_PAUSED, VMM_STOPPED };

/* Why the VM stopped, as reported on the control socket and in the exit status. */
enum vmm_exit_reason { VMM_EXIT_NONE, VMM_EXIT_RESET, VMM_EXIT_POWEROFF, VMM_EXIT_KILLED,
		       VMM_EXIT_CRASH, VMM_EXIT_PANIC, VMM_EXIT_TRIPLE_FAULT };

struct vmm_serial;
struct vmm_i8042;
struct vmm_virtio_mmio;

struct vmm {
	char name[64];
	int kvm_fd, vm_fd;
	int run_size;
	struct vmm_mem mem;
	unsigned nvcpus;
	struct vmm_vcpu vcpus[VMM_MAX_VCPUS];
	struct vmm_bus pio, mmio;
	struct vmm_serial *serial;
	struct vmm_i8042 *i8042;
	unsigned ndevs;
	struct vmm_virtio_mmio *virtio[8];
	struct vmm_virtio_mmio *balloon; /* also in virtio[]; the control socket's balloon */
	struct vmm_virtio_mmio *net;     /* also in virtio[]; its receive path runs in the main loop */

	/* Pause/stop handshake between the main thread and vCPU threads. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req, stop_req;
	unsigned parked;
	enum vmm_run_state state;
	enum vmm_exit_reason exit_reason;
	char exit_detail[160]; /* what ended it, in words: "i8042 reset", the panic line */
	bool shutdown_asked;   /* a client asked for a shutdown */
	/* The guest kernel's panic line seen on the serial console: a reset, poweroff or triple
	 * fault after it is the panic's doing (panic=-1 reboots at once). */
	bool panic_seen;
	unsigned panic_match; /* bytes of the panic marker matched so far */
	size_t panic_len;     /* bytes of the panic line kept in panic_line */
	char panic_line[128];
	int event_fd; /* eventfd: a vCPU asks the main loop to stop the VM */
	uint64_t start_ns;
	struct vd_rate_ring cpu_ring; /* vCPU time readings a second apart, for one-shot rates */

	/* The serial console: a pty (master here, slave handed to console clients), a log file,
	 * and optionally this process's stdout. */
	int pty_master, pty_slave;
	char pty_path[64];
	struct vd_rotlog console_log; /* NAME.console and NAME.console.1, bounded */
	/* The same output with a time per line, kept in the data dir for `virtdeck logs`; the
	 * lock because vCPU threads write it and the main loop flushes a quiet unfinished line. */
	struct vd_guestlog guest_log;
	pthread_mutex_t guest_log_lock;
	bool console_stdout;
	bool first_byte_seen;
	uint64_t first_byte_ns;
	uint64_t shutdown_deadline_ns;
	uint64_t setup_ns, setup_cpu_ns;
		/* wall and CPU time from process start to the vCPUs running */ /* graceful shutdown
										   asked: force it
										   at this time */
};

/* ctl.c: one control request from a connected client (vm is the struct vmm); replies to c. */
struct json_object;
struct vd_ctlsrv_client;
void vmm_ctl_handle(void *vm, struct vd_ctlsrv_client *c, struct json_object *req);
/* Client side of "console": connect to sock and receive the pty fd. */
int vmm_ctl_console_fd(const char *sock, int *fd, struct vd_error **err);

struct vmm_def;
/* vm.c: build the whole machine from a definition; extra_cmdline may be NULL. */
int vmm_vm_setup(struct vmm *vm, const struct vmm_def *def, struct vd_error **err);
void vmm_vm_teardown(struct vmm *vm);
/* The UART's output: the pty (dropped when full), the console log, stdout if asked. */
void vmm_vm_console_out(void *vm, const uint8_t *buf, size_t n);
/* Console input from the pty or stdin into the UART; -1 at end of input. */
int vmm_vm_console_input(struct vmm *vm, int fd);
/* The guest has not drained the UART: stop reading input until it does. */
/* The guest's output log: open (a failure costs the log, not the VM), flush an unfinished line
 * once the guest has been quiet a while, close. */
void vmm_vm_log_open(struct vmm *vm, const char *name, uint64_t max);
void vmm_vm_log_quiet(struct vmm *vm);
void vmm_vm_log_close(struct vmm *vm);
bool vmm_vm_console_full(struct vmm *vm);
const char *vmm_vm_state_name(const struct vmm *vm);
const char *vmm_vm_exit_name(enum vmm_exit_reason r);

/* kvm.c */
int vmm_kvm_open(struct vmm *vm, struct vd_error **err);
int vmm_kvm_create_vm(struct vmm *vm, struct vd_error **err);
int vmm_kvm_irq_line(struct vmm *vm, unsigned gsi, int level);
/* One line describing this host's KVM: hardware, nested, PVM or missing. */
char *vmm_kvm_describe_host(void);

/* mem.c */
int vmm_mem_alloc(struct vmm_mem *mem, uint64_t size, struct vd_error **err);
void vmm_mem_free(struct vmm_mem *mem);
/* Let KSM merge identical guest pages (where the host runs ksmd). */
void vmm_mem_merge(const struct vmm_mem *mem);
int vmm_mem_register(struct vmm *vm, struct vd_error **err);
/* Host pointer for [gpa, gpa+len) when the whole range is guest RAM, else NULL. */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);
/* Bytes of guest RAM the host has actually backed (mincore). */
uint64_t vmm_mem_touched(const struct vmm_mem *mem);
/* Give pages back to the host (balloon inflate). */
void vmm_mem_discard(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* bus.c */
int vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len, const struct vmm_dev_ops *ops,
		void *dev);
/* Dispatch an access; false when nothing is mapped there. */
bool vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool write);

/* vcpu.c */
int vmm_vcpu_create_all(struct vmm *vm, struct vd_error **err);
int vmm_vcpu_start_all(struct vmm *vm, struct vd_error **err);
void vmm_vcpu_pause_all(struct vmm *vm);
void vmm_vcpu_resume_all(struct vmm *vm);
void vmm_vcpu_stop_all(struct vmm *vm);
uint64_t vmm_vcpu_cpu_ns(const struct vmm_vcpu *vcpu);
/* All vCPUs' CPU time, stamped when it was read. */
struct vd_rate_reading vmm_vcpu_cpu_reading(struct vmm *vm);
/* Registers of the boot vCPU: long mode for a bzImage, 32-bit protected mode for PVH. */
int vmm_vcpu_boot(struct vmm *vm, bool pvh, uint64_t entry, struct vd_error **err);
/* Ask the main loop to end the VM (from any thread). */
void vmm_request_exit(struct vmm *vm, enum vmm_exit_reason why);
/* The same with the words that go with it into NAME.exit (the first request wins). */
void vmm_request_exit_why(struct vmm *vm, enum vmm_exit_reason why, const char *detail);

/* cpuid.c */
int vmm_cpuid_setup(struct vmm *vm, struct vmm_vcpu *vcpu, struct vd_error **err);

#endif
