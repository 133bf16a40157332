/* advice-run.h - advice from the history for live guests, and applying or undoing it. */
#ifndef VD_BACKEND_ADVICE_RUN_H
#define VD_BACKEND_ADVICE_RUN_H

/*
 * How the console uses this (one thread, or one mutex around every vd_history_* call):
 *   start   vd_advice_config_default(&cfg); vd_advice_config_set() for each [advice] key of
 *           virtdeck.ini (a bad one: "file:line: msg"); vd_history_open(&cfg.history, &h, &err)
 *           -- on failure show err->msg and go on with h = NULL (every call accepts NULL).
 *   refresh after vd_registry_refresh: vd_history_record(h, reg, wall-clock seconds, &err); on
 *           EILSEQ/EACCES/ENOSPC close the history and say so, on EBUSY just log it.
 *   columns about once a minute (job thread): vd_advice_all() -> one vd_advice per guest, shown
 *           with vd_advice_label() (flag) and vd_advice_size_text() (recommended size).
 *   graph   vd_history_series(h, &key, now - span, now, -1, &pts, &n, &err), key from
 *           vd_history_key_of(g): per point CPUs used (avg, max), memory (avg, max) and alloc.
 *   apply   vd_advice_change_text() for the confirmation (or the refusal), then
 *           vd_advice_apply(); the undo key calls vd_advice_undo().
 *   exit    vd_history_close(h).
 */

#include "backend/advice.h"
#include "backend/history.h"
#include "backend/sprawl.h"

/* Everything the [advice] section of virtdeck.ini can set. */
struct vd_advice_config {
	struct vd_advice_params advice;
	struct vd_sprawl_params sprawl;
	struct vd_history_opts history;
};

void vd_advice_config_default(struct vd_advice_config *c);
/* Set one [advice] key: an advice parameter (vd_advice_params_set), idle_days, stopped_days,
 * or history_raw_seconds, history_keep_raw, history_keep_minute, history_keep_hour (durations
 * like 24h, 7d), history_max_size (like 1G), history_commit_seconds. On a bad key or value:
 * -EINVAL and *msg says what is wrong, for "file:line: msg". */
/* "90s", "30m", "24h", "7d" or plain seconds; -EINVAL otherwise. */
int vd_advice_parse_duration(const char *s, double *out);
int vd_advice_config_set(struct vd_advice_config *c, const char *key, const char *value,
			 const char **msg);

/* Advice for one live guest from its history at time now (wall clock, seconds). */
int vd_advice_for_guest(struct vd_history *h, const struct vd_advice_params *p,
			const struct vd_guest *g, int64_t now, struct vd_advice *out,
			struct vd_error **err);
/* The resize that carries out the advice. Refuses (-EPERM, with the reason) a size below what
 * the guest uses right now, advice still collecting data, or advice with nothing to change. */
int vd_advice_resize_for(const struct vd_guest *g, const struct vd_advice *a, struct vd_resize *out,
			 struct vd_error **err);
/* Advice for every guest of reg, in registry order: *out gets reg->n_guests entries (malloc'd).
 * Costs one history query per guest: the console should run it on its job thread about once
 * a minute, not on every refresh. */
int vd_advice_all(struct vd_history *h, const struct vd_advice_params *p,
		  const struct vd_registry *reg, int64_t now, struct vd_advice **out,
		  struct vd_error **err);
/* The recommended size for a table column: "1 vCPU 1.6G", "0.3 CPU 48M"; "-" while collecting. */
const char *vd_advice_size_text(const struct vd_guest *g, const struct vd_advice *a, char *buf,
				size_t len);
/* What applying would change, for a confirmation prompt: "memory 512M -> 64M, CPU 1 -> 0.3".
 * Fails with the refusal's reason when the advice cannot be applied. */
int vd_advice_change_text(const struct vd_guest *g, const struct vd_advice *a, char *buf,
			  size_t len, struct vd_error **err);
/* Apply the advice through the engine's resize (the dispatcher) and log the old size in the
 * history so vd_advice_undo can restore it. */
int vd_advice_apply(struct vd_history *h, struct vd_guest *g, const struct vd_advice *a,
		    int64_t now, struct vd_error **err);
/* Put back the size from before the latest applied advice of g. */
int vd_advice_undo(struct vd_history *h, struct vd_guest *g, struct vd_error **err);

#endif
