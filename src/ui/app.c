/* app.c - console state: refresh, selection that follows its guest, filter input and confirmations.
 */
#include "ui/app.h"

#include <ctype.h>
#include <poll.h>
#include <time.h>

#include "ui/advice.h"
#include "ui/logtab.h"
#include "ui/chooser.h"
#include "ui/detail.h"
#include "ui/screen.h"

void ui_app_init(struct ui_app *app, struct vd_registry *reg)
{
	memset(app, 0, sizeof(*app));
	app->reg = reg;
	app->table.reg = reg;
	app->table.view = &app->view;
	app->table.sort = VD_SORT_CPU;
	app->table.sort_desc = true;
	app->table.group = VD_SORT__COUNT;
	app->interval_ms = 2000;
	app->w = 80;
	app->h = 24;
	app->theme = ui_theme_find("default");
	app->glyphs = UI_GLYPHS_ASCII;
	app->table.glyphs = UI_GLYPHS_ASCII;
	_cleanup_error_ struct vd_error *err = NULL;
	if (vd_jobs_start(&app->jobs, &err) < 0)
		ui_app_log(app, UI_BAD, "%s: actions will not work", err->msg);
}

void ui_app_apply_settings(struct ui_app *app, const struct ui_settings *s, bool no_color,
			   bool ascii)
{
	const char *nc = getenv("NO_COLOR");
	app->table.sort = s->sort;
	app->table.sort_desc = s->sort_desc;
	app->table.n_columns = s->n_columns;
	memcpy(app->table.columns, s->columns, sizeof(s->columns));
	app->interval_ms = s->interval_ms;
	app->theme = ui_theme_find(s->theme);
	if (!app->theme || no_color || (nc && *nc))
		app->theme = ui_theme_mono();
	app->glyphs = ascii ? UI_GLYPHS_ASCII : s->glyphs;
	app->mouse = s->mouse;
	app->table.glyphs = app->glyphs;
	ui_keymap_init(s);
}

static void app_timestamp(struct ui_app *app, char *buf, size_t len)
{
	if (app->clock_text && app->clock_text(buf, len))
		return;
	time_t now = time(NULL);
	struct tm tm;
	strftime(buf, len, "%H:%M:%S", localtime_r(&now, &tm));
}

void ui_app_log(struct ui_app *app, enum ui_style st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->status, sizeof(app->status), fmt, ap);
	va_end(ap);
	app->status_style = st;
	struct ui_log_entry *e = &app->log[(app->log_head + app->log_n) % UI_LOG_MAX];
	if (app->log_n == UI_LOG_MAX)
		app->log_head = (app->log_head + 1) % UI_LOG_MAX;
	else
		app->log_n++;
	app_timestamp(app, e->when, sizeof(e->when));
	e->style = st;
	vd_strlcpy(e->text, app->status, sizeof(e->text));
}

const struct ui_log_entry *ui_app_log_get(const struct ui_app *app, size_t i)
{
	return i < app->log_n ? &app->log[(app->log_head + i) % UI_LOG_MAX] : NULL;
}

void ui_app_free(struct ui_app *app)
{
	vd_jobs_stop(&app->jobs);
	ui_advice_close(app);
	ui_logtab_free(app);
	vd_job_free(app->pending_job);
	vd_view_free(&app->view);
}

struct vd_guest *ui_app_selected(struct ui_app *app)
{
	if (app->table.selected >= app->view.n)
		return NULL;
	return &app->reg->guests[app->view.idx[app->table.selected]];
}

void ui_app_status(struct ui_app *app, enum ui_style st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->status, sizeof(app->status), fmt, ap);
	va_end(ap);
	app->status_style = st;
}

int ui_app_table_rows(const struct ui_app *app)
{
	return app->h - UI_HEADER_ROWS - 2; /* heading row and status line */
}

