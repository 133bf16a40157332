/* advice.c - the recommendation engine: percentiles, decay, need figures and verdicts (pure C). */
#include "backend/advice.h"

#include <errno.h>
#include <math.h>

#include "common/util.h"

#define MIB (1024.0 * 1024.0)
#define DAY_S 86400.0

void vd_advice_params_default(struct vd_advice_params *p)
{
	*p = (struct vd_advice_params){
		.cpu_percentile = 0.95,
		.mem_percentile = 0.95,
		.cpu_margin = 0.15,
		.mem_margin = 0.15,
		.half_life_h = 24,
		.min_hours = 24,
		.window_days = 8,
		.mem_min_vm = 256 * 1024 * 1024ull,
		.mem_min_ct = 32 * 1024 * 1024ull,
		.mem_step_vm = 64 * 1024 * 1024ull,
		.mem_step_ct = 16 * 1024 * 1024ull,
		.cpu_min_ct = 0.1,
		.oom_bump_bytes = 100 * 1024 * 1024ull,
		.oom_bump_factor = 1.2,
		.oom_window_h = 168,
		.idle_cpu_pct = 3,
		.idle_io_bps = 16384,
		.shrink_min = 0.10,
	};
}

/* ------------------------------------------------------------------ parameters by name */

/* A size parsed into a uint64_t field, or (RATE) a size-like number into a double field. */
enum param_type { PARAM_DOUBLE, PARAM_SIZE, PARAM_RATE };

/* Config keys, the field they set and the range a value must fall in. */
struct param_desc {
	const char *key;
	enum param_type type;
	size_t off;
	double lo, hi;
	const char *msg;
};

#define PD(k, f, lo, hi, m) { k, PARAM_DOUBLE, offsetof(struct vd_advice_params, f), lo, hi, m }
#define PS(k, f, lo, hi, m) { k, PARAM_SIZE, offsetof(struct vd_advice_params, f), lo, hi, m }

static const struct param_desc params[] = {
	PD("cpu_percentile", cpu_percentile, 0.5, 1.0,
	   "expected a fraction between 0.5 and 1 (0.95 = P95)"),
	PD("mem_percentile", mem_percentile, 0.5, 1.0,
	   "expected a fraction between 0.5 and 1 (0.95 = P95)"),
	PD("cpu_margin", cpu_margin, 0, 2, "expected a fraction between 0 and 2 (0.15 = +15 %)"),
	PD("mem_margin", mem_margin, 0, 2, "expected a fraction between 0 and 2 (0.15 = +15 %)"),
	PD("half_life_hours", half_life_h, 1, 24 * 90, "expected hours between 1 and 2160"),
	PD("min_hours", min_hours, 0, 24 * 90, "expected hours between 0 and 2160"),
	/* the summary keeps 8 daily peaks (VPA's memory window), so the window stops there */
	PD("window_days", window_days, 1, VD_ADVICE_DAYS, "expected days between 1 and 8"),
	PS("mem_min_vm", mem_min_vm, 16 * MIB, 1e15,
	   "expected a size of at least 16M such as 256M"),
	PS("mem_min_ct", mem_min_ct, 4 * MIB, 1e15, "expected a size of at least 4M such as 32M"),
	PS("mem_step_vm", mem_step_vm, 1 * MIB, 1e12, "expected a size of at least 1M such as 64M"),
	PS("mem_step_ct", mem_step_ct, 1 * MIB, 1e12, "expected a size of at least 1M such as 16M"),
	PD("cpu_min_ct", cpu_min_ct, 0.01, 64, "expected CPUs between 0.01 and 64"),
	PS("oom_bump", oom_bump_bytes, 0, 1e12, "expected a size such as 100M"),
	PD("oom_bump_factor", oom_bump_factor, 1, 4, "expected a factor between 1 and 4"),
	PD("oom_window_hours", oom_window_h, 1, 24 * 90, "expected hours between 1 and 2160"),
	PD("idle_cpu_percent", idle_cpu_pct, 0, 50, "expected a percentage between 0 and 50"),
	{ "idle_io_bytes_per_sec", PARAM_RATE, offsetof(struct vd_advice_params, idle_io_bps), 0,
	  1e12, "expected bytes per second such as 16K" },
	PD("shrink_min", shrink_min, 0, 0.9, "expected a fraction between 0 and 0.9 (0.10 = 10 %)"),
};

