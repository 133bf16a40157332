/* test-rate.c - rates from engine-stamped readings: the arithmetic, the engines' reading ring,
 * which window the registry picks, and the CFS slack checked against a simulated quota. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>

#include "backend/registry.h"
#include "common/rate.h"

#define S 1000000000ull
#define MS 1000000ull

static void test_per_s(void **state)
{
	double r;
	struct vd_rate_reading a = { 10 * S, 4 * S }, b = { 12 * S, 5 * S };
	assert_true(vd_rate_per_s(a, b, &r));
	assert_float_equal(r, 0.5e9, 1e-3); /* 1 s of CPU in 2 s: half a CPU */
	assert_false(vd_rate_per_s(b, a, &r)); /* backwards in time */
	assert_false(vd_rate_per_s(a, a, &r)); /* an empty window */
	struct vd_rate_reading restarted = { 13 * S, 1 * S };
	assert_false(vd_rate_per_s(b, restarted, &r)); /* the counter went back */
	struct vd_rate_reading none = { 0, 0 };
	assert_false(vd_rate_per_s(none, b, &r));
}

static void test_ring(void **state)
{
	struct vd_rate_ring ring = { 0 };
	struct vd_rate_reading out;
	assert_int_equal(vd_rate_ring_due_ns(&ring, 5 * S), 0);
	assert_false(vd_rate_ring_note(&ring, (struct vd_rate_reading){ 0, 1 })); /* no stamp */
	assert_true(vd_rate_ring_note(&ring, (struct vd_rate_reading){ 10 * S, 100 }));
	assert_false(vd_rate_ring_base(&ring, 10 * S + 900 * MS, &out)); /* nothing a second old */
	assert_false(vd_rate_ring_note(&ring, (struct vd_rate_reading){ 10 * S + 500 * MS, 150 }));
	assert_int_equal(vd_rate_ring_due_ns(&ring, 10 * S + 500 * MS), 500 * MS);
	assert_true(vd_rate_ring_note(&ring, (struct vd_rate_reading){ 11 * S, 200 }));
	/* 11.2 s: the 11 s reading is too recent, the 10 s one is 1.2 s back */
	assert_true(vd_rate_ring_base(&ring, 11 * S + 200 * MS, &out));
	assert_int_equal(out.t_ns, 10 * S);
	assert_true(vd_rate_ring_base(&ring, 12 * S, &out));
	assert_int_equal(out.t_ns, 11 * S);
	for (uint64_t t = 12; t <= 20; t++) /* older readings fall out; the newest stay */
		assert_true(vd_rate_ring_note(&ring, (struct vd_rate_reading){ t * S, t * 100 }));
	assert_int_equal(ring.n, VD_RATE_RING);
	assert_true(vd_rate_ring_base(&ring, 20 * S + 300 * MS, &out));
	assert_int_equal(out.t_ns, 19 * S);
	assert_int_equal(out.value, 1900);
	assert_false(vd_rate_ring_base(&ring, 18 * S, &out)); /* a clock before every reading */
}

static uint64_t count_calls(void *arg)
{
	return ++*(uint64_t *)arg;
}

static void test_read_stamps_inside_the_read(void **state)
{
	uint64_t calls = 0;
	uint64_t before = vd_now_mono_ns();
	struct vd_rate_reading r = vd_rate_read(count_calls, &calls);
	uint64_t after = vd_now_mono_ns();
	assert_true(r.t_ns >= before && r.t_ns <= after);
	assert_true(r.value >= 1 && r.value <= calls && calls <= 4);
}

static void test_cap_slack(void **state)
{
	/* The integration test's case: 0.5 CPU, 100 ms period, one thread, HZ 250, 1 s window. */
	assert_float_equal(vd_rate_cap_slack(0.5, 0.1, 1, 0.004, 1.0), 11.6, 1e-9);
	/* twice the window, half the slack */
	assert_float_equal(vd_rate_cap_slack(0.5, 0.1, 1, 0.004, 2.0), 5.8, 1e-9);
	/* the old list's 250 ms window: 46 points of legitimate overshoot */
	assert_float_equal(vd_rate_cap_slack(0.5, 0.1, 1, 0.004, 0.25), 46.4, 1e-9);
	/* a cap of all the CPUs it can run on cannot be exceeded: only the counter's ticks */
	assert_float_equal(vd_rate_cap_slack(2.0, 0.1, 2, 0.004, 1.0), 0.8, 1e-9); /* 4 ticks / 2 */
	assert_float_equal(vd_rate_cap_slack(0, 0.1, 1, 0.004, 1.0), 0, 0);
	assert_float_equal(vd_rate_cap_slack(0.5, 0.1, 1, 0.004, 0), 0, 0);
}

/* CPU time of one busy thread under a CFS quota: it runs the first q of every period p
 * (the period starting at phase), then is throttled. */
static uint64_t cfs_cpu_ns(uint64_t t, uint64_t phase, uint64_t p, uint64_t q)
{
	uint64_t since = t - phase, in = since % p;
	return since / p * q + (in < q ? in : q);
}

/* Readings stamped when read, windows of 1-3 s at every phase: the measured share never goes
 * above 100 % + the slack, and does go above 100 % (the slack is needed, not decoration). */
