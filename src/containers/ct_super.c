/* ct_super.c - the supervisor: daemon, container creation, reaping, control socket, console relay. */
#include "containers/ct_super.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/paths.h"
#include "containers/ct_caps.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_console.h"
#include "containers/ct_def.h"
#include "containers/ct_init.h"
#include "containers/ct_net.h"
#include "containers/ct_ns.h"

#define CT_MAX_CLIENTS 16
#define CT_SYNC_TIMEOUT_MS 10000

struct ct_client {
	int fd;
	bool console;    /* the connection now carries raw console bytes */
	bool wants_exit; /* a stop request waits for init to exit */
	struct vd_ctl_reader *rd;
};

struct ct_super {
	struct ct_def def;
	char *sock, *pidf, *ipf, *lockf, *recf;
	int lock_fd, lfd, sigfd, timerfd;
	struct ct_cgroup *cg;
	struct ct_limits lim;
	struct ct_console con;
	struct ct_net_plan net;
	bool has_net, paused, exited;
	pid_t init;
	int status;
	uint64_t started_ns;
	struct ct_client cl[CT_MAX_CLIENTS];
};

/* Close a descriptor kept in a struct and mark it gone, so it is never closed twice. */
static void ct_super_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------------------------ state files */

int ct_super_state_dir(char **out, struct vd_error **err)
{
	_cleanup_free_ char *state = NULL;
	if (vd_paths_state_dir(&state, err) < 0)
		return -ENOENT;
	_cleanup_free_ char *dir = vd_xasprintf("%s/ct", state);
	if (vd_paths_ensure(dir, err) < 0)
		return -EIO;
	*out = TAKE_PTR(dir);
	return 0;
}

int ct_super_state_path(const char *name, const char *ext, char **out, struct vd_error **err)
{
	_cleanup_free_ char *dir = NULL;
	if (ct_super_state_dir(&dir, err) < 0)
		return -EIO;
	*out = vd_xasprintf("%s/%s.%s", dir, name, ext);
	return 0;
}

/* One supervisor per name: the lock lives as long as the supervisor's descriptor. */
static int ct_super_lock(struct ct_super *s, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (ct_super_state_path(s->def.name, "lock", &path, err) < 0)
		return -EIO;
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return vd_error_errno(err, errno, "container %s: cannot open %s", s->def.name, path);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return vd_error_set(err, EBUSY, "container %s is already running: stop it first", s->def.name);
	s->lockf = TAKE_PTR(path);
	return 0;
}

static void ct_super_write_pid(struct ct_super *s)
{
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", s->pidf);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, s->pidf);
}

static struct json_object *ct_super_cgroup_json(const struct ct_super *s);

