/* history-query.c - reading the history: series for graphs, points for advice, guests, resize log.
 */
#include "backend/history-priv.h"

#include <errno.h>

static const char hist_points_sql[] =
	"SELECT s.t, s.dur, s.run_s, s.cpu_m_avg, s.cpu_m_max, s.mem_avg, s.mem_max, s.io_bps, s.net_bps, s.io_max,"
	" s.oom, s.state, s.vcpus, s.cpu_limit, s.mem_alloc, s.mem_kpeak"
	" FROM sample s JOIN guest g ON g.id = s.guest"
	" WHERE g.engine=?1 AND g.host=?2 AND g.name=?3 AND s.res=?4 AND s.t>=?5 AND s.t<=?6 ORDER BY s.t";

static void hist_row_point(sqlite3_stmt *st, struct vd_advice_point *p)
{
	p->t = sqlite3_column_int64(st, 0);
	p->dur = (uint32_t)(sqlite3_column_double(st, 1) + 0.5);
	p->run_s = (uint32_t)(sqlite3_column_double(st, 2) + 0.5);
	p->cpu_avg = sqlite3_column_double(st, 3) / 1000.0; /* stored in millicores */
	p->cpu_max = sqlite3_column_double(st, 4) / 1000.0;
	p->mem_avg = sqlite3_column_double(st, 5);
	p->mem_max = sqlite3_column_double(st, 6);
	p->io_bps = sqlite3_column_double(st, 7);
	p->net_bps = sqlite3_column_double(st, 8);
	p->io_max = sqlite3_column_double(st, 9);
	p->oom = (uint32_t)sqlite3_column_int(st, 10);
	p->state = (enum vd_state)sqlite3_column_int(st, 11);
	p->alloc.vcpus = (unsigned)sqlite3_column_int(st, 12);
	p->alloc.cpu_limit = sqlite3_column_double(st, 13);
	p->alloc.mem_bytes = p->alloc.mem_max_bytes = (uint64_t)sqlite3_column_int64(st, 14);
	p->mem_kpeak = sqlite3_column_double(st, 15);
}

/* Append the rows of one tier in [since, until] to *out. */
static int hist_load(struct vd_history *h, const struct vd_history_key *k, int res, int64_t since,
		     int64_t until, struct vd_advice_point **out, size_t *n, struct vd_error **err)
{
	/* prepared once: advice for every guest runs this a thousand times in a row */
	int r = !h->st_points ? hist_prepare(h, hist_points_sql, &h->st_points, err) : 0;
	if (r < 0)
		return r;
	sqlite3_stmt *st = h->st_points;
	hist_bind_key(st, k);
	sqlite3_bind_int(st, 4, res);
	sqlite3_bind_int64(st, 5, since);
	sqlite3_bind_int64(st, 6, until);
	size_t cap = *n;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*out = vd_xrealloc(*out, cap * sizeof(**out));
		}
		hist_row_point(st, &(*out)[(*n)++]);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "reading samples", err);
}

