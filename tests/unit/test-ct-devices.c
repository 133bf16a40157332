/* test-ct-devices.c - device rules: parsing, v1 lines, and the generated BPF program's decisions,
 * loaded for real into a throwaway cgroup2 group (root and a cgroup2 mount; skipped otherwise).
 * BPF_PROG_TEST_RUN would be lighter, but the kernel has none for BPF_PROG_TYPE_CGROUP_DEVICE
 * (ENOTSUPP on 6.18), so a child joins the group and mknods and opens nodes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers/ct_devices.h"

static void assert_rule(const char *text, const char *v1_line)
{
	struct ct_dev_rule *rules = NULL;
	size_t n = 0;
	struct vd_error *e = NULL;
	assert_int_equal(ct_devices_parse(text, &rules, &n, &e), 0);
	assert_int_equal(n, 1);
	char buf[64];
	ct_devices_format(&rules[0], buf, sizeof(buf));
	assert_string_equal(buf, v1_line);
	free(rules);
}

static void test_parse(void **state)
{
	assert_rule("c 10:229 rwm", "c 10:229 rwm");
	assert_rule("  b 7:* r ", "b 7:* r");
	assert_rule("c *:* mw", "c *:* wm");
	assert_rule("a", "a *:* rwm");
	assert_rule("a *:* rwm", "a *:* rwm");
	assert_rule("c 136:*", "c 136:* rwm");
	struct ct_dev_rule *rules = NULL;
	size_t n = 0;
	struct vd_error *e = NULL;
	assert_int_equal(ct_devices_parse("c 1:3 r, b 8:0 rw,, c 10:200 rwm", &rules, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rules[1].type, 'b');
	assert_int_equal(rules[1].access, CT_DEV_READ | CT_DEV_WRITE);
	free(rules);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"x 1:3 rwm", "c 1 rwm", "c 1:3 rwx", "c 1:3 rr", "c -1:3 r", "c 1:3 r extra",
		"c 1:99999999 r", "c :3 r", "a 1:3 r",
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(bad); i++) {
		struct ct_dev_rule *rules = NULL;
		size_t n = 0;
		struct vd_error *e = NULL;
		assert_int_equal(ct_devices_parse(bad[i], &rules, &n, &e), -EINVAL);
		assert_non_null(strstr(e->msg, bad[i]));
		assert_non_null(strstr(e->msg, "c 10:229 rwm")); /* says what a rule looks like */
		assert_int_equal(n, 0);
		vd_error_free(e);
		free(rules);
	}
}

/* No rule: the program is the prologue and "return 0". */
static void test_build_empty_denies(void **state)
{
	size_t len = 0;
	struct bpf_insn *p = ct_devices_bpf_build(NULL, 0, &len);
	assert_int_equal(len, 8);
	assert_int_equal(p[6].code, BPF_ALU64 | BPF_MOV | BPF_K);
	assert_int_equal(p[6].imm, 0);
	assert_int_equal(p[7].code, BPF_JMP | BPF_EXIT);
	free(p);
}

/* ------------------------------------------------------------------ the program on the kernel */

static char cgdir[256];

static const char *cgroup2_mount(void)
{
	static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sf;
	for (size_t i = 0; i < VD_ARRAY_SIZE(where); i++)
		if (statfs(where[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return where[i];
	return NULL;
}

struct dev_case {
	char type;
	unsigned maj, min;
	int how; /* O_RDONLY, O_WRONLY, O_RDWR, or -1 = mknod */
	bool allowed;
};

/* Allowed means the device cgroup let it through: the driver may still fail (ENXIO, EIO). */
static bool dev_try(const char *dir, const struct dev_case *c, size_t i)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/n%zu", dir, i);
	mode_t type = c->type == 'b' ? S_IFBLK : S_IFCHR;
	if (c->how < 0) {
		_cleanup_free_ char *m = vd_xasprintf("%s/m%zu", dir, i);
		return mknod(m, type | 0600, makedev(c->maj, c->min)) == 0 || errno != EPERM;
	}
	int fd = open(path, c->how | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno != EPERM;
}

/* In a child that joined the group: 0 when every case went as expected, else case + 1. */
static int dev_child(const char *dir, const struct dev_case *cases, size_t n)
{
	_cleanup_free_ char *procs = vd_xasprintf("%s/cgroup.procs", cgdir);
	if (vd_write_file(procs, "0") < 0)
		return 100;
	for (size_t i = 0; i < n; i++)
		if (dev_try(dir, &cases[i], i) != cases[i].allowed)
			return (int)i + 1;
	return 0;
}

static void test_program_decisions(void **state)
{
	const char *mnt = cgroup2_mount();
	if (getuid() != 0 || !mnt)
		skip(); /* needs root and a cgroup2 mount to attach a device program */
	static const struct dev_case cases[] = {
		{ 'c', 1, 3, O_RDONLY, true },	 { 'c', 1, 3, O_WRONLY, false },
		{ 'c', 1, 3, O_RDWR, false },	 { 'c', 1, 3, -1, false },
		{ 'c', 1, 5, O_RDWR, true },	 { 'c', 1, 5, -1, true },
		{ 'c', 1, 7, O_RDONLY, false },	 { 'b', 1, 3, O_RDONLY, false },
		{ 'c', 136, 250, O_RDWR, true }, { 'c', 136, 250, -1, false },
		{ 'b', 7, 0, -1, true },	 { 'b', 7, 0, O_RDONLY, false },
		{ 'c', 4, 1, O_RDWR, false },	 { 'c', 10, 229, O_RDWR, false },
	};
	struct ct_dev_rule *rules = NULL;
	size_t n = 0;
	struct vd_error *e = NULL;
	const char *allow = "c 1:3 r, c 1:5 rwm, c 136:* rw, b *:* m";
	assert_int_equal(ct_devices_parse(allow, &rules, &n, &e), 0);
	char dir[] = "/tmp/test-ct-devices.XXXXXX";
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < VD_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *path = vd_xasprintf("%s/n%zu", dir, i);
		mode_t type = cases[i].type == 'b' ? S_IFBLK : S_IFCHR;
		assert_int_equal(mknod(path, type | 0600, makedev(cases[i].maj, cases[i].min)), 0);
	}
	snprintf(cgdir, sizeof(cgdir), "%s/test-ct-devices.%d", mnt, (int)getpid());
	assert_int_equal(mkdir(cgdir, 0755), 0);
	int fd = open(cgdir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int r = ct_devices_bpf_attach("t", fd, rules, n, &e);
	close(fd);
	pid_t pid = r == 0 ? fork() : -1;
	if (pid == 0)
		_exit(dev_child(dir, cases, VD_ARRAY_SIZE(cases)));
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	rmdir(cgdir);
	_cleanup_free_ char *rm = vd_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rules);
	if (r < 0)
		fail_msg("attach: %s", e->msg);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0); /* else the number of the first wrong case */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_build_empty_denies),
		cmocka_unit_test(test_program_decisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