static int param_store(struct vd_advice_params *p, const struct param_desc *d, const char *value,
		       const char **msg)
{
	double v;
	uint64_t sz = 0;
	int r = d->type == PARAM_DOUBLE ? vd_parse_double(value, &v) : vd_parse_size(value, &sz);
	if (d->type != PARAM_DOUBLE)
		v = (double)sz;
	if (r < 0 || !isfinite(v) || v < d->lo || v > d->hi) {
		*msg = d->msg;
		return -EINVAL;
	}
	char *field = (char *)p + d->off;
	if (d->type == PARAM_SIZE)
		*(uint64_t *)(void *)field = sz;
	else
		*(double *)(void *)field = v;
	return 0;
}

int vd_advice_params_set(struct vd_advice_params *p, const char *key, const char *value,
			 const char **msg)
{
	static const char unknown[] =
		"unknown advice key: known keys are cpu_percentile mem_percentile cpu_margin mem_margin "
		"half_life_hours min_hours window_days mem_min_vm mem_min_ct mem_step_vm mem_step_ct "
		"cpu_min_ct oom_bump oom_bump_factor oom_window_hours idle_cpu_percent "
		"idle_io_bytes_per_sec shrink_min";
	for (size_t i = 0; i < VD_ARRAY_SIZE(params); i++)
		if (vd_streq(params[i].key, key))
			return param_store(p, &params[i], value ? value : "", msg);
	*msg = unknown;
	return -EINVAL;
}

/* ------------------------------------------------------------------ maths */

struct wval {
	double v, w;
};

static int wval_cmp(const void *a, const void *b)
{
	double x = ((const struct wval *)a)->v, y = ((const struct wval *)b)->v;
	return (x > y) - (x < y);
}

/* Percentile of pairs already gathered (sorts them in place). */
static double wval_percentile(struct wval *wv, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(wv, n, sizeof(*wv), wval_cmp);
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += wv[i].w;
	if (total <= 0)
		return wv[n - 1].v;
	double acc = 0, goal = p * total;
	for (size_t i = 0; i < n; i++) {
		acc += wv[i].w;
		/* relative tolerance: weights that sum to the goal exactly must stop here */
		if (acc >= goal * (1 - 1e-12))
			return wv[i].v;
	}
	return wv[n - 1].v;
}

double vd_advice_percentile(const double *vals, const double *weights, size_t n, double p)
{
	_cleanup_free_ struct wval *wv = vd_xcalloc(n ? n : 1, sizeof(*wv));
	for (size_t i = 0; i < n; i++)
		wv[i] = (struct wval){ vals[i], weights ? weights[i] : 1.0 };
	return wval_percentile(wv, n, p);
}

double vd_advice_decay(double age_s, double half_life_h)
{
	if (age_s < 0)
		age_s = 0;
	return exp2(-age_s / (half_life_h * 3600.0));
}

double vd_advice_cpu_capacity(const struct vd_alloc *a)
{
	if (a->cpu_limit > 0)
		return a->cpu_limit;
	return (double)a->vcpus;
}

/* ------------------------------------------------------------------ one guest */

void vd_advice_day_peak(double *peak, bool *kernel, const struct vd_advice_point *pt)
{
	if (pt->mem_max > *peak) {
		*peak = pt->mem_max;
		*kernel = false;
	}
	if (pt->mem_kpeak > *peak) {
		*peak = pt->mem_kpeak;
		*kernel = true;
	}
}

/* What the pass over the points gathers. */
struct gather {
	struct wval *cpu, *io;
	size_t n;
	double run_s;
	double day_peak[90];
	bool day_kernel[90]; /* that day's peak is the kernel's, not a sample's */
	uint32_t ooms;
	double oom_used; /* max(allocation, peak) around the OOMs */
};

static bool point_in_window(const struct vd_advice_params *p, const struct vd_advice_point *pt,
			    int64_t now)
{
	return pt->t + (int64_t)pt->dur > now - (int64_t)(p->window_days * DAY_S) && pt->t <= now;
}

static void gather_oom(const struct vd_advice_params *p, const struct vd_advice_point *pt,
		       int64_t now, struct gather *g)
{
	if (!pt->oom || pt->t < now - (int64_t)(p->oom_window_h * 3600))
		return;
	g->ooms += pt->oom;
	double used = fmax((double)pt->alloc.mem_bytes, fmax(pt->mem_max, pt->mem_kpeak));
	g->oom_used = fmax(g->oom_used, used);
}

