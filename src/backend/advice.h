/* advice.h - right-sizing maths: need figures, verdicts and recommended sizes from usage points. */
#ifndef VD_BACKEND_ADVICE_H
#define VD_BACKEND_ADVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/guest.h"

/*
 * The recommendation engine is pure C: it takes arrays of usage points (from the history or a
 * test) and returns figures. It never touches SQLite, an engine or the screen.
 * Figures follow the anchors in monitoring-and-rightsizing.md §4: VPA's percentile + margin
 * with a 24 h half-life decay, memory from daily peaks with an OOM bump, AWS's "over when some
 * dimension can shrink and none must grow", Azure's idle rule.
 */

/* One stretch of time of one guest, as stored by the history (a raw sample or a rollup). */
struct vd_advice_point {
	int64_t t;      /* start, seconds of the wall clock */
	uint32_t dur;   /* seconds of measured usage covered (0 = state only, no usage figures) */
	uint32_t run_s; /* seconds of it the guest was running */
	double cpu_avg; /* CPUs used, average over the stretch */
	double cpu_max; /* highest interval average inside the stretch */
	double mem_avg; /* bytes really used */
	double mem_max;
	double mem_kpeak; /* the kernel's peak if it rose in the stretch (between samples), or 0 */
	double io_bps;  /* disk read+write, bytes/s average */
	double net_bps; /* network rx+tx, bytes/s average */
	double io_max;  /* highest interval of disk+network, bytes/s */
	uint32_t oom;   /* OOM kills that happened inside the stretch */
	enum vd_state state; /* state at the end of the stretch */
	struct vd_alloc alloc; /* allocation at the end of the stretch */
};

struct vd_advice_params {
	double cpu_percentile;  /* 0.95: P95 of per-interval CPU use */
	double mem_percentile;  /* 0.95: of the daily peaks */
	double cpu_margin;      /* 0.15 (VPA) */
	double mem_margin;      /* 0.15 */
	double half_life_h;     /* 24: weight of a point halves every half-life */
	double min_hours;       /* 24: no advice with fewer hours of running data */
	double window_days;     /* 8 (at most): how far back daily peaks and hours count (VPA keeps 8) */
	uint64_t mem_min_vm;    /* 256 MiB floor for a VM */
	uint64_t mem_min_ct;    /* 32 MiB floor for a container */
	uint64_t mem_step_vm;   /* 64 MiB rounding for VM memory (balloon granularity) */
	uint64_t mem_step_ct;   /* 16 MiB rounding for container limits */
	double cpu_min_ct;      /* 0.1 CPU floor and step for a container quota */
	uint64_t oom_bump_bytes; /* 100 MiB: after an OOM, need >= used + this ... */
	double oom_bump_factor;  /* 1.2: ... and >= used x this (VPA RecordOOM) */
	double oom_window_h;     /* 168: an OOM this recent still bumps memory */
	double idle_cpu_pct;     /* 3: P95 CPU below this % of the allocation is idle (Azure) */
	double idle_io_bps;      /* 16384: disk+network below this (P95, bytes/s) is "near zero" */
	double shrink_min;       /* 0.10: only advise a shrink that saves at least 10 % */
};

enum vd_verdict {
	VD_VERDICT_COLLECTING, /* not enough data yet */
	VD_VERDICT_OK,
	VD_VERDICT_OVER,
	VD_VERDICT_UNDER,
	VD_VERDICT_IDLE,
	VD_VERDICT__COUNT,
};

/* Per dimension: what changes. */
enum vd_advice_move { VD_MOVE_KEEP, VD_MOVE_SHRINK, VD_MOVE_GROW, VD_MOVE_NA };

struct vd_advice {
	enum vd_verdict verdict;
	double hours;          /* confidence: hours of running data in the window */
	double cpu_pctl;       /* CPUs used at the percentile (decayed) */
	double cpu_need;       /* cpu_pctl x (1 + margin) */
	double cpu_alloc;      /* CPUs allocated now (vCPUs or the quota; 0 = unlimited) */
	double cpu_rec;        /* recommended: whole vCPUs (VM) or 0.1 steps (container) */
	double mem_peak_pctl;  /* bytes: percentile of the daily peaks */
	bool mem_kernel_peak;  /* that peak is the kernel's (between samples), not a sample's */
	double mem_need;       /* with margin, floor and OOM bump */
	uint64_t mem_alloc;
	uint64_t mem_rec;      /* rounded to the step */
	double io_pctl;        /* P95 of disk+network bytes/s */
	uint32_t ooms;         /* OOM kills inside oom_window_h (the kernel's counter) */
	enum vd_advice_move cpu_move, mem_move;
	char reason[256];      /* one line: why and from which signal, for the table and the JSON */
};

