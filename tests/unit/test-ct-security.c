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
#include <sys/prctl.h>
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
	const unsigned never[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_NET_ADMIN, CAP_SYS_RAWIO,
				   CAP_SYS_TIME, CAP_DAC_READ_SEARCH, CAP_SYS_BOOT, CAP_BPF, CAP_PERFMON };
	for (size_t i = 0; i < VD_ARRAY_SIZE(never); i++)
		for (size_t k = 0; k < n; k++)
			assert_int_not_equal(caps[k], never[i]);
}

static const struct ct_seccomp_rule *find_rule(const char *name, uint64_t bit)
{
	size_t n;
	const struct ct_seccomp_rule *r = ct_seccomp_plan(&n);
	for (size_t i = 0; i < n; i++)
		if (vd_streq(r[i].name, name) && r[i].arg0_bit == bit)
			return &r[i];
	return NULL;
}

static void test_seccomp_plan(void **state)
{
	const char *denied[] = { "keyctl", "add_key", "request_key", "ptrace", "mount", "umount2", "kexec_load",
				 "kexec_file_load", "open_by_handle_at", "bpf", "perf_event_open", "userfaultfd",
				 "clock_settime", "settimeofday", "reboot", "swapon", "swapoff", "init_module",
				 "finit_module", "delete_module", "setns", "pivot_root", "fsopen", "move_mount" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(denied); i++) {
		const struct ct_seccomp_rule *r = find_rule(denied[i], 0);
		if (!r)
			fail_msg("%s is not denied", denied[i]);
		assert_int_equal(r->errno_ret, EPERM);
		assert_true(seccomp_syscall_resolve_name(denied[i]) != __NR_SCMP_ERROR);
	}
	assert_non_null(find_rule("unshare", CLONE_NEWUSER));
	assert_non_null(find_rule("clone", CLONE_NEWUSER));
	assert_non_null(find_rule("clone", CLONE_NEWNS));
	assert_int_equal(find_rule("clone3", 0)->errno_ret, ENOSYS); /* libc falls back to clone */
	void *ctx = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_seccomp_build("t", &ctx, &e), 0);
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	assert_true(lseek(fd, 0, SEEK_END) > 8 * 20); /* a real program, not an empty allow */
	close(fd);
	ct_seccomp_release(ctx);
}

/* Load the filter in a child (no_new_privs lets any user do it) and call what it denies. */
static int child_probe(void)
{
	struct vd_error *e = NULL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ct_seccomp_load("t", &e) < 0)
		return 10;
	if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 11;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 12;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 13;
	if (syscall(SYS_bpf, 0, NULL, 0) != -1 || errno != EPERM)
		return 14;
	if (unshare(CLONE_FILES) != 0) /* a flag without a namespace stays allowed */
		return 15;
	if (getpid() <= 0)
		return 16;
	return 0;
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
	assert_int_equal(WEXITSTATUS(st), 0);
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