/* Rebuild the view and put the cursor back on the guest it was on (by backend and name). */
static void app_rebuild_keep(struct ui_app *app, const struct vd_backend *be, const char *name)
{
	vd_view_free(&app->view);
	vd_model_view_grouped(app->reg, app->filter, app->table.group, app->table.sort,
			      app->table.sort_desc, &app->view);
	for (size_t i = 0; name && app->follow && i < app->view.n; i++) {
		const struct vd_guest *g = &app->reg->guests[app->view.idx[i]];
		if (g->backend == be && vd_streq(g->name, name)) {
			app->table.selected = i;
			break;
		}
	}
	ui_table_clamp(&app->table, ui_app_table_rows(app));
}

struct app_seen {
	const struct vd_backend *be;
	char name[VD_NAME_MAX];
	enum vd_state state;
};

/* A log line that must not hide an action's result in the status line. */
static void app_log_quiet(struct ui_app *app, enum ui_style st, const char *msg)
{
	char keep[sizeof(app->status)];
	vd_strlcpy(keep, app->status, sizeof(keep));
	enum ui_style keep_st = app->status_style;
	ui_app_log(app, st, "%s", msg);
	vd_strlcpy(app->status, keep, sizeof(app->status));
	app->status_style = keep_st;
}

static const struct app_seen *app_seen_find(const struct vd_guest *g, const struct app_seen *old,
					    size_t n_old)
{
	for (size_t k = 0; k < n_old; k++)
		if (old[k].be == g->backend && vd_streq(old[k].name, g->name))
			return &old[k];
	return NULL;
}

/* Log guests whose state changed between two refreshes (the detail view's log tab shows them),
 * with the reason when the engine could not read one (first seen that way, too). */
static void app_log_transitions(struct ui_app *app, const struct app_seen *old, size_t n_old)
{
	for (size_t i = 0; i < app->reg->n_guests; i++) {
		const struct vd_guest *g = &app->reg->guests[i];
		const struct app_seen *was = app_seen_find(g, old, n_old);
		if (was ? was->state == g->state : !g->problem[0])
			continue;
		char label[32], why[160];
		vd_guest_reason(g, why, sizeof(why));
		const char *detail = g->problem[0] ? g->problem : why;
		bool bad = g->state == VD_STATE_CRASHED || g->state == VD_STATE_LOST ||
			   g->problem[0] || (why[0] && g->exit.kind != VD_EXIT_USER);
		char msg[sizeof(g->problem) + 128];
		if (was)
			snprintf(msg, sizeof(msg), "%s: %s -> %s%s%s", g->name,
				 vd_state_name(was->state), vd_guest_state_label(g, label, sizeof(label)),
				 detail[0] ? ": " : "", detail);
		else
			vd_strlcpy(msg, g->problem, sizeof(msg)); /* it names the guest */
		app_log_quiet(app, bad ? UI_BAD : UI_NORMAL, msg);
	}
}

static void app_rebuild_at_cursor(struct ui_app *app, bool poll)
{
	struct vd_guest *sel = ui_app_selected(app);
	char name[VD_NAME_MAX] = "";
	const struct vd_backend *be = sel ? sel->backend : NULL;
	if (sel)
		vd_strlcpy(name, sel->name, sizeof(name));
	if (poll) {
		size_t n_old = app->reg->n_guests;
		struct app_seen *old = vd_xcalloc(n_old, sizeof(*old));
		for (size_t i = 0; i < n_old; i++) {
			old[i].be = app->reg->guests[i].backend;
			vd_strlcpy(old[i].name, app->reg->guests[i].name, sizeof(old[i].name));
			old[i].state = app->reg->guests[i].state;
		}
		vd_registry_refresh(app->reg);
		ui_advice_after_refresh(app);
		app_log_transitions(app, old, n_old);
		free(old);
	}
	app_rebuild_keep(app, be, sel ? name : NULL);
}

void ui_app_rebuild(struct ui_app *app)
{
	app_rebuild_at_cursor(app, false);
}

