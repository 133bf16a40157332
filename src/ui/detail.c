/* detail.c - the per-guest view: tabs for overview, graphs, console, advice and log. */
#include "ui/detail.h"

#include <math.h>
#include <time.h>

#include "ui/advice.h"
#include "ui/logtab.h"
#include "ui/screen.h"
#include "ui/widgets.h"

static const char *const detail_tabs[UI_TAB__COUNT] = {
	[UI_TAB_OVERVIEW] = "Overview", [UI_TAB_GRAPHS] = "Graphs", [UI_TAB_CONSOLE] = "Console",
	[UI_TAB_ADVICE] = "Advice",     [UI_TAB_LOG] = "Log",         [UI_TAB_LOGS] = "Logs",
};

/* What the isolation model means, in numbers a user can check against the table. */
static const char *const detail_facts_vm[] = {
	"Own kernel: a whole Linux boots inside on virtual hardware (KVM).",
	"Its memory holds a second kernel and page cache, and MEM USED counts them.",
	"MEM ALLOC is reserved up front (the balloon can shrink it). Boots in seconds.",
	"Isolation: the CPU's virtualisation - a guest kernel bug stays in the guest.",
	NULL,
};
static const char *const detail_facts_ct[] = {
	"Shares the host kernel: a process tree in its own namespaces and cgroup.",
	"No second kernel: MEM USED is what its processes use (cgroup, less cache).",
	"MEM ALLOC is a limit, not a reservation. Starts in milliseconds (no boot).",
	"Isolation: namespaces, cgroups, caps, seccomp - a kernel bug hits the host.",
	NULL,
};

struct vd_guest *ui_detail_guest(struct ui_app *app)
{
	for (size_t i = 0; i < app->reg->n_guests; i++) {
		struct vd_guest *g = &app->reg->guests[i];
		if (g->backend == app->detail_be && vd_streq(g->name, app->detail_name))
			return g;
	}
	return NULL;
}

void ui_detail_open(struct ui_app *app, const struct vd_guest *g, enum ui_tab tab)
{
	app->detail_be = g->backend;
	vd_strlcpy(app->detail_name, g->name, sizeof(app->detail_name));
	app->detail_tab = tab;
	app->screen = UI_SCREEN_DETAIL;
	app->follow = true;
}

static void detail_tabs_row(struct ui_app *app, struct ui_grid *g, int y)
{
	int x = 1;
	for (int t = 0; t < UI_TAB__COUNT; t++) {
		char label[24];
		snprintf(label, sizeof(label), " %d %s ", t + 1, detail_tabs[t]);
		x += ui_grid_put(g, x, y, app->w - x,
				 t == (int)app->detail_tab ? UI_SELECTED : UI_COLHEAD, label) +
		     1;
	}
}

static void detail_kv(struct ui_grid *g, int x, int y, int w, const char *k, const char *v)
{
	ui_grid_put(g, x, y, 12, UI_LABEL, k);
	ui_grid_put(g, x + 12, y, w - 12, UI_NORMAL, v);
}

static int detail_alloc(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int x,
			int y, int w)
{
	char a[32], b[64];
	ui_grid_put(g, x, y++, w, UI_TITLE, "Allocated");
	if (gu->alloc.cpu_limit > 0)
		snprintf(b, sizeof(b), "%.2g CPU quota", gu->alloc.cpu_limit);
	else if (gu->alloc.vcpus)
		snprintf(b, sizeof(b), "%u vCPU", gu->alloc.vcpus);
	else
		snprintf(b, sizeof(b), "no limit (%u host CPUs)", app->reg->host.ncpus);
	detail_kv(g, x, y++, w, "CPU", b);
	detail_kv(g, x, y++, w, "Memory",
		  gu->alloc.mem_bytes ? vd_format_size(gu->alloc.mem_bytes, a, sizeof(a))
				      : "no limit");
	if (gu->alloc.mem_max_bytes && gu->alloc.mem_max_bytes != gu->alloc.mem_bytes)
		detail_kv(g, x, y++, w, "Max memory", vd_format_size(gu->alloc.mem_max_bytes, a, sizeof(a)));
	if (gu->alloc.pids_max) {
		snprintf(b, sizeof(b), "%u", gu->alloc.pids_max);
		detail_kv(g, x, y++, w, "PIDs max", b);
	}
	return y;
}

static void detail_use_cpu(const struct vd_guest *gu, char *b, size_t n)
{
	if (gu->cpu_pct_alloc < 0 || !vd_state_is_active(gu->state))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.1f%% of alloc, %.1f%% host", gu->cpu_pct_alloc, gu->cpu_pct_host);
}

