/* backend.h - the engine interface: one static const ops table per engine, one dispatcher. */
#ifndef VD_BACKEND_BACKEND_H
#define VD_BACKEND_BACKEND_H

#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include "backend/guest.h"
#include "common/error.h"
#include "common/guestlog.h"
#include "common/relay.h"

typedef uint64_t (*vd_clock_fn)(void);

/* A backend is an opened engine: one per engine instance or libvirt URI. */
struct vd_backend {
	const struct vd_backend_ops *ops;
	char *uri;   /* what it was opened with, e.g. "fake:///demo", "qemu:///system" */
	char *label; /* host label shown in the HOST column */
	vd_clock_fn clock; /* sampling clock; tests inject a fixed one */
	void *priv;  /* engine state */
	bool lost;   /* the last list failed: shown as a lost connection */
	bool busy;   /* the last refresh found an operation running: its guests are from before */
	struct vd_error *last_error;
	pthread_mutex_t lock; /* one engine call at a time: the console's job thread and its refresh */
};

/*
 * Engine operations. Engines only implement behaviour: every call goes through the
 * vd_backend_* dispatcher below, which validates arguments and turns a NULL slot into
 * "operation X is not supported by engine Y". Names are engine-unique guest names.
 */
struct vd_backend_ops {
	const char *name; /* "fake", "ct", "vmm", "libvirt" */
	int (*open)(struct vd_backend *be, struct vd_error **err);
	void (*close)(struct vd_backend *be);
	/* All guests with state, allocation and a current sample; *out is malloc'd. */
	int (*list)(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err);
	int (*lookup)(struct vd_backend *be, const char *name, struct vd_guest *out,
		      struct vd_error **err);
	int (*create)(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err);
	int (*remove)(struct vd_backend *be, const char *name, struct vd_error **err);
	int (*start)(struct vd_backend *be, const char *name, struct vd_error **err);
	/* Graceful stop; after timeout_s the engine forces it. */
	int (*stop)(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err);
	int (*pause)(struct vd_backend *be, const char *name, struct vd_error **err);
	int (*resume)(struct vd_backend *be, const char *name, struct vd_error **err);
	int (*destroy)(struct vd_backend *be, const char *name, struct vd_error **err);
	int (*stats)(struct vd_backend *be, const char *name, struct vd_sample *out,
		     struct vd_error **err);
	int (*resize)(struct vd_backend *be, const char *name, const struct vd_resize *req,
		      struct vd_error **err);
	/* A file descriptor carrying the guest's console byte stream (caller closes it). */
	int (*console)(struct vd_backend *be, const char *name, int *fd, struct vd_error **err);
	/* The size of the terminal attached to the console; NULL when the console has none (a
	 * serial line), which the dispatcher reports as ENOTSUP. */
	int (*console_size)(struct vd_backend *be, const char *name, unsigned rows, unsigned cols,
			    struct vd_error **err);
	/* Run argv inside the guest with the caller's stdio; *status gets the exit status. */
	int (*exec)(struct vd_backend *be, const char *name, char *const *argv, int *status,
		    struct vd_error **err);
	/* What the guest printed on its console: lines printed at or after since_ns (realtime,
	 * 0: all), the last tail (0: all); lines of a log without times have ts_ns 0. */
	int (*logs)(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		    struct vd_log_lines *out, struct vd_error **err);
	/* Event sources for the console's poll() loop (libvirt events, supervisor sockets):
	 * fill up to max pollfds and return how many; the loop calls dispatch with their revents.
	 * dispatch returns > 0 when guests changed and the list should be refreshed. */
	int (*pollfds)(struct vd_backend *be, struct pollfd *fds, int max, int *timeout_ms);
	int (*dispatch)(struct vd_backend *be, const struct pollfd *fds, int n);
};

/* Open the engine registered under `engine` with a URI (NULL → engine default). */
int vd_backend_open(const char *engine, const char *uri, const char *label, struct vd_backend **out,
		    struct vd_error **err);
/* Open with an explicit ops table (tests, out-of-tree engines). */
int vd_backend_open_ops(const struct vd_backend_ops *ops, const char *uri, const char *label,
			struct vd_backend **out, struct vd_error **err);
void vd_backend_close(struct vd_backend *be);
const char *vd_backend_name(const struct vd_backend *be);
/* Engines compiled into this binary, NULL-terminated. */
const struct vd_backend_ops *const *vd_backend_engines(void);
const struct vd_backend_ops *vd_backend_find_engine(const char *name);

int vd_backend_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err);
/* Like vd_backend_list, but returns -EBUSY (without an error) when an operation holds the engine.
 */
int vd_backend_trylist(struct vd_backend *be, struct vd_guest **out, size_t *n,
		       struct vd_error **err);
int vd_backend_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		      struct vd_error **err);
int vd_backend_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err);
int vd_backend_remove(struct vd_backend *be, const char *name, struct vd_error **err);
int vd_backend_start(struct vd_backend *be, const char *name, struct vd_error **err);
int vd_backend_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err);
int vd_backend_pause(struct vd_backend *be, const char *name, struct vd_error **err);
int vd_backend_resume(struct vd_backend *be, const char *name, struct vd_error **err);
int vd_backend_destroy(struct vd_backend *be, const char *name, struct vd_error **err);
int vd_backend_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		     struct vd_error **err);
int vd_backend_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		      struct vd_error **err);
int vd_backend_console(struct vd_backend *be, const char *name, int *fd, struct vd_error **err);
int vd_backend_console_size(struct vd_backend *be, const char *name, unsigned rows, unsigned cols,
			    struct vd_error **err);

/* The guest a user's terminal is attached to, for vd_backend_console_resized. */
struct vd_console_ref {
	struct vd_backend *be;
	const char *name;
};
/* A vd_relay_size_fn (common/relay.h) for a struct vd_console_ref: the terminal's new size
 * goes to the guest's console (errors only stop further calls: the terminal is raw then). */
int vd_backend_console_resized(void *ref, const struct winsize *ws);
/* On attach: send the terminal's size and return the function that follows it, or NULL with
 * *note (to print, lines ending in eol) saying the console has no size or why it failed. */
vd_relay_size_fn vd_backend_console_attach_size(struct vd_console_ref *ref, const char *eol,
						 char **note);
int vd_backend_exec(struct vd_backend *be, const char *name, char *const *argv, int *status,
		    struct vd_error **err);
int vd_backend_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		    struct vd_log_lines *out, struct vd_error **err);
/* Like vd_backend_logs (the last tail lines), but -EBUSY (without an error) when an operation
 * holds the engine: the console never waits for one. */
int vd_backend_trylogs(struct vd_backend *be, const char *name, size_t tail,
		       struct vd_log_lines *out, struct vd_error **err);
/* The last n lines a guest printed (what it said before it stopped): no lines, and no error,
 * when its engine keeps no log or it printed nothing. */
void vd_backend_last_lines(struct vd_backend *be, const char *name, size_t n,
			   struct vd_log_lines *out);

uint64_t vd_backend_now(const struct vd_backend *be);
struct json_object;
/* The CPU reading of an engine's stats reply (common/rate.h) into s, keeping the engine's own
 * stamps unless a clock is injected (see backend.c). */
void vd_backend_stamp_sample(const struct vd_backend *be, struct vd_sample *s,
			     struct json_object *reply);

#endif
