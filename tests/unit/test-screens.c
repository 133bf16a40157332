/* test-screens.c - golden text snapshots of the console's screens and its key handling (fake engine). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ui/app.h"
#include "ui/screen.h"

static uint64_t test_now = 5000ull * 1000000000ull;
static uint64_t test_clock(void)
{
	return test_now;
}

/* A registry with the demo guests, a fixed host and 40 samples 2 s apart. */
static void demo_registry(struct vd_registry *reg)
{
	vd_registry_init(reg);
	reg->host_frozen = true;
	vd_strlcpy(reg->host.hostname, "testhost", sizeof(reg->host.hostname));
	reg->host.ncpus = 8;
	reg->host.mem_total = 64ull << 30;
	reg->host.mem_available = 40ull << 30;
	reg->host.cpu_pct = 23.5;
	struct vd_backend *be = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///demo", "demo", &be, NULL), 0);
	be->clock = test_clock;
	vd_registry_add(reg, be);
	for (int i = 0; i < 40; i++) { /* 80 s of history for the sparklines */
		vd_registry_refresh(reg);
		test_now += 2000000000ull;
	}
}

struct fixture {
	struct vd_registry reg;
	struct ui_app app;
	struct ui_grid grid;
};

static int setup(void **state)
{
	struct fixture *f = vd_xcalloc(1, sizeof(*f));
	test_now = 5000ull * 1000000000ull;
	demo_registry(&f->reg);
	ui_app_init(&f->app, &f->reg);
	snprintf(f->app.banner, sizeof(f->app.banner), "demo: fake engine");
	ui_app_rebuild(&f->app);
	ui_grid_init(&f->grid, 1, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ui_grid_free(&f->grid);
	ui_app_free(&f->app);
	vd_registry_free(&f->reg);
	free(f);
	return 0;
}

/* Compare the screen with tests/golden/NAME.txt; VD_UPDATE_GOLDEN=1 rewrites the file. */
static void check_golden(struct fixture *f, const char *name)
{
	ui_screen_draw(&f->app, &f->grid);
	_cleanup_free_ char *text = ui_grid_text(&f->grid);
	_cleanup_free_ char *path = vd_xasprintf("%s/tests/golden/%s.txt", VD_SRCDIR, name);
	if (getenv("VD_UPDATE_GOLDEN")) {
		FILE *out = fopen(path, "w");
		assert_non_null(out);
		fputs(text, out);
		fclose(out);
	}
	_cleanup_free_ char *want = NULL;
	if (vd_read_file(path, &want, NULL) < 0)
		fail_msg("golden file %s missing: run with VD_UPDATE_GOLDEN=1 and review it", path);
	if (strcmp(text, want) != 0) {
		fprintf(stderr, "--- screen %s differs from %s; got:\n%s", name, path, text);
		fail();
	}
}

static const char *selected_name(struct fixture *f)
{
	struct vd_guest *g = ui_app_selected(&f->app);
	return g ? g->name : "(none)";
}

static void test_main_80x24(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 80, 24);
	check_golden(f, "main-80x24");
}

static void test_main_160x48(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 160, 48);
	ui_app_key(&f->app, 'j');
	check_golden(f, "main-160x48");
}

static void test_help_80x24(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 80, 24);
	assert_int_equal(ui_app_key(&f->app, '?'), UI_REACT_REDRAW);
	check_golden(f, "help-80x24");
	assert_int_equal(ui_app_key(&f->app, UI_KEY_ESC), UI_REACT_REDRAW);
	assert_int_equal(f->app.screen, UI_SCREEN_MAIN);
}

