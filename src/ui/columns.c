/* columns.c - formatting of every guest column, shared by the table, `list` and batch output. */
#include "ui/columns.h"

#include <json-c/json.h>

static enum ui_style col_dim_if_inactive(const struct vd_guest *g)
{
	return vd_state_is_active(g->state) ? UI_NORMAL : UI_DIM;
}

static enum ui_style col_engine(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", vd_backend_name(g->backend));
	return col_dim_if_inactive(g);
}

static enum ui_style col_host(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", g->host);
	return col_dim_if_inactive(g);
}

static enum ui_style col_name(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", g->name);
	return col_dim_if_inactive(g);
}

static enum ui_style col_type(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", vd_kind_name(g->kind));
	return col_dim_if_inactive(g);
}

/* A guest that stopped by itself with a failure stands out like a crash. */
static bool col_failed_exit(const struct vd_guest *g)
{
	if (g->state != VD_STATE_STOPPED)
		return false;
	switch (g->exit.kind) {
	case VD_EXIT_CODE: return g->exit.code != 0;
	case VD_EXIT_SIGNAL: case VD_EXIT_OOM: case VD_EXIT_PANIC: case VD_EXIT_CRASH: return true;
	default: return false;
	}
}

static enum ui_style col_state(const struct vd_guest *g, char *b, size_t n)
{
	vd_guest_state_label(g, b, n);
	if (col_failed_exit(g))
		return UI_BAD;
	switch (g->state) {
	case VD_STATE_RUNNING: return UI_GOOD;
	case VD_STATE_PAUSED: return UI_WARN;
	case VD_STATE_CRASHED:
	case VD_STATE_BROKEN:
	case VD_STATE_NOREPLY:
	case VD_STATE_LOST: return UI_BAD;
	default: return UI_DIM;
	}
}

static enum ui_style col_vcpu(const struct vd_guest *g, char *b, size_t n)
{
	if (g->alloc.cpu_limit > 0)
		snprintf(b, n, "%.2g", g->alloc.cpu_limit);
	else if (g->alloc.vcpus)
		snprintf(b, n, "%u", g->alloc.vcpus);
	else
		snprintf(b, n, "-");
	return col_dim_if_inactive(g);
}

static enum ui_style col_pct(double pct, const struct vd_guest *g, char *b, size_t n)
{
	if (pct < 0 || !vd_state_is_active(g->state)) {
		snprintf(b, n, "-");
		return UI_DIM;
	}
	snprintf(b, n, "%.1f", pct);
	return pct >= 90 ? UI_BAD : pct >= 70 ? UI_WARN : UI_NORMAL;
}

static enum ui_style col_cpu(const struct vd_guest *g, char *b, size_t n)
{
	return col_pct(g->cpu_pct_alloc, g, b, n);
}

static enum ui_style col_cpu_host(const struct vd_guest *g, char *b, size_t n)
{
	return col_pct(g->cpu_pct_host, g, b, n);
}

static enum ui_style col_mem_alloc(const struct vd_guest *g, char *b, size_t n)
{
	if (!g->alloc.mem_bytes)
		snprintf(b, n, "-");
	else
		vd_format_size(g->alloc.mem_bytes, b, n);
	return col_dim_if_inactive(g);
}

static enum ui_style col_mem_used(const struct vd_guest *g, char *b, size_t n)
{
	if (!vd_state_is_active(g->state) || g->sample.mem_source == VD_MEM_SRC_NONE) {
		snprintf(b, n, "-");
		return UI_DIM;
	}
	vd_format_size(g->sample.mem_used, b, n);
	return UI_NORMAL;
}

static enum ui_style col_mem_pct(const struct vd_guest *g, char *b, size_t n)
{
	return col_pct(vd_guest_mem_pct(g), g, b, n);
}

static enum ui_style col_mem_src(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s",
		 vd_state_is_active(g->state) ? vd_mem_source_name(g->sample.mem_source) : "-");
	return UI_DIM;
}