void vd_advice_params_default(struct vd_advice_params *p);
/* Set one parameter by name from the config file's text; on a bad key or value returns
 * -EINVAL and *msg points to a static message ("unknown key ..." / "expected ..."), so the
 * config loader can print "file:line: msg". */
int vd_advice_params_set(struct vd_advice_params *p, const char *key, const char *value,
			 const char **msg);

/* Weighted percentile (p in 0..1) of n values: the smallest value whose cumulative weight
 * reaches p of the total. vals and weights are not modified. Returns 0 for n == 0. */
double vd_advice_percentile(const double *vals, const double *weights, size_t n, double p);
/* Decay weight of a point `age_s` old with the given half-life in hours: 2^(-age/half_life). */
double vd_advice_decay(double age_s, double half_life_h);

/* Compute the advice for one guest from its points (any order, any resolution) at time now
 * (seconds). cur is the current allocation; kind picks the rounding rules. */
void vd_advice_compute(const struct vd_advice_params *p, enum vd_kind kind,
		       const struct vd_alloc *cur, const struct vd_advice_point *pts, size_t n,
		       int64_t now, struct vd_advice *out);

/* Fold a point into its day's peak (*peak, *kernel: whether the peak is the kernel's). */
void vd_advice_day_peak(double *peak, bool *kernel, const struct vd_advice_point *pt);

/* Needs, moves, verdict and reason from the statistics already in out (hours, cpu_pctl, io_pctl,
 * mem_peak_pctl, mem_kernel_peak, ooms); the step both the points path and the summary path end
 * with. An OOM kill makes the verdict UNDER even before min_hours of data: the kernel has
 * already shown that the memory is too small. */
void vd_advice_finish(const struct vd_advice_params *p, enum vd_kind kind,
		      const struct vd_alloc *cur, double oom_used, struct vd_advice *out);

/*
 * The summary: what advice needs of a guest's whole history in about 1.5 KB, kept up to date by
 * the recorder (like the checkpoints of the Kubernetes VPA recommender, whose decaying histogram
 * it copies: buckets 5 % wide, weights that double every half-life instead of old ones decaying).
 * Advice for a thousand guests then reads a thousand small rows instead of a million points.
 */
#define VD_ADVICE_CPU_BUCKETS 224 /* 0.001 CPU first bucket, x1.05: up to ~1000 CPUs */
#define VD_ADVICE_IO_BUCKETS 100  /* 16 B/s first bucket, x1.2: up to ~6 GB/s */
#define VD_ADVICE_DAYS 8
#define VD_ADVICE_OOMS 8

struct vd_advice_summary {
	uint32_t magic;        /* VD_ADVICE_SUMMARY_MAGIC: layout check for stored copies */
	float half_life_h;     /* the half-life the weights were built with */
	int64_t ref_t;         /* weights are relative to this time */
	double cpu_total, io_total;
	float cpu_w[VD_ADVICE_CPU_BUCKETS];
	float io_w[VD_ADVICE_IO_BUCKETS];
	int64_t day_of[VD_ADVICE_DAYS]; /* UTC day number held by each ring slot (0 = empty) */
	double day_peak[VD_ADVICE_DAYS];
	double day_run_s[VD_ADVICE_DAYS];
	int64_t oom_t[VD_ADVICE_OOMS];  /* ring of the latest OOM kills */
	double oom_used[VD_ADVICE_OOMS];
	uint32_t oom_next;
	uint8_t day_kernel;    /* bit per ring slot: that day's peak is the kernel's (padding) */
};
#define VD_ADVICE_SUMMARY_MAGIC (0x56445331u + (uint32_t)sizeof(struct vd_advice_summary))

void vd_advice_summary_init(struct vd_advice_summary *s, double half_life_h);
/* Add one stretch (a minute row, usually). Points must come roughly in time order. */
void vd_advice_summary_add(struct vd_advice_summary *s, const struct vd_advice_point *pt);
/* Percentile of the CPU histogram: the upper edge of the bucket reaching p (conservative,
 * at most 5 % above the exact figure). */
double vd_advice_summary_cpu_pctl(const struct vd_advice_summary *s, double p);
/* Advice from a summary: the same rules as vd_advice_compute. */
void vd_advice_from_summary(const struct vd_advice_params *p, enum vd_kind kind,
			    const struct vd_alloc *cur, const struct vd_advice_summary *s,
			    int64_t now, struct vd_advice *out);

const char *vd_advice_verdict_name(
	enum vd_verdict v); /* "OVER", "UNDER", "OK", "IDLE", "collecting" */
/* A short label for tables: the verdict, or "collecting: 5h of 24h". */
const char *vd_advice_label(const struct vd_advice *a, const struct vd_advice_params *p, char *buf,
			    size_t len);
/* CPUs a guest may use under an allocation: the quota, else vCPUs, 0 = unlimited. */
double vd_advice_cpu_capacity(const struct vd_alloc *a);

#endif