static void test_detail_views(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 80, 24);
	ui_app_key(&f->app, 'N');
	while (strcmp(selected_name(f), "nginx") != 0)
		ui_app_key(&f->app, 'j');
	assert_int_equal(ui_app_key(&f->app, UI_KEY_ENTER), UI_REACT_REDRAW);
	assert_int_equal(f->app.screen, UI_SCREEN_DETAIL);
	check_golden(f, "detail-overview-80x24");
	ui_app_key(&f->app, '\t');
	assert_int_equal(f->app.detail_tab, UI_TAB_GRAPHS);
	check_golden(f, "detail-graphs-ascii-80x24");
	f->app.glyphs = UI_GLYPHS_BRAILLE;
	ui_app_resize(&f->app, 120, 36);
	check_golden(f, "detail-graphs-braille-120x36");
	f->app.glyphs = UI_GLYPHS_BLOCK;
	check_golden(f, "detail-graphs-block-120x36");
	/* j/k must not move to another guest while its details are shown */
	assert_int_equal(ui_app_key(&f->app, 'j'), UI_REACT_NONE);
	ui_app_key(&f->app, '3');
	assert_int_equal(f->app.detail_tab, UI_TAB_CONSOLE);
	/* the fake engine has no console: asking for it is refused with the engine's reason */
	assert_int_equal(ui_app_key(&f->app, UI_KEY_ENTER) & UI_REACT_CONSOLE, UI_REACT_CONSOLE);
	struct vd_error *err = NULL;
	int fd;
	assert_int_equal(vd_backend_console(f->app.console_be, f->app.console_name, &fd, &err), -ENOTSUP);
	vd_error_free(err);
	ui_app_key(&f->app, UI_KEY_ESC);
	assert_int_equal(f->app.screen, UI_SCREEN_MAIN);
	assert_string_equal(selected_name(f), "nginx");
}

/* The Logs tab: the newest lines; a search typed scrolls to the newest match, n to older. */
static void test_detail_logs(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 80, 24);
	while (strcmp(selected_name(f), "nginx") != 0)
		ui_app_key(&f->app, 'j');
	ui_app_key(&f->app, UI_KEY_ENTER);
	ui_app_key(&f->app, '6');
	assert_int_equal(f->app.detail_tab, UI_TAB_LOGS);
	check_golden(f, "detail-logs-80x24");
	ui_app_key(&f->app, '/');
	for (const char *k = "warn"; *k; k++)
		ui_app_key(&f->app, *k);
	ui_app_key(&f->app, 'n'); /* still typing: part of the search */
	check_golden(f, "detail-logs-search-80x24");
	ui_app_key(&f->app, UI_KEY_BACKSPACE);
	ui_app_key(&f->app, UI_KEY_ENTER);
	ui_app_key(&f->app, 'n');
	ui_app_key(&f->app, 'n');
	ui_app_key(&f->app, 'n');
	check_golden(f, "detail-logs-older-80x24");
	ui_app_key(&f->app, '6');
	ui_app_key(&f->app, UI_KEY_ESC);
	assert_int_equal(f->app.screen, UI_SCREEN_MAIN);
}

static void type(struct fixture *f, const char *text)
{
	for (; *text; text++)
		ui_app_key(&f->app, *text);
}

