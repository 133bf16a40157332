/* fake.c - the in-memory fake engine: deterministic guests whose usage moves with the clock. */
#include <errno.h>
#include <math.h>

#include "backend/backend.h"
#include "common/rate.h"

#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)

/* One synthetic guest: usage = base + amp * sin(2*pi*t/period), per allocated CPU. */
struct fake_guest {
	struct vd_guest g;
	double cpu_base, cpu_amp; /* fraction of the allocation, 0..1 */
	double period_s;
	uint64_t mem_base, mem_amp;
	uint64_t oom_kills;
	uint64_t cpu_offset_ns; /* CPU time banked before the last pause/stop */
	uint64_t run_since_ns;  /* clock when it last started running */
	double phase;
};

struct fake_priv {
	struct fake_guest *guests;
	size_t n;
};

struct fake_seed {
	const char *name;
	enum vd_kind kind;
	enum vd_state state;
	unsigned vcpus;
	double cpu_limit;
	uint64_t mem;
	double cpu_base, cpu_amp;
	uint64_t mem_base, mem_amp;
	uint64_t oom_kills; /* a running guest's OOM count; a stopped one's last run's */
	struct vd_exit exit; /* how a stopped seed's last run ended */
};

/* A few ways a run ends, for the demo and the golden screens. */
#define FAKE_USER_STOP { .kind = VD_EXIT_USER, .time = 1700000000 }
#define FAKE_OOM { .kind = VD_EXIT_OOM, .code = 9, .oom_kills = 1, .time = 1700000000 }

/* The demo set: over-provisioned, busy, idle and stopped guests of both kinds. */
static const struct fake_seed fake_demo[] = {
	{ "web-frontend", VD_KIND_VM, VD_STATE_RUNNING, 4, 0, 8 * GIB, 0.06, 0.03, 1200 * MIB, 200 * MIB },
	{ "db-primary", VD_KIND_VM, VD_STATE_RUNNING, 8, 0, 16 * GIB, 0.08, 0.03, 12 * GIB, 1 * GIB },
	{ "ci-runner", VD_KIND_VM, VD_STATE_RUNNING, 2, 0, 4 * GIB, 0.25, 0.10, 3 * GIB, 512 * MIB },
	{ "legacy-erp", VD_KIND_VM, VD_STATE_STOPPED, 2, 0, 6 * GIB, 0, 0, 0, 0, 0, FAKE_USER_STOP },
	{ "nginx", VD_KIND_CT, VD_STATE_RUNNING, 0, 1.0, 512 * MIB, 0.04, 0.02, 40 * MIB, 8 * MIB },
	{ "redis-cache", VD_KIND_CT, VD_STATE_RUNNING, 0, 2.0, 2 * GIB, 0.10, 0.05, 900 * MIB, 100 * MIB,
	  2 },
	{ "batch-etl", VD_KIND_CT, VD_STATE_PAUSED, 0, 4.0, 4 * GIB, 0.70, 0.20, 2 * GIB, 300 * MIB },
	{ "old-cron", VD_KIND_CT, VD_STATE_RUNNING, 0, 0.5, 1 * GIB, 0.005, 0.002, 24 * MIB, 1 * MIB },
};

static const struct fake_seed fake_a[] = {
	{ "alpha", VD_KIND_VM, VD_STATE_RUNNING, 2, 0, 2 * GIB, 0.25, 0.05, 700 * MIB, 50 * MIB },
	{ "gamma", VD_KIND_CT, VD_STATE_STOPPED, 0, 1.0, 256 * MIB, 0, 0, 0, 0, 1, FAKE_OOM },
};

static const struct fake_seed fake_b[] = {
	{ "beta", VD_KIND_CT, VD_STATE_RUNNING, 0, 0.5, 512 * MIB, 0.50, 0.10, 100 * MIB, 10 * MIB },
	{ "delta", VD_KIND_VM, VD_STATE_PAUSED, 1, 0, 1 * GIB, 0.10, 0.0, 300 * MIB, 0 },
};

static double fake_capacity(const struct fake_guest *f)
{
	return vd_guest_cpu_capacity(&f->g, 1);
}

