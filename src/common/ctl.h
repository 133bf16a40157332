/* ctl.h - the control protocol: newline-delimited JSON over a 0600 unix socket, peer uid checked.
 */
#ifndef VD_COMMON_CTL_H
#define VD_COMMON_CTL_H

#include <json-c/json.h>
#include <sys/types.h>

#include "common/error.h"

/* Longest accepted message; longer lines are a protocol error (a hostile or broken peer). */
#define VD_CTL_MAX_LINE (64 * 1024)

struct vd_ctl_reader {
	char buf[VD_CTL_MAX_LINE + 1];
	size_t len;
};

/* Bind+listen on path (removing a stale socket first), chmod 0600. Returns fd or <0. */
int vd_ctl_listen(const char *path, struct vd_error **err);
/* Accept one client, reject it unless its uid is ours or root. Returns fd or <0. */
int vd_ctl_accept(int lfd, struct vd_error **err);
/* Longest wait for a free slot in a server's listen queue (a stopped server accepts nothing). */
#define VD_CTL_CONNECT_MS 5000
/* Connect to a guest's socket. Returns fd or <0 (-ENOENT/-ECONNREFUSED when it is gone,
 * -ETIMEDOUT when its listen queue stayed full for timeout_ms; <= 0 waits forever).
 * Paths longer than a socket address holds are reached through their directory. */
int vd_ctl_connect_ms(const char *path, int timeout_ms, struct vd_error **err);
/* The same with VD_CTL_CONNECT_MS. */
int vd_ctl_connect(const char *path, struct vd_error **err);
/* Write one object as a line. */
int vd_ctl_send(int fd, struct json_object *obj, struct vd_error **err);
/* Read one line into *out (parsed); timeout_ms < 0 waits forever. -EPIPE on EOF. */
int vd_ctl_recv(int fd, struct vd_ctl_reader *rd, int timeout_ms, struct json_object **out,
		struct vd_error **err);
/* Parse one complete buffered line if there is one: 1 = got one, 0 = need more, <0 = bad. */
int vd_ctl_take_line(struct vd_ctl_reader *rd, struct json_object **out, struct vd_error **err);
/* A line and a file descriptor in one message (SCM_RIGHTS), so the receiver cannot get one
 * without the other: a supervisor hands a console pty to its client this way. */
int vd_ctl_send_with_fd(int sock, struct json_object *obj, int fd, struct vd_error **err);
/* Receive such a message: *fd gets the descriptor (close-on-exec) and *reply the parsed line
 * (NULL if it is not JSON). Without a descriptor: -EPROTO naming the reply's "error". */
int vd_ctl_recv_with_fd(int sock, struct json_object **reply, int *fd, struct vd_error **err);
/* One request/response round trip on a fresh connection. */
int vd_ctl_call(const char *path, struct json_object *req, int timeout_ms,
		struct json_object **resp, struct vd_error **err);
/*
 * Bytes a non-blocking daemon owes one peer (a client socket, a pty), bounded by the caller:
 * a peer that does not read is dropped or loses bytes, it is never waited on.
 */
struct vd_ctl_outq {
	char *buf;
	size_t len, cap;
};
/* Append n bytes unless the queue would then hold more than max: -ENOBUFS, nothing added. */
int vd_ctl_outq_add(struct vd_ctl_outq *q, const void *p, size_t n, size_t max);
/* Append obj as one line, under the same bound. */
int vd_ctl_outq_line(struct vd_ctl_outq *q, struct json_object *obj, size_t max);
/* Forget the first n bytes (they were written). */
void vd_ctl_outq_consume(struct vd_ctl_outq *q, size_t n);
/* Send what the socket takes now: 0 = all sent, 1 = some left, <0 = the peer is gone. */
int vd_ctl_outq_flush(struct vd_ctl_outq *q, int fd);
void vd_ctl_outq_free(struct vd_ctl_outq *q);

/* Build the standard replies: {"ok":true,...} / {"ok":false,"error":msg,"code":n}. */
struct json_object *vd_ctl_reply_ok(void);
struct json_object *vd_ctl_reply_error(int code, const char *msg);
/* Turn an {"ok":false} reply into a vd_error; 0 when ok. */
int vd_ctl_check_reply(struct json_object *resp, struct vd_error **err);

void vd_json_putp(struct json_object **o);
#define _cleanup_json_ _cleanup_(vd_json_putp)

/* Typed getters with defaults (absent or wrong type → default). */
const char *vd_json_str(struct json_object *o, const char *key, const char *def);
int64_t vd_json_i64(struct json_object *o, const char *key, int64_t def);
double vd_json_double(struct json_object *o, const char *key, double def);
bool vd_json_bool(struct json_object *o, const char *key, bool def);
/* A counter or size into a reply (json-c's integers are signed 64-bit). */
void vd_json_put_u64(struct json_object *o, const char *key, uint64_t v);

#endif
