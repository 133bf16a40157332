/* guestlog.c - console output with a time per line, bounded and rotated; and reading it back. */
#include "common/guestlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/paths.h"

int vd_guestlog_path(const char *engine, const char *name, bool create, char **out,
		     struct vd_error **err)
{
	_cleanup_free_ char *data = NULL;
	/* Engines check names fully; this only keeps the path inside the log directory. */
	if (!name || !*name || name[0] == '.' || strchr(name, '/'))
		return vd_error_set(err, EINVAL, "invalid guest name '%s'", name ? name : "");
	int r = vd_paths_data_dir(&data, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = vd_xasprintf("%s/logs/%s", data, engine);
	r = create ? vd_mkdir_p(dir, 0700) : 0;
	if (r < 0)
		return vd_error_errno(err, -r, "cannot create the log directory %s", dir);
	*out = vd_xasprintf("%s/%s.log", dir, name);
	return 0;
}

int vd_guestlog_open(struct vd_guestlog *g, const char *path, uint64_t max, struct vd_error **err)
{
	memset(g, 0, sizeof(*g));
	return vd_rotlog_open_append(&g->log, path, max, err);
}

const char *vd_guestlog_stamp(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned long long)(ns % 1000000000ull));
	return buf;
}

/* A stamp later than every earlier one, so a reader following from a stamp misses nothing. */
static uint64_t vd_guestlog_now(struct vd_guestlog *g)
{
	uint64_t now = vd_now_real_ns();
	if (now <= g->last_ns)
		now = g->last_ns + 1;
	g->last_ns = now;
	return now;
}

/* One record in one write, so rotation never splits it. */
static void vd_guestlog_record(struct vd_guestlog *g, char tag)
{
	char rec[VD_GUESTLOG_CHUNK + 64], ts[40];
	vd_guestlog_stamp(g->line_ns, ts, sizeof(ts));
	int h = snprintf(rec, sizeof(rec), "%s stdout %c ", ts, tag);
	memcpy(rec + h, g->line, g->len);
	rec[h + (int)g->len] = '\n';
	vd_rotlog_write(&g->log, rec, (size_t)h + g->len + 1);
	g->len = 0;
}

void vd_guestlog_write(struct vd_guestlog *g, const void *buf, size_t n)
{
	const char *p = buf;
	if (!g->log.path) /* never opened (a zeroed struct): nothing is kept */
		return;
	for (size_t i = 0; i < n; i++) {
		if (g->len == 0)
			g->line_ns = vd_guestlog_now(g);
		if (p[i] == '\n') {
			vd_guestlog_record(g, 'F');
			continue;
		}
		g->line[g->len++] = p[i];
		if (g->len == sizeof(g->line))
			vd_guestlog_record(g, 'P');
	}
}

void vd_guestlog_flush(struct vd_guestlog *g)
{
	if (g->len && g->log.path)
		vd_guestlog_record(g, 'P');
}

void vd_guestlog_close(struct vd_guestlog *g)
{
	vd_guestlog_flush(g);
	if (g->log.path)
		vd_rotlog_close(&g->log);
}

void vd_guestlog_remove(const char *path)
{
	_cleanup_free_ char *old = vd_xasprintf("%s.1", path);
	unlink(path);
	unlink(old);
}

/* ------------------------------------------------------------------ reading */

void vd_log_lines_add(struct vd_log_lines *l, uint64_t ts_ns, bool complete, char *text)
{
	if ((l->n & (l->n - 1)) == 0) /* 0, 1, 2, 4, ...: grow by doubling */
		l->v = vd_xrealloc(l->v, (l->n ? 2 * l->n : 1) * sizeof(*l->v));
	l->v[l->n++] = (struct vd_log_line){ .ts_ns = ts_ns, .end_ns = ts_ns, .complete = complete,
					     .text = text };
}

