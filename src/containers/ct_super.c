/* ct_super.c - the supervisor: daemon, container creation, reaping, control socket, console relay.
 */
#include "containers/ct_super.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "common/failpoint.h"
#include "common/guestlog.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/rate.h"
#include "containers/ct_caps.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_devices.h"
#include "containers/ct_console.h"
#include "containers/ct_def.h"
#include "containers/ct_init.h"
#include "containers/ct_net.h"
#include "containers/ct_ns.h"

#define CT_SYNC_TIMEOUT_MS 10000
/* Clients at once; when all slots are taken the one idle the longest makes room. */
#define CT_MAX_CLIENTS 32
#define CT_ACCEPT_BATCH 4
/* Replies and console output a client may leave unread before it is dropped (or loses bytes). */
#define CT_CLIENT_OUT_MAX (64 * 1024)
/* A control client that asks nothing for this long gives its slot back. */
#define CT_IDLE_NS (30 * 1000000000ull)

/* An unfinished output line is logged after this long without more output. */
#define CT_LOG_QUIET_MS 250

struct ct_client {
	int fd;                   /* non-blocking */
	bool console;             /* the connection now carries raw console bytes */
	bool wants_exit;          /* a stop request waits for init to exit */
	uint64_t active_ns;       /* when it last spoke (monotonic) */
	struct vd_ctl_reader *rd; /* allocated when it first speaks */
	struct vd_ctl_outq out;   /* replies and console output not yet sent */
};