/* What a client needs to clean up after us if we are killed: NAME.json (ct engine ct_recover). */
static void ct_super_write_recovery(struct ct_super *s)
{
	if (ct_super_state_path(s->def.name, "json", &s->recf, NULL) < 0)
		return;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	json_object_object_add(o, "supervisor_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "init_pid", json_object_new_int(s->init));
	json_object_object_add(o, "cgroup_version", json_object_new_int(s->cg ? (int)ct_cgroup_version(s->cg) : 0));
	json_object_object_add(o, "cgroup_dirs", ct_super_cgroup_json(s));
	if (s->ipf)
		json_object_object_add(o, "ip_claim", json_object_new_string(s->ipf));
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", s->recf);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) == 0)
		rename(tmp, s->recf);
}

/* ------------------------------------------------------------------ addresses for net=bridge */

/* The lowest free host number of the range, from the .ip files of running containers. */
static int ct_super_ipam(struct ct_super *s, struct vd_error **err)
{
	struct in_addr net;
	const char *subnet = s->def.subnet ? s->def.subnet : "10.88.0.0/24";
	if (ct_net_parse_subnet(subnet, &net, &s->net.prefix, err) < 0)
		return -EINVAL;
	vd_strlcpy(s->net.bridge, s->def.bridge ? s->def.bridge : "vdbr0", sizeof(s->net.bridge));
	snprintf(s->net.host_if, sizeof(s->net.host_if), "vd%d", (int)getpid());
	s->net.gw.s_addr = htonl(ntohl(net.s_addr) + 1);
	_cleanup_free_ char *dir = NULL;
	if (ct_super_state_dir(&dir, err) < 0)
		return -EIO;
	uint32_t hosts = (1u << (32 - s->net.prefix)) - 2;
	for (uint32_t h = 2; h <= hosts; h++) {
		struct in_addr a = { htonl(ntohl(net.s_addr) + h) };
		char txt[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, txt, sizeof(txt));
		_cleanup_free_ char *claim = vd_xasprintf("%s/ip-%s", dir, txt);
		int fd = open(claim, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			continue; /* taken by another container */
		close(fd);
		s->net.addr = a;
		s->ipf = TAKE_PTR(claim);
		s->has_net = true;
		return 0;
	}
	return vd_error_set(err, ENOSPC, "container %s: no free address left in %s: use a larger subnet=",
			    s->def.name, subnet);
}

/* ------------------------------------------------------------------ creation */

static void ct_super_limits(struct ct_super *s)
{
	s->lim = (struct ct_limits){ .mem_max = s->def.mem_max, .mem_high = s->def.mem_high, .cpus = s->def.cpus,
				     .cpu_weight = s->def.cpu_weight, .cpuset = s->def.cpuset,
				     .pids_max = s->def.pids_max };
}

static int ct_super_cgroup(struct ct_super *s, struct vd_error **err)
{
	if (!s->def.cgroups)
		return 0;
	ct_super_limits(s);
	if (ct_cgroup_new_system(s->def.name, &s->cg, err) < 0)
		return -EIO;
	if (ct_cgroup_create(s->cg, &s->lim, err) < 0) {
		ct_cgroup_free(s->cg);
		s->cg = NULL;
		return -EIO;
	}
	return 0;
}

/* Wait for init's report: EOF means exec succeeded (the socket is CLOEXEC), text is an error. */
static int ct_super_handshake(struct ct_super *s, int sync, struct vd_error **err)
{
	struct pollfd p = { .fd = sync, .events = POLLIN };
	int r = poll(&p, 1, CT_SYNC_TIMEOUT_MS);
	if (r == 0)
		return vd_error_set(err, ETIMEDOUT, "container %s: init did not start within %d s", s->def.name,
				    CT_SYNC_TIMEOUT_MS / 1000);
	char msg[1100];
	ssize_t n = recv(sync, msg, sizeof(msg) - 1, 0);
	if (n == 0)
		return 0;
	if (n < 0)
		return vd_error_errno(err, errno, "container %s: init failed during set-up (see %s.log)", s->def.name,
				      s->def.name);
	msg[n] = '\0';
	char *sp = strchr(msg, ' ');
	return vd_error_set(err, atoi(msg), "%s", sp ? sp + 1 : msg);
}

static int ct_super_parent_side(struct ct_super *s, int sync, bool attach, struct vd_error **err)
{
	uint64_t size = s->def.userns_size ? s->def.userns_size : 65536;
	if (s->def.userns_base && ct_ns_write_maps(s->def.name, s->init, s->def.userns_base, size, err) < 0)
		return -EPERM;
	if (s->has_net && ct_net_host_setup(s->def.name, &s->net, s->init, err) < 0)
		return -EIO;
	if (send(sync, "G", 1, MSG_NOSIGNAL) != 1)
		return vd_error_errno(err, errno, "container %s: init died during set-up", s->def.name);
	/* v2 placed the child at clone (CLONE_INTO_CGROUP); v1 attaches while the child mounts. */
	if (s->cg && attach && ct_cgroup_attach(s->cg, s->init, err) < 0)
		return -EIO;
	/* If init already failed this send fails too; its message, read next, says why. */
	send(sync, "C", 1, MSG_NOSIGNAL);
	return ct_super_handshake(s, sync, err);
}

static int ct_super_clone(struct ct_super *s, struct vd_error **err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return vd_error_errno(err, errno, "container %s: sync socketpair", s->def.name);
	_cleanup_close_ int parent = sp[0], child = sp[1];
	_cleanup_close_ int cgfd = s->cg ? ct_cgroup_fd(s->cg, NULL) : -1;
	unsigned long flags = CT_NS_CLONE_FLAGS | (s->def.userns_base ? CLONE_NEWUSER : 0);
	bool placed = false;
	/* v1: init joins its groups itself (fast path); in a user namespace it no longer may. */
	bool self = s->cg && ct_cgroup_version(s->cg) == CT_CGROUP_V1 && !s->def.userns_base;
	pid_t pid = ct_ns_clone(flags, cgfd < 0 ? -1 : cgfd, &placed, err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		close(parent);
		struct ct_init_args a = { .def = &s->def, .console = s->con.slave_path, .console_fd = s->con.slave,
					  .sync_fd = child, .net = s->has_net ? &s->net : NULL, .cgroupns = s->cg != NULL,
					  .cgroup_v2 = s->cg && ct_cgroup_version(s->cg) == CT_CGROUP_V2,
					  .self_attach = self ? s->cg : NULL };
		ct_init_run(&a);
	}
	s->init = pid;
	ct_super_close(&child);
	return ct_super_parent_side(s, parent, !placed && !self, err);
}

static void ct_super_cleanup(struct ct_super *s)
{
	if (s->init > 0 && !s->exited) {
		kill(s->init, SIGKILL);
		waitpid(s->init, NULL, 0);
		s->exited = true;
	}
	if (s->cg) {
		struct vd_error *e = NULL;
		if (ct_cgroup_destroy(s->cg, &e) < 0)
			vd_err("%s", e->msg);
		vd_error_free(e);
		ct_cgroup_free(s->cg);
		s->cg = NULL;
	}
	if (s->has_net)
		ct_net_host_cleanup(&s->net);
	ct_console_close(&s->con);
	const char *files[] = { s->sock, s->pidf, s->ipf, s->recf, s->lockf };
	for (size_t i = 0; i < VD_ARRAY_SIZE(files); i++)
		if (files[i])
			unlink(files[i]);
}

/* The socket appears (renamed into place) only once it listens and the pid and recovery
 * files exist: whoever sees NAME.sock can talk to us (the console's inotify watch included). */
static int ct_super_listen(struct ct_super *s, struct vd_error **err)
{
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", s->sock);
	s->lfd = vd_ctl_listen(tmp, err);
	if (s->lfd < 0)
		return s->lfd;
	s->started_ns = vd_now_real_ns();
	ct_super_write_pid(s);
	ct_super_write_recovery(s);
	if (rename(tmp, s->sock) < 0) {
		int e = errno;
		unlink(tmp);
		return vd_error_errno(err, e, "container %s: publishing %s", s->def.name, s->sock);
	}
	return 0;
}

static int ct_super_create(struct ct_super *s, struct vd_error **err)
{
	if (ct_super_lock(s, err) < 0)
		return -EBUSY;
	if (ct_super_state_path(s->def.name, "sock", &s->sock, err) < 0 ||
	    ct_super_state_path(s->def.name, "pid", &s->pidf, err) < 0)
		return -EIO;
	int r = ct_super_cgroup(s, err);
	if (r == 0 && s->def.net == CT_NET_BRIDGE)
		r = ct_super_ipam(s, err);
	if (r == 0)
		r = ct_console_open(&s->con, s->def.name, err);
	if (r == 0)
		r = ct_super_clone(s, err);
	if (r == 0)
		r = ct_super_listen(s, err);
	if (r < 0) {
		ct_super_cleanup(s);
		return r;
	}
	ct_super_close(&s->con.slave); /* init holds it now; EIO on the master then means init is gone */
	return 0;
}

/* ------------------------------------------------------------------ replies */

static struct json_object *ct_super_limits_json(const struct ct_super *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "mem_max", json_object_new_int64((int64_t)s->lim.mem_max));
	json_object_object_add(o, "mem_high", json_object_new_int64((int64_t)s->lim.mem_high));
	json_object_object_add(o, "cpus", json_object_new_double(s->lim.cpus));
	json_object_object_add(o, "cpu_weight", json_object_new_int64((int64_t)s->lim.cpu_weight));
	json_object_object_add(o, "pids_max", json_object_new_int64((int64_t)s->lim.pids_max));
	if (s->lim.cpuset)
		json_object_object_add(o, "cpuset", json_object_new_string(s->lim.cpuset));
	return o;
}

static struct json_object *ct_super_cgroup_json(const struct ct_super *s)
{
	struct json_object *a = json_object_new_array();
	for (char *const *d = s->cg ? ct_cgroup_dirs(s->cg) : NULL; d && *d; d++)
		json_object_array_add(a, json_object_new_string(*d));
	return a;
}

static struct json_object *ct_super_status(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	struct json_object *o = vd_ctl_reply_ok();
	char caps[32], addr[INET_ADDRSTRLEN] = "";
	snprintf(caps, sizeof(caps), "%016llx", (unsigned long long)ct_caps_mask());
	if (s->has_net)
		inet_ntop(AF_INET, &s->net.addr, addr, sizeof(addr));
	json_object_object_add(o, "name", json_object_new_string(s->def.name));
	json_object_object_add(o, "state", json_object_new_string(s->paused ? "paused" : "running"));
	json_object_object_add(o, "init_pid", json_object_new_int(s->init));
	json_object_object_add(o, "supervisor_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "started_ns", json_object_new_int64((int64_t)s->started_ns));
	json_object_object_add(o, "cgroup_version", json_object_new_int(s->cg ? (int)ct_cgroup_version(s->cg) : 0));
	json_object_object_add(o, "cgroup_dirs", ct_super_cgroup_json(s));
	json_object_object_add(o, "limits", ct_super_limits_json(s));
	json_object_object_add(o, "net", json_object_new_string(ct_net_mode_name(s->def.net)));
	json_object_object_add(o, "addr", json_object_new_string(addr));
	json_object_object_add(o, "seccomp", json_object_new_boolean(s->def.seccomp));
	json_object_object_add(o, "userns_base", json_object_new_int64((int64_t)s->def.userns_base));
	json_object_object_add(o, "cap_eff", json_object_new_string(caps));
	return o;
}

static uint64_t ct_super_netstat(const struct ct_super *s, const char *which)
{
	_cleanup_free_ char *path = vd_xasprintf("/sys/class/net/%s/statistics/%s", s->net.host_if, which);
	_cleanup_free_ char *t = NULL;
	uint64_t v = 0;
	if (vd_read_file(path, &t, NULL) == 0) {
		t[strcspn(t, "\n")] = '\0';
		vd_parse_u64(t, &v);
	}
	return v;
}

static void ct_super_put_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *ct_super_stats(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	struct ct_stats st = { 0 };
	if (s->cg && ct_cgroup_stats(s->cg, &st, err) < 0)
		return NULL;
	struct json_object *o = vd_ctl_reply_ok();
	ct_super_put_u64(o, "t_ns", vd_now_mono_ns());
	ct_super_put_u64(o, "cpu_ns", st.cpu_ns);
	ct_super_put_u64(o, "cpu_user_ns", st.cpu_user_ns);
	ct_super_put_u64(o, "cpu_sys_ns", st.cpu_sys_ns);
	ct_super_put_u64(o, "nr_throttled", st.nr_throttled);
	ct_super_put_u64(o, "throttled_ns", st.throttled_ns);
	ct_super_put_u64(o, "mem_usage", st.mem_usage);
	ct_super_put_u64(o, "mem_used", st.mem_used);
	ct_super_put_u64(o, "mem_peak", st.mem_peak);
	ct_super_put_u64(o, "mem_limit", st.mem_limit);
	ct_super_put_u64(o, "oom_events", st.oom_events);
	ct_super_put_u64(o, "oom_kills", st.oom_kills);
	ct_super_put_u64(o, "pids", st.pids);
	ct_super_put_u64(o, "io_read", st.io_read);
	ct_super_put_u64(o, "io_write", st.io_write);
	/* The host end of the veth sees the container's traffic mirrored: its tx is our rx. */
	ct_super_put_u64(o, "net_rx", s->has_net ? ct_super_netstat(s, "tx_bytes") : 0);
	ct_super_put_u64(o, "net_tx", s->has_net ? ct_super_netstat(s, "rx_bytes") : 0);
	json_object_object_add(o, "cgroups", json_object_new_boolean(s->cg != NULL));
	json_object_object_add(o, "psi_valid", json_object_new_boolean(st.psi_valid));
	json_object_object_add(o, "psi_cpu_some10", json_object_new_double(st.psi_cpu_some10));
	json_object_object_add(o, "psi_mem_some10", json_object_new_double(st.psi_mem_some10));
	json_object_object_add(o, "psi_io_some10", json_object_new_double(st.psi_io_some10));
	return o;
}

static int ct_super_need_cgroup(struct ct_super *s, const char *what, struct vd_error **err)
{
	if (s->cg)
		return 0;
	return vd_error_set(err, ENOTSUP, "container %s runs with cgroups=false: %s needs cgroups", s->def.name,
			    what);
}

static struct json_object *ct_super_freeze(struct ct_super *s, bool frozen, struct vd_error **err)
{
	if (ct_super_need_cgroup(s, frozen ? "pause" : "resume", err) < 0 ||
	    ct_cgroup_freeze(s->cg, frozen, err) < 0)
		return NULL;
	s->paused = frozen;
	return vd_ctl_reply_ok();
}

static struct json_object *ct_super_pause(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	return ct_super_freeze(s, true, err);
}

static struct json_object *ct_super_resume(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	return ct_super_freeze(s, false, err);
}

static struct json_object *ct_super_resize(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	if (ct_super_need_cgroup(s, "resize", err) < 0)
		return NULL;
	struct ct_limits want = s->lim;
	int64_t mem = vd_json_i64(req, "mem_bytes", 0);
	double cpus = vd_json_double(req, "cpus", 0);
	if (mem > 0 && (uint64_t)mem < CT_MEM_MIN) {
		vd_error_set(err, EINVAL, "container %s: memory %lld bytes is below the minimum of 4M", s->def.name,
			     (long long)mem);
		return NULL;
	}
	if (mem > 0)
		want.mem_max = (uint64_t)mem;
	if (cpus > 0)
		want.cpus = cpus;
	if (ct_cgroup_set(s->cg, &want, err) < 0) {
		ct_cgroup_set(s->cg, &s->lim, NULL); /* put back what was there */
		return NULL;
	}
	s->lim = want;
	return vd_ctl_reply_ok();
}

static struct json_object *ct_super_kill(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	int sig = (int)vd_json_i64(req, "signal", SIGKILL);
	if (sig <= 0 || sig >= NSIG) {
		vd_error_set(err, EINVAL, "container %s: signal %d does not exist", s->def.name, sig);
		return NULL;
	}
	if (s->paused && s->cg)
		ct_cgroup_freeze(s->cg, false, NULL); /* a frozen init cannot act on the signal */
	s->paused = false;
	if (!s->exited && s->init > 0 && kill(s->init, sig) < 0 && errno != ESRCH) {
		vd_error_errno(err, errno, "container %s: kill", s->def.name);
		return NULL;
	}
	return vd_ctl_reply_ok();
}

static struct json_object *ct_super_winsize(struct ct_super *s, struct json_object *req, struct vd_error **err)
{
	int r = ct_console_resize(&s->con, (unsigned)vd_json_i64(req, "rows", 24), (unsigned)vd_json_i64(req, "cols", 80));
	if (r < 0) {
		vd_error_errno(err, r, "container %s: resizing the console", s->def.name);
		return NULL;
	}
	return vd_ctl_reply_ok();
}

/* The kernel drops signals to a namespace's init unless it handles them: a shell as init
 * would make every stop wait the whole timeout for nothing. */
static bool ct_super_catches_term(pid_t pid)
{
	_cleanup_free_ char *path = vd_xasprintf("/proc/%d/status", (int)pid);
	_cleanup_free_ char *t = NULL;
	if (vd_read_file(path, &t, NULL) < 0)
		return true;
	const char *cgt = strstr(t, "SigCgt:");
	unsigned long long mask = cgt ? strtoull(cgt + 7, NULL, 16) : ~0ull;
	return (mask >> (SIGTERM - 1)) & 1;
}

/* SIGTERM now, SIGKILL when the timer fires; the reply goes out when init is reaped. */
static void ct_super_begin_stop(struct ct_super *s, int timeout_s)
{
	if (!ct_super_catches_term(s->init))
		timeout_s = 0;
	if (s->paused && s->cg)
		ct_cgroup_freeze(s->cg, false, NULL);
	s->paused = false;
	if (!s->exited && s->init > 0) /* a reaped init's pid may be another process's by now */
		kill(s->init, SIGTERM);
	struct itimerspec it = { .it_value = { .tv_sec = timeout_s > 0 ? timeout_s : 0, .tv_nsec = timeout_s > 0 ? 0 : 1 } };
	timerfd_settime(s->timerfd, 0, &it, NULL);
}

/* ------------------------------------------------------------------ the event loop */

typedef struct json_object *(*ct_super_fn)(struct ct_super *s, struct json_object *req, struct vd_error **err);

static const struct {
	const char *op;
	ct_super_fn fn;
} ct_super_ops[] = {
	{ "status", ct_super_status }, { "stats", ct_super_stats },   { "pause", ct_super_pause },
	{ "resume", ct_super_resume }, { "resize", ct_super_resize }, { "kill", ct_super_kill },
	{ "winsize", ct_super_winsize },
};

static void ct_super_drop(struct ct_client *c)
{
	ct_super_close(&c->fd);
	free(c->rd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void ct_super_reply(struct ct_client *c, struct json_object *o)
{
	if (vd_ctl_send(c->fd, o, NULL) < 0)
		ct_super_drop(c);
	json_object_put(o);
}

static void ct_super_console_start(struct ct_super *s, struct ct_client *c)
{
	ct_super_reply(c, vd_ctl_reply_ok());
	if (c->fd < 0)
		return;
	c->console = true;
	_cleanup_free_ char *back = vd_xmalloc(CT_CONSOLE_BACKLOG);
	size_t n = ct_console_backlog(&s->con, back);
	if (n && send(c->fd, back, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		ct_super_drop(c);
	if (c->fd >= 0 && c->rd->len) { /* typed ahead of the switch: it belongs to the console */
		if (write(s->con.master, c->rd->buf, c->rd->len) < 0)
			vd_debug("console input lost: %s", strerror(errno));
		c->rd->len = 0;
	}
}

static void ct_super_request(struct ct_super *s, struct ct_client *c, struct json_object *req)
{
	const char *op = vd_json_str(req, "op", "");
	struct vd_error *e = NULL;
	if (vd_streq(op, "console"))
		return ct_super_console_start(s, c);
	if (vd_streq(op, "stop")) {
		c->wants_exit = true;
		return ct_super_begin_stop(s, (int)vd_json_i64(req, "timeout_s", 10));
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_super_ops); i++) {
		if (!vd_streq(op, ct_super_ops[i].op))
			continue;
		struct json_object *o = ct_super_ops[i].fn(s, req, &e);
		ct_super_reply(c, o ? o : vd_ctl_reply_error(e ? e->code : EIO, e ? e->msg : "failed"));
		vd_error_free(e);
		return;
	}
	_cleanup_free_ char *msg = vd_xasprintf("unknown request '%s' for container %s", op, s->def.name);
	ct_super_reply(c, vd_ctl_reply_error(EINVAL, msg));
}

static void ct_super_client_read(struct ct_super *s, struct ct_client *c)
{
	char *dst = c->console ? NULL : c->rd->buf + c->rd->len;
	char tmp[4096];
	ssize_t n = c->console ? read(c->fd, tmp, sizeof(tmp)) : read(c->fd, dst, VD_CTL_MAX_LINE - c->rd->len);
	if (n <= 0)
		return ct_super_drop(c);
	if (c->console) {
		if (write(s->con.master, tmp, (size_t)n) < 0)
			vd_debug("console input lost: %s", strerror(errno));
		return;
	}
	c->rd->len += (size_t)n;
	struct json_object *req = NULL;
	int r;
	while (c->fd >= 0 && !c->console && (r = vd_ctl_take_line(c->rd, &req, NULL)) != 0) {
		if (r < 0)
			return ct_super_drop(c);
		ct_super_request(s, c, req);
		json_object_put(req);
	}
	if (c->fd >= 0 && c->console && c->rd->len) {
		if (write(s->con.master, c->rd->buf, c->rd->len) < 0)
			vd_debug("console input lost: %s", strerror(errno));
		c->rd->len = 0;
	}
}

static void ct_super_accept(struct ct_super *s)
{
	struct vd_error *e = NULL;
	int fd = vd_ctl_accept(s->lfd, &e);
	if (fd < 0) {
		vd_warn("%s", e->msg);
		vd_error_free(e);
		return;
	}
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd < 0) {
			s->cl[i].fd = fd;
			s->cl[i].rd = vd_xcalloc(1, sizeof(*s->cl[i].rd));
			return;
		}
	close(fd); /* too many clients: the newcomer retries */
}

/* Console output goes to the backlog and to every attached console; a slow one loses bytes. */
static void ct_super_console_out(struct ct_super *s)
{
	char buf[4096];
	ssize_t n = read(s->con.master, buf, sizeof(buf));
	if (n <= 0) {
		ct_super_close(&s->con.master); /* EIO: the last holder of the slave is gone */
		return;
	}
	ct_console_record(&s->con, buf, (size_t)n);
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].console && send(s->cl[i].fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN)
			ct_super_drop(&s->cl[i]);
}

static void ct_super_reap(struct ct_super *s)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == s->init) {
			s->exited = true;
			s->status = st;
		}
}

static void ct_super_signal(struct ct_super *s)
{
	struct signalfd_siginfo si;
	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGCHLD)
		ct_super_reap(s);
	else if (!s->exited) /* SIGTERM/SIGINT/SIGHUP to the supervisor: stop the container cleanly */
		ct_super_begin_stop(s, 10);
}

