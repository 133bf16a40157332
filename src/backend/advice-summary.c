/* advice-summary.c - the compact summary of a guest's history advice is computed from (pure C). */
#include "backend/advice.h"

#include <math.h>

#include "common/util.h"

#define DAY_S 86400
/* day_kernel lives in the tail padding, so summaries stored before it keep their size and magic
 * (their padding was zeroed by vd_advice_summary_init: no day is marked). */
_Static_assert(VD_ADVICE_DAYS <= 8, "day_kernel holds one bit per day");
_Static_assert(offsetof(struct vd_advice_summary, day_kernel) + 1 <=
	       sizeof(struct vd_advice_summary), "day_kernel fits in the summary");
#define RENORM_HALF_LIVES 30.0 /* rebase the weights before they outgrow a float's precision */

/* Exponential buckets: bucket i starts at first * (ratio^i - 1) / (ratio - 1) (VPA's scheme). */
struct hist_shape {
	double first, ratio;
	int n;
};

static const struct hist_shape cpu_shape = { 0.001, 1.05, VD_ADVICE_CPU_BUCKETS };
static const struct hist_shape io_shape = { 16, 1.2, VD_ADVICE_IO_BUCKETS };

static int shape_bucket(const struct hist_shape *sh, double v)
{
	if (!(v > 0))
		return 0;
	int i = (int)floor(log1p(v * (sh->ratio - 1) / sh->first) / log(sh->ratio));
	return i < 0 ? 0 : i >= sh->n ? sh->n - 1 : i;
}

static double shape_upper(const struct hist_shape *sh, int i)
{
	return sh->first * (pow(sh->ratio, i + 1) - 1) / (sh->ratio - 1);
}

static double hist_pctl(const struct hist_shape *sh, const float *w, double total, double p)
{
	if (total <= 0)
		return 0;
	double acc = 0, goal = p * total * (1 - 1e-6);
	for (int i = 0; i < sh->n; i++) {
		acc += w[i];
		if (acc >= goal)
			return shape_upper(sh, i);
	}
	return shape_upper(sh, sh->n - 1);
}

void vd_advice_summary_init(struct vd_advice_summary *s, double half_life_h)
{
	memset(s, 0, sizeof(*s));
	s->magic = VD_ADVICE_SUMMARY_MAGIC;
	s->half_life_h = (float)half_life_h;
}

/* Move the reference time to t, scaling every weight down so new ones stay near 1. */
static void summary_rebase(struct vd_advice_summary *s, int64_t t)
{
	double f = exp2(-(double)(t - s->ref_t) / (s->half_life_h * 3600.0));
	for (int i = 0; i < VD_ADVICE_CPU_BUCKETS; i++)
		s->cpu_w[i] = (float)(s->cpu_w[i] * f);
	for (int i = 0; i < VD_ADVICE_IO_BUCKETS; i++)
		s->io_w[i] = (float)(s->io_w[i] * f);
	s->cpu_total *= f;
	s->io_total *= f;
	s->ref_t = t;
}

static size_t summary_day_slot(struct vd_advice_summary *s, int64_t t)
{
	int64_t day = t / DAY_S + 1; /* +1: 0 marks an empty slot */
	size_t slot = (size_t)(day % VD_ADVICE_DAYS);
	if (s->day_of[slot] != day) {
		s->day_of[slot] = day;
		s->day_peak[slot] = s->day_run_s[slot] = 0;
		s->day_kernel &= (uint8_t)~(1u << slot);
	}
	return slot;
}

static void summary_oom(struct vd_advice_summary *s, const struct vd_advice_point *pt)
{
	for (uint32_t k = 0; k < pt->oom && k < VD_ADVICE_OOMS; k++) {
		size_t i = s->oom_next++ % VD_ADVICE_OOMS;
		s->oom_t[i] = pt->t;
		double peak = fmax(pt->mem_max, pt->mem_kpeak);
		s->oom_used[i] = fmax((double)pt->alloc.mem_bytes, peak);
	}
}

