/* rate.c - counter readings stamped when the engine read them, and the rates between two. */
#include "common/rate.h"

#include "common/ctl.h"
#include "common/util.h"

#define RATE_TRIES 4
#define RATE_TIGHT_NS 100000ull /* a bracket this narrow is as good as it gets */

struct vd_rate_reading vd_rate_read(uint64_t (*read)(void *arg), void *arg)
{
	struct vd_rate_reading best = { 0, 0 };
	uint64_t best_gap = UINT64_MAX;
	for (int i = 0; i < RATE_TRIES && best_gap > RATE_TIGHT_NS; i++) {
		uint64_t t0 = vd_now_mono_ns();
		uint64_t v = read(arg);
		uint64_t t1 = vd_now_mono_ns();
		if (t1 - t0 >= best_gap)
			continue;
		best_gap = t1 - t0;
		best = (struct vd_rate_reading){ t0 + best_gap / 2, v };
	}
	return best;
}

static const struct vd_rate_reading *rate_ring_at(const struct vd_rate_ring *ring, unsigned age)
{
	return &ring->r[(ring->head + VD_RATE_RING - age) % VD_RATE_RING];
}

uint64_t vd_rate_ring_due_ns(const struct vd_rate_ring *ring, uint64_t now)
{
	if (ring->n == 0)
		return 0;
	uint64_t due = rate_ring_at(ring, 0)->t_ns + VD_RATE_WINDOW_NS;
	return now >= due ? 0 : due - now;
}

bool vd_rate_ring_note(struct vd_rate_ring *ring, struct vd_rate_reading rd)
{
	if (rd.t_ns == 0 || vd_rate_ring_due_ns(ring, rd.t_ns) > 0)
		return false;
	ring->head = ring->n ? (ring->head + 1) % VD_RATE_RING : 0;
	ring->r[ring->head] = rd;
	ring->n += ring->n < VD_RATE_RING;
	return true;
}

bool vd_rate_ring_base(const struct vd_rate_ring *ring, uint64_t now, struct vd_rate_reading *out)
{
	for (unsigned age = 0; age < ring->n; age++) {
		const struct vd_rate_reading *r = rate_ring_at(ring, age);
		if (r->t_ns <= now && now - r->t_ns >= VD_RATE_WINDOW_NS) {
			*out = *r;
			return true;
		}
	}
	return false;
}

bool vd_rate_per_s(struct vd_rate_reading a, struct vd_rate_reading b, double *out)
{
	if (a.t_ns == 0 || b.t_ns <= a.t_ns || b.value < a.value)
		return false;
	*out = (double)(b.value - a.value) * 1e9 / (double)(b.t_ns - a.t_ns);
	return true;
}

double vd_rate_cap_slack(double cap, double period_s, unsigned n_cpus, double tick_s,
			 double window_s)
{
	if (cap <= 0 || window_s <= 0 || n_cpus == 0)
		return 0;
	double q = cap * period_s;
	double edge = q * (1.0 - q / ((double)n_cpus * period_s));
	if (edge < 0)
		edge = 0; /* a cap of n CPUs or more cannot be exceeded on n CPUs */
	return 100.0 * (2.0 * edge + 2.0 * (double)n_cpus * tick_s) / (cap * window_s);
}

void vd_rate_json_put(struct json_object *o, struct vd_rate_reading cur,
		      const struct vd_rate_ring *ring)
{
	struct vd_rate_reading base;
	vd_json_put_u64(o, "t_ns", cur.t_ns);
	vd_json_put_u64(o, "cpu_ns", cur.value);
	if (!vd_rate_ring_base(ring, cur.t_ns, &base))
		return;
	vd_json_put_u64(o, "win_t_ns", base.t_ns);
	vd_json_put_u64(o, "win_cpu_ns", base.value);
}

void vd_rate_json_get(struct json_object *o, struct vd_rate_reading *cur,
		      struct vd_rate_reading *win)
{
	*cur = (struct vd_rate_reading){ (uint64_t)vd_json_i64(o, "t_ns", 0),
					 (uint64_t)vd_json_i64(o, "cpu_ns", 0) };
	*win = (struct vd_rate_reading){ (uint64_t)vd_json_i64(o, "win_t_ns", 0),
					 (uint64_t)vd_json_i64(o, "win_cpu_ns", 0) };
}
