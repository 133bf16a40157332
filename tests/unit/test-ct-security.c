/* test-ct-security.c - the capability and seccomp plans, the filter on the real kernel (in a
 * child with no_new_privs), and the console backlog. */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <seccomp.h>

#include "containers/ct_caps.h"
#include "containers/ct_console.h"
#include "containers/ct_seccomp.h"

static void test_caps_plan(void **state)
{
	size_t n;
	const unsigned *caps = ct_caps_plan(&n);
	assert_int_equal(n, 14);
	assert_int_equal(ct_caps_mask(), 0xa80425fbull); /* what `docker run` shows as CapEff */
	const unsigned no[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_NET_ADMIN,
				CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_DAC_READ_SEARCH, CAP_SYS_BOOT,
				CAP_BPF, CAP_PERFMON };
	for (size_t i = 0; i < VD_ARRAY_SIZE(no); i++)
		for (size_t k = 0; k < n; k++)
			assert_int_not_equal(caps[k], no[i]);
}

static bool allowed(const char *name)
{
	size_t n;
	const char *const *names = ct_seccomp_allowed(&n);
	for (size_t i = 0; i < n; i++)
		if (vd_streq(names[i], name))
			return true;
	return false;
}

static const struct ct_seccomp_rule *find_rule(const char *name, uint64_t value)
{
	size_t n;
	const struct ct_seccomp_rule *r = ct_seccomp_plan(&n);
	for (size_t i = 0; i < n; i++)
		if (vd_streq(r[i].name, name) && r[i].value == value)
			return &r[i];
	return NULL;
}

/* Calls a container without CAP_SYS_ADMIN and friends must never reach. */
static const char *const never[] = {
	"keyctl", "add_key", "request_key", "mount", "umount2", "kexec_load", "kexec_file_load",
	"open_by_handle_at", "bpf", "perf_event_open", "userfaultfd", "clock_settime",
	"settimeofday", "reboot", "swapon", "swapoff", "init_module", "finit_module",
	"delete_module", "setns", "unshare", "pivot_root", "fsopen", "move_mount", "io_uring_setup",
	"io_uring_enter", "io_uring_register", "kcmp", "pidfd_getfd", "iopl", "ioperm", "acct",
	"syslog", "vhangup", "sethostname", "quotactl", "lookup_dcookie", "fanotify_init",
};

static void test_seccomp_plan(void **state)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(never); i++) {
		if (allowed(never[i]) || find_rule(never[i], 0))
			fail_msg("%s is allowed", never[i]);
		assert_true(seccomp_syscall_resolve_name(never[i]) != __NR_SCMP_ERROR);
	}
	/* The important calls resolve on this host: a typo or an old libseccomp would drop them. */
	const char *const needed[] = { "read", "write", "openat", "execve", "exit_group",
				       "mmap", "rt_sigreturn", "wait4", "ioctl", "socket",
				       "clone", "personality", "clone3", "chown32", "socketcall",
				       "faccessat2", "rseq" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(needed); i++)
		assert_true(seccomp_syscall_resolve_name(needed[i]) != __NR_SCMP_ERROR);
	assert_false(allowed("clone") || allowed("personality"));
	assert_int_equal(find_rule("clone", 0)->mask, 0x7E020000);
	assert_int_equal(find_rule("clone3", 0)->errno_ret, ENOSYS); /* libc falls back to clone */
	const uint64_t personas[] = { 0, 8, 0x20000, 0x20008, 0xffffffff };
	for (size_t i = 0; i < VD_ARRAY_SIZE(personas); i++)
		assert_int_equal(find_rule("personality", personas[i])->action,
				 CT_SECCOMP_ALLOW_IF);
	assert_int_equal(find_rule("ioctl", TIOCSTI)->action, CT_SECCOMP_DENY_IF);
	assert_int_equal(find_rule("ioctl", TIOCLINUX)->mask, 0xffffffff);
	assert_int_equal(find_rule("socket", 40)->action, CT_SECCOMP_DENY_IF);
	struct ct_seccomp_filters f;
	struct vd_error *e = NULL;
	assert_int_equal(ct_seccomp_build("t", &f, &e), 0);
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_int_equal(seccomp_export_bpf(f.allow, fd), 0);
	assert_true(lseek(fd, 0, SEEK_END) > 8 * 300); /* a real program, not an empty allow */
	close(fd);
	ct_seccomp_release(&f);
}

