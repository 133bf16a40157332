/* ct-seccomp-probe.c - run inside a container (built static by ct-seccomp.sh): make each call
 * the seccomp filter decides on and print "name errno-name" (or "name ok"), one line per call.
 * Every argument is chosen so that the call fails harmlessly if no filter stops it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define HIGH_BITS (1ull << 32) /* the kernel reads ioctl's cmd and socket's domain as 32 bits */
#define X32_BIT 0x40000000L
#define BAD_FLAGS 0xffffffffUL /* kexec_load and unshare refuse these flags with EINVAL */
#define NOWHERE "/nonexistent-probe-path"
#define PTRACE_CONT_REQ 7 /* on a process we do not trace: ESRCH */

static void report(const char *name, long r)
{
	if (r == -1)
		printf("%s %s\n", name, strerrorname_np(errno));
	else
		printf("%s ok\n", name);
}

/* The same call through the 32-bit entry point: a filter for x86-64 alone would not see it. */
static long int80(long nr, long a, long b, long c, long d)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* A clone that succeeds must not leave two probes printing: the child leaves at once. */
static long probe_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static void probe_denied_by_name(void)
{
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, BAD_FLAGS));
	report("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, 0, 0));
	report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, 0));
	report("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
	report("bpf", syscall(SYS_bpf, 0, 0, 0));
	report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
	report("unshare", syscall(SYS_unshare, BAD_FLAGS));
	report("setns", syscall(SYS_setns, -1, 0));
	report("mount", syscall(SYS_mount, "none", NOWHERE, "tmpfs", 0, 0));
	report("umount2", syscall(SYS_umount2, NOWHERE, 0));
	report("pivot_root", syscall(SYS_pivot_root, NOWHERE, NOWHERE));
	report("swapon", syscall(SYS_swapon, NOWHERE, 0));
	report("init_module", syscall(SYS_init_module, 0, 0, ""));
	report("userfaultfd", syscall(SYS_userfaultfd, 0));
	report("ptrace", syscall(SYS_ptrace, PTRACE_CONT_REQ, 1, 0, 0));
	report("io_uring_setup", syscall(SYS_io_uring_setup, 1, 0));
	report("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, 0, 0));
	report("io_uring_register", syscall(SYS_io_uring_register, -1, 0, 0, 0));
	report("made_up_999", syscall(999, 0, 0, 0));
}

static void probe_arguments(void)
{
	char c = 'x';
	report("ioctl_tiocsti", syscall(SYS_ioctl, -1, TIOCSTI, &c));
	report("ioctl_tiocsti_high", syscall(SYS_ioctl, -1, TIOCSTI | HIGH_BITS, &c));
	report("ioctl_tioclinux", syscall(SYS_ioctl, -1, TIOCLINUX, &c));
	report("ioctl_tcgets", syscall(SYS_ioctl, -1, TCGETS, &c));
	report("socket_vsock", syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
	report("socket_vsock_high", syscall(SYS_socket, AF_VSOCK | HIGH_BITS, SOCK_STREAM, 0));
	report("socket_unix", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
	report("clone_newuser", probe_clone(CLONE_NEWUSER));
	report("clone_newns", probe_clone(CLONE_NEWNS));
	report("clone_newnet", probe_clone(CLONE_NEWNET));
	report("clone_plain", probe_clone(0));
	report("clone3", syscall(SYS_clone3, 0, 0));
	report("personality_query", syscall(SYS_personality, 0xffffffffUL));
	report("personality_linux32", syscall(SYS_personality, PER_LINUX32));
	report("personality_linux", syscall(SYS_personality, PER_LINUX));
	report("personality_norandom", syscall(SYS_personality, ADDR_NO_RANDOMIZE));
	report("chroot", syscall(SYS_chroot, "/"));
}

/* i386 numbers: getpid 20, io_uring_setup 425, kexec_load 283, ioctl 54. */
static void probe_ia32(void)
{
	report("ia32_getpid", int80(20, 0, 0, 0, 0));
	report("ia32_io_uring_setup", int80(425, 1, 0, 0, 0));
	report("ia32_kexec_load", int80(283, 0, 0, 0, (long)BAD_FLAGS));
	report("ia32_ioctl_tiocsti", int80(54, -1, TIOCSTI, 0, 0));
	report("ia32_made_up_999", int80(999, 0, 0, 0, 0));
}

/* Some kernels (a PVM guest, ia32_emulation=0) fault on int 0x80: try it in a child first. */
static void probe_compat(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int80(20, 0, 0, 0, 0);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		probe_ia32();
	else
		printf("ia32 absent\n");
	/* x32 numbers are x86-64's with bit 30: the kernel may lack x32, the filter must not. */
	report("x32_io_uring_setup", syscall(X32_BIT | SYS_io_uring_setup, 1, 0));
	report("x32_kexec_load", syscall(X32_BIT | SYS_kexec_load, 0, 0, 0, BAD_FLAGS));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	probe_denied_by_name();
	probe_arguments();
	probe_compat();
	report("getpid", syscall(SYS_getpid));
	return 0;
}
