/* test-ct-def.c - container definitions: good and bad INI files (every error names file:line),
 * validation against a real rootfs in a temp dir, and the save/load round trip. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers/ct_def.h"
#include "containers/ct_mount.h"

static char dir[256];

static char *write_file(const char *name, const char *content)
{
	char *path = vd_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-ct-def.XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("VIRTDECK_DATA_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = vd_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_good_file(void **state)
{
	_cleanup_free_ char *p = write_file("good.ini", "# a comment\n[container]\nrootfs = /srv/rootfs\nhostname = web1\n"
							"cmd = /bin/sh -c true\ncwd = /tmp\nseccomp = no\n"
							"[resources]\nmemory = 256M\nmemory_high = 200M\ncpus = 0.5\n"
							"cpu_weight = 200\ncpuset = 0-1\npids_max = 64\nnofile = 4096\n"
							"[network]\nnet = bridge\nbridge = br9\nsubnet = 10.9.0.0/24\n");
	struct ct_def d;
	struct vd_error *e = NULL;
	assert_int_equal(ct_def_load_file(p, "good", &d, &e), 0);
	assert_string_equal(d.rootfs, "/srv/rootfs");
	assert_string_equal(d.hostname, "web1");
	assert_string_equal(d.cwd, "/tmp");
	assert_false(d.seccomp);
	assert_true(d.cgroups);
	assert_int_equal(d.mem_max, 256ull << 20);
	assert_int_equal(d.mem_high, 200ull << 20);
	assert_true(d.cpus > 0.49 && d.cpus < 0.51);
	assert_int_equal(d.cpu_weight, 200);
	assert_string_equal(d.cpuset, "0-1");
	assert_int_equal(d.pids_max, 64);
	assert_int_equal(d.nofile, 4096);
	assert_int_equal(d.net, CT_NET_BRIDGE);
	assert_string_equal(d.bridge, "br9");
	char **argv = ct_def_argv(&d);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "true");
	assert_null(argv[3]);
	vd_strvfreep(&argv);
	ct_def_free(&d);
}

static void test_argv_quoting(void **state)
{
	const char *const words[] = { "/bin/sh", "-c", "while :; do echo \"it's\" $x; done", "", "a\\b", NULL };
	_cleanup_free_ char *line = vd_xstrdup("");
	for (size_t i = 0; words[i]; i++) {
		_cleanup_free_ char *q = ct_def_quote(words[i]);
		char *next = vd_xasprintf("%s%s%s", line, i ? " " : "", q);
		free(line);
		line = next;
	}
	struct ct_def d;
	ct_def_init(&d, "q");
	d.cmd = vd_xstrdup(line);
	char **argv = ct_def_argv(&d);
	for (size_t i = 0; words[i]; i++)
		assert_string_equal(argv[i], words[i]);
	assert_null(argv[5]);
	vd_strvfreep(&argv);
	free(d.cmd);
	d.cmd = vd_xstrdup("/bin/echo \"two words\" 'single \\ kept' esc\\ aped");
	argv = ct_def_argv(&d);
	assert_string_equal(argv[1], "two words");
	assert_string_equal(argv[2], "single \\ kept");
	assert_string_equal(argv[3], "esc aped");
	vd_strvfreep(&argv);
	ct_def_free(&d);
}

static void test_defaults(void **state)
{
	_cleanup_free_ char *p = write_file("min.ini", "rootfs=/r\n");
	struct ct_def d;
	struct vd_error *e = NULL;
	assert_int_equal(ct_def_load_file(p, "min", &d, &e), 0);
	assert_int_equal(d.net, CT_NET_LOOPBACK);
	assert_true(d.cgroups && d.seccomp);
	assert_int_equal(d.mem_max, 0);
	assert_false(d.devices_unconfined); /* host devices closed unless the file says otherwise */
	assert_null(d.devices_allow);
	char **argv = ct_def_argv(&d);
	assert_string_equal(argv[0], "/bin/sh");
	vd_strvfreep(&argv);
	ct_def_free(&d);
}

/* Each bad file must fail with "PATH:LINE: ..." naming the problem. */
static void expect_bad(const char *content, int line, const char *needle)
{
	_cleanup_free_ char *p = write_file("bad.ini", content);
	struct ct_def d;
	struct vd_error *e = NULL;
	assert_true(ct_def_load_file(p, "bad", &d, &e) < 0);
	assert_non_null(e);
	_cleanup_free_ char *prefix = vd_xasprintf("%s:%d: ", p, line);
	if (!vd_str_has_prefix(e->msg, prefix) || !strstr(e->msg, needle))
		fail_msg("got '%s', want prefix '%s' and '%s'", e->msg, prefix, needle);
	vd_error_free(e);
}

