/* fuzz-vmm-ctl.c - libFuzzer target: virtdeck-vmm's control requests. */
/* Framed as on the socket, against a VM with no vCPUs and no KVM behind it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "common/ctl.h"
#include "fuzz.h"
#include "vmm/i8042.h"
#include "vmm/virtio.h"
#include "vmm/vmm.h"

/* The VMM's control loop may be the non-blocking control server (src/common/ctlsrv.c), whose
 * handler replies through a client slot, or the older one that replies on a descriptor. */
#if __has_include("common/ctlsrv.h")
#include "common/ctlsrv.h"

struct fuzz_conn {
	struct vd_ctlsrv_client c;
};

static void fuzz_conn_open(struct fuzz_conn *k, int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	k->c = (struct vd_ctlsrv_client){ .fd = fd };
}

static bool fuzz_conn_alive(const struct fuzz_conn *k)
{
	return k->c.fd >= 0; /* the server drops a client that does not take its replies */
}

static void fuzz_conn_handle(struct vmm *vm, struct fuzz_conn *k, struct json_object *req)
{
	vmm_ctl_handle(vm, &k->c, req);
}

static void fuzz_conn_close(struct fuzz_conn *k)
{
	if (k->c.fd >= 0)
		close(k->c.fd);
	free(k->c.out);
	free(k->c.rd);
}
#else
struct fuzz_conn {
	int fd;
};

static void fuzz_conn_open(struct fuzz_conn *k, int fd)
{
	k->fd = fd;
}

static bool fuzz_conn_alive(const struct fuzz_conn *k)
{
	return true;
}

static void fuzz_conn_handle(struct vmm *vm, struct fuzz_conn *k, struct json_object *req)
{
	vmm_ctl_handle(vm, k->fd, req);
}

static void fuzz_conn_close(struct fuzz_conn *k)
{
	close(k->fd);
}
#endif

#define FUZZ_VM_MEM (64ull << 20) /* the smallest VM: the stats request walks it */

static struct vmm fuzz_vm;
static struct vmm_i8042 fuzz_kbd;

static void fuzz_kbd_irq(void *opaque, unsigned line, int level)
{
}

static void fuzz_kbd_reset(void *opaque)
{
}

/* The parts of a VM the handler reads: RAM (never touched: no access), a pty, an eventfd. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	struct vmm *vm = &fuzz_vm;
	vd_strlcpy(vm->name, "fuzz", sizeof(vm->name));
	vm->mem.base = mmap(NULL, FUZZ_VM_MEM, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem.base == MAP_FAILED)
		fuzz_fail("mmap: %s", strerror(errno));
	vm->mem.size = FUZZ_VM_MEM;
	vm->mem.nregions = 1;
	vm->mem.regions[0] =
		(struct vmm_mem_region){ .gpa = 0, .size = FUZZ_VM_MEM, .hva = vm->mem.base };
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (vm->event_fd < 0 || vm->pty_master < 0 || grantpt(vm->pty_master) < 0 ||
	    unlockpt(vm->pty_master) < 0)
		fuzz_fail("eventfd/pty: %s", strerror(errno));
	vm->pty_slave = open(ptsname(vm->pty_master), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	vd_strlcpy(vm->pty_path, ptsname(vm->pty_master), sizeof(vm->pty_path));
	vm->i8042 = &fuzz_kbd;
	return 0;
}

/* Every run starts from a running VM, with or without a balloon. */
static void fuzz_vm_reset(struct vmm *vm, uint8_t flags)
{
	uint64_t drain;
	vm->state = flags & 2 ? VMM_PAUSED : VMM_RUNNING;
	vm->pause_req = vm->stop_req = false;
	vm->exit_reason = VMM_EXIT_NONE;
	vm->shutdown_deadline_ns = 0;
	vm->start_ns = vd_now_mono_ns();
	vm->balloon = flags & 1 ? vmm_balloon_create(&vm->mem) : NULL;
	vmm_i8042_init(vm->i8042, fuzz_kbd_irq, fuzz_kbd_reset, NULL);
	if (read(vm->event_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		fuzz_fail("eventfd: %s", strerror(errno));
	tcflush(vm->pty_slave, TCIOFLUSH);
}

/* A console reply carries the pty: close every descriptor a message brought. */
static void fuzz_vm_close_fds(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t n = c->cmsg_type == SCM_RIGHTS ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

/* Read the replies like a client. */
static void fuzz_vm_drain(int fd)
{
	char buf[8192];
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		if (recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		fuzz_vm_close_fds(&m);
	}
}

/* A shutdown request sets a deadline after the time it arrived (an older one may have
 * passed while later requests were served). */
static void fuzz_vm_check(const struct vmm *vm, uint64_t old_deadline, uint64_t before)
{
	uint64_t d = vm->shutdown_deadline_ns;
	if (d != old_deadline && d < before)
		fuzz_fail("shutdown deadline %llu is in the past (now %llu)", (unsigned long long)d,
			  (unsigned long long)before);
}

/* Input: a flags byte (balloon, paused), then the byte stream of one connection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vmm *vm = &fuzz_vm;
	int sp[2];
	fuzz_vm_reset(vm, fuzz_u8(&in));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		fuzz_fail("socketpair: %s", strerror(errno));
	struct fuzz_conn k;
	fuzz_conn_open(&k, sp[0]);
	static struct vd_ctl_reader rd;
	size_t n = in.n < VD_CTL_MAX_LINE ? in.n : VD_CTL_MAX_LINE;
	memcpy(rd.buf, in.p, n);
	rd.len = n;
	struct json_object *req = NULL;
	while (fuzz_conn_alive(&k) && vd_ctl_take_line(&rd, &req, NULL) > 0) {
		uint64_t now = vd_now_mono_ns(), deadline = vm->shutdown_deadline_ns;
		fuzz_conn_handle(vm, &k, req);
		json_object_put(req);
		fuzz_vm_drain(sp[1]);
		fuzz_vm_check(vm, deadline, now);
	}
	fuzz_conn_close(&k);
	close(sp[1]);
	if (vm->balloon)
		vmm_virtio_teardown_one(vm->balloon);
	vm->balloon = NULL;
	return 0;
}
