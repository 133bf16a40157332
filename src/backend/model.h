/* model.h - sorted, filtered views of the merged guest list. */
#ifndef VD_BACKEND_MODEL_H
#define VD_BACKEND_MODEL_H

#include "backend/registry.h"

enum vd_sort_key {
	VD_SORT_ENGINE,
	VD_SORT_HOST,
	VD_SORT_NAME,
	VD_SORT_KIND,
	VD_SORT_STATE,
	VD_SORT_VCPU,
	VD_SORT_CPU,      /* CPU% of allocation */
	VD_SORT_CPU_HOST, /* CPU% of host */
	VD_SORT_MEM_ALLOC,
	VD_SORT_MEM_USED,
	VD_SORT_MEM_PCT,
	VD_SORT__COUNT,
};

struct vd_view {
	size_t *idx; /* indexes into registry->guests */
	size_t n;
};

/* Build a view: guests matching `filter` (case-insensitive substrings, '|' separates
 * alternatives, matched against name, engine, host, kind and state), sorted by key. Ties
 * fall back to engine, host and name so the order is stable between refreshes. */
void vd_model_view(const struct vd_registry *reg, const char *filter, enum vd_sort_key key,
		   bool descending, struct vd_view *out);
/* Same, grouped first by `group` (VD_SORT_HOST or VD_SORT_ENGINE; VD_SORT__COUNT = no grouping). */
void vd_model_view_grouped(const struct vd_registry *reg, const char *filter,
			   enum vd_sort_key group, enum vd_sort_key key, bool descending,
			   struct vd_view *out);
void vd_view_free(struct vd_view *v);
bool vd_model_match(const struct vd_guest *g, const char *filter);
int vd_model_compare(const struct vd_guest *a, const struct vd_guest *b, enum vd_sort_key key);
/* Used memory as % of the allocation; negative when there is no allocation figure. */
double vd_guest_mem_pct(const struct vd_guest *g);
const char *vd_sort_key_name(enum vd_sort_key key);
int vd_sort_key_parse(const char *name, enum vd_sort_key *out);

#endif
