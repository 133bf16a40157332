/* test-ct-cgroup.c - cgroup v1 and v2 writers and stat parsers on a fake cgroup tree in a temp
 * dir (plain files stand in for the kernel's), plus layout detection on the real mounts. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers/ct_cgroup.h"

static char root[256];

static void put(const char *rel, const char *content)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *get(const char *rel)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", root, rel);
	char *t = NULL;
	assert_int_equal(vd_read_file(path, &t, NULL), 0);
	t[strcspn(t, "\n")] = '\0';
	return t;
}

static void assert_file(const char *rel, const char *want)
{
	_cleanup_free_ char *t = get(rel);
	assert_string_equal(t, want);
}

static bool exists(const char *rel)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/test-ct-cgroup.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = vd_xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *const v1_ctrls[] = { "cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "blkio" };

static struct ct_cgroup *v1_tree(void)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(v1_ctrls); i++) {
		_cleanup_free_ char *d = vd_xasprintf("%s/%s/p/virtdeck/c1", root, v1_ctrls[i]);
		assert_int_equal(vd_mkdir_p(d, 0755), 0);
	}
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V1, "/p/", "c1", &cg, &e), 0);
	return cg;
}

static void test_v1_create_and_destroy(void **state)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(v1_ctrls); i++) {
		_cleanup_free_ char *d = vd_xasprintf("%s/%s", root, v1_ctrls[i]);
		assert_int_equal(mkdir(d, 0755), 0);
	}
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V1, "p", "c1", &cg, &e), 0);
	size_t n = 0;
	for (char *const *d = ct_cgroup_dirs(cg); *d; d++)
		n++;
	assert_int_equal(n, 7); /* one directory per v1 hierarchy */
	/* Plain files cannot confine devices (ct-devices.sh tests that on the kernel's). */
	struct ct_limits none = { .devices_unconfined = true };
	assert_int_equal(ct_cgroup_create(cg, &none, &e), 0);
	assert_true(exists("memory/p/virtdeck/c1"));
	assert_true(exists("cpuset/p/virtdeck/c1"));
	assert_int_equal(ct_cgroup_destroy(cg, &e), 0);
	assert_false(exists("memory/p/virtdeck/c1"));
	assert_false(exists("memory/p/virtdeck")); /* the shared level goes with its last container */
	ct_cgroup_free(cg);
}

static void test_v1_comounted(void **state)
{
	_cleanup_free_ char *d = vd_xasprintf("%s/cpu,cpuacct", root);
	assert_int_equal(mkdir(d, 0755), 0);
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V1, "", "x", &cg, &e), 0);
	_cleanup_free_ char *want = vd_xasprintf("%s/cpu,cpuacct/virtdeck/x", root);
	assert_string_equal(ct_cgroup_dirs(cg)[0], want);
	assert_null(ct_cgroup_dirs(cg)[1]); /* cpu and cpuacct share one directory */
	ct_cgroup_free(cg);
}

/* Without a devices hierarchy a confined container is refused, saying what to do, and the
 * groups made for it are gone again. */
static void test_v1_no_devices_refused(void **state)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(v1_ctrls); i++) {
		_cleanup_free_ char *d = vd_xasprintf("%s/%s", root, v1_ctrls[i]);
		assert_int_equal(mkdir(d, 0755), 0);
	}
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V1, "p", "c1", &cg, &e), 0);
	struct ct_limits lim = { 0 };
	assert_int_equal(ct_cgroup_create(cg, &lim, &e), -ENOTSUP);
	assert_non_null(strstr(e->msg, "container c1: no devices cgroup controller"));
	assert_non_null(strstr(e->msg, "devices = unconfined"));
	assert_false(exists("memory/p/virtdeck/c1"));
	vd_error_free(e);
	ct_cgroup_free(cg);
}

/* A directory that is no cgroup2 group cannot take the device program: refused, not ignored. */
static void test_v2_no_device_program_refused(void **state)
{
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V2, "", "c4", &cg, &e), 0);
	struct ct_limits lim = { 0 };
	assert_true(ct_cgroup_create(cg, &lim, &e) < 0);
	assert_non_null(strstr(e->msg, "container c4"));
	assert_non_null(strstr(e->msg, "devices = unconfined"));
	assert_false(exists("virtdeck/c4"));
	vd_error_free(e);
	ct_cgroup_free(cg);
}

