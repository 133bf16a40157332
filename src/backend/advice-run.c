/* advice-run.c - advice from the history for live guests, and applying or undoing it. */
#include "backend/advice-run.h"

#include <errno.h>

int vd_advice_for_guest(struct vd_history *h, const struct vd_advice_params *p, const struct vd_guest *g,
			int64_t now, struct vd_advice *out, struct vd_error **err)
{
	struct vd_history_key k = vd_history_key_of(g);
	_cleanup_free_ struct vd_advice_point *pts = NULL;
	size_t n = 0;
	int64_t since = now - (int64_t)(p->window_days * 86400);
	if (vd_history_advice_points(h, &k, since, now, &pts, &n, err) < 0)
		return vd_error_wrap(err, "advice for %s", g->name);
	vd_advice_compute(p, g->kind, &g->alloc, pts, n, now, out);
	return 0;
}

static bool advice_moves(enum vd_advice_move m)
{
	return m == VD_MOVE_SHRINK || m == VD_MOVE_GROW;
}

/* CPUs the guest is using right now, or -1 when not known. */
static double advice_cpu_now(const struct vd_guest *g)
{
	double cap = vd_advice_cpu_capacity(&g->alloc);
	return g->cpu_pct_alloc >= 0 && cap > 0 ? g->cpu_pct_alloc * cap / 100.0 : -1;
}

static int advice_check_use(const struct vd_guest *g, const struct vd_resize *rs, struct vd_error **err)
{
	char want[16], used[16];
	if (rs->mem_bytes && g->sample.valid && g->sample.mem_used > rs->mem_bytes)
		return vd_error_set(err, EPERM, "refusing to set the memory of %s to %s: it uses %s right now (%s); "
				    "apply when it uses less", g->name, vd_format_size(rs->mem_bytes, want, sizeof(want)),
				    vd_format_size(g->sample.mem_used, used, sizeof(used)),
				    vd_mem_source_name(g->sample.mem_source));
	double cpus = rs->cpus > 0 ? rs->cpus : (double)rs->vcpus, now = advice_cpu_now(g);
	if (cpus > 0 && now > cpus)
		return vd_error_set(err, EPERM, "refusing to give %s %.2g CPUs: it uses %.2f CPUs right now; "
				    "apply when it is quieter", g->name, cpus, now);
	return 0;
}

int vd_advice_resize_for(const struct vd_guest *g, const struct vd_advice *a, struct vd_resize *out,
			 struct vd_error **err)
{
	memset(out, 0, sizeof(*out));
	out->flags = VD_RESIZE_LIVE;
	if (a->verdict == VD_VERDICT_COLLECTING)
		return vd_error_set(err, EPERM, "no advice for %s yet: still collecting data (%.0fh so far)", g->name,
				    a->hours);
	if (advice_moves(a->cpu_move)) {
		if (g->kind == VD_KIND_VM && g->alloc.cpu_limit <= 0)
			out->vcpus = (unsigned)a->cpu_rec;
		else
			out->cpus = a->cpu_rec;
	}
	if (advice_moves(a->mem_move))
		out->mem_bytes = a->mem_rec;
	if (!out->vcpus && out->cpus <= 0 && !out->mem_bytes)
		return vd_error_set(err, EPERM, "nothing to change for %s: the advice is %s", g->name,
				    vd_advice_verdict_name(a->verdict));
	return advice_check_use(g, out, err);
}

int vd_advice_apply(struct vd_history *h, struct vd_guest *g, const struct vd_advice *a, int64_t now,
		    struct vd_error **err)
{
	struct vd_resize rs;
	if (vd_advice_resize_for(g, a, &rs, err) < 0)
		return -EPERM;
	/* the old size is on record before anything changes, so an undo is always possible */
	struct vd_history_key k = vd_history_key_of(g);
	if (vd_history_log_resize(h, &k, now, &g->alloc, &rs, err) < 0)
		return vd_error_wrap(err, "not resizing %s: its current size could not be recorded for undo", g->name);
	int r = vd_backend_resize(g->backend, g->name, &rs, err);
	if (r < 0) {
		struct vd_history_resize last;
		if (vd_history_last_resize(h, &k, &last, NULL) == 0)
			vd_history_mark_undone(h, last.id, NULL);
		return r;
	}
	return 0;
}

int vd_advice_undo(struct vd_history *h, struct vd_guest *g, struct vd_error **err)
{
	struct vd_history_key k = vd_history_key_of(g);
	struct vd_history_resize last;
	if (vd_history_last_resize(h, &k, &last, err) < 0)
		return -ENOENT;
	struct vd_resize rs = { .flags = VD_RESIZE_LIVE };
	if (last.applied.vcpus)
		rs.vcpus = last.old_alloc.vcpus;
	if (last.applied.cpus > 0 && last.old_alloc.cpu_limit <= 0)
		return vd_error_set(err, ENOTSUP, "cannot undo %s: it had no CPU limit before, and a resize cannot "
				    "remove a limit; raise it with `virtdeck resize %s --cpus N`", g->name, g->name);
	if (last.applied.cpus > 0)
		rs.cpus = last.old_alloc.cpu_limit;
	if (last.applied.mem_bytes)
		rs.mem_bytes = last.old_alloc.mem_bytes;
	int r = vd_backend_resize(g->backend, g->name, &rs, err);
	if (r < 0)
		return vd_error_wrap(err, "undoing the advice");
	return vd_history_mark_undone(h, last.id, err);
}