static size_t ct_super_pollset(struct ct_super *s, struct pollfd *p, struct ct_client **who)
{
	size_t n = 0;
	int fixed[] = { s->sigfd, s->timerfd, s->lfd, s->con.master };
	for (size_t i = 0; i < VD_ARRAY_SIZE(fixed); i++) {
		who[n] = NULL;
		p[n++] = (struct pollfd){ .fd = fixed[i], .events = POLLIN };
	}
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0) {
			who[n] = &s->cl[i];
			p[n++] = (struct pollfd){ .fd = s->cl[i].fd, .events = POLLIN };
		}
	return n;
}

static void ct_super_dispatch(struct ct_super *s, struct pollfd *p, struct ct_client **who, size_t n)
{
	if (p[0].revents)
		ct_super_signal(s);
	if (p[1].revents) {
		uint64_t ticks;
		if (read(s->timerfd, &ticks, sizeof(ticks)) > 0 && !s->exited)
			kill(s->init, SIGKILL);
	}
	if (p[2].revents)
		ct_super_accept(s);
	if (p[3].revents && s->con.master >= 0)
		ct_super_console_out(s);
	for (size_t i = 4; i < n; i++)
		if (p[i].revents && who[i]->fd >= 0)
			ct_super_client_read(s, who[i]);
}