static void test_forms_create_and_resize(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 100, 30);
	assert_int_equal(ui_app_key(&f->app, 'n'), UI_REACT_REDRAW);
	assert_int_equal(f->app.screen, UI_SCREEN_FORM);
	check_golden(f, "form-create-100x30");
	type(f, "bad name!");
	ui_app_key(&f->app, UI_KEY_ENTER);
	assert_int_equal(f->app.screen, UI_SCREEN_FORM);
	assert_non_null(strstr(f->app.form.error, "name 'bad name!'"));
	for (int i = 0; i < 9; i++)
		ui_app_key(&f->app, UI_KEY_BACKSPACE);
	type(f, "web2");
	ui_app_key(&f->app, UI_KEY_UP); /* template: pick the next one (web, 512M) */
	ui_app_key(&f->app, UI_KEY_RIGHT);
	assert_string_equal(ui_form_value(&f->app.form, "memory"), "512M");
	ui_app_key(&f->app, UI_KEY_ENTER);
	assert_int_equal(f->app.screen, UI_SCREEN_MAIN);
	ui_app_jobs_wait(&f->app);
	ui_app_refresh(&f->app);
	struct vd_guest *g = vd_registry_find(&f->reg, "web2", NULL);
	assert_non_null(g);
	assert_int_equal(g->alloc.mem_bytes, 512ull << 20);
	assert_true(g->alloc.cpu_limit == 1.0);
	/* resize it: the form is prefilled, a bad size is refused in the form, a good one applied */
	ui_app_key(&f->app, 'N');
	while (strcmp(selected_name(f), "web2") != 0)
		ui_app_key(&f->app, 'j');
	ui_app_key(&f->app, 'R');
	assert_string_equal(ui_form_value(&f->app.form, "memory"), "512M");
	for (int i = 0; i < 4; i++)
		ui_app_key(&f->app, UI_KEY_BACKSPACE);
	type(f, "1M");
	ui_app_key(&f->app, UI_KEY_ENTER);
	assert_non_null(strstr(f->app.form.error, "at least 16M"));
	ui_app_key(&f->app, UI_KEY_BACKSPACE);
	ui_app_key(&f->app, UI_KEY_BACKSPACE);
	type(f, "768M");
	ui_app_key(&f->app, UI_KEY_ENTER);
	ui_app_jobs_wait(&f->app);
	ui_app_refresh(&f->app);
	assert_int_equal(vd_registry_find(&f->reg, "web2", NULL)->alloc.mem_bytes, 768ull << 20);
	assert_non_null(strstr(f->app.status, "resize web2: done"));
}

static void test_mouse_and_columns(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 120, 30);
	ui_screen_draw(&f->app, &f->grid); /* the layout clicks are resolved against */
	/* click the NAME heading: sort by name ascending; again: descending */
	f->app.mouse = true;
	f->app.mouse_ev = UI_MOUSE_CLICK;
	f->app.mouse_y = UI_HEADER_ROWS;
	f->app.mouse_x = 10;
	assert_int_equal(ui_app_key(&f->app, UI_KEY_MOUSE), UI_REACT_REDRAW);
	assert_int_equal(f->app.table.sort, VD_SORT_NAME);
	assert_false(f->app.table.sort_desc);
	ui_app_key(&f->app, UI_KEY_MOUSE);
	assert_true(f->app.table.sort_desc);
	ui_app_key(&f->app, 'N');
	ui_screen_draw(&f->app, &f->grid);
	f->app.mouse_y = UI_HEADER_ROWS + 3; /* third row */
	ui_app_key(&f->app, UI_KEY_MOUSE);
	assert_string_equal(selected_name(f), "db-primary");
	f->app.mouse_ev = UI_MOUSE_DOUBLE;
	ui_app_key(&f->app, UI_KEY_MOUSE);
	assert_int_equal(f->app.screen, UI_SCREEN_DETAIL);
	ui_app_key(&f->app, UI_KEY_ESC);
	/* F2: hide TYPE and MEM SOURCE */
	ui_app_key(&f->app, UI_KEY_F(2));
	assert_int_equal(f->app.screen, UI_SCREEN_COLUMNS);
	for (int i = 0; i < UI_COL_TYPE; i++)
		ui_app_key(&f->app, UI_KEY_DOWN);
	ui_app_key(&f->app, ' ');
	check_golden(f, "columns-120x30");
	ui_app_key(&f->app, UI_KEY_ESC);
	ui_screen_draw(&f->app, &f->grid);
	_cleanup_free_ char *text = ui_grid_text(&f->grid);
	assert_null(strstr(text, "TYPE"));
	assert_non_null(strstr(text, "STATE"));
}