struct ct_super {
	struct ct_def def;
	char *sock, *pidf, *ipf, *lockf, *recf;
	char *exitf;    /* <data>/containers/NAME.exit: how the last run ended (survives reboots) */
	bool stop_asked; /* a stop was requested: the end is the user's doing */
	int kill_asked;  /* the last signal a client sent init: if it dies of it, that was asked */
	int lock_fd, lfd, sigfd, timerfd;
	struct ct_cgroup *cg;
	struct ct_limits lim;
	struct ct_console con;
	struct vd_guestlog glog; /* what the container printed, for `virtdeck logs` */
	struct ct_net_plan net;
	bool has_net, paused, exited;
	pid_t init;
	int status;
	uint64_t started_ns;
	struct vd_rate_ring cpu_ring; /* stamped CPU readings a second apart, for one-shot rates */
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
	int r = vd_paths_state_dir(&state, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = vd_xasprintf("%s/ct", state);
	r = vd_paths_ensure(dir, err);
	if (r < 0)
		return r;
	*out = TAKE_PTR(dir);
	return 0;
}

int ct_super_state_path(const char *name, const char *ext, char **out, struct vd_error **err)
{
	_cleanup_free_ char *dir = NULL;
	int r = ct_super_state_dir(&dir, err);
	if (r < 0)
		return r;
	*out = vd_xasprintf("%s/%s.%s", dir, name, ext);
	return 0;
}

/* One supervisor per name: the lock lives as long as the supervisor's descriptor. */
static int ct_super_lock(struct ct_super *s, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = ct_super_state_path(s->def.name, "lock", &path, err);
	if (r < 0)
		return r;
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

/* What a client needs to clean up after us if we are killed: NAME.json (ct engine ct_recover).
 * Rewritten before each thing it names exists (cgroups, address, init), never after. */
static void ct_super_write_recovery(struct ct_super *s)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	json_object_object_add(o, "supervisor_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "init_pid", json_object_new_int(s->init));
	json_object_object_add(o, "cgroup_version",
			       json_object_new_int(s->cg ? (int)ct_cgroup_version(s->cg) : 0));
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
	int r = ct_net_parse_subnet(subnet, &net, &s->net.prefix, err);
	if (r < 0)
		return r;
	vd_strlcpy(s->net.bridge, s->def.bridge ? s->def.bridge : "vdbr0", sizeof(s->net.bridge));
	snprintf(s->net.host_if, sizeof(s->net.host_if), "vd%d", (int)getpid());
	s->net.gw.s_addr = htonl(ntohl(net.s_addr) + 1);
	_cleanup_free_ char *dir = NULL;
	r = ct_super_state_dir(&dir, err);
	if (r < 0)
		return r;
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
	s->lim = (struct ct_limits){ .mem_max = s->def.mem_max,
				     .mem_high = s->def.mem_high,
				     .cpus = s->def.cpus,
				     .cpu_weight = s->def.cpu_weight,
				     .cpuset = s->def.cpuset,
				     .pids_max = s->def.pids_max };
}

/* The default devices plus the definition's devices_allow. */
static int ct_super_devices(struct ct_super *s, struct ct_dev_rule **rules, size_t *n,
			    struct vd_error **err)
{
	*n = ct_devices_n_default;
	*rules = vd_xmalloc(*n * sizeof(**rules));
	memcpy(*rules, ct_devices_default, *n * sizeof(**rules));
	int r = s->def.devices_allow ? ct_devices_parse(s->def.devices_allow, rules, n, err) : 0;
	if (r < 0)
		vd_error_wrap(err, "container %s: devices_allow", s->def.name);
	return r;
}

/* We hold this name's lock, and the group is scoped by our state directory: tasks in it were
 * left by a supervisor of ours that died. Kill them so the group can be made afresh. */
static void ct_super_reclaim(struct ct_super *s)
{
	if (ct_cgroup_kill(s->cg, NULL) < 0)
		return; /* no group left over */
	vd_warn("container %s: removing the cgroup a lost supervisor left behind", s->def.name);
	ct_cgroup_destroy(s->cg, NULL);
}

static int ct_super_cgroup(struct ct_super *s, struct vd_error **err)
{
	if (!s->def.cgroups)
		return 0;
	ct_super_limits(s);
	_cleanup_free_ struct ct_dev_rule *rules = NULL;
	int r = ct_super_devices(s, &rules, &s->lim.n_devices, err);
	if (r < 0)
		return r;
	s->lim.devices = rules;
	s->lim.devices_unconfined = s->def.devices_unconfined;
	r = ct_cgroup_new_system(s->def.name, &s->cg, err);
	if (r < 0)
		return r;
	ct_super_write_recovery(s);
	vd_failpoint("ct-super-after-record");
	ct_super_reclaim(s);
	r = ct_cgroup_create(s->cg, &s->lim, err);
	s->lim.devices = NULL; /* applied once, at creation */
	s->lim.n_devices = 0;
	if (r < 0) {
		ct_cgroup_free(s->cg);
		s->cg = NULL;
		return r;
	}
	return r;
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
		return vd_error_errno(err, errno,
				      "container %s: init failed during set-up (see %s.log)",
				      s->def.name, s->def.name);
	msg[n] = '\0';
	char *sp = strchr(msg, ' ');
	return vd_error_set(err, atoi(msg), "%s", sp ? sp + 1 : msg);
}

static int ct_super_parent_side(struct ct_super *s, int sync, bool attach, struct vd_error **err)
{
	uint64_t size = s->def.userns_size ? s->def.userns_size : 65536;
	int r = 0;
	if (s->def.userns_base)
		r = ct_ns_write_maps(s->def.name, s->init, s->def.userns_base, size, err);
	if (r < 0)
		return r;
	r = s->has_net ? ct_net_host_setup(s->def.name, &s->net, s->init, err) : 0;
	if (r < 0)
		return r;
	if (send(sync, "G", 1, MSG_NOSIGNAL) != 1)
		return vd_error_errno(err, errno, "container %s: init died during set-up", s->def.name);
	/* v2 placed the child at clone (CLONE_INTO_CGROUP); v1 attaches while the child mounts. */
	r = s->cg && attach ? ct_cgroup_attach(s->cg, s->init, err) : 0;
	if (r < 0)
		return r;
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
	vd_failpoint("ct-super-before-clone");
	pid_t pid = ct_ns_clone(flags, cgfd < 0 ? -1 : cgfd, &placed, err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		close(parent);
		struct ct_init_args a = { .def = &s->def,
					  .console = s->con.slave_path,
					  .console_fd = s->con.slave,
					  .sync_fd = child,
					  .net = s->has_net ? &s->net : NULL,
					  .cgroupns = s->cg != NULL,
					  .cgroup_v2 =
						  s->cg && ct_cgroup_version(s->cg) == CT_CGROUP_V2,
					  .self_attach = self ? s->cg : NULL };
		ct_init_run(&a);
	}
	s->init = pid;
	ct_super_write_recovery(s);
	vd_failpoint("ct-super-after-clone");
	ct_super_close(&child);
	return ct_super_parent_side(s, parent, !placed && !self, err);
}

static struct json_object *ct_super_stats(struct ct_super *s, struct json_object *req,
					  struct vd_error **err);

/* The cgroup's last figures, kept as NAME.final once it is gone: an OOM kill that took init with
 * it comes after the last sample, and the history learns of it (and of the peak) from here. */
static void ct_super_write_final(struct ct_super *s)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	_cleanup_json_ struct json_object *o = s->cg ? ct_super_stats(s, NULL, NULL) : NULL;
	if (!o || ct_super_state_path(s->def.name, "final", &path, NULL) < 0)
		return;
	tmp = vd_xasprintf("%s.tmp", path);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) == 0)
		rename(tmp, path);
}