static void ct_super_finish(struct ct_super *s)
{
	/* Refuse new clients at once; the socket file stays until clean-up is done, so a client
	 * seeing "refused" knows to wait for the file to go (ct engine: ct_wait_gone). */
	ct_super_close(&s->lfd);
	while (s->con.master >= 0) { /* the last words of init still sit in the pty */
		struct pollfd p = { .fd = s->con.master, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			break;
		ct_super_console_out(s);
	}
	vd_info("container %s: init exited (status %#x)", s->def.name, s->status);
	ct_super_cleanup(s);
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++) {
		if (s->cl[i].fd >= 0 && s->cl[i].wants_exit) {
			struct json_object *o = vd_ctl_reply_ok();
			json_object_object_add(o, "exit_status", json_object_new_int(s->status));
			ct_super_reply(&s->cl[i], o);
		}
		if (s->cl[i].fd >= 0)
			ct_super_drop(&s->cl[i]);
	}
}

static void ct_super_serve(struct ct_super *s)
{
	struct pollfd p[4 + CT_MAX_CLIENTS];
	struct ct_client *who[4 + CT_MAX_CLIENTS];
	while (!s->exited) {
		size_t n = ct_super_pollset(s, p, who);
		if (poll(p, n, -1) < 0 && errno != EINTR)
			break;
		ct_super_dispatch(s, p, who, n);
	}
	ct_super_finish(s);
}

