/* history.c - the history database: open, schema, recording with in-memory buckets, retention. */
#include "backend/history-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"
#include "common/paths.h"

#define HIST_SCHEMA_VERSION 2
#define HIST_MAINT_EVERY_S 600

static const char hist_schema[] =
	"CREATE TABLE IF NOT EXISTS guest("
	" id INTEGER PRIMARY KEY, engine TEXT NOT NULL, host TEXT NOT NULL, name TEXT NOT NULL,"
	" kind INTEGER, state INTEGER, first_seen INTEGER, last_seen INTEGER, state_since INTEGER,"
	" vcpus INTEGER, cpu_limit REAL, mem_alloc INTEGER,"
	" last_t_ns INTEGER, last_cpu_ns INTEGER, last_io INTEGER, last_net INTEGER, last_oom INTEGER,"
	" last_peak INTEGER, UNIQUE(engine, host, name));"
	"CREATE TABLE IF NOT EXISTS sample("
	" guest INTEGER NOT NULL, res INTEGER NOT NULL, t INTEGER NOT NULL,"
	" dur REAL, run_s REAL, cpu_m_avg REAL, cpu_m_max REAL, mem_avg REAL, mem_max REAL, mem_n INTEGER,"
	" io_bps REAL, net_bps REAL, io_max REAL, oom INTEGER, state INTEGER,"
	" vcpus INTEGER, cpu_limit REAL, mem_alloc INTEGER, mem_kpeak REAL NOT NULL DEFAULT 0,"
	" PRIMARY KEY(guest, res, t)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS resize("
	" id INTEGER PRIMARY KEY, guest INTEGER NOT NULL, t INTEGER NOT NULL,"
	" old_vcpus INTEGER, old_cpu_limit REAL, old_mem INTEGER,"
	" new_vcpus INTEGER, new_cpus REAL, new_mem INTEGER, undone INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS summary(guest INTEGER PRIMARY KEY, data BLOB NOT NULL);";

/* Version 1 to 2: the kernel's peak between samples (sample.mem_kpeak) and the last peak seen
 * (guest.last_peak), so a rise of the kernel's high-water mark is dated to its interval. */
static const char hist_migrate_v2[] =
	"ALTER TABLE sample ADD COLUMN mem_kpeak REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE guest ADD COLUMN last_peak INTEGER;"
	"PRAGMA user_version=2;";

/* A bucket written a second time (a restart inside a minute, two flushes) merges into its row:
 * averages weighted by the seconds they cover, maxima kept, counts added. */
static const char hist_flush_sql[] =
	"INSERT INTO sample(guest,res,t,dur,run_s,cpu_m_avg,cpu_m_max,mem_avg,mem_max,mem_n,io_bps,net_bps,"
	"io_max,oom,state,vcpus,cpu_limit,mem_alloc,mem_kpeak)"
	" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(guest,res,t) DO UPDATE SET"
	" cpu_m_avg=CASE WHEN dur+excluded.dur>0 THEN (cpu_m_avg*dur+excluded.cpu_m_avg*excluded.dur)/(dur+excluded.dur) ELSE 0 END,"
	" io_bps=CASE WHEN dur+excluded.dur>0 THEN (io_bps*dur+excluded.io_bps*excluded.dur)/(dur+excluded.dur) ELSE 0 END,"
	" net_bps=CASE WHEN dur+excluded.dur>0 THEN (net_bps*dur+excluded.net_bps*excluded.dur)/(dur+excluded.dur) ELSE 0 END,"
	" mem_avg=CASE WHEN mem_n+excluded.mem_n>0 THEN (mem_avg*mem_n+excluded.mem_avg*excluded.mem_n)/(mem_n+excluded.mem_n) ELSE 0 END,"
	" dur=dur+excluded.dur, run_s=run_s+excluded.run_s, mem_n=mem_n+excluded.mem_n,"
	" cpu_m_max=max(cpu_m_max,excluded.cpu_m_max), mem_max=max(mem_max,excluded.mem_max),"
	" io_max=max(io_max,excluded.io_max), oom=oom+excluded.oom, state=excluded.state,"
	" mem_kpeak=max(mem_kpeak,excluded.mem_kpeak),"
	" vcpus=excluded.vcpus, cpu_limit=excluded.cpu_limit, mem_alloc=excluded.mem_alloc";

static const char hist_counters_sql[] =
	"UPDATE guest SET last_seen=?, last_t_ns=?, last_cpu_ns=?, last_io=?, last_net=?, last_oom=?,"
	" vcpus=?, cpu_limit=?, mem_alloc=?, last_peak=? WHERE id=?";