static void test_bad_files(void **state)
{
	expect_bad("[container]\nrootfs = /r\nfoo = 1\n", 3, "unknown key 'foo'");
	expect_bad("[resources]\nmemory = lots\n", 2, "memory=lots");
	expect_bad("\n\n[network]\nnet = wifi\n", 4, "none, loopback or bridge");
	expect_bad("[container]\nseccomp = maybe\n", 2, "true or false");
	expect_bad("[elsewhere]\nrootfs = /r\n", 2, "unknown section [elsewhere]");
	expect_bad("[container]\nthis line has no equals sign\n", 2, "malformed line");
	expect_bad("cpus = -2\n", 1, "cpus=-2");
	expect_bad("pids_max = 1.5\n", 1, "whole number");
	expect_bad("[container]\nuserns_base = -5\n", 2, "userns_base=-5");
	expect_bad("[container]\ndevices = open\n", 2, "expected confined");
	expect_bad("rootfs=/r\ndevices_allow = c 10:229 rwm, c 1:3 rwx\n", 2,
		   "devices_allow: device rule 'c 1:3 rwx'");
	/* The first bad line wins even when later lines are bad too. */
	expect_bad("rootfs=/r\nnet=x\nfoo=1\n", 2, "net=x");
}

static void test_missing_file(void **state)
{
	struct ct_def d;
	struct vd_error *e = NULL;
	assert_int_equal(ct_def_load("nosuch", &d, &e), -ENOENT);
	assert_non_null(strstr(e->msg, "no container named nosuch"));
	vd_error_free(e);
	e = NULL;
	assert_int_equal(ct_def_load("../etc", &d, &e), -EINVAL);
	vd_error_free(e);
}

static char *make_rootfs(bool with_busybox)
{
	char *r = vd_xasprintf("%s/rootfs", dir);
	_cleanup_free_ char *bin = vd_xasprintf("%s/bin", r);
	assert_int_equal(vd_mkdir_p(bin, 0755), 0);
	_cleanup_free_ char *sh = vd_xasprintf("%s/sh", bin);
	assert_int_equal(symlink("/bin/busybox", sh), 0); /* absolute: must resolve inside the rootfs */
	if (with_busybox) {
		_cleanup_free_ char *bb = write_file("rootfs/bin/busybox", "#!/bin/true\n");
		assert_int_equal(chmod(bb, 0755), 0);
	}
	return r;
}

static int validate(const char *rootfs, const char *extra, struct vd_error **e)
{
	struct ct_def d;
	ct_def_init(&d, "v");
	d.rootfs = vd_xstrdup(rootfs);
	int r = 0;
	if (extra) {
		_cleanup_free_ char *kv = vd_xstrdup(extra);
		char *eq = strchr(kv, '=');
		*eq = '\0';
		r = ct_def_set(&d, kv, eq + 1, e);
	}
	if (r == 0)
		r = ct_def_validate(&d, e);
	ct_def_free(&d);
	return r;
}

static void expect_invalid(const char *rootfs, const char *extra, const char *needle)
{
	struct vd_error *e = NULL;
	assert_true(validate(rootfs, extra, &e) < 0);
	if (!strstr(e->msg, needle) || !strstr(e->msg, "container v"))
		fail_msg("got '%s', want '%s'", e->msg, needle);
	vd_error_free(e);
}

static void test_validate(void **state)
{
	_cleanup_free_ char *r = make_rootfs(true);
	struct vd_error *e = NULL;
	assert_int_equal(validate(r, NULL, &e), 0);
	assert_int_equal(validate(r, "memory=4M", &e), 0);
	expect_invalid("/nonexistent/rootfs", NULL, "is not a directory");
	expect_invalid("relative/rootfs", NULL, "absolute");
	expect_invalid(r, "memory=1M", "minimum");
	expect_invalid(r, "cpus=0.001", "out of range");
	expect_invalid(r, "cpu_weight=20000", "out of range");
	expect_invalid(r, "cwd=tmp", "must be absolute");
	expect_invalid(r, "cmd=/bin/nothere", "not an executable");
	expect_invalid(r, "cmd=bin/sh", "absolute path");
	expect_invalid(r, "userns_base=4294967000", "2^32");
	assert_int_equal(validate(r, "userns_base=100000", &e), 0);
}