static void test_grouped_by_host(void **state)
{
	struct fixture *f = *state;
	struct vd_backend *b = NULL;
	assert_int_equal(vd_backend_open("fake", "fake:///b", "lab2", &b, NULL), 0);
	b->clock = test_clock;
	vd_registry_add(&f->reg, b);
	ui_app_refresh(&f->app);
	test_now += 2000000000ull;
	ui_app_refresh(&f->app);
	ui_app_resize(&f->app, 120, 24);
	ui_app_key(&f->app, UI_KEY_F(5));
	assert_int_equal(f->app.table.group, VD_SORT_HOST);
	check_golden(f, "grouped-host-120x24");
	/* the cursor walks guests, never headings */
	ui_app_key(&f->app, 'g');
	for (int i = 0; i < 8; i++)
		ui_app_key(&f->app, 'j');
	assert_string_equal(vd_registry_find(&f->reg, selected_name(f), NULL)->host, "lab2");
}

static void test_themes(void **state)
{
	/* every theme tells the cursor row and headings apart from normal text without colour too */
	const char *names[] = { "default", "light", "contrast", "mono" };
	for (size_t i = 0; i < 4; i++) {
		const struct ui_theme *t = ui_theme_find(names[i]);
		assert_non_null(t);
		assert_true(t->st[UI_SELECTED].attr != t->st[UI_NORMAL].attr || t->st[UI_SELECTED].bg != t->st[UI_NORMAL].bg);
		assert_true(t->st[UI_COLHEAD].attr != 0 || t->st[UI_COLHEAD].bg >= 0);
	}
	assert_false(ui_theme_mono()->color);
	assert_null(ui_theme_find("neon"));
	/* NO_COLOR wins over the configured theme */
	struct fixture *f = *state;
	struct ui_settings s;
	ui_settings_default(&s);
	setenv("NO_COLOR", "1", 1);
	ui_app_apply_settings(&f->app, &s, false, false);
	assert_ptr_equal(f->app.theme, ui_theme_mono());
	unsetenv("NO_COLOR");
	ui_app_apply_settings(&f->app, &s, false, false);
	assert_string_equal(f->app.theme->name, "default");
	ui_app_apply_settings(&f->app, &s, true, true);
	assert_ptr_equal(f->app.theme, ui_theme_mono());
	assert_int_equal(f->app.glyphs, UI_GLYPHS_ASCII);
	ui_settings_free(&s);
}

static void test_too_small(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 40, 6);
	check_golden(f, "too-small-40x6");
	assert_int_equal(ui_app_key(&f->app, 'j'), UI_REACT_NONE);
	assert_int_equal(ui_app_key(&f->app, 'q'), UI_REACT_QUIT);
}

static void test_keys_move_sort_filter(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 120, 30);
	assert_int_equal(ui_app_key(&f->app, 'N'), UI_REACT_REDRAW);
	assert_string_equal(selected_name(f), "batch-etl");
	ui_app_key(&f->app, 'j');
	assert_string_equal(selected_name(f), "ci-runner");
	ui_app_key(&f->app, UI_KEY_END);
	assert_string_equal(selected_name(f), "web-frontend");
	ui_app_key(&f->app, 'k');
	assert_string_equal(selected_name(f), "redis-cache");
	ui_app_key(&f->app, 'I'); /* inverted: the cursor stays on its guest */
	assert_string_equal(selected_name(f), "redis-cache");
	assert_int_equal(ui_app_key(&f->app, '\\'), UI_REACT_REDRAW);
	for (const char *p = "vm|paused"; *p; p++)
		ui_app_key(&f->app, *p);
	assert_int_equal(f->app.view.n, 5);
	ui_app_key(&f->app, UI_KEY_ENTER);
	assert_int_equal(f->app.mode, UI_MODE_NORMAL);
	assert_string_equal(f->app.filter, "vm|paused");
	ui_app_key(&f->app, UI_KEY_F(4));
	ui_app_key(&f->app, UI_KEY_ESC);
	assert_int_equal(f->app.view.n, 8);
	/* search jumps without narrowing; F3 finds the next match */
	ui_app_key(&f->app, 'N');
	ui_app_key(&f->app, 'g');
	ui_app_key(&f->app, '/');
	assert_int_equal(f->app.mode, UI_MODE_SEARCH);
	ui_app_key(&f->app, 'r');
	assert_string_equal(selected_name(f), "ci-runner");
	ui_app_key(&f->app, 'e');
	assert_string_equal(selected_name(f), "redis-cache");
	ui_app_key(&f->app, UI_KEY_F(3));
	assert_string_equal(selected_name(f), "redis-cache"); /* the only "re": F3 wraps to itself */
	ui_app_key(&f->app, UI_KEY_BACKSPACE);
	ui_app_key(&f->app, UI_KEY_F(3));
	assert_string_equal(selected_name(f), "web-frontend"); /* next "r" after redis-cache */
	ui_app_key(&f->app, UI_KEY_ENTER);
	assert_int_equal(f->app.view.n, 8);
	/* + and - change the refresh interval */
	int before = f->app.interval_ms;
	ui_app_key(&f->app, '+');
	assert_true(f->app.interval_ms > before);
	ui_app_key(&f->app, '-');
	assert_int_equal(f->app.interval_ms, before);
	assert_int_equal(ui_app_key(&f->app, 'q'), UI_REACT_QUIT);
	assert_int_equal(ui_app_key(&f->app, UI_KEY_F(10)), UI_REACT_QUIT);
}

