/* libvirt-priv.h - what the libvirt engine's files (libvirt*.c) and its tests share. */
#ifndef VD_BACKEND_LIBVIRT_PRIV_H
#define VD_BACKEND_LIBVIRT_PRIV_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "backend/backend.h"

/* The stats groups virtdeck asks for; the bulk call gets the subset the driver supports. */
#define LV_GROUPS_WANTED                                                                           \
	(VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |         \
	 VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK)

/* Reconnect backoff: first retry after 1 s, doubling up to 30 s. */
#define LV_BACKOFF_MIN_MS 1000
#define LV_BACKOFF_MAX_MS 30000

/* Device names of a running domain, parsed from its XML once; dropped when it stops, and all
 * of them on any lifecycle event (a restart or redefine may bring other devices). */
struct lv_devs {
	char name[VD_NAME_MAX * 4]; /* libvirt names may be longer than virtdeck's */
	char **disks, **nics;
	size_t n_disks, n_nics;
	bool used; /* seen in the latest refresh */
};

/* A shutdown in flight: destroyed at deadline if the guest has not stopped by then. */
struct lv_stop {
	char name[VD_NAME_MAX];
	uint64_t deadline_ns;
};

struct lv_priv {
	virConnectPtr conn;
	char *uri;          /* the URI actually opened (after the label and the default are resolved) */
	enum vd_kind kind;  /* lxc: containers, everything else VMs */
	unsigned groups;    /* stats groups the driver's bulk call supports */
	bool bulk;          /* the driver has virConnectGetAllDomainStats at all */
	unsigned bulk_flags; /* NOWAIT where the driver takes it: never wait behind a domain job */
	int event_cb;       /* lifecycle callback id, -1 when none */
	int balloon_cb;     /* balloon-change callback id, -1 when none */
	int retry_timer;    /* event-loop timer that wakes the console for a reconnect or a forced stop */
	uint64_t wake_due_ns; /* when retry_timer fires */
	int probe_fd;       /* non-blocking TCP connect of a reconnect in progress, -1 when none */
	uint64_t probe_deadline_ns;
	bool closed;        /* libvirt told us the connection went away */
	bool changed;       /* an event arrived since the last list */
	bool devs_stale;    /* a lifecycle event arrived: re-read device names */
	uint64_t retry_at_ns; /* earliest reconnect attempt */
	char *why_down;     /* why the last connect failed, shown until one succeeds */
	unsigned backoff_ms;
	struct lv_devs *devs; /* fallback cache for drivers without interface/block groups */
	size_t n_devs;
	struct lv_stop *stops; /* graceful stops waiting for their timeout (console mode) */
	size_t n_stops;
	struct vd_backend *be;
};

static inline void lv_domfreep(virDomainPtr *d)
{
	if (*d)
		virDomainFree(*d);
}
#define _cleanup_dom_ __attribute__((cleanup(lv_domfreep)))

/* libvirt.c */
/* Turn libvirt's last error into a vd_error naming the object and the URI. */
int lv_fail(struct lv_priv *p, struct vd_error **err, const char *what, const char *dom);
/* The default URI when none was given: $LIBVIRT_DEFAULT_URI, else qemu:///system. */
const char *lv_default_uri(void);
/* Split "label=URI"; returns the URI part and stores a malloc'd label (or NULL). */
const char *lv_split_label(const char *spec, char **label);
/* The host part of a URI ("qemu+tcp://10.0.0.2/system" -> "10.0.0.2"), or "local". */
char *lv_uri_host(const char *uri);
/* The TCP port of a remote URI's transport (explicit, or 16509 tcp, 22 ssh, 16514 tls), 0 if local.
 */
int lv_uri_port(const char *uri);

/* libvirt-logs.c */
/* The domain's log file for a local qemu/lxc URI (libvirt's own stamps give the times). */
int lv_ops_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		struct vd_log_lines *out, struct vd_error **err);

/* libvirt-stats.c */
/* Which of LV_GROUPS_WANTED the bulk call supports on conn (probed with ENFORCE_STATS). */
unsigned lv_stats_probe(virConnectPtr conn, bool *bulk, unsigned *flags);
enum vd_state lv_stats_state(int virstate);
/* Fill guests from one bulk call plus per-domain calls for the unsupported groups. */
int lv_stats_list(struct lv_priv *p, uint64_t now, struct vd_guest **out, size_t *n,
		  struct vd_error **err);
/* A guest from one domain's bulk-stats fields, plus per-domain calls on dom (when given) for
 * the groups the driver's bulk call lacks. */
void lv_stats_parse(struct lv_priv *p, virDomainPtr dom, const char *name,
		    const virTypedParameter *params, int n, uint64_t now, struct vd_guest *g);
/* One domain's guest record (lookup and stats). */
int lv_stats_one(struct lv_priv *p, virDomainPtr dom, uint64_t now, struct vd_guest *out,
		 struct vd_error **err);
void lv_stats_free_devs(struct lv_priv *p);

/* libvirt-event.c: libvirt's event loop driven from the console's poll(). */
/* Register virtdeck's handle/timeout table with libvirt (once, before the first open). */
void lv_event_init(void);
/* Take part in event fd reporting; the first registered backend reports for all. */
void lv_event_attach(struct lv_priv *p);
void lv_event_detach(struct lv_priv *p);
/* Mark a backend changed and wake the poll loop. */
void lv_event_wake(struct lv_priv *p);
/* Wake the console after ms (reconnect backoff); cancel before the backend goes away. */
void lv_event_wake_later(struct lv_priv *p, unsigned ms);
void lv_event_cancel_wake(struct lv_priv *p);
int lv_event_pollfds(struct lv_priv *p, struct pollfd *fds, int max, int *timeout_ms);
int lv_event_dispatch(struct lv_priv *p, const struct pollfd *fds, int n);
/* True once the console drives the loop (pollfds was called): waits must not block then. */
bool lv_event_driven(void);
/* While a console pump thread runs the loop, the console's pollfds/dispatch stay out of it. */
void lv_event_set_pumping(bool on);
int lv_event_fill_pump(struct pollfd *fds, int max, int *timeout_ms);
void lv_event_run_pump(const struct pollfd *fds, int n);

/* libvirt.c: the connection behind a backend, reopened with backoff after a loss. */
int lv_ensure(struct lv_priv *p, struct vd_error **err);
/* Look a domain up by name on the backend's connection (the caller frees it). */
int lv_domain(struct vd_backend *be, const char *name, virDomainPtr *dom, struct vd_error **err);

/* libvirt-console.c: the console as a socket fed by a pump thread. */
int lv_ops_console(struct vd_backend *be, const char *name, int *fd, struct vd_error **err);

/* libvirt-ops.c: lifecycle, resize and define. */
int lv_ops_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		  struct vd_error **err);
int lv_ops_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		 struct vd_error **err);
int lv_ops_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err);
int lv_ops_remove(struct vd_backend *be, const char *name, struct vd_error **err);
int lv_ops_start(struct vd_backend *be, const char *name, struct vd_error **err);
int lv_ops_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err);
int lv_ops_pause(struct vd_backend *be, const char *name, struct vd_error **err);
int lv_ops_resume(struct vd_backend *be, const char *name, struct vd_error **err);
int lv_ops_destroy(struct vd_backend *be, const char *name, struct vd_error **err);
int lv_ops_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		  struct vd_error **err);
/* Finish graceful stops whose timeout ran out while the console kept running (list calls it). */
void lv_ops_reap_stops(struct lv_priv *p);
void lv_ops_mark_stopping(const struct lv_priv *p, struct vd_guest *v, size_t n);

#endif
