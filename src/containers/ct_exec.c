/* ct_exec.c - exec into a running container: cgroup join, setns, its init's privileges and limits,
 * and a pty of the container's own, relayed from here, when the caller has a terminal. */
#include "containers/ct_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/relay.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_console.h"
#include "containers/ct_init.h"
#include "containers/ct_ns.h"
#include "containers/ct_super.h"

/* What the command runs as. */
struct ct_exec_ctx {
	const char *name;
	bool seccomp;
	char *const *argv;
};

/* How the command's stdio is wired. The caller's terminal itself never reaches the command: a
 * terminal fd would let it push input into the caller's shell (TIOCSTI) or change its settings. */
struct ct_exec_io {
	int term;              /* the caller's terminal (fd 0 or 1) when the command gets a pty, or -1 */
	struct ct_console pty; /* the master stays here, the slave goes to the command */
	int err_pipe[2];       /* no pty but stderr is a terminal: the command's stderr through a pipe */
};

/* The command as the relay loop sees it. */
struct ct_exec_proc {
	pid_t pid;
	int status;
	bool done;
	const struct ct_exec_io *io;
};

/* Signals the relay loop reads from a signalfd: SIGCHLD ends it, SIGWINCH resizes the pty, the
 * others go on to the command (^C from a pty never reaches us: it is a byte for the command). */
static const int ct_exec_signals[] = { SIGCHLD, SIGWINCH, SIGINT, SIGQUIT,
				       SIGTERM, SIGHUP,  SIGUSR1, SIGUSR2 };

static int ct_exec_status(const char *name, struct json_object **out, struct vd_error **err)
{
	_cleanup_free_ char *sock = NULL;
	int rc = ct_super_state_path(name, "sock", &sock, err);
	if (rc < 0)
		return rc;
	_cleanup_json_ struct json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("status"));
	int r = vd_ctl_call(sock, req, 5000, out, err);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return vd_error_wrap(err, "container %s is not running: start it first", name);
	if (r < 0)
		return r;
	return vd_ctl_check_reply(*out, err);
}

static int ct_exec_join_cgroup(const char *name, struct json_object *st, struct vd_error **err)
{
	struct ct_cgroup *cg = NULL;
	int rc = ct_cgroup_from_record(name, st, &cg, err);
	if (rc < 0)
		return rc;
	if (!cg)
		return 0;
	int r = ct_cgroup_enter_self(cg, err);
	ct_cgroup_free(cg);
	return r;
}

/* The container's limits are its init's (nofile from its definition, an OCI bundle's rlimits).
 * Copied onto us before we join its user namespace, where raising a hard limit still works;
 * the command inherits them. */
static int ct_exec_limits(const char *name, pid_t init, struct vd_error **err)
{
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit lim;
		if (prlimit(init, res, NULL, &lim) < 0)
			return vd_error_errno(err, errno, "container %s: reading the limits of its init (pid %d)",
					      name, (int)init);
		if (setrlimit(res, &lim) < 0)
			return vd_error_errno(err, errno, "container %s: taking its init's limit %d", name, res);
	}
	return 0;
}

static int ct_exec_caller_tty(void)
{
	if (isatty(STDIN_FILENO))
		return STDIN_FILENO;
	return isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
}

static void ct_exec_copy_size(const struct ct_exec_io *io)
{
	struct winsize ws;
	if (vd_relay_winsize(io->term, &ws))
		ioctl(io->pty.master, TIOCSWINSZ, &ws);
}

static void ct_exec_io_close(struct ct_exec_io *io)
{
	ct_console_close(&io->pty);
	for (int i = 0; i < 2; i++)
		if (io->err_pipe[i] >= 0)
			close(io->err_pipe[i]);
}

/* Only the master or the pipe's read end stays here: the command's ends are its own. */
static void ct_exec_io_keep_ours(struct ct_exec_io *io)
{
	int *theirs[] = { &io->pty.slave, &io->err_pipe[1] };
	for (size_t i = 0; i < VD_ARRAY_SIZE(theirs); i++) {
		if (*theirs[i] >= 0)
			close(*theirs[i]);
		*theirs[i] = -1;
	}
}

/* In the container's mount namespace already: the pty comes from its own devpts, so `tty` names
 * it inside; its ptmx node rather than /dev/ptmx, a link the container's root may replace. */
