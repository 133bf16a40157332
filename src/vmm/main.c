/* main.c - virtdeck-vmm: one detached process per VM; the main loop serves the control socket,
 * the console and the balloon while vCPU threads run the guest. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/ctlsrv.h"
#include "common/log.h"
#include "common/paths.h"
#include "vmm/def.h"
#include "vmm/virtio.h"
#include "vmm/vmm.h"

#define VMM_BALLOON_POLL_NS 1000000000ull

struct vmm_opts {
	const char *ctl_sock;   /* client mode: send one request */
	const char *attach_sock; /* client mode: relay the console */
	const char *config;
	const char *state_dir;
	bool daemon;
	bool console_stdout;
	bool probe;
};

struct vmm_loop {
	struct vmm *vm;
	int listen_fd;
	struct vd_ctlsrv ctl; /* control clients: none of them can block this loop */
	uint64_t next_balloon_ns;
	bool stdin_eof;
	bool done;
};

static int vmm_term_fd = -1; /* the VM's eventfd, for the SIGTERM handler */
static volatile sig_atomic_t vmm_term_req;

/* SIGTERM/SIGINT stop the VM like "kill" does, so the socket and pid file are cleaned up. The
 * flag covers a signal during start-up, before the eventfd exists; the eventfd wakes poll(). */
static void vmm_on_term(int sig)
{
	uint64_t one = 1;
	int saved = errno;
	(void)sig;
	vmm_term_req = 1;
	if (vmm_term_fd >= 0 && write(vmm_term_fd, &one, sizeof(one)) < 0)
		vmm_term_req = 1;
	errno = saved;
}

static void vmm_signals(void)
{
	struct sigaction sa = { .sa_handler = vmm_on_term }; /* no SA_RESTART: interrupt waits */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void vmm_usage(FILE *f)
{
	fputs("usage: virtdeck-vmm [--daemon] [--state-dir DIR] [--console-stdout] --config FILE.ini\n"
	      "                    [--name N --kernel K --initrd I --disk D --memory 512M --vcpus 2\n"
	      "                     --cmdline C --net BRIDGE --no-balloon --no-rng\n"
	      "                     --console-log-size 1M]\n"
	      "       virtdeck-vmm --probe     (say what this host's KVM is)\n"
	      "       virtdeck-vmm --ctl SOCK '{\"cmd\":\"status\"}'   (one control request)\n"
	      "       virtdeck-vmm --attach SOCK  (relay the serial console to stdio)\n", f);
}

static int vmm_parse_args(int argc, char **argv, struct vmm_opts *o, struct vmm_def *d,
			  struct vd_error **err)
{
	static const struct option longs[] = {
		{ "config", 1, 0, 'c' }, { "state-dir", 1, 0, 's' }, { "daemon", 0, 0, 'D' },
		{ "console-stdout", 0, 0, 'S' }, { "probe", 0, 0, 'P' }, { "name", 1, 0, 'n' },
		{ "kernel", 1, 0, 'k' }, { "initrd", 1, 0, 'i' }, { "disk", 1, 0, 'd' },
		{ "memory", 1, 0, 'm' }, { "vcpus", 1, 0, 'v' }, { "cmdline", 1, 0, 'a' },
		{ "ctl", 1, 0, 'C' }, { "attach", 1, 0, 'A' }, { "net", 1, 0, 'N' },
		{ "console-log-size", 1, 0, 'L' }, { "no-balloon", 0, 0, 'B' },
		{ "no-rng", 0, 0, 'R' }, { "help", 0, 0, 'h' }, { 0 } };
	static const struct { int opt; const char *key; } keys[] = {
		{ 'n', "name" }, { 'k', "kernel" }, { 'i', "initrd" }, { 'd', "disk" },
		{ 'm', "memory" }, { 'v', "vcpus" }, { 'a', "cmdline" }, { 'N', "net" },
		{ 'L', "console_log_size" } };
	int c;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'c': o->config = optarg; r = vmm_def_load(optarg, d, err); break;
		case 's': o->state_dir = optarg; break;
		case 'D': o->daemon = true; break;
		case 'S': o->console_stdout = true; break;
		case 'P': o->probe = true; break;
		case 'C': o->ctl_sock = optarg; break;
		case 'A': o->attach_sock = optarg; break;
		case 'B': d->balloon = false; break;
		case 'R': d->rng = false; break;
		case 'h': vmm_usage(stdout); exit(0);
		case '?': vmm_usage(stderr); return vd_error_set(err, EINVAL, "bad arguments");
		default:
			for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++)
				if (keys[i].opt == c)
					r = vmm_def_set(d, keys[i].key, optarg, err);
		}
		if (r < 0)
			return r;
	}
	if (o->probe || o->ctl_sock || o->attach_sock)
		return 0;
	return vmm_def_check(d, err);
}

