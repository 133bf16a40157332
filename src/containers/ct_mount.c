/* ct_mount.c - building a container's filesystem view and switching into it with pivot_root. */
#include "containers/ct_mount.h"

#include "containers/ct_def.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const char *const ct_mount_masked[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};
const char *const ct_mount_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct ct_mount_node {
	const char *name;
	unsigned maj, min;
};

static const struct ct_mount_node ct_mount_nodes[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const char *const ct_mount_links[][2] = {
	{ "/proc/self/fd", "fd" },	   { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
	{ "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
};

/* Open rel below dirfd with no symlink anywhere on the way (CVE-2019-19921, CVE-2023-27561). */
static int ct_mount_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* The mount target rel (a directory, created if missing), as an O_PATH fd. */
static int ct_mount_target(const char *name, int rootfd, const char *rel, struct vd_error **err)
{
	int fd = ct_mount_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY);
	if (fd == -ENOENT && mkdirat(rootfd, rel, 0755) == 0)
		fd = ct_mount_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY);
	if (fd == -ELOOP || fd == -ENOTDIR)
		return vd_error_set(
			err, ELOOP,
			"container %s: /%s in the rootfs is a symlink or not a directory: "
			"refusing to mount over it (it could point at the host)",
			name, rel);
	if (fd < 0)
		return vd_error_errno(err, fd, "container %s: cannot open /%s in the rootfs", name, rel);
	return fd;
}

/* Mount through /proc/self/fd/N so the target cannot be swapped for a symlink in between. */
static int ct_mount_fd(const char *name, const char *src, int fd, const char *what,
		       const char *type, unsigned long flags, const char *data,
		       struct vd_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mount(src, path, type, flags, data) < 0)
		return vd_error_errno(err, errno, "container %s: mounting %s on %s", name,
				      type ? type : src, what);
	return 0;
}

static int ct_mount_at(const char *name, int rootfd, const char *rel, const char *src,
		       const char *type, unsigned long flags, const char *data,
		       struct vd_error **err)
{
	_cleanup_close_ int fd = ct_mount_target(name, rootfd, rel, err);
	if (fd < 0)
		return fd;
	return ct_mount_fd(name, src, fd, rel, type, flags, data, err);
}

/* An empty file with the host's node bound over it: a user namespace may not mknod. */
static int ct_mount_bind_node(const char *name, int devfd, const char *node, struct vd_error **err)
{
	_cleanup_close_ int f =
		openat(devfd, node, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
	_cleanup_close_ int t = f < 0 ? -1 : openat(devfd, node, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (t < 0)
		return vd_error_errno(err, errno, "container %s: creating /dev/%s", name, node);
	_cleanup_free_ char *src = vd_xasprintf("/dev/%s", node);
	return ct_mount_fd(name, src, t, src, NULL, MS_BIND, NULL, err);
}

static int ct_mount_dev_nodes(const char *name, int devfd, bool userns, struct vd_error **err)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_mount_nodes); i++) {
		const struct ct_mount_node *n = &ct_mount_nodes[i];
		int r = userns ? ct_mount_bind_node(name, devfd, n->name, err) : 0;
		if (r < 0)
			return r;
		if (!userns && mknodat(devfd, n->name, S_IFCHR | 0666, makedev(n->maj, n->min)) < 0)
			return vd_error_errno(err, errno, "container %s: mknod /dev/%s", name, n->name);
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_mount_links); i++)
		if (symlinkat(ct_mount_links[i][0], devfd, ct_mount_links[i][1]) < 0)
			return vd_error_errno(err, errno, "container %s: symlink /dev/%s", name, ct_mount_links[i][1]);
	return 0;
}

