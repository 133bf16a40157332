/* libvirt.c - the libvirt engine: one connection per backend, errors, reconnects, the ops table. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/libvirt-priv.h"
#include "common/log.h"

/*
 * One backend per libvirt URI: "qemu:///system", "lxc:///system", "qemu+tcp://host/system",
 * "qemu+ssh://user@host/system", "test:///default" or "LABEL=URI". Without a URI it is
 * $LIBVIRT_DEFAULT_URI or qemu:///system, and opening fails at once when no daemon answers.
 * The HOST column shows the label, else the URI's host, else "local".
 *
 * Files: libvirt.c (connections, errors, the ops table), libvirt-stats.c (list and stats),
 * libvirt-ops.c (lifecycle, resize, define), libvirt-event.c (libvirt's event loop in the
 * console's poll()), libvirt-console.c (a domain console as a socket).
 */

/* How long a remote host may take to accept a TCP connection before we call it unreachable:
 * libvirt itself has no connect timeout, and the console must not freeze on a dead host. */
#define LV_CONNECT_PROBE_MS 2000

/* libvirt prints every error to stderr by default; the console owns the terminal. */
static void lv_silent(void *opaque, virErrorPtr e)
{
}

static int lv_errno(const virError *e)
{
	if (!e)
		return EIO;
	switch (e->code) {
	case VIR_ERR_NO_DOMAIN: return ENOENT;
	case VIR_ERR_OPERATION_INVALID: return EBUSY;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_ARGUMENT_UNSUPPORTED: return ENOTSUP;
	case VIR_ERR_INVALID_ARG: return EINVAL;
	case VIR_ERR_OPERATION_TIMEOUT: return ETIMEDOUT;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_ACCESS_DENIED:
	case VIR_ERR_OPERATION_DENIED: return EACCES;
	case VIR_ERR_DOM_EXIST: return EEXIST;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_RPC:
	case VIR_ERR_SYSTEM_ERROR: return ECONNREFUSED;
	default: return EIO;
	}
}

int lv_fail(struct lv_priv *p, struct vd_error **err, const char *what, const char *dom)
{
	virErrorPtr e = virGetLastError();
	int code = lv_errno(e);
	vd_error_set(err, code, "%s%s%s at %s: %s", what, dom ? " " : "", dom ? dom : "", p->uri,
		     e && e->message ? e->message : "libvirt gave no reason");
	virResetLastError();
	return -code;
}

const char *lv_default_uri(void)
{
	const char *env = getenv("LIBVIRT_DEFAULT_URI");
	return env && *env ? env : "qemu:///system";
}

/* "label=URI": a label is what stands before '=' when that part has no ':' or '/'. URIs keep
 * their own '=' (query parameters) because those come after "://". */
const char *lv_split_label(const char *spec, char **label)
{
	*label = NULL;
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || strcspn(spec, ":/") < (size_t)(eq - spec))
		return spec;
	*label = strndup(spec, (size_t)(eq - spec));
	return eq + 1;
}

