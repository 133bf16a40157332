/* test-guestlog.c - the guest output log: records, parts joined, --since, --tail, rotation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/guestlog.h"

struct fx {
	char dir[64];
	char *path;
};

static int fx_setup(void **state)
{
	struct fx *f = vd_xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/vd-test-guestlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = vd_xasprintf("%s/g.log", f->dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	vd_guestlog_remove(f->path);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void must_read(const char *path, uint64_t since, size_t tail, struct vd_log_lines *l)
{
	struct vd_error *err = NULL;
	assert_int_equal(vd_guestlog_read(path, since, tail, l, &err), 0);
	assert_null(err);
}

/* Lines split across writes, a prompt without a newline, and control bytes come back as
 * printed; each line has its time, and times never repeat. */
static void test_lines_and_parts(void **state)
{
	struct fx *f = *state;
	struct vd_guestlog g;
	struct vd_error *err = NULL;
	assert_int_equal(vd_guestlog_open(&g, f->path, 0, &err), 0);
	vd_guestlog_write(&g, "hel", 3);
	vd_guestlog_write(&g, "lo\r\nwor", 7);
	vd_guestlog_flush(&g); /* the guest fell quiet mid-line: a part is written */
	vd_guestlog_write(&g, "ld\n\x1b[1mbold\x1b[0m\n/ # ", 21);
	vd_guestlog_close(&g);
	struct vd_log_lines l;
	must_read(f->path, 0, 0, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].text, "hello\r");
	assert_string_equal(l.v[1].text, "world");
	assert_true(l.v[1].complete);
	assert_string_equal(l.v[2].text, "\x1b[1mbold\x1b[0m");
	assert_string_equal(l.v[3].text, "/ # ");
	assert_false(l.v[3].complete);
	for (size_t i = 1; i < l.n; i++)
		assert_true(l.v[i].ts_ns > l.v[i - 1].end_ns);
	assert_true(l.v[1].end_ns > l.v[1].ts_ns); /* two records: the part, then the rest */
	/* Follow from just after a line: only what came later. */
	uint64_t from = l.v[1].end_ns + 1;
	vd_log_lines_free(&l);
	must_read(f->path, from, 0, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].text, "\x1b[1mbold\x1b[0m");
	vd_log_lines_free(&l);
	must_read(f->path, 0, 1, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].text, "/ # ");
	vd_log_lines_free(&l);
}

/* A restart appends; the stamp in the file reads back to the same nanosecond. */
static void test_append_and_stamp(void **state)
{
	struct fx *f = *state;
	struct vd_guestlog g;
	struct vd_error *err = NULL;
	for (int run = 0; run < 2; run++) {
		assert_int_equal(vd_guestlog_open(&g, f->path, 0, &err), 0);
		vd_guestlog_write(&g, "boom\n", 5);
		vd_guestlog_close(&g);
	}
	struct vd_log_lines l;
	must_read(f->path, 0, 0, &l);
	assert_int_equal(l.n, 2);
	char ts[40], want[128], line[128];
	FILE *fp = fopen(f->path, "re");
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	snprintf(want, sizeof(want), "%s stdout F boom\n",
		 vd_guestlog_stamp(l.v[0].ts_ns, ts, sizeof(ts)));
	assert_string_equal(line, want);
	vd_log_lines_free(&l);
}

/* Output without end stays within NAME + NAME.1 of the bound; records are never cut, the
 * newest survive, and a line longer than a record comes back whole. */
static void test_rotation_bound(void **state)
{
	struct fx *f = *state;
	struct vd_guestlog g;
	struct vd_error *err = NULL;
	assert_int_equal(vd_guestlog_open(&g, f->path, 64 * 1024, &err), 0);
	char buf[64];
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(buf, sizeof(buf), "line %d\n", i);
		vd_guestlog_write(&g, buf, (size_t)n);
	}
	char *big = vd_xmalloc(5001);
	memset(big, 'x', 5000);
	big[5000] = '\n';
	vd_guestlog_write(&g, big, 5001);
	vd_guestlog_close(&g);
	free(big);
	char *old = vd_xasprintf("%s.1", f->path);
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	assert_int_equal(vd_read_file(f->path, &a, &na), 0);
	assert_int_equal(vd_read_file(old, &b, &nb), 0);
	assert_true(na <= 64 * 1024 && nb <= 64 * 1024);
	assert_true(na > 0 && nb > 0);
	assert_int_equal(a[na - 1], '\n'); /* whole records only */
	assert_int_equal(b[nb - 1], '\n');
	struct vd_log_lines l;
	must_read(f->path, 0, 2, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].text, "line 19999");
	assert_int_equal(strlen(l.v[1].text), 5000);
	vd_log_lines_free(&l);
	free(a);
	free(b);
	free(old);
}

/* A missing log is no lines and no error; lines that are not records are skipped. */
static void test_missing_and_foreign(void **state)
{
	struct fx *f = *state;
	struct vd_log_lines l;
	must_read(f->path, 0, 0, &l);
	assert_int_equal(l.n, 0);
	FILE *fp = fopen(f->path, "we");
	fputs("garbage\n2026-12-06T18:43:15.123456789Z stdout F ok\n2026-13-99T x\n", fp);
	fclose(fp);
	must_read(f->path, 0, 0, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].text, "ok");
	vd_log_lines_free(&l);
}

/* libvirt's domain log: its stamped lines carry their time, the lines QEMU wrote between them
 * the time of the last stamp; --since leaves out what came before. */
static void test_libvirt_plain(void **state)
{
	(void)state;
	const char log[] = "2026-12-06 18:00:00.250+0000: starting up libvirt version: 9.0.0\n"
			   "LC_ALL=C /usr/bin/qemu-system-x86_64 -name guest=web\n"
			   "2026-12-06 18:10:00.000+0000: shutting down, reason=crashed\n"
			   "qemu: terminating on signal 15\n";
	struct vd_log_lines l = { 0 };
	vd_guestlog_parse_plain(log, sizeof(log) - 1, 0, &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0].ts_ns, 1796580000250000000ull);
	assert_int_equal(l.v[1].ts_ns, l.v[0].ts_ns);
	assert_string_equal(l.v[3].text, "qemu: terminating on signal 15");
	vd_log_lines_free(&l);
	vd_guestlog_parse_plain(log, sizeof(log) - 1, 1796580300000000000ull, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].text, "2026-12-06 18:10:00.000+0000: shutting down, reason=crashed");
	vd_log_lines_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_parts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_append_and_stamp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_bound, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_foreign, fx_setup, fx_teardown),
		cmocka_unit_test(test_libvirt_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
