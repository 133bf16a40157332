/* test-backend.c - dispatcher, fake engine, registry merge, rates, sort and filter (fake engine, no I/O). */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "backend/model.h"

static uint64_t test_now = 1000ull * 1000000000ull;
static uint64_t test_clock(void)
{
	return test_now;
}

/* An engine that implements only list: every other slot must be refused by the dispatcher. */
static int bare_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	*out = NULL;
	*n = 0;
	return 0;
}
static const struct vd_backend_ops bare_ops = { .name = "bare", .list = bare_list };

static void test_null_slot_is_not_supported(void **state)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open_ops(&bare_ops, NULL, NULL, &be, &err), 0);
	assert_int_equal(vd_backend_start(be, "web", &err), -ENOTSUP);
	assert_non_null(err);
	assert_int_equal(err->code, ENOTSUP);
	assert_string_equal(err->msg, "operation start is not supported by engine bare");
	vd_error_freep(&err);
	struct vd_resize rs = { .mem_bytes = 1 << 30 };
	assert_int_equal(vd_backend_resize(be, "web", &rs, &err), -ENOTSUP);
	assert_string_equal(err->msg, "operation resize is not supported by engine bare");
	vd_error_freep(&err);
	int fd;
	assert_int_equal(vd_backend_console(be, "web", &fd, &err), -ENOTSUP);
	assert_non_null(strstr(err->msg, "console is not supported by engine bare"));
	vd_error_freep(&err);
	/* A console without a size (the VMM's and libvirt's serial lines): the UI says so. */
	assert_int_equal(vd_backend_console_size(be, "web", 40, 160, &err), -ENOTSUP);
	assert_non_null(strstr(err->msg, "console size is not supported by engine bare"));
	vd_error_freep(&err);
	vd_backend_close(be);
}

static void test_bad_arguments_rejected(void **state)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///demo", NULL, &be, &err), 0);
	assert_int_equal(vd_backend_start(be, "../etc", &err), -EINVAL);
	assert_non_null(strstr(err->msg, "invalid guest name '../etc'"));
	vd_error_freep(&err);
	assert_int_equal(vd_backend_start(be, "", &err), -EINVAL);
	vd_error_freep(&err);
	assert_int_equal(vd_backend_start(NULL, "web", &err), -EINVAL);
	vd_error_freep(&err);
	struct vd_resize nothing = { 0 };
	assert_int_equal(vd_backend_resize(be, "nginx", &nothing, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "nothing to change"));
	vd_error_freep(&err);
	assert_int_equal(vd_backend_stop(be, "nginx", -1, &err), -EINVAL);
	vd_error_freep(&err);
	char *argv[] = { NULL };
	int status;
	assert_int_equal(vd_backend_exec(be, "nginx", argv, &status, &err), -EINVAL);
	vd_error_freep(&err);
	/* A size no winsize holds is refused before any engine sees it, never truncated. */
	unsigned bad[][2] = { { 0, 80 }, { 24, 0 }, { 65536, 80 }, { 24, 1u << 31 } };
	for (size_t i = 0; i < VD_ARRAY_SIZE(bad); i++) {
		int r = vd_backend_console_size(be, "nginx", bad[i][0], bad[i][1], &err);
		assert_int_equal(r, -EINVAL);
		assert_non_null(strstr(err->msg, "is no terminal size"));
		vd_error_freep(&err);
	}
	vd_backend_close(be);
}

static void test_unknown_engine_and_uri(void **state)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open("warp", NULL, NULL, &be, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "engine warp is not compiled"));
	vd_error_freep(&err);
	assert_int_equal(vd_backend_open("fake", "fake:///nope", NULL, &be, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "opening engine fake at fake:///nope: unknown fake URI"));
	assert_null(be);
	vd_error_freep(&err);
}

static void test_fake_lifecycle_and_errors(void **state)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///demo", NULL, &be, &err), 0);
	be->clock = test_clock;
	struct vd_guest g;
	assert_int_equal(vd_backend_pause(be, "nginx", &err), 0);
	assert_int_equal(vd_backend_lookup(be, "nginx", &g, &err), 0);
	assert_int_equal(g.state, VD_STATE_PAUSED);
	assert_int_equal(vd_backend_start(be, "nginx", &err), -EBUSY);
	assert_non_null(strstr(err->msg, "start nginx (engine fake, host local): guest nginx is paused"));
	vd_error_freep(&err);
	assert_int_equal(vd_backend_resume(be, "nginx", &err), 0);
	assert_int_equal(vd_backend_stop(be, "nginx", 5, &err), 0);
	assert_int_equal(vd_backend_remove(be, "nginx", &err), 0);
	assert_int_equal(vd_backend_lookup(be, "nginx", &g, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "no guest named nginx"));
	vd_error_freep(&err);
	struct vd_resize rs = { .mem_bytes = 64ull << 20, .cpus = 0.25 };
	assert_int_equal(vd_backend_resize(be, "old-cron", &rs, &err), 0);
	assert_int_equal(vd_backend_lookup(be, "old-cron", &g, &err), 0);
	assert_int_equal(g.alloc.mem_bytes, 64ull << 20);
	assert_true(g.alloc.cpu_limit == 0.25);
	vd_backend_close(be);
}

