/* keymap.c - every key of the main screen: data plus one small action function each. */
#include "ui/keymap.h"

#include "common/util.h"
#include "ui/app.h"

static int act_quit(struct ui_app *app)
{
	return UI_REACT_QUIT;
}

static int act_help(struct ui_app *app)
{
	app->screen = UI_SCREEN_HELP;
	app->help_scroll = 0;
	return UI_REACT_REDRAW;
}

static int move_cursor(struct ui_app *app, long delta)
{
	long n = (long)app->view.n, s = (long)app->table.selected + delta;
	app->table.selected = (size_t)(s < 0 || n == 0 ? 0 : s >= n ? n - 1 : s);
	app->follow = true;
	ui_table_clamp(&app->table, ui_app_table_rows(app));
	return UI_REACT_REDRAW;
}

static int act_down(struct ui_app *app) { return move_cursor(app, 1); }
static int act_up(struct ui_app *app) { return move_cursor(app, -1); }
static int act_pgdn(struct ui_app *app) { return move_cursor(app, ui_app_table_rows(app)); }
static int act_pgup(struct ui_app *app) { return move_cursor(app, -ui_app_table_rows(app)); }
static int act_home(struct ui_app *app) { return move_cursor(app, -(long)app->view.n); }
static int act_end(struct ui_app *app) { return move_cursor(app, (long)app->view.n); }

static int sort_by(struct ui_app *app, enum vd_sort_key key, bool desc)
{
	app->table.sort = key;
	app->table.sort_desc = desc;
	ui_app_rebuild(app);
	return UI_REACT_REDRAW;
}

static int act_sort_next(struct ui_app *app)
{
	return sort_by(app, (enum vd_sort_key)((app->table.sort + 1) % VD_SORT__COUNT), app->table.sort_desc);
}

static int act_sort_prev(struct ui_app *app)
{
	return sort_by(app, (enum vd_sort_key)((app->table.sort + VD_SORT__COUNT - 1) % VD_SORT__COUNT),
		       app->table.sort_desc);
}

static int act_sort_cpu(struct ui_app *app) { return sort_by(app, VD_SORT_CPU, true); }
static int act_sort_mem(struct ui_app *app) { return sort_by(app, VD_SORT_MEM_USED, true); }
static int act_sort_name(struct ui_app *app) { return sort_by(app, VD_SORT_NAME, false); }
static int act_invert(struct ui_app *app) { return sort_by(app, app->table.sort, !app->table.sort_desc); }

static int act_filter(struct ui_app *app)
{
	app->mode = UI_MODE_FILTER;
	return UI_REACT_REDRAW;
}

static int act_refresh(struct ui_app *app)
{
	return UI_REACT_REFRESH | UI_REACT_REDRAW;
}

typedef int (*guest_op)(struct vd_backend *be, const char *name, struct vd_error **err);

/* Run one lifecycle operation on the selected guest through the dispatcher. */
static int guest_action(struct ui_app *app, const char *verb, guest_op op)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g) {
		ui_app_status(app, UI_WARN, "no guest selected");
		return UI_REACT_REDRAW;
	}
	_cleanup_error_ struct vd_error *err = NULL;
	if (op(g->backend, g->name, &err) < 0)
		ui_app_status(app, UI_BAD, "%s", err->msg);
	else
		ui_app_status(app, UI_GOOD, "%s %s: done", verb, g->name);
	return UI_REACT_REFRESH | UI_REACT_REDRAW;
}

static int stop_default(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return vd_backend_stop(be, name, 10, err);
}

static int act_start(struct ui_app *app) { return guest_action(app, "start", vd_backend_start); }
static int act_stop(struct ui_app *app) { return guest_action(app, "stop", stop_default); }

static int act_pause(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (g && g->state == VD_STATE_PAUSED)
		return guest_action(app, "resume", vd_backend_resume);
	return guest_action(app, "pause", vd_backend_pause);
}

static int do_kill(struct ui_app *app)
{
	return guest_action(app, "kill", vd_backend_destroy);
}

static int act_kill(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g)
		return guest_action(app, "kill", vd_backend_destroy);
	snprintf(app->confirm, sizeof(app->confirm), "Kill %s %s (%s) now, without a clean shutdown?",
		 vd_kind_name(g->kind), g->name, vd_backend_name(g->backend));
	app->confirm_fn = do_kill;
	app->mode = UI_MODE_CONFIRM;
	return UI_REACT_REDRAW;
}

static const struct ui_binding ui_main_keys[] = {
	{ '?', "? F1", "show this help", act_help },
	{ UI_KEY_F(1), NULL, NULL, act_help },
	{ 'q', "q F10", "quit (guests keep running)", act_quit },
	{ UI_KEY_F(10), NULL, NULL, act_quit },
	{ 'j', "j Down", "move down", act_down },
	{ UI_KEY_DOWN, NULL, NULL, act_down },
	{ 'k', "k Up", "move up", act_up },
	{ UI_KEY_UP, NULL, NULL, act_up },
	{ UI_KEY_PGDN, "PgDn PgUp", "move a page", act_pgdn },
	{ UI_KEY_PGUP, NULL, NULL, act_pgup },
	{ UI_KEY_HOME, "Home g", "first guest", act_home },
	{ 'g', NULL, NULL, act_home },
	{ UI_KEY_END, "End G", "last guest", act_end },
	{ 'G', NULL, NULL, act_end },
	{ '>', "> <", "sort by the next / previous column", act_sort_next },
	{ '<', NULL, NULL, act_sort_prev },
	{ 'P', "P", "sort by CPU% of allocation", act_sort_cpu },
	{ 'M', "M", "sort by memory used", act_sort_mem },
	{ 'N', "N", "sort by name", act_sort_name },
	{ 'I', "I", "invert the sort order", act_invert },
	{ '/', "/ \\ F4", "filter guests by name, engine, host, type or state ('|' = or)", act_filter },
	{ '\\', NULL, NULL, act_filter },
	{ UI_KEY_F(4), NULL, NULL, act_filter },
	{ 's', "s", "start the selected guest", act_start },
	{ 'x', "x", "stop the selected guest (graceful, forced after 10 s)", act_stop },
	{ 'p', "p", "pause / resume the selected guest", act_pause },
	{ 'K', "K F9", "kill the selected guest (asks first)", act_kill },
	{ UI_KEY_F(9), NULL, NULL, act_kill },
	{ 'r', "r", "refresh now", act_refresh },
};

const struct ui_binding *ui_keymap_main(size_t *n)
{
	/* Help lists only the entries that carry a description. */
	static struct ui_binding shown[VD_ARRAY_SIZE(ui_main_keys)];
	static size_t count;
	if (!count)
		for (size_t i = 0; i < VD_ARRAY_SIZE(ui_main_keys); i++)
			if (ui_main_keys[i].help)
				shown[count++] = ui_main_keys[i];
	*n = count;
	return shown;
}

const struct ui_binding *ui_keymap_lookup(int key)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_main_keys); i++)
		if (ui_main_keys[i].key == key)
			return &ui_main_keys[i];
	return NULL;
}

const char *ui_key_name(int key, char *buf, size_t len)
{
	if (key >= UI_KEY_F1 && key < UI_KEY_F1 + 12)
		snprintf(buf, len, "F%d", key - UI_KEY_F1 + 1);
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "0x%x", (unsigned)key);
	return buf;
}
