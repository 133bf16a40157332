/* test-history.c - the SQLite history (temp files), apply/undo on the fake engine, and the sprawl audit. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/advice-run.h"
#include "backend/sprawl.h"

#define MIB (1024ull * 1024)
#define T0 1699999200ll /* hour-aligned */

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vd-test-history.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_dir(void **state)
{
	_cleanup_free_ char *cmd = vd_xasprintf("rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct vd_backend_ops bare_ops = { .name = "bare" };

/* A registry holding hand-made guests whose counters the test moves. */
struct rig {
	struct vd_registry reg;
	struct vd_backend *be;
	struct vd_history *h;
};

static void rig_open(struct rig *r, const char *file, size_t n_guests, uint64_t max_bytes)
{
	struct vd_error *err = NULL;
	vd_registry_init(&r->reg);
	assert_int_equal(vd_backend_open_ops(&bare_ops, NULL, "lab", &r->be, &err), 0);
	r->reg.guests = vd_xcalloc(n_guests, sizeof(struct vd_guest));
	r->reg.n_guests = n_guests;
	for (size_t i = 0; i < n_guests; i++) {
		struct vd_guest *g = &r->reg.guests[i];
		snprintf(g->name, sizeof(g->name), "g%zu", i);
		vd_strlcpy(g->host, "lab", sizeof(g->host));
		g->kind = VD_KIND_CT;
		g->state = VD_STATE_RUNNING;
		g->alloc = (struct vd_alloc){ .cpu_limit = 4, .mem_bytes = 1024 * MIB };
		g->backend = r->be;
	}
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", tmpdir, file);
	o.path = path;
	if (max_bytes)
		o.max_bytes = max_bytes;
	assert_int_equal(vd_history_open(&o, &r->h, &err), 0);
}

static void rig_close(struct rig *r)
{
	vd_history_close(r->h);
	r->h = NULL;
	free(r->reg.guests);
	vd_backend_close(r->be);
}

/* Advance guest i to time t using cpu CPUs since its last sample, with mem bytes in use. */
static void rig_step(struct rig *r, size_t i, int64_t t, double cpu, uint64_t mem, double io_bps)
{
	struct vd_sample *s = &r->reg.guests[i].sample;
	double dt = s->valid ? (double)t - (double)s->t_ns / 1e9 : 0;
	s->valid = true;
	s->t_ns = (uint64_t)t * 1000000000ull;
	s->cpu_ns += (uint64_t)llround(cpu * dt * 1e9);
	s->io_read += (uint64_t)(io_bps * dt);
	s->mem_used = mem;
}

static void rig_record(struct rig *r, int64_t t)
{
	struct vd_error *err = NULL;
	assert_int_equal(vd_history_record(r->h, &r->reg, t, &err), 0);
}

static size_t series(struct rig *r, size_t i, int res, int64_t since, int64_t until, struct vd_advice_point **pts)
{
	struct vd_error *err = NULL;
	size_t n = 0;
	struct vd_history_key k = vd_history_key_of(&r->reg.guests[i]);
	assert_int_equal(vd_history_series(r->h, &k, since, until, res, pts, &n, &err), 0);
	return n;
}

static void peaks(const struct vd_advice_point *p, size_t n, double *cpu_max, double *mem_max)
{
	*cpu_max = *mem_max = 0;
	for (size_t i = 0; i < n; i++) {
		*cpu_max = fmax(*cpu_max, p[i].cpu_max);
		*mem_max = fmax(*mem_max, p[i].mem_max);
	}
}

/* Two hours at 0.1 CPU / 100 MiB every 5 s, with one 5 s burst at 3.9 CPUs and one 900 MiB
 * sample: every tier keeps both peaks, the averages are the hand-computed ones, and retention
 * drops raw after 24 h and minutes after 7 days while the hour rows keep the peaks. */
static void feed_two_hours(struct rig *r)
{
	for (int64_t t = T0; t <= T0 + 7200; t += 5) {
		rig_step(r, 0, t, t == T0 + 1805 ? 3.9 : 0.1, t == T0 + 3000 ? 900 * MIB : 100 * MIB, 0);
		rig_record(r, t);
	}
}

static void test_downsampling_keeps_peaks(void **state)
{
	struct rig r;
	struct vd_error *err = NULL;
	rig_open(&r, "peaks.db", 1, 0);
	feed_two_hours(&r);
	assert_int_equal(vd_history_flush(r.h, &err), 0);
	struct vd_advice_point *p = NULL;
	double cmax, mmax;
	size_t n = series(&r, 0, VD_HISTORY_RAW, T0, T0 + 7200, &p);
	assert_int_equal(n, 721); /* 10 s buckets from T0 to T0+7200 inclusive */
	peaks(p, n, &cmax, &mmax);
	assert_float_equal(cmax, 3.9, 1e-9);
	assert_float_equal(mmax, 900.0 * MIB, 0);
	free(p);
	n = series(&r, 0, VD_HISTORY_MINUTE, T0, T0 + 7200, &p);
	assert_int_equal(n, 121);
	assert_int_equal(p[30].t, T0 + 1800);
	assert_float_equal(p[30].cpu_max, 3.9, 1e-9);
	assert_float_equal(p[30].cpu_avg, (0.1 * 55 + 3.9 * 5) / 60, 5e-4); /* stored in millicores */
	free(p);
	n = series(&r, 0, VD_HISTORY_HOUR, T0, T0 + 7200, &p);
	assert_int_equal(n, 3);
	assert_float_equal(p[0].cpu_max, 3.9, 1e-9);
	assert_float_equal(p[0].mem_max, 900.0 * MIB, 0);
	assert_float_equal(p[0].cpu_avg, (0.1 * 3590 + 3.9 * 5) / 3595, 5e-4); /* the first sample has no rate */
	assert_int_equal(p[0].dur, 3595);
	free(p);
	/* the finest tier that covers the span: raw for 2 h, minutes for 3 days, hours for 30 days */
	assert_int_equal(series(&r, 0, -1, T0 + 7200 - 7200, T0 + 7200, &p), 721);
	free(p);
	assert_int_equal(series(&r, 0, -1, T0 + 7200 - 3 * 86400, T0 + 7200, &p), 121);
	free(p);
	assert_int_equal(series(&r, 0, -1, T0 + 7200 - 30 * 86400, T0 + 7200, &p), 3);
	free(p);
	assert_int_equal(vd_history_maintain(r.h, T0 + 3 * 86400, &err), 0);
	assert_int_equal(series(&r, 0, VD_HISTORY_RAW, T0, T0 + 7200, &p), 0);
	free(p);
	n = series(&r, 0, VD_HISTORY_MINUTE, T0, T0 + 7200, &p);
	peaks(p, n, &cmax, &mmax);
	assert_true(n == 121 && cmax == 3.9 && mmax == 900.0 * MIB);
	free(p);
	assert_int_equal(vd_history_maintain(r.h, T0 + 8 * 86400, &err), 0);
	assert_int_equal(series(&r, 0, VD_HISTORY_MINUTE, T0, T0 + 7200, &p), 0);
	free(p);
	n = series(&r, 0, VD_HISTORY_HOUR, T0, T0 + 7200, &p);
	peaks(p, n, &cmax, &mmax);
	assert_true(n == 3 && cmax == 3.9 && mmax == 900.0 * MIB);
	free(p);
	rig_close(&r);
}

/* Close and reopen: the data is there, and the first sample after the restart continues the
 * rate from the counters the previous run stored (5 s more in the same raw bucket). */
static void test_survives_restart(void **state)
{
	struct rig r;
	rig_open(&r, "restart.db", 1, 0);
	feed_two_hours(&r);
	struct vd_sample keep = r.reg.guests[0].sample;
	rig_close(&r);
	rig_open(&r, "restart.db", 1, 0);
	r.reg.guests[0].sample = keep;
	rig_step(&r, 0, T0 + 7205, 0.1, 100 * MIB, 0);
	rig_record(&r, T0 + 7205);
	struct vd_error *err = NULL;
	assert_int_equal(vd_history_flush(r.h, &err), 0);
	struct vd_advice_point *p = NULL;
	size_t n = series(&r, 0, VD_HISTORY_RAW, T0 + 7200, T0 + 7200, &p);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].dur, 10);
	assert_float_equal(p[0].cpu_avg, 0.1, 1e-9);
	free(p);
	assert_int_equal(series(&r, 0, VD_HISTORY_HOUR, T0, T0 + 7200, &p), 3);
	free(p);
	rig_close(&r);
}