static void test_actions_reach_the_engine(void **state)
{
	struct fixture *f = *state;
	ui_app_resize(&f->app, 120, 30);
	ui_app_key(&f->app, 'N');
	while (strcmp(selected_name(f), "nginx") != 0)
		ui_app_key(&f->app, 'j');
	assert_int_equal(ui_app_key(&f->app, 'p'), UI_REACT_REDRAW);
	assert_non_null(strstr(f->app.status, "pause nginx ..."));
	ui_app_jobs_wait(&f->app);
	ui_app_refresh(&f->app);
	assert_int_equal(ui_app_selected(&f->app)->state, VD_STATE_PAUSED);
	assert_non_null(strstr(f->app.status, "pause nginx: done"));
	ui_app_key(&f->app, 'p');
	ui_app_jobs_wait(&f->app);
	ui_app_refresh(&f->app);
	assert_int_equal(ui_app_selected(&f->app)->state, VD_STATE_RUNNING);
	/* kill asks first; 'n' cancels, 'y' kills */
	ui_app_key(&f->app, 'K');
	assert_int_equal(f->app.mode, UI_MODE_CONFIRM);
	assert_non_null(strstr(f->app.confirm, "Kill ct nginx"));
	ui_app_key(&f->app, 'n');
	ui_app_refresh(&f->app);
	assert_int_equal(ui_app_selected(&f->app)->state, VD_STATE_RUNNING);
	ui_app_key(&f->app, 'K');
	ui_app_key(&f->app, 'y');
	ui_app_jobs_wait(&f->app);
	ui_app_refresh(&f->app);
	assert_int_equal(ui_app_selected(&f->app)->state, VD_STATE_STOPPED);
	/* the log holds the action and the state change the refresh saw */
	bool saw = false;
	for (size_t i = 0; i < f->app.log_n; i++)
		saw = saw || strstr(ui_app_log_get(&f->app, i)->text, "nginx: running -> stopped");
	assert_true(saw);
	/* starting a running guest fails with the engine's reason in the status line */
	ui_app_key(&f->app, 'j');
	assert_string_equal(selected_name(f), "old-cron");
	ui_app_key(&f->app, 's');
	ui_app_jobs_wait(&f->app);
	assert_int_equal(f->app.status_style, UI_BAD);
	assert_non_null(strstr(f->app.status, "guest old-cron is running"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_main_80x24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_main_160x48, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_80x24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forms_create_and_resize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse_and_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouped_by_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_themes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_move_sort_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions_reach_the_engine, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
