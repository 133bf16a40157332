/* keymap.c - every key of the main screen: data plus one small action function each. */
#include "ui/keymap.h"

#include "common/util.h"
#include "ui/app.h"
#include "ui/config.h"
#include "ui/advice.h"
#include "ui/chooser.h"
#include "ui/detail.h"
#include "ui/guestforms.h"

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
	return sort_by(app, (enum vd_sort_key)((app->table.sort + 1) % VD_SORT__COUNT),
		       app->table.sort_desc);
}

static int act_sort_prev(struct ui_app *app)
{
	return sort_by(app, (enum vd_sort_key)((app->table.sort + VD_SORT__COUNT - 1) % VD_SORT__COUNT),
		       app->table.sort_desc);
}

static int act_sort_cpu(struct ui_app *app) { return sort_by(app, VD_SORT_CPU, true); }
static int act_sort_mem(struct ui_app *app) { return sort_by(app, VD_SORT_MEM_USED, true); }
static int act_sort_name(struct ui_app *app) { return sort_by(app, VD_SORT_NAME, false); }
static int act_invert(struct ui_app *app)
{
	return sort_by(app, app->table.sort, !app->table.sort_desc);
}

/* htop's F5 tree, for guests: none -> by host -> by engine -> none, with per-group totals. */
static int act_group(struct ui_app *app)
{
	enum vd_sort_key g = app->table.group;
	app->table.group = g == VD_SORT__COUNT ? VD_SORT_HOST
			   : g == VD_SORT_HOST ? VD_SORT_ENGINE
					       : VD_SORT__COUNT;
	ui_app_rebuild(app);
	ui_app_status(app, UI_NORMAL, "%s", app->table.group == VD_SORT_HOST ? "grouped by host"
					   : app->table.group == VD_SORT_ENGINE ? "grouped by engine"
										 : "not grouped");
	return UI_REACT_REDRAW;
}

static int act_filter(struct ui_app *app)
{
	app->mode = UI_MODE_FILTER;
	return UI_REACT_REDRAW;
}

static int act_search(struct ui_app *app)
{
	app->mode = UI_MODE_SEARCH;
	app->search[0] = '\0';
	return UI_REACT_REDRAW;
}

/* htop's +/- (btop's): change the refresh interval in steps, within 0.2 s .. 60 s. */
static int change_interval(struct ui_app *app, int dir)
{
	int ms = app->interval_ms;
	ms = dir > 0 ? (ms >= 1000 ? ms + 500 : ms + 200) : (ms > 1000 ? ms - 500 : ms - 200);
	app->interval_ms = ms < 200 ? 200 : ms > 60000 ? 60000 : ms;
	ui_app_status(app, UI_NORMAL, "refresh every %.1f s", app->interval_ms / 1000.0);
	return UI_REACT_REDRAW;
}

static int act_slower(struct ui_app *app) { return change_interval(app, 1); }
static int act_faster(struct ui_app *app) { return change_interval(app, -1); }

static int act_detail(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g)
		return UI_REACT_NONE;
	ui_detail_open(app, g, UI_TAB_OVERVIEW);
	return UI_REACT_REDRAW;
}

static int act_graphs(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g)
		return UI_REACT_NONE;
	ui_detail_open(app, g, UI_TAB_GRAPHS);
	return UI_REACT_REDRAW;
}

static int act_console(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g) {
		ui_app_status(app, UI_WARN, "no guest selected");
		return UI_REACT_REDRAW;
	}
	return ui_app_console_request(app, g);
}

static int act_columns(struct ui_app *app)
{
	return ui_chooser_open(app);
}

static int act_create(struct ui_app *app)
{
	return ui_forms_create(app);
}

static int act_resize(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g) {
		ui_app_status(app, UI_WARN, "no guest selected");
		return UI_REACT_REDRAW;
	}
	return ui_forms_resize(app, g);
}

static int act_log(struct ui_app *app)
{
	app->screen = UI_SCREEN_LOG;
	app->log_scroll = 0;
	return UI_REACT_REDRAW;
}

static int act_refresh(struct ui_app *app)
{
	return UI_REACT_REFRESH | UI_REACT_REDRAW;
}

/* Queue one lifecycle operation on the selected guest; the job thread runs it. */
static int guest_job(struct ui_app *app, enum vd_job_op op)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g) {
		ui_app_status(app, UI_WARN, "no guest selected");
		return UI_REACT_REDRAW;
	}
	struct vd_job *job = vd_xcalloc(1, sizeof(*job));
	job->op = op;
	job->be = g->backend;
	job->timeout_s = 10;
	vd_strlcpy(job->name, g->name, sizeof(job->name));
	return ui_app_submit(app, job);
}

