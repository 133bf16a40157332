/* screen.c - builds the main, help and too-small screens into the cell grid. */
#include "ui/screen.h"

#include "config.h"
#include "ui/chooser.h"
#include "ui/detail.h"
#include "ui/widgets.h"

/* A host meter: one segment of what the host uses, '|' in the used style. */
static void screen_host_meter(struct ui_grid *g, int y, const char *label, double frac,
			      const char *text)
{
	struct ui_meter_seg seg = { frac, '|', UI_METER_USED };
	ui_meter(g, 0, y, 28, label, &seg, 1, text);
}

/* The guests' meter on wide terminals, scaled to the host: '|' what guests use, '#' what is
 * allocated to them but unused; a bar that is full of '#' means the host is over-committed. */
static void screen_guest_meter(struct ui_grid *g, int x, int y, int w, double used, double alloc,
			       double host, const char *text)
{
	if (host <= 0)
		return;
	struct ui_meter_seg segs[2] = {
		{ used / host, '|', UI_METER_USED },
		{ (alloc > used ? alloc - used : 0) / host, '#', UI_METER_ALLOC },
	};
	ui_meter(g, x, y, w, "guests", segs, 2, text);
}

static void screen_title(struct ui_app *app, struct ui_grid *g)
{
	const struct vd_host *h = &app->reg->host;
	char mem[16];
	ui_grid_printf(g, 0, 0, app->w, UI_TITLE, "virtdeck %s - %s - %u CPUs - %s RAM", PACKAGE_VERSION,
		       h->hostname, h->ncpus, vd_format_size(h->mem_total, mem, sizeof(mem)));
	if (app->banner[0]) {
		int bw = ui_text_width(app->banner) + 2;
		ui_grid_printf(g, app->w - bw, 0, bw, UI_WARN, "[%s]", app->banner);
	}
}

static void screen_cpu_row(struct ui_app *app, struct ui_grid *g, const struct vd_totals *t)
{
	const struct vd_host *h = &app->reg->host;
	char in[32];
	if (h->cpu_pct >= 0)
		snprintf(in, sizeof(in), "%.1f%%", h->cpu_pct);
	else
		snprintf(in, sizeof(in), "...");
	screen_host_meter(g, 1, "CPU", h->cpu_pct / 100.0, in);
	double ratio = h->ncpus ? t->vcpus_alloc / h->ncpus : 0;
	double pct = t->vcpus_alloc > 0 ? 100.0 * t->cpus_used / t->vcpus_alloc : 0;
	int x = 29;
	if (app->w >= 140) {
		snprintf(in, sizeof(in), "%.1fx", ratio);
		screen_guest_meter(g, x, 1, 40, t->cpus_used, t->vcpus_alloc, h->ncpus, in);
		x += 41;
	}
	ui_grid_printf(g, x, 1, app->w - x, UI_NORMAL,
		       x > 29 ? "%.1f vCPU allocated (%.1fx host), %.2f used (%.0f%% of alloc)"
		       : app->w >= 120 ? "guests: %.1f vCPU allocated (%.1fx host), %.2f used (%.0f%% of alloc)"
				     : "alloc %.1f vCPU (%.1fx host), used %.2f (%.0f%%)",
		       t->vcpus_alloc, ratio, t->cpus_used, pct);
}