static int vmm_state_paths(struct vmm_opts *o, const char *name, char **dir, struct vd_error **err)
{
	_cleanup_free_ char *base = NULL;
	int r = 0;
	if (o->state_dir)
		base = vd_xstrdup(o->state_dir);
	else
		r = vd_paths_state_dir(&base, err);
	if (r < 0)
		return r;
	*dir = vd_xasprintf("%s/vmm", base);
	(void)name;
	return vd_paths_ensure(*dir, err) < 0 ? vd_error_wrap(err, "state directory") : 0;
}

/* Fork twice so the VMM is no child of the console and has no controlling terminal. The first
 * parent waits on a pipe for "ok" or an error line from the grandchild. */
static int vmm_daemonize(int *notify_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		char buf[1024] = "";
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		waitpid(pid, NULL, 0);
		if (n >= 2 && !strncmp(buf, "ok", 2))
			_exit(0);
		fprintf(stderr, "virtdeck-vmm: %s\n", n > 0 ? buf : "the VMM died while starting");
		_exit(1);
	}
	close(p[0]);
	setsid();
	if (fork() != 0)
		_exit(0);
	*notify_fd = p[1];
	return 0;
}

static void vmm_detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void vmm_loop_timers(struct vmm_loop *l)
{
	uint64_t now = vd_now_mono_ns();
	struct vmm *vm = l->vm;
	vmm_vm_log_quiet(vm);
	if (vm->balloon && now >= l->next_balloon_ns && vm->state == VMM_RUNNING) {
		vmm_balloon_poll(vm->balloon);
		l->next_balloon_ns = now + VMM_BALLOON_POLL_NS;
	}
	/* A reading a second (to a poll timeout more) apart, so a stats reply carries a rate. */
	if (vd_rate_ring_due_ns(&vm->cpu_ring, now) == 0)
		vd_rate_ring_note(&vm->cpu_ring, vmm_vcpu_cpu_reading(vm));
	if (vm->shutdown_deadline_ns && now >= vm->shutdown_deadline_ns) {
		vd_warn("VM %s did not shut down in time: powering it off", vm->name);
		vmm_request_exit(vm, VMM_EXIT_KILLED);
		vm->shutdown_deadline_ns = 0;
	}
}

static unsigned vmm_loop_fds(struct vmm_loop *l, struct pollfd *p)
{
	unsigned n = 0;
	p[n++] = (struct pollfd){ .fd = l->vm->event_fd, .events = POLLIN };
	/* While the guest leaves the UART full, input waits in the pty instead of spinning poll(). */
	short in = vmm_vm_console_full(l->vm) ? 0 : POLLIN;
	p[n++] = (struct pollfd){ .fd = l->vm->pty_master, .events = in };
	p[n++] = (struct pollfd){ .fd = l->vm->console_stdout && !l->stdin_eof ? STDIN_FILENO : -1,
				  .events = in };
	int tap = -1, kick = -1;
	if (l->vm->net)
		vmm_net_pollfds(l->vm->net, &tap, &kick);
	p[n++] = (struct pollfd){ .fd = tap, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = kick, .events = POLLIN };
	return n + vd_ctlsrv_pollfds(&l->ctl, p + n);
}

static void vmm_loop_run(struct vmm_loop *l)
{
	struct pollfd p[5 + 1 + VD_CTLSRV_SLOTS];
	while (!l->done && !vmm_term_req) {
		unsigned n = vmm_loop_fds(l, p);
		int r = poll(p, n, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r < 0)
			continue; /* a signal: its flag is checked above */
		if (p[0].revents)
			l->done = true;
		if (p[1].revents & POLLIN)
			vmm_vm_console_input(l->vm, l->vm->pty_master);
		bool in_ready = p[2].revents & (POLLIN | POLLHUP);
		if (in_ready && vmm_vm_console_input(l->vm, STDIN_FILENO) < 0)
			l->stdin_eof = true; /* /dev/null or a closed pipe would otherwise spin */
		if (p[3].revents || p[4].revents)
			vmm_net_rx(l->vm->net);
		vd_ctlsrv_dispatch(&l->ctl, p + 5);
		vmm_loop_timers(l);
	}
}