static int act_start(struct ui_app *app) { return guest_job(app, VD_JOB_START); }
static int act_stop(struct ui_app *app) { return guest_job(app, VD_JOB_STOP); }

static int act_pause(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	return guest_job(app, g && g->state == VD_STATE_PAUSED ? VD_JOB_RESUME : VD_JOB_PAUSE);
}

static int do_kill(struct ui_app *app)
{
	return guest_job(app, VD_JOB_KILL);
}

static int do_delete(struct ui_app *app)
{
	return guest_job(app, VD_JOB_DELETE);
}

static int act_delete(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g)
		return guest_job(app, VD_JOB_DELETE);
	snprintf(app->confirm, sizeof(app->confirm),
		 "Delete %s %s (%s): its definition and state go away?", vd_kind_name(g->kind),
		 g->name, vd_backend_name(g->backend));
	app->confirm_fn = do_delete;
	app->mode = UI_MODE_CONFIRM;
	return UI_REACT_REDRAW;
}

static int act_kill(struct ui_app *app)
{
	struct vd_guest *g = ui_app_selected(app);
	if (!g)
		return guest_job(app, VD_JOB_KILL);
	snprintf(app->confirm, sizeof(app->confirm), "Kill %s %s (%s) now, without a clean shutdown?",
		 vd_kind_name(g->kind), g->name, vd_backend_name(g->backend));
	app->confirm_fn = do_kill;
	app->mode = UI_MODE_CONFIRM;
	return UI_REACT_REDRAW;
}

static const struct ui_action ui_actions[] = {
	{ "help", "show this help", act_help, { '?', UI_KEY_F(1), 'h' } },
	{ "quit", "quit (guests keep running)", act_quit, { 'q', UI_KEY_F(10) } },
	{ "down", "move down", act_down, { 'j', UI_KEY_DOWN } },
	{ "up", "move up", act_up, { 'k', UI_KEY_UP } },
	{ "page_down", "move a page down", act_pgdn, { UI_KEY_PGDN } },
	{ "page_up", "move a page up", act_pgup, { UI_KEY_PGUP } },
	{ "first", "first guest", act_home, { UI_KEY_HOME, 'g' } },
	{ "last", "last guest", act_end, { UI_KEY_END, 'G' } },
	{ "sort_next", "sort by the next column", act_sort_next, { '>', UI_KEY_F(6) } },
	{ "sort_prev", "sort by the previous column", act_sort_prev, { '<' } },
	{ "sort_cpu", "sort by CPU% of allocation", act_sort_cpu, { 'P' } },
	{ "sort_mem", "sort by memory used", act_sort_mem, { 'M' } },
	{ "sort_name", "sort by name", act_sort_name, { 'N' } },
	{ "invert", "invert the sort order", act_invert, { 'I' } },
	{ "columns", "choose the table's columns", act_columns, { UI_KEY_F(2), 'C' } },
	{ "group", "group by host / engine / none, with totals", act_group, { UI_KEY_F(5), 't' } },
	{ "search",
	  "search by name: jump to it (F3 finds the next)",
	  act_search,
	  { '/', UI_KEY_F(3) } },
	{ "filter",
	  "filter by name, engine, host, type or state ('|' = or)",
	  act_filter,
	  { '\\', UI_KEY_F(4) } },
	{ "detail",
	  "details: overview, graphs, console, advice, log",
	  act_detail,
	  { UI_KEY_ENTER, 'l' } },
	{ "graphs", "CPU and memory graphs of the selected guest", act_graphs, { 'v' } },
	{ "console",
	  "attach to the selected guest's console (Ctrl-] detaches)",
	  act_console,
	  { 'c' } },
	{ "start", "start the selected guest", act_start, { 's' } },
	{ "stop", "stop the selected guest (graceful, forced after 10 s)", act_stop, { 'x' } },
	{ "pause", "pause / resume the selected guest", act_pause, { 'p' } },
	{ "kill", "kill the selected guest (asks first)", act_kill, { 'K', UI_KEY_F(9) } },
	{ "apply",
	  "apply the right-sizing advice to the selected guest (asks first)",
	  ui_advice_apply_key,
	  { 'a' } },
	{ "undo", "undo the last applied advice (asks first)", ui_advice_undo_key, { 'u' } },
	{ "delete", "delete the selected (stopped) guest (asks first)", act_delete, { 'D' } },
	{ "create", "create a guest from a template (a form)", act_create, { 'n', UI_KEY_F(7) } },
	{ "resize",
	  "resize the selected guest live (memory, CPUs)",
	  act_resize,
	  { 'R', UI_KEY_F(8) } },
	{ "log", "messages: action results, engine errors, config problems", act_log, { 'L' } },
	{ "refresh", "refresh now", act_refresh, { 'r' } },
	{ "slower", "refresh less often (+0.5 s)", act_slower, { '+' } },
	{ "faster", "refresh more often (-0.5 s)", act_faster, { '-' } },
};