/* /bin/sh -> /bin/busybox exists on the host, not in this rootfs: must be refused. */
static void test_validate_resolves_in_root(void **state)
{
	_cleanup_free_ char *r = make_rootfs(false);
	expect_invalid(r, NULL, "not an executable file inside rootfs");
}

static void test_save_roundtrip(void **state)
{
	struct ct_def d, back;
	ct_def_init(&d, "rt");
	struct vd_error *e = NULL;
	assert_int_equal(ct_def_set(&d, "rootfs", "/srv/r", &e), 0);
	assert_int_equal(ct_def_set(&d, "cmd", "/bin/sleep 5", &e), 0);
	assert_int_equal(ct_def_set(&d, "net", "none", &e), 0);
	assert_int_equal(ct_def_set(&d, "cgroups", "false", &e), 0);
	assert_int_equal(ct_def_set(&d, "userns_base", "100000", &e), 0);
	assert_int_equal(ct_def_set(&d, "devices", "unconfined", &e), 0);
	assert_int_equal(ct_def_set(&d, "devices_allow", "c 10:229 rwm, b 7:* r", &e), 0);
	d.mem_max = 64 << 20;
	d.cpus = 1.25;
	assert_int_equal(ct_def_save(&d, &e), 0);
	assert_int_equal(ct_def_load("rt", &back, &e), 0);
	assert_string_equal(back.rootfs, "/srv/r");
	assert_string_equal(back.cmd, "/bin/sleep 5");
	assert_int_equal(back.net, CT_NET_NONE);
	assert_false(back.cgroups);
	assert_int_equal(back.userns_base, 100000);
	assert_int_equal(back.mem_max, 64 << 20);
	assert_true(back.cpus > 1.24 && back.cpus < 1.26);
	assert_true(back.devices_unconfined);
	assert_string_equal(back.devices_allow, "c 10:229 rwm, b 7:* r");
	ct_def_free(&d);
	ct_def_free(&back);
}

/* The documented example is a definition the parser accepts, with the defaults it states. */
static void test_example_file(void **state)
{
	const char *src = getenv("VD_SRCDIR");
	if (!src)
		skip();
	_cleanup_free_ char *p = vd_xasprintf("%s/data/container.ini", src);
	struct ct_def d;
	struct vd_error *e = NULL;
	if (ct_def_load_file(p, "web", &d, &e) < 0)
		fail_msg("%s", e->msg);
	assert_false(d.devices_unconfined);
	assert_null(d.devices_allow);
	assert_true(d.cgroups && d.seccomp);
	assert_int_equal(d.nofile, 1024);
	ct_def_free(&d);
}

/* What inih would cut at 199 bytes, take as a comment or split into keys comes back as it was. */
static void test_save_hostile_values(void **state)
{
	char arg[301];
	memset(arg, 'A', 300);
	memcpy(arg + 183, "pids_max=3", 10); /* where the old writer's line split put a key */
	arg[300] = '\0';
	const char *const words[] = { "/bin/sh", "-c", "echo a ; echo b", "x # y", "l1\nl2",
				      "a=b [c]", "[s]", "  lead", "trail  ", "\xff\xfe\x80",
				      "\"q\"", "", arg, NULL };
	_cleanup_free_ char *cmd = vd_xstrdup("");
	for (size_t i = 0; words[i]; i++) {
		_cleanup_free_ char *q = ct_def_quote(words[i]);
		char *next = vd_xasprintf("%s%s%s", cmd, i ? " " : "", q);
		free(cmd);
		cmd = next;
	}
	struct ct_def d, back;
	struct vd_error *e = NULL;
	ct_def_init(&d, "hostile");
	d.cmd = vd_xstrdup(cmd);
	d.rootfs = vd_xasprintf("/srv/%s", arg);
	d.hostname = vd_xstrdup(" h ; #x ");
	d.cwd = vd_xstrdup("/tmp/a\nb=c");
	d.subnet = vd_xstrdup("\"10.1.0.0/24\"");
	d.cpus = 1.0 / 3;
	assert_int_equal(ct_def_save(&d, &e), 0);
	assert_int_equal(ct_def_load("hostile", &back, &e), 0);
	assert_string_equal(back.cmd, d.cmd);
	assert_string_equal(back.rootfs, d.rootfs);
	assert_string_equal(back.hostname, d.hostname);
	assert_string_equal(back.cwd, d.cwd);
	assert_string_equal(back.subnet, d.subnet);
	assert_true(back.cpus == d.cpus);
	assert_int_equal(back.pids_max, 0); /* nothing injected a key */
	char **argv = ct_def_argv(&back);
	for (size_t i = 0; words[i]; i++)
		assert_string_equal(argv[i], words[i]);
	vd_strvfreep(&argv);
	ct_def_free(&back);
	ct_def_free(&d);
}