static void ct_super_cleanup(struct ct_super *s)
{
	if (s->init > 0 && !s->exited) {
		kill(s->init, SIGKILL);
		waitpid(s->init, NULL, 0);
		s->exited = true;
	}
	ct_super_write_final(s);
	if (s->cg) {
		struct vd_error *e = NULL;
		if (ct_cgroup_destroy(s->cg, &e) < 0)
			vd_err("%s", e->msg);
		vd_error_free(e);
		ct_cgroup_free(s->cg);
		s->cg = NULL;
	}
	vd_failpoint("ct-super-cleanup");
	if (s->has_net)
		ct_net_host_cleanup(&s->net);
	ct_console_close(&s->con);
	vd_guestlog_close(&s->glog);
	/* The record goes first, the socket last: a client that sees the socket gone finds
	 * nothing left to recover, and one that sees a record finds what it names. */
	const char *files[] = { s->ipf, s->recf, s->pidf, s->lockf, s->sock };
	for (size_t i = 0; i < VD_ARRAY_SIZE(files); i++)
		if (files[i])
			unlink(files[i]);
}

/* A new run: the record of how the previous one ended no longer describes this container. */
static void ct_super_forget_exit(struct ct_super *s)
{
	_cleanup_free_ char *dir = NULL;
	if (ct_def_dir(&dir, NULL) < 0)
		return;
	s->exitf = vd_xasprintf("%s/%s.exit", dir, s->def.name);
	unlink(s->exitf);
}

/* What ended init: the user's stop, the OOM killer (SIGKILL while its cgroup counted an OOM
 * kill), its own exit, or a signal nobody asked for. */
static const char *ct_super_exit_kind(const struct ct_super *s, uint64_t ooms, int *code)
{
	bool sig = WIFSIGNALED(s->status);
	*code = sig ? WTERMSIG(s->status) : WEXITSTATUS(s->status);
	if (s->stop_asked || (sig && *code == s->kill_asked))
		return "user";
	if (sig && *code == SIGKILL && ooms > 0)
		return "oom";
	return sig ? "signal" : "exited";
}

/* Kept in the data directory, not the state directory: /run is a tmpfs, and why a container
 * stopped must still be known after the host reboots. Written before the cgroup goes (its OOM
 * counter is read here) and before the socket goes (whoever sees it gone finds the record). */
static void ct_super_record_exit(struct ct_super *s)
{
	struct ct_stats st = { 0 };
	int code;
	if (s->cg)
		ct_cgroup_stats(s->cg, &st, NULL);
	const char *kind = ct_super_exit_kind(s, st.oom_kills, &code);
	if (!vd_streq(kind, "user") && !(vd_streq(kind, "exited") && code == 0))
		vd_warn("container %s: init ended by itself (%s %d, %llu OOM kills in its cgroup)",
			s->def.name, kind, code, (unsigned long long)st.oom_kills);
	if (!s->exitf)
		return;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	json_object_object_add(o, "exit", json_object_new_string(kind));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "wait_status", json_object_new_int(s->status));
	json_object_object_add(o, "oom_kills", json_object_new_int64((int64_t)st.oom_kills));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", s->exitf);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) == 0)
		rename(tmp, s->exitf);
}

/* The socket appears (renamed into place) only once it listens and the pid and recovery
 * files exist: whoever sees NAME.sock can talk to us (the console's inotify watch included). */
static int ct_super_listen(struct ct_super *s, struct vd_error **err)
{
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", s->sock);
	s->lfd = vd_ctl_listen(tmp, err);
	if (s->lfd < 0)
		return s->lfd;
	if (fcntl(s->lfd, F_SETFL, O_NONBLOCK) < 0) /* accept until EAGAIN, never block in it */
		return vd_error_errno(err, errno, "container %s: O_NONBLOCK on %s", s->def.name,
				      tmp);
	s->started_ns = vd_now_real_ns();
	if (rename(tmp, s->sock) < 0) {
		int e = errno;
		unlink(tmp);
		return vd_error_errno(err, e, "container %s: publishing %s", s->def.name, s->sock);
	}
	return 0;
}

/* The guest's output log lives in the data dir so it outlives the container's stop and a
 * reboot (the state dir is a tmpfs); one that cannot be opened costs the log, not the start. */