/* vi mode adds these on top (btop's vim_keys idea: nothing of the defaults is taken away). */
static const struct {
	const char *action;
	int key;
} ui_vi_extras[] = {
	{ "page_down", 'f' - 'a' + 1 }, { "page_up", 'b' - 'a' + 1 },
	{ "page_down", 'd' - 'a' + 1 }, { "page_up", 'u' - 'a' + 1 },
};

#define UI_MAX_KEYS 160
static struct {
	int key;
	const struct ui_action *action;
} ui_keys[UI_MAX_KEYS];
static size_t ui_n_keys;

static const struct ui_action *keymap_find(const char *name)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_actions); i++)
		if (vd_streq(ui_actions[i].name, name))
			return &ui_actions[i];
	return NULL;
}

bool ui_keymap_action_exists(const char *name)
{
	return keymap_find(name) != NULL;
}

/* Bind key to action; a key has one action, so an earlier binding of that key goes away. */
static void keymap_bind(int key, const struct ui_action *a)
{
	for (size_t i = 0; i < ui_n_keys; i++)
		if (ui_keys[i].key == key) {
			ui_keys[i].action = a;
			return;
		}
	if (ui_n_keys < UI_MAX_KEYS)
		ui_keys[ui_n_keys++] = (typeof(ui_keys[0])){ key, a };
}

static void keymap_unbind_action(const struct ui_action *a)
{
	size_t w = 0;
	for (size_t i = 0; i < ui_n_keys; i++)
		if (ui_keys[i].action != a)
			ui_keys[w++] = ui_keys[i];
	ui_n_keys = w;
}

void ui_keymap_init(const struct ui_settings *s)
{
	ui_n_keys = 0;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_actions); i++)
		for (size_t k = 0; k < 4 && ui_actions[i].keys[k]; k++)
			keymap_bind(ui_actions[i].keys[k], &ui_actions[i]);
	for (size_t i = 0; s && s->vi_keys && i < VD_ARRAY_SIZE(ui_vi_extras); i++)
		keymap_bind(ui_vi_extras[i].key, keymap_find(ui_vi_extras[i].action));
	/* The config's keys replace an action's defaults: the first [keys] line for an action
	 * drops its default keys, later lines add to it. */
	const struct ui_action *seen[UI_MAX_BINDS];
	size_t n_seen = 0;
	for (size_t i = 0; s && i < s->n_binds; i++) {
		const struct ui_action *a = keymap_find(s->binds[i].action);
		bool first = true;
		for (size_t k = 0; k < n_seen; k++)
			first = first && seen[k] != a;
		if (first) {
			keymap_unbind_action(a);
			seen[n_seen++] = a;
		}
		keymap_bind(s->binds[i].key, a);
	}
}

const struct ui_action *ui_keymap_lookup(int key)
{
	if (!ui_n_keys)
		ui_keymap_init(NULL);
	for (size_t i = 0; i < ui_n_keys; i++)
		if (ui_keys[i].key == key)
			return ui_keys[i].action;
	return NULL;
}

const struct ui_action *ui_keymap_actions(size_t *n)
{
	*n = VD_ARRAY_SIZE(ui_actions);
	return ui_actions;
}

const char *ui_keymap_keys_text(const struct ui_action *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	if (!ui_n_keys)
		ui_keymap_init(NULL);
	for (size_t i = 0; i < ui_n_keys && off + 1 < len; i++) {
		if (ui_keys[i].action != a)
			continue;
		char name[16];
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "",
					ui_key_name(ui_keys[i].key, name, sizeof(name)));
	}
	return buf;
}

const char *ui_key_name(int key, char *buf, size_t len)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
		{ UI_KEY_UP, "Up" },	   { UI_KEY_DOWN, "Down" }, { UI_KEY_LEFT, "Left" },
		{ UI_KEY_RIGHT, "Right" }, { UI_KEY_PGUP, "PgUp" }, { UI_KEY_PGDN, "PgDn" },
		{ UI_KEY_HOME, "Home" },   { UI_KEY_END, "End" },   { UI_KEY_ENTER, "Enter" },
		{ UI_KEY_ESC, "Esc" },	   { ' ', "Space" },	    { '\t', "Tab" },
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(names); i++)
		if (names[i].key == key)
			return snprintf(buf, len, "%s", names[i].name), buf;
	if (key >= UI_KEY_F1 && key < UI_KEY_F1 + 12)
		snprintf(buf, len, "F%d", key - UI_KEY_F1 + 1);
	else if (key >= 1 && key <= 26)
		snprintf(buf, len, "C-%c", 'a' + key - 1);
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "0x%x", (unsigned)key);
	return buf;
}