static void screen_mem_row(struct ui_app *app, struct ui_grid *g, const struct vd_totals *t)
{
	const struct vd_host *h = &app->reg->host;
	uint64_t used = h->mem_total - h->mem_available;
	char a[16], b[16], in[40];
	snprintf(in, sizeof(in), "%s/%s", vd_format_size(used, a, sizeof(a)),
		 vd_format_size(h->mem_total, b, sizeof(b)));
	screen_host_meter(g, 2, "MEM", h->mem_total ? (double)used / (double)h->mem_total : 0, in);
	double ratio = h->mem_total ? (double)t->mem_alloc / (double)h->mem_total : 0;
	double pct = t->mem_alloc ? 100.0 * (double)t->mem_used / (double)t->mem_alloc : 0;
	int x = 29;
	if (app->w >= 140) {
		snprintf(in, sizeof(in), "%.1fx", ratio);
		screen_guest_meter(g, x, 2, 40, (double)t->mem_used, (double)t->mem_alloc,
				   (double)h->mem_total, in);
		x += 41;
	}
	ui_grid_printf(g, x, 2, app->w - x, UI_NORMAL,
		       x > 29 ? "%s allocated (%.1fx host), %s used (%.0f%% of alloc)"
		       : app->w >= 120
			       ? "guests: %s allocated (%.1fx host), %s used (%.0f%% of alloc)"
			       : "alloc %s (%.1fx host), used %s (%.0f%%)",
		       vd_format_size(t->mem_alloc, a, sizeof(a)), ratio,
		       vd_format_size(t->mem_used, b, sizeof(b)), pct);
}

/* "Guests 8 (vm 4, ct 4), 6 running - engines: fake 8" and what each % means. */
static void screen_counts_row(struct ui_app *app, struct ui_grid *g, const struct vd_totals *t)
{
	char eng[160] = "";
	size_t off = 0;
	for (size_t i = 0; i < app->reg->n_backends && off < sizeof(eng); i++) {
		const struct vd_backend *be = app->reg->backends[i];
		unsigned n = 0;
		for (size_t k = 0; k < app->reg->n_guests; k++)
			n += app->reg->guests[k].backend == be;
		bool local = vd_streq(be->label, "local");
		off += (size_t)snprintf(eng + off, sizeof(eng) - off, "%s%s%s%s %s", i ? ", " : "",
					vd_backend_name(be), local ? "" : "@",
					local ? "" : be->label,
					be->lost   ? "LOST"
					: be->busy ? "busy "
						   : "");
		if (!be->lost && off < sizeof(eng))
			off += (size_t)snprintf(eng + off, sizeof(eng) - off, "%u", n);
	}
	int x = ui_grid_printf(g, 0, 3, app->w, UI_NORMAL,
			       "Guests %zu (vm %u, ct %u), %u running - engines: %s",
			       app->reg->n_guests, t->n_by_kind[0], t->n_by_kind[1], t->n_running,
			       app->reg->n_backends ? eng : "none");
	const char *legend = app->w >= 120 ? "CPU% of allocation, HOST% of host" : "CPU% of alloc";
	int lw = ui_text_width(legend);
	if (x + 2 + lw <= app->w)
		ui_grid_put(g, app->w - lw, 3, lw, UI_DIM, legend);
}

static void screen_empty_hint(struct ui_app *app, struct ui_grid *g, int y)
{
	if (app->view.n)
		return;
	const char *msg =
		app->filter[0] ? "no guest matches the filter (\\ to change it, Esc clears)"
		: app->reg->n_backends
			? "no guests yet: create one with `virtdeck create`, or try `virtdeck --demo`"
			: "no engine is available: try `virtdeck --demo`";
	ui_grid_put(g, 1, y + 2, app->w - 2, UI_DIM, msg);
}

static void screen_status(struct ui_app *app, struct ui_grid *g)
{
	int y = app->h - 1;
	ui_grid_fill(g, 0, y, app->w, ' ', UI_STATUS);
	if (app->mode == UI_MODE_FILTER) {
		ui_grid_printf(g, 0, y, app->w, UI_STATUS,
			       "filter: %s_   (Enter keeps, Esc clears)", app->filter);
		return;
	}
	if (app->mode == UI_MODE_SEARCH) {
		ui_grid_printf(g, 0, y, app->w, UI_STATUS,
			       "search: %s_   (F3 next, Enter/Esc done)", app->search);
		return;
	}
	if (app->mode == UI_MODE_CONFIRM) {
		ui_grid_printf(g, 0, y, app->w, UI_WARN, "%s (y/n)", app->confirm);
		return;
	}
	char right[64];
	const struct ui_column *c = NULL;
	for (int i = 0; i < UI_COL__COUNT && !c; i++)
		if (ui_columns()[i].sort == app->table.sort)
			c = &ui_columns()[i];
	int rw = snprintf(right, sizeof(right), " sort %s %s  %zu/%zu", c ? c->title : "?",
			  app->table.sort_desc ? "desc" : "asc", app->view.n ? app->table.selected + 1 : 0,
			  app->view.n);
	const char *left =
		app->status[0] ? app->status : "?:help  q:quit  /:search  \\:filter  Enter:details";
	ui_grid_put(g, 0, y, app->w - rw - 1, app->status[0] ? app->status_style : UI_STATUS, left);
	if (app->status[0] && app->status_style == UI_NORMAL)
		ui_grid_style(g, 0, y, ui_text_width(left), UI_STATUS);
	ui_grid_put(g, app->w - rw, y, rw, UI_STATUS, right);
}