static void test_v1_set(void **state)
{
	struct ct_cgroup *cg = v1_tree();
	const char *files[] = { "memory/p/virtdeck/c1/memory.limit_in_bytes", "memory/p/virtdeck/c1/memory.soft_limit_in_bytes",
				"cpu/p/virtdeck/c1/cpu.cfs_quota_us", "cpu/p/virtdeck/c1/cpu.cfs_period_us",
				"cpu/p/virtdeck/c1/cpu.shares", "pids/p/virtdeck/c1/pids.max",
				"cpuset/p/virtdeck/c1/cpuset.cpus" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(files); i++)
		put(files[i], "");
	struct ct_limits lim = { .mem_max = 16 << 20, .mem_high = 12 << 20, .cpus = 0.5, .cpu_weight = 200,
				 .cpuset = "0-1", .pids_max = 64 };
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_set(cg, &lim, &e), 0);
	assert_file(files[0], "16777216");
	assert_file(files[1], "12582912");
	assert_file(files[2], "50000");
	assert_file(files[3], "100000");
	assert_file(files[4], "2048");
	assert_file(files[5], "64");
	assert_file(files[6], "0-1");
	struct ct_limits none = { 0 };
	assert_int_equal(ct_cgroup_set(cg, &none, &e), 0);
	assert_file(files[0], "-1");
	assert_file(files[2], "-1");
	assert_file(files[5], "max");
	ct_cgroup_free(cg);
}

/* NaN, negative or huge quotas and limits past 2^63 are refused before any file is written:
 * they used to become "-1" (unlimited) or a wrapped number. */
static void test_v1_set_refuses_garbage(void **state)
{
	struct ct_cgroup *cg = v1_tree();
	const char *quota = "cpu/p/virtdeck/c1/cpu.cfs_quota_us";
	const char *mem = "memory/p/virtdeck/c1/memory.limit_in_bytes";
	put(quota, "50000");
	put(mem, "16777216");
	const struct ct_limits bad[] = { { .cpus = NAN },	      { .cpus = 1e308 },
					 { .cpus = -1 },	      { .cpus = INFINITY },
					 { .cpus = 0.001 },	      { .mem_max = 1ull << 63 },
					 { .mem_max = UINT64_MAX } };
	for (size_t i = 0; i < VD_ARRAY_SIZE(bad); i++) {
		struct vd_error *e = NULL;
		assert_true(ct_cgroup_set(cg, &bad[i], &e) < 0);
		assert_non_null(strstr(e->msg, "out of range"));
		vd_error_free(e);
		assert_file(quota, "50000");
		assert_file(mem, "16777216");
	}
	ct_cgroup_free(cg);
}

static void test_v1_set_missing_file(void **state)
{
	struct ct_cgroup *cg = v1_tree();
	struct ct_limits lim = { .mem_max = 16 << 20 };
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_set(cg, &lim, &e), -ENOENT);
	assert_non_null(strstr(e->msg, "container c1"));
	assert_non_null(strstr(e->msg, "memory.limit_in_bytes"));
	vd_error_free(e);
	ct_cgroup_free(cg);
}