/* ------------------------------------------------------------------ daemon and entry */

static int ct_super_signals(struct ct_super *s, struct vd_error **err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (s->sigfd < 0 || s->timerfd < 0)
		return vd_error_errno(err, errno, "container %s: signalfd/timerfd", s->def.name);
	return 0;
}

static void ct_super_init_struct(struct ct_super *s)
{
	memset(s, 0, sizeof(*s));
	s->lock_fd = s->lfd = s->sigfd = s->timerfd = -1;
	s->con.master = s->con.slave = -1;
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
}

/* Daemon stdio: nothing in, the container's log file out (the console never sees us). */
static void ct_super_stdio(const char *name)
{
	_cleanup_free_ char *log = NULL;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		close(null);
	}
	if (ct_super_state_path(name, "log", &log, NULL) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
}

/* The running supervisor; reports readiness on ready_fd ("OK" or "ERR code msg"). */
static int ct_super_main(const char *name, int ready_fd, struct vd_error **err)
{
	struct ct_super s;
	ct_super_init_struct(&s);
	int r = ct_def_load(name, &s.def, err);
	if (r == 0)
		r = ct_def_validate(&s.def, err);
	if (r == 0)
		r = ct_super_signals(&s, err);
	if (r == 0)
		r = ct_super_create(&s, err);
	if (r < 0) {
		if (ready_fd >= 0)
			dprintf(ready_fd, "ERR %d %s", (*err)->code, (*err)->msg);
		return r;
	}
	if (ready_fd >= 0) {
		dprintf(ready_fd, "OK %d", (int)s.init);
		close(ready_fd);
	}
	vd_info("container %s: running, init pid %d", name, (int)s.init);
	ct_super_serve(&s);
	ct_def_free(&s.def);
	return 0;
}