void vd_history_opts_default(struct vd_history_opts *o)
{
	*o = (struct vd_history_opts){
		.raw_step_s = 10,
		.keep_s = { 24 * 3600, 7 * 24 * 3600, 90 * 24 * 3600 },
		.max_bytes = 1024ull * 1024 * 1024,
		.max_gap_s = 3600,
		.commit_s = 60,
		.half_life_h = 24,
		.recorder = true,
	};
}

unsigned hist_step_s(const struct vd_history *h, int res)
{
	static const unsigned steps[VD_HISTORY__RES] = { 0, 60, 3600 };
	return res == VD_HISTORY_RAW ? h->o.raw_step_s : steps[res];
}

int hist_sql_error(struct vd_history *h, int rc, const char *what, struct vd_error **err)
{
	const char *msg = h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return vd_error_set(err, EILSEQ,
				    "history database %s is damaged (%s while %s): move it aside "
				    "(mv %s %s.bad; rm -f %s-wal %s-shm) and virtdeck starts a new one; until then "
				    "it runs without history", h->path, msg, what, h->path, h->path, h->path, h->path);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return vd_error_set(err, EBUSY,
				    "history database %s is locked by another process (%s while %s): "
				    "close the other virtdeck or try again; virtdeck runs without history meanwhile",
				    h->path, msg, what);
	case SQLITE_FULL:
		return vd_error_set(err, ENOSPC, "history database %s: disk full while %s: free space or lower "
				    "the history size bound", h->path, what);
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return vd_error_set(err, EACCES, "history database %s cannot be written (%s while %s): check the "
				    "directory's permissions", h->path, msg, what);
	default:
		return vd_error_set(err, EIO, "history database %s: %s while %s", h->path, msg, what);
	}
}

int hist_exec(struct vd_history *h, const char *sql, struct vd_error **err)
{
	int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : hist_sql_error(h, rc, "running a statement", err);
}

int hist_prepare(struct vd_history *h, const char *sql, sqlite3_stmt **st, struct vd_error **err)
{
	int rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	return rc == SQLITE_OK ? 0 : hist_sql_error(h, rc, "preparing a query", err);
}

/* ------------------------------------------------------------------ open / close */

static void hist_guests_free(struct vd_history *h)
{
	for (size_t i = 0; i < h->n_guests; i++) {
		free(h->guests[i]->key);
		free(h->guests[i]);
	}
	free(h->guests);
	free(h->hint);
	free(h->pending);
	h->guests = NULL;
	h->hint = NULL;
	h->n_guests = h->n_hint = 0;
}

/* The recorder lock: an flock on "<db>.recorder" so only one process writes samples. */
static bool hist_try_lock(struct vd_history *h)
{
	if (h->lock_fd < 0) {
		_cleanup_free_ char *lp = vd_xasprintf("%s.recorder", h->path);
		h->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (h->lock_fd < 0)
			return false;
	}
	return flock(h->lock_fd, LOCK_EX | LOCK_NB) == 0;
}

bool vd_history_recording(struct vd_history *h)
{
	if (h && !h->recorder && h->o.recorder && hist_try_lock(h)) {
		/* Another process recorded until now: forget what this one remembered of the guests
		 * so the counters it saved are picked up and no stretch is counted twice. */
		hist_guests_free(h);
		h->recorder = true;
	}
	return h && h->recorder;
}

static int hist_default_path(char **out, struct vd_error **err)
{
	_cleanup_free_ char *dir = NULL;
	if (vd_paths_data_dir(&dir, err) < 0 || vd_paths_ensure(dir, err) < 0)
		return vd_error_wrap(err, "opening the history");
	*out = vd_xasprintf("%s/history.db", dir);
	return 0;
}

static int hist_user_version(struct vd_history *h, int *v, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "PRAGMA user_version", &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return hist_sql_error(h, rc, "reading the schema version", err);
	*v = sqlite3_column_int(st, 0);
	return 0;
}

/* Create the tables in a new file; an existing one is only checked, so opening it never
 * needs the write lock. */
static int hist_create(struct vd_history *h, struct vd_error **err)
{
	char version[64];
	snprintf(version, sizeof(version), "PRAGMA user_version=%d", HIST_SCHEMA_VERSION);
	/* auto_vacuum must be chosen before the first table exists; it lets the size bound give
	 * pages back to the file system with incremental_vacuum. */
	int r = hist_exec(h, "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;", err);
	if (r == 0)
		r = hist_exec(h, hist_schema, err);
	return r == 0 ? hist_exec(h, version, err) : r;
}

