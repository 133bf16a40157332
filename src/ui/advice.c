/* advice.c - history recording and right-sizing advice in the console, with apply and undo. */
#include "ui/advice.h"

#include <errno.h>
#include <time.h>

#include "ui/detail.h"
#include "ui/widgets.h"

#define UI_ADVICE_EVERY_S 60 /* advice moves slowly: recompute once a minute */

struct ui_advice_entry {
	const struct vd_backend *be;
	char name[VD_NAME_MAX];
	struct vd_advice a;
};

struct ui_advice_state {
	struct vd_advice_config cfg;
	struct vd_history *hist;
	pthread_mutex_t lock; /* every history call, UI thread and job thread alike */
	struct ui_advice_entry *v;
	size_t n;
	int64_t computed_at;
};

static int64_t advice_now(void)
{
	return (int64_t)time(NULL);
}

void ui_advice_open(struct ui_app *app, const struct ui_settings *s,
		    const char *const *problems_unused)
{
	struct ui_advice_state *st = vd_xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	vd_advice_config_default(&st->cfg);
	for (size_t i = 0; i < s->n_advice; i++) {
		const char *msg = NULL;
		if (vd_advice_config_set(&st->cfg, s->advice[i].key, s->advice[i].value, &msg) < 0)
			ui_app_log(app, UI_WARN, "%s:%d: %s", s->path ? s->path : "config", s->advice[i].line, msg);
	}
	_cleanup_error_ struct vd_error *err = NULL;
	if (vd_history_open(&st->cfg.history, &st->hist, &err) < 0)
		ui_app_log(app, UI_BAD, "%s; running without history and advice", err->msg);
	app->advice = st;
	app->table.advice_on = st->hist != NULL;
}

void ui_advice_close(struct ui_app *app)
{
	struct ui_advice_state *st = app->advice;
	if (!st)
		return;
	vd_history_close(st->hist);
	pthread_mutex_destroy(&st->lock);
	free(st->v);
	free(st);
	app->advice = NULL;
}

const struct vd_advice *ui_advice_of(const struct ui_app *app, const struct vd_guest *g)
{
	const struct ui_advice_state *st = app->advice;
	for (size_t i = 0; st && i < st->n; i++)
		if (st->v[i].be == g->backend && vd_streq(st->v[i].name, g->name))
			return &st->v[i].a;
	return NULL;
}

static void advice_compute(struct ui_app *app, struct ui_advice_state *st, int64_t now)
{
	struct vd_advice *all = NULL;
	_cleanup_error_ struct vd_error *err = NULL;
	if (vd_advice_all(st->hist, &st->cfg.advice, app->reg, now, &all, &err) < 0) {
		ui_app_log(app, UI_WARN, "advice: %s", err->msg);
		return;
	}
	free(st->v);
	st->v = vd_xcalloc(app->reg->n_guests + 1, sizeof(*st->v));
	st->n = app->reg->n_guests;
	for (size_t i = 0; i < st->n; i++) {
		st->v[i].be = app->reg->guests[i].backend;
		vd_strlcpy(st->v[i].name, app->reg->guests[i].name, sizeof(st->v[i].name));
		st->v[i].a = all[i];
	}
	free(all);
	st->computed_at = now;
}

/* Short flag for the table: the verdict, or "5h/24h" while collecting. */
static void advice_flag(const struct ui_advice_state *st, const struct vd_advice *a, char *buf,
			size_t len)
{
	if (a->verdict == VD_VERDICT_COLLECTING)
		snprintf(buf, len, "%.0fh/%.0fh", a->hours, st->cfg.advice.min_hours);
	else
		snprintf(buf, len, "%s", vd_advice_verdict_name(a->verdict));
}

static void advice_annotate(struct ui_app *app, struct ui_advice_state *st)
{
	for (size_t i = 0; i < app->reg->n_guests; i++) {
		struct vd_guest *g = &app->reg->guests[i];
		const struct vd_advice *a = ui_advice_of(app, g);
		if (!a)
			continue;
		advice_flag(st, a, g->advice_flag, sizeof(g->advice_flag));
		vd_advice_size_text(g, a, g->advice_rec, sizeof(g->advice_rec));
	}
}

