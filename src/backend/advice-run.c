/* advice-run.c - advice from the history for live guests, and applying or undoing it. */
#include "backend/advice-run.h"

#include <errno.h>
#include <math.h>

void vd_advice_config_default(struct vd_advice_config *c)
{
	vd_advice_params_default(&c->advice);
	vd_sprawl_params_default(&c->sprawl);
	vd_history_opts_default(&c->history);
}

int vd_advice_parse_duration(const char *s, double *out)
{
	static const char units[] = "smhd";
	static const double mult[] = { 1, 60, 3600, 86400 };
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || v < 0 || !isfinite(v) || (*end && end[1]))
		return -EINVAL;
	const char *u = *end ? strchr(units, *end) : units;
	if (!u || !*u)
		return -EINVAL;
	*out = v * mult[u - units];
	return 0;
}

static int advice_set_days(double *field, const char *value, const char **msg)
{
	double d;
	if (vd_parse_double(value, &d) < 0 || d < 0 || d > 3650) {
		*msg = "expected a number of days such as 7";
		return -EINVAL;
	}
	*field = d;
	return 0;
}

/* history_keep_raw / _minute / _hour: a duration of at least an hour. */
static int advice_set_keep(struct vd_history_opts *o, int res, const char *value, const char **msg)
{
	double s;
	if (vd_advice_parse_duration(value, &s) < 0 || s < 3600 || s > 3650 * 86400.0) {
		*msg = "expected a duration of at least 1h such as 24h or 7d";
		return -EINVAL;
	}
	o->keep_s[res] = (unsigned)s;
	return 0;
}

static int advice_set_uint(unsigned *field, const char *value, unsigned lo, unsigned hi,
			   const char *m, const char **msg)
{
	uint64_t v;
	if (vd_parse_u64(value, &v) < 0 || v < lo || v > hi) {
		*msg = m;
		return -EINVAL;
	}
	*field = (unsigned)v;
	return 0;
}

static int advice_set_history(struct vd_history_opts *o, const char *key, const char *value,
			      const char **msg)
{
	static const char *const keep[] = { "history_keep_raw", "history_keep_minute",
					    "history_keep_hour" };
	for (int r = 0; r < VD_HISTORY__RES; r++)
		if (vd_streq(key, keep[r]))
			return advice_set_keep(o, r, value, msg);
	if (vd_streq(key, "history_raw_seconds"))
		return advice_set_uint(&o->raw_step_s, value, 1, 60, "expected seconds between 1 and 60", msg);
	if (vd_streq(key, "history_commit_seconds"))
		return advice_set_uint(&o->commit_s, value, 1, 3600, "expected seconds between 1 and 3600", msg);
	if (!vd_streq(key, "history_max_size")) {
		*msg = "unknown history key: known keys are history_raw_seconds history_keep_raw history_keep_minute "
		       "history_keep_hour history_max_size history_commit_seconds";
		return -EINVAL;
	}
	if (vd_parse_size(value, &o->max_bytes) < 0) {
		*msg = "expected a size such as 1G (0 = no bound)";
		return -EINVAL;
	}
	return 0;
}

int vd_advice_config_set(struct vd_advice_config *c, const char *key, const char *value,
			 const char **msg)
{
	if (!value)
		value = "";
	if (vd_streq(key, "half_life_hours")) {
		int r = vd_advice_params_set(&c->advice, key, value, msg);
		c->history.half_life_h = c->advice.half_life_h;
		return r;
	}
	if (vd_streq(key, "idle_days"))
		return advice_set_days(&c->sprawl.idle_days, value, msg);
	if (vd_streq(key, "stopped_days"))
		return advice_set_days(&c->sprawl.stopped_days, value, msg);
	if (vd_str_has_prefix(key, "history_"))
		return advice_set_history(&c->history, key, value, msg);
	return vd_advice_params_set(&c->advice, key, value, msg);
}

int vd_advice_for_guest(struct vd_history *h, const struct vd_advice_params *p,
			const struct vd_guest *g, int64_t now, struct vd_advice *out,
			struct vd_error **err)
{
	struct vd_history_key k = vd_history_key_of(g);
	struct vd_advice_summary sum;
	if (vd_history_summary(h, &k, &sum, NULL) == 0) {
		vd_advice_from_summary(p, g->kind, &g->alloc, &sum, now, out);
		return 0;
	}
	_cleanup_free_ struct vd_advice_point *pts = NULL;
	size_t n = 0;
	int64_t since = now - (int64_t)(p->window_days * 86400);
	if (vd_history_advice_points(h, &k, since, now, &pts, &n, err) < 0)
		return vd_error_wrap(err, "advice for %s", g->name);
	vd_advice_compute(p, g->kind, &g->alloc, pts, n, now, out);
	return 0;
}

