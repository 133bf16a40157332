/* advice-bench.c - history ingest and advice cost: N fake guests x 1 sample/s for a simulated day. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/advice-run.h"
#include "backend/engines.h"

#define T0 1700000000ll

static uint64_t bench_now;

static uint64_t bench_clock(void)
{
	return bench_now;
}

static double bench_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct bench_cfg {
	unsigned guests, step_s, commit_s;
	double hours;
	const char *db;
};

static void bench_usage(void)
{
	fprintf(stderr, "usage: advice-bench [--guests N] [--hours H] [--step SECS] [--commit SECS] [--db PATH]\n"
			"  defaults: 1000 guests, 24 h, one sample per second, commits every 60 s, a temporary database\n");
}

static int bench_args(int argc, char **argv, struct bench_cfg *c)
{
	static const struct option opts[] = {
		{ "guests", required_argument, NULL, 'g' }, { "hours", required_argument, NULL, 'H' },
		{ "step", required_argument, NULL, 's' },   { "db", required_argument, NULL, 'd' },
		{ "commit", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	*c = (struct bench_cfg){ 1000, 1, 60, 24, NULL };
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'g': c->guests = (unsigned)atoi(optarg); break;
		case 'H': c->hours = atof(optarg); break;
		case 's': c->step_s = (unsigned)atoi(optarg); break;
		case 'd': c->db = optarg; break;
		case 'c': c->commit_s = (unsigned)atoi(optarg); break;
		default: bench_usage(); return -1;
		}
	}
	return c->guests && c->step_s && c->hours > 0 ? 0 : (bench_usage(), -1);
}

/* One tick: the engine's list (what a refresh does) and the history's record. */
static int bench_tick(struct vd_backend *be, struct vd_registry *reg, struct vd_history *h, int64_t now,
		      double *t_list, double *t_rec, struct vd_error **err)
{
	double a = bench_secs();
	free(reg->guests);
	reg->guests = NULL;
	if (vd_backend_list(be, &reg->guests, &reg->n_guests, err) < 0)
		return -1;
	double b = bench_secs();
	int r = vd_history_record(h, reg, now, err);
	*t_list += b - a;
	*t_rec += bench_secs() - b;
	return r;
}

static int bench_ingest(const struct bench_cfg *c, struct vd_backend *be, struct vd_registry *reg,
			struct vd_history *h, struct vd_error **err)
{
	double t_list = 0, t_rec = 0, start = bench_secs();
	int64_t end = T0 + (int64_t)(c->hours * 3600);
	for (int64_t now = T0; now < end; now += c->step_s) {
		bench_now = (uint64_t)now * 1000000000ull;
		if (bench_tick(be, reg, h, now, &t_list, &t_rec, err) < 0)
			return -1;
		if ((now - T0) % 21600 == 0)
			fprintf(stderr, "  simulated %4.1f h, %.0f s so far\n", (now - T0) / 3600.0, bench_secs() - start);
	}
	if (vd_history_flush(h, err) < 0)
		return -1;
	double samples = (double)c->guests * (double)(end - T0) / c->step_s;
	printf("ingest: %.0f samples (%u guests x %.0f h, every %u s) in %.1f s wall\n", samples, c->guests, c->hours,
	       c->step_s, bench_secs() - start);
	printf("  history record: %.1f s = %.0f samples/s (%.2f us/sample); engine list: %.1f s\n", t_rec,
	       samples / t_rec, t_rec / samples * 1e6, t_list);
	return 0;
}

static void bench_sizes(struct vd_history *h, const char *path)
{
	uint64_t used = 0;
	struct stat st = { 0 };
	_cleanup_free_ char *wal = vd_xasprintf("%s-wal", path);
	struct stat sw = { 0 };
	stat(path, &st);
	stat(wal, &sw);
	vd_history_size(h, &used, NULL);
	printf("database: %.1f MiB file + %.1f MiB WAL, %.1f MiB in use\n", st.st_size / 1048576.0,
	       sw.st_size / 1048576.0, used / 1048576.0);
}

/* Advice for every guest the way the console gets it: from the summaries (vd_advice_all). */
/* A simulated day holds just under 24 h of rates (the first sample has none): ask for 20 h so
 * the verdicts show. */
static void bench_params(struct vd_advice_params *p)
{
	vd_advice_params_default(p);
	p->min_hours = 20;
}