static void screen_main(struct ui_app *app, struct ui_grid *g)
{
	struct vd_totals t;
	vd_registry_totals(app->reg, &t);
	screen_title(app, g);
	screen_cpu_row(app, g, &t);
	screen_mem_row(app, g, &t);
	screen_counts_row(app, g, &t);
	ui_table_draw(&app->table, g, 0, UI_HEADER_ROWS, app->w, app->h - UI_HEADER_ROWS - 1);
	screen_empty_hint(app, g, UI_HEADER_ROWS);
	screen_status(app, g);
}

static void screen_help(struct ui_app *app, struct ui_grid *g)
{
	size_t n;
	const struct ui_action *a = ui_keymap_actions(&n);
	ui_grid_fill(g, 0, 0, app->w, ' ', UI_TITLE);
	ui_grid_put(g, 0, 0, app->w, UI_TITLE, "virtdeck help - keys (Esc, ? or Enter returns, q quits)");
	int y = 2;
	ui_grid_put(g, 1, y++, app->w - 2, UI_NORMAL,
		    "Rows are guests: VMs (own kernel) and containers (share the host kernel).");
	ui_grid_put(g, 1, y++, app->w - 2, UI_NORMAL,
		    "CPU% = of the guest's vCPUs or CPU quota; HOST% = of all host CPUs.");
	ui_grid_put(g, 1, y++, app->w - 2, UI_NORMAL,
		    "MEM USED = really used (cgroup, balloon or host RSS: see MEM SOURCE).");
	y++;
	/* Two columns of keys on a wide terminal, so every key fits on one screen. */
	int cols = app->w >= 110 ? 2 : 1, colw = (app->w - 2) / cols, rows = app->h - 1 - y;
	int per = (int)((n - (size_t)app->help_scroll + (size_t)cols - 1) / (size_t)cols);
	rows = per < rows ? per : rows;
	char keys[64];
	for (size_t i = (size_t)app->help_scroll, k = 0; i < n && (int)k < rows * cols; i++, k++) {
		int cx = 2 + (int)(k / (size_t)rows) * colw, cy = y + (int)(k % (size_t)rows);
		ui_grid_put(g, cx, cy, 14, UI_KEY, ui_keymap_keys_text(&a[i], keys, sizeof(keys)));
		ui_grid_put(g, cx + 15, cy, colw - 16, UI_NORMAL, a[i].help);
	}
	ui_grid_fill(g, 0, app->h - 1, app->w, ' ', UI_STATUS);
	ui_grid_put(g, 0, app->h - 1, app->w, UI_STATUS, "Esc/?: back  q: quit  Up/Down: scroll");
}

int ui_screen_help_key(struct ui_app *app, int key)
{
	size_t n;
	ui_keymap_actions(&n);
	const struct ui_action *a = ui_keymap_lookup(key);
	if (a && vd_streq(a->name, "quit"))
		return UI_REACT_QUIT;
	if (a && (vd_streq(a->name, "down") || vd_streq(a->name, "up"))) {
		int d = vd_streq(a->name, "down") ? 1 : -1;
		if (app->help_scroll + d >= 0 && (size_t)(app->help_scroll + d) < n)
			app->help_scroll += d;
		return UI_REACT_REDRAW;
	}
	app->screen = UI_SCREEN_MAIN;
	return UI_REACT_REDRAW;
}

