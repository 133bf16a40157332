/* model.c - filtering and sorting of the guest list for the table, the CLI and batch mode. */
#include "backend/model.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

static const char *const vd_sort_names[VD_SORT__COUNT] = {
	[VD_SORT_ENGINE] = "engine",   [VD_SORT_HOST] = "host",
	[VD_SORT_NAME] = "name",       [VD_SORT_KIND] = "type",
	[VD_SORT_STATE] = "state",     [VD_SORT_VCPU] = "vcpu",
	[VD_SORT_CPU] = "cpu",         [VD_SORT_CPU_HOST] = "cpu_host",
	[VD_SORT_MEM_ALLOC] = "mem_alloc", [VD_SORT_MEM_USED] = "mem_used",
	[VD_SORT_MEM_PCT] = "mem_pct",
};

const char *vd_sort_key_name(enum vd_sort_key key)
{
	return (unsigned)key < VD_SORT__COUNT ? vd_sort_names[key] : "?";
}

int vd_sort_key_parse(const char *name, enum vd_sort_key *out)
{
	for (int i = 0; i < VD_SORT__COUNT; i++)
		if (strcasecmp(name, vd_sort_names[i]) == 0) {
			*out = (enum vd_sort_key)i;
			return 0;
		}
	return -EINVAL;
}

double vd_guest_mem_pct(const struct vd_guest *g)
{
	if (!g->alloc.mem_bytes || !g->sample.valid || g->sample.mem_source == VD_MEM_SRC_NONE)
		return -1;
	return 100.0 * (double)g->sample.mem_used / (double)g->alloc.mem_bytes;
}

static bool model_contains(const char *hay, const char *needle, size_t nl)
{
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, needle, nl) == 0)
			return true;
	return nl == 0;
}

static bool model_term(const struct vd_guest *g, const char *term, size_t len)
{
	return model_contains(g->name, term, len) || model_contains(g->host, term, len) ||
	       model_contains(vd_backend_name(g->backend), term, len) ||
	       model_contains(vd_kind_name(g->kind), term, len) ||
	       model_contains(vd_state_name(g->state), term, len);
}

bool vd_model_match(const struct vd_guest *g, const char *filter)
{
	if (!filter || !*filter)
		return true;
	const char *p = filter;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len && model_term(g, p, len))
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

static int cmp_num(double a, double b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

int vd_model_compare(const struct vd_guest *a, const struct vd_guest *b, enum vd_sort_key key)
{
	switch (key) {
	case VD_SORT_ENGINE: return strcmp(vd_backend_name(a->backend), vd_backend_name(b->backend));
	case VD_SORT_HOST: return strcmp(a->host, b->host);
	case VD_SORT_NAME: return strcmp(a->name, b->name);
	case VD_SORT_KIND: return cmp_num(a->kind, b->kind);
	case VD_SORT_STATE: return cmp_num(a->state, b->state);
	case VD_SORT_VCPU: return cmp_num(vd_guest_cpu_capacity(a, 0), vd_guest_cpu_capacity(b, 0));
	case VD_SORT_CPU: return cmp_num(a->cpu_pct_alloc, b->cpu_pct_alloc);
	case VD_SORT_CPU_HOST: return cmp_num(a->cpu_pct_host, b->cpu_pct_host);
	case VD_SORT_MEM_ALLOC: return cmp_num((double)a->alloc.mem_bytes, (double)b->alloc.mem_bytes);
	case VD_SORT_MEM_USED: return cmp_num((double)a->sample.mem_used, (double)b->sample.mem_used);
	case VD_SORT_MEM_PCT: return cmp_num(vd_guest_mem_pct(a), vd_guest_mem_pct(b));
	default: return 0;
	}
}

/* qsort has no context argument in C11; a file-local one is fine (single-threaded UI). */
static const struct vd_guest *model_sort_guests;
static enum vd_sort_key model_sort_key;
static bool model_sort_desc;
static enum vd_sort_key model_group_key = VD_SORT__COUNT;

static int model_qsort_cmp(const void *pa, const void *pb)
{
	const struct vd_guest *a = &model_sort_guests[*(const size_t *)pa];
	const struct vd_guest *b = &model_sort_guests[*(const size_t *)pb];
	int c = model_group_key < VD_SORT__COUNT ? vd_model_compare(a, b, model_group_key) : 0;
	if (c)
		return c;
	c = vd_model_compare(a, b, model_sort_key);
	if (model_sort_desc)
		c = -c;
	if (c == 0)
		c = vd_model_compare(a, b, VD_SORT_ENGINE);
	if (c == 0)
		c = vd_model_compare(a, b, VD_SORT_HOST);
	if (c == 0)
		c = vd_model_compare(a, b, VD_SORT_NAME);
	return c;
}

void vd_model_view(const struct vd_registry *reg, const char *filter, enum vd_sort_key key,
		   bool descending, struct vd_view *out)
{
	vd_model_view_grouped(reg, filter, VD_SORT__COUNT, key, descending, out);
}

void vd_model_view_grouped(const struct vd_registry *reg, const char *filter,
			   enum vd_sort_key group, enum vd_sort_key key, bool descending,
			   struct vd_view *out)
{
	out->idx = vd_xcalloc(reg->n_guests, sizeof(*out->idx));
	out->n = 0;
	for (size_t i = 0; i < reg->n_guests; i++)
		if (vd_model_match(&reg->guests[i], filter))
			out->idx[out->n++] = i;
	model_sort_guests = reg->guests;
	model_sort_key = key;
	model_sort_desc = descending;
	model_group_key = group;
	qsort(out->idx, out->n, sizeof(*out->idx), model_qsort_cmp);
}

void vd_view_free(struct vd_view *v)
{
	free(v->idx);
	v->idx = NULL;
	v->n = 0;
}