/* An older file gains the new columns in one transaction; a second virtdeck that opened it at
 * the same time finds the work done once it gets the lock. */
static int hist_migrate(struct vd_history *h, struct vd_error **err)
{
	int v = 0;
	int r = hist_exec(h, "BEGIN IMMEDIATE", err);
	if (r == 0)
		r = hist_user_version(h, &v, err);
	if (r == 0 && v == 1)
		r = hist_exec(h, hist_migrate_v2, err);
	if (r == 0 && (r = hist_exec(h, "COMMIT", err)) == 0)
		return 0;
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return vd_error_wrap(err, "upgrading history database %s to schema version %d", h->path,
			     HIST_SCHEMA_VERSION);
}

static int hist_schema_setup(struct vd_history *h, struct vd_error **err)
{
	sqlite3_busy_timeout(h->db, 2000);
	int v = 0, r = hist_exec(h, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;", err);
	if (r == 0)
		r = hist_user_version(h, &v, err);
	if (r == 0 && v == 1)
		r = hist_migrate(h, err);
	if (r == 0 && v == 0)
		r = hist_create(h, err);
	else if (r == 0 && (v == 1 || v == HIST_SCHEMA_VERSION))
		r = hist_exec(h, hist_schema, err); /* tables added since (IF NOT EXISTS: no write otherwise) */
	else if (r == 0 && v != HIST_SCHEMA_VERSION)
		return vd_error_set(
			err, EPROTO,
			"history database %s has schema version %d, this virtdeck knows %d: "
			"use the virtdeck that wrote it, or move the file aside",
			h->path, v, HIST_SCHEMA_VERSION);
	if (r == 0)
		r = hist_prepare(h, hist_flush_sql, &h->st_flush, err);
	if (r == 0)
		r = hist_prepare(h, hist_counters_sql, &h->st_guest_counters, err);
	if (r == 0)
		r = hist_prepare(h, "INSERT OR REPLACE INTO summary(guest, data) VALUES(?, ?)",
				 &h->st_summary, err);
	return r;
}

int vd_history_open(const struct vd_history_opts *o, struct vd_history **out, struct vd_error **err)
{
	struct vd_history *h = vd_xcalloc(1, sizeof(*h));
	h->lock_fd = -1;
	if (o)
		h->o = *o;
	else
		vd_history_opts_default(&h->o);
	if (!h->o.raw_step_s)
		h->o.raw_step_s = 1;
	if (!(h->o.half_life_h > 0))
		h->o.half_life_h = 24;
	int r = h->o.path ? 0 : hist_default_path(&h->path, err);
	if (r == 0 && !h->path)
		h->path = vd_xstrdup(h->o.path);
	h->o.path = h->path;
	if (r == 0) {
		int rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
		r = rc == SQLITE_OK ? hist_schema_setup(h, err) : hist_sql_error(h, rc, "opening", err);
	}
	if (r < 0) {
		vd_history_close(h);
		return r;
	}
	vd_history_recording(h);
	*out = h;
	return 0;
}

const char *vd_history_path(const struct vd_history *h)
{
	return h ? h->path : NULL;
}

void vd_history_close(struct vd_history *h)
{
	if (!h)
		return;
	_cleanup_error_ struct vd_error *err = NULL;
	if (h->db && h->recorder && vd_history_flush(h, &err) < 0)
		vd_warn("%s", err->msg);
	sqlite3_finalize(h->st_flush);
	sqlite3_finalize(h->st_guest_counters);
	sqlite3_finalize(h->st_points);
	sqlite3_finalize(h->st_summary);
	sqlite3_close_v2(h->db);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	hist_guests_free(h);
	free(h->path);
	free(h);
}

/* ------------------------------------------------------------------ transactions */

static int hist_begin(struct vd_history *h, struct vd_error **err)
{
	if (h->in_tx)
		return 0;
	int r = hist_exec(h, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return r;
	h->in_tx = true;
	return 0;
}

static int hist_commit(struct vd_history *h, struct vd_error **err)
{
	if (!h->in_tx)
		return 0;
	h->in_tx = false;
	int r = hist_exec(h, "COMMIT", err);
	if (r < 0)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* ------------------------------------------------------------------ guests in memory */

static char *hist_key_str(const struct vd_history_key *k)
{
	return vd_xasprintf("%s\x1f%s\x1f%s", k->engine, k->host, k->name);
}

struct vd_history_key vd_history_key_of(const struct vd_guest *g)
{
	return (struct vd_history_key){ vd_backend_name(g->backend), g->host, g->name };
}

static int hist_guest_cmp(const void *a, const void *b)
{
	return strcmp((*(struct hist_guest *const *)a)->key, (*(struct hist_guest *const *)b)->key);
}

static struct hist_guest *hist_guest_find(struct vd_history *h, const char *key)
{
	struct hist_guest probe = { .key = (char *)key }, *pp = &probe;
	if (!h->n_guests)
		return NULL;
	struct hist_guest **hit = bsearch(&pp, h->guests, h->n_guests, sizeof(*h->guests), hist_guest_cmp);
	return hit ? *hit : NULL;
}

/* Load what a previous run stored (the id, last counters and state) into hg. */
static int hist_guest_load(struct vd_history *h, struct hist_guest *hg,
			   const struct vd_history_key *k, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "SELECT id, state, last_t_ns, last_cpu_ns, last_io, last_net, "
			     "last_oom, last_peak FROM guest WHERE engine=? AND host=? AND name=?",
			     &st, err);
	if (r < 0)
		return r;
	hist_bind_key(st, k);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : hist_sql_error(h, rc, "reading a guest", err);
	hg->id = sqlite3_column_int64(st, 0);
	hg->state = (enum vd_state)sqlite3_column_int(st, 1);
	hg->have_last = sqlite3_column_type(st, 2) != SQLITE_NULL;
	hg->last.valid = hg->have_last;
	hg->last.t_ns = (uint64_t)sqlite3_column_int64(st, 2);
	hg->last.cpu_ns = (uint64_t)sqlite3_column_int64(st, 3);
	hg->last.io_read = (uint64_t)sqlite3_column_int64(st, 4);
	hg->last.net_rx = (uint64_t)sqlite3_column_int64(st, 5);
	hg->last.oom_events = (uint64_t)sqlite3_column_int64(st, 6);
	hg->last.mem_peak = (uint64_t)sqlite3_column_int64(st, 7);
	return 0;
}

/* The stored summary, if it has this build's layout and this half-life. */
static int hist_summary_load(struct vd_history *h, const struct vd_history_key *k,
			     struct vd_advice_summary *out)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	if (hist_prepare(h, "SELECT s.data FROM summary s JOIN guest g ON g.id = s.guest"
			    " WHERE g.engine=? AND g.host=? AND g.name=?", &st, NULL) < 0)
		return -EIO;
	hist_bind_key(st, k);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != (int)sizeof(*out))
		return -ENOENT;
	memcpy(out, sqlite3_column_blob(st, 0), sizeof(*out));
	if (out->magic != VD_ADVICE_SUMMARY_MAGIC || out->half_life_h != (float)h->o.half_life_h)
		return -ENOENT;
	return 0;
}

