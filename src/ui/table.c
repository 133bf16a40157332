/* table.c - draws the guest table with the sort column marked and the cursor row highlighted. */
#include "ui/table.h"

#include "ui/widgets.h"

/* Does view entry i start a new group (so a heading row goes above it)? */
static bool table_group_starts(const struct ui_table *t, size_t i)
{
	if (t->group >= VD_SORT__COUNT)
		return false;
	if (i == 0)
		return true;
	const struct vd_guest *a = &t->reg->guests[t->view->idx[i - 1]];
	const struct vd_guest *b = &t->reg->guests[t->view->idx[i]];
	return vd_model_compare(a, b, t->group) != 0;
}

/* Display row of view entry i (group headings count as rows). */
static size_t table_row_of(const struct ui_table *t, size_t i)
{
	size_t row = 0;
	for (size_t k = 0; k <= i && k < t->view->n; k++)
		row += 1 + table_group_starts(t, k);
	return row - 1;
}

static size_t table_total_rows(const struct ui_table *t)
{
	return t->view->n ? table_row_of(t, t->view->n - 1) + 1 : 0;
}

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
	size_t sel = table_row_of(t, t->selected), total = table_total_rows(t);
	size_t top = t->selected == 0 ? 0 : sel; /* keep the first group's heading in view */
	if (top < t->scroll)
		t->scroll = top;
	if (sel >= t->scroll + (size_t)rows)
		t->scroll = sel - (size_t)rows + 1;
	if (t->scroll + (size_t)rows > total)
		t->scroll = total > (size_t)rows ? total - (size_t)rows : 0;
}

long ui_table_guest_at(const struct ui_table *t, int row)
{
	if (row < 0)
		return -1;
	size_t want = t->scroll + (size_t)row, r = 0;
	for (size_t i = 0; i < t->view->n; i++) {
		if (table_group_starts(t, i) && r++ == want)
			return -1;
		if (r++ == want)
			return (long)i;
	}
	return -1;
}

static void table_cell(struct ui_grid *g, int x, int y, int w, bool right, enum ui_style st,
		       const char *text)
{
	int tw = ui_text_width(text);
	int pad = right && tw < w ? w - tw : 0;
	ui_grid_put(g, x + pad, y, w - pad, st, text);
}

int ui_table_column_at(const struct ui_table *t, int x)
{
	for (size_t i = 0; i < t->last_n; i++)
		if (x >= t->last_x[i] && x <= t->last_x[i] + t->last_w[i])
			return (int)t->last_cols[i];
	return -1;
}

static void table_heading(struct ui_table *t, struct ui_grid *g, int x, int y, int w,
			  const enum ui_col_id *cols, const int *cw, size_t nc)
{
	ui_grid_fill(g, x, y, w, ' ', UI_COLHEAD);
	int cx = x;
	t->last_n = nc;
	for (size_t i = 0; i < nc; i++) {
		t->last_cols[i] = cols[i];
		t->last_x[i] = cx;
		t->last_w[i] = cw[i];
		const struct ui_column *c = ui_column_get(cols[i]);
		bool sorted = c->sort == t->sort &&
			      (c->id <= UI_COL_MEM_PCT || c->id == UI_COL_NAME) &&
			      c->id != UI_COL_CPU_GRAPH;
		table_cell(g, cx, y, cw[i], c->right, sorted ? UI_SORTHEAD : UI_COLHEAD, c->title);
		if (sorted)
			ui_grid_style(g, cx, y, cw[i], UI_SORTHEAD);
		cx += cw[i] + 1;
	}
}

/* The CPU% history sparkline, scaled to the allocation (full height = every vCPU busy). */
static void table_spark(struct ui_table *t, struct ui_grid *g, const struct vd_guest *gu, int x,
			int y, int w)
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

static void table_row(struct ui_table *t, struct ui_grid *g, const struct vd_guest *gu, int x,
		      int y, int w, bool sel, const enum ui_col_id *cols, const int *cw, size_t nc)
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

/* "host demo: 8 guests - alloc 21.5 vCPU, 36G - used 1.80 CPUs, 20G": the alloc-vs-use totals
 * of one group, so several hosts can be compared at a glance. */
static void table_group_heading(struct ui_table *t, struct ui_grid *g, size_t first, int x, int y,
				int w)
{
	const struct vd_guest *g0 = &t->reg->guests[t->view->idx[first]];
	double alloc = 0, used = 0;
	uint64_t malloc_ = 0, mused = 0;
	size_t n = 0;
	for (size_t i = first; i < t->view->n && (i == first || !table_group_starts(t, i)); i++, n++) {
		const struct vd_guest *gu = &t->reg->guests[t->view->idx[i]];
		if (!vd_state_is_active(gu->state))
			continue;
		alloc += vd_guest_cpu_capacity(gu, t->reg->host.ncpus);
		used += gu->cpu_pct_alloc > 0
				? gu->cpu_pct_alloc *
					  vd_guest_cpu_capacity(gu, t->reg->host.ncpus) / 100
				: 0;
		malloc_ += gu->alloc.mem_bytes;
		mused += gu->sample.mem_used;
	}
	char a[16], b[16];
	ui_grid_fill(g, x, y, w, ' ', UI_TITLE);
	ui_grid_printf(g, x, y, w, UI_TITLE,
		       "%s %s: %zu guest%s - alloc %.1f vCPU, %s - used %.2f CPUs, %s",
		       t->group == VD_SORT_HOST ? "host" : "engine",
		       t->group == VD_SORT_HOST ? g0->host : vd_backend_name(g0->backend), n,
		       n == 1 ? "" : "s", alloc, vd_format_size(malloc_, a, sizeof(a)), used,
		       vd_format_size(mused, b, sizeof(b)));
}

/* More than one host label among the engines: the HOST column earns its place. */
static bool table_multi_host(const struct ui_table *t)
{
	for (size_t i = 1; i < t->reg->n_backends; i++)
		if (!vd_streq(t->reg->backends[i]->label, t->reg->backends[0]->label))
			return true;
	return false;
}

void ui_table_draw(struct ui_table *t, struct ui_grid *g, int x, int y, int w, int h)
{
	enum ui_col_id cols[UI_COL__COUNT];
	int cw[UI_COL__COUNT];
	unsigned flags =
		(table_multi_host(t) ? UI_FIT_MULTI_HOST : 0) | (t->advice_on ? UI_FIT_ADVICE : 0);
	size_t nc = ui_columns_fit(w, t->columns, t->n_columns, flags, cols, cw, UI_COL__COUNT);
	table_heading(t, g, x, y, w, cols, cw, nc);
	int rows = h - 1;
	ui_table_clamp(t, rows);
	size_t row = 0;
	for (size_t vi = 0; vi < t->view->n && row < t->scroll + (size_t)rows; vi++) {
		if (table_group_starts(t, vi) && row++ >= t->scroll)
			table_group_heading(t, g, vi, x, y + (int)(row - t->scroll), w);
		if (row >= t->scroll + (size_t)rows)
			break;
		if (row++ >= t->scroll) {
			const struct vd_guest *gu = &t->reg->guests[t->view->idx[vi]];
			table_row(t, g, gu, x, y + (int)(row - t->scroll), w, vi == t->selected, cols, cw, nc);
		}
	}
}