static int ct_super_wait_ready(const char *name, int fd, pid_t child, struct vd_error **err)
{
	char buf[1200];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	waitpid(child, NULL, 0);
	if (vd_str_has_prefix(buf, "OK"))
		return 0;
	if (!vd_str_has_prefix(buf, "ERR "))
		return vd_error_set(err, EIO, "container %s: the supervisor died while starting: see its log", name);
	char *msg = strchr(buf + 4, ' ');
	return vd_error_set(err, atoi(buf + 4), "%s", msg ? msg + 1 : buf);
}

int ct_super_start(const char *name, bool foreground, struct vd_error **err)
{
	if (foreground)
		return ct_super_main(name, -1, err);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vd_error_errno(err, errno, "container %s: pipe", name);
	pid_t p = fork();
	if (p < 0)
		return vd_error_errno(err, errno, "container %s: fork", name);
	if (p > 0) {
		close(pfd[1]);
		int r = ct_super_wait_ready(name, pfd[0], p, err);
		close(pfd[0]);
		return r;
	}
	close(pfd[0]);
	/* Detach for good: a new session and a second fork, so no terminal or console owns us. */
	setsid();
	if (fork() != 0)
		_exit(0);
	umask(022);
	if (chdir("/") < 0)
		_exit(1);
	ct_super_stdio(name);
	struct vd_error *e = NULL;
	int r = ct_super_main(name, pfd[1], &e);
	if (r < 0 && e)
		vd_err("%s", e->msg);
	vd_error_free(e);
	_exit(r < 0 ? 1 : 0);
}
