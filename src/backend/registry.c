/* registry.c - one merged, refreshed guest list over all engines and hosts. */
#include "backend/registry.h"

#include <errno.h>

#include "common/log.h"
#include "common/rate.h"

void vd_registry_init(struct vd_registry *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->host.cpu_pct = -1;
}

void vd_registry_free(struct vd_registry *reg)
{
	for (size_t i = 0; i < reg->n_backends; i++)
		vd_backend_close(reg->backends[i]);
	free(reg->backends);
	free(reg->guests);
	free(reg->poll_counts);
	vd_trends_free(&reg->trends);
	memset(reg, 0, sizeof(*reg));
}

void vd_registry_add(struct vd_registry *reg, struct vd_backend *be)
{
	reg->backends = vd_xrealloc(reg->backends, (reg->n_backends + 1) * sizeof(*reg->backends));
	reg->backends[reg->n_backends++] = be;
}

static const struct vd_guest *registry_prev(const struct vd_guest *old, size_t n,
					    const struct vd_guest *g)
{
	for (size_t i = 0; i < n; i++)
		if (old[i].backend == g->backend && vd_streq(old[i].name, g->name))
			return &old[i];
	return NULL;
}

/*
 * The earlier reading CPU% is measured from, engine-stamped at both ends: the previous
 * refresh when it is at least a window ago (the console's refresh interval), else the reading
 * the engine kept about a second back (all `list` has), else a shorter previous refresh.
 */
static bool registry_base(const struct vd_guest *cur, const struct vd_guest *prev, double *per_s,
			  uint64_t *window_ns)
{
	struct vd_rate_reading now = { cur->sample.t_ns, cur->sample.cpu_ns };
	struct vd_rate_reading last = { 0, 0 };
	struct vd_rate_reading kept = { cur->sample.win_t_ns, cur->sample.win_cpu_ns };
	if (prev && prev->sample.valid)
		last = (struct vd_rate_reading){ prev->sample.t_ns, prev->sample.cpu_ns };
	bool last_long = last.t_ns && now.t_ns >= last.t_ns + VD_RATE_WINDOW_NS;
	const struct vd_rate_reading *first = last_long ? &last : &kept;
	const struct vd_rate_reading *order[] = { first, first == &last ? &kept : &last };
	for (size_t i = 0; i < VD_ARRAY_SIZE(order); i++) {
		if (vd_rate_per_s(*order[i], now, per_s)) {
			*window_ns = now.t_ns - order[i]->t_ns;
			return true;
		}
	}
	return false;
}

void vd_registry_rates(struct vd_guest *cur, const struct vd_guest *prev, unsigned host_cpus)
{
	cur->cpu_pct_alloc = -1;
	cur->cpu_pct_host = -1;
	cur->cpu_window_s = 0;
	double used_ns; /* CPU ns per second: CPUs busy * 1e9 */
	uint64_t window_ns;
	if (!cur->sample.valid || !registry_base(cur, prev, &used_ns, &window_ns))
		return; /* a first sample, a restarted guest or a clock without progress */
	double used = used_ns / 1e9;
	cur->cpu_pct_alloc = 100.0 * used / vd_guest_cpu_capacity(cur, host_cpus);
	cur->cpu_pct_host = 100.0 * used / (host_cpus ? host_cpus : 1);
	cur->cpu_window_s = (double)window_ns / 1e9;
}

static void registry_keep(struct vd_registry *reg, struct vd_backend *be, struct vd_guest **all,
			  size_t *n)
{
	for (size_t i = 0; i < reg->n_guests; i++) {
		if (reg->guests[i].backend != be)
			continue;
		*all = vd_xrealloc(*all, (*n + 1) * sizeof(**all));
		(*all)[(*n)++] = reg->guests[i];
	}
}

static void registry_poll(struct vd_registry *reg, struct vd_backend *be, struct vd_guest **all,
			  size_t *n)
{
	struct vd_guest *list = NULL;
	size_t cnt = 0;
	struct vd_error *err = NULL;
	int r = vd_backend_trylist(be, &list, &cnt, &err);
	be->busy = r == -EBUSY;
	if (be->busy) { /* an operation holds the engine: keep showing what we had */
		registry_keep(reg, be, all, n);
		return;
	}
	if (r < 0 && !err) /* every lost engine has a message: the list and the log print it */
		vd_error_errno(&err, r, "engine %s: listing its guests failed",
			       vd_backend_name(be));
	vd_error_freep(&be->last_error);
	be->last_error = err;
	if (r < 0) {
		if (!be->lost)
			vd_warn("%s", be->last_error->msg);
		be->lost = true;
		return;
	}
	be->lost = false;
	*all = vd_xrealloc(*all, (*n + cnt) * sizeof(**all));
	for (size_t i = 0; i < cnt; i++) {
		struct vd_guest *g = &(*all)[*n + i];
		*g = list[i];
		g->backend = be;
		if (!g->host[0])
			vd_strlcpy(g->host, be->label, sizeof(g->host));
		vd_registry_rates(g, registry_prev(reg->guests, reg->n_guests, g), reg->host.ncpus);
	}
	*n += cnt;
	free(list);
}