void ui_app_refresh(struct ui_app *app)
{
	app_rebuild_at_cursor(app, true);
}

void ui_app_resize(struct ui_app *app, int w, int h)
{
	app->w = w;
	app->h = h;
	ui_table_clamp(&app->table, ui_app_table_rows(app));
}

/* Edit a line of input; returns true when the text changed. */
static bool app_edit(char *buf, size_t size, int key)
{
	size_t len = strlen(buf);
	if ((key == UI_KEY_BACKSPACE || key == 8 || key == 0x107) && len > 0) {
		buf[len - 1] = '\0';
		return true;
	}
	if (key >= 0x20 && key < 0x7f && len + 1 < size) {
		buf[len] = (char)key;
		buf[len + 1] = '\0';
		return true;
	}
	return false;
}

/* Typing a filter narrows the table live; Enter keeps it, Esc clears it. */
static int app_filter_key(struct ui_app *app, int key)
{
	if (key == UI_KEY_ENTER || key == UI_KEY_ESC) {
		if (key == UI_KEY_ESC)
			app->filter[0] = '\0';
		app->mode = UI_MODE_NORMAL;
		ui_app_status(app, UI_NORMAL, "%s",
			      app->filter[0] ? "filter kept: \\ to change it" : "filter cleared");
	} else if (!app_edit(app->filter, sizeof(app->filter), key)) {
		return UI_REACT_NONE;
	}
	app->table.selected = 0;
	ui_app_rebuild(app);
	return UI_REACT_REDRAW;
}

/* Move the cursor to the next guest (from `from`, wrapping) whose name contains the search. */
static bool app_search_from(struct ui_app *app, size_t from)
{
	for (size_t k = 0; k < app->view.n; k++) {
		size_t i = (from + k) % app->view.n;
		if (strcasestr(app->reg->guests[app->view.idx[i]].name, app->search)) {
			app->table.selected = i;
			app->follow = true;
			ui_table_clamp(&app->table, ui_app_table_rows(app));
			return true;
		}
	}
	return false;
}

/* htop's search: the cursor jumps as you type; F3 finds the next one; the table is not narrowed. */
static int app_search_key(struct ui_app *app, int key)
{
	if (key == UI_KEY_ENTER || key == UI_KEY_ESC) {
		app->mode = UI_MODE_NORMAL;
		return UI_REACT_REDRAW;
	}
	size_t from = app->table.selected;
	if (key == UI_KEY_F(3))
		from++;
	else if (!app_edit(app->search, sizeof(app->search), key))
		return UI_REACT_NONE;
	if (!app_search_from(app, from))
		ui_app_status(app, UI_WARN, "no guest name contains '%s'", app->search);
	else
		app->status[0] = '\0';
	return UI_REACT_REDRAW;
}

static int app_confirm_key(struct ui_app *app, int key)
{
	app->mode = UI_MODE_NORMAL;
	if (key == 'y' || key == 'Y')
		return app->confirm_fn(app);
	vd_job_free(app->pending_job);
	app->pending_job = NULL;
	ui_app_status(app, UI_NORMAL, "cancelled");
	return UI_REACT_REDRAW;
}

