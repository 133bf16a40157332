/* trend.h - a short in-memory history per guest (the last few minutes) for sparklines and graphs.
 */
#ifndef VD_BACKEND_TREND_H
#define VD_BACKEND_TREND_H

#include <stddef.h>

#include "backend/guest.h"

#define VD_TREND_LEN 240 /* samples kept per guest: 8 minutes at the default 2 s */

struct vd_trend {
	const struct vd_backend *backend;
	char name[VD_NAME_MAX];
	float cpu_pct[VD_TREND_LEN];  /* CPU% of allocation, < 0 = unknown */
	uint64_t mem_used[VD_TREND_LEN];
	uint64_t mem_alloc[VD_TREND_LEN];
	size_t n, head;               /* ring: n valid entries, oldest at head */
	uint64_t last_seen;           /* refresh generation that last saw the guest */
};

struct vd_trends {
	struct vd_trend *v;
	size_t n;
	uint64_t generation;
};

/* Append the current sample of every guest; guests gone for a while are dropped. */
void vd_trends_record(struct vd_trends *t, const struct vd_guest *guests, size_t n);
const struct vd_trend *vd_trends_find(const struct vd_trends *t, const struct vd_guest *g);
void vd_trends_free(struct vd_trends *t);
/* The i-th oldest entry (0 <= i < n). */
size_t vd_trend_index(const struct vd_trend *t, size_t i);

#endif