static void vmm_notify(int *fd, const char *msg)
{
	if (*fd < 0)
		return;
	if (write(*fd, msg, strlen(msg)) < 0)
		vd_debug("start notification: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

struct vmm_files {
	char *dir, *sock, *pid, *log, *console_log, *exit;
	char *exit_data; /* <data>/vms/NAME.exit, NULL without a data dir */
};

static void vmm_files_init(struct vmm_files *f, const char *dir, const char *name)
{
	f->dir = vd_xstrdup(dir);
	f->sock = vd_xasprintf("%s/%s.sock", dir, name);
	f->pid = vd_xasprintf("%s/%s.pid", dir, name);
	f->log = vd_xasprintf("%s/%s.log", dir, name);
	f->console_log = vd_xasprintf("%s/%s.console", dir, name);
	f->exit = vd_xasprintf("%s/%s.exit", dir, name);
	f->exit_data = NULL;
	_cleanup_free_ char *data = NULL;
	if (vd_paths_data_dir(&data, NULL) == 0) {
		_cleanup_free_ char *vms = vd_xasprintf("%s/vms", data);
		if (vd_mkdir_p(vms, 0700) == 0)
			f->exit_data = vd_xasprintf("%s/%s.exit", vms, name);
	}
}

static void vmm_write_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		vd_warn("writing %s: %s", path, strerror(errno));
	close(fd);
}

/* The exit record goes to the state dir and, so that it outlives a reboot (/run is a tmpfs),
 * to <data>/vms/NAME.exit as well. */
static void vmm_write_exit_line(const struct vmm_files *f, const char *line)
{
	vmm_write_line(f->exit, line);
	if (f->exit_data)
		vmm_write_line(f->exit_data, line);
}

/* How the last run ended ("poweroff", "reset", "killed", "crashed", "panicked",
 * "triple-fault"), then ": " and the words that go with it, for the engine to show. */
static void vmm_write_exit(const struct vmm_files *f, const struct vmm *vm)
{
	const char *name = vmm_vm_exit_name(vm->exit_reason);
	bool graceful = vm->exit_reason == VMM_EXIT_RESET || vm->exit_reason == VMM_EXIT_POWEROFF ||
			vm->exit_reason == VMM_EXIT_KILLED;
	if (vm->shutdown_asked && graceful) { /* "stopped" is the user's doing: how it went follows */
		_cleanup_free_ char *asked = vd_xasprintf("stopped: shutdown by user (%s)\n", name);
		vmm_write_exit_line(f, asked);
		return;
	}
	_cleanup_free_ char *line = vm->exit_detail[0] ?
		vd_xasprintf("%s: %s\n", name, vm->exit_detail) : vd_xasprintf("%s\n", name);
	vmm_write_exit_line(f, line);
}

static void vmm_write_pid(const char *path)
{
	_cleanup_free_ char *s = vd_xasprintf("%d\n", (int)getpid());
	vmm_write_line(path, s);
}

/* Everything between parsing and the main loop; on failure the error goes to the starter. */
static int vmm_start(struct vmm *vm, struct vmm_def *def, struct vmm_opts *o, struct vmm_files *f,
		     struct vmm_loop *l, struct vd_error **err)
{
	vmm_write_pid(f->pid); /* first: the engine tells a VMM still starting from a dead one */
	/* Until a clean end says otherwise, this run counts as crashed: a VMM killed with SIGKILL
	 * (or by the OOM killer) cannot say so itself. */
	vmm_write_exit_line(f, "crashed: virtdeck-vmm ended without recording why (killed?)\n");
	if (vd_rotlog_open(&vm->console_log, f->console_log, def->console_log_size, err) < 0)
		return vd_error_wrap(err, "console log of VM %s", def->name);
	vmm_vm_log_open(vm, def->name, def->console_log_size);
	vm->console_stdout = o->console_stdout;
	vm->pty_master = vm->pty_slave = -1;
	vm->start_ns = vd_now_mono_ns();
	int r = vmm_vm_setup(vm, def, err);
	if (r < 0)
		return vd_error_wrap(err, "setting up VM %s", def->name);
	l->listen_fd = vd_ctl_listen(f->sock, err);
	if (l->listen_fd < 0)
		return l->listen_fd;
	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	vm->setup_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
	vm->setup_ns = vd_now_mono_ns() - vm->start_ns;
	return vmm_vcpu_start_all(vm, err);
}

static int vmm_finish(struct vmm *vm, struct vmm_files *f, struct vmm_loop *l)
{
	vmm_vcpu_stop_all(vm);
	vmm_vm_log_close(vm);
	vd_info("VM %s stopped: %s", vm->name, vmm_vm_exit_name(vm->exit_reason));
	vmm_write_exit(f, vm);
	vd_ctlsrv_close(&l->ctl);
	unlink(f->sock);
	unlink(f->pid);
	vmm_vm_teardown(vm);
	return vm->exit_reason == VMM_EXIT_CRASH ? 2 : 0;
}

static int vmm_relay(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	return write(to, buf, (size_t)n) == n ? 0 : -1;
}

/* Client mode: fetch the console pty over the socket and copy it to and from stdio. */
static int vmm_attach(const char *sock)
{
	_cleanup_error_ struct vd_error *err = NULL;
	int fd = -1;
	if (vmm_ctl_console_fd(sock, &fd, &err) < 0) {
		fprintf(stderr, "virtdeck-vmm: %s\n", err->msg);
		return 1;
	}
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
	while (poll(p, 2, -1) >= 0) {
		if ((p[0].revents & (POLLIN | POLLHUP)) && vmm_relay(fd, STDOUT_FILENO) < 0)
			break;
		if ((p[1].revents & (POLLIN | POLLHUP)) && vmm_relay(STDIN_FILENO, fd) < 0)
			p[1].fd = -1;
	}
	close(fd);
	return 0;
}

static int vmm_probe(void)
{
	_cleanup_free_ char *what = vmm_kvm_describe_host();
	printf("KVM on this host: %s\n", what);
	return access("/dev/kvm", R_OK | W_OK) == 0 ? 0 : 1;
}

/* Client mode for scripts and tests: one request, the reply on stdout. */
static int vmm_ctl_client(const char *sock, const char *json)
{
	_cleanup_error_ struct vd_error *err = NULL;
	_cleanup_json_ struct json_object *req = json_tokener_parse(json ? json : "");
	_cleanup_json_ struct json_object *resp = NULL;
	if (!req) {
		fprintf(stderr, "virtdeck-vmm: --ctl needs a JSON request such as '{\"cmd\":\"status\"}'\n");
		return 2;
	}
	if (vd_ctl_call(sock, req, 10000, &resp, &err) < 0) {
		fprintf(stderr, "virtdeck-vmm: %s\n", err->msg);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	return vd_json_bool(resp, "ok", false) ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct vmm_opts o = { 0 };
	struct vmm_def def;
	_cleanup_error_ struct vd_error *err = NULL;
	vmm_def_init(&def);
	signal(SIGPIPE, SIG_IGN);
	if (vmm_parse_args(argc, argv, &o, &def, &err) < 0) {
		fprintf(stderr, "virtdeck-vmm: %s\n", err->msg);
		return 1;
	}
	if (o.probe)
		return vmm_probe();
	if (o.ctl_sock)
		return vmm_ctl_client(o.ctl_sock, optind < argc ? argv[optind] : NULL);
	if (o.attach_sock)
		return vmm_attach(o.attach_sock);
	_cleanup_free_ char *dir = NULL;
	if (vmm_state_paths(&o, def.name, &dir, &err) < 0) {
		fprintf(stderr, "virtdeck-vmm: %s\n", err->msg);
		return 1;
	}
	struct vmm_files f;
	vmm_files_init(&f, dir, def.name);
	int notify_fd = -1;
	if (o.daemon && vmm_daemonize(&notify_fd) < 0)
		return 1;
	if (o.daemon) {
		vd_log_open(f.log);
		vmm_detach_stdio();
	}
	static struct vmm vm;
	struct vmm_loop l = { .vm = &vm, .listen_fd = -1 };
	vmm_signals();
	if (vmm_start(&vm, &def, &o, &f, &l, &err) < 0) {
		vd_err("%s", err->msg);
		if (!o.daemon)
			fprintf(stderr, "virtdeck-vmm: %s\n", err->msg);
		vmm_notify(&notify_fd, err->msg);
		unlink(f.sock);
		unlink(f.pid);
		unlink(f.exit); /* never ran: the start command reported why */
		if (f.exit_data)
			unlink(f.exit_data);
		return 1;
	}
	vd_info("VM %s running: %u vCPUs, %llu MiB, console %s", vm.name, vm.nvcpus,
		(unsigned long long)(vm.mem.size >> 20), vm.pty_path);
	vmm_term_fd = vm.event_fd;
	_cleanup_free_ char *what = vd_xasprintf("VM %s", vm.name);
	vd_ctlsrv_init(&l.ctl, l.listen_fd, what, vmm_ctl_handle, &vm);
	vmm_notify(&notify_fd, "ok\n");
	vmm_loop_run(&l);
	if (vm.exit_reason == VMM_EXIT_NONE)
		vm.exit_reason = VMM_EXIT_KILLED;
	return vmm_finish(&vm, &f, &l);
}
