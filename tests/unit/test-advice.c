/* test-advice.c - the recommendation maths: percentiles, decay and verdicts on synthetic histories (no I/O). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "backend/advice-run.h"
#include "common/util.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)
#define NOW 1700000000

/* Minute points over `hours`, ending at NOW, from a generator of (cpu, mem). */
typedef void (*gen_fn)(size_t i, double *cpu, double *mem);

static struct vd_advice_point *series(double hours, const struct vd_alloc *alloc, gen_fn gen, size_t *n)
{
	*n = (size_t)(hours * 60);
	struct vd_advice_point *p = vd_xcalloc(*n, sizeof(*p));
	for (size_t i = 0; i < *n; i++) {
		p[i].t = NOW - (int64_t)(*n - i) * 60;
		p[i].dur = p[i].run_s = 60;
		gen(i, &p[i].cpu_avg, &p[i].mem_max);
		p[i].cpu_max = p[i].cpu_avg;
		p[i].mem_avg = p[i].mem_max;
		p[i].io_bps = 1e6; /* busy disk: never idle unless a test says so */
		p[i].state = VD_STATE_RUNNING;
		p[i].alloc = *alloc;
	}
	return p;
}

/* The summary path (decaying histogram, what the console uses) must reach the same verdict and
 * sizes as the exact points path on the same history. */
static void summary_agrees(const struct vd_advice_params *p, enum vd_kind kind, const struct vd_alloc *al,
			   const struct vd_advice_point *pts, size_t n, const struct vd_advice *exact)
{
	struct vd_advice_summary s;
	vd_advice_summary_init(&s, p->half_life_h);
	for (size_t i = 0; i < n; i++)
		vd_advice_summary_add(&s, &pts[i]);
	struct vd_advice b;
	vd_advice_from_summary(p, kind, al, &s, NOW, &b);
	assert_int_equal(b.verdict, exact->verdict);
	assert_float_equal(b.cpu_rec, exact->cpu_rec, 1e-9);
	assert_int_equal(b.mem_rec, exact->mem_rec);
	assert_int_equal(b.ooms, exact->ooms);
	assert_int_equal(b.mem_kernel_peak, exact->mem_kernel_peak);
	assert_float_equal(b.hours, exact->hours, 1e-9);
	assert_true(b.cpu_pctl >= exact->cpu_pctl && b.cpu_pctl <= exact->cpu_pctl * 1.05 + 0.001);
}

static void test_percentile_hand_computed(void **state)
{
	double v[] = { 7, 3, 10, 1, 5, 9, 2, 8, 6, 4 };
	/* equal weights: P50 is the 5th smallest, P90 the 9th, P95 the 10th */
	assert_true(vd_advice_percentile(v, NULL, 10, 0.50) == 5);
	assert_true(vd_advice_percentile(v, NULL, 10, 0.90) == 9);
	assert_true(vd_advice_percentile(v, NULL, 10, 0.95) == 10);
	assert_true(vd_advice_percentile(v, NULL, 10, 0.0) == 1);
	/* weights 1,1,2 on 1,2,3: half of the weight (2 of 4) is reached at 2, anything more needs 3 */
	double x[] = { 3, 1, 2 }, w[] = { 2, 1, 1 };
	assert_true(vd_advice_percentile(x, w, 3, 0.50) == 2);
	assert_true(vd_advice_percentile(x, w, 3, 0.51) == 3);
	assert_true(vd_advice_percentile(x, w, 3, 0.25) == 1);
	assert_true(vd_advice_percentile(NULL, NULL, 0, 0.95) == 0);
}

static void test_decay_hand_computed(void **state)
{
	assert_float_equal(vd_advice_decay(0, 24), 1.0, 1e-12);
	assert_float_equal(vd_advice_decay(86400, 24), 0.5, 1e-12);
	assert_float_equal(vd_advice_decay(2 * 86400, 24), 0.25, 1e-12);
	assert_float_equal(vd_advice_decay(86400, 12), 0.25, 1e-12);
	assert_float_equal(vd_advice_decay(-5, 24), 1.0, 1e-12);
}