void ui_advice_after_refresh(struct ui_app *app)
{
	struct ui_advice_state *st = app->advice;
	if (!st || !st->hist)
		return;
	int64_t now = advice_now();
	_cleanup_error_ struct vd_error *err = NULL;
	pthread_mutex_lock(&st->lock);
	int r = vd_history_record(st->hist, app->reg, now, &err);
	if (r == -EILSEQ || r == -EACCES || r == -ENOSPC) {
		ui_app_log(app, UI_BAD, "%s: history closed, advice stops", err->msg);
		vd_history_close(st->hist);
		st->hist = NULL;
		app->table.advice_on = false;
	} else if (r < 0 && r != -EBUSY) {
		ui_app_log(app, UI_WARN, "history: %s", err ? err->msg : "recording failed");
	}
	if (st->hist && (st->computed_at == 0 || now - st->computed_at >= UI_ADVICE_EVERY_S))
		advice_compute(app, st, now);
	pthread_mutex_unlock(&st->lock);
	advice_annotate(app, st);
}

/* The job: apply or undo under the history lock (the job thread's one history call). */
struct advice_job {
	struct ui_advice_state *st;
	struct vd_guest g;
	struct vd_advice a;
	bool undo;
};

static int advice_job_run(void *ctx, struct vd_error **err)
{
	struct advice_job *j = ctx;
	pthread_mutex_lock(&j->st->lock);
	int r = j->undo ? vd_advice_undo(j->st->hist, &j->g, err)
			: vd_advice_apply(j->st->hist, &j->g, &j->a, advice_now(), err);
	pthread_mutex_unlock(&j->st->lock);
	return r;
}

static struct vd_guest *advice_selected(struct ui_app *app)
{
	struct vd_guest *g = app->screen == UI_SCREEN_DETAIL ? ui_detail_guest(app) : ui_app_selected(app);
	if (!g)
		ui_app_status(app, UI_WARN, "no guest selected");
	else if (!app->advice || !((struct ui_advice_state *)app->advice)->hist)
		ui_app_status(app, UI_WARN, "no history: advice needs %s",
			      "the history database (see the log, L)");
	return app->advice && ((struct ui_advice_state *)app->advice)->hist ? g : NULL;
}

static int advice_submit(struct ui_app *app)
{
	struct vd_job *job = app->pending_job;
	app->pending_job = NULL;
	return job ? ui_app_submit(app, job) : UI_REACT_REDRAW;
}

static int advice_confirm(struct ui_app *app, struct vd_guest *g, bool undo, const char *question)
{
	struct advice_job *aj = vd_xcalloc(1, sizeof(*aj));
	aj->st = app->advice;
	aj->g = *g;
	aj->undo = undo;
	const struct vd_advice *a = ui_advice_of(app, g);
	if (a)
		aj->a = *a;
	struct vd_job *job = vd_xcalloc(1, sizeof(*job));
	job->op = undo ? VD_JOB_UNDO : VD_JOB_APPLY;
	job->be = g->backend;
	vd_strlcpy(job->name, g->name, sizeof(job->name));
	job->call = advice_job_run;
	job->call_ctx = aj;
	vd_job_free(app->pending_job);
	app->pending_job = job;
	snprintf(app->confirm, sizeof(app->confirm), "%s", question);
	app->confirm_fn = advice_submit;
	app->mode = UI_MODE_CONFIRM;
	return UI_REACT_REDRAW;
}

