/* ct_exec.c - exec into a running container: cgroup join, setns, same privileges as its init. */
#include "containers/ct_exec.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ctl.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_init.h"
#include "containers/ct_ns.h"
#include "containers/ct_super.h"

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

_Noreturn static void ct_exec_child(const char *name, bool seccomp, bool userns, char *const *argv)
{
	struct vd_error *e = NULL;
	if ((!userns || ct_ns_become_root(name, &e) == 0) && ct_init_chdir(name, "/", &e) == 0 &&
	    ct_init_close_fds(3, &e) == 0) {
		ct_init_env(NULL);
		ct_init_reset_signals();
		if (ct_init_secure(name, seccomp, &e) == 0) {
			execvp(argv[0], argv);
			vd_error_errno(&e, errno, "container %s: exec %s", name, argv[0]);
		}
	}
	fprintf(stderr, "virtdeck-ct: %s\n", e ? e->msg : "exec failed");
	_exit(127);
}

static int ct_exec_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
	bool seccomp = vd_json_bool(st, "seccomp", true);
	if (init <= 0)
		return vd_error_set(err, ESRCH, "container %s: its supervisor reported no init", name);
	bool userns = false;
	r = ct_exec_join_cgroup(name, st, err);
	if (r < 0)
		return r;
	r = ct_ns_join(name, init, &userns, err);
	if (r < 0)
		return r;
	/* Until it execs, our child is visible in the container running virtdeck-ct: not dumpable,
	 * so the container's root cannot open its /proc/PID/exe and overwrite us (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* setns(pid) applies to children only: fork so the command is inside. */
	pid_t pid = fork();
	if (pid < 0)
		return vd_error_errno(err, errno, "exec in container %s: fork", name);
	if (pid == 0)
		ct_exec_child(name, seccomp, userns, argv);
	signal(SIGINT, SIG_IGN); /* ^C belongs to the command */
	signal(SIGQUIT, SIG_IGN);
	return ct_exec_wait(pid);
}