static int ct_exec_io_open(const char *name, struct ct_exec_io *io, struct vd_error **err)
{
	io->pty.master = io->pty.slave = io->err_pipe[0] = io->err_pipe[1] = -1;
	io->term = ct_exec_caller_tty();
	if (io->term >= 0) {
		const char *ptmx = access("/dev/pts/ptmx", R_OK | W_OK) == 0 ? "/dev/pts/ptmx" : "/dev/ptmx";
		int r = ct_console_open_at(&io->pty, name, ptmx, err);
		if (r == 0)
			ct_exec_copy_size(io);
		return r;
	}
	if (isatty(STDERR_FILENO) && pipe2(io->err_pipe, O_CLOEXEC) < 0)
		return vd_error_errno(err, errno, "exec in container %s: a pipe for stderr", name);
	return 0;
}

/* A new session in every case: in the caller's, the command would share its controlling tty,
 * and TIOCSTI would type into the caller's shell once exec returns. */
static int ct_exec_child_stdio(struct ct_exec_io *io, struct vd_error **err)
{
	if (io->term >= 0)
		return ct_console_attach_child(&io->pty, err);
	if (setsid() < 0)
		return vd_error_errno(err, errno, "setsid for the command");
	if (io->err_pipe[1] >= 0 && dup2(io->err_pipe[1], STDERR_FILENO) < 0)
		return vd_error_errno(err, errno, "stderr of the command");
	return 0;
}

_Noreturn static void ct_exec_child(const struct ct_exec_ctx *c, struct ct_exec_io *io)
{
	struct vd_error *e = NULL;
	const char *name = c->name;
	if (ct_exec_child_stdio(io, &e) == 0 && ct_init_chdir(name, "/", &e) == 0 &&
	    ct_init_close_fds(3, &e) == 0) {
		ct_init_env(NULL);
		ct_init_reset_signals();
		if (ct_init_secure(name, c->seccomp, &e) == 0) {
			execvp(c->argv[0], c->argv);
			vd_error_errno(&e, errno, "container %s: exec %s", name, c->argv[0]);
		}
	}
	fprintf(stderr, "virtdeck-ct: %s\n", e ? e->msg : "exec failed");
	_exit(127);
}

static int ct_exec_exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void ct_exec_wait(struct ct_exec_proc *p, int flags)
{
	int st;
	pid_t r = waitpid(p->pid, &st, flags);
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	p->status = r < 0 ? 127 : ct_exec_exit_code(st);
	p->done = true;
}