static enum ui_style col_advice(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", g->advice_flag[0] ? g->advice_flag : "-");
	if (vd_streq(g->advice_flag, "UNDER"))
		return UI_BAD;
	if (vd_streq(g->advice_flag, "OVER") || vd_streq(g->advice_flag, "IDLE"))
		return UI_WARN;
	return vd_streq(g->advice_flag, "OK") ? UI_GOOD : UI_DIM;
}

static enum ui_style col_rec(const struct vd_guest *g, char *b, size_t n)
{
	snprintf(b, n, "%s", g->advice_rec[0] ? g->advice_rec : "-");
	return g->advice_rec[0] && !vd_streq(g->advice_rec, "-") ? UI_NORMAL : UI_DIM;
}

static enum ui_style col_reason(const struct vd_guest *g, char *b, size_t n)
{
	vd_guest_reason(g, b, n);
	if (!b[0])
		snprintf(b, n, "-");
	return col_failed_exit(g) || g->state == VD_STATE_LOST ? UI_BAD : UI_DIM;
}

static enum ui_style col_oom(const struct vd_guest *g, char *b, size_t n)
{
	uint64_t k = vd_guest_oom_kills(g);
	snprintf(b, n, "%llu", (unsigned long long)k);
	return k ? UI_BAD : UI_DIM;
}

/* Display order; priority decides what survives on a narrow terminal. */
static const struct ui_column ui_column_table[UI_COL__COUNT] = {
	{ UI_COL_ENGINE, "ENGINE", "engine", 7, false, 3, VD_SORT_ENGINE, col_engine },
	{ UI_COL_HOST, "HOST", "host", 10, false, 9, VD_SORT_HOST, col_host },
	{ UI_COL_NAME, "NAME", "name", 12, false, 0, VD_SORT_NAME, col_name },
	{ UI_COL_TYPE, "TYPE", "type", 4, false, 5, VD_SORT_KIND, col_type },
	{ UI_COL_STATE, "STATE", "state", 10, false, 1, VD_SORT_STATE, col_state },
	{ UI_COL_VCPU, "vCPU", "vcpus", 5, true, 4, VD_SORT_VCPU, col_vcpu },
	{ UI_COL_CPU, "CPU%", "cpu_pct_alloc", 6, true, 2, VD_SORT_CPU, col_cpu },
	{ UI_COL_CPU_HOST, "HOST%", "cpu_pct_host", 6, true, 8, VD_SORT_CPU_HOST, col_cpu_host },
	{ UI_COL_CPU_GRAPH, "CPU% HISTORY", "cpu_graph", 16, false, 6, VD_SORT_CPU, NULL },
	{ UI_COL_MEM_ALLOC, "MEM ALLOC", "mem_alloc", 9, true, 2, VD_SORT_MEM_ALLOC, col_mem_alloc },
	{ UI_COL_MEM_USED, "MEM USED", "mem_used", 8, true, 2, VD_SORT_MEM_USED, col_mem_used },
	{ UI_COL_MEM_PCT, "%MEM/ALLOC", "mem_pct_alloc", 10, true, 2, VD_SORT_MEM_PCT, col_mem_pct },
	{ UI_COL_MEM_SRC, "MEM SOURCE", "mem_source", 10, false, 9, VD_SORT_NAME, col_mem_src },
	{ UI_COL_ADVICE, "ADVICE", "advice", 7, false, 5, VD_SORT_NAME, col_advice },
	{ UI_COL_REC, "REC SIZE", "rec_size", 13, false, 7, VD_SORT_NAME, col_rec },
	{ UI_COL_OOM, "OOM", "oom_kills", 4, true, 10, VD_SORT_NAME, col_oom },
	{ UI_COL_REASON, "REASON", "reason", 24, false, 10, VD_SORT_STATE, col_reason },
};

const struct ui_column *ui_columns(void)
{
	return ui_column_table;
}