static void screen_log(struct ui_app *app, struct ui_grid *g)
{
	ui_grid_fill(g, 0, 0, app->w, ' ', UI_TITLE);
	ui_grid_printf(g, 0, 0, app->w, UI_TITLE,
		       "virtdeck log - %zu messages (newest last; Esc returns)", app->log_n);
	int rows = app->h - 2;
	size_t first = app->log_n > (size_t)rows ? app->log_n - (size_t)rows : 0;
	first = first > (size_t)app->log_scroll ? first - (size_t)app->log_scroll : 0;
	for (int r = 0; r < rows && first + (size_t)r < app->log_n; r++) {
		const struct ui_log_entry *e = ui_app_log_get(app, first + (size_t)r);
		ui_grid_put(g, 0, 1 + r, 9, UI_DIM, e->when);
		ui_grid_put(g, 9, 1 + r, app->w - 9, e->style == UI_GOOD ? UI_NORMAL : e->style, e->text);
	}
	if (!app->log_n)
		ui_grid_put(
			g, 1, 2, app->w - 2, UI_DIM,
			"nothing yet: results of actions, engine errors and config problems show here");
	ui_grid_fill(g, 0, app->h - 1, app->w, ' ', UI_STATUS);
	ui_grid_put(g, 0, app->h - 1, app->w, UI_STATUS, "Esc: back  q: quit  Up/Down: scroll");
}

int ui_screen_log_key(struct ui_app *app, int key)
{
	const struct ui_action *a = ui_keymap_lookup(key);
	if (a && vd_streq(a->name, "quit"))
		return UI_REACT_QUIT;
	if (a && vd_streq(a->name, "up") && (size_t)app->log_scroll + 1 < app->log_n) {
		app->log_scroll++;
		return UI_REACT_REDRAW;
	}
	if (a && vd_streq(a->name, "down") && app->log_scroll > 0) {
		app->log_scroll--;
		return UI_REACT_REDRAW;
	}
	if (a && (vd_streq(a->name, "up") || vd_streq(a->name, "down")))
		return UI_REACT_NONE;
	app->screen = UI_SCREEN_MAIN;
	return UI_REACT_REDRAW;
}

static void screen_too_small(struct ui_app *app, struct ui_grid *g)
{
	char line1[64], line2[64];
	snprintf(line1, sizeof(line1), "Terminal too small: %dx%d", app->w, app->h);
	snprintf(line2, sizeof(line2), "virtdeck needs %dx%d (q quits)", UI_MIN_W, UI_MIN_H);
	int y = app->h / 2 - 1;
	ui_grid_put(g, (app->w - ui_text_width(line1)) / 2, y, app->w, UI_BAD, line1);
	ui_grid_put(g, (app->w - ui_text_width(line2)) / 2, y + 1, app->w, UI_NORMAL, line2);
}

void ui_screen_draw(struct ui_app *app, struct ui_grid *g)
{
	if (g->w != app->w || g->h != app->h) {
		ui_grid_free(g);
		ui_grid_init(g, app->w, app->h);
	}
	ui_grid_clear(g);
	if (app->w < UI_MIN_W || app->h < UI_MIN_H)
		screen_too_small(app, g);
	else if (app->screen == UI_SCREEN_HELP)
		screen_help(app, g);
	else if (app->screen == UI_SCREEN_LOG)
		screen_log(app, g);
	else if (app->screen == UI_SCREEN_DETAIL)
		ui_detail_draw(app, g);
	else if (app->screen == UI_SCREEN_COLUMNS)
		ui_chooser_draw(app, g);
	else if (app->screen == UI_SCREEN_FORM) {
		screen_main(app, g);
		ui_form_draw(&app->form, g, app->w, app->h);
	}
	else
		screen_main(app, g);
}