static int detail_use(const struct vd_guest *gu, struct ui_grid *g, int x, int y, int w)
{
	char a[32], c[32], b[96];
	ui_grid_put(g, x, y++, w, UI_TITLE, "Used now");
	detail_use_cpu(gu, b, sizeof(b));
	detail_kv(g, x, y++, w, "CPU", b);
	double pct = vd_guest_mem_pct(gu);
	if (!vd_state_is_active(gu->state) || gu->sample.mem_source == VD_MEM_SRC_NONE)
		snprintf(b, sizeof(b), "-");
	else if (pct >= 0)
		snprintf(b, sizeof(b), "%s = %.1f%% of alloc (%s)",
			 vd_format_size(gu->sample.mem_used, a, sizeof(a)), pct,
			 vd_mem_source_name(gu->sample.mem_source));
	else
		snprintf(b, sizeof(b), "%s (from %s)", vd_format_size(gu->sample.mem_used, a, sizeof(a)),
			 vd_mem_source_name(gu->sample.mem_source));
	detail_kv(g, x, y++, w, "Memory", b);
	if (gu->sample.mem_peak)
		detail_kv(g, x, y++, w, "Peak", vd_format_size(gu->sample.mem_peak, a, sizeof(a)));
	if (gu->sample.mem_rss)
		detail_kv(g, x, y++, w, "Host RSS", vd_format_size(gu->sample.mem_rss, a, sizeof(a)));
	snprintf(b, sizeof(b), "read %s, written %s", vd_format_size(gu->sample.io_read, a, sizeof(a)),
		 vd_format_size(gu->sample.io_write, c, sizeof(c)));
	detail_kv(g, x, y++, w, "Disk I/O", b);
	snprintf(b, sizeof(b), "rx %s, tx %s", vd_format_size(gu->sample.net_rx, a, sizeof(a)),
		 vd_format_size(gu->sample.net_tx, c, sizeof(c)));
	detail_kv(g, x, y++, w, "Network", b);
	uint64_t ooms = vd_guest_oom_kills(gu);
	if (ooms) {
		snprintf(b, sizeof(b), "%llu (the limit was hit)", (unsigned long long)ooms);
		detail_kv(g, x, y, w, "OOM kills", b);
		ui_grid_style(g, x + 12, y++, w - 12, UI_BAD);
	}
	return y;
}

/* Why it stopped (or is lost), with when, so a stopped row explains itself. */
static int detail_exit(const struct vd_guest *gu, struct ui_grid *g, int x, int y, int w)
{
	char why[160], when[32] = "", line[200];
	vd_guest_reason(gu, why, sizeof(why));
	if (!why[0])
		return y;
	time_t t = (time_t)gu->exit.time;
	struct tm tm;
	if (t > 0 && gu->state != VD_STATE_LOST && localtime_r(&t, &tm))
		strftime(when, sizeof(when), " at %Y-%m-%d %H:%M:%S", &tm);
	snprintf(line, sizeof(line), "%s%s", why, when);
	bool bad = gu->state == VD_STATE_LOST || gu->exit.kind != VD_EXIT_USER;
	detail_kv(g, x, y, w, gu->state == VD_STATE_LOST ? "Lost" : "Stopped", line);
	ui_grid_style(g, x + 12, y, w - 12, bad ? UI_BAD : UI_NORMAL);
	return y + 1;
}

static void detail_overview(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	int half = app->w / 2;
	if (gu->problem[0]) /* why the numbers below are missing or old */
		ui_grid_put(g, 1, y++, app->w - 2, UI_BAD, gu->problem);
	int y1 = detail_alloc(app, g, gu, 1, y, half - 2);
	int y2 = detail_use(gu, g, half, y, app->w - half - 1);
	y = (y1 > y2 ? y1 : y2) + 1;
	int y3 = detail_exit(gu, g, 1, y, app->w - 2);
	/* A guest that ended badly: what it said last, before the facts below */
	bool ended = !vd_state_is_active(gu->state) && y3 > y;
	if (ended && gu->exit.kind != VD_EXIT_USER)
		y3 = ui_logtab_last(app, g, gu, 13, y3, app->w - 14, 3);
	y = y3 > y ? y3 + 1 : y;
	ui_grid_printf(g, 1, y++, app->w - 2, UI_TITLE, "What a %s is",
		       gu->kind == VD_KIND_VM ? "VM" : "container");
	const char *const *facts = gu->kind == VD_KIND_VM ? detail_facts_vm : detail_facts_ct;
	for (size_t i = 0; facts[i] && y < app->h - 2; i++)
		ui_grid_put(g, 1, y++, app->w - 2, UI_NORMAL, facts[i]);
}