static void ct_super_open_log(struct ct_super *s)
{
	struct vd_error *e = NULL;
	_cleanup_free_ char *path = NULL;
	if (vd_guestlog_path("ct", s->def.name, true, &path, &e) == 0)
		vd_guestlog_open(&s->glog, path, 0, &e);
	if (e)
		vd_warn("container %s: its output is not kept: %s", s->def.name, e->msg);
	vd_error_free(e);
}

static int ct_super_create(struct ct_super *s, struct vd_error **err)
{
	int rc = ct_super_lock(s, err);
	if (rc < 0)
		return rc;
	vd_failpoint("ct-super-after-lock");
	rc = ct_super_state_path(s->def.name, "sock", &s->sock, err);
	if (rc == 0)
		rc = ct_super_state_path(s->def.name, "pid", &s->pidf, err);
	if (rc == 0)
		rc = ct_super_state_path(s->def.name, "json", &s->recf, err);
	if (rc < 0)
		return rc;
	ct_super_write_pid(s); /* from now on clients know a supervisor of this name lives */
	_cleanup_free_ char *final = NULL;
	if (ct_super_state_path(s->def.name, "final", &final, NULL) == 0)
		unlink(final); /* the figures of the previous run */
	ct_super_forget_exit(s);
	int r = ct_super_cgroup(s, err);
	vd_failpoint("ct-super-after-cgroup");
	if (r == 0 && s->def.net == CT_NET_BRIDGE)
		r = ct_super_ipam(s, err);
	if (r == 0 && s->ipf)
		ct_super_write_recovery(s);
	if (r == 0)
		ct_super_open_log(s);
	if (r == 0)
		r = ct_console_open(&s->con, s->def.name, err);
	if (r == 0)
		r = ct_super_clone(s, err);
	if (r == 0)
		vd_failpoint("ct-super-before-ready");
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

static struct json_object *ct_super_status(struct ct_super *s, struct json_object *req,
					   struct vd_error **err)
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
	json_object_object_add(o, "cgroup_version",
			       json_object_new_int(s->cg ? (int)ct_cgroup_version(s->cg) : 0));
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

static uint64_t ct_super_cpu_counter(void *cg)
{
	return ct_cgroup_cpu_ns(cg);
}

/* The group's CPU time, stamped when it was read: a rate's two ends must be the kernel's
 * instants, not when a client got round to reading our reply. */
static struct vd_rate_reading ct_super_cpu_reading(struct ct_super *s)
{
	if (!s->cg)
		return (struct vd_rate_reading){ vd_now_mono_ns(), 0 };
	return vd_rate_read(ct_super_cpu_counter, s->cg);
}

/* Keep a reading every second (the poll loop wakes for it), so a client asking once gets a
 * rate over 1-2 s; reading one counter file a second is what that costs. */
static void ct_super_rate_tick(struct ct_super *s)
{
	if (s->cg && vd_rate_ring_due_ns(&s->cpu_ring, vd_now_mono_ns()) == 0)
		vd_rate_ring_note(&s->cpu_ring, ct_super_cpu_reading(s));
}

/* Milliseconds until the next reading is due, -1 without cgroups (nothing to read). */
static int ct_super_rate_due_ms(const struct ct_super *s)
{
	if (!s->cg)
		return -1;
	uint64_t ns = vd_rate_ring_due_ns(&s->cpu_ring, vd_now_mono_ns());
	return (int)((ns + 999999) / 1000000);
}

/* The CPU counter with its stamp and, when kept, the reading a second or more before it. */
static void ct_super_put_cpu(struct ct_super *s, struct json_object *o)
{
	struct vd_rate_reading cur = ct_super_cpu_reading(s);
	vd_rate_json_put(o, cur, &s->cpu_ring);
	if (s->cg)
		vd_rate_ring_note(&s->cpu_ring, cur);
}

static struct json_object *ct_super_stats(struct ct_super *s, struct json_object *req,
					  struct vd_error **err)
{
	struct ct_stats st = { 0 };
	if (s->cg && ct_cgroup_stats(s->cg, &st, err) < 0)
		return NULL;
	struct json_object *o = vd_ctl_reply_ok();
	ct_super_put_cpu(s, o);
	vd_json_put_u64(o, "cpu_user_ns", st.cpu_user_ns);
	vd_json_put_u64(o, "cpu_sys_ns", st.cpu_sys_ns);
	vd_json_put_u64(o, "nr_throttled", st.nr_throttled);
	vd_json_put_u64(o, "throttled_ns", st.throttled_ns);
	vd_json_put_u64(o, "mem_usage", st.mem_usage);
	vd_json_put_u64(o, "mem_used", st.mem_used);
	vd_json_put_u64(o, "mem_peak", st.mem_peak);
	vd_json_put_u64(o, "mem_limit", st.mem_limit);
	vd_json_put_u64(o, "oom_events", st.oom_events);
	vd_json_put_u64(o, "oom_kills", st.oom_kills);
	vd_json_put_u64(o, "pids", st.pids);
	vd_json_put_u64(o, "io_read", st.io_read);
	vd_json_put_u64(o, "io_write", st.io_write);
	/* The host end of the veth sees the container's traffic mirrored: its tx is our rx. */
	vd_json_put_u64(o, "net_rx", s->has_net ? ct_super_netstat(s, "tx_bytes") : 0);
	vd_json_put_u64(o, "net_tx", s->has_net ? ct_super_netstat(s, "rx_bytes") : 0);
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
	return vd_error_set(err, ENOTSUP, "container %s runs with cgroups=false: %s needs cgroups",
			    s->def.name, what);
}

static struct json_object *ct_super_freeze(struct ct_super *s, bool frozen, struct vd_error **err)
{
	if (ct_super_need_cgroup(s, frozen ? "pause" : "resume", err) < 0 ||
	    ct_cgroup_freeze(s->cg, frozen, err) < 0)
		return NULL;
	s->paused = frozen;
	return vd_ctl_reply_ok();
}

static struct json_object *ct_super_pause(struct ct_super *s, struct json_object *req,
					  struct vd_error **err)
{
	return ct_super_freeze(s, true, err);
}

static struct json_object *ct_super_resume(struct ct_super *s, struct json_object *req,
					   struct vd_error **err)
{
	return ct_super_freeze(s, false, err);
}

/* A control request is untrusted: mem_bytes a whole number of bytes from 4M to the host's RAM,
 * cpus a number from 0.01 to the host's CPUs; anything else is refused before a file is written. */
static int ct_super_resize_want(struct ct_super *s, struct json_object *req, struct ct_limits *want,
				struct vd_error **err)
{
	struct json_object *mem = NULL, *cpus = NULL;
	if (json_object_object_get_ex(req, "mem_bytes", &mem)) {
		int64_t v = json_object_get_int64(mem);
		bool whole = json_object_is_type(mem, json_type_int) && v >= 0;
		if (!whole || vd_check_mem((uint64_t)v, CT_MEM_MIN) < 0)
			return vd_error_set(err, ERANGE, "container %s: mem_bytes must be a whole "
					    "number of bytes from 4M to the host's RAM",
					    s->def.name);
		want->mem_max = (uint64_t)v;
	}
	if (json_object_object_get_ex(req, "cpus", &cpus)) {
		bool number = json_object_is_type(cpus, json_type_double) ||
			      json_object_is_type(cpus, json_type_int);
		if (!number || vd_check_cpus(json_object_get_double(cpus)) < 0)
			return vd_error_set(err, ERANGE, "container %s: cpus must be a number "
					    "from %.2g to the host's %u CPUs", s->def.name,
					    VD_CPUS_MIN, vd_host_cpus());
		want->cpus = json_object_get_double(cpus);
	}
	return 0;
}

static struct json_object *ct_super_resize(struct ct_super *s, struct json_object *req,
					   struct vd_error **err)
{
	if (ct_super_need_cgroup(s, "resize", err) < 0)
		return NULL;
	struct ct_limits want = s->lim;
	if (ct_super_resize_want(s, req, &want, err) < 0)
		return NULL;
	if (ct_cgroup_set(s->cg, &want, err) < 0) {
		ct_cgroup_set(s->cg, &s->lim, NULL); /* put back what was there */
		return NULL;
	}
	s->lim = want;
	vd_failpoint("ct-super-resize");
	return vd_ctl_reply_ok();
}

static struct json_object *ct_super_kill(struct ct_super *s, struct json_object *req,
					 struct vd_error **err)
{
	int sig = (int)vd_json_i64(req, "signal", SIGKILL);
	if (sig <= 0 || sig >= NSIG) {
		vd_error_set(err, EINVAL, "container %s: signal %d does not exist", s->def.name, sig);
		return NULL;
	}
	if (s->paused && s->cg)
		ct_cgroup_freeze(s->cg, false, NULL); /* a frozen init cannot act on the signal */
	s->paused = false;
	s->kill_asked = sig;
	if (!s->exited && s->init > 0 && kill(s->init, sig) < 0 && errno != ESRCH) {
		vd_error_errno(err, errno, "container %s: kill", s->def.name);
		return NULL;
	}
	return vd_ctl_reply_ok();
}

/* A client's terminal size for the console pty; out of a winsize's range is refused rather
 * than truncated into some other size. */
static struct json_object *ct_super_winsize(struct ct_super *s, struct json_object *req,
					    struct vd_error **err)
{
	int64_t rows = vd_json_i64(req, "rows", 24), cols = vd_json_i64(req, "cols", 80);
	if (rows < 1 || rows > USHRT_MAX || cols < 1 || cols > USHRT_MAX) {
		vd_error_set(err, EINVAL, "container %s: console size %lldx%lld is out of range "
			     "1-%d", s->def.name, (long long)cols, (long long)rows, USHRT_MAX);
		return NULL;
	}
	int r = ct_console_resize(&s->con, (unsigned)rows, (unsigned)cols);
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

/* A later stop request or signal may bring the SIGKILL closer, never push it away. */
static bool ct_super_kill_later(struct ct_super *s, int timeout_s)
{
	struct itimerspec cur;
	if (timerfd_gettime(s->timerfd, &cur) < 0)
		return false;
	bool armed = cur.it_value.tv_sec || cur.it_value.tv_nsec;
	return armed && cur.it_value.tv_sec < timeout_s;
}

/* SIGTERM now, SIGKILL when the timer fires; the reply goes out when init is reaped. */
static void ct_super_begin_stop(struct ct_super *s, int timeout_s)
{
	s->stop_asked = true;
	if (!ct_super_catches_term(s->init) || timeout_s < 0)
		timeout_s = 0;
	if (ct_super_kill_later(s, timeout_s))
		return;
	if (s->paused && s->cg)
		ct_cgroup_freeze(s->cg, false, NULL);
	s->paused = false;
	if (!s->exited && s->init > 0) /* a reaped init's pid may be another process's by now */
		kill(s->init, SIGTERM);
	vd_failpoint("ct-super-stop");
	struct itimerspec it = { .it_value = { .tv_sec = timeout_s > 0 ? timeout_s : 0,
					       .tv_nsec = timeout_s > 0 ? 0 : 1 } };
	timerfd_settime(s->timerfd, 0, &it, NULL);
}

/* ------------------------------------------------------------------ the event loop */

typedef struct json_object *(*ct_super_fn)(struct ct_super *s, struct json_object *req,
					   struct vd_error **err);

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
	vd_ctl_outq_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what the client takes now; one that is gone is dropped. */
static void ct_super_flush(struct ct_client *c)
{
	if (c->fd >= 0 && vd_ctl_outq_flush(&c->out, c->fd) < 0)
		ct_super_drop(c);
}

/* A client that lets CT_CLIENT_OUT_MAX of replies pile up unread is dropped, not waited on. */
static void ct_super_reply(struct ct_client *c, struct json_object *o)
{
	if (vd_ctl_outq_line(&c->out, o, CT_CLIENT_OUT_MAX) < 0) {
		vd_debug("dropping a control client that does not read its replies");
		ct_super_drop(c);
	}
	json_object_put(o);
	ct_super_flush(c);
}

/* Console bytes for one attached client: a slow one loses bytes, it never stalls the others. */
static void ct_super_console_send(struct ct_client *c, const char *buf, size_t n)
{
	if (vd_ctl_outq_add(&c->out, buf, n, CT_CLIENT_OUT_MAX) == 0)
		ct_super_flush(c);
}

static void ct_super_console_note(struct ct_super *s, const char *note)
{
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].console)
			ct_super_console_send(&s->cl[i], note, strlen(note));
}