/* Click a heading to sort by it (again to invert), a row to select it, double-click for details. */
static int app_mouse(struct ui_app *app)
{
	if (app->screen != UI_SCREEN_MAIN || app->mode != UI_MODE_NORMAL)
		return UI_REACT_NONE;
	if (app->mouse_ev == UI_MOUSE_WHEEL_UP || app->mouse_ev == UI_MOUSE_WHEEL_DOWN) {
		const struct ui_action *a = ui_keymap_lookup(
			app->mouse_ev == UI_MOUSE_WHEEL_UP ? UI_KEY_UP : UI_KEY_DOWN);
		return a ? a->fn(app) : UI_REACT_NONE;
	}
	if (app->mouse_y == UI_HEADER_ROWS) {
		int col = ui_table_column_at(&app->table, app->mouse_x);
		const struct ui_column *c = col >= 0 ? ui_column_get((enum ui_col_id)col) : NULL;
		if (!c || !c->format)
			return UI_REACT_NONE;
		app->table.sort_desc = c->sort == app->table.sort ? !app->table.sort_desc : c->right;
		app->table.sort = c->sort;
		ui_app_rebuild(app);
		return UI_REACT_REDRAW;
	}
	long i = ui_table_guest_at(&app->table, app->mouse_y - UI_HEADER_ROWS - 1);
	if (i < 0)
		return UI_REACT_NONE;
	app->table.selected = (size_t)i;
	app->follow = true;
	if (app->mouse_ev == UI_MOUSE_DOUBLE)
		return ui_keymap_lookup(UI_KEY_ENTER) ? ui_keymap_lookup(UI_KEY_ENTER)->fn(app) : UI_REACT_REDRAW;
	return UI_REACT_REDRAW;
}

int ui_app_key(struct ui_app *app, int key)
{
	if (key == UI_KEY_RESIZE)
		return UI_REACT_REDRAW;
	if (key == UI_KEY_MOUSE)
		return app_mouse(app);
	if (app->mode == UI_MODE_FILTER)
		return app_filter_key(app, key);
	if (app->mode == UI_MODE_SEARCH)
		return app_search_key(app, key);
	if (app->mode == UI_MODE_CONFIRM)
		return app_confirm_key(app, key);
	if (app->w < UI_MIN_W || app->h < UI_MIN_H)
		return key == 'q' || key == UI_KEY_F(10) ? UI_REACT_QUIT : UI_REACT_NONE;
	if (app->screen == UI_SCREEN_HELP)
		return ui_screen_help_key(app, key);
	if (app->screen == UI_SCREEN_LOG)
		return ui_screen_log_key(app, key);
	if (app->screen == UI_SCREEN_DETAIL)
		return ui_detail_key(app, key);
	if (app->screen == UI_SCREEN_FORM)
		return ui_form_key(app, &app->form, key);
	if (app->screen == UI_SCREEN_COLUMNS)
		return ui_chooser_key(app, key);
	const struct ui_action *a = ui_keymap_lookup(key);
	return a ? a->fn(app) : UI_REACT_NONE;
}

int ui_app_console_request(struct ui_app *app, const struct vd_guest *g)
{
	app->console_be = g->backend;
	vd_strlcpy(app->console_name, g->name, sizeof(app->console_name));
	return UI_REACT_CONSOLE | UI_REACT_REDRAW;
}

int ui_app_submit(struct ui_app *app, struct vd_job *job)
{
	if (!app->jobs.started) {
		ui_app_log(app, UI_BAD, "%s %s: the job thread is not running", vd_job_verb(job->op), job->name);
		vd_job_free(job);
		return UI_REACT_REDRAW;
	}
	ui_app_log(app, UI_WARN, "%s %s ...", vd_job_verb(job->op), job->name);
	vd_jobs_submit(&app->jobs, job);
	return UI_REACT_REDRAW;
}

int ui_app_jobs_collect(struct ui_app *app)
{
	int react = UI_REACT_NONE;
	struct vd_job *job;
	while ((job = vd_jobs_take_done(&app->jobs))) {
		ui_app_log(app, job->result < 0 ? UI_BAD : UI_GOOD, "%s", job->message);
		vd_job_free(job);
		react = UI_REACT_REFRESH | UI_REACT_REDRAW;
	}
	return react;
}

void ui_app_jobs_wait(struct ui_app *app)
{
	while (vd_jobs_pending(&app->jobs) > 0) {
		struct pollfd p = { .fd = vd_jobs_fd(&app->jobs), .events = POLLIN };
		poll(&p, 1, 50);
	}
	ui_app_jobs_collect(app);
}
