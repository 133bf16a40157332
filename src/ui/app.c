/* app.c - console state: refresh, selection that follows its guest, filter input and confirmations. */
#include "ui/app.h"

#include <ctype.h>

#include "ui/screen.h"

void ui_app_init(struct ui_app *app, struct vd_registry *reg)
{
	memset(app, 0, sizeof(*app));
	app->reg = reg;
	app->table.reg = reg;
	app->table.view = &app->view;
	app->table.sort = VD_SORT_CPU;
	app->table.sort_desc = true;
	app->interval_ms = 2000;
	app->w = 80;
	app->h = 24;
}

void ui_app_free(struct ui_app *app)
{
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
	vd_model_view(app->reg, app->filter, app->table.sort, app->table.sort_desc, &app->view);
	for (size_t i = 0; name && app->follow && i < app->view.n; i++) {
		const struct vd_guest *g = &app->reg->guests[app->view.idx[i]];
		if (g->backend == be && vd_streq(g->name, name)) {
			app->table.selected = i;
			break;
		}
	}
	ui_table_clamp(&app->table, ui_app_table_rows(app));
}

static void app_rebuild_at_cursor(struct ui_app *app, bool poll)
{
	struct vd_guest *sel = ui_app_selected(app);
	char name[VD_NAME_MAX] = "";
	const struct vd_backend *be = sel ? sel->backend : NULL;
	if (sel)
		vd_strlcpy(name, sel->name, sizeof(name));
	if (poll)
		vd_registry_refresh(app->reg);
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

/* Typing a filter narrows the table live; Enter keeps it, Esc clears it. */
static int app_filter_key(struct ui_app *app, int key)
{
	size_t len = strlen(app->filter);
	if (key == UI_KEY_ENTER || key == UI_KEY_ESC) {
		if (key == UI_KEY_ESC)
			app->filter[0] = '\0';
		app->mode = UI_MODE_NORMAL;
		ui_app_status(app, UI_NORMAL, "%s", app->filter[0] ? "filter kept: \\ to change it" : "filter cleared");
	} else if ((key == UI_KEY_BACKSPACE || key == 8) && len > 0) {
		app->filter[len - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(app->filter)) {
		app->filter[len] = (char)key;
		app->filter[len + 1] = '\0';
	} else {
		return UI_REACT_NONE;
	}
	app->table.selected = 0;
	ui_app_rebuild(app);
	return UI_REACT_REDRAW;
}

static int app_confirm_key(struct ui_app *app, int key)
{
	app->mode = UI_MODE_NORMAL;
	if (key == 'y' || key == 'Y')
		return app->confirm_fn(app);
	ui_app_status(app, UI_NORMAL, "cancelled");
	return UI_REACT_REDRAW;
}

int ui_app_key(struct ui_app *app, int key)
{
	if (key == UI_KEY_RESIZE)
		return UI_REACT_REDRAW;
	if (app->mode == UI_MODE_FILTER)
		return app_filter_key(app, key);
	if (app->mode == UI_MODE_CONFIRM)
		return app_confirm_key(app, key);
	if (app->w < UI_MIN_W || app->h < UI_MIN_H)
		return key == 'q' || key == UI_KEY_F(10) ? UI_REACT_QUIT : UI_REACT_NONE;
	if (app->screen == UI_SCREEN_HELP)
		return ui_screen_help_key(app, key);
	const struct ui_binding *b = ui_keymap_lookup(key);
	if (!b)
		return UI_REACT_NONE;
	return b->fn(app);
}