static double fake_wave(const struct fake_guest *f, double t)
{
	return sin(2.0 * M_PI * t / f->period_s + f->phase);
}

/* CPU time consumed while running from run_since to now: the integral of the usage curve. */
static uint64_t fake_cpu_ns(const struct fake_guest *f, uint64_t now)
{
	if (f->g.state != VD_STATE_RUNNING || now < f->run_since_ns)
		return f->cpu_offset_ns;
	double t0 = (double)f->run_since_ns / 1e9, t1 = (double)now / 1e9;
	double w = 2.0 * M_PI / f->period_s;
	double integral = f->cpu_base * (t1 - t0) +
			  f->cpu_amp / w * (cos(w * t0 + f->phase) - cos(w * t1 + f->phase));
	return f->cpu_offset_ns + (uint64_t)(integral * fake_capacity(f) * 1e9);
}

static void fake_sample(const struct fake_guest *f, uint64_t now, struct vd_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->valid = true;
	s->t_ns = now;
	s->cpu_ns = fake_cpu_ns(f, now);
	/* A reading a second back, as the real engines keep one, unless the state changed since. */
	if (now > VD_RATE_WINDOW_NS && now - VD_RATE_WINDOW_NS >= f->run_since_ns) {
		s->win_t_ns = now - VD_RATE_WINDOW_NS;
		s->win_cpu_ns = fake_cpu_ns(f, s->win_t_ns);
	}
	s->mem_source = VD_MEM_SRC_MODEL;
	if (!vd_state_is_active(f->g.state))
		return;
	double t = (double)now / 1e9;
	s->mem_used = f->mem_base + (uint64_t)((double)f->mem_amp * (0.5 + 0.5 * fake_wave(f, t)));
	s->mem_rss = f->g.kind == VD_KIND_VM ? s->mem_used + 48 * MIB : 0;
	s->mem_peak = f->mem_base + f->mem_amp;
	s->io_read = (uint64_t)(t * 4096.0 * (1 + f->cpu_base * 100));
	s->io_write = s->io_read / 3;
	s->net_rx = (uint64_t)(t * 1500.0 * (1 + f->cpu_base * 50));
	s->net_tx = s->net_rx / 2;
	s->pids = f->g.kind == VD_KIND_CT ? 3 + (uint32_t)(f->cpu_base * 20) : 0;
	s->oom_events = f->oom_kills;
}

static void fake_seed_guest(struct fake_guest *f, const struct fake_seed *s, size_t idx)
{
	memset(f, 0, sizeof(*f));
	vd_strlcpy(f->g.name, s->name, sizeof(f->g.name));
	f->g.kind = s->kind;
	f->g.state = s->state;
	f->g.alloc.vcpus = s->vcpus;
	f->g.alloc.cpu_limit = s->cpu_limit;
	f->g.alloc.mem_bytes = s->mem;
	f->g.alloc.mem_max_bytes = s->mem;
	f->g.exit = s->exit;
	f->oom_kills = s->oom_kills;
	f->cpu_base = s->cpu_base;
	f->cpu_amp = s->cpu_amp;
	f->mem_base = s->mem_base;
	f->mem_amp = s->mem_amp;
	f->period_s = 60.0 + 17.0 * (double)idx;
	f->phase = 0.7 * (double)idx;
	/* Seeded guests have "run" since the clock's zero (run_since_ns = 0), so counters look
	 * lived-in and do not depend on when the engine was opened (tests set their clock later). */
}

static void fake_add_seeds(struct fake_priv *p, const struct fake_seed *seeds, size_t n)
{
	p->guests = vd_xrealloc(p->guests, (p->n + n) * sizeof(*p->guests));
	for (size_t i = 0; i < n; i++)
		fake_seed_guest(&p->guests[p->n + i], &seeds[i], p->n + i);
	p->n += n;
}

