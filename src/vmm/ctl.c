/* ctl.c - virtdeck-vmm's control socket requests: status, pause, resume, shutdown, kill, stats,
 * balloon and console (the pty handed over with SCM_RIGHTS). */
#include <errno.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/ctlsrv.h"
#include "common/log.h"
#include "vmm/i8042.h"
#include "vmm/virtio.h"
#include "vmm/vmm.h"

#define VMM_CTL_PAGE 4096ull

static uint64_t vmm_ctl_rss(void)
{
	_cleanup_free_ char *buf = NULL;
	unsigned long long size = 0, rss = 0;
	if (vd_read_file("/proc/self/statm", &buf, NULL) < 0 || sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static struct json_object *vmm_ctl_status(struct vmm *vm)
{
	struct json_object *o = vd_ctl_reply_ok();
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "state", json_object_new_string(vmm_vm_state_name(vm)));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "vcpus", json_object_new_int((int)vm->nvcpus));
	vd_json_put_u64(o, "mem_bytes", vm->mem.size);
	json_object_object_add(o, "pty", json_object_new_string(vm->pty_path));
	vd_json_put_u64(o, "uptime_ns", vd_now_mono_ns() - vm->start_ns);
	if (vm->first_byte_seen)
		vd_json_put_u64(o, "first_byte_ns", vm->first_byte_ns - vm->start_ns);
	vd_json_put_u64(o, "setup_ns", vm->setup_ns);
	vd_json_put_u64(o, "setup_cpu_ns", vm->setup_cpu_ns);
	return o;
}

static struct json_object *vmm_ctl_balloon_json(struct vmm *vm)
{
	struct vmm_balloon_stats s;
	vmm_balloon_get(vm->balloon, &s);
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "valid", json_object_new_boolean(s.valid));
	vd_json_put_u64(b, "total", s.total);
	vd_json_put_u64(b, "free", s.free);
	vd_json_put_u64(b, "available", s.available);
	vd_json_put_u64(b, "caches", s.caches);
	vd_json_put_u64(b, "major_faults", s.major_faults);
	vd_json_put_u64(b, "target_bytes", vm->mem.size - s.target_pages * VMM_CTL_PAGE);
	vd_json_put_u64(b, "actual_bytes", vm->mem.size - s.actual_pages * VMM_CTL_PAGE);
	if (s.valid)
		vd_json_put_u64(b, "age_ns", vd_now_mono_ns() - s.updated_ns);
	return b;
}

/* vCPU time stamped when read, and the reading kept a second or more before: a client gets a
 * rate from one reply, timed by the instants the counters were read, not by its own clock. */
static void vmm_ctl_add_cpu(struct vmm *vm, struct json_object *o)
{
	struct vd_rate_reading cur = vmm_vcpu_cpu_reading(vm);
	vd_rate_json_put(o, cur, &vm->cpu_ring);
	vd_rate_ring_note(&vm->cpu_ring, cur);
}

static struct json_object *vmm_ctl_stats(struct vmm *vm)
{
	struct json_object *o = vmm_ctl_status(vm);
	struct json_object *per = json_object_new_array();
	uint64_t exits = 0;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		uint64_t ns = vmm_vcpu_cpu_ns(&vm->vcpus[i]);
		exits += vm->vcpus[i].exits;
		json_object_array_add(per, json_object_new_int64((int64_t)ns));
	}
	json_object_object_add(o, "vcpu_ns", per);
	vmm_ctl_add_cpu(vm, o);
	vd_json_put_u64(o, "exits", exits);
	uint64_t rss = vmm_ctl_rss(), touched = vmm_mem_touched(&vm->mem);
	vd_json_put_u64(o, "rss", rss);
	vd_json_put_u64(o, "mem_touched", touched);
	vd_json_put_u64(o, "vmm_overhead", rss > touched ? rss - touched : 0);
	struct vmm_virtio_counters io;
	vmm_virtio_counters(vm, &io);
	vd_json_put_u64(o, "io_read", io.read_bytes);
	vd_json_put_u64(o, "io_write", io.write_bytes);
	vd_json_put_u64(o, "net_rx", io.net_rx);
	vd_json_put_u64(o, "net_tx", io.net_tx);
	if (vm->balloon)
		json_object_object_add(o, "balloon", vmm_ctl_balloon_json(vm));
	return o;
}

/* A whole number from the request, def when absent; -EINVAL for anything else (a string, 1e308,
 * NaN), which json-c would turn into a clamped, truncated or undefined integer. */