static void test_v1_stats(void **state)
{
	struct ct_cgroup *cg = v1_tree();
	put("cpuacct/p/virtdeck/c1/cpuacct.usage", "123456789\n");
	put("cpuacct/p/virtdeck/c1/cpuacct.stat", "user 10\nsystem 5\n");
	put("cpu/p/virtdeck/c1/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 5000\n");
	put("memory/p/virtdeck/c1/memory.usage_in_bytes", "10485760\n");
	put("memory/p/virtdeck/c1/memory.max_usage_in_bytes", "16777216\n");
	put("memory/p/virtdeck/c1/memory.limit_in_bytes", "9223372036854771712\n");
	put("memory/p/virtdeck/c1/memory.stat", "cache 4096\nrss 8192\ninactive_file 1\ntotal_inactive_file 2097152\n");
	put("memory/p/virtdeck/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put("pids/p/virtdeck/c1/pids.current", "3\n");
	put("blkio/p/virtdeck/c1/blkio.throttle.io_service_bytes",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n8:16 Read 1\nTotal 12289\n");
	struct ct_stats st;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_stats(cg, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 123456789);
	assert_int_equal(st.cpu_user_ns, 100000000);
	assert_int_equal(st.cpu_sys_ns, 50000000);
	assert_int_equal(st.nr_throttled, 3);
	assert_int_equal(st.throttled_ns, 5000);
	assert_int_equal(st.mem_usage, 10485760);
	assert_int_equal(st.mem_used, 10485760 - 2097152); /* docker: usage - total_inactive_file */
	assert_int_equal(st.mem_peak, 16777216);
	assert_int_equal(st.mem_limit, 0); /* PAGE_COUNTER_MAX means unlimited */
	assert_int_equal(st.oom_events, 2);
	assert_int_equal(st.pids, 3);
	assert_int_equal(st.io_read, 4097);
	assert_int_equal(st.io_write, 8192);
	assert_false(st.psi_valid);
	ct_cgroup_free(cg);
}

static void test_v1_freeze(void **state)
{
	struct ct_cgroup *cg = v1_tree();
	put("freezer/p/virtdeck/c1/freezer.state", "THAWED\n");
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_freeze(cg, true, &e), 0);
	assert_file("freezer/p/virtdeck/c1/freezer.state", "FROZEN");
	assert_int_equal(ct_cgroup_freeze(cg, false, &e), 0);
	assert_file("freezer/p/virtdeck/c1/freezer.state", "THAWED");
	ct_cgroup_free(cg);
}

static struct ct_cgroup *v2_tree(void)
{
	_cleanup_free_ char *d = vd_xasprintf("%s/virtdeck/c2", root);
	assert_int_equal(vd_mkdir_p(d, 0755), 0);
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V2, "", "c2", &cg, &e), 0);
	assert_int_equal(ct_cgroup_version(cg), CT_CGROUP_V2);
	return cg;
}

static void test_v2_set(void **state)
{
	struct ct_cgroup *cg = v2_tree();
	const char *f[] = { "memory.max", "memory.high", "cpu.max", "cpu.weight", "pids.max", "cpuset.cpus" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(f); i++) {
		_cleanup_free_ char *file = vd_xasprintf("virtdeck/c2/%s", f[i]);
		put(file, "");
	}
	struct ct_limits lim = { .mem_max = 256 << 20, .mem_high = 200 << 20, .cpus = 1.5, .cpu_weight = 300,
				 .cpuset = "1", .pids_max = 100 };
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_set(cg, &lim, &e), 0);
	assert_file("virtdeck/c2/memory.max", "268435456");
	assert_file("virtdeck/c2/memory.high", "209715200");
	assert_file("virtdeck/c2/cpu.max", "150000 100000");
	assert_file("virtdeck/c2/cpu.weight", "300");
	assert_file("virtdeck/c2/pids.max", "100");
	assert_file("virtdeck/c2/cpuset.cpus", "1");
	struct ct_limits none = { 0 };
	assert_int_equal(ct_cgroup_set(cg, &none, &e), 0);
	assert_file("virtdeck/c2/memory.max", "max");
	assert_file("virtdeck/c2/cpu.max", "max 100000");
	assert_file("virtdeck/c2/pids.max", "max");
	ct_cgroup_free(cg);
}

static void test_v2_create_enables_controllers(void **state)
{
	put("cgroup.subtree_control", "");
	struct ct_cgroup *cg = NULL;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_new(root, CT_CGROUP_V2, "a/b", "c3", &cg, &e), 0);
	struct ct_limits none = { .devices_unconfined = true };
	assert_int_equal(ct_cgroup_create(cg, &none, &e), 0);
	assert_true(exists("a/b/virtdeck/c3"));
	assert_file("cgroup.subtree_control", "+io"); /* the last controller written (a plain file) */
	assert_int_equal(ct_cgroup_destroy(cg, &e), 0);
	assert_false(exists("a/b/virtdeck/c3"));
	ct_cgroup_free(cg);
}