const struct ui_column *ui_column_get(enum ui_col_id id)
{
	return (unsigned)id < UI_COL__COUNT ? &ui_column_table[id] : NULL;
}

/* Priorities depend on the situation: HOST matters with several hosts, and the advice columns
 * exist only when a history feeds them (TYPE then gives way to ADVICE on narrow terminals). */
static int columns_priority(const struct ui_column *c, unsigned flags)
{
	bool advice = flags & UI_FIT_ADVICE;
	if (c->id == UI_COL_HOST && (flags & UI_FIT_MULTI_HOST))
		return 1;
	if (c->id == UI_COL_ADVICE || c->id == UI_COL_REC)
		return advice ? c->priority : 99;
	if (c->id == UI_COL_TYPE && advice)
		return 6;
	return c->priority;
}

/* Width of the columns of priority <= p, with one space between columns. */
static int columns_width_at(int p, unsigned flags)
{
	int w = -1;
	for (int i = 0; i < UI_COL__COUNT; i++)
		if (columns_priority(&ui_column_table[i], flags) <= p)
			w += ui_column_table[i].width + 1;
	return w;
}

/* The user's columns, in their order, while they fit; NAME takes what is left (up to +20). */
static size_t columns_fit_chosen(int width, const enum ui_col_id *chosen, size_t n_chosen,
				 enum ui_col_id *out, int *out_w, size_t max)
{
	size_t n = 0;
	int used = -1, name_slot = -1;
	for (size_t i = 0; i < n_chosen && n < max; i++) {
		const struct ui_column *c = ui_column_get(chosen[i]);
		if (!c || used + 1 + c->width > width)
			break;
		if (c->id == UI_COL_NAME)
			name_slot = (int)n;
		out[n] = c->id;
		out_w[n++] = c->width;
		used += c->width + 1;
	}
	if (name_slot >= 0 && width > used)
		out_w[name_slot] += width - used < 20 ? width - used : 20;
	return n;
}

size_t ui_columns_fit(int width, const enum ui_col_id *chosen, size_t n_chosen, unsigned flags,
		      enum ui_col_id *out, int *out_w, size_t max)
{
	if (n_chosen)
		return columns_fit_chosen(width, chosen, n_chosen, out, out_w, max);
	int p = 0;
	while (p < 10 && columns_width_at(p + 1, flags) <= width)
		p++;
	enum ui_col_id auto_cols[UI_COL__COUNT];
	size_t n = 0;
	for (int i = 0; i < UI_COL__COUNT; i++)
		if (columns_priority(&ui_column_table[i], flags) <= p)
			auto_cols[n++] = ui_column_table[i].id;
	return columns_fit_chosen(width, auto_cols, n, out, out_w, max);
}

static void json_add_pct(struct json_object *o, const char *k, double v, bool active)
{
	if (v < 0 || !active) {
		json_object_object_add(o, k, NULL);
		return;
	}
	char txt[32];
	snprintf(txt, sizeof(txt), "%.1f", v);
	json_object_object_add(o, k, json_object_new_double_s(strtod(txt, NULL), txt));
}

/* Seconds between the two engine readings CPU% comes from: what the figure averages over. */
static void json_add_window(struct json_object *o, const struct vd_guest *g, bool active)
{
	if (g->cpu_window_s <= 0 || g->cpu_pct_alloc < 0 || !active) {
		json_object_object_add(o, "cpu_window_s", NULL);
		return;
	}
	char txt[32];
	snprintf(txt, sizeof(txt), "%.3f", g->cpu_window_s);
	json_object_object_add(o, "cpu_window_s", json_object_new_double_s(strtod(txt, NULL), txt));
}

/* Why it stopped, after the older keys so CSV columns keep their places: the reason in words,
 * the exit status or signal when there is one (else null), OOM kills, and the exit's kind. */