/* CPU% of allocation over time: full height = every allocated vCPU busy. */
static void detail_cpu_graph(struct ui_app *app, struct ui_grid *g, const struct vd_trend *tr,
			     int y, int h)
{
	float v[VD_TREND_LEN];
	for (size_t i = 0; i < tr->n; i++) {
		float p = tr->cpu_pct[vd_trend_index(tr, i)];
		v[i] = p < 0 ? -1.0f : p / 100.0f;
	}
	ui_graph(g, 8, y, app->w - 9, h, v, tr->n, 1.0f, app->glyphs, UI_METER_USED);
	ui_grid_put(g, 1, y, 6, UI_LABEL, "100%");
	ui_grid_put(g, 1, y + h - 1, 6, UI_LABEL, "0%");
}

/* Memory used over time against the allocation line (scale: the larger of the two). */
static void detail_mem_graph(struct ui_app *app, struct ui_grid *g, const struct vd_trend *tr,
			     int y, int h)
{
	uint64_t top = 1;
	for (size_t i = 0; i < tr->n; i++) {
		size_t k = vd_trend_index(tr, i);
		top = tr->mem_alloc[k] > top ? tr->mem_alloc[k] : top;
		top = tr->mem_used[k] > top ? tr->mem_used[k] : top;
	}
	float v[VD_TREND_LEN];
	for (size_t i = 0; i < tr->n; i++)
		v[i] = (float)((double)tr->mem_used[vd_trend_index(tr, i)] / (double)top);
	uint64_t alloc = tr->n ? tr->mem_alloc[vd_trend_index(tr, tr->n - 1)] : 0;
	ui_graph(g, 8, y, app->w - 9, h, v, tr->n,
		 alloc ? (float)((double)alloc / (double)top) : -1.0f, app->glyphs, UI_METER_USED);
	char a[16];
	ui_grid_put(g, 1, y, 6, UI_LABEL, vd_format_size(top, a, sizeof(a)));
	ui_grid_put(g, 1, y + h - 1, 6, UI_LABEL, "0");
}

static void detail_graphs(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	const struct vd_trend *tr = vd_trends_find(&app->reg->trends, gu);
	int h = (app->h - y - 4) / 2;
	if (!tr || h < 2) {
		ui_grid_put(g, 1, y, app->w - 2, UI_DIM,
			    tr ? "the terminal is too small for graphs" : "no samples yet");
		return;
	}
	char b[96];
	snprintf(b, sizeof(b),
		 "CPU%% of allocation - last %zu samples, every %.1f s; the line is the allocation",
		 tr->n, app->interval_ms / 1000.0);
	ui_grid_put(g, 1, y, app->w - 2, UI_TITLE, b);
	detail_cpu_graph(app, g, tr, y + 1, h);
	ui_grid_put(g, 1, y + h + 1, app->w - 2, UI_TITLE, "Memory used - the line is the allocation");
	detail_mem_graph(app, g, tr, y + h + 2, h);
}

static void detail_console(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	ui_grid_printf(g, 1, y, app->w - 2, UI_NORMAL,
		       "Press Enter to attach to the console of %s.", gu->name);
	ui_grid_put(g, 1, y + 1, app->w - 2, UI_NORMAL,
		    "The console takes the whole terminal; Ctrl-] detaches and brings you back here.");
	ui_grid_put(g, 1, y + 2, app->w - 2, UI_DIM,
		    gu->kind == VD_KIND_VM ? "A VM's console is its serial port (ttyS0)."
					   : "A container's console is the pty of its init.");
}

/* What the live window (the last minutes) says; lasting advice needs the collected history. */
static void detail_advice(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	const struct vd_trend *tr = vd_trends_find(&app->reg->trends, gu);
	float peak = 0;
	uint64_t mpeak = 0;
	for (size_t i = 0; tr && i < tr->n; i++) {
		size_t k = vd_trend_index(tr, i);
		peak = tr->cpu_pct[k] > peak ? tr->cpu_pct[k] : peak;
		mpeak = tr->mem_used[k] > mpeak ? tr->mem_used[k] : mpeak;
	}
	char a[16], b[128];
	snprintf(b, sizeof(b),
		 "In the last %zu samples: CPU peaked at %.1f%% of its allocation, memory at %s.",
		 tr ? tr->n : 0, peak, vd_format_size(mpeak, a, sizeof(a)));
	ui_grid_put(g, 1, y, app->w - 2, UI_NORMAL, b);
	ui_grid_put(g, 1, y + 2, app->w - 2, UI_DIM,
		    "Right-sizing needs the history database (see the log, L) and a day of data.");
}