int vd_advice_all(struct vd_history *h, const struct vd_advice_params *p,
		  const struct vd_registry *reg, int64_t now, struct vd_advice **out,
		  struct vd_error **err)
{
	_cleanup_free_ struct vd_advice *v = vd_xcalloc(reg->n_guests ? reg->n_guests : 1, sizeof(*v));
	for (size_t i = 0; i < reg->n_guests; i++) {
		int r = vd_advice_for_guest(h, p, &reg->guests[i], now, &v[i], err);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(v);
	return 0;
}

const char *vd_advice_size_text(const struct vd_guest *g, const struct vd_advice *a, char *buf,
				size_t len)
{
	char mem[16];
	if (a->verdict == VD_VERDICT_COLLECTING) {
		snprintf(buf, len, "-");
		return buf;
	}
	vd_format_size(a->mem_move == VD_MOVE_NA ? 0 : a->mem_rec, mem, sizeof(mem));
	if (g->kind == VD_KIND_VM && g->alloc.cpu_limit <= 0)
		snprintf(buf, len, "%.0f vCPU %s", a->cpu_rec, a->mem_move == VD_MOVE_NA ? "-" : mem);
	else
		snprintf(buf, len, "%.1f CPU %s", a->cpu_rec, a->mem_move == VD_MOVE_NA ? "-" : mem);
	return buf;
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

static int advice_check_use(const struct vd_guest *g, const struct vd_resize *rs,
			    struct vd_error **err)
{
	char want[16], used[16];
	if (rs->mem_bytes && g->sample.valid && g->sample.mem_used > rs->mem_bytes)
		return vd_error_set(
			err, EPERM,
			"refusing to set the memory of %s to %s: it uses %s right now (%s); "
			"apply when it uses less",
			g->name, vd_format_size(rs->mem_bytes, want, sizeof(want)),
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
		return vd_error_set(err, EPERM,
				    "no advice for %s yet: still collecting data (%.0fh so far)",
				    g->name, a->hours);
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

int vd_advice_change_text(const struct vd_guest *g, const struct vd_advice *a, char *buf,
			  size_t len, struct vd_error **err)
{
	struct vd_resize rs;
	char x[16], y[16], cpu[48] = "";
	int r = vd_advice_resize_for(g, a, &rs, err);
	if (r < 0)
		return r;
	if (rs.vcpus)
		snprintf(cpu, sizeof(cpu), "vCPUs %u -> %u", g->alloc.vcpus, rs.vcpus);
	else if (rs.cpus > 0)
		snprintf(cpu, sizeof(cpu), "CPU %g -> %g", vd_advice_cpu_capacity(&g->alloc), rs.cpus);
	if (rs.mem_bytes)
		snprintf(buf, len, "memory %s -> %s%s%s", vd_format_size(g->alloc.mem_bytes, x, sizeof(x)),
			 vd_format_size(rs.mem_bytes, y, sizeof(y)), *cpu ? ", " : "", cpu);
	else
		snprintf(buf, len, "%s", cpu);
	return 0;
}

int vd_advice_apply(struct vd_history *h, struct vd_guest *g, const struct vd_advice *a,
		    int64_t now, struct vd_error **err)
{
	struct vd_resize rs;
	int rc = vd_advice_resize_for(g, a, &rs, err);
	if (rc < 0)
		return rc;
	/* the old size is on record before anything changes, so an undo is always possible */
	struct vd_history_key k = vd_history_key_of(g);
	if (vd_history_log_resize(h, &k, now, &g->alloc, &rs, err) < 0)
		return vd_error_wrap(
			err, "not resizing %s: its current size could not be recorded for undo",
			g->name);
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
	int rc = vd_history_last_resize(h, &k, &last, err);
	if (rc < 0)
		return rc;
	struct vd_resize rs = { .flags = VD_RESIZE_LIVE };
	if (last.applied.vcpus)
		rs.vcpus = last.old_alloc.vcpus;
	if (last.applied.cpus > 0 && last.old_alloc.cpu_limit <= 0)
		return vd_error_set(
			err, ENOTSUP,
			"cannot undo %s: it had no CPU limit before, and a resize cannot "
			"remove a limit; raise it with `virtdeck resize %s --cpus N`",
			g->name, g->name);
	if (last.applied.cpus > 0)
		rs.cpus = last.old_alloc.cpu_limit;
	if (last.applied.mem_bytes)
		rs.mem_bytes = last.old_alloc.mem_bytes;
	int r = vd_backend_resize(g->backend, g->name, &rs, err);
	if (r < 0)
		return vd_error_wrap(err, "undoing the advice");
	return vd_history_mark_undone(h, last.id, err);
}