/* Typed input for the container; when it does not read its terminal the excess is dropped
 * and the attached consoles told once, so a flood never blocks the supervisor. */
static void ct_super_console_in(struct ct_super *s, const char *buf, size_t n)
{
	if (ct_console_input(&s->con, buf, n) != 1)
		return;
	vd_warn("container %s does not read its console: input dropped", s->def.name);
	ct_super_console_note(s, "\r\n[virtdeck: the container does not read its console; "
				 "input dropped]\r\n");
}

static void ct_super_console_start(struct ct_super *s, struct ct_client *c)
{
	ct_super_reply(c, vd_ctl_reply_ok());
	if (c->fd < 0)
		return;
	c->console = true;
	_cleanup_free_ char *back = vd_xmalloc(CT_CONSOLE_BACKLOG);
	size_t n = ct_console_backlog(&s->con, back);
	if (n)
		ct_super_console_send(c, back, n);
	if (c->fd >= 0 && c->rd->len) /* typed ahead of the switch: it belongs to the console */
		ct_super_console_in(s, c->rd->buf, c->rd->len);
	if (c->fd >= 0)
		c->rd->len = 0;
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

/* Every complete line is a request; after a "console" request the rest is console input. */
static void ct_super_requests(struct ct_super *s, struct ct_client *c)
{
	struct json_object *req = NULL;
	int r;
	while (c->fd >= 0 && !c->console && (r = vd_ctl_take_line(c->rd, &req, NULL)) != 0) {
		if (r < 0)
			return ct_super_drop(c);
		ct_super_request(s, c, req);
		json_object_put(req);
	}
}

static void ct_super_client_read(struct ct_super *s, struct ct_client *c)
{
	char tmp[4096];
	if (!c->rd) /* only a client that speaks gets a line buffer: idle ones cost no memory */
		c->rd = vd_xcalloc(1, sizeof(*c->rd));
	char *dst = c->console ? tmp : c->rd->buf + c->rd->len;
	ssize_t n = read(c->fd, dst, c->console ? sizeof(tmp) : VD_CTL_MAX_LINE - c->rd->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return ct_super_drop(c);
	c->active_ns = vd_now_mono_ns();
	if (c->console)
		return ct_super_console_in(s, tmp, (size_t)n);
	c->rd->len += (size_t)n;
	ct_super_requests(s, c);
}

/* The order clients are given up when every slot is taken: control clients idle the longest
 * first, then consoles; never one waiting for its stop to finish. */
static bool ct_super_older(const struct ct_client *a, const struct ct_client *b)
{
	if (a->console != b->console)
		return !a->console;
	return a->active_ns < b->active_ns;
}

/* A slot for a newcomer, so that a new request always gets in. */
static struct ct_client *ct_super_slot(struct ct_super *s)
{
	struct ct_client *victim = NULL;
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++) {
		struct ct_client *c = &s->cl[i];
		if (c->fd < 0)
			return c;
		if (!c->wants_exit && (!victim || ct_super_older(c, victim)))
			victim = c;
	}
	if (victim) {
		vd_debug("all %d control slots taken: dropping the client idle the longest",
			 CT_MAX_CLIENTS);
		ct_super_drop(victim);
	}
	return victim;
}

/* A few newcomers per turn, so requests already accepted are read before their slots can be
 * taken again by a crowd of new connections. */
static void ct_super_accept(struct ct_super *s)
{
	for (int k = 0; k < CT_ACCEPT_BATCH; k++) {
		struct vd_error *e = NULL;
		int fd = vd_ctl_accept(s->lfd, &e);
		if (fd < 0) {
			if (e && e->code != EAGAIN)
				vd_warn("%s", e->msg);
			vd_error_free(e);
			return;
		}
		struct ct_client *c = ct_super_slot(s);
		if (!c || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->active_ns = vd_now_mono_ns();
	}
}

/* Console output goes to the backlog and to every attached console. */
static void ct_super_console_out(struct ct_super *s)
{
	char buf[4096];
	ssize_t n = read(s->con.master, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ct_super_close(&s->con.master); /* EIO: the last holder of the slave is gone */
		return;
	}
	ct_console_record(&s->con, buf, (size_t)n);
	vd_guestlog_write(&s->glog, buf, (size_t)n);
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].console)
			ct_super_console_send(&s->cl[i], buf, (size_t)n);
}