static int bench_advice_all(const char *what, struct vd_registry *reg, struct vd_history *h, int64_t now,
			    struct vd_error **err)
{
	struct vd_advice_params p;
	bench_params(&p);
	unsigned verdicts[VD_VERDICT__COUNT] = { 0 };
	struct vd_advice *all = NULL;
	double a = bench_secs();
	if (vd_advice_all(h, &p, reg, now, &all, err) < 0)
		return -1;
	double b = bench_secs();
	for (size_t i = 0; i < reg->n_guests; i++)
		verdicts[all[i].verdict]++;
	free(all);
	printf("advice for %zu guests from the summaries (%s): %.1f ms (goal < 100 ms)\n  verdicts:", reg->n_guests,
	       what, (b - a) * 1e3);
	for (int v = 0; v < VD_VERDICT__COUNT; v++)
		printf(" %s %u", vd_advice_verdict_name(v), verdicts[v]);
	printf("\n");
	return 0;
}

/* The exact path for comparison: loading every minute point from SQLite, then the maths. */
static int bench_advice(struct vd_registry *reg, struct vd_history *h, int64_t now, struct vd_error **err)
{
	struct vd_advice_params p;
	bench_params(&p);
	struct vd_advice_point **pts = vd_xcalloc(reg->n_guests, sizeof(*pts));
	size_t *n = vd_xcalloc(reg->n_guests, sizeof(*n)), total = 0;
	unsigned verdicts[VD_VERDICT__COUNT] = { 0 };
	double a = bench_secs();
	for (size_t i = 0; i < reg->n_guests; i++) {
		struct vd_history_key k = vd_history_key_of(&reg->guests[i]);
		if (vd_history_advice_points(h, &k, now - (int64_t)(p.window_days * 86400), now, &pts[i], &n[i], err) < 0)
			return -1;
		total += n[i];
	}
	double b = bench_secs();
	for (size_t i = 0; i < reg->n_guests; i++) {
		struct vd_advice adv;
		vd_advice_compute(&p, reg->guests[i].kind, &reg->guests[i].alloc, pts[i], n[i], now, &adv);
		verdicts[adv.verdict]++;
	}
	double c = bench_secs();
	printf("exact path for %zu guests: %.1f ms to load %zu minute points from SQLite, %.1f ms of maths\n",
	       reg->n_guests, (b - a) * 1e3, total, (c - b) * 1e3);
	printf("  verdicts:");
	for (int v = 0; v < VD_VERDICT__COUNT; v++)
		printf(" %s %u", vd_advice_verdict_name(v), verdicts[v]);
	printf("\n");
	for (size_t i = 0; i < reg->n_guests; i++)
		free(pts[i]);
	free(pts);
	free(n);
	return 0;
}

/* A second process's view: summaries read from the database file. */
static int bench_reader(struct vd_registry *reg, const struct vd_history_opts *o, int64_t now, struct vd_error **err)
{
	struct vd_history_opts ro = *o;
	ro.recorder = false;
	struct vd_history *h = NULL;
	if (vd_history_open(&ro, &h, err) < 0)
		return -1;
	int r = bench_advice_all("read from the database", reg, h, now, err);
	if (r == 0)
		r = bench_advice(reg, h, now, err);
	vd_history_close(h);
	return r;
}

int main(int argc, char **argv)
{
	struct bench_cfg c;
	if (bench_args(argc, argv, &c) < 0)
		return 2;
	char tmp[] = "/var/tmp/vd-advice-bench.XXXXXX";
	_cleanup_free_ char *path = c.db ? vd_xstrdup(c.db) : NULL;
	if (!path && mkdtemp(tmp))
		path = vd_xasprintf("%s/history.db", tmp);
	_cleanup_free_ char *uri = vd_xasprintf("fake:///many?n=%u", c.guests);
	struct vd_error *err = NULL;
	struct vd_backend *be = NULL;
	struct vd_history *h = NULL;
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	o.path = path;
	if (c.commit_s)
		o.commit_s = c.commit_s;
	struct vd_registry reg;
	vd_registry_init(&reg);
	if (vd_backend_open("fake", uri, "bench", &be, &err) < 0 || vd_history_open(&o, &h, &err) < 0) {
		fprintf(stderr, "advice-bench: %s\n", err->msg);
		return 1;
	}
	be->clock = bench_clock;
	printf("history %s (raw rows every %u s, commits every %u s)\n", path, o.raw_step_s, o.commit_s);
	int r = bench_ingest(&c, be, &reg, h, &err);
	if (r == 0) {
		bench_sizes(h, path);
		r = bench_advice_all("the recorder's memory", &reg, h, T0 + (int64_t)(c.hours * 3600), &err);
	}
	if (r == 0)
		r = bench_reader(&reg, &o, T0 + (int64_t)(c.hours * 3600), &err);
	if (r < 0)
		fprintf(stderr, "advice-bench: %s\n", err->msg);
	vd_history_close(h);
	free(reg.guests);
	vd_backend_close(be);
	if (!c.db) {
		_cleanup_free_ char *cmd = vd_xasprintf("rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "advice-bench: could not remove %s\n", tmp);
	}
	return r < 0 ? 1 : 0;
}