int vd_history_summary(struct vd_history *h, const struct vd_history_key *k,
		       struct vd_advice_summary *out, struct vd_error **err)
{
	if (!h)
		return -ENOENT;
	_cleanup_free_ char *key = hist_key_str(k);
	struct hist_guest *hg = h->recorder ? hist_guest_find(h, key) : NULL;
	if (hg) {
		*out = hg->sum;
		return 0;
	}
	return hist_summary_load(h, k, out);
}

static int hist_guest_insert(struct vd_history *h, const struct vd_guest *g,
			     const struct vd_history_key *k, int64_t now, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "INSERT INTO "
			     "guest(engine,host,name,kind,state,first_seen,last_seen,state_since) "
			     "VALUES(?,?,?,?,?,?,?,?)", &st, err);
	if (r < 0)
		return r;
	hist_bind_key(st, k);
	sqlite3_bind_int(st, 4, g->kind);
	sqlite3_bind_int(st, 5, g->state);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "adding a guest", err);
}

/* Keep h->guests sorted by key (a thousand guests arrive one by one on the first record). */
static void hist_guest_insert_sorted(struct vd_history *h, struct hist_guest *hg)
{
	size_t lo = 0, hi = h->n_guests;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(h->guests[mid]->key, hg->key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	h->guests = vd_xrealloc(h->guests, (h->n_guests + 1) * sizeof(*h->guests));
	memmove(&h->guests[lo + 1], &h->guests[lo], (h->n_guests - lo) * sizeof(*h->guests));
	h->guests[lo] = hg;
	h->n_guests++;
}

static struct hist_guest *hist_guest_get(struct vd_history *h, const struct vd_guest *g,
					 int64_t now, struct vd_error **err)
{
	struct vd_history_key k = vd_history_key_of(g);
	_cleanup_free_ char *key = hist_key_str(&k);
	struct hist_guest *hg = hist_guest_find(h, key);
	if (hg)
		return hg;
	hg = vd_xcalloc(1, sizeof(*hg));
	int r = hist_guest_load(h, hg, &k, err);
	if (r == -ENOENT && hist_guest_insert(h, g, &k, now, err) == 0) {
		r = hist_guest_load(h, hg, &k, err);
		hg->state = g->state;
	}
	if (r < 0) {
		free(hg);
		return NULL;
	}
	if (hist_summary_load(h, &k, &hg->sum) < 0)
		vd_advice_summary_init(&hg->sum, h->o.half_life_h);
	hg->key = TAKE_PTR(key);
	vd_strlcpy(hg->engine, k.engine, sizeof(hg->engine));
	vd_strlcpy(hg->host, k.host, sizeof(hg->host));
	vd_strlcpy(hg->name, k.name, sizeof(hg->name));
	hist_guest_insert_sorted(h, hg);
	return hg;
}

/* ------------------------------------------------------------------ buckets */

/* A bucket as advice sees it (the same figures the row will hold). */
static void hist_acc_point(const struct hist_acc *a, struct vd_advice_point *p)
{
	memset(p, 0, sizeof(*p));
	p->t = a->t;
	p->dur = (uint32_t)lround(a->dur);
	p->run_s = (uint32_t)lround(a->run_s);
	p->cpu_avg = a->dur > 0 ? a->cpu_sum / a->dur : 0;
	p->cpu_max = a->cpu_max;
	p->mem_avg = a->mem_n ? a->mem_sum / a->mem_n : 0;
	p->mem_max = a->mem_max;
	p->mem_kpeak = a->mem_kpeak;
	p->io_bps = a->dur > 0 ? a->io_sum / a->dur : 0;
	p->net_bps = a->dur > 0 ? a->net_sum / a->dur : 0;
	p->io_max = a->io_max;
	p->oom = a->oom;
	p->state = a->state;
	p->alloc = a->alloc;
}

/* A finished bucket joins the batch; the batch is written by hist_commit_pending. Finished
 * minutes also go into the guest's advice summary. */
static void hist_flush_acc(struct vd_history *h, struct hist_guest *hg, int res)
{
	if (!hg->acc[res].open)
		return;
	hg->acc[res].open = false;
	if (res == VD_HISTORY_MINUTE) {
		struct vd_advice_point pt;
		hist_acc_point(&hg->acc[res], &pt);
		vd_advice_summary_add(&hg->sum, &pt);
		hg->sum_dirty = true;
	}
	if (h->n_pending == h->cap_pending) {
		h->cap_pending = h->cap_pending ? h->cap_pending * 2 : 1024;
		h->pending = vd_xrealloc(h->pending, h->cap_pending * sizeof(*h->pending));
	}
	h->pending[h->n_pending++] = (struct hist_pending){ hg, res, hg->acc[res] };
}

static int hist_write_row(struct vd_history *h, const struct hist_pending *pd,
			  struct vd_error **err)
{
	const struct hist_acc *a = &pd->acc;
	sqlite3_stmt *st = h->st_flush;
	/* Whole numbers (seconds, millicores, bytes, bytes/s): SQLite stores integral REALs as
	 * small integers, which halves the size of a row. */
	double vals[] = { round(a->dur),
			  round(a->run_s),
			  a->dur > 0 ? round(1000 * a->cpu_sum / a->dur) : 0,
			  round(1000 * a->cpu_max),
			  a->mem_n ? round(a->mem_sum / a->mem_n) : 0,
			  round(a->mem_max) };
	sqlite3_bind_int64(st, 1, pd->hg->id);
	sqlite3_bind_int(st, 2, pd->res);
	sqlite3_bind_int64(st, 3, a->t);
	for (int i = 0; i < 6; i++)
		sqlite3_bind_double(st, 4 + i, vals[i]);
	sqlite3_bind_int(st, 10, (int)a->mem_n);
	sqlite3_bind_double(st, 11, a->dur > 0 ? round(a->io_sum / a->dur) : 0);
	sqlite3_bind_double(st, 12, a->dur > 0 ? round(a->net_sum / a->dur) : 0);
	sqlite3_bind_double(st, 13, round(a->io_max));
	sqlite3_bind_int(st, 14, (int)a->oom);
	sqlite3_bind_int(st, 15, a->state);
	sqlite3_bind_int(st, 16, (int)a->alloc.vcpus);
	sqlite3_bind_double(st, 17, a->alloc.cpu_limit);
	sqlite3_bind_int64(st, 18, (int64_t)a->alloc.mem_bytes);
	sqlite3_bind_double(st, 19, round(a->mem_kpeak));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "writing samples", err);
}