/* "fake:///many?n=200": a generated set for benchmarks. */
static int fake_add_many(struct fake_priv *p, const char *arg, struct vd_error **err)
{
	uint64_t count = 0;
	if (vd_parse_u64(arg, &count) < 0 || count == 0 || count > 100000)
		return vd_error_set(err, EINVAL, "fake:///many?n=%s: n must be 1..100000", arg);
	for (uint64_t i = 0; i < count; i++) {
		struct fake_seed s = fake_demo[i % VD_ARRAY_SIZE(fake_demo)];
		char name[VD_NAME_MAX];
		snprintf(name, sizeof(name), "%s-%04llu", s.name, (unsigned long long)i);
		s.name = name;
		fake_add_seeds(p, &s, 1);
	}
	return 0;
}

static int fake_open(struct vd_backend *be, struct vd_error **err)
{
	const char *uri = be->uri ? be->uri : "fake:///demo";
	struct fake_priv *p = vd_xcalloc(1, sizeof(*p));
	be->priv = p;
	if (vd_streq(uri, "fake:///demo"))
		fake_add_seeds(p, fake_demo, VD_ARRAY_SIZE(fake_demo));
	else if (vd_streq(uri, "fake:///a"))
		fake_add_seeds(p, fake_a, VD_ARRAY_SIZE(fake_a));
	else if (vd_streq(uri, "fake:///b"))
		fake_add_seeds(p, fake_b, VD_ARRAY_SIZE(fake_b));
	else if (vd_str_has_prefix(uri, "fake:///many?n="))
		return fake_add_many(p, uri + strlen("fake:///many?n="), err);
	else if (!vd_streq(uri, "fake:///empty"))
		return vd_error_set(
			err, EINVAL,
			"unknown fake URI %s: use fake:///demo, fake:///a, fake:///b, fake:///empty or fake:///many?n=N",
			uri);
	return 0;
}

static void fake_close(struct vd_backend *be)
{
	struct fake_priv *p = be->priv;
	free(p->guests);
	free(p);
	be->priv = NULL;
}

static struct fake_guest *fake_find(struct vd_backend *be, const char *name, struct vd_error **err)
{
	struct fake_priv *p = be->priv;
	for (size_t i = 0; i < p->n; i++)
		if (vd_streq(p->guests[i].g.name, name))
			return &p->guests[i];
	vd_error_set(err, ENOENT, "no guest named %s: `virtdeck list` shows the guests", name);
	return NULL;
}

static void fake_fill(struct vd_backend *be, const struct fake_guest *f, struct vd_guest *out)
{
	*out = f->g;
	vd_strlcpy(out->host, be->label, sizeof(out->host));
	fake_sample(f, vd_backend_now(be), &out->sample);
}

static int fake_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	struct fake_priv *p = be->priv;
	struct vd_guest *v = vd_xcalloc(p->n, sizeof(*v));
	for (size_t i = 0; i < p->n; i++)
		fake_fill(be, &p->guests[i], &v[i]);
	*out = v;
	*n = p->n;
	return 0;
}

static int fake_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		       struct vd_error **err)
{
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	fake_fill(be, f, out);
	return 0;
}

static int fake_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		      struct vd_error **err)
{
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	fake_sample(f, vd_backend_now(be), out);
	return 0;
}

/* Move between states, banking CPU time when leaving "running". */
static int fake_transition(struct vd_backend *be, const char *name, enum vd_state from_ok,
			   enum vd_state from_ok2, enum vd_state to, struct vd_error **err)
{
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	if (f->g.state != from_ok && f->g.state != from_ok2)
		return vd_error_set(err, EBUSY, "guest %s is %s: cannot go to %s from there", name,
				    vd_state_name(f->g.state), vd_state_name(to));
	uint64_t now = vd_backend_now(be);
	f->cpu_offset_ns = fake_cpu_ns(f, now);
	f->run_since_ns = now;
	f->g.state = to;
	if (to == VD_STATE_RUNNING)
		f->oom_kills = 0;
	return 0;
}

/* Stopped on request: the record says so, as a real engine's would. */
static int fake_stop_as(struct vd_backend *be, const char *name, const char *how,
			struct vd_error **err)
{
	int r = fake_transition(be, name, VD_STATE_RUNNING, VD_STATE_PAUSED, VD_STATE_STOPPED, err);
	struct fake_guest *f = r == 0 ? fake_find(be, name, NULL) : NULL;
	if (!f)
		return r;
	f->g.exit = (struct vd_exit){ .kind = VD_EXIT_USER, .oom_kills = f->oom_kills };
	vd_strlcpy(f->g.exit.detail, how, sizeof(f->g.exit.detail));
	return 0;
}

