/* backend.c - the one dispatcher in front of every engine's ops table. */
#include "backend/backend.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>

#include "backend/engines.h"
#include "common/log.h"
#include "common/rate.h"

static const struct vd_backend_ops *const vd_engines[] = {
#ifdef ENABLE_CONTAINERS
	&vd_ct_ops,
#endif
#ifdef ENABLE_VMM
	&vd_vmm_ops,
#endif
#ifdef WITH_LIBVIRT
	&vd_libvirt_ops,
#endif
	&vd_fake_ops,
	NULL,
};

const struct vd_backend_ops *const *vd_backend_engines(void)
{
	return vd_engines;
}

const struct vd_backend_ops *vd_backend_find_engine(const char *name)
{
	for (size_t i = 0; vd_engines[i]; i++)
		if (vd_streq(vd_engines[i]->name, name))
			return vd_engines[i];
	return NULL;
}

const char *vd_backend_name(const struct vd_backend *be)
{
	return be && be->ops && be->ops->name ? be->ops->name : "?";
}

uint64_t vd_backend_now(const struct vd_backend *be)
{
	return be->clock ? be->clock() : vd_now_mono_ns();
}

/* An engine stamps its readings with CLOCK_MONOTONIC; an injected clock (tests, simulated days of
 * history) is another timeline, so under one the sample takes its time and the engine's kept
 * reading is dropped rather than mixed with it. */
void vd_backend_stamp_sample(const struct vd_backend *be, struct vd_sample *s,
			     struct json_object *reply)
{
	struct vd_rate_reading cur, win;
	vd_rate_json_get(reply, &cur, &win);
	s->t_ns = cur.t_ns;
	s->cpu_ns = cur.value;
	s->win_t_ns = win.t_ns;
	s->win_cpu_ns = win.value;
	if (be->clock || !s->t_ns)
		s->t_ns = vd_backend_now(be);
	if (be->clock)
		s->win_t_ns = s->win_cpu_ns = 0;
}

int vd_backend_open_ops(const struct vd_backend_ops *ops, const char *uri, const char *label,
			struct vd_backend **out, struct vd_error **err)
{
	if (!ops || !ops->name || !out)
		return vd_error_set(err, EINVAL, "opening a backend: no engine given");
	struct vd_backend *be = vd_xcalloc(1, sizeof(*be));
	be->ops = ops;
	be->uri = uri ? vd_xstrdup(uri) : NULL;
	be->label = vd_xstrdup(label && *label ? label : "local");
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&be->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (ops->open) {
		int r = ops->open(be, err);
		if (r < 0) {
			vd_error_wrap(err, "opening engine %s%s%s", ops->name, uri ? " at " : "", uri ? uri : "");
			vd_backend_close(be);
			return r;
		}
	}
	*out = be;
	return 0;
}

int vd_backend_open(const char *engine, const char *uri, const char *label, struct vd_backend **out,
		    struct vd_error **err)
{
	const struct vd_backend_ops *ops = vd_backend_find_engine(engine);
	if (!ops)
		return vd_error_set(
			err, ENOENT,
			"engine %s is not compiled into this virtdeck: see `virtdeck --version` for the engines it has",
			engine ? engine : "(none)");
	return vd_backend_open_ops(ops, uri, label, out, err);
}

void vd_backend_close(struct vd_backend *be)
{
	if (!be)
		return;
	if (be->ops && be->ops->close && be->priv)
		be->ops->close(be);
	vd_error_free(be->last_error);
	pthread_mutex_destroy(&be->lock);
	free(be->uri);
	free(be->label);
	free(be);
}

static int vd_unsupported(struct vd_backend *be, const char *op, struct vd_error **err)
{
	return vd_error_set(err, ENOTSUP, "operation %s is not supported by engine %s", op,
			    vd_backend_name(be));
}

/* Common checks: a backend, a valid name, and an implemented slot. */
static int vd_check(struct vd_backend *be, const char *name, const void *slot, const char *op,
		    struct vd_error **err)
{
	if (!be || !be->ops)
		return vd_error_set(err, EINVAL, "%s: no backend given", op);
	if (name && !vd_name_valid(name))
		return vd_error_set(err, EINVAL,
				    "%s: invalid guest name '%s': use 1-63 letters, digits, '_', '.', '-' (not first)",
				    op, name);
	if (!slot)
		return vd_unsupported(be, op, err);
	return 0;
}

