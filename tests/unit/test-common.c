/* test-common.c - size parsing, the error contract, paths, the control-protocol framing, the relay. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <pty.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ini.h>
#include <math.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/inival.h"
#include "common/paths.h"
#include "common/relay.h"

static void test_parse_size(void **state)
{
	uint64_t v;
	assert_int_equal(vd_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(vd_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(vd_parse_size("1.5GiB", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(vd_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vd_parse_size("-1G", &v), -EINVAL);
	assert_int_equal(vd_parse_size("12X", &v), -EINVAL);
	assert_int_equal(vd_parse_size("", &v), -EINVAL);
	assert_int_equal(vd_parse_size("1.5", &v), -EINVAL);
	assert_int_equal(vd_parse_size("99999999999T", &v), -ERANGE);
	char buf[16];
	assert_string_equal(vd_format_size(512ull << 20, buf, sizeof(buf)), "512M");
	assert_string_equal(vd_format_size(3ull << 29, buf, sizeof(buf)), "1.5G");
	assert_string_equal(vd_format_size(100, buf, sizeof(buf)), "100B");
}

/* Numbers from users and from control messages: nothing but plain decimal digits gets through. */
static void test_parse_strict(void **state)
{
	uint64_t v;
	double d;
	const char *const bad_sizes[] = { "nan", "nanM", "NaNG", "inf", "infG", "-infM",
					  "1e3M", "1e308", "0x10M", " 5M", "5M ", "5 M", ".M",
					  "1..5M", "+5M", "5MM", NULL };
	for (size_t i = 0; bad_sizes[i]; i++)
		if (vd_parse_size(bad_sizes[i], &v) == 0)
			fail_msg("took '%s' as %llu", bad_sizes[i], (unsigned long long)v);
	assert_int_equal(vd_parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(vd_parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(vd_parse_size("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(vd_parse_size("0.5K", &v), 0);
	assert_int_equal(v, 512);
	const char *const bad_doubles[] = { "nan", "-nan", "inf", "-inf", "infinity", "1e309",
					    "0x1p3", " 1", "1 ", "1\n", "", "1,5", NULL };
	for (size_t i = 0; bad_doubles[i]; i++)
		if (vd_parse_double(bad_doubles[i], &d) == 0)
			fail_msg("vd_parse_double accepted '%s' as %g", bad_doubles[i], d);
	assert_int_equal(vd_parse_double("0.25", &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(vd_parse_u64("\t5", &v), -EINVAL);
	assert_int_equal(vd_parse_u64("5\n", &v), -EINVAL);
	assert_int_equal(vd_parse_u64("18446744073709551616", &v), -ERANGE);
}

/* The bounds every entry point of a resize applies: CPUs 0.01 .. the host's, memory min .. RAM. */
static void test_resource_bounds(void **state)
{
	unsigned host = vd_host_cpus();
	assert_true(host >= 1);
	assert_int_equal(vd_check_cpus(0.5), 0);
	assert_int_equal(vd_check_cpus((double)host), 0);
	assert_true(vd_check_cpus((double)host + 1) < 0);
	assert_true(vd_check_cpus(5000) < 0);
	assert_true(vd_check_cpus(1e308) < 0);
	assert_true(vd_check_cpus(NAN) < 0);
	assert_true(vd_check_cpus(INFINITY) < 0);
	assert_true(vd_check_cpus(-1) < 0);
	assert_true(vd_check_cpus(0) < 0);
	assert_true(vd_check_cpus(0.001) < 0);
	uint64_t ram = vd_host_mem();
	assert_true(ram >= 64ull << 20);
	assert_int_equal(vd_check_mem(64ull << 20, 4ull << 20), 0);
	assert_int_equal(vd_check_mem(ram, 4ull << 20), 0);
	assert_true(vd_check_mem(ram + 1, 4ull << 20) < 0);
	assert_true(vd_check_mem(1ull << 20, 4ull << 20) < 0);
	assert_true(vd_check_mem(UINT64_MAX, 4ull << 20) < 0);
	assert_true(vd_ifname_valid("vdbr0"));
	assert_true(vd_ifname_valid("abcdefghijklmno")); /* 15: IFNAMSIZ - 1 */
	assert_false(vd_ifname_valid("abcdefghijklmnop"));
	assert_false(vd_ifname_valid(""));
	assert_false(vd_ifname_valid("."));
	assert_false(vd_ifname_valid("a/b"));
	assert_false(vd_ifname_valid("a b"));
	assert_false(vd_ifname_valid("a:b"));
}

/* Values that inih would cut, comment out or split come back byte for byte through inih itself. */
struct inival_seen {
	struct vd_inival acc;
	char *vals[32];
	int bad;
};

static int inival_handler(void *user, const char *section, const char *key, const char *value)
{
	struct inival_seen *s = user;
	const char *k = NULL, *v = NULL;
	struct vd_error *e = NULL;
	if (vd_inival_take(&s->acc, key, value, &k, &v, &e) < 0 || k[0] != 'k') {
		vd_error_free(e);
		s->bad++;
		return 0;
	}
	size_t i = strtoul(k + 1, NULL, 10);
	free(s->vals[i]);
	s->vals[i] = vd_xstrdup(v);
	return 1;
}

static void test_inival_roundtrip(void **state)
{
	char longv[301];
	memset(longv, 'x', 300);
	memcpy(longv + 183, "\npids_max=3 ; x", 15);
	longv[300] = '\0';
	const char *const vals[] = { "plain", "a ; b", "a;b", "# x", "a # b", "line1\nline2",
				     "a=b [c]", "[x]", "  lead", "trail  ", "\xff\xfe\x80 bytes",
				     "\"quoted\"", "\"", "back\\slash", "\\x3b", "", "tab\there\r",
				     longv, NULL };
	char path[] = "/tmp/test-inival.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; vals[i]; i++) {
		_cleanup_free_ char *key = vd_xasprintf("k%zu", i);
		vd_inival_put(f, key, vals[i]);
	}
	fclose(f);
	struct inival_seen s = { { 0 } };
	int line = ini_parse(path, inival_handler, &s);
	unlink(path);
	assert_int_equal(line, 0);
	assert_int_equal(s.bad, 0);
	for (size_t i = 0; vals[i]; i++) {
		assert_non_null(s.vals[i]);
		assert_string_equal(s.vals[i], vals[i]);
		free(s.vals[i]);
	}
	vd_inival_clear(&s.acc);
	struct vd_error *e = NULL;
	const char *k, *v;
	/* A continuation with nothing before it. */
	assert_true(vd_inival_take(&s.acc, "cmd+", "\"x\"", &k, &v, &e) < 0);
	assert_non_null(strstr(e->msg, "cmd+"));
	vd_error_freep(&e);
	/* A hand-written value that is not one of ours stays as written. */
	assert_int_equal(vd_inival_take(&s.acc, "cmd", "\"/bin/echo\" \"x\"", &k, &v, &e), 0);
	assert_string_equal(v, "\"/bin/echo\" \"x\"");
	assert_int_equal(vd_inival_take(&s.acc, "cmd", "\"\\\"", &k, &v, &e), 0); /* "\" */
	assert_string_equal(v, "\"\\\"");
	assert_int_equal(vd_inival_take(&s.acc, "cmd", "/bin/sh -c 'a\\ b'", &k, &v, &e), 0);
	assert_string_equal(v, "/bin/sh -c 'a\\ b'");
	vd_inival_clear(&s.acc);
}

static void test_error_contract(void **state)
{
	struct vd_error *err = NULL;
	assert_int_equal(vd_error_set(&err, ENOENT, "rootfs %s missing", "/x"), -ENOENT);
	assert_int_equal(vd_error_set(&err, EPERM, "second error"), -EPERM);
	assert_string_equal(err->msg, "rootfs /x missing"); /* the first error wins */
	assert_int_equal(vd_error_wrap(&err, "starting ct %s", "web"), -ENOENT);
	assert_string_equal(err->msg, "starting ct web: rootfs /x missing");
	vd_error_freep(&err);
	assert_int_equal(vd_error_errno(&err, -EACCES, "open %s", "f"), -EACCES);
	assert_string_equal(err->msg, "open f: Permission denied");
	vd_error_freep(&err);
	assert_int_equal(vd_error_set(NULL, EINVAL, "nobody listens"), -EINVAL);
}

/* An error made in a local and handed up: kept only when the caller has none yet, and the code
 * returned is always the code of the error the caller ends up with. */
static void test_error_propagate(void **state)
{
	struct vd_error *local = NULL, *err = NULL;
	vd_error_set(&local, ETIMEDOUT, "supervisor of web does not answer");
	assert_int_equal(vd_error_propagate(NULL, local), -ETIMEDOUT); /* freed, no crash */
	local = NULL;
	vd_error_set(&local, ETIMEDOUT, "first");
	assert_int_equal(vd_error_propagate(&err, local), -ETIMEDOUT);
	assert_ptr_equal(err, local);
	local = NULL;
	vd_error_set(&local, EPERM, "second");
	assert_int_equal(vd_error_propagate(&err, local), -ETIMEDOUT); /* the first error wins */
	assert_string_equal(err->msg, "first");
	assert_int_equal(err->code, ETIMEDOUT);
	assert_int_equal(vd_error_propagate(&err, NULL), -ETIMEDOUT);
	vd_error_freep(&err);
	assert_int_equal(vd_error_propagate(&err, NULL), -EIO); /* failed without saying why */
	assert_null(err);
}

static void test_paths_override(void **state)
{
	setenv("VIRTDECK_STATE_DIR", "/tmp/vd-state-test", 1);
	char *p = NULL;
	assert_int_equal(vd_paths_state_dir(&p, NULL), 0);
	assert_string_equal(p, "/tmp/vd-state-test");
	free(p);
	unsetenv("VIRTDECK_STATE_DIR");
	setenv("XDG_CONFIG_HOME", "/tmp/cfg", 1);
	assert_int_equal(vd_paths_config_file(&p, NULL), 0);
	assert_string_equal(p, "/tmp/cfg/virtdeck/virtdeck.ini");
	free(p);
}

static void test_ctl_roundtrip_and_bad_input(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct vd_error *err = NULL;
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("status"));
	assert_int_equal(vd_ctl_send(sv[0], req, &err), 0);
	json_object_put(req);
	struct vd_ctl_reader *rd = vd_xcalloc(1, sizeof(*rd));
	struct json_object *got = NULL;
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), 0);
	assert_string_equal(vd_json_str(got, "op", "?"), "status");
	json_object_put(got);
	/* two messages in one write, then a malformed one */
	const char *burst = "{\"a\":1}\n{\"a\":2}\n[1,2]\nnot json\n";
	assert_int_equal(write(sv[0], burst, strlen(burst)), (ssize_t)strlen(burst));
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), 0);
	assert_int_equal(vd_json_i64(got, "a", 0), 1);
	json_object_put(got);
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), 0);
	assert_int_equal(vd_json_i64(got, "a", 0), 2);
	json_object_put(got);
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), -EBADMSG);
	assert_non_null(strstr(err->msg, "not an object"));
	vd_error_freep(&err);
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), -EBADMSG);
	vd_error_freep(&err);
	assert_int_equal(vd_ctl_recv(sv[1], rd, 50, &got, &err), -ETIMEDOUT);
	vd_error_freep(&err);
	/* an endless line is refused instead of growing without bound */
	char *big = vd_xmalloc(VD_CTL_MAX_LINE + 10);
	memset(big, 'x', VD_CTL_MAX_LINE + 10);
	assert_true(write(sv[0], big, VD_CTL_MAX_LINE + 10) > 0);
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), -EMSGSIZE);
	vd_error_freep(&err);
	close(sv[0]);
	rd->len = 0;
	assert_int_equal(vd_ctl_recv(sv[1], rd, 1000, &got, &err), -EPIPE);
	vd_error_freep(&err);
	close(sv[1]);
	free(big);
	free(rd);
}