static void write_garbage(const char *path, off_t off, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 13);
	for (size_t done = 0; done < len; done += sizeof(junk))
		assert_true(pwrite(fd, junk, sizeof(junk), off + (off_t)done) == (ssize_t)sizeof(junk));
	close(fd);
}

/* Garbage instead of a database: a clear error naming the file and the fix; a fresh
 * database elsewhere and the advice maths still work. */
static void test_corrupt_database(void **state)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/garbage.db", tmpdir);
	write_garbage(path, 0, 16384);
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	o.path = path;
	struct vd_history *h = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_history_open(&o, &h, &err), -EILSEQ);
	assert_null(h);
	assert_non_null(strstr(err->msg, path));
	assert_non_null(strstr(err->msg, "is damaged"));
	assert_non_null(strstr(err->msg, "move it aside"));
	assert_non_null(strstr(err->msg, "runs without history"));
	vd_error_freep(&err);
	/* the caller runs on with h == NULL: recording is a no-op and advice says "collecting" */
	struct vd_registry none;
	vd_registry_init(&none);
	assert_int_equal(vd_history_record(NULL, &none, T0, &err), 0);
	struct vd_guest g = { .name = "web", .kind = VD_KIND_VM, .alloc = { .vcpus = 2, .mem_bytes = 1 << 30 } };
	struct vd_backend *be = NULL;
	assert_int_equal(vd_backend_open_ops(&bare_ops, NULL, "lab", &be, &err), 0);
	g.backend = be;
	struct vd_advice_params ap;
	vd_advice_params_default(&ap);
	struct vd_advice a;
	assert_int_equal(vd_advice_for_guest(NULL, &ap, &g, T0, &a, &err), 0);
	assert_int_equal(a.verdict, VD_VERDICT_COLLECTING);
	vd_backend_close(be);
	vd_history_close(NULL);
	struct rig r;
	rig_open(&r, "fresh.db", 1, 0);
	feed_two_hours(&r);
	rig_close(&r);
}