/* A definition that would not read back the same is refused and the old file is kept. */
static void test_save_checks_roundtrip(void **state)
{
	struct ct_def d;
	struct vd_error *e = NULL;
	ct_def_init(&d, "keep");
	d.rootfs = vd_xstrdup("/srv/r");
	d.cpus = 0.5;
	assert_int_equal(ct_def_save(&d, &e), 0);
	_cleanup_free_ char *before = NULL, *after = NULL, *path = NULL;
	assert_int_equal(ct_def_path("keep", &path, &e), 0);
	assert_int_equal(vd_read_file(path, &before, NULL), 0);
	d.cpus = NAN;
	assert_true(ct_def_save(&d, &e) < 0);
	assert_non_null(e);
	if (!strstr(e->msg, "container keep") || !strstr(e->msg, "cpus"))
		fail_msg("got '%s'", e->msg);
	vd_error_freep(&e);
	assert_int_equal(vd_read_file(path, &after, NULL), 0);
	assert_string_equal(before, after);
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);
	ct_def_free(&d);
}

/* Interface names have at most IFNAMSIZ - 1 = 15 bytes: longer ones are refused, not cut. */
static void test_bridge_name(void **state)
{
	struct ct_def d;
	struct vd_error *e = NULL;
	ct_def_init(&d, "br");
	assert_int_equal(ct_def_set(&d, "bridge", "vdbr-test-15chr", &e), 0);
	assert_true(ct_def_set(&d, "bridge", "a-bridge-name-that-is-forty-characters-x", &e) < 0);
	if (!strstr(e->msg, "15"))
		fail_msg("got '%s'", e->msg);
	vd_error_freep(&e);
	assert_true(ct_def_set(&d, "bridge", "br/0", &e) < 0);
	vd_error_freep(&e);
	ct_def_free(&d);
	expect_bad("[network]\nnet = bridge\nbridge = a-bridge-name-that-is-forty-chars-xx\n",
		   3, "15");
}

static void test_validate_bounds(void **state)
{
	_cleanup_free_ char *r = make_rootfs(true);
	_cleanup_free_ char *over = vd_xasprintf("cpus=%u", vd_host_cpus() + 1);
	unsigned long long mem = vd_host_mem() + 4096;
	_cleanup_free_ char *ram = vd_xasprintf("memory=%llu", mem);
	expect_invalid(r, over, "CPUs");
	expect_invalid(r, "cpus=5000", "CPUs");
	expect_invalid(r, ram, "memory");
	struct vd_error *e = NULL;
	struct ct_def d;
	ct_def_init(&d, "v");
	d.rootfs = vd_xstrdup(r);
	assert_int_equal(ct_def_set(&d, "userns_base", "1", &e), 0);
	assert_int_equal(ct_def_set(&d, "userns_size", "18446744073709551615", &e), 0);
	assert_true(ct_def_validate(&d, &e) < 0); /* base + size wraps around 2^64 */
	if (!strstr(e->msg, "2^32"))
		fail_msg("got '%s'", e->msg);
	vd_error_freep(&e);
	ct_def_free(&d);
	/* A rootfs reached through a symlink is refused: start would follow it elsewhere. */
	_cleanup_free_ char *link = vd_xasprintf("%s/link", dir);
	assert_int_equal(symlink(r, link), 0);
	expect_invalid(link, NULL, "symlink");
}

/* The mount itself refuses a rootfs path with a symlink on it, whatever the check before it
 * saw (a swap between the check and the mount); root only: it runs in a new mount namespace. */
static void test_mount_refuses_symlinked_rootfs(void **state)
{
	if (geteuid() != 0)
		skip();
	_cleanup_free_ char *r = make_rootfs(true);
	_cleanup_free_ char *link = vd_xasprintf("%s/swapped", dir);
	assert_int_equal(symlink(r, link), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vd_error *e = NULL;
		if (unshare(CLONE_NEWNS) < 0)
			_exit(2);
		int rc = ct_mount_setup("m", link, NULL, false, &e);
		_exit(rc == -ELOOP && e && strstr(e->msg, "symlink") ? 0 : 1);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test(test_argv_quoting),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_resolves_in_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_roundtrip, setup, teardown),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test_setup_teardown(test_save_hostile_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_checks_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_refuses_symlinked_rootfs, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
