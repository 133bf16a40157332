/* history.h - metric history of every guest in SQLite: record, downsample, query, resize log. */
#ifndef VD_BACKEND_HISTORY_H
#define VD_BACKEND_HISTORY_H

#include "backend/advice.h"
#include "backend/registry.h"
#include "common/error.h"

/*
 * One database, <datadir>/history.db (WAL), keyed by (engine, host, name). Three tiers, each a
 * row per guest per bucket holding the average AND the maximum of the bucket, so peaks survive
 * downsampling (RRDtool-style consolidation):
 *   raw    one row per raw_step_s (10 s; faster samples fold in), kept 24 h
 *   minute one row per minute, kept 7 days
 *   hour   one row per hour, kept 90 days
 * A size bound trims the oldest fine-grained rows first. Time is the wall clock in seconds and
 * is always passed in, so tests and the collector can run an accelerated clock.
 *
 * Only one process records at a time (the "recorder" lock next to the database): a console
 * opened while `virtdeck collect` runs reads the history but leaves recording to the
 * collector, so samples are never counted twice.
 */

enum vd_history_res { VD_HISTORY_RAW, VD_HISTORY_MINUTE, VD_HISTORY_HOUR, VD_HISTORY__RES };

struct vd_history_opts {
	const char *path;      /* NULL: <datadir>/history.db */
	unsigned raw_step_s;   /* 10 */
	unsigned keep_s[VD_HISTORY__RES]; /* 24 h, 7 d, 90 d */
	uint64_t max_bytes;    /* 1 GiB; 0 = unbounded */
	unsigned max_gap_s;    /* 3600: a longer gap between two samples yields no rate */
	unsigned commit_s;     /* 60: finished buckets are written in one transaction this often */
	bool recorder;         /* try to become the recorder */
	double half_life_h;    /* 24: decay the advice summary is built with (advice's half_life_hours) */
};

/* What identifies a guest across restarts. */
struct vd_history_key {
	const char *engine, *host, *name;
};

/* A guest the history knows, live or not. */
struct vd_history_guest {
	char engine[16], host[VD_NAME_MAX], name[VD_NAME_MAX];
	enum vd_kind kind;
	enum vd_state state;
	int64_t first_seen, last_seen, state_since;
	struct vd_alloc alloc;
};

/* A resize applied through the advice, with the size before it (for undo). */
struct vd_history_resize {
	int64_t id, t;
	struct vd_alloc old_alloc;
	struct vd_resize applied;
	bool undone;
};

struct vd_history;

void vd_history_opts_default(struct vd_history_opts *o);
/* Open or create. A damaged or locked database fails with a message naming the file and what
 * to do; the caller then carries on without history. */
int vd_history_open(const struct vd_history_opts *o, struct vd_history **out,
		    struct vd_error **err);
/* Flush open buckets and close (NULL is fine). */
void vd_history_close(struct vd_history *h);
const char *vd_history_path(const struct vd_history *h);
/* Does this handle record (hold the recorder lock)? Tries to take it again if not. */
bool vd_history_recording(struct vd_history *h);

/* A NULL handle (no history: it failed to open) is accepted by record, flush, close, series,
 * advice_points and summary, which then do nothing or return no data, so a caller can run on. */

/* Record the current sample of every guest of reg at wall-clock time now (seconds). A no-op
 * when another process is the recorder. Also runs retention and the size bound now and then. */
int vd_history_record(struct vd_history *h, const struct vd_registry *reg, int64_t now,
		      struct vd_error **err);
/* Write every open and pending bucket out now (close and the collector's exit do this). */
int vd_history_flush(struct vd_history *h, struct vd_error **err);
/* Retention and size bound now (record calls it every 10 minutes of its clock). */
int vd_history_maintain(struct vd_history *h, int64_t now, struct vd_error **err);

struct vd_history_key vd_history_key_of(const struct vd_guest *g);
/* Points of one guest from since to until, oldest first, at the given tier (res < 0: the
 * finest tier that still covers since). *out is malloc'd; unknown guests give 0 points. */
int vd_history_series(struct vd_history *h, const struct vd_history_key *k, int64_t since,
		      int64_t until, int res, struct vd_advice_point **out, size_t *n,
		      struct vd_error **err);
/* The points advice needs: minute rows for the last 7 days, hour rows before, back to since. */
int vd_history_advice_points(struct vd_history *h, const struct vd_history_key *k, int64_t since,
			     int64_t now, struct vd_advice_point **out, size_t *n,
			     struct vd_error **err);
/* The advice summary of one guest (vd_advice_summary): the recorder's live copy when this
 * process records, else the stored one. -ENOENT (no message) when there is none, or it was built
 * with another half-life: then advice falls back to the points. */
int vd_history_summary(struct vd_history *h, const struct vd_history_key *k,
		       struct vd_advice_summary *out, struct vd_error **err);
/* Every guest the history has seen. */
int vd_history_guests(struct vd_history *h, struct vd_history_guest **out, size_t *n,
		      struct vd_error **err);
/* Find guests by NAME, ENGINE:NAME or HOST/NAME; -ENOENT / -EEXIST (ambiguous) with a message. */
int vd_history_find(struct vd_history *h, const char *spec, struct vd_history_guest *out,
		    struct vd_error **err);

int vd_history_log_resize(struct vd_history *h, const struct vd_history_key *k, int64_t now,
			  const struct vd_alloc *old_alloc, const struct vd_resize *applied, struct vd_error **err);
/* The latest resize not yet undone; -ENOENT when there is none. */
int vd_history_last_resize(struct vd_history *h, const struct vd_history_key *k,
			   struct vd_history_resize *out, struct vd_error **err);
int vd_history_mark_undone(struct vd_history *h, int64_t id, struct vd_error **err);

/* Bytes the database uses (pages in use x page size). */
int vd_history_size(struct vd_history *h, uint64_t *bytes, struct vd_error **err);

#endif