/* One fresh minute at 1 CPU (weight ~60) and one a day old at 4 CPUs (weight 30): with the
 * 24 h half-life P60 (goal 54 of 90) is 1; without decay (60 + 60) it would be 4. */
static void test_decay_changes_percentile(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	p.min_hours = 0;
	p.cpu_percentile = 0.6;
	struct vd_alloc al = { .vcpus = 8, .mem_bytes = 8 * GIB };
	struct vd_advice_point pts[2] = {
		{ .t = NOW - 60, .dur = 60, .run_s = 60, .cpu_avg = 1, .state = VD_STATE_RUNNING },
		{ .t = NOW - 86400 - 30, .dur = 60, .run_s = 60, .cpu_avg = 4, .state = VD_STATE_RUNNING },
	};
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, 2, NOW, &a);
	assert_float_equal(a.cpu_pctl, 1.0, 1e-12);
	p.cpu_percentile = 0.7; /* goal 63 > 60: the old point decides */
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, 2, NOW, &a);
	assert_float_equal(a.cpu_pctl, 4.0, 1e-12);
	p.half_life_h = 1e6; /* practically no decay: equal weights, P60 = 4 */
	p.cpu_percentile = 0.6;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, 2, NOW, &a);
	assert_float_equal(a.cpu_pctl, 4.0, 1e-12);
}

static void gen_steady_vm(size_t i, double *cpu, double *mem)
{
	*cpu = 0.5;
	*mem = (double)GIB;
}

/* 4 vCPUs / 8 GiB using 0.5 CPU and 1 GiB for two days: need 0.575 CPU -> 1 vCPU;
 * 1 GiB x 1.15 = 1177.6 MiB -> 1216 MiB in 64 MiB steps. */
static void test_steady_low_use_is_over(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .vcpus = 4, .mem_bytes = 8 * GIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(48, &al, gen_steady_vm, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_OVER);
	assert_float_equal(a.cpu_pctl, 0.5, 1e-12);
	assert_float_equal(a.cpu_need, 0.575, 1e-9);
	assert_float_equal(a.cpu_rec, 1, 0);
	assert_int_equal(a.cpu_move, VD_MOVE_SHRINK);
	assert_int_equal(a.mem_rec, 1216 * MIB);
	assert_int_equal(a.mem_move, VD_MOVE_SHRINK);
	assert_float_equal(a.hours, 48, 1e-9);
	assert_non_null(strstr(a.reason, "48h of data"));
	summary_agrees(&p, VD_KIND_VM, &al, pts, n, &a);
}

static void gen_steady_ct(size_t i, double *cpu, double *mem)
{
	*cpu = 0.2;
	*mem = 40.0 * MIB;
}

/* The container: 512 MiB limit, ~40 MiB used -> 46 MiB need -> 48 MiB; 0.2 CPU of 1 -> 0.3. */
static void test_container_rounding(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .cpu_limit = 1.0, .mem_bytes = 512 * MIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(30, &al, gen_steady_ct, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_CT, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_OVER);
	assert_float_equal(a.cpu_rec, 0.3, 1e-9);
	assert_int_equal(a.mem_rec, 48 * MIB);
	summary_agrees(&p, VD_KIND_CT, &al, pts, n, &a);
}

/* Every 10th minute at 3 CPUs, one minute a day at 3 GiB: P95 is the spike level, and memory
 * stays above the daily peak. */
static void gen_spiky(size_t i, double *cpu, double *mem)
{
	*cpu = i % 10 == 0 ? 3.0 : 0.2;
	*mem = i % 1440 == 700 ? 3.0 * GIB : 500.0 * MIB;
}