static struct vd_registry *two_fakes(void)
{
	static struct vd_registry reg;
	vd_registry_init(&reg);
	reg.host_frozen = true;
	reg.host.ncpus = 4;
	struct vd_backend *a = NULL, *b = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///a", "alpha-host", &a, NULL), 0);
	assert_int_equal(vd_backend_open("fake", "fake:///b", "beta-host", &b, NULL), 0);
	a->clock = b->clock = test_clock;
	vd_registry_add(&reg, a);
	vd_registry_add(&reg, b);
	return &reg;
}

static void test_registry_merges_two_engines(void **state)
{
	struct vd_registry *reg = two_fakes();
	assert_int_equal(vd_registry_refresh(reg), 0);
	assert_int_equal(reg->n_guests, 4);
	struct vd_error *err = NULL;
	struct vd_guest *g = vd_registry_find(reg, "beta", &err);
	assert_non_null(g);
	assert_string_equal(g->host, "beta-host");
	assert_ptr_equal(g->backend, reg->backends[1]);
	assert_non_null(vd_registry_find(reg, "alpha-host/alpha", &err));
	assert_null(vd_registry_find(reg, "beta-host/alpha", &err));
	assert_int_equal(err->code, ENOENT);
	vd_error_freep(&err);
	struct vd_totals t;
	vd_registry_totals(reg, &t);
	assert_int_equal(t.n_by_kind[0], 2);
	assert_int_equal(t.n_by_kind[1], 2);
	assert_int_equal(t.n_running, 2);
	vd_registry_free(reg);
}

static void test_rates_from_two_samples(void **state)
{
	struct vd_registry *reg = two_fakes();
	vd_registry_refresh(reg);
	struct vd_guest *g = vd_registry_find(reg, "beta", NULL);
	/* one sample: the rate comes from the reading the engine kept a second back */
	assert_true(g->cpu_pct_alloc >= 40 && g->cpu_pct_alloc <= 60);
	assert_true(fabs(g->cpu_window_s - 1.0) < 1e-9);
	test_now += 2000000000ull;
	vd_registry_refresh(reg);
	g = vd_registry_find(reg, "beta", NULL);
	assert_true(fabs(g->cpu_window_s - 2.0) < 1e-9); /* then from the previous refresh */
	/* beta: 0.5 CPU quota, usage 50 % +- 10 % of it; on a 4-CPU host that is 4.5..7.5 % */
	assert_true(g->cpu_pct_alloc >= 40 && g->cpu_pct_alloc <= 60);
	assert_true(g->cpu_pct_host > 4.4 && g->cpu_pct_host < 7.6);
	assert_true(fabs(g->cpu_pct_host - g->cpu_pct_alloc * 0.5 / 4) < 0.01);
	struct vd_guest *delta = vd_registry_find(reg, "delta", NULL);
	assert_true(delta->cpu_pct_alloc == 0); /* paused guests burn nothing */
	vd_registry_free(reg);
}

static void test_sort_and_filter(void **state)
{
	struct vd_registry *reg = two_fakes();
	vd_registry_refresh(reg);
	struct vd_view v;
	vd_model_view(reg, NULL, VD_SORT_NAME, false, &v);
	assert_int_equal(v.n, 4);
	const char *order[] = { "alpha", "beta", "delta", "gamma" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(reg->guests[v.idx[i]].name, order[i]);
	vd_view_free(&v);
	vd_model_view(reg, NULL, VD_SORT_MEM_ALLOC, true, &v);
	assert_string_equal(reg->guests[v.idx[0]].name, "alpha"); /* 2 GiB */
	assert_string_equal(reg->guests[v.idx[3]].name, "gamma"); /* 256 MiB */
	vd_view_free(&v);
	vd_model_view(reg, "BETA-host", VD_SORT_NAME, false, &v);
	assert_int_equal(v.n, 2);
	vd_view_free(&v);
	vd_model_view(reg, "gamma|paused", VD_SORT_NAME, false, &v);
	assert_int_equal(v.n, 2);
	assert_string_equal(reg->guests[v.idx[0]].name, "delta");
	assert_string_equal(reg->guests[v.idx[1]].name, "gamma");
	vd_view_free(&v);
	vd_model_view(reg, "vm", VD_SORT_NAME, false, &v);
	assert_int_equal(v.n, 2);
	vd_view_free(&v);
	vd_model_view(reg, "nothing-like-this", VD_SORT_NAME, false, &v);
	assert_int_equal(v.n, 0);
	vd_view_free(&v);
	vd_registry_free(reg);
}

static int lost_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	return vd_error_set(err, ECONNREFUSED, "connection to the daemon refused");
}
static const struct vd_backend_ops lost_ops = { .name = "lost", .list = lost_list };