void vd_advice_summary_add(struct vd_advice_summary *s, const struct vd_advice_point *pt)
{
	if (s->ref_t == 0)
		s->ref_t = pt->t;
	if ((double)(pt->t - s->ref_t) > RENORM_HALF_LIVES * s->half_life_h * 3600.0)
		summary_rebase(s, pt->t);
	summary_oom(s, pt);
	/* a peak counts without a rate interval too: a first sample's, a stopped guest's last */
	size_t slot = summary_day_slot(s, pt->t);
	bool kernel = s->day_kernel & (1u << slot);
	vd_advice_day_peak(&s->day_peak[slot], &kernel, pt);
	s->day_kernel = (uint8_t)((s->day_kernel & ~(1u << slot)) | ((unsigned)kernel << slot));
	if (!pt->run_s || !pt->dur)
		return;
	s->day_run_s[slot] += pt->run_s;
	double mid = (double)pt->t + pt->dur / 2.0;
	double w = pt->dur * exp2((mid - (double)s->ref_t) / (s->half_life_h * 3600.0));
	s->cpu_w[shape_bucket(&cpu_shape, pt->cpu_avg)] += (float)w;
	s->io_w[shape_bucket(&io_shape, pt->io_bps + pt->net_bps)] += (float)w;
	s->cpu_total += w;
	s->io_total += w;
}

double vd_advice_summary_cpu_pctl(const struct vd_advice_summary *s, double p)
{
	return hist_pctl(&cpu_shape, s->cpu_w, s->cpu_total, p);
}

/* Hours of running data and the percentile of the daily peaks, over the days in the window. */
static void summary_days(const struct vd_advice_params *p, const struct vd_advice_summary *s,
			 int64_t now, struct vd_advice *out)
{
	double peaks[VD_ADVICE_DAYS], w[VD_ADVICE_DAYS];
	bool kernel[VD_ADVICE_DAYS];
	size_t n = 0;
	int64_t today = now / DAY_S + 1;
	for (size_t i = 0; i < VD_ADVICE_DAYS; i++) {
		int64_t age = today - s->day_of[i];
		if (!s->day_of[i] || age < 0 || (double)age >= p->window_days)
			continue;
		out->hours += s->day_run_s[i] / 3600.0;
		if (s->day_peak[i] <= 0)
			continue;
		peaks[n] = s->day_peak[i];
		kernel[n] = s->day_kernel & (1u << i);
		w[n++] = vd_advice_decay((double)age * DAY_S, p->half_life_h);
	}
	out->mem_peak_pctl = vd_advice_percentile(peaks, w, n, p->mem_percentile);
	for (size_t i = 0; i < n; i++)
		if (kernel[i] && peaks[i] == out->mem_peak_pctl)
			out->mem_kernel_peak = true;
}

static double summary_ooms(const struct vd_advice_params *p, const struct vd_advice_summary *s,
			   int64_t now, struct vd_advice *out)
{
	double used = 0;
	for (size_t i = 0; i < VD_ADVICE_OOMS; i++) {
		if (!s->oom_t[i] || s->oom_t[i] < now - (int64_t)(p->oom_window_h * 3600) || s->oom_t[i] > now)
			continue;
		out->ooms++;
		used = fmax(used, s->oom_used[i]);
	}
	return used;
}

void vd_advice_from_summary(const struct vd_advice_params *p, enum vd_kind kind,
			    const struct vd_alloc *cur, const struct vd_advice_summary *s,
			    int64_t now, struct vd_advice *out)
{
	memset(out, 0, sizeof(*out));
	summary_days(p, s, now, out);
	out->cpu_pctl = hist_pctl(&cpu_shape, s->cpu_w, s->cpu_total, p->cpu_percentile);
	out->io_pctl = hist_pctl(&io_shape, s->io_w, s->io_total, 0.95);
	double used = summary_ooms(p, s, now, out);
	vd_advice_finish(p, kind, cur, used, out);
}