static void test_spikes_not_shrunk_below_peaks(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .vcpus = 4, .mem_bytes = 4 * GIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(72, &al, gen_spiky, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_float_equal(a.cpu_pctl, 3.0, 0);
	assert_float_equal(a.cpu_rec, 4, 0); /* 3 x 1.15 = 3.45 -> 4: keeps its 4 vCPUs */
	assert_int_equal(a.cpu_move, VD_MOVE_KEEP);
	assert_float_equal(a.mem_peak_pctl, 3.0 * GIB, 0);
	assert_true(a.mem_rec >= (uint64_t)(3.0 * GIB * 1.15));
	assert_int_equal(a.mem_rec, 3584 * MIB);
	assert_int_equal(a.verdict, VD_VERDICT_OVER); /* 4 GiB -> 3.5 GiB saves 12.5 % */
	summary_agrees(&p, VD_KIND_VM, &al, pts, n, &a);
}

static void gen_ct_200(size_t i, double *cpu, double *mem)
{
	*cpu = 0.4; /* of 0.5: need 0.46 -> 0.5, kept */
	*mem = 200.0 * MIB;
}

/* 256 MiB container peaking at 200 MiB: fine (need 230 -> 240 MiB keeps 256). One OOM kill two
 * hours ago bumps the need to max(256 + 100, 256 x 1.2) = 356 MiB -> UNDER, 368 MiB. */
static void test_oom_bumps_memory(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .cpu_limit = 0.5, .mem_bytes = 256 * MIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(30, &al, gen_ct_200, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_CT, &al, pts, n, NOW, &a);
	assert_int_equal(a.mem_move, VD_MOVE_KEEP);
	assert_int_equal(a.verdict, VD_VERDICT_OK);
	pts[n - 120].oom = 1;
	vd_advice_compute(&p, VD_KIND_CT, &al, pts, n, NOW, &a);
	assert_int_equal(a.ooms, 1);
	assert_float_equal(a.mem_need, 356.0 * MIB, 1);
	assert_int_equal(a.mem_rec, 368 * MIB);
	assert_int_equal(a.mem_move, VD_MOVE_GROW);
	assert_int_equal(a.verdict, VD_VERDICT_UNDER);
	assert_non_null(strstr(a.reason, "1 OOM kill"));
	summary_agrees(&p, VD_KIND_CT, &al, pts, n, &a);
}

/* Killed by the OOM killer before a single minute of running data: the kernel's counter alone
 * decides UNDER (no shrink, no 24 h wait), memory grows past the limit, CPU is left alone, and
 * the reason names the OOM kill. Before: "collecting", and after a day at 20 MiB "shrink to
 * 32M". */
static void test_oom_without_data_is_under(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .cpu_limit = 1, .mem_bytes = 256 * MIB };
	struct vd_advice_point pt = { .t = NOW - 60, .oom = 1, .mem_kpeak = 256.0 * MIB,
				      .state = VD_STATE_STOPPED, .alloc = al };
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_CT, &al, &pt, 1, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_UNDER);
	assert_int_equal(a.mem_move, VD_MOVE_GROW);
	assert_int_equal(a.cpu_move, VD_MOVE_KEEP);
	assert_int_equal(a.mem_rec, 368 * MIB); /* max(256 + 100, 256 x 1.2) = 356 -> 368 */
	assert_non_null(strstr(a.reason, "1 OOM kill"));
	assert_non_null(strstr(a.reason, "no shrink"));
	summary_agrees(&p, VD_KIND_CT, &al, &pt, 1, &a);
	struct vd_resize rs;
	struct vd_guest g = { .name = "x", .kind = VD_KIND_CT, .alloc = al };
	assert_int_equal(vd_advice_resize_for(&g, &a, &rs, NULL), 0);
	assert_int_equal(rs.mem_bytes, 368 * MIB);
	assert_true(rs.cpus == 0);
}

static void gen_ct_20(size_t i, double *cpu, double *mem)
{
	*cpu = 0.5;
	*mem = 20.0 * MIB;
}

/* Every sample at 20 MiB but the kernel's peak rose to 200 MiB between two of them: the daily
 * peak is 200 MiB (not 20), the recommendation stays above it, and the reason says so. */
