/* ct_ns.c - clone3/clone into new namespaces and setns into an existing container. */
#include "containers/ct_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/stat.h>
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

pid_t ct_ns_clone(unsigned long flags, int cgroup_fd, bool *placed, struct vd_error **err)
{
	pid_t pid = ct_ns_clone3(flags, cgroup_fd);
	*placed = pid >= 0 && cgroup_fd >= 0;
	if (pid >= 0)
		return pid;
	/* Old kernels (no clone3, or no CLONE_INTO_CGROUP): plain clone, the caller attaches. */
	long r = syscall(SYS_clone, (flags & ~(unsigned long)CLONE_NEWTIME) | SIGCHLD, NULL, NULL,
			 NULL, NULL);
	if (r < 0)
		return vd_error_errno(err, errno, "clone into new namespaces (flags %#lx)", flags);
	return (pid_t)r;
}

static const struct {
	const char *file;
	int type;
} ct_ns_order[] = {
	/* mnt last: after it, /proc/PID/ns of the host is no longer reachable by path. */
	{ "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID }, { "time", CLONE_NEWTIME },
	{ "mnt", CLONE_NEWNS },
};

int ct_ns_write_maps(const char *name, pid_t pid, uint64_t base, uint64_t size,
		     struct vd_error **err)
{
	char line[64];
	snprintf(line, sizeof(line), "0 %llu %llu\n", (unsigned long long)base, (unsigned long long)size);
	static const char *const maps[] = { "uid_map", "gid_map" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(maps); i++) {
		_cleanup_free_ char *path = vd_xasprintf("/proc/%d/%s", (int)pid, maps[i]);
		int r = vd_write_file(path, line);
		if (r < 0)
			return vd_error_errno(err, r, "container %s: writing %s (%s)", name, maps[i], line);
	}
	return 0;
}

int ct_ns_become_root(const char *name, struct vd_error **err)
{
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return vd_error_errno(err, errno, "container %s: becoming root of its user namespace", name);
	return 0;
}

/* pid's namespace of this kind differs from ours: the container has its own. */
static bool ct_ns_differs(pid_t pid, const char *file)
{
	char path[64], self[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, file);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", file);
	return stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_ino != b.st_ino;
}

static int ct_ns_enter(const char *name, pid_t pid, const char *file, int type,
		       struct vd_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vd_error_errno(err, errno, "container %s: opening %s", name, path);
	if (setns(fd, type) < 0)
		return vd_error_errno(err, errno, "container %s: entering its %s namespace", name, file);
	return 0;
}

int ct_ns_join(const char *name, pid_t pid, bool *userns, struct vd_error **err)
{
	/* The mnt namespace last: once in it, the host's /proc/PID is out of reach. Keep the
	 * container's /proc/PID/ns open before that by entering in this order. */
	_cleanup_close_ int mnt = -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	mnt = open(path, O_RDONLY | O_CLOEXEC);
	if (mnt < 0)
		return vd_error_errno(err, errno, "container %s: opening %s", name, path);
	*userns = ct_ns_differs(pid, "user");
	int r = *userns ? ct_ns_enter(name, pid, "user", CLONE_NEWUSER, err) : 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_ns_order) - 1; i++) {
		if (ct_ns_order[i].type == CLONE_NEWTIME && !ct_ns_differs(pid, "time"))
			continue; /* a container started on a kernel without time namespaces */
		int rc = ct_ns_enter(name, pid, ct_ns_order[i].file, ct_ns_order[i].type, err);
		if (rc < 0)
			return rc;
	}
	if (setns(mnt, CLONE_NEWNS) < 0)
		return vd_error_errno(err, errno, "container %s: entering its mnt namespace", name);
	return 0;
}