static void test_slack_bounds_simulated_quota(void **state)
{
	const uint64_t p = 100 * MS, q = 50 * MS, phase = 7 * MS;
	double worst = 0;
	srand(13);
	for (int i = 0; i < 20000; i++) {
		uint64_t a = phase + 10 * S + (uint64_t)rand() % S + (uint64_t)(rand() % 4) * S;
		uint64_t w = S + (uint64_t)rand() % S + (uint64_t)(rand() % 2) * S;
		struct vd_rate_reading ra = { a, cfs_cpu_ns(a, phase, p, q) };
		struct vd_rate_reading rb = { a + w, cfs_cpu_ns(a + w, phase, p, q) };
		double per_s;
		assert_true(vd_rate_per_s(ra, rb, &per_s));
		double pct = 100.0 * per_s / 1e9 / 0.5;
		double slack = vd_rate_cap_slack(0.5, 0.1, 1, 0, (double)w / 1e9);
		assert_true(pct <= 100.0 + slack + 1e-6);
		worst = pct - 100.0 > worst ? pct - 100.0 : worst;
	}
	assert_true(worst > 0.5 && worst <= 5.0 + 1e-6); /* at most 5 points at 1 s, tick aside */
}

/* The bug this replaces: the same quota read by a client that stamps replies when they arrive,
 * 0-40 ms after the engine read them, and waits 250 ms between two: far above the cap. */
static void test_client_stamps_overshoot(void **state)
{
	const uint64_t p = 100 * MS, q = 50 * MS, phase = 0;
	double worst = 0;
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint64_t a = 10 * S + (uint64_t)rand() % S, b = a + 250 * MS;
		uint64_t late_a = (uint64_t)rand() % (40 * MS);
		struct vd_rate_reading ra = { a + late_a, cfs_cpu_ns(a, phase, p, q) };
		struct vd_rate_reading rb = { b, cfs_cpu_ns(b, phase, p, q) };
		double per_s;
		if (vd_rate_per_s(ra, rb, &per_s) && 100.0 * per_s / 1e9 / 0.5 > worst)
			worst = 100.0 * per_s / 1e9 / 0.5;
	}
	assert_true(worst > 100.0 + vd_rate_cap_slack(0.5, 0.1, 1, 0, 1.0));
}

static struct vd_guest guest_at(uint64_t t, uint64_t cpu, uint64_t win_t, uint64_t win_cpu)
{
	struct vd_guest g;
	memset(&g, 0, sizeof(g));
	g.state = VD_STATE_RUNNING;
	g.alloc.cpu_limit = 0.5;
	g.sample = (struct vd_sample){ .valid = true, .t_ns = t, .cpu_ns = cpu, .win_t_ns = win_t,
				       .win_cpu_ns = win_cpu };
	return g;
}

/* `list` has one sample: the engine's kept reading gives the rate and its window. */
static void test_registry_engine_window(void **state)
{
	struct vd_guest g = guest_at(20 * S, 10 * S, 18 * S + 800 * MS, 10 * S - 540 * MS);
	vd_registry_rates(&g, NULL, 2);
	assert_float_equal(g.cpu_window_s, 1.2, 1e-9);
	assert_float_equal(g.cpu_pct_alloc, 90.0, 1e-9); /* 0.45 CPU of 0.5 */
	assert_float_equal(g.cpu_pct_host, 22.5, 1e-9);
}

static void test_registry_prefers_a_long_refresh(void **state)
{
	struct vd_guest prev = guest_at(18 * S, 9 * S, 0, 0);
	struct vd_guest g = guest_at(20 * S, 9 * S + 800 * MS, 19 * S, 9 * S + 500 * MS);
	vd_registry_rates(&g, &prev, 2);
	assert_float_equal(g.cpu_window_s, 2.0, 1e-9); /* the 2 s refresh, not the engine's 1 s */
	assert_float_equal(g.cpu_pct_alloc, 80.0, 1e-9);
	/* a refresh 0.3 s ago is too short: the engine's window wins */
	prev = guest_at(19 * S + 700 * MS, 9 * S + 700 * MS, 0, 0);
	vd_registry_rates(&g, &prev, 2);
	assert_float_equal(g.cpu_window_s, 1.0, 1e-9);
	assert_float_equal(g.cpu_pct_alloc, 60.0, 1e-9);
	/* without an engine window, the short refresh is all there is */
	g.sample.win_t_ns = 0;
	vd_registry_rates(&g, &prev, 2);
	assert_float_equal(g.cpu_window_s, 0.3, 1e-9);
	assert_float_equal(g.cpu_pct_alloc, 66.666666, 1e-4);
}

static void test_registry_restart_and_nothing(void **state)
{
	/* restarted since the last refresh (its counter went back): the engine's window holds */
	struct vd_guest prev = guest_at(18 * S, 50 * S, 0, 0);
	struct vd_guest g = guest_at(20 * S, 2 * S, 19 * S, 1 * S + 600 * MS);
	vd_registry_rates(&g, &prev, 2);
	assert_float_equal(g.cpu_window_s, 1.0, 1e-9);
	assert_float_equal(g.cpu_pct_alloc, 80.0, 1e-9);
	/* and with no engine window either: no figure rather than a wrong one */
	g.sample.win_t_ns = 0;
	vd_registry_rates(&g, &prev, 2);
	assert_true(g.cpu_pct_alloc < 0 && g.cpu_pct_host < 0);
	assert_float_equal(g.cpu_window_s, 0, 0);
	g = guest_at(20 * S, 2 * S, 0, 0);
	vd_registry_rates(&g, NULL, 2);
	assert_true(g.cpu_pct_alloc < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_s),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_read_stamps_inside_the_read),
		cmocka_unit_test(test_cap_slack),
		cmocka_unit_test(test_slack_bounds_simulated_quota),
		cmocka_unit_test(test_client_stamps_overshoot),
		cmocka_unit_test(test_registry_engine_window),
		cmocka_unit_test(test_registry_prefers_a_long_refresh),
		cmocka_unit_test(test_registry_restart_and_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