static void test_kernel_peak_sizes_memory(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .cpu_limit = 1, .mem_bytes = 512 * MIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(30, &al, gen_ct_20, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_CT, &al, pts, n, NOW, &a);
	assert_int_equal(a.mem_rec, 32 * MIB);
	assert_false(a.mem_kernel_peak);
	assert_non_null(strstr(a.reason, "(samples)"));
	pts[n - 100].mem_kpeak = 200.0 * MIB;
	vd_advice_compute(&p, VD_KIND_CT, &al, pts, n, NOW, &a);
	assert_float_equal(a.mem_peak_pctl, 200.0 * MIB, 0);
	assert_true(a.mem_kernel_peak);
	assert_int_equal(a.mem_rec, 240 * MIB); /* 200 x 1.15 = 230 -> 240 */
	assert_int_equal(a.verdict, VD_VERDICT_OVER);
	assert_non_null(strstr(a.reason, "kernel peak, unseen by samples"));
	summary_agrees(&p, VD_KIND_CT, &al, pts, n, &a);
}

static void test_too_little_data_is_collecting(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .vcpus = 4, .mem_bytes = 8 * GIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(10.5, &al, gen_steady_vm, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_COLLECTING);
	char buf[48];
	assert_string_equal(vd_advice_label(&a, &p, buf, sizeof(buf)), "collecting: 10h of 24h");
	summary_agrees(&p, VD_KIND_VM, &al, pts, n, &a);
	vd_advice_compute(&p, VD_KIND_VM, &al, NULL, 0, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_COLLECTING);
	assert_string_equal(vd_advice_label(&a, &p, buf, sizeof(buf)), "collecting: 0h of 24h");
}

static void gen_idle(size_t i, double *cpu, double *mem)
{
	*cpu = 0.02;
	*mem = 100.0 * MIB;
}

static void test_idle_and_under(void **state)
{
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	struct vd_alloc al = { .vcpus = 2, .mem_bytes = 2 * GIB };
	size_t n;
	_cleanup_free_ struct vd_advice_point *pts = series(30, &al, gen_idle, &n);
	struct vd_advice a;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_OVER); /* 1 % CPU but the disk is busy: not idle */
	for (size_t i = 0; i < n; i++)
		pts[i].io_bps = 200;
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_IDLE);
	summary_agrees(&p, VD_KIND_VM, &al, pts, n, &a);
	for (size_t i = 0; i < n; i++)
		pts[i].cpu_avg = 1.9; /* 95 % of 2 vCPUs: needs 2.185 -> 3 */
	vd_advice_compute(&p, VD_KIND_VM, &al, pts, n, NOW, &a);
	assert_int_equal(a.verdict, VD_VERDICT_UNDER);
	assert_float_equal(a.cpu_rec, 3, 0);
	summary_agrees(&p, VD_KIND_VM, &al, pts, n, &a);
}

static void test_params_by_name(void **state)
{
	struct vd_advice_params p;
	const char *msg = NULL;
	vd_advice_params_default(&p);
	assert_int_equal(vd_advice_params_set(&p, "cpu_percentile", "0.9", &msg), 0);
	assert_float_equal(p.cpu_percentile, 0.9, 0);
	assert_int_equal(vd_advice_params_set(&p, "mem_min_ct", "64M", &msg), 0);
	assert_int_equal(p.mem_min_ct, 64 * MIB);
	assert_int_equal(vd_advice_params_set(&p, "idle_io_bytes_per_sec", "32K", &msg), 0);
	assert_float_equal(p.idle_io_bps, 32768, 0);
	assert_int_equal(vd_advice_params_set(&p, "cpu_margin", "lots", &msg), -EINVAL);
	assert_non_null(strstr(msg, "expected a fraction"));
	assert_int_equal(vd_advice_params_set(&p, "cpu_percentile", "1.5", &msg), -EINVAL);
	assert_int_equal(vd_advice_params_set(&p, "warp_factor", "9", &msg), -EINVAL);
	assert_non_null(strstr(msg, "unknown advice key"));
	assert_float_equal(p.cpu_margin, 0.15, 0); /* a bad value leaves the old one */
}

/* Histogram percentiles: the upper edge of the 5 % bucket holding the exact figure; weights
 * double every half-life, so a fresh point outweighs a day-old one two to one. */