int vd_registry_refresh(struct vd_registry *reg)
{
	if (!reg->host_frozen)
		vd_host_read(&reg->host, NULL, NULL);
	struct vd_guest *all = NULL;
	size_t n = 0;
	int lost = 0;
	for (size_t i = 0; i < reg->n_backends; i++) {
		registry_poll(reg, reg->backends[i], &all, &n);
		lost += reg->backends[i]->lost;
	}
	free(reg->guests);
	reg->guests = all;
	reg->n_guests = n;
	vd_trends_record(&reg->trends, all, n);
	return lost;
}

/* Does g match a spec of the form name, engine:name or host/name? */
static bool registry_match(const struct vd_guest *g, const char *spec)
{
	const char *sep = strpbrk(spec, ":/");
	if (!sep)
		return vd_streq(g->name, spec);
	size_t pl = (size_t)(sep - spec);
	const char *qual = *sep == ':' ? vd_backend_name(g->backend) : g->host;
	return strlen(qual) == pl && strncmp(qual, spec, pl) == 0 && vd_streq(g->name, sep + 1);
}

struct vd_guest *vd_registry_find(struct vd_registry *reg, const char *spec, struct vd_error **err)
{
	struct vd_guest *hit = NULL;
	unsigned hits = 0;
	for (size_t i = 0; i < reg->n_guests; i++) {
		if (!registry_match(&reg->guests[i], spec))
			continue;
		hit = hit ? hit : &reg->guests[i];
		hits++;
	}
	if (hits == 1)
		return hit;
	if (hits == 0)
		vd_error_set(err, ENOENT, "no guest named %s: `virtdeck list` shows the guests", spec);
	else
		vd_error_set(err, EEXIST, "%u guests are named %s: say which with ENGINE:%s or HOST/%s", hits,
			     spec, spec, spec);
	return NULL;
}

void vd_registry_totals(const struct vd_registry *reg, struct vd_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < reg->n_backends; i++)
		t->n_engines_lost += reg->backends[i]->lost;
	for (size_t i = 0; i < reg->n_guests; i++) {
		const struct vd_guest *g = &reg->guests[i];
		t->n_by_kind[g->kind == VD_KIND_VM ? 0 : 1]++;
		if (!vd_state_is_active(g->state))
			continue;
		t->n_running += g->state == VD_STATE_RUNNING;
		t->vcpus_alloc += vd_guest_cpu_capacity(g, reg->host.ncpus);
		if (g->cpu_pct_host >= 0)
			t->cpus_used += g->cpu_pct_host * reg->host.ncpus / 100.0;
		t->mem_alloc += g->alloc.mem_bytes ? g->alloc.mem_bytes : 0;
		t->mem_used += g->sample.mem_used;
	}
}

int vd_registry_pollfds(struct vd_registry *reg, struct pollfd *fds, int max, int *timeout_ms)
{
	reg->poll_counts = vd_xrealloc(reg->poll_counts, (reg->n_backends + 1) * sizeof(int));
	int n = 0;
	for (size_t i = 0; i < reg->n_backends; i++) {
		struct vd_backend *be = reg->backends[i];
		int got = 0;
		if (be->ops->pollfds && n < max)
			got = be->ops->pollfds(be, fds + n, max - n, timeout_ms);
		reg->poll_counts[i] = got > 0 ? got : 0;
		n += reg->poll_counts[i];
	}
	return n;
}

int vd_registry_dispatch(struct vd_registry *reg, const struct pollfd *fds, int n)
{
	int off = 0, want = 0;
	for (size_t i = 0; reg->poll_counts && i < reg->n_backends && off < n; i++) {
		struct vd_backend *be = reg->backends[i];
		int cnt = reg->poll_counts[i];
		if (cnt && be->ops->dispatch && be->ops->dispatch(be, fds + off, cnt) > 0)
			want = 1;
		off += cnt;
	}
	return want;
}
