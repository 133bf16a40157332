/* test-config.c - virtdeck.ini: good files apply, every bad line is reported with its line, keys rebind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "ui/app.h"

static char *write_tmp(const char *text)
{
	char *path = vd_xstrdup("/tmp/vd-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void free_problems(char **p)
{
	for (size_t i = 0; p && p[i]; i++)
		free(p[i]);
	free(p);
}

static void test_shipped_default_is_clean(void **state)
{
	struct ui_settings s;
	ui_settings_default(&s);
	char **problems = NULL;
	_cleanup_free_ char *path = vd_xasprintf("%s/data/virtdeck.ini", VD_SRCDIR);
	assert_int_equal(ui_config_load(&s, path, true, &problems, NULL), 0);
	assert_null(problems);
	assert_int_equal(s.interval_ms, 2000);
	assert_string_equal(s.theme, "default");
	ui_settings_free(&s);
}

static void test_good_file_applies(void **state)
{
	_cleanup_free_ char *path = write_tmp("[display]\ninterval = 0.5\ntheme = mono\ngraphs = ascii\n"
					      "columns = name, state, mem_used\nsort = mem_used\nsort_order = asc\n"
					      "vi_keys = yes\n[keys]\nquit = Q, F10\n"
					      "[connection lab1]\nuri = qemu+ssh://lab1/system\n");
	struct ui_settings s;
	ui_settings_default(&s);
	char **problems = NULL;
	assert_int_equal(ui_config_load(&s, path, true, &problems, NULL), 0);
	assert_null(problems);
	assert_int_equal(s.interval_ms, 500);
	assert_string_equal(s.theme, "mono");
	assert_int_equal(s.glyphs, UI_GLYPHS_ASCII);
	assert_int_equal(s.n_columns, 3);
	assert_int_equal(s.columns[2], UI_COL_MEM_USED);
	assert_int_equal(s.sort, VD_SORT_MEM_USED);
	assert_false(s.sort_desc);
	assert_true(s.vi_keys);
	assert_int_equal(s.n_connect, 1);
	assert_string_equal(s.connect_uri[0], "qemu+ssh://lab1/system");
	assert_string_equal(s.connect_label[0], "lab1");
	/* the binding replaces q: Q and F10 quit, q does nothing; vi paging is on */
	ui_keymap_init(&s);
	assert_string_equal(ui_keymap_lookup('Q')->name, "quit");
	assert_string_equal(ui_keymap_lookup(UI_KEY_F(10))->name, "quit");
	assert_null(ui_keymap_lookup('q'));
	assert_string_equal(ui_keymap_lookup('f' - 'a' + 1)->name, "page_down");
	ui_keymap_init(NULL);
	assert_string_equal(ui_keymap_lookup('q')->name, "quit");
	unlink(path);
	ui_settings_free(&s);
}

static void test_every_bad_line_reported(void **state)
{
	_cleanup_free_ char *path = write_tmp("; comment\n"
					      "[display]\n"
					      "interval = fast\n"    /* 3 */
					      "theme = neon\n"       /* 4 */
					      "this line has no equals sign\n" /* 5 */
					      "sort = name\n"        /* 6: good */
					      "columns = name, colour\n" /* 7 */
					      "[keys]\n"
					      "explode = x\n"        /* 9 */
					      "quit = F13\n"         /* 10 */
					      "[gadgets]\n"
					      "a = b\n"              /* 12 */
					      "[display]\n"
					      "mouse = maybe\n"      /* 14 */
					      "vi_keys = on\n");     /* 15: good */
	struct ui_settings s;
	ui_settings_default(&s);
	char **p = NULL;
	assert_int_equal(ui_config_load(&s, path, true, &p, NULL), 0);
	assert_non_null(p);
	const char *want[] = { ":3: interval 'fast' must be seconds", ":4: unknown theme 'neon'",
			       ":5: not a `key = value` line", ":7: unknown column 'colour'",
			       ":9: unknown action 'explode'", ":10: unknown key name 'F13'",
			       ":12: unknown section [gadgets]", ":14: mouse must be true or false" };
	size_t n = 0;
	while (p[n])
		n++;
	assert_int_equal(n, VD_ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++) {
		assert_true(vd_str_has_prefix(p[i], path));
		if (!strstr(p[i], want[i]))
			fail_msg("problem %zu is '%s', wanted '%s'", i, p[i], want[i]);
	}
	/* the good lines still applied */
	assert_int_equal(s.sort, VD_SORT_NAME);
	assert_true(s.vi_keys);
	assert_int_equal(s.interval_ms, 2000);
	free_problems(p);
	unlink(path);
	ui_settings_free(&s);
}

static void test_missing_files(void **state)
{
	struct ui_settings s;
	ui_settings_default(&s);
	char **p = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(ui_config_load(&s, "/nonexistent/virtdeck.ini", false, &p, &err), 0);
	assert_null(err);
	assert_int_equal(ui_config_load(&s, "/nonexistent/virtdeck.ini", true, &p, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "cannot read config file /nonexistent/virtdeck.ini"));
	vd_error_free(err);
	ui_settings_free(&s);
}

static void test_key_names(void **state)
{
	int k;
	assert_int_equal(ui_key_parse("F5", &k), 0);
	assert_int_equal(k, UI_KEY_F(5));
	assert_int_equal(ui_key_parse("C-f", &k), 0);
	assert_int_equal(k, 6);
	assert_int_equal(ui_key_parse("pgdn", &k), 0);
	assert_int_equal(k, UI_KEY_PGDN);
	assert_int_equal(ui_key_parse("Space", &k), 0);
	assert_int_equal(k, ' ');
	assert_int_equal(ui_key_parse("F0", &k), -EINVAL);
	assert_int_equal(ui_key_parse("Hyper", &k), -EINVAL);
	char buf[16];
	assert_string_equal(ui_key_name(UI_KEY_F(12), buf, sizeof(buf)), "F12");
	assert_string_equal(ui_key_name(6, buf, sizeof(buf)), "C-f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_default_is_clean),
		cmocka_unit_test(test_good_file_applies),
		cmocka_unit_test(test_every_bad_line_reported),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_key_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