static void ui_guest_json_exit(struct json_object *o, const struct vd_guest *g)
{
	char why[160];
	bool ended = !vd_state_is_active(g->state);
	bool code = ended && g->exit.kind == VD_EXIT_CODE;
	bool killed = g->exit.kind == VD_EXIT_SIGNAL || g->exit.kind == VD_EXIT_OOM;
	bool sig = ended && killed && g->exit.code;
	vd_guest_reason(g, why, sizeof(why));
	json_object_object_add(o, "reason", why[0] ? json_object_new_string(why) : NULL);
	json_object_object_add(o, "exit_code", code ? json_object_new_int(g->exit.code) : NULL);
	json_object_object_add(o, "exit_signal", sig ? json_object_new_int(g->exit.code) : NULL);
	json_object_object_add(o, "oom_kills", json_object_new_int64((int64_t)vd_guest_oom_kills(g)));
	bool known = (ended || g->state == VD_STATE_LOST) && g->exit.kind != VD_EXIT_NONE;
	const char *kind = vd_exit_kind_name(g->exit.kind);
	json_object_object_add(o, "exit", known ? json_object_new_string(kind) : NULL);
}

struct json_object *ui_guest_json(const struct vd_guest *g)
{
	struct json_object *o = json_object_new_object();
	bool active = vd_state_is_active(g->state);
	json_object_object_add(o, "engine", json_object_new_string(vd_backend_name(g->backend)));
	json_object_object_add(o, "host", json_object_new_string(g->host));
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "type", json_object_new_string(vd_kind_name(g->kind)));
	char label[32];
	vd_guest_state_label(g, label, sizeof(label));
	json_object_object_add(o, "state", json_object_new_string(label));
	json_object_object_add(o, "vcpus", json_object_new_int((int)g->alloc.vcpus));
	json_object_object_add(o, "cpu_limit", json_object_new_double(g->alloc.cpu_limit));
	json_add_pct(o, "cpu_pct_alloc", g->cpu_pct_alloc, active);
	json_add_pct(o, "cpu_pct_host", g->cpu_pct_host, active);
	json_object_object_add(o, "mem_alloc_bytes", json_object_new_int64((int64_t)g->alloc.mem_bytes));
	json_object_object_add(o, "mem_used_bytes",
			       active ? json_object_new_int64((int64_t)g->sample.mem_used) : NULL);
	json_add_pct(o, "mem_pct_alloc", vd_guest_mem_pct(g), active);
	json_object_object_add(o, "mem_source",
			       json_object_new_string(vd_mem_source_name(g->sample.mem_source)));
	json_object_object_add(o, "cpu_time_ns", json_object_new_int64((int64_t)g->sample.cpu_ns));
	struct json_object *problem = g->problem[0] ? json_object_new_string(g->problem) : NULL;
	json_object_object_add(o, "error", problem);
	ui_guest_json_exit(o, g);
	json_add_window(o, g, active);
	return o;
}

/* The last column, unpadded: a reason is as long as it needs to be. */
static void ui_columns_print_reason(FILE *out, const struct vd_guest *g, bool first)
{
	char buf[160];
	if (g)
		col_reason(g, buf, sizeof(buf));
	fprintf(out, "%s%s", first ? "" : " ", g ? buf : "REASON");
}

void ui_columns_print(FILE *out, const struct vd_guest *g)
{
	char buf[96];
	bool first = true;
	for (int c = 0; c < UI_COL__COUNT; c++) {
		const struct ui_column *col = &ui_column_table[c];
		if (!col->format || col->id == UI_COL_ADVICE || col->id == UI_COL_REC)
			continue; /* the console's advice annotations: `virtdeck advise` prints advice */
		if (col->id == UI_COL_REASON) {
			ui_columns_print_reason(out, g, first);
			continue;
		}
		if (g)
			col->format(g, buf, sizeof(buf));
		int w = col->id == UI_COL_NAME ? 20 : col->width;
		fprintf(out, col->right ? "%s%*s" : "%s%-*s", first ? "" : " ", w, g ? buf : col->title);
		first = false;
	}
	fputc('\n', out);
}