static int ct_exec_on_signal(struct vd_relay *r)
{
	struct ct_exec_proc *p = r->data;
	struct signalfd_siginfo si;
	if (read(r->event_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	switch (si.ssi_signo) {
	case SIGCHLD:
		ct_exec_wait(p, WNOHANG);
		return p->done;
	case SIGWINCH:
		if (p->io->term >= 0)
			ct_exec_copy_size(p->io);
		return 0;
	default:
		kill(p->pid, (int)si.ssi_signo);
		return 0;
	}
}

/* Our input ended. From a pipe or file: the command reads its EOF key, as from a terminal. The
 * caller's terminal itself ending means it hung up: so does the command's. */
static void ct_exec_input_closed(struct ct_exec_proc *p, struct vd_relay *r)
{
	r->user_in = -1;
	if (p->io->term == STDIN_FILENO) {
		kill(p->pid, SIGHUP);
		return;
	}
	struct termios t;
	if (tcgetattr(r->guest, &t) == 0 && write(r->guest, &t.c_cc[VEOF], 1) < 0)
		kill(p->pid, SIGHUP);
}

/* Relay until the command has exited, then pass on what it left in the pty or pipe. */
static void ct_exec_relay(struct ct_exec_proc *p, struct vd_relay *r)
{
	while (!p->done) {
		enum vd_relay_end end = vd_relay_run(r);
		if (end == VD_RELAY_USER_CLOSED) {
			ct_exec_input_closed(p, r);
		} else if (end == VD_RELAY_GUEST_CLOSED) {
			r->guest = r->user_in = -1; /* the command closed its side: only wait now */
		} else if (end == VD_RELAY_OUTPUT_CLOSED) {
			r->guest = r->user_in = -1;
			kill(p->pid, SIGHUP); /* nobody reads its output any more */
		} else if (end == VD_RELAY_ERROR) {
			kill(p->pid, SIGKILL);
			ct_exec_wait(p, 0);
		}
	}
	vd_relay_drain(r);
}

/* The caller's terminal is raw while the command has the pty: every key goes to the command. It
 * is restored on every way out, signals included (they arrive through the signalfd). */
static int ct_exec_supervise(pid_t pid, const struct ct_exec_io *io, int sfd)
{
	struct ct_exec_proc p = { .pid = pid, .io = io };
	struct vd_relay r = { .user_in = -1, .user_out = STDOUT_FILENO, .guest = -1, .event_fd = sfd,
			      .detach_key = -1, .on_event = ct_exec_on_signal, .data = &p };
	struct termios saved;
	bool raw = false;
	if (io->term >= 0) {
		r.user_in = STDIN_FILENO;
		r.guest = io->pty.master;
		raw = io->term == STDIN_FILENO && vd_relay_raw(STDIN_FILENO, &saved);
	} else if (io->err_pipe[0] >= 0) {
		r.user_out = STDERR_FILENO;
		r.guest = io->err_pipe[0];
	}
	ct_exec_relay(&p, &r);
	if (raw)
		vd_relay_restore(STDIN_FILENO, &saved);
	return p.status;
}

/* Blocked before the fork so none is lost; the child unblocks them (ct_init_reset_signals). */
static int ct_exec_signalfd(sigset_t *old, struct vd_error **err)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_exec_signals); i++)
		sigaddset(&set, ct_exec_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
	signal(SIGPIPE, SIG_IGN); /* a reader of our output going away is an error from write */
	int fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		return vd_error_errno(err, errno, "exec: signalfd");
	return fd;
}

static int ct_exec_spawn(const struct ct_exec_ctx *c, struct vd_error **err)
{
	_cleanup_(ct_exec_io_close) struct ct_exec_io io = {
		.pty = { .master = -1, .slave = -1 }, .err_pipe = { -1, -1 }, .term = -1 };
	int r = ct_exec_io_open(c->name, &io, err);
	if (r < 0)
		return r;
	sigset_t old;
	_cleanup_close_ int sfd = ct_exec_signalfd(&old, err);
	if (sfd < 0)
		return sfd;
	/* setns(pid) applies to children only: fork so the command is inside. */
	pid_t pid = fork();
	if (pid < 0)
		return vd_error_errno(err, errno, "exec in container %s: fork", c->name);
	if (pid == 0)
		ct_exec_child(c, &io);
	ct_exec_io_keep_ours(&io);
	int status = ct_exec_supervise(pid, &io, sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}

int ct_exec_run(const char *name, char *const *argv, struct vd_error **err)
{
	_cleanup_json_ struct json_object *st = NULL;
	if (!argv || !argv[0])
		return vd_error_set(err, EINVAL, "exec in container %s: no command given", name);
	int r = ct_exec_status(name, &st, err);
	if (r < 0)
		return r;
	if (vd_streq(vd_json_str(st, "state", ""), "paused"))
		return vd_error_set(err, EAGAIN, "container %s is paused: resume it before exec", name);
	pid_t init = (pid_t)vd_json_i64(st, "init_pid", 0);
	if (init <= 0)
		return vd_error_set(err, ESRCH, "container %s: its supervisor reported no init", name);
	struct ct_exec_ctx c = { .name = name, .argv = argv };
	c.seccomp = vd_json_bool(st, "seccomp", true);
	bool userns = false;
	r = ct_exec_limits(name, init, err);
	if (r == 0)
		r = ct_exec_join_cgroup(name, st, err);
	if (r == 0)
		r = ct_ns_join(name, init, &userns, err);
	if (r < 0)
		return r;
	/* Root of its user namespace before the pty is made: the pty then belongs to the container's
	 * root, who may reopen it by name, and while we relay we keep no host identity. */
	if (userns && (r = ct_ns_become_root(name, err)) < 0)
		return r;
	/* Until it execs, our child is visible in the container running virtdeck-ct: not dumpable,
	 * so the container's root cannot open its /proc/PID/exe and overwrite us (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return ct_exec_spawn(&c, err);
}
