/* libvirt-console.c - a domain's console as a socket: a pump thread between it and a libvirt
 * stream. */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/libvirt-priv.h"
#include "common/log.h"

#define LV_PUMP_POLL_MS 200
#define LV_PUMP_BUF 4096

/*
 * The console code relays bytes between the terminal and one fd and, meanwhile, does not run
 * the event loop. A libvirt stream only moves while someone runs that loop, so the pump thread
 * runs it for the time of the attach (the console's poll() leaves libvirt's fds alone then) and
 * copies between the stream and its end of a socketpair. It touches no UI state.
 */
struct lv_pump {
	virConnectPtr conn; /* a reference of its own */
	virStreamPtr st;
	int sock;
	bool done;
};

/* Stream -> socket: drain what libvirt has buffered. */
static void lv_console_on_stream(virStreamPtr st, int events, void *opaque)
{
	struct lv_pump *pump = opaque;
	char buf[LV_PUMP_BUF];
	for (;;) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n == -2)
			return; /* nothing more for now */
		if (n <= 0 || write(pump->sock, buf, (size_t)n) != n) {
			pump->done = true; /* the guest side closed, or the reader went away */
			return;
		}
	}
}

/* Socket -> stream: what the user typed. */
static void lv_console_from_user(struct lv_pump *pump)
{
	char buf[LV_PUMP_BUF];
	ssize_t n = read(pump->sock, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		pump->done = true; /* detached: the console closed its end */
		return;
	}
	for (ssize_t off = 0; off < n && !pump->done;) {
		int w = virStreamSend(pump->st, buf + off, (size_t)(n - off));
		if (w == -2) {
			usleep(1000);
			continue;
		}
		if (w < 0)
			pump->done = true;
		else
			off += w;
	}
}

static void lv_console_finish(struct lv_pump *pump)
{
	virStreamEventRemoveCallback(pump->st);
	virStreamAbort(pump->st);
	virStreamFree(pump->st);
	virConnectClose(pump->conn);
	virResetLastError();
	close(pump->sock);
	free(pump);
	lv_event_set_pumping(false);
}

static void *lv_console_thread(void *arg)
{
	struct lv_pump *pump = arg;
	while (!pump->done) {
		struct pollfd fds[64] = { { .fd = pump->sock, .events = POLLIN } };
		int timeout = LV_PUMP_POLL_MS;
		int n = 1 + lv_event_fill_pump(fds + 1, 63, &timeout);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			lv_console_from_user(pump);
		lv_event_run_pump(fds + 1, n - 1);
	}
	lv_console_finish(pump);
	return NULL;
}

static int lv_console_start(struct lv_priv *p, struct lv_pump *pump, struct vd_error **err)
{
	pthread_t tid;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	virConnectRef(p->conn);
	pump->conn = p->conn;
	lv_event_set_pumping(true);
	int r = pthread_create(&tid, &attr, lv_console_thread, pump);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		lv_event_set_pumping(false);
		virConnectClose(p->conn);
		return vd_error_errno(err, r, "starting the console pump thread");
	}
	return 0;
}

int lv_ops_console(struct vd_backend *be, const char *name, int *fd, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	_cleanup_dom_ virDomainPtr dom = NULL;
	int r = lv_domain(be, name, &dom, err);
	if (r < 0)
		return r;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vd_error_errno(err, errno, "console of %s: socketpair", name);
	struct lv_pump *pump = vd_xcalloc(1, sizeof(*pump));
	pump->sock = sv[1];
	pump->st = virStreamNew(p->conn, VIR_STREAM_NONBLOCK);
	if (!pump->st || virDomainOpenConsole(dom, NULL, pump->st, VIR_DOMAIN_CONSOLE_FORCE) < 0 ||
	    virStreamEventAddCallback(pump->st,
				      VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
					      VIR_STREAM_EVENT_HANGUP,
				      lv_console_on_stream, pump, NULL) < 0 ||
	    (r = lv_console_start(p, pump, err)) < 0) {
		if (r == 0)
			r = lv_fail(p, err, "opening the console of domain", name);
		if (pump->st) {
			virStreamEventRemoveCallback(pump->st);
			virStreamAbort(pump->st);
			virStreamFree(pump->st);
		}
		virResetLastError();
		free(pump);
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	*fd = sv[0];
	return 0;
}
