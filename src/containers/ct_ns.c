/* ct_ns.c - clone3/clone into new namespaces and setns into an existing container. */
#include "containers/ct_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3 without a stack behaves like fork: the child resumes here on a copy of our stack. */
static pid_t ct_ns_clone3(unsigned long flags, int cgroup_fd)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	long r = syscall(SYS_clone3, &args, sizeof(args));
	return r < 0 ? -errno : (pid_t)r;
}

pid_t ct_ns_clone(unsigned long flags, int cgroup_fd, struct vd_error **err)
{
	pid_t pid = ct_ns_clone3(flags, cgroup_fd);
	if (pid >= 0)
		return pid;
	/* Old kernels (no clone3, or no CLONE_INTO_CGROUP): plain clone, the caller attaches. */
	long r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (r < 0)
		return vd_error_errno(err, errno, "clone into new namespaces (flags %#lx)", flags);
	return (pid_t)r;
}

static const struct {
	const char *file;
	int type;
} ct_ns_order[] = {
	/* mnt last: after it, /proc/PID/ns of the host is no longer reachable by path. */
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};

int ct_ns_join(const char *name, pid_t pid, struct vd_error **err)
{
	int fds[VD_ARRAY_SIZE(ct_ns_order)];
	int r = 0;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_ns_order); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ct_ns_order[i].file);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && r == 0)
			r = vd_error_errno(err, errno, "container %s: opening %s", name, path);
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_ns_order) && r == 0; i++)
		if (setns(fds[i], ct_ns_order[i].type) < 0)
			r = vd_error_errno(err, errno, "container %s: entering its %s namespace", name,
					   ct_ns_order[i].file);
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_ns_order); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}
