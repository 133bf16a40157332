/* test-common.c - size parsing, the error contract, paths and the control-protocol framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/paths.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_error_contract),
		cmocka_unit_test(test_error_propagate),
		cmocka_unit_test(test_paths_override),
		cmocka_unit_test(test_ctl_roundtrip_and_bad_input),
		cmocka_unit_test(test_ctl_socket_mode_and_reply),
		cmocka_unit_test(test_ctl_long_path_and_full_queue),
		cmocka_unit_test(test_ctl_fd_passing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