int vd_history_series(struct vd_history *h, const struct vd_history_key *k, int64_t since,
		      int64_t until, int res, struct vd_advice_point **out, size_t *n,
		      struct vd_error **err)
{
	*out = NULL;
	*n = 0;
	if (!h)
		return 0; /* running without history: no points */
	if (res < 0) {
		res = VD_HISTORY_HOUR;
		for (int r = VD_HISTORY_MINUTE; r >= VD_HISTORY_RAW; r--)
			if (since >= until - (int64_t)h->o.keep_s[r])
				res = r;
	}
	if (res >= VD_HISTORY__RES)
		return vd_error_set(err, EINVAL, "history: no resolution %d", res);
	int r = hist_load(h, k, res, since, until, out, n, err);
	if (r < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

int vd_history_advice_points(struct vd_history *h, const struct vd_history_key *k, int64_t since,
			     int64_t now, struct vd_advice_point **out, size_t *n,
			     struct vd_error **err)
{
	*out = NULL;
	*n = 0;
	if (!h)
		return 0;
	/* hour rows only where minute rows are gone, so no stretch of time counts twice */
	int64_t minute_from = now - (int64_t)h->o.keep_s[VD_HISTORY_MINUTE];
	if (minute_from < since)
		minute_from = since;
	int r = 0;
	if (since < minute_from)
		r = hist_load(h, k, VD_HISTORY_HOUR, since, minute_from - 3600, out, n, err);
	if (r == 0)
		r = hist_load(h, k, VD_HISTORY_MINUTE, minute_from, now, out, n, err);
	if (r < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

/* ------------------------------------------------------------------ guests */

static void hist_row_guest(sqlite3_stmt *st, struct vd_history_guest *g)
{
	memset(g, 0, sizeof(*g));
	vd_strlcpy(g->engine, (const char *)sqlite3_column_text(st, 0), sizeof(g->engine));
	vd_strlcpy(g->host, (const char *)sqlite3_column_text(st, 1), sizeof(g->host));
	vd_strlcpy(g->name, (const char *)sqlite3_column_text(st, 2), sizeof(g->name));
	g->kind = (enum vd_kind)sqlite3_column_int(st, 3);
	g->state = (enum vd_state)sqlite3_column_int(st, 4);
	g->first_seen = sqlite3_column_int64(st, 5);
	g->last_seen = sqlite3_column_int64(st, 6);
	g->state_since = sqlite3_column_int64(st, 7);
	g->alloc.vcpus = (unsigned)sqlite3_column_int(st, 8);
	g->alloc.cpu_limit = sqlite3_column_double(st, 9);
	g->alloc.mem_bytes = g->alloc.mem_max_bytes = (uint64_t)sqlite3_column_int64(st, 10);
}

int vd_history_guests(struct vd_history *h, struct vd_history_guest **out, size_t *n,
		      struct vd_error **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "SELECT engine, host, name, kind, state, first_seen, last_seen, "
			     "state_since, vcpus, cpu_limit, mem_alloc FROM guest ORDER BY name, "
			     "engine, host", &st, err);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = vd_xrealloc(*out, (*n + 1) * sizeof(**out));
		hist_row_guest(st, &(*out)[(*n)++]);
	}
	if (rc == SQLITE_DONE)
		return 0;
	free(*out);
	*out = NULL;
	*n = 0;
	return hist_sql_error(h, rc, "listing guests", err);
}

static bool hist_spec_match(const struct vd_history_guest *g, const char *spec)
{
	const char *sep = strpbrk(spec, ":/");
	if (!sep)
		return vd_streq(g->name, spec);
	size_t pl = (size_t)(sep - spec);
	const char *qual = *sep == ':' ? g->engine : g->host;
	return strlen(qual) == pl && strncmp(qual, spec, pl) == 0 && vd_streq(g->name, sep + 1);
}

int vd_history_find(struct vd_history *h, const char *spec, struct vd_history_guest *out,
		    struct vd_error **err)
{
	_cleanup_free_ struct vd_history_guest *all = NULL;
	size_t n = 0, hits = 0;
	int r = vd_history_guests(h, &all, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (hist_spec_match(&all[i], spec) && hits++ == 0)
			*out = all[i];
	if (hits == 1)
		return 0;
	if (hits == 0)
		return vd_error_set(err, ENOENT, "no history for a guest named %s: `virtdeck collect` records it "
				    "(history %s)", spec, h->path);
	return vd_error_set(
		err, EEXIST,
		"%zu guests in the history are named %s: say which with ENGINE:%s or HOST/%s", hits,
		spec, spec, spec);
}

/* ------------------------------------------------------------------ resize log */

static int hist_guest_id(struct vd_history *h, const struct vd_history_key *k, int64_t *id,
			 struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "SELECT id FROM guest WHERE engine=? AND host=? AND name=?",
			     &st, err);
	if (r < 0)
		return r;
	hist_bind_key(st, k);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		return 0;
	}
	if (rc == SQLITE_DONE)
		return vd_error_set(err, ENOENT, "no history for guest %s (engine %s, host %s)",
				    k->name, k->engine, k->host);
	return hist_sql_error(h, rc, "finding a guest", err);
}

int vd_history_log_resize(struct vd_history *h, const struct vd_history_key *k, int64_t now,
			  const struct vd_alloc *old_alloc, const struct vd_resize *applied, struct vd_error **err)
{
	int64_t id = 0;
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_guest_id(h, k, &id, err);
	if (r < 0)
		return r;
	r = hist_prepare(h, "INSERT INTO resize(guest,t,old_vcpus,old_cpu_limit,old_mem,"
			 "new_vcpus,new_cpus,new_mem) VALUES(?,?,?,?,?,?,?,?)", &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, (int)old_alloc->vcpus);
	sqlite3_bind_double(st, 4, old_alloc->cpu_limit);
	sqlite3_bind_int64(st, 5, (int64_t)old_alloc->mem_bytes);
	sqlite3_bind_int(st, 6, (int)applied->vcpus);
	sqlite3_bind_double(st, 7, applied->cpus);
	sqlite3_bind_int64(st, 8, (int64_t)applied->mem_bytes);
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "recording a resize", err);
}

int vd_history_last_resize(struct vd_history *h, const struct vd_history_key *k,
			   struct vd_history_resize *out, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int ret = hist_prepare(h, "SELECT r.id, r.t, r.old_vcpus, r.old_cpu_limit, r.old_mem, "
			       "r.new_vcpus, r.new_cpus, r.new_mem FROM resize r JOIN guest g ON "
			       "g.id = r.guest WHERE g.engine=? AND g.host=? AND g.name=? AND "
			       "r.undone=0 ORDER BY r.id DESC LIMIT 1", &st, err);
	if (ret < 0)
		return ret;
	hist_bind_key(st, k);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return vd_error_set(err, ENOENT,
				    "nothing to undo for %s: no resize applied through the advice",
				    k->name);
	if (rc != SQLITE_ROW)
		return hist_sql_error(h, rc, "reading the resize log", err);
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->t = sqlite3_column_int64(st, 1);
	out->old_alloc.vcpus = (unsigned)sqlite3_column_int(st, 2);
	out->old_alloc.cpu_limit = sqlite3_column_double(st, 3);
	out->old_alloc.mem_bytes = (uint64_t)sqlite3_column_int64(st, 4);
	out->applied.vcpus = (unsigned)sqlite3_column_int(st, 5);
	out->applied.cpus = sqlite3_column_double(st, 6);
	out->applied.mem_bytes = (uint64_t)sqlite3_column_int64(st, 7);
	return 0;
}

int vd_history_mark_undone(struct vd_history *h, int64_t id, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "UPDATE resize SET undone=1 WHERE id=?", &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "updating the resize log", err);
}