static void detail_log(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	int shown = 0;
	for (size_t i = 0; i < app->log_n && y + shown < app->h - 1; i++) {
		const struct ui_log_entry *e = ui_app_log_get(app, i);
		if (!strstr(e->text, gu->name))
			continue;
		ui_grid_put(g, 1, y + shown, 9, UI_DIM, e->when);
		ui_grid_put(g, 10, y + shown++, app->w - 11, e->style == UI_GOOD ? UI_NORMAL : e->style, e->text);
	}
	if (!shown)
		ui_grid_put(g, 1, y, app->w - 2, UI_DIM, "no actions or state changes seen for this guest yet");
}

/* The search being typed in the Logs tab, else the status or the keys. */
static void detail_status(struct ui_app *app, struct ui_grid *g)
{
	char typing[128];
	const char *st = NULL;
	if (app->detail_tab == UI_TAB_LOGS)
		st = ui_logtab_status(app, typing, sizeof(typing));
	if (st)
		ui_grid_put(g, 0, app->h - 1, app->w, UI_STATUS, st);
	else if (app->status[0])
		ui_grid_put(g, 0, app->h - 1, app->w, app->status_style, app->status);
	else
		ui_grid_put(g, 0, app->h - 1, app->w, UI_STATUS,
			    "Tab/1-6: tabs  Esc: back  s/x/p/K: start/stop/pause/kill  q: quit");
}

void ui_detail_draw(struct ui_app *app, struct ui_grid *g)
{
	struct vd_guest *gu = ui_detail_guest(app);
	ui_grid_fill(g, 0, 0, app->w, ' ', UI_TITLE);
	if (!gu) {
		ui_grid_printf(g, 0, 0, app->w, UI_TITLE,
			       "%s is gone (deleted, or its engine was lost) - Esc returns",
			       app->detail_name);
		return;
	}
	char label[32];
	ui_grid_printf(g, 0, 0, app->w, UI_TITLE, "%s - %s on engine %s, host %s - %s", gu->name,
		       gu->kind == VD_KIND_VM ? "VM" : "container", vd_backend_name(gu->backend), gu->host,
		       vd_guest_state_label(gu, label, sizeof(label)));
	detail_tabs_row(app, g, 1);
	switch (app->detail_tab) {
	case UI_TAB_OVERVIEW: detail_overview(app, g, gu, 3); break;
	case UI_TAB_GRAPHS: detail_graphs(app, g, gu, 3); break;
	case UI_TAB_CONSOLE: detail_console(app, g, gu, 3); break;
	case UI_TAB_ADVICE:
		if (app->table.advice_on)
			ui_advice_draw_tab(app, g, gu, 3);
		else
			detail_advice(app, g, gu, 3);
		break;
	case UI_TAB_LOGS: ui_logtab_draw(app, g, gu, 3); break;
	default: detail_log(app, g, gu, 3); break;
	}
	ui_grid_fill(g, 0, app->h - 1, app->w, ' ', UI_STATUS);
	detail_status(app, g);
}

/* Tabs and back first; everything else is the main key map acting on this guest. */
int ui_detail_key(struct ui_app *app, int key)
{
	bool handled = false;
	int react = app->detail_tab == UI_TAB_LOGS ? ui_logtab_key(app, key, &handled) : 0;
	if (handled)
		return react;
	if (key == '\t' || key == UI_KEY_RIGHT) {
		app->detail_tab = (enum ui_tab)((app->detail_tab + 1) % UI_TAB__COUNT);
		return UI_REACT_REDRAW;
	}
	if (key == UI_KEY_LEFT) {
		app->detail_tab = (enum ui_tab)((app->detail_tab + UI_TAB__COUNT - 1) % UI_TAB__COUNT);
		return UI_REACT_REDRAW;
	}
	if (key >= '1' && key < '1' + UI_TAB__COUNT) {
		app->detail_tab = (enum ui_tab)(key - '1');
		return UI_REACT_REDRAW;
	}
	if (key == UI_KEY_ESC || key == 'h' || key == UI_KEY_BACKSPACE) {
		app->screen = UI_SCREEN_MAIN;
		return UI_REACT_REDRAW;
	}
	struct vd_guest *gu = ui_detail_guest(app);
	if (key == UI_KEY_ENTER && app->detail_tab == UI_TAB_CONSOLE && gu)
		return ui_app_console_request(app, gu);
	const struct ui_action *a = ui_keymap_lookup(key);
	if (!a || vd_streq(a->name, "down") || vd_streq(a->name, "up"))
		return UI_REACT_NONE; /* moving the cursor would change the guest under the view */
	return a->fn(app);
}