/* Keep the last counters in the guest row so a new process (collect --once from cron)
 * continues the rates where the previous one stopped. */
static int hist_save_counters(struct vd_history *h, const struct hist_guest *hg,
			      struct vd_error **err)
{
	sqlite3_stmt *st = h->st_guest_counters;
	const struct vd_sample *s = &hg->last;
	const struct vd_alloc *a = &hg->acc[VD_HISTORY_RAW].alloc;
	sqlite3_bind_int64(st, 1, hg->seen);
	sqlite3_bind_int64(st, 2, (int64_t)s->t_ns);
	sqlite3_bind_int64(st, 3, (int64_t)s->cpu_ns);
	sqlite3_bind_int64(st, 4, (int64_t)s->io_read); /* sums, see hist_record_guest */
	sqlite3_bind_int64(st, 5, (int64_t)s->net_rx);
	sqlite3_bind_int64(st, 6, (int64_t)s->oom_events);
	sqlite3_bind_int(st, 7, (int)a->vcpus);
	sqlite3_bind_double(st, 8, a->cpu_limit);
	sqlite3_bind_int64(st, 9, (int64_t)a->mem_bytes);
	sqlite3_bind_int64(st, 10, (int64_t)s->mem_peak);
	sqlite3_bind_int64(st, 11, hg->id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "saving counters", err);
}

