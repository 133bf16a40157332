/* ct_init.c - the cloned child: mounts, hostname, console, fds, cwd, privileges, then exec. */
#include "containers/ct_init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "containers/ct_caps.h"
#include "containers/ct_console.h"
#include "containers/ct_mount.h"
#include "containers/ct_ns.h"
#include "containers/ct_seccomp.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define CT_SYNC_FD 3

static int ct_init_sync = -1; /* where errors go: the sync socket, wherever it now lives */

_Noreturn static void ct_init_fail(int sync_fd, struct vd_error *e)
{
	char msg[1024], junk[8];
	/* Consume what the supervisor already sent ("C"): closing a socket with unread data resets
	 * the connection, and the reset would swallow our message. */
	while (sync_fd >= 0 && recv(sync_fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	int n = snprintf(msg, sizeof(msg), "%d %s", e ? e->code : EIO,
			 e ? e->msg : "container init failed");
	if (n > 0 && sync_fd >= 0)
		send(sync_fd, msg, (size_t)(n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1), MSG_NOSIGNAL);
	_exit(127);
}

int ct_init_close_fds(int from, struct vd_error **err)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0)
		return 0;
	/* close_range is 5.9+; walk /proc/self/fd otherwise. */
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	if (!d)
		return vd_error_errno(err, errno, "listing open fds");
	int self = dirfd(d);
	for (struct dirent *e = readdir(d); e; e = readdir(d)) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= from && fd != self)
			close(fd);
	}
	return 0;
}

void ct_init_reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* ignored signals would stay ignored across exec */
}

void ct_init_env(const char *hostname)
{
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "xterm", 1);
	setenv("container", "virtdeck", 1);
	if (hostname)
		setenv("HOSTNAME", hostname, 1);
}

int ct_init_secure(const char *name, bool seccomp, struct vd_error **err)
{
	int r = ct_caps_apply(name, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vd_error_errno(err, errno, "container %s: PR_SET_NO_NEW_PRIVS", name);
	return seccomp ? ct_seccomp_load(name, err) : 0;
}

int ct_init_chdir(const char *name, const char *cwd, struct vd_error **err)
{
	if (chdir(cwd) < 0)
		return vd_error_errno(err, errno, "container %s: cwd %s", name, cwd);
	char buf[4096];
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return vd_error_set(err, EPERM, "container %s: cwd %s resolves outside the container: possible "
				    "breakout attempt, refusing to start", name, cwd);
	return 0;
}

static int ct_init_limits(const struct ct_def *d, struct vd_error **err)
{
	struct rlimit nofile = { d->nofile, d->nofile };
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return vd_error_errno(err, errno, "container %s: RLIMIT_NOFILE=%llu", d->name,
				      (unsigned long long)d->nofile);
	struct rlimit core = { 0, RLIM_INFINITY };
	setrlimit(RLIMIT_CORE, &core);
	return 0;
}

/*
 * While it sets up, init dies with its supervisor: one killed mid-start must not leave a
 * half-made container nobody knows of. A supervisor that died before this call is seen by the
 * caller instead: its end of the sync socket then reads EOF (getppid() cannot tell, it is 0
 * in a new pid namespace). Becoming root of a user namespace clears the setting: set it again.
 */
static void ct_init_die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* Everything that still needs the host's view: namespaces, network, mounts. */
static int ct_init_namespaces(const struct ct_init_args *a, struct vd_error **err)
{
	const struct ct_def *d = a->def;
	int r = a->self_attach ? ct_cgroup_enter_self(a->self_attach, err) : 0;
	if (r < 0)
		return r;
	r = d->userns_base ? ct_ns_become_root(d->name, err) : 0;
	if (r < 0)
		return r;
	ct_init_die_with_parent();
	r = d->net != CT_NET_NONE ? ct_net_child_setup(d->name, a->net, err) : 0;
	if (r < 0)
		return r;
	r = ct_mount_setup(d->name, d->rootfs, a->console, d->userns_base != 0, err);
	if (r < 0)
		return r;
	const char *host = d->hostname ? d->hostname : d->name;
	if (sethostname(host, strlen(host)) < 0)
		return vd_error_errno(err, errno, "container %s: sethostname %s", d->name, host);
	return 0;
}

/* Only stdio (the pty) and the sync socket survive, and the latter closes on exec. */
static int ct_init_fds(const struct ct_init_args *a, struct vd_error **err)
{
	struct ct_console con = { .slave = a->console_fd, .master = -1 };
	int r = a->console_fd >= 0 ? ct_console_attach_child(&con, err) : 0;
	if (r < 0)
		return r;
	if (a->console_fd < 0 && setsid() < 0)
		return vd_error_errno(err, errno, "setsid in the container");
	if (a->sync_fd != CT_SYNC_FD && dup3(a->sync_fd, CT_SYNC_FD, O_CLOEXEC) < 0)
		return vd_error_errno(err, errno, "moving the sync socket");
	ct_init_sync = CT_SYNC_FD;
	return ct_init_close_fds(CT_SYNC_FD + 1, err);
}

/* The supervisor moves us into the cgroup while we mount (the first v1 attach waits for an RCU
 * grace period, ~8 ms here); we wait for it before anything runs that the limits must cover,
 * and only then take a cgroup namespace, so its root is the container's own group. */
static int ct_init_wait_cgroup(const struct ct_init_args *a, struct vd_error **err)
{
	char c = 0;
	if (recv(a->sync_fd, &c, 1, 0) != 1 || c != 'C')
		return vd_error_set(err, EIO, "container %s: the supervisor did not place init in its cgroup",
				    a->def->name);
	if (!a->cgroupns)
		return 0;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return vd_error_errno(err, errno, "container %s: unsharing the cgroup namespace", a->def->name);
	if (a->def->userns_base && !a->cgroup_v2)
		return 0; /* the kernel mounts v1 hierarchies only for the initial user namespace */
	return ct_mount_cgroupfs(a->def->name, a->cgroup_v2, err);
}

static int ct_init_prepare(const struct ct_init_args *a, struct vd_error **err)
{
	const struct ct_def *d = a->def;
	int r = ct_init_namespaces(a, err);
	if (r == 0)
		r = ct_init_limits(d, err);
	if (r == 0)
		r = ct_init_wait_cgroup(a, err);
	if (r == 0)
		r = ct_init_fds(a, err);
	if (r < 0)
		return r;
	r = ct_init_chdir(d->name, d->cwd ? d->cwd : "/", err);
	if (r < 0)
		return r;
	ct_init_env(d->hostname ? d->hostname : d->name);
	ct_init_reset_signals();
	/* Deliberately cleared before exec: from here on it is the user's workload, and a
	 * supervisor that dies later (OOM-killed, killed by mistake) must not take it down.
	 * The record written at clone keeps it visible as crashed and killable (ct_recover). */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	return ct_init_secure(d->name, d->seccomp, err);
}

_Noreturn void ct_init_run(const struct ct_init_args *a)
{
	struct vd_error *e = NULL;
	char go = 0;
	ct_init_sync = a->sync_fd;
	/* Not dumpable while host fds and paths are around (crun does the same). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ct_init_die_with_parent();
	if (recv(a->sync_fd, &go, 1, 0) != 1 || go != 'G')
		_exit(126); /* the supervisor gave up on us */
	_cleanup_strv_ char **argv = ct_def_argv(a->def);
	if (ct_init_prepare(a, &e) < 0)
		ct_init_fail(ct_init_sync, e);
	execve(argv[0], argv, environ);
	vd_error_errno(&e, errno, "container %s: exec %s", a->def->name, argv[0]);
	ct_init_fail(ct_init_sync, e);
}