static void test_v2_stats(void **state)
{
	struct ct_cgroup *cg = v2_tree();
	put("virtdeck/c2/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\n"
				    "throttled_usec 20\n");
	put("virtdeck/c2/memory.current", "8388608\n");
	put("virtdeck/c2/memory.peak", "9000000\n");
	put("virtdeck/c2/memory.max", "max\n");
	put("virtdeck/c2/memory.stat", "anon 1\nfile 2\nactive_file 7\ninactive_file 1048576\n");
	put("virtdeck/c2/memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n");
	put("virtdeck/c2/pids.current", "4\n");
	put("virtdeck/c2/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
				   "8:16 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n");
	put("virtdeck/c2/cpu.pressure", "some avg10=1.50 avg60=0.00 avg300=0.00 total=123\n"
					"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	put("virtdeck/c2/memory.pressure", "some avg10=0.25 avg60=0.00 avg300=0.00 total=9\n"
					   "full avg10=0.10 avg60=0.00 avg300=0.00 total=3\n");
	struct ct_stats st;
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_stats(cg, &st, &e), 0);
	assert_int_equal(st.cpu_ns, 1500000);
	assert_int_equal(st.cpu_user_ns, 1000000);
	assert_int_equal(st.cpu_sys_ns, 500000);
	assert_int_equal(st.throttled_ns, 20000);
	assert_int_equal(st.mem_used, 8388608 - 1048576);
	assert_int_equal(st.mem_peak, 9000000);
	assert_int_equal(st.mem_limit, 0);
	assert_int_equal(st.oom_events, 2);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.pids, 4);
	assert_int_equal(st.io_read, 101);
	assert_int_equal(st.io_write, 202);
	assert_true(st.psi_valid);
	assert_true(st.psi_cpu_some10 > 1.49 && st.psi_cpu_some10 < 1.51);
	assert_true(st.psi_mem_full10 > 0.09 && st.psi_mem_full10 < 0.11);
	ct_cgroup_free(cg);
}

static void test_v2_freeze(void **state)
{
	struct ct_cgroup *cg = v2_tree();
	put("virtdeck/c2/cgroup.freeze", "0\n");
	put("virtdeck/c2/cgroup.events", "populated 1\nfrozen 1\n");
	struct vd_error *e = NULL;
	assert_int_equal(ct_cgroup_freeze(cg, true, &e), 0);
	assert_file("virtdeck/c2/cgroup.freeze", "1");
	ct_cgroup_free(cg);
}

static void test_parsers(void **state)
{
	uint64_t v = 0;
	assert_int_equal(ct_cgroup_parse_kv("oom_kill 7\noom 3\n", "oom", &v), 0);
	assert_int_equal(v, 3); /* "oom" must not match "oom_kill" */
	assert_int_equal(ct_cgroup_parse_kv("a 1\n", "b", &v), -ENOENT);
	double avg;
	uint64_t total;
	assert_int_equal(ct_cgroup_parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", "full", &avg, &total),
			 -ENOENT);
	assert_int_equal(ct_cgroup_parse_psi("full avg10=2.00 avg60=0.00 avg300=0.00 total=5", "full", &avg, &total), 0);
	assert_int_equal(total, 5);
	assert_int_equal(ct_cgroup_weight_to_shares(100), 1024);
	assert_int_equal(ct_cgroup_weight_to_shares(1), 10);
	assert_int_equal(ct_cgroup_weight_to_shares(10000), 102400);
	assert_int_equal(ct_cgroup_weight_to_shares(0), 1024);
}

/* The real mounts of this machine: tmpfs of v1 hierarchies, and the cgroup2 "unified" mount. */
static void test_detect_real(void **state)
{
	struct vd_error *e = NULL;
	int v = ct_cgroup_detect("/sys/fs/cgroup", &e);
	assert_true(v == CT_CGROUP_V1 || v == CT_CGROUP_V2);
	if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0)
		assert_int_equal(ct_cgroup_detect("/sys/fs/cgroup/unified", &e), CT_CGROUP_V2);
	assert_true(ct_cgroup_detect("/nonexistent", &e) < 0);
	assert_non_null(strstr(e->msg, "/nonexistent"));
	vd_error_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_create_and_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_comounted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_no_devices_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_no_device_program_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_set_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_set_refuses_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_freeze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_create_enables_controllers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_freeze, setup, teardown),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_detect_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