/* A socket path longer than sun_path (107 bytes) still binds and connects, through its
 * directory; a server that accepts nothing makes connect fail after the timeout, not hang. */
static void test_ctl_long_path_and_full_queue(void **state)
{
	char dir[] = "/tmp/vd-ctl-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *deep = vd_xasprintf("%s/%0100d", dir, 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	_cleanup_free_ char *path = vd_xasprintf("%s/guest.sock", deep);
	assert_true(strlen(path) > 107);
	struct vd_error *err = NULL;
	int lfd = vd_ctl_listen(path, &err);
	assert_null(err);
	assert_true(lfd >= 0);
	int n = 0, r = 0;
	int fds[64];
	while (n < 64 && (r = vd_ctl_connect_ms(path, 200, &err)) >= 0)
		fds[n++] = r;
	assert_true(n >= 1);             /* the first connections queue */
	assert_int_equal(r, -ETIMEDOUT); /* then the full queue: bounded, with a message */
	assert_non_null(strstr(err->msg, "no free connection slot within 200 ms"));
	vd_error_freep(&err);
	while (n > 0)
		close(fds[--n]);
	close(lfd);
	unlink(path);
	rmdir(deep);
	rmdir(dir);
}

static void test_ctl_socket_mode_and_reply(void **state)
{
	char dir[] = "/tmp/vd-ctl-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *path = vd_xasprintf("%s/g.sock", dir);
	struct vd_error *err = NULL;
	int lfd = vd_ctl_listen(path, &err);
	assert_true(lfd >= 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	int cfd = vd_ctl_connect(path, &err);
	assert_true(cfd >= 0);
	int afd = vd_ctl_accept(lfd, &err);
	assert_true(afd >= 0);
	struct json_object *rep = vd_ctl_reply_error(ENOENT, "no container named x");
	assert_int_equal(vd_ctl_send(afd, rep, &err), 0);
	json_object_put(rep);
	struct vd_ctl_reader rd = { .len = 0 };
	struct json_object *got = NULL;
	assert_int_equal(vd_ctl_recv(cfd, &rd, 1000, &got, &err), 0);
	assert_int_equal(vd_ctl_check_reply(got, &err), -ENOENT);
	assert_string_equal(err->msg, "no container named x");
	vd_error_freep(&err);
	json_object_put(got);
	close(afd);
	close(cfd);
	close(lfd);
	unlink(path);
	rmdir(dir);
	assert_true(vd_ctl_connect(path, &err) < 0);
	vd_error_freep(&err);
}

static void test_ctl_fd_passing(void **state)
{
	int sv[2], pipefd[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe(pipefd), 0);
	struct vd_error *err = NULL;
	struct json_object *o = vd_ctl_reply_ok();
	assert_int_equal(vd_ctl_send_with_fd(sv[0], o, pipefd[1], &err), 0);
	json_object_put(o);
	struct json_object *reply = NULL;
	int got = -1;
	assert_int_equal(vd_ctl_recv_with_fd(sv[1], &reply, &got, &err), 0);
	assert_true(vd_json_bool(reply, "ok", false));
	json_object_put(reply);
	assert_true(got >= 0 && got != pipefd[1]);
	assert_int_equal(write(got, "x", 1), 1); /* the passed fd is the pipe's write end */
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	/* a plain reply without a descriptor: the supervisor's error comes through */
	o = vd_ctl_reply_error(ENOENT, "VM web is not running");
	assert_int_equal(vd_ctl_send(sv[0], o, &err), 0);
	json_object_put(o);
	assert_int_equal(vd_ctl_recv_with_fd(sv[1], NULL, &got, &err), -EPROTO);
	assert_non_null(strstr(err->msg, "VM web is not running"));
	vd_error_freep(&err);
	close(got);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A guest that never reads its input (a command that does not read stdin while the user pastes)
 * must not stall its output: the relay keeps input pending instead of blocking on it. */
static void test_relay_guest_not_reading(void **state)
{
	int in[2], out[2], guest[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guest), 0);
	pid_t writer = fork();
	if (writer == 0) { /* the user types far more than the guest side buffers */
		static char junk[1 << 16];
		for (int i = 0; i < 128; i++)
			(void)!write(in[1], junk, sizeof(junk));
		_exit(0);
	}
	pid_t peer = fork();
	if (peer == 0) { /* the guest: answers later, and never reads */
		usleep(300 * 1000);
		(void)!write(guest[1], "hello", 5);
		shutdown(guest[1], SHUT_WR);
		pause();
		_exit(0);
	}
	close(guest[1]);
	alarm(20); /* a relay that blocks on its input fails here instead of hanging */
	struct vd_relay r = { .user_in = in[0], .user_out = out[1], .guest = guest[0], .event_fd = -1,
			      .detach_key = -1 };
	assert_int_equal(vd_relay_run(&r), VD_RELAY_GUEST_CLOSED);
	alarm(0);
	char buf[8] = "";
	assert_int_equal(read(out[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	kill(writer, SIGKILL);
	kill(peer, SIGKILL);
	waitpid(writer, NULL, 0);
	waitpid(peer, NULL, 0);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
	close(guest[0]);
}

/* The console relay's size callback writes what it got to this pipe, for the parent. */
static int relay_size_report = -1;

static int relay_size_seen(void *data, const struct winsize *ws)
{
	(void)data;
	unsigned short rc[2] = { ws->ws_row, ws->ws_col };
	return write(relay_size_report, rc, sizeof(rc)) == (ssize_t)sizeof(rc) ? 0 : -EIO;
}

static void *relay_size_idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* The child: a session whose controlling terminal is the pty slave, and a second thread that
 * blocks no signal, as the TUI's job thread: SIGWINCH must reach the relay wherever it lands. */
_Noreturn static void relay_size_child(int slave, int report)
{
	int guest[2];
	pthread_t t;
	relay_size_report = report;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
	    dup2(slave, 1) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guest) < 0 ||
	    pthread_create(&t, NULL, relay_size_idle, NULL) != 0)
		_exit(2);
	_exit(vd_relay_console(guest[0], relay_size_seen, NULL) == 0 ? 0 : 3);
}

static void relay_size_expect(int report, unsigned short rows, unsigned short cols)
{
	unsigned short rc[2];
	assert_int_equal(read(report, rc, sizeof(rc)), sizeof(rc));
	assert_int_equal(rc[0], rows);
	assert_int_equal(rc[1], cols);
}

/* vd_relay_console passes on the terminal's size at the start and after every SIGWINCH. */
static void test_relay_console_size(void **state)
{
	int master, slave, report[2];
	struct winsize ws = { .ws_row = 40, .ws_col = 160 };
	assert_int_equal(openpty(&master, &slave, NULL, NULL, &ws), 0);
	assert_int_equal(pipe(report), 0);
	alarm(20); /* a size that never arrives fails here instead of hanging */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		relay_size_child(slave, report[1]);
	close(report[1]);
	relay_size_expect(report[0], 40, 160);
	for (unsigned short i = 1; i <= 3; i++) {
		ws = (struct winsize){ .ws_row = (unsigned short)(20 + i),
				       .ws_col = (unsigned short)(90 + i) };
		assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0); /* the kernel sends SIGWINCH */
		relay_size_expect(report[0], ws.ws_row, ws.ws_col);
	}
	assert_int_equal(write(master, "\x1d", 1), 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(report[0]);
	close(master);
	close(slave);
}

static void test_relay_detach_key(void **state)
{
	int in[2], guest[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guest), 0);
	assert_int_equal(write(in[1], "ab\x1d", 3), 3);
	struct vd_relay r = { .user_in = in[0], .user_out = -1, .guest = guest[0], .event_fd = -1,
			      .detach_key = VD_DETACH_KEY };
	assert_int_equal(vd_relay_run(&r), VD_RELAY_DETACHED);
	close(in[1]);
	r.user_in = in[0];
	assert_int_equal(vd_relay_run(&r), VD_RELAY_USER_CLOSED);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(guest[i]);
	}
}