/* Usage over the interval since the previous sample of the same guest. */
struct hist_interval {
	double dur, cpu, io, net;
	uint32_t oom;
	double kpeak; /* the kernel's peak, when it rose since the previous sample */
};

/* What the kernel counted since the previous sample, with or without a rate interval: with no
 * previous sample (the first of a guest) or after a restart (counters went back), all it counted
 * is new, so an OOM kill or a peak before the first sample is not lost. */
static void hist_kernel_marks(const struct hist_guest *hg, const struct vd_sample *s,
			      struct hist_interval *iv)
{
	const struct vd_sample *p = &hg->last;
	if (!s->valid)
		return;
	bool fresh = !hg->have_last || s->cpu_ns < p->cpu_ns;
	if (fresh || s->oom_events < p->oom_events)
		iv->oom = (uint32_t)s->oom_events;
	else
		iv->oom = (uint32_t)(s->oom_events - p->oom_events);
	if (s->mem_peak > s->mem_used && (fresh || s->mem_peak > p->mem_peak))
		iv->kpeak = (double)s->mem_peak;
}

static void hist_interval(const struct vd_history *h, const struct hist_guest *hg,
			  const struct vd_sample *s, struct hist_interval *iv)
{
	memset(iv, 0, sizeof(*iv));
	hist_kernel_marks(hg, s, iv);
	const struct vd_sample *p = &hg->last;
	/* hg->last keeps io and net as sums in io_read / net_rx (that is what the guest row stores) */
	uint64_t io = s->io_read + s->io_write, net = s->net_rx + s->net_tx;
	if (!s->valid || !hg->have_last || s->t_ns <= p->t_ns || s->cpu_ns < p->cpu_ns)
		return; /* first sample, restarted guest or clock without progress */
	double dt = (double)(s->t_ns - p->t_ns) / 1e9;
	if (dt > h->o.max_gap_s)
		return;
	iv->dur = dt;
	iv->cpu = (double)(s->cpu_ns - p->cpu_ns) / 1e9 / dt;
	iv->io = io >= p->io_read ? (double)(io - p->io_read) / dt : 0;
	iv->net = net >= p->net_rx ? (double)(net - p->net_rx) / dt : 0;
}

static void hist_acc_add(struct hist_acc *a, const struct vd_guest *g,
			 const struct hist_interval *iv)
{
	bool run = g->state == VD_STATE_RUNNING;
	a->dur += iv->dur;
	a->run_s += run ? iv->dur : 0;
	a->cpu_sum += iv->cpu * iv->dur;
	if (iv->dur > 0)
		a->cpu_max = a->cpu_max > iv->cpu ? a->cpu_max : iv->cpu;
	if (vd_state_is_active(g->state) && g->sample.valid) {
		double m = (double)g->sample.mem_used;
		a->mem_sum += m;
		a->mem_n++;
		a->mem_max = a->mem_max > m ? a->mem_max : m;
	}
	/* a stopped guest's last counters may carry a peak reached before it stopped */
	a->mem_kpeak = a->mem_kpeak > iv->kpeak ? a->mem_kpeak : iv->kpeak;
	a->io_sum += iv->io * iv->dur;
	a->net_sum += iv->net * iv->dur;
	if (iv->dur > 0 && iv->io + iv->net > a->io_max)
		a->io_max = iv->io + iv->net;
	a->oom += iv->oom;
	a->state = g->state;
	a->alloc = g->alloc;
}