/* Control clients that hold a slot without asking anything are let go after a while. */
static void ct_super_expire(struct ct_super *s)
{
	uint64_t now = vd_now_mono_ns();
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++) {
		struct ct_client *c = &s->cl[i];
		if (c->fd >= 0 && !c->console && !c->wants_exit && now - c->active_ns > CT_IDLE_NS)
			ct_super_drop(c);
	}
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

static short ct_super_client_events(const struct ct_client *c)
{
	return (short)(POLLIN | (c->out.len ? POLLOUT : 0));
}

/* What to wait for; *timeout_ms is how long until an idle control client may expire or the
 * next CPU reading is due. */
static size_t ct_super_pollset(struct ct_super *s, struct pollfd *p, struct ct_client **who,
			       int *timeout_ms)
{
	size_t n = 0;
	int fixed[] = { s->sigfd, s->timerfd, s->lfd, s->con.master };
	for (size_t i = 0; i < VD_ARRAY_SIZE(fixed); i++) {
		who[n] = NULL;
		p[n++] = (struct pollfd){ .fd = fixed[i], .events = POLLIN };
	}
	if (s->con.in.len)
		p[3].events |= POLLOUT;
	/* An unfinished line (a prompt) is written out once the container falls quiet. */
	*timeout_ms = s->glog.len ? CT_LOG_QUIET_MS : -1;
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++) {
		if (s->cl[i].fd < 0)
			continue;
		if (!s->cl[i].console && *timeout_ms < 0)
			*timeout_ms = 1000;
		who[n] = &s->cl[i];
		short ev = ct_super_client_events(&s->cl[i]);
		p[n++] = (struct pollfd){ .fd = s->cl[i].fd, .events = ev };
	}
	int due = ct_super_rate_due_ms(s);
	if (due >= 0 && (*timeout_ms < 0 || due < *timeout_ms))
		*timeout_ms = due;
	return n;
}

