/* trend.c - ring buffers of recent CPU and memory figures, one per guest, kept across refreshes. */
#include "backend/trend.h"

#include "common/util.h"

#define VD_TREND_FORGET 30 /* refreshes after which a vanished guest's trend is dropped */

size_t vd_trend_index(const struct vd_trend *t, size_t i)
{
	return (t->head + i) % VD_TREND_LEN;
}

static struct vd_trend *trends_lookup(struct vd_trends *t, const struct vd_guest *g)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].backend == g->backend && vd_streq(t->v[i].name, g->name))
			return &t->v[i];
	return NULL;
}

const struct vd_trend *vd_trends_find(const struct vd_trends *t, const struct vd_guest *g)
{
	return trends_lookup((struct vd_trends *)t, g);
}

static struct vd_trend *trends_add(struct vd_trends *t, const struct vd_guest *g)
{
	t->v = vd_xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	struct vd_trend *tr = &t->v[t->n++];
	memset(tr, 0, sizeof(*tr));
	tr->backend = g->backend;
	vd_strlcpy(tr->name, g->name, sizeof(tr->name));
	return tr;
}

static void trend_push(struct vd_trend *tr, const struct vd_guest *g)
{
	size_t slot = (tr->head + tr->n) % VD_TREND_LEN;
	if (tr->n == VD_TREND_LEN)
		tr->head = (tr->head + 1) % VD_TREND_LEN;
	else
		tr->n++;
	bool active = vd_state_is_active(g->state);
	tr->cpu_pct[slot] = active ? (float)g->cpu_pct_alloc : -1.0f;
	tr->mem_used[slot] = active ? g->sample.mem_used : 0;
	tr->mem_alloc[slot] = g->alloc.mem_bytes;
}

static void trends_forget(struct vd_trends *t)
{
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->generation - t->v[i].last_seen < VD_TREND_FORGET)
			t->v[w++] = t->v[i];
	t->n = w;
}

void vd_trends_record(struct vd_trends *t, const struct vd_guest *guests, size_t n)
{
	t->generation++;
	for (size_t i = 0; i < n; i++) {
		struct vd_trend *tr = trends_lookup(t, &guests[i]);
		if (!tr)
			tr = trends_add(t, &guests[i]);
		trend_push(tr, &guests[i]);
		tr->last_seen = t->generation;
	}
	trends_forget(t);
}

void vd_trends_free(struct vd_trends *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