/* The pty slave appears as /dev/console, bound over an empty file like runc does. */
static int ct_mount_console(const char *name, int devfd, const char *console, struct vd_error **err)
{
	_cleanup_close_ int f = openat(devfd, "console",
				       O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return vd_error_errno(err, errno, "container %s: creating /dev/console", name);
	_cleanup_close_ int t = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (t < 0)
		return vd_error_errno(err, errno, "container %s: opening /dev/console", name);
	return ct_mount_fd(name, console, t, "dev/console", NULL, MS_BIND, NULL, err);
}

static int ct_mount_dev(const char *name, int rootfd, const char *console, bool userns,
			struct vd_error **err)
{
	unsigned long fl = MS_NOSUID | MS_NOEXEC;
	int r = ct_mount_at(name, rootfd, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			    "mode=755,size=65536k", err);
	if (r < 0)
		return r;
	_cleanup_close_ int devfd = ct_mount_open_beneath(rootfd, "dev", O_DIRECTORY | O_RDONLY);
	if (devfd < 0)
		return vd_error_errno(err, devfd, "container %s: opening the new /dev", name);
	r = ct_mount_dev_nodes(name, devfd, userns, err);
	if (r < 0)
		return r;
	const char *pts = "newinstance,ptmxmode=0666,mode=0620", *shm = "mode=1777,size=65536k";
	r = ct_mount_at(name, devfd, "pts", "devpts", "devpts", fl, pts, err);
	if (r == 0)
		r = ct_mount_at(name, devfd, "shm", "shm", "tmpfs", fl | MS_NODEV, shm, err);
	if (r == 0)
		r = ct_mount_at(name, devfd, "mqueue", "mqueue", "mqueue", fl | MS_NODEV, NULL,
				err);
	if (r < 0)
		return r;
	return console ? ct_mount_console(name, devfd, console, err) : 0;
}

static int ct_mount_kernel_fs(const char *name, int rootfd, struct vd_error **err)
{
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = ct_mount_at(name, rootfd, "proc", "proc", "proc", fl, NULL, err);
	if (r < 0)
		return r;
	return ct_mount_at(name, rootfd, "sys", "sysfs", "sysfs", fl | MS_RDONLY, NULL, err);
}

/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only ours. */
static int ct_mount_pivot(const char *name, int rootfd, struct vd_error **err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || fchdir(rootfd) < 0)
		return vd_error_errno(err, errno, "container %s: entering the rootfs", name);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return vd_error_errno(err, errno, "container %s: pivot_root", name);
	if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return vd_error_errno(err, errno, "container %s: isolating the old root", name);
	if (umount2(".", MNT_DETACH) < 0)
		return vd_error_errno(err, errno, "container %s: detaching the old root", name);
	if (fchdir(rootfd) < 0 || chdir("/") < 0)
		return vd_error_errno(err, errno, "container %s: chdir to the new root", name);
	return 0;
}

