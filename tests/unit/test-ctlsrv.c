/* test-ctlsrv.c - the control socket server against clients that misbehave: one pipelining
 * requests without reading replies, more idle connections than slots; a well-behaved request
 * must still be answered at once and the server must never block or hoard memory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ctlsrv.h"

static struct vd_ctlsrv srv;
static char sock_path[64];
static char pad[1024];
static size_t max_queued;

/* Replies of about 1 KiB, so a client that does not read fills its socket quickly. */
static void echo_handler(void *opaque, struct vd_ctlsrv_client *c, struct json_object *req)
{
	struct json_object *o = vd_ctl_reply_ok();
	json_object_object_add(o, "pad", json_object_new_string(pad));
	vd_ctlsrv_reply(c, o);
	json_object_put(o);
	if (c->fd >= 0 && c->out_len > max_queued)
		max_queued = c->out_len;
}

static int srv_setup(void **state)
{
	memset(pad, 'p', sizeof(pad) - 1);
	snprintf(sock_path, sizeof(sock_path), "/tmp/vd-test-ctlsrv-%d.sock", (int)getpid());
	struct vd_error *err = NULL;
	int fd = vd_ctl_listen(sock_path, &err);
	if (fd < 0)
		return -1;
	vd_ctlsrv_init(&srv, fd, "test", echo_handler, NULL);
	return 0;
}

static int srv_teardown(void **state)
{
	vd_ctlsrv_close(&srv);
	close(srv.listen_fd);
	unlink(sock_path);
	return 0;
}

/* One turn of a server's poll loop. */
static void pump(int ms)
{
	struct pollfd p[1 + VD_CTLSRV_SLOTS];
	unsigned n = vd_ctlsrv_pollfds(&srv, p);
	if (poll(p, n, ms) > 0)
		vd_ctlsrv_dispatch(&srv, p);
}

/* A well-behaved client: one request, its reply within about a second of server turns. */
static bool status_answered(void)
{
	struct vd_error *err = NULL;
	int fd = vd_ctl_connect(sock_path, &err);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"cmd\":\"status\"}\n", 17), 17);
	char buf[4096];
	ssize_t n = 0;
	for (int i = 0; i < 50 && n <= 0; i++) {
		pump(20);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	close(fd);
	return n > 0 && memmem(buf, (size_t)n, "\"ok\":true", 9);
}

static void test_pipelining_client_cannot_block(void **state)
{
	struct vd_error *err = NULL;
	int bad = vd_ctl_connect(sock_path, &err);
	fcntl(bad, F_SETFL, O_NONBLOCK);
	max_queued = 0;
	unsigned sent = 0;
	for (int turn = 0; turn < 400; turn++) {
		while (write(bad, "{\"cmd\":\"status\"}\n", 17) == 17)
			sent++;
		pump(1);
	}
	print_message("pipelined %u requests without reading; most queued for it: %zu bytes\n",
		      sent, max_queued);
	/* Its replies (1 KiB each) overflow the socket between us; then the server stops reading
	 * from it, so its own sends fill up too, and nothing of it grows on the server's side. */
	assert_true(sent > 300);
	assert_true(max_queued <= VD_CTLSRV_OUT_MAX);
	assert_true(status_answered());
	close(bad);
}

static void test_idle_connections_cannot_take_every_slot(void **state)
{
	int idle[VD_CTLSRV_SLOTS + 16];
	struct vd_error *err = NULL;
	for (unsigned i = 0; i < VD_ARRAY_SIZE(idle); i++) {
		idle[i] = vd_ctl_connect(sock_path, &err);
		assert_true(idle[i] >= 0);
		pump(1);
	}
	for (int i = 0; i < 20; i++)
		pump(1);
	assert_true(status_answered());
	for (unsigned i = 0; i < VD_ARRAY_SIZE(idle); i++)
		close(idle[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelining_client_cannot_block),
		cmocka_unit_test(test_idle_connections_cannot_take_every_slot),
	};
	return cmocka_run_group_tests(tests, srv_setup, srv_teardown);
}