static void hist_fold(struct vd_history *h, struct hist_guest *hg, const struct vd_guest *g,
		      int64_t now, const struct hist_interval *iv)
{
	for (int res = 0; res < VD_HISTORY__RES; res++) {
		struct hist_acc *a = &hg->acc[res];
		int64_t step = hist_step_s(h, res), t = now - ((now % step) + step) % step;
		if (a->open && a->t != t)
			hist_flush_acc(h, hg, res);
		if (!a->open)
			*a = (struct hist_acc){ .open = true, .t = t };
		hist_acc_add(a, g, iv);
	}
}

static int hist_note_state(struct vd_history *h, struct hist_guest *hg, const struct vd_guest *g,
			   int64_t now, struct vd_error **err)
{
	if (hg->state == g->state)
		return 0;
	hg->state = g->state;
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "UPDATE guest SET state=?, state_since=?, last_seen=? WHERE id=?",
			     &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, g->state);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, hg->id);
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "noting a state change", err);
}

static bool hist_guest_is(const struct hist_guest *hg, const struct vd_guest *g)
{
	return hg && vd_streq(hg->name, g->name) && vd_streq(hg->host, g->host) &&
	       vd_streq(hg->engine, vd_backend_name(g->backend));
}

/* The guest at position i of the registry is usually the one that was there last time. */
static struct hist_guest *hist_guest_at(struct vd_history *h, size_t i, const struct vd_guest *g,
					int64_t now, struct vd_error **err)
{
	if (i < h->n_hint && hist_guest_is(h->hint[i], g))
		return h->hint[i];
	struct hist_guest *hg = hist_guest_get(h, g, now, err);
	if (i >= h->n_hint) {
		h->hint = vd_xrealloc(h->hint, (i + 1) * sizeof(*h->hint));
		memset(h->hint + h->n_hint, 0, (i + 1 - h->n_hint) * sizeof(*h->hint));
		h->n_hint = i + 1;
	}
	h->hint[i] = hg;
	return hg;
}

static int hist_record_guest(struct vd_history *h, size_t i, const struct vd_guest *g, int64_t now,
			     struct vd_error **err)
{
	struct hist_guest *hg = hist_guest_at(h, i, g, now, err);
	if (!hg)
		return vd_error_propagate(err, NULL); /* the code of the error hist_guest_get set */
	int r = hist_note_state(h, hg, g, now, err);
	if (r < 0)
		return r;
	struct hist_interval iv;
	hist_interval(h, hg, &g->sample, &iv);
	hist_fold(h, hg, g, now, &iv);
	hg->seen = now;
	if (g->sample.valid) {
		hg->dirty = true;
		/* hg->last keeps io and net as sums in io_read / net_rx, as the guest row stores them */
		hg->last = g->sample;
		hg->last.io_read = g->sample.io_read + g->sample.io_write;
		hg->last.net_rx = g->sample.net_rx + g->sample.net_tx;
		hg->last.io_write = hg->last.net_tx = 0;
		hg->have_last = true;
	}
	return 0;
}

static int hist_save_summary(struct vd_history *h, const struct hist_guest *hg,
			     struct vd_error **err)
{
	sqlite3_stmt *st = h->st_summary;
	sqlite3_bind_int64(st, 1, hg->id);
	sqlite3_bind_blob(st, 2, &hg->sum, sizeof(hg->sum), SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "saving the advice summary", err);
}

/* One short transaction for every finished bucket and the counters that moved. */
static int hist_commit_pending(struct vd_history *h, int64_t now, struct vd_error **err)
{
	h->last_commit = now;
	int rc = hist_begin(h, err);
	if (rc < 0)
		return rc;
	int r = 0;
	for (size_t i = 0; r == 0 && i < h->n_pending; i++)
		r = hist_write_row(h, &h->pending[i], err);
	for (size_t i = 0; r == 0 && i < h->n_guests; i++) {
		struct hist_guest *hg = h->guests[i];
		if (hg->dirty && hg->have_last && (r = hist_save_counters(h, hg, err)) == 0)
			hg->dirty = false;
		if (r == 0 && hg->sum_dirty && (r = hist_save_summary(h, hg, err)) == 0)
			hg->sum_dirty = false;
	}
	if (r == 0)
		r = hist_commit(h, err);
	if (r == 0) {
		h->n_pending = 0;
		return 0;
	}
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	h->in_tx = false;
	h->n_pending = 0; /* a batch the database refused is dropped rather than retried forever */
	return r;
}