/* Mask with the /dev/null we made, after checking it really is the 1:3 device (CVE-2025-31133). */
static int ct_mount_mask_one(const char *name, const char *path, struct vd_error **err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0; /* not present on this kernel: nothing to hide */
	if (S_ISDIR(st.st_mode))
		return ct_mount_fd(name, "tmpfs", fd, path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				   "size=0", err);
	struct stat ns;
	if (stat("/dev/null", &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
		return vd_error_set(
			err, EPERM,
			"container %s: /dev/null is not the null device: refusing to mask %s", name,
			path);
	return ct_mount_fd(name, "/dev/null", fd, path, NULL, MS_BIND, NULL, err);
}

static int ct_mount_readonly_one(const char *name, const char *path, struct vd_error **err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int r = ct_mount_fd(name, path, fd, path, NULL, MS_BIND | MS_REC, NULL, err);
	if (r < 0)
		return r;
	_cleanup_close_ int top = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC); /* the new bind mount */
	if (top < 0)
		return vd_error_errno(err, errno, "container %s: reopening %s", name, path);
	return ct_mount_fd(name, NULL, top, path, NULL,
			   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   NULL, err);
}

static int ct_mount_masks(const char *name, struct vd_error **err)
{
	int r = 0;
	for (size_t i = 0; r == 0 && ct_mount_masked[i]; i++)
		r = ct_mount_mask_one(name, ct_mount_masked[i], err);
	for (size_t i = 0; r == 0 && ct_mount_readonly[i]; i++)
		r = ct_mount_readonly_one(name, ct_mount_readonly[i], err);
	return r;
}

static int ct_mount_open_rootfs(const char *name, const char *rootfs, bool userns,
				struct vd_error **err)
{
	int fd = ct_def_open_rootfs(rootfs, O_PATH);
	if (fd == -ELOOP)
		return vd_error_set(err, ELOOP, "container %s: rootfs %s is reached through a "
				    "symlink: refusing to follow it (swapped after create?); set "
				    "rootfs= to the real directory", name, rootfs);
	if (fd == -EACCES && userns)
		return vd_error_errno(err, fd, "container %s: rootfs %s is out of reach of its "
				      "user namespace: every directory above it must be "
				      "searchable by the mapped uid", name, rootfs);
	if (fd < 0)
		return vd_error_errno(err, fd, "container %s: opening rootfs %s", name, rootfs);
	return fd;
}

/*
 * The rootfs becomes a mount of its own, made from a fd and never from the path again: the
 * directory is opened with no symlink on its path, cloned (open_tree) and the clone attached
 * over it (move_mount), so swapping the path for a symlink after the check cannot win. Returns
 * the fd of the new mount's root.
 */
static int ct_mount_rootfs(const char *name, const char *rootfs, bool userns, struct vd_error **err)
{
	_cleanup_close_ int dir = ct_mount_open_rootfs(name, rootfs, userns, err);
	if (dir < 0)
		return dir;
	unsigned clone = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE;
	_cleanup_close_ int tree = open_tree(dir, "", clone);
	if (tree < 0)
		return vd_error_errno(err, errno, "container %s: bind-mounting rootfs %s", name,
				      rootfs);
	if (move_mount(tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return vd_error_errno(err, errno, "container %s: attaching the rootfs mount %s",
				      name, rootfs);
	return TAKE_FD(tree);
}

int ct_mount_setup(const char *name, const char *rootfs, const char *console, bool userns,
		   struct vd_error **err)
{
	/* Nothing we mount may propagate back to the host (containers.md §4.6). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return vd_error_errno(err, errno, "container %s: making / private", name);
	_cleanup_close_ int rootfd = ct_mount_rootfs(name, rootfs, userns, err);
	if (rootfd < 0)
		return rootfd;
	mode_t old = umask(0);
	int r = ct_mount_kernel_fs(name, rootfd, err);
	if (r == 0)
		r = ct_mount_dev(name, rootfd, console, userns, err);
	umask(old);
	if (r == 0)
		r = ct_mount_pivot(name, rootfd, err);
	if (r < 0)
		return r;
	return ct_mount_masks(name, err);
}

/* Only hierarchies where the container has its own group (the ones ct_cgroup creates): in
 * the others (name=systemd, hybrid's unified) its namespace root is the host's. */
static bool ct_mount_managed(const char *ctrls)
{
	static const char *const mine[] = { "cpu",  "cpuacct", "cpuset", "memory",
					    "pids", "freezer", "blkio",  "devices" };
	_cleanup_free_ char *list = vd_xasprintf(",%s,", ctrls);
	for (size_t i = 0; i < VD_ARRAY_SIZE(mine); i++) {
		_cleanup_free_ char *want = vd_xasprintf(",%s,", mine[i]);
		if (strstr(list, want))
			return true;
	}
	return false;
}

/* One v1 line of /proc/self/cgroup ("4:memory:/"): mount that hierarchy under dirfd. */
static int ct_mount_hierarchy(const char *name, int dirfd, char *line, struct vd_error **err)
{
	char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return 0;
	*c2 = '\0';
	const char *ctrls = c1 + 1;
	if (!*ctrls || !ct_mount_managed(ctrls))
		return 0;
	unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	return ct_mount_at(name, dirfd, ctrls, "cgroup", "cgroup", fl, ctrls, err);
}

static int ct_mount_v1_views(const char *name, int dirfd, char *text, struct vd_error **err)
{
	char *save = NULL;
	int r = 0;
	for (char *l = strtok_r(text, "\n", &save); l && r == 0; l = strtok_r(NULL, "\n", &save))
		r = ct_mount_hierarchy(name, dirfd, l, err);
	return r;
}

int ct_mount_cgroupfs(const char *name, bool v2, struct vd_error **err)
{
	_cleanup_free_ char *text = NULL;
	if (vd_read_file("/proc/self/cgroup", &text, NULL) < 0)
		return vd_error_set(err, EIO, "container %s: cannot read /proc/self/cgroup", name);
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v2)
		return ct_mount_at(name, root, "sys/fs/cgroup", "cgroup2", "cgroup2", fl | MS_RDONLY, NULL, err);
	int r = ct_mount_at(name, root, "sys/fs/cgroup", "tmpfs", "tmpfs", fl, "mode=755,size=64k",
			    err);
	if (r < 0)
		return r;
	_cleanup_close_ int dir = ct_mount_open_beneath(root, "sys/fs/cgroup", O_PATH | O_DIRECTORY);
	if (dir < 0)
		return vd_error_errno(err, dir, "container %s: opening /sys/fs/cgroup", name);
	r = ct_mount_v1_views(name, dir, text, err);
	if (r < 0)
		return r;
	_cleanup_close_ int top = ct_mount_open_beneath(root, "sys/fs/cgroup", O_PATH | O_DIRECTORY);
	return ct_mount_fd(name, NULL, top, "sys/fs/cgroup", NULL,
			   MS_REMOUNT | MS_BIND | MS_RDONLY | fl, NULL, err);
}
