/* rate.h - counter readings stamped when the engine read them, and the rates between two. */
#ifndef VD_COMMON_RATE_H
#define VD_COMMON_RATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A rate is only as right as the times of its two readings. Engines stamp each reading with
 * CLOCK_MONOTONIC at the moment they read it (not when a client gets the reply), and keep a
 * reading about a second old so a client that asks once (`virtdeck list`) still gets a rate
 * over a window long enough for the CFS quota period not to dominate it (vd_rate_cap_slack).
 */
#define VD_RATE_WINDOW_NS 1000000000ull /* shortest window an engine offers: 1 s */
#define VD_RATE_RING 3                  /* readings kept: one window's worth plus slack */

struct vd_rate_reading {
	uint64_t t_ns;  /* CLOCK_MONOTONIC when the value was read; 0 = no reading */
	uint64_t value; /* a cumulative counter (CPU ns) */
};

/* An engine's last readings, at least VD_RATE_WINDOW_NS apart. */
struct vd_rate_ring {
	struct vd_rate_reading r[VD_RATE_RING];
	unsigned n, head; /* head: the newest */
};

/* The stamped-reading part of a stats reply, one contract for every engine and its client:
 * t_ns and cpu_ns now and, when the ring holds a reading a window back, win_t_ns and win_cpu_ns. */
struct json_object;
void vd_rate_json_put(struct json_object *o, struct vd_rate_reading cur,
		      const struct vd_rate_ring *ring);
/* Read them back from a reply; what is absent is 0 (no reading). */
void vd_rate_json_get(struct json_object *o, struct vd_rate_reading *cur,
		      struct vd_rate_reading *win);

/* Read a counter with read(arg), stamped with the midpoint of the tightest of a few tries, so a
 * reader preempted between its clock and its read does not move the stamp. */
struct vd_rate_reading vd_rate_read(uint64_t (*read)(void *arg), void *arg);
/* Keep rd if it is the first or VD_RATE_WINDOW_NS after the newest kept; true when kept. */
bool vd_rate_ring_note(struct vd_rate_ring *ring, struct vd_rate_reading rd);
/* Nanoseconds until a reading taken at `now` would be kept (0 = now). */
uint64_t vd_rate_ring_due_ns(const struct vd_rate_ring *ring, uint64_t now);
/* The newest kept reading at least VD_RATE_WINDOW_NS before `now`; false when there is none. */
bool vd_rate_ring_base(const struct vd_rate_ring *ring, uint64_t now, struct vd_rate_reading *out);

/* Counter units per second between two readings; false when the window is empty or the
 * counter went back (a restarted guest): no rate rather than a wrong one. */
bool vd_rate_per_s(struct vd_rate_reading a, struct vd_rate_reading b, double *out);

/*
 * How far above 100 % of a hard CPU cap a correct measurement over window_s may read, in
 * percentage points. CFS gives a group quota Q = cap*P per period P; a window that starts or
 * ends inside a period can see that period's whole quota in part of it: per edge at most
 * Q*(1 - Q/(n*P)) beyond the average, n being the CPUs the group runs on at once. The counter
 * also lags by up to a tick per running CPU, and a group may overrun its quota by a tick before
 * being throttled (paid back in the next period): 2*n*tick. Slack = 100 * excess / (cap * W).
 */
double vd_rate_cap_slack(double cap, double period_s, unsigned n_cpus, double tick_s,
			 double window_s);

#endif