/* The host[:port] part of "driver[+transport]://[user@]host[:port]/path": *h and its length. */
static size_t lv_uri_authority(const char *uri, const char **h)
{
	const char *p = strstr(uri, "://");
	if (!p) {
		*h = uri + strlen(uri);
		return 0;
	}
	p += 3;
	size_t end = strcspn(p, "/?");
	const char *at = memchr(p, '@', end);
	if (at) {
		end -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	*h = p;
	return end;
}

/* Host part of a URI; "local" when there is none (a unix socket on this machine). */
char *lv_uri_host(const char *uri)
{
	const char *h;
	size_t end = lv_uri_authority(uri, &h);
	size_t hl = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?");
	if (hl > end)
		hl = end;
	return hl ? strndup(h, hl) : vd_xstrdup("local");
}

/* The TCP port a remote URI's transport uses, or 0 when the URI is local (unix socket). */
int lv_uri_port(const char *uri)
{
	const char *h;
	size_t end = lv_uri_authority(uri, &h);
	if (end == 0)
		return 0;
	const char *colon = h[0] == '[' ? memchr(h, ']', end) : h;
	colon = colon ? memchr(colon, ':', end - (size_t)(colon - h)) : NULL;
	if (colon)
		return atoi(colon + 1);
	const char *plus = strchr(uri, '+'), *sep = strstr(uri, "://");
	if (!plus || plus > sep)
		return 16514; /* a host with no transport means TLS */
	if (vd_str_has_prefix(plus, "+tcp:"))
		return 16509;
	if (vd_str_has_prefix(plus, "+unix:") || vd_str_has_prefix(plus, "+ext:"))
		return 0;
	return strstr(plus, "ssh") && strstr(plus, "ssh") < sep ? 22 : 16514;
}

/* Start a non-blocking TCP connect to host:port (its first address); the fd, or -1 at once. */
static int lv_probe_start(const char *host, int port)
{
	char svc[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	snprintf(svc, sizeof(svc), "%d", port);
	const char *bare = host[0] == '[' ? host + 1 : host;
	_cleanup_free_ char *h = strndup(bare, strcspn(bare, "]"));
	if (getaddrinfo(h, svc, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* 1 connected, 0 still trying after wait_ms, -1 refused or failed. */
static int lv_probe_done(int fd, int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r = poll(&pfd, 1, wait_ms), soerr = 0;
	socklen_t len = sizeof(soerr);
	if (r == 0)
		return 0;
	return r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0 ? 1 : -1;
}

/* Can we reach host:port within LV_CONNECT_PROBE_MS? (Opening may wait that long; reconnects
 * use lv_reprobe, which never waits.) */
static bool lv_reachable(const char *host, int port)
{
	_cleanup_close_ int fd = lv_probe_start(host, port);
	return fd >= 0 && lv_probe_done(fd, LV_CONNECT_PROBE_MS) == 1;
}

static int lv_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			   void *opaque)
{
	struct lv_priv *p = opaque;
	p->devs_stale = true;
	lv_event_wake(p);
	return 0;
}

/* The guest's balloon moved (a live resize took effect): refresh to show the new allocation. */
static int lv_on_balloon(virConnectPtr conn, virDomainPtr dom, unsigned long long actual,
			 void *opaque)
{
	lv_event_wake(opaque);
	return 0;
}

static void lv_on_close(virConnectPtr conn, int reason, void *opaque)
{
	struct lv_priv *p = opaque;
	p->closed = true;
	lv_event_wake(p);
}

static void lv_disconnect(struct lv_priv *p)
{
	if (!p->conn)
		return;
	if (p->event_cb >= 0)
		virConnectDomainEventDeregisterAny(p->conn, p->event_cb);
	if (p->balloon_cb >= 0)
		virConnectDomainEventDeregisterAny(p->conn, p->balloon_cb);
	virConnectUnregisterCloseCallback(p->conn, lv_on_close);
	virConnectClose(p->conn);
	virResetLastError();
	p->conn = NULL;
	p->event_cb = p->balloon_cb = -1;
	lv_stats_free_devs(p);
}

/* Connection extras that a driver may lack (keepalive and close callbacks on local drivers):
 * failing ones are simply not used. */
static void lv_connect_extras(struct lv_priv *p)
{
	virConnSetErrorFunc(p->conn, NULL, lv_silent);
	/* 3 s x 2 missed answers: a dead remote host is noticed within about 10 s. */
	virConnectSetKeepAlive(p->conn, 3, 2);
	virConnectRegisterCloseCallback(p->conn, lv_on_close, p, NULL);
	p->event_cb = virConnectDomainEventRegisterAny(p->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						       VIR_DOMAIN_EVENT_CALLBACK(lv_on_lifecycle), p, NULL);
	p->balloon_cb = virConnectDomainEventRegisterAny(p->conn, NULL, VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
							 VIR_DOMAIN_EVENT_CALLBACK(lv_on_balloon), p, NULL);
	const char *type = virConnectGetType(p->conn);
	p->kind = type && strcasecmp(type, "LXC") == 0 ? VD_KIND_CT : VD_KIND_VM;
	p->groups = lv_stats_probe(p->conn, &p->bulk, &p->bulk_flags);
	virResetLastError();
}

static int lv_connect(struct lv_priv *p, bool probe, struct vd_error **err)
{
	_cleanup_free_ char *host = lv_uri_host(p->uri);
	int port = lv_uri_port(p->uri);
	if (probe && port > 0 && !lv_reachable(host, port))
		return vd_error_set(
			err, EHOSTUNREACH,
			"cannot reach %s port %d within %d ms for %s: check the host and its libvirtd",
			host, port, LV_CONNECT_PROBE_MS, p->uri);
	/* No auth callback: a password prompt would write to the console's terminal. */
	p->conn = virConnectOpen(p->uri);
	if (!p->conn) {
		virErrorPtr e = virGetLastError();
		int code = lv_errno(e);
		vd_error_set(err, code, "cannot connect to libvirt at %s: %s%s", p->uri,
			     e && e->message ? e->message : "libvirt gave no reason",
			     port ? "" : ": is libvirtd running? (start it with `libvirtd -d`, or pass --connect URI)");
		virResetLastError();
		return -code;
	}
	p->closed = false;
	lv_connect_extras(p);
	return 0;
}

static void lv_backoff(struct lv_priv *p)
{
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : LV_BACKOFF_MIN_MS;
	if (p->backoff_ms > LV_BACKOFF_MAX_MS)
		p->backoff_ms = LV_BACKOFF_MAX_MS;
	p->retry_at_ns = vd_now_mono_ns() + (uint64_t)p->backoff_ms * 1000000ull;
	lv_event_wake_later(p, p->backoff_ms);
}

/* Remember why the host is down and schedule the next attempt. */
static void lv_down(struct lv_priv *p, const struct vd_error *why)
{
	free(p->why_down);
	p->why_down = why ? vd_xstrdup(why->msg) : NULL;
	lv_backoff(p);
}

static void lv_probe_stop(struct lv_priv *p)
{
	if (p->probe_fd >= 0)
		close(p->probe_fd);
	p->probe_fd = -1;
}

/* Before reconnecting to a remote host, see it accept TCP without ever waiting: the connect
 * runs across refreshes (a wake timer re-checks it), so a host that drops packets costs the
 * console nothing. 0 when reachable. */
static int lv_reprobe(struct lv_priv *p, int port, struct vd_error **err)
{
	_cleanup_free_ char *host = lv_uri_host(p->uri);
	uint64_t now = vd_now_mono_ns();
	if (p->probe_fd < 0) {
		p->probe_fd = lv_probe_start(host, port);
		p->probe_deadline_ns = now + LV_CONNECT_PROBE_MS * 1000000ull;
	}
	int st = p->probe_fd < 0 ? -1 : lv_probe_done(p->probe_fd, 0);
	if (st == 0 && now < p->probe_deadline_ns) {
		lv_event_wake_later(p, 250);
		return vd_error_set(err, EINPROGRESS, "reconnecting to %s: waiting for %s port %d",
				    p->uri, host, port);
	}
	lv_probe_stop(p);
	if (st == 1)
		return 0;
	lv_backoff(p);
	return vd_error_set(err, EHOSTUNREACH,
			    "connection to %s lost: %s port %d does not answer, next try in %u s",
			    p->uri, host, port, p->backoff_ms / 1000);
}

/* Use the connection, reopening it when it was lost; between attempts, fail at once so the
 * console keeps running while a host is down. */
int lv_ensure(struct lv_priv *p, struct vd_error **err)
{
	if (p->conn && !p->closed && virConnectIsAlive(p->conn) == 1)
		return 0;
	virResetLastError();
	uint64_t now = vd_now_mono_ns();
	if (now < p->retry_at_ns)
		return vd_error_set(err, ECONNRESET, "no connection to %s (%s): next try in %llu s", p->uri,
				    p->why_down ? p->why_down : "it was lost",
				    (unsigned long long)((p->retry_at_ns - now + 999999999ull) / 1000000000ull));
	int port = lv_uri_port(p->uri), r;
	if (port > 0 && (r = lv_reprobe(p, port, err)) < 0)
		return r;
	lv_disconnect(p);
	r = lv_connect(p, false, err);
	if (r < 0) {
		lv_down(p, err ? *err : NULL);
		return vd_error_wrap(err, "no connection to %s, next try in %u s", p->uri, p->backoff_ms / 1000);
	}
	p->backoff_ms = 0;
	p->retry_at_ns = 0;
	free(p->why_down);
	p->why_down = NULL;
	return 0;
}

/* After a failed call: if the connection died, drop it so the next list reconnects. */
static void lv_check_alive(struct lv_priv *p)
{
	if (p->conn && virConnectIsAlive(p->conn) != 1) {
		p->closed = true;
		lv_backoff(p);
	}
	virResetLastError();
}

int lv_domain(struct vd_backend *be, const char *name, virDomainPtr *dom, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	int r = lv_ensure(p, err);
	if (r < 0)
		return r;
	*dom = virDomainLookupByName(p->conn, name);
	if (!*dom) {
		r = lv_fail(p, err, "no domain named", name);
		lv_check_alive(p);
		return r;
	}
	return 0;
}

/* "ssh" transports would ask for a password on our terminal; no_tty makes ssh fail instead. */
static char *lv_uri_batch(const char *uri)
{
	const char *sep = strstr(uri, "://");
	const char *ssh = strstr(uri, "+ssh");
	if (!sep || !ssh || ssh > sep || strstr(uri, "no_tty="))
		return vd_xstrdup(uri);
	return vd_xasprintf("%s%sno_tty=1", uri, strchr(uri, '?') ? "&" : "?");
}

static void lv_set_label(struct vd_backend *be, char *label, const char *uri)
{
	if (!label && !vd_streq(be->label, "local"))
		return; /* the caller chose one */
	free(be->label);
	be->label = label ? label : lv_uri_host(uri);
}

/* A host that is only down (no daemon, refused, unreachable) right now: an explicitly asked for
 * URI opens anyway, shows as lost and is retried with backoff; the default URI (none given)
 * fails at once, so a machine without libvirtd simply has no libvirt engine. */
static bool lv_down_only(int r)
{
	return r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNRESET;
}

static int lv_open_connect(struct vd_backend *be, struct lv_priv *p, struct vd_error **err)
{
	_cleanup_error_ struct vd_error *e = NULL;
	int r = lv_connect(p, true, &e);
	if (r < 0 && !(be->uri && lv_down_only(r)))
		return vd_error_propagate(err, TAKE_PTR(e));
	if (r < 0)
		lv_down(p, e);
	lv_event_attach(p);
	return 0;
}

static int lv_open(struct vd_backend *be, struct vd_error **err)
{
	virSetErrorFunc(NULL, lv_silent);
	if (virInitialize() < 0)
		return vd_error_set(err, EIO, "libvirt failed to initialize");
	lv_event_init();
	struct lv_priv *p = vd_xcalloc(1, sizeof(*p));
	p->be = be;
	p->event_cb = p->balloon_cb = -1;
	p->retry_timer = -1;
	p->probe_fd = -1;
	be->priv = p;
	char *label = NULL;
	const char *uri = be->uri ? lv_split_label(be->uri, &label) : lv_default_uri();
	p->uri = lv_uri_batch(uri);
	lv_set_label(be, label, p->uri);
	return lv_open_connect(be, p, err);
}

static void lv_close(struct vd_backend *be)
{
	struct lv_priv *p = be->priv;
	lv_event_detach(p);
	lv_event_cancel_wake(p);
	lv_probe_stop(p);
	lv_disconnect(p);
	free(p->stops);
	free(p->why_down);
	free(p->uri);
	free(p);
	be->priv = NULL;
}

static int lv_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	int r = lv_ensure(p, err);
	if (r < 0)
		return r;
	lv_ops_reap_stops(p);
	r = lv_stats_list(p, vd_backend_now(be), out, n, err);
	if (r < 0)
		lv_check_alive(p);
	else
		lv_ops_mark_stopping(p, *out, *n);
	return r;
}

static int lv_pollfds(struct vd_backend *be, struct pollfd *fds, int max, int *timeout_ms)
{
	return lv_event_pollfds(be->priv, fds, max, timeout_ms);
}

static int lv_dispatch(struct vd_backend *be, const struct pollfd *fds, int n)
{
	return lv_event_dispatch(be->priv, fds, n);
}

const struct vd_backend_ops vd_libvirt_ops = {
	.name = "libvirt",
	.open = lv_open,
	.close = lv_close,
	.list = lv_list,
	.lookup = lv_ops_lookup,
	.create = lv_ops_create,
	.remove = lv_ops_remove,
	.start = lv_ops_start,
	.stop = lv_ops_stop,
	.pause = lv_ops_pause,
	.resume = lv_ops_resume,
	.destroy = lv_ops_destroy,
	.stats = lv_ops_stats,
	.resize = lv_ops_resize,
	.console = lv_ops_console,
	.logs = lv_ops_logs,
	.pollfds = lv_pollfds,
	.dispatch = lv_dispatch,
	/* no exec: libvirt has no generic "run a command in the guest" without an agent */
};