static void test_lost_backend_does_not_hide_others(void **state)
{
	struct vd_registry *reg = two_fakes();
	struct vd_backend *lost = NULL;
	assert_int_equal(vd_backend_open_ops(&lost_ops, NULL, "gone", &lost, NULL), 0);
	vd_registry_add(reg, lost);
	assert_int_equal(vd_registry_refresh(reg), 1);
	assert_int_equal(reg->n_guests, 4);
	assert_true(lost->lost);
	assert_non_null(strstr(lost->last_error->msg, "list (engine lost, host gone): connection to the daemon refused"));
	vd_registry_free(reg);
}

/* The label and reason a user reads for each way a run can end (guest.c, no engine needed). */
static void test_exit_labels_and_reasons(void **state)
{
	struct vd_guest g = { .state = VD_STATE_STOPPED };
	char label[32], why[160];
	g.exit = (struct vd_exit){ .kind = VD_EXIT_CODE, .code = 3 };
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "exited 3");
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "exited with status 3");
	g.exit = (struct vd_exit){ .kind = VD_EXIT_SIGNAL, .code = SIGSEGV };
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "signal 11");
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "killed by SIGSEGV");
	g.exit = (struct vd_exit){ .kind = VD_EXIT_OOM, .code = SIGKILL, .oom_kills = 2 };
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "oom-killed");
	assert_int_equal(vd_guest_oom_kills(&g), 2);
	g.exit = (struct vd_exit){ .kind = VD_EXIT_USER };
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "stopped");
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "stopped by user");
	/* A running guest shows its state, whatever its last run was. */
	g.state = VD_STATE_RUNNING;
	g.exit = (struct vd_exit){ .kind = VD_EXIT_OOM };
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "running");
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "");
	/* The fake engine's demo guests carry reasons too, and a stop records the user's. */
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///a", NULL, &be, &err), 0);
	assert_int_equal(vd_backend_lookup(be, "gamma", &g, &err), 0);
	assert_string_equal(vd_guest_state_label(&g, label, sizeof(label)), "oom-killed");
	assert_int_equal(vd_backend_stop(be, "alpha", 1, &err), 0);
	assert_int_equal(vd_backend_lookup(be, "alpha", &g, &err), 0);
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "stopped by user");
	vd_backend_close(be);
}

static void test_duplicate_names_need_qualifier(void **state)
{
	struct vd_registry reg;
	vd_registry_init(&reg);
	reg.host_frozen = true;
	for (int i = 0; i < 2; i++) {
		struct vd_backend *be = NULL;
		assert_int_equal(vd_backend_open("fake", "fake:///a", i ? "h2" : "h1", &be, NULL), 0);
		vd_registry_add(&reg, be);
	}
	vd_registry_refresh(&reg);
	struct vd_error *err = NULL;
	assert_null(vd_registry_find(&reg, "alpha", &err));
	assert_int_equal(err->code, EEXIST);
	assert_non_null(strstr(err->msg, "say which with ENGINE:alpha or HOST/alpha"));
	vd_error_freep(&err);
	assert_non_null(vd_registry_find(&reg, "h2/alpha", &err));
	vd_registry_free(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_slot_is_not_supported),
		cmocka_unit_test(test_bad_arguments_rejected),
		cmocka_unit_test(test_unknown_engine_and_uri),
		cmocka_unit_test(test_fake_lifecycle_and_errors),
		cmocka_unit_test(test_registry_merges_two_engines),
		cmocka_unit_test(test_rates_from_two_samples),
		cmocka_unit_test(test_sort_and_filter),
		cmocka_unit_test(test_lost_backend_does_not_hide_others),
		cmocka_unit_test(test_duplicate_names_need_qualifier),
		cmocka_unit_test(test_exit_labels_and_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