/* Add "op NAME on ENGINE" context to an engine error. */
static int vd_done(int r, struct vd_backend *be, const char *op, const char *name,
		   struct vd_error **err)
{
	if (r >= 0)
		return r;
	if (err && !*err)
		vd_error_errno(err, r, "engine returned an error without a message");
	vd_debug("%s %s on %s failed: %s", op, name ? name : "", vd_backend_name(be),
		 err && *err ? (*err)->msg : "");
	return vd_error_wrap(err, "%s%s%s (engine %s, host %s)", op, name ? " " : "", name ? name : "",
			     vd_backend_name(be), be->label);
}

#define VD_DISPATCH(be, name, slot, op, err, ...)                                                 \
	({                                                                                         \
		int _r = vd_check(be, name, (be) && (be)->ops ? (const void *)(be)->ops->slot : NULL, \
				  op, err);                                                        \
		if (_r == 0) {                                                                     \
			pthread_mutex_lock(&(be)->lock);                                           \
			_r = (be)->ops->slot(be, __VA_ARGS__);                                     \
			pthread_mutex_unlock(&(be)->lock);                                         \
			_r = vd_done(_r, be, op, name, err);                                       \
		}                                                                                  \
		_r;                                                                                \
	})

int vd_backend_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	if (!out || !n)
		return vd_error_set(err, EINVAL, "list: no output given");
	*out = NULL;
	*n = 0;
	int r = VD_DISPATCH(be, NULL, list, "list", err, out, n, err);
	for (size_t i = 0; r >= 0 && i < *n; i++)
		(*out)[i].backend = be;
	return r;
}

int vd_backend_trylist(struct vd_backend *be, struct vd_guest **out, size_t *n,
		       struct vd_error **err)
{
	if (!be || pthread_mutex_trylock(&be->lock) != 0)
		return be ? -EBUSY : vd_error_set(err, EINVAL, "list: no backend given");
	int r = vd_backend_list(be, out, n, err);
	pthread_mutex_unlock(&be->lock);
	return r;
}

int vd_backend_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		      struct vd_error **err)
{
	if (!out || !name)
		return vd_error_set(err, EINVAL, "lookup: no guest name or output given");
	int r = VD_DISPATCH(be, name, lookup, "lookup", err, name, out, err);
	if (r >= 0)
		out->backend = be;
	return r;
}

int vd_backend_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err)
{
	if (!def || !def->name)
		return vd_error_set(err, EINVAL, "create: no definition given");
	return VD_DISPATCH(be, def->name, create, "create", err, def, err);
}

#define VD_NAME_OP(fn, slot, op)                                                                   \
	int fn(struct vd_backend *be, const char *name, struct vd_error **err)                     \
	{                                                                                          \
		if (!name)                                                                         \
			return vd_error_set(err, EINVAL, "%s: no guest name given", op);           \
		return VD_DISPATCH(be, name, slot, op, err, name, err);                            \
	}

VD_NAME_OP(vd_backend_remove, remove, "delete")
VD_NAME_OP(vd_backend_start, start, "start")
VD_NAME_OP(vd_backend_pause, pause, "pause")
VD_NAME_OP(vd_backend_resume, resume, "resume")
VD_NAME_OP(vd_backend_destroy, destroy, "kill")

int vd_backend_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err)
{
	if (!name)
		return vd_error_set(err, EINVAL, "stop: no guest name given");
	if (timeout_s < 0)
		return vd_error_set(err, EINVAL, "stop %s: negative timeout %d", name, timeout_s);
	return VD_DISPATCH(be, name, stop, "stop", err, name, timeout_s, err);
}

int vd_backend_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		     struct vd_error **err)
{
	if (!name || !out)
		return vd_error_set(err, EINVAL, "stats: no guest name or output given");
	return VD_DISPATCH(be, name, stats, "stats", err, name, out, err);
}

