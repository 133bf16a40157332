/* ctlsrv.h - the server side of a control socket that no client can stall: non-blocking client
 * sockets, a bounded output buffer per client (a client that does not read is dropped), a fixed
 * number of slots with an idle timeout, and the least recently active client evicted when a new
 * one needs a slot, so a control request always gets in. For single-threaded poll() loops. */
#ifndef VD_COMMON_CTLSRV_H
#define VD_COMMON_CTLSRV_H

#include <poll.h>
#include <stdint.h>

#include "common/ctl.h"

#define VD_CTLSRV_SLOTS 16
#define VD_CTLSRV_OUT_MAX (256 * 1024) /* replies waiting for one client */
#define VD_CTLSRV_IDLE_NS (10ull * 1000000000ull)

struct vd_ctlsrv_client {
	int fd; /* -1 = free slot */
	struct vd_ctl_reader *rd;
	char *out;      /* queued reply bytes not yet taken by the client */
	size_t out_len;
	uint64_t last_ns; /* last time the client sent or took bytes */
};

struct vd_ctlsrv;
/* Serve one request; reply with vd_ctlsrv_reply or vd_ctlsrv_reply_fd. */
typedef void (*vd_ctlsrv_handler_fn)(void *opaque, struct vd_ctlsrv_client *c,
				     struct json_object *req);

struct vd_ctlsrv {
	int listen_fd;
	const char *what; /* for messages: "VM web" */
	vd_ctlsrv_handler_fn handler;
	void *opaque;
	struct vd_ctlsrv_client c[VD_CTLSRV_SLOTS];
};

/* Take over a listening socket (made non-blocking here). */
void vd_ctlsrv_init(struct vd_ctlsrv *s, int listen_fd, const char *what,
		    vd_ctlsrv_handler_fn handler, void *opaque);
/* Fill p with the listening socket and every client (VD_CTLSRV_SLOTS + 1 entries). */
unsigned vd_ctlsrv_pollfds(const struct vd_ctlsrv *s, struct pollfd *p);
/* Act on what poll() reported in those entries, then drop clients idle too long. */
void vd_ctlsrv_dispatch(struct vd_ctlsrv *s, const struct pollfd *p);
/* Queue a reply line; the client is dropped when its queue would pass VD_CTLSRV_OUT_MAX. */
void vd_ctlsrv_reply(struct vd_ctlsrv_client *c, struct json_object *obj);
/* A reply line with a descriptor (SCM_RIGHTS): sent at once or the client is dropped. */
int vd_ctlsrv_reply_fd(struct vd_ctlsrv_client *c, struct json_object *obj, int fd,
		       struct vd_error **err);
void vd_ctlsrv_close(struct vd_ctlsrv *s);

#endif