int ui_advice_apply_key(struct ui_app *app)
{
	struct vd_guest *g = advice_selected(app);
	const struct vd_advice *a = g ? ui_advice_of(app, g) : NULL;
	if (!g)
		return UI_REACT_REDRAW;
	char change[128], q[256];
	_cleanup_error_ struct vd_error *err = NULL;
	if (!a || vd_advice_change_text(g, a, change, sizeof(change), &err) < 0) {
		ui_app_log(app, UI_WARN, "%s: %s", g->name, err ? err->msg : "no advice yet");
		return UI_REACT_REDRAW;
	}
	snprintf(q, sizeof(q), "Apply the advice to %s: %s?", g->name, change);
	return advice_confirm(app, g, false, q);
}

int ui_advice_undo_key(struct ui_app *app)
{
	struct vd_guest *g = advice_selected(app);
	if (!g)
		return UI_REACT_REDRAW;
	char q[160];
	snprintf(q, sizeof(q), "Undo the last applied advice of %s (restore its old size)?", g->name);
	return advice_confirm(app, g, true, q);
}

static void advice_verdict_lines(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu,
				 const struct vd_advice *a, int y)
{
	const struct ui_advice_state *st = app->advice;
	char lbl[64], rec[48];
	vd_advice_label(a, &st->cfg.advice, lbl, sizeof(lbl));
	ui_grid_printf(g, 1, y, app->w - 2, a->verdict == VD_VERDICT_UNDER ? UI_BAD
					  : a->verdict == VD_VERDICT_OK ? UI_GOOD : UI_WARN,
		       "%s - %s", lbl, a->reason);
	ui_grid_printf(g, 1, y + 1, app->w - 2, UI_NORMAL,
		       "confidence: %.1f h of data; CPU need %.2f of %.2f allocated; memory need %.0fM of %lluM",
		       a->hours, a->cpu_need, a->cpu_alloc, a->mem_need / 1048576.0,
		       (unsigned long long)(a->mem_alloc >> 20));
	ui_grid_printf(g, 1, y + 2, app->w - 2, UI_NORMAL, "recommended: %s   (a: apply, u: undo)",
		       vd_advice_size_text(gu, a, rec, sizeof(rec)));
}

/* The last day of use from the history against the allocation at the time. */
static void advice_graph(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y,
			 int h)
{
	struct ui_advice_state *st = app->advice;
	struct vd_history_key k = vd_history_key_of(gu);
	struct vd_advice_point *pts = NULL;
	size_t n = 0;
	int64_t now = advice_now();
	pthread_mutex_lock(&st->lock);
	vd_history_series(st->hist, &k, now - 86400, now, -1, &pts, &n, NULL);
	pthread_mutex_unlock(&st->lock);
	size_t cap = ui_graph_capacity(app->w - 9, app->glyphs);
	size_t first = n > cap ? n - cap : 0;
	float *v = vd_xcalloc(n + 1, sizeof(float));
	double cap_cpu = vd_guest_cpu_capacity(gu, app->reg->host.ncpus);
	for (size_t i = first; i < n; i++)
		v[i - first] = (float)(pts[i].cpu_max / (cap_cpu > 0 ? cap_cpu : 1));
	ui_grid_printf(g, 1, y, app->w - 2, UI_TITLE,
		       "CPU peak per interval, last 24 h (%zu points); the line is the allocation",
		       n);
	ui_graph(g, 8, y + 1, app->w - 9, h, v, n - first, 1.0f, app->glyphs, UI_METER_USED);
	free(v);
	free(pts);
}

void ui_advice_draw_tab(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	const struct ui_advice_state *st = app->advice;
	if (!st || !st->hist) {
		ui_grid_put(g, 1, y, app->w - 2, UI_DIM,
			    "No history database: advice needs it (see the log, L). `virtdeck advise` explains more.");
		return;
	}
	const struct vd_advice *a = ui_advice_of(app, gu);
	if (!a) {
		ui_grid_put(g, 1, y, app->w - 2, UI_DIM,
			    "advice is computed once a minute; not yet for this guest");
		return;
	}
	advice_verdict_lines(app, g, gu, a, y);
	int h = app->h - y - 7;
	if (h >= 3)
		advice_graph(app, g, gu, y + 4, h);
}