static void ct_super_dispatch_client(struct ct_super *s, struct ct_client *c, short revents)
{
	if ((revents & POLLOUT) && c->fd >= 0)
		ct_super_flush(c);
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->fd >= 0)
		ct_super_client_read(s, c);
}

static void ct_super_dispatch(struct ct_super *s, struct pollfd *p, struct ct_client **who,
			      size_t n)
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
	if ((p[3].revents & POLLOUT) && s->con.master >= 0)
		ct_console_flush(&s->con);
	if ((p[3].revents & ~POLLOUT) && s->con.master >= 0)
		ct_super_console_out(s);
	for (size_t i = 4; i < n; i++)
		if (p[i].revents && who[i]->fd >= 0)
			ct_super_dispatch_client(s, who[i], p[i].revents);
	ct_super_expire(s);
	ct_super_rate_tick(s);
	if (s->glog.len && vd_now_real_ns() - s->glog.line_ns >= CT_LOG_QUIET_MS * 1000000ull)
		vd_guestlog_flush(&s->glog);
}

/* The last replies (a stop's) get a short while to leave; nobody is waited on for longer. */
static void ct_super_flush_last(struct ct_super *s)
{
	for (int round = 0; round < 10; round++) {
		struct pollfd p[CT_MAX_CLIENTS];
		size_t n = 0;
		for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 && s->cl[i].out.len)
				p[n++] = (struct pollfd){ .fd = s->cl[i].fd, .events = POLLOUT };
		if (n == 0 || poll(p, n, 100) < 0)
			return;
		for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
			if (s->cl[i].out.len)
				ct_super_flush(&s->cl[i]);
	}
}

