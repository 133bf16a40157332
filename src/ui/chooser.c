/* chooser.c - the column chooser (F2): which columns the table shows, in table order. */
#include "ui/chooser.h"

/* The columns on screen now: the user's list, or every column when the table fits itself. */
static bool chooser_is_on(const struct ui_app *app, enum ui_col_id id)
{
	if (!app->table.n_columns)
		return ui_column_get(id)->priority <= 8;
	for (size_t i = 0; i < app->table.n_columns; i++)
		if (app->table.columns[i] == id)
			return true;
	return false;
}

int ui_chooser_open(struct ui_app *app)
{
	size_t n = 0;
	for (int i = 0; i < UI_COL__COUNT; i++)
		if (chooser_is_on(app, (enum ui_col_id)i))
			app->table.columns[n++] = (enum ui_col_id)i;
	app->table.n_columns = n;
	app->chooser_pos = 0;
	app->screen = UI_SCREEN_COLUMNS;
	return UI_REACT_REDRAW;
}

static void chooser_toggle(struct ui_app *app, enum ui_col_id id)
{
	bool on = chooser_is_on(app, id);
	size_t n = 0;
	enum ui_col_id cols[UI_COL__COUNT];
	for (int i = 0; i < UI_COL__COUNT; i++) {
		bool want = i == (int)id ? !on : chooser_is_on(app, (enum ui_col_id)i);
		if (want)
			cols[n++] = (enum ui_col_id)i;
	}
	if (!n) {
		ui_app_status(app, UI_WARN, "keep at least one column");
		return;
	}
	memcpy(app->table.columns, cols, sizeof(cols));
	app->table.n_columns = n;
}

int ui_chooser_key(struct ui_app *app, int key)
{
	switch (key) {
	case UI_KEY_DOWN: case 'j':
		app->chooser_pos = (app->chooser_pos + 1) % UI_COL__COUNT;
		return UI_REACT_REDRAW;
	case UI_KEY_UP: case 'k':
		app->chooser_pos = (app->chooser_pos + UI_COL__COUNT - 1) % UI_COL__COUNT;
		return UI_REACT_REDRAW;
	case ' ':
		chooser_toggle(app, (enum ui_col_id)app->chooser_pos);
		return UI_REACT_REDRAW;
	case 'q': case UI_KEY_F(10):
		return UI_REACT_QUIT;
	default:
		app->screen = UI_SCREEN_MAIN;
		ui_app_status(app, UI_NORMAL, "%zu columns shown (those that fit the width)",
			      app->table.n_columns);
		return UI_REACT_REDRAW;
	}
}

void ui_chooser_draw(struct ui_app *app, struct ui_grid *g)
{
	ui_grid_fill(g, 0, 0, app->w, ' ', UI_TITLE);
	ui_grid_put(g, 0, 0, app->w, UI_TITLE, "Columns - Space toggles, Up/Down move, Esc/Enter returns");
	for (int i = 0; i < UI_COL__COUNT && i + 2 < app->h - 1; i++) {
		const struct ui_column *c = ui_column_get((enum ui_col_id)i);
		ui_grid_printf(g, 2, i + 2, app->w - 4,
			       i == app->chooser_pos ? UI_SELECTED : UI_NORMAL, "[%c] %-14s %s",
			       chooser_is_on(app, (enum ui_col_id)i) ? 'x' : ' ', c->title, c->key);
	}
	ui_grid_fill(g, 0, app->h - 1, app->w, ' ', UI_STATUS);
	ui_grid_put(g, 0, app->h - 1, app->w, UI_STATUS,
		    "To keep a choice, put `columns = ...` under [display] in virtdeck.ini");
}