/* errno of a call expected to fail, 0 if it succeeded. */
static int fails_with(long r)
{
	return r == -1 ? errno : 0;
}

/* The call numbers the filter must refuse with EPERM, and one it must let through. */
static int child_denied(void)
{
	const long denied[] = { SYS_keyctl, SYS_bpf, SYS_io_uring_setup, SYS_io_uring_enter,
				SYS_io_uring_register, SYS_kexec_load, SYS_open_by_handle_at,
				SYS_add_key, SYS_perf_event_open, SYS_setns, SYS_mount, SYS_umount2,
				SYS_pivot_root, SYS_swapon, SYS_init_module, 999 /* made up */ };
	for (size_t i = 0; i < VD_ARRAY_SIZE(denied); i++)
		if (fails_with(syscall(denied[i], -1L, 0L, 0L, 0xffffffffL)) != EPERM)
			return 20 + (int)i;
	if (fails_with(unshare(CLONE_NEWUSER)) != EPERM ||
	    fails_with(unshare(CLONE_FILES)) != EPERM)
		return 12;
	if (fails_with(syscall(SYS_clone3, NULL, 0)) != ENOSYS)
		return 13; /* libc falls back to clone */
	return getpid() > 0 ? 0 : 16;
}

/* The argument rules: which ioctl requests, socket families and personalities pass. */
static int child_arguments(void)
{
	char c = 'x';
	if (fails_with(syscall(SYS_ioctl, -1, TIOCSTI, &c)) != EPERM ||
	    fails_with(syscall(SYS_ioctl, -1, TIOCLINUX, &c)) != EPERM)
		return 40;
	/* The kernel reads cmd as 32 bits: set high bits must not slip past (CVE-2019-10063). */
	if (fails_with(syscall(SYS_ioctl, -1, TIOCSTI | (1ull << 32), &c)) != EPERM)
		return 41;
	if (fails_with(syscall(SYS_ioctl, -1, TCGETS, &c)) != EBADF)
		return 42;
	if (fails_with(syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0)) != EPERM ||
	    fails_with(syscall(SYS_socket, 40 | (1ull << 32), SOCK_STREAM, 0)) != EPERM)
		return 43;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 44;
	close(fd);
	if (fails_with(personality(0xffffffff)) != 0 || fails_with(personality(PER_LINUX)) != 0)
		return 45;
	if (fails_with(personality(ADDR_NO_RANDOMIZE)) != EPERM)
		return 46;
	return 0;
}

/* Load the filter in a child (no_new_privs lets any user do it) and call what it decides on. */
static int child_probe(void)
{
	struct vd_error *e = NULL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ct_seccomp_load("t", &e) < 0)
		return 10;
	int r = child_denied();
	return r ? r : child_arguments();
}

static void test_seccomp_on_kernel(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_probe());
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("the filtered child failed check %d", WEXITSTATUS(st));
}

static void test_console_backlog(void **state)
{
	struct ct_console *c = vd_xcalloc(1, sizeof(*c));
	ct_console_record(c, "hello ", 6);
	ct_console_record(c, "world", 5);
	char *out = vd_xmalloc(CT_CONSOLE_BACKLOG);
	assert_int_equal(ct_console_backlog(c, out), 11);
	assert_memory_equal(out, "hello world", 11);
	char big[CT_CONSOLE_BACKLOG + 100];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	ct_console_record(c, big, sizeof(big));
	assert_int_equal(ct_console_backlog(c, out), CT_CONSOLE_BACKLOG);
	assert_memory_equal(out, big + 100, CT_CONSOLE_BACKLOG); /* the newest bytes, oldest first */
	free(out);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_plan),
		cmocka_unit_test(test_seccomp_plan),
		cmocka_unit_test(test_seccomp_on_kernel),
		cmocka_unit_test(test_console_backlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