int vd_backend_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		      struct vd_error **err)
{
	if (!name || !req)
		return vd_error_set(err, EINVAL, "resize: no guest name or size given");
	if (req->vcpus == 0 && req->cpus <= 0 && req->mem_bytes == 0)
		return vd_error_set(
			err, EINVAL,
			"resize %s: nothing to change: give a memory size, vCPUs or a CPU quota",
			name);
	if (!isfinite(req->cpus) || req->cpus < 0)
		return vd_error_set(err, EINVAL, "resize %s: CPU quota %g is not a number of CPUs",
				    name, req->cpus);
	if (req->cpus > 0 && req->cpus < 0.01)
		return vd_error_set(err, EINVAL,
				    "resize %s: CPU quota %.3f is below the 0.01 CPU minimum", name,
				    req->cpus);
	return VD_DISPATCH(be, name, resize, "resize", err, name, req, err);
}

int vd_backend_console(struct vd_backend *be, const char *name, int *fd, struct vd_error **err)
{
	if (!name || !fd)
		return vd_error_set(err, EINVAL, "console: no guest name given");
	return VD_DISPATCH(be, name, console, "console", err, name, fd, err);
}

int vd_backend_console_size(struct vd_backend *be, const char *name, unsigned rows, unsigned cols,
			    struct vd_error **err)
{
	if (!name)
		return vd_error_set(err, EINVAL, "console size: no guest name given");
	if (rows < 1 || rows > USHRT_MAX || cols < 1 || cols > USHRT_MAX)
		return vd_error_set(err, EINVAL, "console size of %s: %ux%u is no terminal size "
				    "(columns and rows are 1-%u)", name, cols, rows, USHRT_MAX);
	return VD_DISPATCH(be, name, console_size, "console size", err, name, rows, cols, err);
}

int vd_backend_console_resized(void *ref, const struct winsize *ws)
{
	const struct vd_console_ref *c = ref;
	return vd_backend_console_size(c->be, c->name, ws->ws_row, ws->ws_col, NULL);
}

vd_relay_size_fn vd_backend_console_attach_size(struct vd_console_ref *ref, const char *eol,
						 char **note)
{
	struct winsize ws;
	_cleanup_error_ struct vd_error *err = NULL;
	*note = NULL;
	if (!vd_relay_winsize(STDIN_FILENO, &ws))
		return NULL;
	if (vd_backend_console_size(ref->be, ref->name, ws.ws_row, ws.ws_col, &err) == 0)
		return vd_backend_console_resized;
	if (err->code == ENOTSUP)
		*note = vd_xasprintf("%s's console is a serial line and has no window size.%s"
				     "For a shell there to take this terminal's size, run: "
				     "stty rows %u cols %u%s", ref->name, eol, ws.ws_row, ws.ws_col,
				     eol);
	else
		*note = vd_xasprintf("warning: %s%s", err->msg, eol);
	return NULL;
}

int vd_backend_exec(struct vd_backend *be, const char *name, char *const *argv, int *status,
		    struct vd_error **err)
{
	if (!name || !argv || !argv[0] || !status)
		return vd_error_set(err, EINVAL, "exec: give a guest name and a command");
	return VD_DISPATCH(be, name, exec, "exec", err, name, argv, status, err);
}

int vd_backend_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		    struct vd_log_lines *out, struct vd_error **err)
{
	if (!name || !out)
		return vd_error_set(err, EINVAL, "logs: no guest name given");
	*out = (struct vd_log_lines){ 0 };
	return VD_DISPATCH(be, name, logs, "logs", err, name, since_ns, tail, out, err);
}

void vd_backend_last_lines(struct vd_backend *be, const char *name, size_t n,
			   struct vd_log_lines *out)
{
	struct vd_error *e = NULL;
	if (vd_backend_logs(be, name, 0, n, out, &e) < 0)
		*out = (struct vd_log_lines){ 0 };
	vd_error_free(e);
}

int vd_backend_trylogs(struct vd_backend *be, const char *name, size_t tail,
		       struct vd_log_lines *out, struct vd_error **err)
{
	if (!be || pthread_mutex_trylock(&be->lock) != 0)
		return be ? -EBUSY : vd_error_set(err, EINVAL, "logs: no backend given");
	int r = vd_backend_logs(be, name, 0, tail, out, err);
	pthread_mutex_unlock(&be->lock);
	return r;
}