static void test_summary_histogram(void **state)
{
	struct vd_advice_summary s;
	vd_advice_summary_init(&s, 24);
	struct vd_advice_point pt = { .dur = 60, .run_s = 60, .state = VD_STATE_RUNNING };
	for (int i = 1; i <= 10; i++) {
		pt.t = NOW - 3600 + i * 60;
		pt.cpu_avg = i * 0.1; /* 0.1 .. 1.0, weights within 1 % of each other (an hour apart) */
		vd_advice_summary_add(&s, &pt);
	}
	/* 5 of 10 points is a little under half the weight (later ones weigh more): P45 is 0.5 */
	double p45 = vd_advice_summary_cpu_pctl(&s, 0.45), p95 = vd_advice_summary_cpu_pctl(&s, 0.95);
	assert_true(p45 >= 0.5 && p45 <= 0.5 * 1.05 + 1e-3);
	assert_true(p95 >= 1.0 && p95 <= 1.0 * 1.05 + 1e-3);
	vd_advice_summary_init(&s, 24);
	pt.t = NOW - 86400 - 30;
	pt.cpu_avg = 4;
	vd_advice_summary_add(&s, &pt); /* weight 60 x 2^0 = 60 (the reference) */
	pt.t = NOW - 60;
	pt.cpu_avg = 1;
	vd_advice_summary_add(&s, &pt); /* a day later: weight 60 x 2^1 = 120 */
	double p60 = vd_advice_summary_cpu_pctl(&s, 0.6), p70 = vd_advice_summary_cpu_pctl(&s, 0.7);
	assert_true(p60 >= 1 && p60 <= 1.05 + 1e-3); /* 120 of 180 = 0.667 >= 0.6 */
	assert_true(p70 >= 4 && p70 <= 4.2 + 1e-3);
}

static void test_config_keys(void **state)
{
	struct vd_advice_config c;
	const char *msg = NULL;
	vd_advice_config_default(&c);
	assert_int_equal(vd_advice_config_set(&c, "history_keep_raw", "12h", &msg), 0);
	assert_int_equal(c.history.keep_s[VD_HISTORY_RAW], 12 * 3600);
	assert_int_equal(vd_advice_config_set(&c, "history_max_size", "256M", &msg), 0);
	assert_int_equal(c.history.max_bytes, 256 * MIB);
	assert_int_equal(vd_advice_config_set(&c, "idle_days", "3", &msg), 0);
	assert_float_equal(c.sprawl.idle_days, 3, 0);
	assert_int_equal(vd_advice_config_set(&c, "min_hours", "12", &msg), 0);
	assert_float_equal(c.advice.min_hours, 12, 0);
	assert_int_equal(vd_advice_config_set(&c, "history_keep_raw", "10m", &msg), -EINVAL);
	assert_non_null(strstr(msg, "at least 1h"));
	assert_int_equal(vd_advice_config_set(&c, "history_keep_forever", "1d", &msg), -EINVAL);
	assert_non_null(strstr(msg, "unknown history key"));
	assert_int_equal(vd_advice_config_set(&c, "history_raw_seconds", "0", &msg), -EINVAL);
	double d;
	assert_int_equal(vd_advice_parse_duration("90m", &d), 0);
	assert_float_equal(d, 5400, 0);
	assert_int_equal(vd_advice_parse_duration("7d", &d), 0);
	assert_float_equal(d, 7 * 86400, 0);
	assert_int_equal(vd_advice_parse_duration("3x", &d), -EINVAL);
	assert_int_equal(vd_advice_parse_duration("5hh", &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_hand_computed),
		cmocka_unit_test(test_decay_hand_computed),
		cmocka_unit_test(test_decay_changes_percentile),
		cmocka_unit_test(test_steady_low_use_is_over),
		cmocka_unit_test(test_container_rounding),
		cmocka_unit_test(test_spikes_not_shrunk_below_peaks),
		cmocka_unit_test(test_oom_bumps_memory),
		cmocka_unit_test(test_oom_without_data_is_under),
		cmocka_unit_test(test_kernel_peak_sizes_memory),
		cmocka_unit_test(test_too_little_data_is_collecting),
		cmocka_unit_test(test_idle_and_under),
		cmocka_unit_test(test_params_by_name),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_summary_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