/* A daemon's queue to a peer that does not read: bounded, never blocking, memory given back. */
static void test_ctl_outq_bounded(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct vd_ctl_outq q = { 0 };
	struct json_object *o = vd_ctl_reply_ok();
	assert_int_equal(vd_ctl_outq_line(&q, o, 1 << 20), 0);
	assert_int_equal(vd_ctl_outq_flush(&q, sv[0]), 0);
	assert_null(q.buf); /* drained: freed */
	char line[64] = "";
	assert_true(read(sv[1], line, sizeof(line) - 1) > 0);
	assert_string_equal(line, "{\"ok\":true}\n");
	char chunk[4096];
	memset(chunk, 'x', sizeof(chunk));
	while (vd_ctl_outq_add(&q, chunk, sizeof(chunk), 1 << 20) == 0)
		;
	assert_int_equal(q.len, 1 << 20); /* exactly up to the bound, then -ENOBUFS */
	assert_int_equal(vd_ctl_outq_line(&q, o, 1 << 20), -ENOBUFS);
	assert_int_equal(vd_ctl_outq_flush(&q, sv[0]), 1); /* the peer reads nothing: some left */
	assert_true(q.len > 0 && q.len < 1 << 20);
	close(sv[1]);
	assert_true(vd_ctl_outq_flush(&q, sv[0]) < 0); /* the peer is gone */
	vd_ctl_outq_free(&q);
	json_object_put(o);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_resource_bounds),
		cmocka_unit_test(test_inival_roundtrip),
		cmocka_unit_test(test_error_contract),
		cmocka_unit_test(test_error_propagate),
		cmocka_unit_test(test_paths_override),
		cmocka_unit_test(test_ctl_roundtrip_and_bad_input),
		cmocka_unit_test(test_ctl_socket_mode_and_reply),
		cmocka_unit_test(test_ctl_long_path_and_full_queue),
		cmocka_unit_test(test_ctl_fd_passing),
		cmocka_unit_test(test_relay_guest_not_reading),
		cmocka_unit_test(test_relay_detach_key),
		cmocka_unit_test(test_relay_console_size),
		cmocka_unit_test(test_ctl_outq_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