static int vmm_ctl_int(struct json_object *req, const char *key, int64_t def, int64_t *out)
{
	struct json_object *v = NULL;
	*out = def;
	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

static struct json_object *vmm_ctl_balloon(struct vmm *vm, struct json_object *req)
{
	int64_t bytes;
	int r = vmm_ctl_int(req, "bytes", -1, &bytes);
	if (!vm->balloon)
		return vd_ctl_reply_error(ENOTSUP, "this VM has no balloon device: set balloon=yes");
	if (r < 0 || bytes < (int64_t)(64ull << 20) || (uint64_t)bytes > vm->mem.size)
		return vd_ctl_reply_error(EINVAL, "balloon target must be a whole number of bytes "
					  "between 64M and the VM's memory");
	vmm_balloon_set_target(vm->balloon, (uint32_t)((vm->mem.size - (uint64_t)bytes) / VMM_CTL_PAGE));
	vd_info("VM %s: balloon target %lld bytes", vm->name, (long long)bytes);
	return vd_ctl_reply_ok();
}

static struct json_object *vmm_ctl_shutdown(struct vmm *vm, struct json_object *req)
{
	int64_t timeout;
	int r = vmm_ctl_int(req, "timeout", 30, &timeout);
	/* An hour is plenty; a huge timeout would wrap the deadline. */
	if (r < 0 || timeout < 1 || timeout > 3600)
		return vd_ctl_reply_error(EINVAL, "shutdown timeout must be 1 to 3600 seconds");
	if (vm->state == VMM_PAUSED)
		vmm_vcpu_resume_all(vm);
	vmm_i8042_ctrl_alt_del(vm->i8042);
	vm->shutdown_deadline_ns = vd_now_mono_ns() + (uint64_t)timeout * 1000000000ull;
	vm->shutdown_asked = true; /* the guest's reset or poweroff that follows is the user's stop */
	vd_info("VM %s: Ctrl-Alt-Del sent, forcing off in %llds", vm->name, (long long)timeout);
	return vd_ctl_reply_ok();
}

/* Replay the end of the console log into the pty, so an attaching user sees the recent screen. */
static void vmm_ctl_console_history(struct vmm *vm)
{
	char buf[2048];
	const char *log = vm->console_log.path;
	size_t n = log ? vd_rotlog_tail(log, buf, sizeof(buf)) : 0;
	if (n > 0 && write(vm->pty_master, buf, n) < 0)
		vd_debug("VM %s: console history: %s", vm->name, strerror(errno));
}

/* The reply line and the pty slave travel in one message, so the fd cannot be missed. */
static void vmm_ctl_console(struct vmm *vm, struct vd_ctlsrv_client *c)
{
	tcflush(vm->pty_slave, TCIFLUSH); /* drop output nobody read while no console was attached */
	vmm_ctl_console_history(vm);
	_cleanup_json_ struct json_object *o = vmm_ctl_status(vm);
	_cleanup_error_ struct vd_error *err = NULL;
	if (vd_ctlsrv_reply_fd(c, o, vm->pty_slave, &err) < 0)
		vd_warn("VM %s: %s", vm->name, err->msg);
}

static struct json_object *vmm_ctl_dispatch(struct vmm *vm, const char *cmd,
					    struct json_object *req)
{
	if (vd_streq(cmd, "status"))
		return vmm_ctl_status(vm);
	if (vd_streq(cmd, "stats"))
		return vmm_ctl_stats(vm);
	if (vd_streq(cmd, "pause")) {
		if (vm->state == VMM_RUNNING)
			vmm_vcpu_pause_all(vm);
		return vmm_ctl_status(vm);
	}
	if (vd_streq(cmd, "resume")) {
		if (vm->state == VMM_PAUSED)
			vmm_vcpu_resume_all(vm);
		return vmm_ctl_status(vm);
	}
	if (vd_streq(cmd, "shutdown"))
		return vmm_ctl_shutdown(vm, req);
	if (vd_streq(cmd, "kill")) {
		vmm_request_exit(vm, VMM_EXIT_KILLED);
		return vd_ctl_reply_ok();
	}
	if (vd_streq(cmd, "balloon"))
		return vmm_ctl_balloon(vm, req);
	_cleanup_free_ char *msg = vd_xasprintf("unknown command \"%s\" (status, stats, pause, resume, "
						"shutdown, kill, balloon, console)", cmd);
	return vd_ctl_reply_error(EINVAL, msg);
}

void vmm_ctl_handle(void *opaque, struct vd_ctlsrv_client *c, struct json_object *req)
{
	struct vmm *vm = opaque;
	const char *cmd = vd_json_str(req, "cmd", "");
	if (vd_streq(cmd, "console")) {
		vmm_ctl_console(vm, c);
		return;
	}
	_cleanup_json_ struct json_object *reply = vmm_ctl_dispatch(vm, cmd, req);
	vd_ctlsrv_reply(c, reply);
}

int vmm_ctl_console_fd(const char *sock, int *fd, struct vd_error **err)
{
	_cleanup_close_ int s = vd_ctl_connect(sock, err);
	if (s < 0)
		return s;
	_cleanup_json_ struct json_object *req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("console"));
	int r = vd_ctl_send(s, req, err);
	if (r < 0)
		return r;
	return vd_ctl_recv_with_fd(s, NULL, fd, err);
}