static void gather_point(const struct vd_advice_params *p, const struct vd_advice_point *pt,
			 int64_t now, struct gather *g)
{
	gather_oom(p, pt, now, g);
	/* a peak counts without a rate interval too: a first sample's, a stopped guest's last */
	size_t day = (size_t)(((double)now - (double)pt->t) / DAY_S);
	if (day < VD_ARRAY_SIZE(g->day_peak))
		vd_advice_day_peak(&g->day_peak[day], &g->day_kernel[day], pt);
	if (!pt->run_s || !pt->dur)
		return;
	double mid = (double)pt->t + pt->dur / 2.0;
	double w = pt->dur * vd_advice_decay((double)now - mid, p->half_life_h);
	g->cpu[g->n] = (struct wval){ pt->cpu_avg, w };
	g->io[g->n] = (struct wval){ pt->io_bps + pt->net_bps, w };
	g->n++;
	g->run_s += pt->run_s;
}

/* Percentile of the daily peaks, each day weighted by its age (VPA's memory aggregation), and
 * whether the day it picked had its peak from the kernel. */
static void daily_peaks_pctl(const struct vd_advice_params *p, const struct gather *g,
			     struct vd_advice *out)
{
	struct wval wv[VD_ARRAY_SIZE(g->day_peak)];
	size_t n = 0;
	for (size_t d = 0; d < VD_ARRAY_SIZE(g->day_peak); d++)
		if (g->day_peak[d] > 0)
			wv[n++] = (struct wval){ g->day_peak[d], vd_advice_decay(d * DAY_S, p->half_life_h) };
	out->mem_peak_pctl = wval_percentile(wv, n, p->mem_percentile);
	for (size_t d = 0; d < VD_ARRAY_SIZE(g->day_peak); d++)
		if (g->day_kernel[d] && g->day_peak[d] == out->mem_peak_pctl)
			out->mem_kernel_peak = true;
}

static double round_up(double v, double step)
{
	return ceil(v / step - 1e-9) * step;
}

static void advise_cpu(const struct vd_advice_params *p, enum vd_kind kind, struct vd_advice *a)
{
	a->cpu_need = a->cpu_pctl * (1 + p->cpu_margin);
	if (kind == VD_KIND_VM)
		a->cpu_rec = fmax(1, round_up(a->cpu_need, 1));
	else
		a->cpu_rec = fmax(p->cpu_min_ct, round_up(a->cpu_need, p->cpu_min_ct));
	if (a->cpu_alloc <= 0)
		a->cpu_move = VD_MOVE_NA;
	else if (a->cpu_need > a->cpu_alloc + 1e-9)
		a->cpu_move = VD_MOVE_GROW;
	else if (a->cpu_rec <= a->cpu_alloc * (1 - p->shrink_min) + 1e-9)
		a->cpu_move = VD_MOVE_SHRINK;
	else
		a->cpu_move = VD_MOVE_KEEP;
}

/* a->mem_peak_pctl and a->ooms are filled; oom_used is max(allocation, peak) around the OOMs. */
static void advise_mem(const struct vd_advice_params *p, enum vd_kind kind, double oom_used,
		       struct vd_advice *a)
{
	double floor_b = (double)(kind == VD_KIND_VM ? p->mem_min_vm : p->mem_min_ct);
	double step = (double)(kind == VD_KIND_VM ? p->mem_step_vm : p->mem_step_ct);
	a->mem_need = fmax(floor_b, a->mem_peak_pctl * (1 + p->mem_margin));
	if (a->ooms) {
		double bump = fmax(oom_used + (double)p->oom_bump_bytes, oom_used * p->oom_bump_factor);
		a->mem_need = fmax(a->mem_need, bump);
	}
	a->mem_rec = (uint64_t)round_up(a->mem_need, step);
	double alloc = (double)a->mem_alloc;
	if (a->mem_alloc == 0)
		a->mem_move = VD_MOVE_NA;
	else if (a->mem_need > alloc)
		a->mem_move = VD_MOVE_GROW;
	else if ((double)a->mem_rec <= alloc * (1 - p->shrink_min))
		a->mem_move = VD_MOVE_SHRINK;
	else
		a->mem_move = VD_MOVE_KEEP;
}

static bool advice_idle(const struct vd_advice_params *p, const struct vd_advice *a)
{
	double cap = a->cpu_alloc > 0 ? a->cpu_alloc : 1.0;
	return 100.0 * a->cpu_pctl / cap < p->idle_cpu_pct && a->io_pctl < p->idle_io_bps;
}

