/* history-priv.h - what history.c and history-query.c share: the handle and SQL helpers. */
#ifndef VD_BACKEND_HISTORY_PRIV_H
#define VD_BACKEND_HISTORY_PRIV_H

#include <sqlite3.h>

#include "backend/history.h"

/* One bucket being filled in memory before it is written (and merged) into its row. */
struct hist_acc {
	bool open;
	int64_t t;
	double dur, run_s;
	double cpu_sum, cpu_max;  /* cpu_sum = sum of CPUs x seconds */
	double mem_sum, mem_max;
	double mem_kpeak; /* the kernel's peak where it rose between samples */
	unsigned mem_n;
	double io_sum, net_sum, io_max;
	uint32_t oom;
	enum vd_state state;
	struct vd_alloc alloc;
};

/* What the recorder remembers of a guest between two samples. */
struct hist_guest {
	char *key; /* engine \x1f host \x1f name: the sort key */
	char engine[16], host[VD_NAME_MAX], name[VD_NAME_MAX];
	int64_t id;
	bool have_last;
	struct vd_sample last;
	enum vd_state state;
	struct hist_acc acc[VD_HISTORY__RES];
	int64_t seen;  /* wall clock of the last sample */
	bool dirty;    /* counters changed since the last commit */
	bool sum_dirty;
	struct vd_advice_summary sum; /* fed with every finished minute */
};

/* A finished bucket waiting for the next batch commit. */
struct hist_pending {
	struct hist_guest *hg;
	int res;
	struct hist_acc acc;
};

struct vd_history {
	sqlite3 *db;
	char *path;
	int lock_fd;
	bool recorder;
	struct vd_history_opts o;
	struct hist_guest **guests; /* sorted by key */
	size_t n_guests;
	struct hist_guest **hint; /* by position in the last registry: skips the lookup */
	size_t n_hint;
	int64_t last_maint, last_commit;
	bool in_tx;
	struct hist_pending *pending;
	size_t n_pending, cap_pending;
	sqlite3_stmt *st_flush, *st_guest_counters, *st_points, *st_summary;
};

static inline void hist_finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}

/* Turn an SQLite failure into a vd_error naming the file and what to do about it. */
int hist_sql_error(struct vd_history *h, int rc, const char *what, struct vd_error **err);
int hist_exec(struct vd_history *h, const char *sql, struct vd_error **err);
int hist_prepare(struct vd_history *h, const char *sql, sqlite3_stmt **st, struct vd_error **err);
unsigned hist_step_s(const struct vd_history *h, int res);

/* Bind a guest key to parameters 1..3 (engine, host, name) of a statement. */
static inline void hist_bind_key(sqlite3_stmt *st, const struct vd_history_key *k)
{
	sqlite3_bind_text(st, 1, k->engine, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->name, -1, SQLITE_STATIC);
}

#endif