/* A database whose data pages were overwritten after it was written: the query says so. */
static void test_corrupt_pages(void **state)
{
	struct rig r;
	rig_open(&r, "pages.db", 1, 0);
	feed_two_hours(&r);
	rig_close(&r);
	_cleanup_free_ char *path = vd_xasprintf("%s/pages.db", tmpdir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	write_garbage(path, 4096, (size_t)st.st_size - 8192);
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	o.path = path;
	struct vd_history *h = NULL;
	struct vd_error *err = NULL;
	int rc = vd_history_open(&o, &h, &err);
	if (rc == 0) {
		struct vd_advice_point *p = NULL;
		size_t n = 0;
		struct vd_history_key k = { "bare", "lab", "g0" };
		rc = vd_history_series(h, &k, T0, T0 + 7200, VD_HISTORY_RAW, &p, &n, &err);
		free(p);
		vd_history_close(h);
	}
	assert_int_equal(rc, -EILSEQ);
	assert_non_null(strstr(err->msg, "is damaged"));
	vd_error_freep(&err);
}

/* Only one recorder: the second handle reads but does not write samples. */
static void test_one_recorder(void **state)
{
	struct rig a, b;
	rig_open(&a, "lock.db", 1, 0);
	rig_open(&b, "lock.db", 1, 0);
	assert_true(vd_history_recording(a.h));
	assert_false(vd_history_recording(b.h));
	for (int64_t t = T0; t <= T0 + 600; t += 10) {
		rig_step(&b, 0, t, 1.0, 10 * MIB, 0);
		rig_record(&b, t);
	}
	rig_close(&b);
	struct vd_advice_point *p = NULL;
	assert_int_equal(series(&a, 0, VD_HISTORY_RAW, T0, T0 + 600, &p), 0);
	free(p);
	rig_close(&a);
}

/* A day of 10 s rows against a 256 KiB bound: maintenance trims the oldest raw rows. */
static void test_size_bound(void **state)
{
	struct rig r;
	struct vd_error *err = NULL;
	rig_open(&r, "bound.db", 1, 256 * 1024);
	for (int64_t t = T0; t <= T0 + 86000; t += 10) {
		rig_step(&r, 0, t, 0.5, 100 * MIB, 0);
		assert_int_equal(vd_history_record(r.h, &r.reg, t, &err), 0);
	}
	uint64_t size = 0;
	assert_int_equal(vd_history_size(r.h, &size, &err), 0);
	assert_true(size <= 256 * 1024);
	struct vd_advice_point *p = NULL;
	size_t n = series(&r, 0, VD_HISTORY_RAW, T0, T0 + 86400, &p);
	assert_true(n > 0 && n < 8600 / 2);
	assert_true(p[0].t > T0 + 43000);
	free(p);
	rig_close(&r);
}

/* The recorder keeps each guest's advice summary; stored, reloaded, it gives the same advice as
 * the points, and a summary built with another half-life is not used. */
static void test_summary_stored(void **state)
{
	struct rig r;
	struct vd_error *err = NULL;
	rig_open(&r, "summary.db", 1, 0);
	for (int64_t t = T0; t <= T0 + 30 * 3600; t += 60) {
		rig_step(&r, 0, t, 0.5, 100 * MIB, 1e6);
		rig_record(&r, t);
	}
	struct vd_guest g = r.reg.guests[0];
	struct vd_history_key k = vd_history_key_of(&g);
	struct vd_advice_params ap;
	vd_advice_params_default(&ap);
	int64_t now = T0 + 30 * 3600;
	struct vd_advice a, b;
	assert_int_equal(vd_advice_for_guest(r.h, &ap, &g, now, &a, &err), 0); /* the live summary */
	assert_int_equal(a.verdict, VD_VERDICT_OVER);
	assert_float_equal(a.cpu_rec, 0.6, 1e-9);  /* 0.5 x 1.15 = 0.575 -> 0.6 */
	assert_int_equal(a.mem_rec, 128 * MIB);    /* 100 x 1.15 = 115 -> 128 */
	rig_close(&r);
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	_cleanup_free_ char *path = vd_xasprintf("%s/summary.db", tmpdir);
	o.path = path;
	o.recorder = false;
	struct vd_history *h = NULL;
	assert_int_equal(vd_history_open(&o, &h, &err), 0);
	struct vd_advice_summary sum;
	assert_int_equal(vd_history_summary(h, &k, &sum, &err), 0);
	vd_advice_from_summary(&ap, VD_KIND_CT, &g.alloc, &sum, now, &b);
	assert_int_equal(b.verdict, a.verdict);
	assert_true(b.cpu_rec == a.cpu_rec && b.mem_rec == a.mem_rec);
	_cleanup_free_ struct vd_advice_point *pts = NULL;
	size_t n = 0;
	assert_int_equal(vd_history_advice_points(h, &k, now - 8 * 86400, now, &pts, &n, &err), 0);
	vd_advice_compute(&ap, VD_KIND_CT, &g.alloc, pts, n, now, &b);
	assert_int_equal(b.verdict, a.verdict);
	assert_true(b.cpu_rec == a.cpu_rec && b.mem_rec == a.mem_rec);
	assert_float_equal(b.hours, a.hours, 0.02);
	vd_history_close(h);
	o.half_life_h = 12;
	assert_int_equal(vd_history_open(&o, &h, &err), 0);
	assert_int_equal(vd_history_summary(h, &k, &sum, &err), -ENOENT);
	vd_history_close(h);
}

static uint64_t fake_now = (uint64_t)T0 * 1000000000ull;
static uint64_t fake_clock(void)
{
	return fake_now;
}

/* Apply through the fake engine's resize, log the old size, undo restores it; refusals. */
static void test_apply_undo_fake(void **state)
{
	struct vd_registry reg;
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	vd_registry_init(&reg);
	reg.host_frozen = true;
	reg.host.ncpus = 4;
	assert_int_equal(vd_backend_open("fake", "fake:///demo", "demo", &be, &err), 0);
	be->clock = fake_clock;
	vd_registry_add(&reg, be);
	vd_registry_refresh(&reg);
	fake_now += 10ull * 1000000000ull;
	vd_registry_refresh(&reg);
	struct vd_history_opts o;
	vd_history_opts_default(&o);
	_cleanup_free_ char *path = vd_xasprintf("%s/apply.db", tmpdir);
	o.path = path;
	struct vd_history *h = NULL;
	assert_int_equal(vd_history_open(&o, &h, &err), 0);
	assert_int_equal(vd_history_record(h, &reg, T0, &err), 0);
	struct vd_guest *g = vd_registry_find(&reg, "nginx", &err);
	assert_non_null(g);
	struct vd_advice a = { .verdict = VD_VERDICT_OVER, .mem_move = VD_MOVE_SHRINK, .mem_rec = 64 * MIB,
			       .cpu_move = VD_MOVE_KEEP, .cpu_rec = 1, .hours = 30 };
	char txt[96];
	assert_int_equal(vd_advice_change_text(g, &a, txt, sizeof(txt), &err), 0);
	assert_string_equal(txt, "memory 512M -> 64M");
	assert_string_equal(vd_advice_size_text(g, &a, txt, sizeof(txt)), "1.0 CPU 64M");
	struct vd_advice *all = NULL;
	struct vd_advice_params ap;
	vd_advice_params_default(&ap);
	assert_int_equal(vd_advice_all(h, &ap, &reg, T0, &all, &err), 0);
	for (size_t i = 0; i < reg.n_guests; i++)
		assert_int_equal(all[i].verdict, VD_VERDICT_COLLECTING); /* one sample is no history */
	free(all);
	assert_int_equal(vd_advice_apply(h, g, &a, T0, &err), 0);
	struct vd_guest now;
	assert_int_equal(vd_backend_lookup(be, "nginx", &now, &err), 0);
	assert_int_equal(now.alloc.mem_bytes, 64 * MIB);
	vd_registry_refresh(&reg);
	g = vd_registry_find(&reg, "nginx", &err);
	assert_int_equal(vd_advice_undo(h, g, &err), 0);
	assert_int_equal(vd_backend_lookup(be, "nginx", &now, &err), 0);
	assert_int_equal(now.alloc.mem_bytes, 512 * MIB);
	assert_int_equal(vd_advice_undo(h, g, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "nothing to undo for nginx"));
	vd_error_freep(&err);
	a.mem_rec = 16 * MIB; /* nginx uses 40-48 MiB */
	assert_int_equal(vd_advice_apply(h, g, &a, T0, &err), -EPERM);
	assert_non_null(strstr(err->msg, "refusing to set the memory of nginx to 16M: it uses"));
	vd_error_freep(&err);
	a.verdict = VD_VERDICT_COLLECTING;
	assert_int_equal(vd_advice_apply(h, g, &a, T0, &err), -EPERM);
	assert_non_null(strstr(err->msg, "still collecting"));
	vd_error_freep(&err);
	assert_int_equal(vd_backend_lookup(be, "nginx", &now, &err), 0);
	assert_int_equal(now.alloc.mem_bytes, 512 * MIB); /* refusals changed nothing */
	vd_history_close(h);
	vd_registry_free(&reg);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const struct vd_sprawl_item *find_item(const struct vd_sprawl_item *v, size_t n, enum vd_sprawl_kind k,
					      const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == k && vd_streq(v[i].name, name))
			return &v[i];
	return NULL;
}

/* Definitions, images and 8 days of history: one idle guest, one stopped guest, a definition
 * whose rootfs is gone, an image nobody uses (and one that is used). */
static void test_sprawl(void **state)
{
	_cleanup_free_ char *dd = vd_xasprintf("%s/data", tmpdir);
	_cleanup_free_ char *cmd = vd_xasprintf("mkdir -p %s/containers %s/images/alpine/rootfs %s/images/old-debian",
					     dd, dd, dd);
	assert_int_equal(system(cmd), 0);
	_cleanup_free_ char *f1 = vd_xasprintf("%s/containers/web.ini", dd);
	_cleanup_free_ char *f2 = vd_xasprintf("%s/containers/app.ini", dd);
	_cleanup_free_ char *txt = vd_xasprintf("[container]\nrootfs=%s/images/alpine/rootfs\nmemory=64M\n", dd);
	_cleanup_free_ char *img = vd_xasprintf("%s/images/old-debian/disk.img", dd);
	write_file(f1, "[container]\nrootfs=/nonexistent/rootfs\n");
	write_file(f2, txt);
	write_garbage(img, 0, 65536);
	struct rig r;
	rig_open(&r, "sprawl.db", 2, 0);
	r.reg.guests[1].state = VD_STATE_STOPPED;
	for (int64_t t = T0; t <= T0 + 8 * 86400 + 3600; t += 600) {
		rig_step(&r, 0, t, 0.01, 20 * MIB, 100);
		rig_record(&r, t);
	}
	struct vd_error *err = NULL;
	assert_int_equal(vd_history_flush(r.h, &err), 0);
	struct vd_advice_params ap;
	struct vd_sprawl_params sp;
	vd_advice_params_default(&ap);
	vd_sprawl_params_default(&sp);
	_cleanup_free_ struct vd_sprawl_item *v = NULL;
	size_t n = 0;
	assert_int_equal(vd_sprawl_report(r.h, &ap, &sp, NULL, dd, NULL, 0, T0 + 8 * 86400 + 3600, &v, &n, &err), 0);
	const struct vd_sprawl_item *it = find_item(v, n, VD_SPRAWL_IDLE, "g0");
	assert_non_null(it);
	assert_true(it->days >= 7.9 && it->days <= 8.1);
	it = find_item(v, n, VD_SPRAWL_STOPPED, "g1");
	assert_non_null(it);
	assert_true(it->days >= 8 && it->days <= 8.1);
	it = find_item(v, n, VD_SPRAWL_MISSING, "web");
	assert_non_null(it);
	assert_string_equal(it->path, "/nonexistent/rootfs");
	it = find_item(v, n, VD_SPRAWL_UNUSED, "old-debian");
	assert_non_null(it);
	assert_true(it->bytes >= 65536);
	assert_null(find_item(v, n, VD_SPRAWL_UNUSED, "alpine"));
	assert_null(find_item(v, n, VD_SPRAWL_MISSING, "app"));
	assert_int_equal(n, 4);
	free(v);
	v = NULL;
	r.reg.n_guests = 1; /* g1 deleted: its history stays, but it is no longer sprawl */
	assert_int_equal(vd_sprawl_report(r.h, &ap, &sp, &r.reg, dd, NULL, 0, T0 + 8 * 86400 + 3600, &v, &n, &err), 0);
	assert_null(find_item(v, n, VD_SPRAWL_STOPPED, "g1"));
	assert_non_null(find_item(v, n, VD_SPRAWL_IDLE, "g0"));
	r.reg.n_guests = 2;
	rig_close(&r);
}

/* Advice for guest i of the rig at time now, from what the recorder holds. */
static void rig_advice(struct rig *r, size_t i, int64_t now, struct vd_advice *a)
{
	struct vd_error *err = NULL;
	struct vd_advice_params p;
	vd_advice_params_default(&p);
	assert_int_equal(vd_history_flush(r->h, &err), 0);
	assert_int_equal(vd_advice_for_guest(r->h, &p, &r->reg.guests[i], now, a, &err), 0);
}

/* A 256 MiB container whose first sample already shows one OOM kill and max_usage at the limit
 * (killed before anyone looked), then a day at 20 MiB: the kill must not be lost, so no shrink
 * (the issue: "shrink 256M -> 32M"), UNDER with the OOM named as the reason. */
static void test_oom_before_first_sample(void **state)
{
	struct rig r;
	rig_open(&r, "oom-first.db", 1, 0);
	r.reg.guests[0].alloc.mem_bytes = 256 * MIB;
	r.reg.guests[0].sample.oom_events = 1;
	r.reg.guests[0].sample.mem_peak = 256 * MIB;
	for (int64_t t = T0; t <= T0 + 25 * 3600; t += 60) {
		rig_step(&r, 0, t, 0.01, 20 * MIB, 0);
		rig_record(&r, t);
	}
	struct vd_advice a;
	rig_advice(&r, 0, T0 + 25 * 3600, &a);
	assert_int_equal(a.ooms, 1);
	assert_int_equal(a.mem_move, VD_MOVE_GROW);
	assert_int_equal(a.verdict, VD_VERDICT_UNDER);
	assert_true(a.mem_rec >= (uint64_t)(256 * MIB * 1.2));
	assert_non_null(strstr(a.reason, "OOM kill"));
	rig_close(&r);
}

/* A guest that restarts (its CPU counter goes back to 0: a new cgroup) and is OOM-killed again
 * before the next sample: its counter reads 1 again, which is one new kill, not none. */
static void test_oom_after_restart(void **state)
{
	struct rig r;
	rig_open(&r, "oom-restart.db", 1, 0);
	r.reg.guests[0].alloc.mem_bytes = 256 * MIB;
	for (int64_t t = T0; t <= T0 + 600; t += 60) {
		r.reg.guests[0].sample.oom_events = t >= T0 + 300;
		rig_step(&r, 0, t, 0.5, 20 * MIB, 0);
		rig_record(&r, t);
	}
	r.reg.guests[0].sample.cpu_ns = 0; /* restarted */
	rig_step(&r, 0, T0 + 660, 0.5, 20 * MIB, 0);
	rig_record(&r, T0 + 660);
	struct vd_advice a;
	rig_advice(&r, 0, T0 + 700, &a);
	assert_int_equal(a.ooms, 2);
	assert_int_equal(a.verdict, VD_VERDICT_UNDER);
	rig_close(&r);
}

/* A day at 20 MiB in every sample, but once the kernel's peak rose to 200 MiB between two samples
 * (a burst freed before the next look): that rise is dated to its minute only, and advice sizes
 * memory from it, naming the kernel's peak as the signal. */
static void test_kernel_peak_between_samples(void **state)
{
	struct rig r;
	rig_open(&r, "kpeak.db", 1, 0);
	r.reg.guests[0].alloc.mem_bytes = 1024 * MIB;
	r.reg.guests[0].sample.mem_peak = 24 * MIB;
	for (int64_t t = T0; t <= T0 + 25 * 3600; t += 60) {
		if (t == T0 + 3600)
			r.reg.guests[0].sample.mem_peak = 200 * MIB;
		rig_step(&r, 0, t, 0.5, 20 * MIB, 0);
		rig_record(&r, t);
	}
	struct vd_advice a;
	rig_advice(&r, 0, T0 + 25 * 3600, &a);
	assert_float_equal(a.mem_peak_pctl, 200.0 * MIB, 1);
	assert_true(a.mem_kernel_peak);
	assert_true(a.mem_rec > 200 * MIB);
	assert_non_null(strstr(a.reason, "kernel peak"));
	struct vd_advice_point *p = NULL;
	size_t n = series(&r, 0, VD_HISTORY_MINUTE, T0 + 60, T0 + 25 * 3600, &p), with = 0;
	for (size_t i = 0; i < n; i++)
		with += p[i].mem_kpeak > 0;
	assert_int_equal(with, 1);
	free(p);
	/* the same figures from the points path (no summary) */
	struct vd_advice_params prm;
	vd_advice_params_default(&prm);
	struct vd_advice b;
	struct vd_error *err = NULL;
	struct vd_history_key k = vd_history_key_of(&r.reg.guests[0]);
	assert_int_equal(vd_history_advice_points(r.h, &k, T0, T0 + 25 * 3600, &p, &n, &err), 0);
	vd_advice_compute(&prm, VD_KIND_CT, &r.reg.guests[0].alloc, p, n, T0 + 25 * 3600, &b);
	assert_int_equal(b.mem_rec, a.mem_rec);
	assert_true(b.mem_kernel_peak);
	free(p);
	rig_close(&r);
}

/* A database written by the previous schema (version 1) opens, gains the new columns, keeps its
 * rows and records the kernel's peak. */
static void test_schema_v1_migrates(void **state)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/v1.db", tmpdir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	static const char v1[] =
		"CREATE TABLE guest(id INTEGER PRIMARY KEY, engine TEXT NOT NULL,"
		" host TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER, state INTEGER,"
		" first_seen INTEGER, last_seen INTEGER, state_since INTEGER, vcpus INTEGER,"
		" cpu_limit REAL, mem_alloc INTEGER, last_t_ns INTEGER, last_cpu_ns INTEGER,"
		" last_io INTEGER, last_net INTEGER, last_oom INTEGER, UNIQUE(engine, host, name));"
		"CREATE TABLE sample(guest INTEGER NOT NULL, res INTEGER NOT NULL,"
		" t INTEGER NOT NULL, dur REAL, run_s REAL, cpu_m_avg REAL, cpu_m_max REAL,"
		" mem_avg REAL, mem_max REAL, mem_n INTEGER, io_bps REAL, net_bps REAL,"
		" io_max REAL, oom INTEGER, state INTEGER, vcpus INTEGER, cpu_limit REAL,"
		" mem_alloc INTEGER, PRIMARY KEY(guest, res, t)) WITHOUT ROWID;"
		"INSERT INTO guest(id,engine,host,name,kind,state) VALUES(1,'bare','lab','g0',1,1);"
		"INSERT INTO sample VALUES(1,1,1699999140,60,60,500,500,1e6,1e6,6,0,0,0,0,1,0,4,"
		"1073741824);"
		"PRAGMA user_version=1;";
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct rig r;
	rig_open(&r, "v1.db", 1, 0);
	r.reg.guests[0].sample.mem_peak = 24 * MIB;
	for (int64_t t = T0; t <= T0 + 180; t += 60) {
		if (t == T0 + 120)
			r.reg.guests[0].sample.mem_peak = 90 * MIB;
		rig_step(&r, 0, t, 0.5, 20 * MIB, 0);
		rig_record(&r, t);
	}
	struct vd_error *err = NULL;
	assert_int_equal(vd_history_flush(r.h, &err), 0);
	struct vd_advice_point *p = NULL;
	size_t n = series(&r, 0, VD_HISTORY_MINUTE, T0 - 60, T0 + 180, &p);
	assert_true(n >= 4);
	assert_int_equal(p[0].t, T0 - 60); /* the row from before the upgrade */
	assert_float_equal(p[0].mem_max, 1e6, 0);
	assert_float_equal(p[0].mem_kpeak, 0, 0);
	double kp = 0;
	for (size_t i = 0; i < n; i++)
		kp = fmax(kp, p[i].mem_kpeak);
	assert_float_equal(kp, 90.0 * MIB, 0);
	free(p);
	rig_close(&r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_downsampling_keeps_peaks),
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_corrupt_database),
		cmocka_unit_test(test_corrupt_pages),
		cmocka_unit_test(test_one_recorder),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_summary_stored),
		cmocka_unit_test(test_apply_undo_fake),
		cmocka_unit_test(test_sprawl),
		cmocka_unit_test(test_oom_before_first_sample),
		cmocka_unit_test(test_oom_after_restart),
		cmocka_unit_test(test_kernel_peak_between_samples),
		cmocka_unit_test(test_schema_v1_migrates),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
