/* table.c - draws the guest table with the sort column marked and the cursor row highlighted. */
#include "ui/table.h"

#include "ui/widgets.h"

void ui_table_clamp(struct ui_table *t, int rows)
{
	size_t n = t->view->n;
	if (n == 0) {
		t->selected = t->scroll = 0;
		return;
	}
	if (t->selected >= n)
		t->selected = n - 1;
	if (rows < 1)
		rows = 1;
	if (t->selected < t->scroll)
		t->scroll = t->selected;
	if (t->selected >= t->scroll + (size_t)rows)
		t->scroll = t->selected - (size_t)rows + 1;
	if (t->scroll + (size_t)rows > n)
		t->scroll = n > (size_t)rows ? n - (size_t)rows : 0;
}

static void table_cell(struct ui_grid *g, int x, int y, int w, bool right, enum ui_style st, const char *text)
{
	int tw = ui_text_width(text);
	int pad = right && tw < w ? w - tw : 0;
	ui_grid_put(g, x + pad, y, w - pad, st, text);
}

static void table_heading(struct ui_table *t, struct ui_grid *g, int x, int y, int w,
			  const enum ui_col_id *cols, const int *cw, size_t nc)
{
	ui_grid_fill(g, x, y, w, ' ', UI_COLHEAD);
	int cx = x;
	for (size_t i = 0; i < nc; i++) {
		const struct ui_column *c = ui_column_get(cols[i]);
		bool sorted = c->sort == t->sort && c->id != UI_COL_MEM_SRC && c->id != UI_COL_CPU_GRAPH;
		table_cell(g, cx, y, cw[i], c->right, sorted ? UI_SORTHEAD : UI_COLHEAD, c->title);
		if (sorted)
			ui_grid_style(g, cx, y, cw[i], UI_SORTHEAD);
		cx += cw[i] + 1;
	}
}

/* The CPU% history sparkline, scaled to the allocation (full height = every vCPU busy). */
static void table_spark(struct ui_table *t, struct ui_grid *g, const struct vd_guest *gu, int x, int y, int w)
{
	const struct vd_trend *tr = vd_trends_find(&t->reg->trends, gu);
	if (!tr)
		return;
	float v[VD_TREND_LEN];
	for (size_t i = 0; i < tr->n; i++) {
		float p = tr->cpu_pct[vd_trend_index(tr, i)];
		v[i] = p < 0 ? -1.0f : p / 100.0f;
	}
	ui_sparkline(g, x, y, w, v, tr->n, t->glyphs, UI_METER_USED);
}

static void table_row(struct ui_table *t, struct ui_grid *g, const struct vd_guest *gu, int x, int y, int w,
		      bool sel, const enum ui_col_id *cols, const int *cw, size_t nc)
{
	int cx = x;
	char buf[96];
	for (size_t i = 0; i < nc; i++) {
		const struct ui_column *c = ui_column_get(cols[i]);
		if (c->format)
			table_cell(g, cx, y, cw[i], c->right, c->format(gu, buf, sizeof(buf)), buf);
		else
			table_spark(t, g, gu, cx, y, cw[i]);
		cx += cw[i] + 1;
	}
	if (sel)
		ui_grid_style(g, x, y, w, UI_SELECTED);
}

void ui_table_draw(struct ui_table *t, struct ui_grid *g, int x, int y, int w, int h)
{
	enum ui_col_id cols[UI_COL__COUNT];
	int cw[UI_COL__COUNT];
	size_t nc = ui_columns_fit(w, t->columns, t->n_columns, cols, cw, UI_COL__COUNT);
	table_heading(t, g, x, y, w, cols, cw, nc);
	int rows = h - 1;
	ui_table_clamp(t, rows);
	for (int r = 0; r < rows && t->scroll + (size_t)r < t->view->n; r++) {
		size_t vi = t->scroll + (size_t)r;
		const struct vd_guest *gu = &t->reg->guests[t->view->idx[vi]];
		table_row(t, g, gu, x, y + 1 + r, w, vi == t->selected, cols, cw, nc);
	}
}