static void ct_super_finish(struct ct_super *s)
{
	/* Refuse new clients at once; the socket file stays until clean-up is done, so a client
	 * seeing "refused" knows to wait for the file to go (ct engine: ct_wait_gone). */
	ct_super_close(&s->lfd);
	vd_failpoint("ct-super-reaped");
	while (s->con.master >= 0) { /* the last words of init still sit in the pty */
		struct pollfd p = { .fd = s->con.master, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			break;
		ct_super_console_out(s);
	}
	vd_info("container %s: init exited (status %#x)", s->def.name, s->status);
	ct_super_record_exit(s);
	ct_super_cleanup(s);
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++) {
		if (s->cl[i].fd >= 0 && s->cl[i].wants_exit) {
			struct json_object *o = vd_ctl_reply_ok();
			json_object_object_add(o, "exit_status", json_object_new_int(s->status));
			ct_super_reply(&s->cl[i], o);
		}
	}
	ct_super_flush_last(s);
	for (size_t i = 0; i < CT_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			ct_super_drop(&s->cl[i]);
}

static void ct_super_serve(struct ct_super *s)
{
	struct pollfd p[4 + CT_MAX_CLIENTS];
	struct ct_client *who[4 + CT_MAX_CLIENTS];
	ct_super_rate_tick(s);
	while (!s->exited) {
		int timeout_ms;
		size_t n = ct_super_pollset(s, p, who, &timeout_ms);
		if (poll(p, n, timeout_ms) < 0 && errno != EINTR)
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
	s->glog.log.fd = -1;
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
			dprintf(ready_fd, "ERR %d %s", *err ? (*err)->code : -r,
				*err ? (*err)->msg : "failed: see the log");
		return r;
	}
	vd_failpoint("ct-super-after-listen");
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
		return vd_error_set(err, EIO,
				    "container %s: the supervisor died while starting: see its log",
				    name);
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