int vd_history_record(struct vd_history *h, const struct vd_registry *reg, int64_t now,
		      struct vd_error **err)
{
	if (!h || !vd_history_recording(h))
		return 0;
	int r = 0;
	for (size_t i = 0; r == 0 && i < reg->n_guests; i++)
		r = hist_record_guest(h, i, &reg->guests[i], now, err);
	if (r == 0 && (now - h->last_commit >= (int64_t)h->o.commit_s || now < h->last_commit))
		r = hist_commit_pending(h, now, err);
	if (r < 0)
		return vd_error_wrap(err, "recording history");
	if (now - h->last_maint >= HIST_MAINT_EVERY_S)
		return vd_history_maintain(h, now, err);
	return 0;
}

int vd_history_flush(struct vd_history *h, struct vd_error **err)
{
	if (!h || !h->recorder)
		return 0;
	int64_t now = h->last_commit;
	for (size_t i = 0; i < h->n_guests; i++) {
		for (int res = 0; res < VD_HISTORY__RES; res++)
			hist_flush_acc(h, h->guests[i], res);
		now = now > h->guests[i]->seen ? now : h->guests[i]->seen;
	}
	return hist_commit_pending(h, now, err);
}

/* ------------------------------------------------------------------ retention and size bound */

int vd_history_size(struct vd_history *h, uint64_t *bytes, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT "
			     "freelist_count FROM pragma_freelist_count()), (SELECT page_size "
			     "FROM pragma_page_size())", &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return hist_sql_error(h, rc, "measuring the database", err);
	*bytes = (uint64_t)sqlite3_column_int64(st, 0) * (uint64_t)sqlite3_column_int64(st, 1);
	return 0;
}

/* Delete one tier's rows older than cutoff, guest by guest so every delete is a key range. */
static int hist_trim(struct vd_history *h, int res, int64_t cutoff, struct vd_error **err)
{
	_cleanup_(hist_finalizep) sqlite3_stmt *st = NULL;
	int r = hist_prepare(h, "DELETE FROM sample WHERE guest IN (SELECT id FROM guest) AND "
			     "res=?1 AND t<?2", &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, res);
	sqlite3_bind_int64(st, 2, cutoff);
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : hist_sql_error(h, rc, "trimming old samples", err);
}

/* Over the bound: halve the raw window, then the minute window, until it fits. */
static int hist_bound(struct vd_history *h, int64_t now, struct vd_error **err)
{
	uint64_t used = 0;
	int64_t keep[VD_HISTORY__RES];
	for (int res = 0; res < VD_HISTORY__RES; res++)
		keep[res] = h->o.keep_s[res];
	for (int res = 0; res < VD_HISTORY_HOUR && h->o.max_bytes; res++) {
		while (keep[res] > 3600) {
			int r = vd_history_size(h, &used, err);
			if (r < 0)
				return r;
			if (used <= h->o.max_bytes)
				return 0;
			keep[res] /= 2;
			h->o.keep_s[res] = (unsigned)keep[res];
			vd_info("history %s: %llu bytes over the bound, keeping %s rows for %llds", h->path,
				(unsigned long long)used, res ? "minute" : "raw", (long long)keep[res]);
			r = hist_trim(h, res, now - keep[res], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int vd_history_maintain(struct vd_history *h, int64_t now, struct vd_error **err)
{
	h->last_maint = now;
	if (!h->recorder)
		return 0;
	if (hist_begin(h, err) < 0)
		return vd_error_wrap(err, "maintaining history");
	for (int res = 0; res < VD_HISTORY__RES; res++)
		if (hist_trim(h, res, now - (int64_t)h->o.keep_s[res], err) < 0)
			goto out_rollback;
	if (hist_bound(h, now, err) < 0)
		goto out_rollback;
	if (hist_commit(h, err) < 0)
		return vd_error_wrap(err, "maintaining history");
	return hist_exec(h, "PRAGMA incremental_vacuum", err);
out_rollback:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	h->in_tx = false;
	return vd_error_wrap(err, "maintaining history");
}
