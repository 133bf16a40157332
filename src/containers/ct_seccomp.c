/* ct_seccomp.c - the default seccomp filter: Docker's allow-list, EPERM for every other call. */
#include "containers/ct_seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/ioctl.h>

/*
 * The calls of Docker's default profile (moby profiles/seccomp/default.json) that need no
 * capability beyond the 14 a container keeps, for x86-64 and its 32-bit and x32 entry points.
 * Left out on purpose: the io_uring calls (Docker dropped them too: io_uring has been a steady
 * source of kernel exploits and bypasses seccomp for the work it queues), and everything Docker
 * grants only with CAP_SYS_ADMIN, SYS_MODULE, SYS_TIME, SYS_PTRACE, SYS_NICE, BPF... which a
 * container never has. chroot is in: CAP_SYS_CHROOT is kept. ptrace is in as in Docker: since
 * Linux 4.8 the filter is checked again after a tracer changed a call.
 */
static const char *const ct_seccomp_allow[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
	"cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "chroot",
	"clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
	"clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
	"connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
	"fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
	"futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
	"getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
	"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
	"get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
	"gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
	"io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
	"io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
	"listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
	"lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
	"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
	"mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	"munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
	"open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "process_vm_readv",
	"process_vm_writev", "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev",
	"pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
	"recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
	"renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
	"sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	"sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
	"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
	"setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
	"set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
	"shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socket",
	"socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
	"symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
	"time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
	"timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
	"truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
};

#define ALLOW_IF(call, argn, m, v) { call, CT_SECCOMP_ALLOW_IF, 0, argn, m, v }
#define DENY_IF(call, argn, m, v) { call, CT_SECCOMP_DENY_IF, 0, argn, m, v }
/* The namespace flags of clone: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
#define CT_CLONE_NS_MASK 0x7E020000ull
/* The kernel reads ioctl's request, socket's family and the persona as 32-bit ints: a test of
 * all 64 bits would let a caller slip past with high bits set (flatpak's CVE-2019-10063). */
#define LOW32 0xffffffffull
#define CT_AF_VSOCK 40

static const struct ct_seccomp_rule ct_seccomp_rules[] = {
	/* Docker's argument rules: clone without namespaces, five personalities. */
	ALLOW_IF("clone", 0, CT_CLONE_NS_MASK, 0),
	ALLOW_IF("personality", 0, LOW32, 0),		/* PER_LINUX */
	ALLOW_IF("personality", 0, LOW32, 0x0008),	/* PER_LINUX32 */
	ALLOW_IF("personality", 0, LOW32, 0x20000),	/* UNAME26 */
	ALLOW_IF("personality", 0, LOW32, 0x20008),	/* UNAME26 | PER_LINUX32 */
	ALLOW_IF("personality", 0, LOW32, 0xffffffff), /* query */
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc use clone. */
	{ "clone3", CT_SECCOMP_ERRNO, ENOSYS, 0, 0, 0 },
	/* vsock reaches the hypervisor's services, past the container's network namespace. On the
	 * 32-bit entry libseccomp also refuses socketcall(SYS_SOCKET), whose family sits in memory
	 * it cannot read: stricter than Docker for 32-bit programs that still use socketcall. */
	DENY_IF("socket", 0, LOW32, CT_AF_VSOCK),
	/* Pushing input into a terminal: the admin's, if a container process holds its fd. */
	DENY_IF("ioctl", 1, LOW32, TIOCSTI),
	DENY_IF("ioctl", 1, LOW32, TIOCLINUX),
};

const char *const *ct_seccomp_allowed(size_t *n)
{
	*n = VD_ARRAY_SIZE(ct_seccomp_allow);
	return ct_seccomp_allow;
}

const struct ct_seccomp_rule *ct_seccomp_plan(size_t *n)
{
	*n = VD_ARRAY_SIZE(ct_seccomp_rules);
	return ct_seccomp_rules;
}

/* A filter for x86-64 and its 32-bit and x32 entry points: a call through any of them meets
 * the same rules (libseccomp kills the caller of an entry point the filter does not name). */
static scmp_filter_ctx ct_seccomp_new(uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx || seccomp_arch_native() != SCMP_ARCH_X86_64)
		return ctx;
	if (seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 || seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int ct_seccomp_add_allowed(scmp_filter_ctx ctx, const char **failed)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_seccomp_allow); i++) {
		int nr = seccomp_syscall_resolve_name(ct_seccomp_allow[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* newer than this libseccomp: the call stays refused */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			*failed = ct_seccomp_allow[i];
			return r;
		}
	}
	return 0;
}

static int ct_seccomp_add_rule(const struct ct_seccomp_filters *f, const struct ct_seccomp_rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR)
		return 0;
	scmp_filter_ctx ctx = r->action == CT_SECCOMP_DENY_IF ? f->deny : f->allow;
	uint32_t action = SCMP_ACT_ALLOW;
	if (r->action == CT_SECCOMP_ERRNO)
		action = SCMP_ACT_ERRNO(r->errno_ret);
	else if (r->action == CT_SECCOMP_DENY_IF)
		action = SCMP_ACT_ERRNO(EPERM);
	if (!r->mask)
		return seccomp_rule_add(ctx, action, nr, 0);
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
}

static int ct_seccomp_fill(const struct ct_seccomp_filters *f, const char **failed)
{
	int r = ct_seccomp_add_allowed(f->allow, failed);
	for (size_t i = 0; r >= 0 && i < VD_ARRAY_SIZE(ct_seccomp_rules); i++) {
		r = ct_seccomp_add_rule(f, &ct_seccomp_rules[i]);
		if (r < 0)
			*failed = ct_seccomp_rules[i].name;
	}
	return r;
}

int ct_seccomp_build(const char *name, struct ct_seccomp_filters *f, struct vd_error **err)
{
	/* Docker's convention: a call outside the list fails with EPERM (defaultErrnoRet 1). */
	f->allow = ct_seccomp_new(SCMP_ACT_ERRNO(EPERM));
	f->deny = ct_seccomp_new(SCMP_ACT_ALLOW);
	if (!f->allow || !f->deny) {
		ct_seccomp_release(f);
		return vd_error_set(err, ENOMEM, "container %s: libseccomp could not start a "
				    "filter", name);
	}
	const char *failed = "?";
	int r = ct_seccomp_fill(f, &failed);
	if (r < 0) {
		ct_seccomp_release(f);
		return vd_error_errno(err, r, "container %s: adding the seccomp rule for %s failed",
				      name, failed);
	}
	return 0;
}

void ct_seccomp_release(struct ct_seccomp_filters *f)
{
	if (f->allow)
		seccomp_release(f->allow);
	if (f->deny)
		seccomp_release(f->deny);
	f->allow = f->deny = NULL;
}

int ct_seccomp_load(const char *name, struct vd_error **err)
{
	struct ct_seccomp_filters f;
	int r = ct_seccomp_build(name, &f, err);
	if (r < 0)
		return r;
	/* The kernel runs both and keeps the stricter answer, so the order does not matter. */
	r = seccomp_load(f.deny);
	if (r == 0)
		r = seccomp_load(f.allow);
	ct_seccomp_release(&f);
	if (r < 0)
		return vd_error_errno(err, r, "container %s: loading the seccomp filter failed",
				      name);
	return 0;
}