static enum vd_verdict advice_verdict(const struct vd_advice_params *p, const struct vd_advice *a)
{
	if (a->ooms && a->mem_move == VD_MOVE_GROW)
		return VD_VERDICT_UNDER; /* the kernel's verdict needs no hours of data */
	if (a->hours < p->min_hours)
		return VD_VERDICT_COLLECTING;
	if (a->cpu_move == VD_MOVE_GROW || a->mem_move == VD_MOVE_GROW)
		return VD_VERDICT_UNDER;
	if (advice_idle(p, a))
		return VD_VERDICT_IDLE;
	if (a->cpu_move == VD_MOVE_SHRINK || a->mem_move == VD_MOVE_SHRINK)
		return VD_VERDICT_OVER;
	return VD_VERDICT_OK;
}

/* The reason names the signal each figure came from: the samples, the kernel's peak (a peak
 * between samples) or the kernel's OOM kill counter. */
static void advice_reason(const struct vd_advice_params *p, struct vd_advice *a)
{
	char used[16], alloc[16], need[16], oom[128] = "";
	vd_format_size((uint64_t)a->mem_peak_pctl, used, sizeof(used));
	vd_format_size(a->mem_alloc, alloc, sizeof(alloc));
	vd_format_size(a->mem_rec, need, sizeof(need));
	if (a->ooms)
		snprintf(oom, sizeof(oom),
			 "%u OOM kill%s in the last %.0fh (kernel's oom_kill count): "
			 "memory %s, no shrink; ",
			 a->ooms, a->ooms > 1 ? "s" : "", p->oom_window_h, need);
	if (a->verdict == VD_VERDICT_COLLECTING && a->hours == 0) {
		snprintf(a->reason, sizeof(a->reason), "no running data yet: needs %.0fh of use", p->min_hours);
		return;
	}
	const char *src = a->mem_kernel_peak ? "kernel peak, unseen by samples" : "samples";
	snprintf(a->reason, sizeof(a->reason),
		 "%scpu P%.0f %.2f of %.2g CPUs, memory daily peak %s (%s) of %s, %.0fh of data",
		 oom, p->cpu_percentile * 100, a->cpu_pctl, a->cpu_alloc, used, src,
		 a->mem_alloc ? alloc : "unlimited", a->hours);
}

/* The common end of both paths: out has hours, cpu_pctl, io_pctl, mem_peak_pctl and ooms. */
void vd_advice_finish(const struct vd_advice_params *p, enum vd_kind kind,
		      const struct vd_alloc *cur, double oom_used, struct vd_advice *out)
{
	out->cpu_alloc = vd_advice_cpu_capacity(cur);
	out->mem_alloc = cur->mem_bytes;
	advise_cpu(p, kind, out);
	advise_mem(p, kind, oom_used, out);
	out->verdict = advice_verdict(p, out);
	if (out->hours < p->min_hours) /* figures are shown, but no move is advised from them yet */
		out->cpu_move = VD_MOVE_KEEP;
	if (out->verdict == VD_VERDICT_COLLECTING)
		out->mem_move = VD_MOVE_KEEP;
	advice_reason(p, out);
}

void vd_advice_compute(const struct vd_advice_params *p, enum vd_kind kind,
		       const struct vd_alloc *cur, const struct vd_advice_point *pts, size_t n,
		       int64_t now, struct vd_advice *out)
{
	struct gather g = { 0 };
	g.cpu = vd_xcalloc(n ? n : 1, sizeof(*g.cpu));
	g.io = vd_xcalloc(n ? n : 1, sizeof(*g.io));
	for (size_t i = 0; i < n; i++)
		if (point_in_window(p, &pts[i], now))
			gather_point(p, &pts[i], now, &g);
	memset(out, 0, sizeof(*out));
	out->hours = g.run_s / 3600.0;
	out->cpu_pctl = wval_percentile(g.cpu, g.n, p->cpu_percentile);
	out->io_pctl = wval_percentile(g.io, g.n, 0.95);
	daily_peaks_pctl(p, &g, out);
	out->ooms = g.ooms;
	vd_advice_finish(p, kind, cur, g.oom_used, out);
	free(g.cpu);
	free(g.io);
}

const char *vd_advice_verdict_name(enum vd_verdict v)
{
	static const char *const names[] = { "collecting", "OK", "OVER", "UNDER", "IDLE" };
	return v < VD_VERDICT__COUNT ? names[v] : "?";
}

const char *vd_advice_label(const struct vd_advice *a, const struct vd_advice_params *p, char *buf,
			    size_t len)
{
	if (a->verdict == VD_VERDICT_COLLECTING)
		snprintf(buf, len, "collecting: %.0fh of %.0fh", floor(a->hours), p->min_hours);
	else
		snprintf(buf, len, "%s", vd_advice_verdict_name(a->verdict));
	return buf;
}