void vd_log_lines_free(struct vd_log_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void vd_log_lines_tail(struct vd_log_lines *l, size_t n)
{
	if (n == 0 || l->n <= n)
		return;
	size_t drop = l->n - n;
	for (size_t i = 0; i < drop; i++)
		free(l->v[i].text);
	memmove(l->v, l->v + drop, n * sizeof(*l->v));
	l->n = n;
}

/* n decimal digits at p, or -1. */
static long vd_guestlog_digits(const char *p, int n)
{
	long v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm): no timegm per line, which
 * glibc makes slow (it takes the time zone lock). */
static int64_t vd_guestlog_days(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

/* "2026-12-06T18:43:15.123456789Z" (or with sep ' ' and 3 digits: libvirt's) → ns since the
 * epoch; 0 when p does not start with such a stamp. */
static uint64_t vd_guestlog_parse_time(const char *p, char sep, int frac_digits)
{
	long y = vd_guestlog_digits(p, 4), mo = vd_guestlog_digits(p + 5, 2);
	long d = vd_guestlog_digits(p + 8, 2), h = vd_guestlog_digits(p + 11, 2);
	long mi = vd_guestlog_digits(p + 14, 2), se = vd_guestlog_digits(p + 17, 2);
	long fr = vd_guestlog_digits(p + 20, frac_digits);
	if (p[4] != '-' || p[7] != '-' || p[10] != sep || p[13] != ':' || p[16] != ':' ||
	    p[19] != '.')
		return 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 60 || fr < 0)
		return 0;
	int64_t s = vd_guestlog_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	uint64_t scale = frac_digits == 9 ? 1 : 1000000;
	return (uint64_t)s * 1000000000ull + (uint64_t)fr * scale;
}

static uint64_t vd_guestlog_parse_stamp(const char *s)
{
	return s[29] == 'Z' ? vd_guestlog_parse_time(s, 'T', 9) : 0;
}

/* Add one record to the lines: a continuation joins the unfinished last line. */
static void vd_guestlog_take(struct vd_log_lines *l, uint64_t ts, bool full, const char *p,
			     size_t n)
{
	struct vd_log_line *last = l->n ? &l->v[l->n - 1] : NULL;
	if (!last || last->complete) {
		vd_log_lines_add(l, ts, full, strndup(p, n));
		return;
	}
	size_t have = strlen(last->text);
	last->text = vd_xrealloc(last->text, have + n + 1);
	memcpy(last->text + have, p, n);
	last->text[have + n] = '\0';
	last->end_ns = ts;
	last->complete = full;
}

/* Parse one record line (without its '\n'); records that are not ours are skipped. */
static void vd_guestlog_parse(struct vd_log_lines *l, const char *p, size_t n, uint64_t since)
{
	uint64_t ts = n > 40 ? vd_guestlog_parse_stamp(p) : 0;
	const char *sp = ts ? memchr(p + 31, ' ', n - 31) : NULL;
	if (!sp || (size_t)(sp - p) + 3 > n || sp[2] != ' ' || (sp[1] != 'F' && sp[1] != 'P'))
		return;
	if (ts < since)
		return;
	const char *text = sp + 3;
	vd_guestlog_take(l, ts, sp[1] == 'F', text, n - (size_t)(text - p));
}

static int vd_guestlog_read_one(const char *path, uint64_t since, struct vd_log_lines *out,
				struct vd_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = vd_read_file(path, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vd_error_errno(err, -r, "cannot read the log %s", path);
	for (size_t i = 0; i < len;) {
		char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;
		vd_guestlog_parse(out, buf + i, end - i, since);
		i = end + 1;
	}
	return 0;
}

int vd_guestlog_read(const char *path, uint64_t since_ns, size_t tail, struct vd_log_lines *out,
		     struct vd_error **err)
{
	_cleanup_free_ char *old = vd_xasprintf("%s.1", path);
	struct vd_log_lines l = { 0 };
	struct stat st;
	/* -f asks every 200 ms for what is new: a rotated file last written before that holds
	 * nothing new and is not read again. */
	uint64_t mtime = stat(old, &st) == 0 ? (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
						       (uint64_t)st.st_mtim.tv_nsec : 0;
	bool old_stale = since_ns && mtime < since_ns;
	int r = old_stale ? 0 : vd_guestlog_read_one(old, since_ns, &l, err);
	if (r == 0)
		r = vd_guestlog_read_one(path, since_ns, &l, err);
	if (r < 0) {
		vd_log_lines_free(&l);
		return r;
	}
	vd_log_lines_tail(&l, tail);
	*out = l;
	return 0;
}

int vd_guestlog_read_guest(const char *engine, const char *name, uint64_t since_ns, size_t tail,
			   struct vd_log_lines *out, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = vd_guestlog_path(engine, name, false, &path, err);
	return r < 0 ? r : vd_guestlog_read(path, since_ns, tail, out, err);
}

void vd_guestlog_remove_guest(const char *engine, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct vd_error *e = NULL;
	if (vd_guestlog_path(engine, name, false, &path, &e) == 0)
		vd_guestlog_remove(path);
	vd_error_free(e);
}

/* "2026-12-06 18:43:15.123+0000: " → ns; 0 when the line does not start with one. */
static uint64_t vd_guestlog_plain_stamp(const char *p, size_t n)
{
	if (n < 30 || memcmp(p + 23, "+0000: ", 7) != 0)
		return 0;
	return vd_guestlog_parse_time(p, ' ', 3);
}

void vd_guestlog_parse_plain(const char *buf, size_t len, uint64_t since_ns,
			     struct vd_log_lines *out)
{
	uint64_t ts = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;
		uint64_t t = vd_guestlog_plain_stamp(buf + i, end - i);
		ts = t ? t : ts;
		if (!since_ns || (ts && ts >= since_ns))
			vd_log_lines_add(out, ts, nl != NULL, strndup(buf + i, end - i));
		i = end + 1;
	}
}
