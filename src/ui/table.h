/* table.h - the guest table widget: headings, rows, cursor and scrolling, drawn into a grid. */
#ifndef VD_UI_TABLE_H
#define VD_UI_TABLE_H

#include "ui/columns.h"
#include "ui/config.h"

struct ui_table {
	const struct vd_registry *reg;
	const struct vd_view *view;
	size_t selected;     /* index into view */
	size_t scroll;       /* first visible view row */
	enum vd_sort_key sort;
	bool sort_desc;
	enum ui_col_id columns[UI_COL__COUNT]; /* the user's choice; n_columns == 0: fit automatically */
	size_t n_columns;
	enum ui_glyphs glyphs;
	bool advice_on; /* a history is open: show the advice columns */
	enum vd_sort_key group; /* VD_SORT_HOST / VD_SORT_ENGINE: a heading row per group; __COUNT: none */
	/* layout of the last draw, for mouse clicks on headings */
	enum ui_col_id last_cols[UI_COL__COUNT];
	int last_x[UI_COL__COUNT], last_w[UI_COL__COUNT];
	size_t last_n;
};

/* Keep `selected` visible in `rows` body rows (scroll counts heading rows of groups too). */
void ui_table_clamp(struct ui_table *t, int rows);
/* The guest (view index) shown at body row `row` of the last layout, or -1 for a group heading
 * or nothing (mouse clicks). */
long ui_table_guest_at(const struct ui_table *t, int row);
/* The column under screen column x in the last layout, or -1. */
int ui_table_column_at(const struct ui_table *t, int x);
/* Draw headings at y and rows below, within the rectangle (x, y, w, h). */
void ui_table_draw(struct ui_table *t, struct ui_grid *g, int x, int y, int w, int h);

#endif