static int fake_start(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return fake_transition(be, name, VD_STATE_STOPPED, VD_STATE_CRASHED, VD_STATE_RUNNING, err);
}

static int fake_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err)
{
	return fake_stop_as(be, name, "stopped by user", err);
}

static int fake_pause(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return fake_transition(be, name, VD_STATE_RUNNING, VD_STATE_RUNNING, VD_STATE_PAUSED, err);
}

static int fake_resume(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return fake_transition(be, name, VD_STATE_PAUSED, VD_STATE_PAUSED, VD_STATE_RUNNING, err);
}

static int fake_destroy(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return fake_stop_as(be, name, "killed by user", err);
}

static int fake_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		       struct vd_error **err)
{
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	if (req->mem_bytes && req->mem_bytes < 16 * MIB)
		return vd_error_set(err, EINVAL, "%s: memory %llu bytes is below the 16M minimum", name,
				    (unsigned long long)req->mem_bytes);
	uint64_t now = vd_backend_now(be);
	f->cpu_offset_ns = fake_cpu_ns(f, now);
	f->run_since_ns = now;
	if (req->mem_bytes)
		f->g.alloc.mem_bytes = f->g.alloc.mem_max_bytes = req->mem_bytes;
	if (req->vcpus)
		f->g.alloc.vcpus = req->vcpus;
	if (req->cpus > 0)
		f->g.alloc.cpu_limit = req->cpus;
	return 0;
}

static int fake_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err)
{
	if (fake_find(be, def->name, NULL))
		return vd_error_set(err, EEXIST, "a guest named %s already exists: pick another name", def->name);
	struct fake_seed s = { def->name, def->kind, VD_STATE_STOPPED, def->vcpus, def->cpus,
			       def->mem_bytes ? def->mem_bytes : 256 * MIB, 0.10, 0.05, 32 * MIB, 8 * MIB,
			       0, { 0 } };
	fake_add_seeds(be->priv, &s, 1);
	return 0;
}

static int fake_remove(struct vd_backend *be, const char *name, struct vd_error **err)
{
	struct fake_priv *p = be->priv;
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	if (vd_state_is_active(f->g.state))
		return vd_error_set(err, EBUSY, "guest %s is %s: stop it before deleting it", name,
				    vd_state_name(f->g.state));
	size_t i = (size_t)(f - p->guests);
	memmove(&p->guests[i], &p->guests[i + 1], (p->n - i - 1) * sizeof(*f));
	p->n--;
	return 0;
}

/* A fake guest's output: a line a second over the last FAKE_LOG_LINES seconds (real time, as
 * --since means), one in seven a warning; the text is the same every time, for the screen
 * tests. */
#define FAKE_LOG_LINES 60

static int fake_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		     struct vd_log_lines *out, struct vd_error **err)
{
	struct fake_guest *f = fake_find(be, name, err);
	if (!f)
		return -ENOENT;
	uint64_t now = vd_now_real_ns();
	for (unsigned i = 0; i < FAKE_LOG_LINES; i++) {
		uint64_t ts = now - (FAKE_LOG_LINES - i) * 1000000000ull;
		if (ts < since_ns)
			continue;
		const char *what = i % 7 == 3 ? "warning: request took 2.1 s" : "request served";
		vd_log_lines_add(out, ts, true, vd_xasprintf("%s[%u]: %s", name, 1000 + i, what));
	}
	vd_log_lines_tail(out, tail);
	return 0;
}

const struct vd_backend_ops vd_fake_ops = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.list = fake_list,
	.lookup = fake_lookup,
	.create = fake_create,
	.remove = fake_remove,
	.start = fake_start,
	.stop = fake_stop,
	.pause = fake_pause,
	.resume = fake_resume,
	.destroy = fake_destroy,
	.stats = fake_stats,
	.resize = fake_resize,
	.logs = fake_logs,
	/* no console and no exec: a fake guest has no terminal */
};
