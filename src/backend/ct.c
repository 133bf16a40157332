/* ct.c - the container engine as the console sees it: definitions plus virtdeck-ct supervisors. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/inotify.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/engines.h"
#include "common/ctl.h"
#include "common/failpoint.h"
#include "common/paths.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_def.h"

#define CT_CALL_MS 5000
/* Listing must stay responsive with a hung supervisor: it is shown as lost, not waited for. */
#define CT_LIST_MS 1000

struct ct_priv {
	char *state_dir; /* <statedir>/ct */
	char *def_dir;   /* <datadir>/containers */
	int watch;       /* inotify on both: a container started, stopped, created or deleted */
};

static struct ct_priv *ct_priv(struct vd_backend *be)
{
	return be->priv;
}

static int ct_watch_open(struct ct_priv *p);

static int ct_open(struct vd_backend *be, struct vd_error **err)
{
	_cleanup_free_ char *state = NULL, *defs = NULL;
	int r = vd_paths_state_dir(&state, err);
	if (r < 0)
		return r;
	r = ct_def_dir(&defs, err);
	if (r < 0)
		return r;
	struct ct_priv *p = vd_xcalloc(1, sizeof(*p));
	p->state_dir = vd_xasprintf("%s/ct", state);
	p->def_dir = TAKE_PTR(defs);
	p->watch = -2; /* opened on the first pollfds: only the console polls, and closing an
			* inotify instance waits for an SRCU grace period (~16 ms per CLI run here) */
	be->priv = p;
	return 0;
}

/* Supervisors add and remove NAME.sock, definitions come and go: watch both directories so
 * the console refreshes at once instead of at its next tick. -1 when inotify is unavailable. */
static int ct_watch_open(struct ct_priv *p)
{
	if (vd_mkdir_p(p->state_dir, 0700) < 0)
		return -1;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM;
	if (fd >= 0 && (inotify_add_watch(fd, p->state_dir, mask) < 0 ||
			inotify_add_watch(fd, p->def_dir, mask) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int ct_pollfds(struct vd_backend *be, struct pollfd *fds, int max, int *timeout_ms)
{
	if (ct_priv(be)->watch == -2)
		ct_priv(be)->watch = ct_watch_open(ct_priv(be));
	int fd = ct_priv(be)->watch;
	if (fd < 0 || max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	return 1;
}

/* Only .sock and .ini names matter; lock, log and temp files churn without changing the list. */
static int ct_dispatch(struct vd_backend *be, const struct pollfd *fds, int n)
{
	if (n < 1 || !(fds[0].revents & POLLIN))
		return 0;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	ssize_t len;
	while ((len = read(ct_priv(be)->watch, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + len;
		     p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *dot = ev->len ? strrchr(ev->name, '.') : NULL;
			if (dot && (vd_streq(dot, ".sock") || vd_streq(dot, ".ini")))
				changed = 1;
		}
	return changed;
}

static void ct_close(struct vd_backend *be)
{
	struct ct_priv *p = ct_priv(be);
	if (p->watch >= 0)
		close(p->watch);
	free(p->state_dir);
	free(p->def_dir);
	free(p);
	be->priv = NULL;
}

static char *ct_sock(struct vd_backend *be, const char *name)
{
	return vd_xasprintf("%s/%s.sock", ct_priv(be)->state_dir, name);
}

static pid_t ct_live_supervisor(struct vd_backend *be, const char *name);

/* -ETIMEDOUT with what to do about a supervisor that is there but does not answer. */
static int ct_unanswered(const char *name, pid_t pid, bool stopped, int timeout_ms,
			 struct vd_error **err)
{
	if (stopped)
		return vd_error_set(err, ETIMEDOUT, "container %s: its supervisor (pid %d) is "
				    "stopped, not answering: resume it with `kill -CONT %d`", name,
				    (int)pid, (int)pid);
	return vd_error_set(err, ETIMEDOUT, "container %s: its supervisor (pid %d) is not "
			    "answering within %d ms (hung?): retry, or kill it and run "
			    "`virtdeck kill %s`", name, (int)pid, timeout_ms, name);
}

/* One request to a supervisor; -ESRCH (with a message) when it is not running, -ETIMEDOUT
 * when it is there but does not answer. */
static int ct_call(struct vd_backend *be, const char *name, struct json_object *req, int timeout_ms,
		   struct json_object **resp, struct vd_error **err)
{
	/* A stopped supervisor answers nothing until continued: not asked, so a refresh costs no
	 * timeout. */
	pid_t pid = ct_live_supervisor(be, name);
	if (vd_pid_stopped(pid))
		return ct_unanswered(name, pid, true, timeout_ms, err);
	_cleanup_free_ char *sock = ct_sock(be, name);
	struct vd_error *e = NULL;
	int r = vd_ctl_call(sock, req, timeout_ms, resp, &e);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		vd_error_free(e);
		return vd_error_set(
			err, ESRCH,
			"container %s is not running: start it with `virtdeck start %s`", name,
			name);
	}
	if (r == -ETIMEDOUT) {
		vd_error_free(e);
		return ct_unanswered(name, pid, vd_pid_stopped(pid), timeout_ms, err);
	}
	if (r < 0)
		return vd_error_propagate(err, e);
	return vd_ctl_check_reply(*resp, err);
}

static int ct_op_ms(struct vd_backend *be, const char *name, const char *op, int timeout_ms,
		    struct json_object **resp, struct vd_error **err)
{
	_cleanup_json_ struct json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string(op));
	return ct_call(be, name, req, timeout_ms, resp, err);
}

static int ct_op(struct vd_backend *be, const char *name, const char *op, struct json_object **resp,
		 struct vd_error **err)
{
	return ct_op_ms(be, name, op, CT_CALL_MS, resp, err);
}

/* ------------------------------------------------------------------ list / lookup */

static void ct_fill_def(struct vd_guest *g, const struct ct_def *d)
{
	g->alloc.cpu_limit = d->cpus;
	g->alloc.mem_bytes = d->mem_max;
	g->alloc.mem_max_bytes = d->mem_max;
	g->alloc.pids_max = (uint32_t)d->pids_max;
}

static void ct_fill_status(struct vd_guest *g, struct json_object *st)
{
	struct json_object *lim = NULL;
	g->state = vd_streq(vd_json_str(st, "state", ""), "paused") ? VD_STATE_PAUSED : VD_STATE_RUNNING;
	if (!json_object_object_get_ex(st, "limits", &lim))
		return;
	g->alloc.cpu_limit = vd_json_double(lim, "cpus", 0);
	g->alloc.mem_bytes = (uint64_t)vd_json_i64(lim, "mem_max", 0);
	g->alloc.mem_max_bytes = g->alloc.mem_bytes;
	g->alloc.pids_max = (uint32_t)vd_json_i64(lim, "pids_max", 0);
}

/* The kernel's peak counts the page cache, which mem_used leaves out: take away the cache
 * there is now, so a container that reads files is not sized by its cache (a peak made while
 * more cache was held stays overstated, never understated). */
static uint64_t ct_peak_used(struct json_object *o, uint64_t used)
{
	uint64_t peak = (uint64_t)vd_json_i64(o, "mem_peak", 0);
	uint64_t usage = (uint64_t)vd_json_i64(o, "mem_usage", 0);
	uint64_t cache = usage > used ? usage - used : 0;
	if (!peak)
		return 0;
	return peak > used + cache ? peak - cache : used;
}

/* The supervisor stamps its CPU reading (CLOCK_MONOTONIC, as ours) when it reads the cgroup,
 * and sends the reading it kept a second or more before: a rate from one reply. */
static void ct_fill_sample(struct vd_backend *be, struct json_object *o, struct vd_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->valid = true;
	vd_backend_stamp_sample(be, s, o);
	s->mem_used = (uint64_t)vd_json_i64(o, "mem_used", 0);
	s->mem_peak = ct_peak_used(o, s->mem_used);
	s->io_read = (uint64_t)vd_json_i64(o, "io_read", 0);
	s->io_write = (uint64_t)vd_json_i64(o, "io_write", 0);
	s->net_rx = (uint64_t)vd_json_i64(o, "net_rx", 0);
	s->net_tx = (uint64_t)vd_json_i64(o, "net_tx", 0);
	/* Kills, not v2's "oom" (the limit was reached): a kill is what advice must not repeat. */
	s->oom_events = (uint64_t)vd_json_i64(o, "oom_kills", vd_json_i64(o, "oom_events", 0));
	s->pids = (uint32_t)vd_json_i64(o, "pids", 0);
	s->mem_source = vd_json_bool(o, "cgroups", false) ? VD_MEM_SRC_CGROUP : VD_MEM_SRC_NONE;
}

static int ct_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		    struct vd_error **err)
{
	_cleanup_json_ struct json_object *o = NULL;
	int r = ct_op(be, name, "stats", &o, err);
	if (r < 0)
		return r;
	ct_fill_sample(be, o, out);
	return 0;
}

static bool ct_state_file(struct vd_backend *be, const char *name, const char *ext)
{
	_cleanup_free_ char *f = vd_xasprintf("%s/%s.%s", ct_priv(be)->state_dir, name, ext);
	return access(f, F_OK) == 0;
}

/* Alive and not a zombie (a killed supervisor's parent is PID 1, which may not reap). */
static bool ct_pid_alive(pid_t pid)
{
	_cleanup_free_ char *path = vd_xasprintf("/proc/%d/stat", (int)pid);
	_cleanup_free_ char *t = NULL;
	if (pid <= 0 || vd_read_file(path, &t, NULL) < 0)
		return false;
	const char *paren = strrchr(t, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z';
}

/* The supervisor's pid from NAME.pid, if that process still exists and is a supervisor (the
 * pid of one killed long ago may name another program by now). */
static pid_t ct_live_supervisor(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *pidf = vd_xasprintf("%s/%s.pid", ct_priv(be)->state_dir, name);
	_cleanup_free_ char *t = NULL, *comm = NULL, *commf = NULL;
	uint64_t pid = 0;
	if (vd_read_file(pidf, &t, NULL) < 0)
		return 0;
	t[strcspn(t, "\n")] = '\0';
	if (vd_parse_u64(t, &pid) < 0 || pid == 0 || pid > INT32_MAX || !ct_pid_alive((pid_t)pid))
		return 0;
	commf = vd_xasprintf("/proc/%d/comm", (int)pid);
	if (vd_read_file(commf, &comm, NULL) < 0 || !vd_str_has_prefix(comm, "virtdeck-ct"))
		return 0;
	return (pid_t)pid;
}

/* Its supervisor is dead but left files behind (killed -9, OOM): a socket, a record. */
static bool ct_orphaned(struct vd_backend *be, const char *name)
{
	if (!ct_state_file(be, name, "sock") && !ct_state_file(be, name, "json"))
		return false;
	return ct_live_supervisor(be, name) == 0;
}

/* Something of an orphaned container still runs: tasks in its cgroups, or its init. */
static bool ct_orphan_alive(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *recf = vd_xasprintf("%s/%s.json", ct_priv(be)->state_dir, name);
	_cleanup_json_ struct json_object *rec = json_object_from_file(recf);
	struct ct_cgroup *cg = NULL;
	if (!rec)
		return false;
	if (ct_cgroup_from_record(name, rec, &cg, NULL) < 0 || !cg)
		return ct_pid_alive((pid_t)vd_json_i64(rec, "init_pid", 0));
	_cleanup_free_ char *procs = vd_xasprintf("%s/cgroup.procs", ct_cgroup_dirs(cg)[0]);
	_cleanup_free_ char *t = NULL;
	bool alive = vd_read_file(procs, &t, NULL) == 0 && t[0] != '\0';
	ct_cgroup_free(cg);
	return alive;
}

/* No answer: a live supervisor that does not answer has lost its container (hung); without
 * one, the container is lost while anything of it still runs, and stopped otherwise. */
static enum vd_state ct_unanswered_state(struct vd_backend *be, const char *name,
					 struct vd_exit *why)
{
	if (ct_live_supervisor(be, name) > 0) {
		if (!ct_state_file(be, name, "sock"))
			return VD_STATE_STOPPED; /* starting or cleaning up */
		why->kind = VD_EXIT_LOST;
		vd_strlcpy(why->detail, "supervisor lost: it runs but does not answer",
			   sizeof(why->detail));
		return VD_STATE_LOST;
	}
	if (!ct_orphaned(be, name) || !ct_orphan_alive(be, name))
		return VD_STATE_STOPPED;
	why->kind = VD_EXIT_LOST;
	vd_strlcpy(why->detail, "supervisor lost: killed; the container still runs",
		   sizeof(why->detail));
	return VD_STATE_LOST;
}

/* A lost container's use, read from its cgroups (named by the record its supervisor wrote at
 * start) since nobody else can answer for it. */
static void ct_lost_sample(struct vd_backend *be, const char *name, struct vd_sample *s)
{
	_cleanup_free_ char *recf = vd_xasprintf("%s/%s.json", ct_priv(be)->state_dir, name);
	_cleanup_json_ struct json_object *rec = json_object_from_file(recf);
	struct ct_cgroup *cg = NULL;
	struct ct_stats st = { 0 };
	if (!rec || ct_cgroup_from_record(name, rec, &cg, NULL) < 0 || !cg)
		return;
	if (ct_cgroup_stats(cg, &st, NULL) == 0) {
		memset(s, 0, sizeof(*s));
		s->valid = true;
		s->t_ns = vd_backend_now(be);
		s->cpu_ns = st.cpu_ns;
		s->mem_used = st.mem_used;
		s->mem_peak = st.mem_peak;
		s->io_read = st.io_read;
		s->io_write = st.io_write;
		s->oom_events = st.oom_events;
		s->pids = (uint32_t)st.pids;
		s->mem_source = VD_MEM_SRC_CGROUP;
	}
	ct_cgroup_free(cg);
}

static char *ct_exit_path(struct vd_backend *be, const char *name)
{
	return vd_xasprintf("%s/%s.exit", ct_priv(be)->def_dir, name);
}

/* How its last run ended, from the record its supervisor left in the data directory. */
static void ct_read_exit(struct vd_backend *be, const char *name, struct vd_exit *e)
{
	_cleanup_free_ char *path = ct_exit_path(be, name);
	_cleanup_json_ struct json_object *o = json_object_from_file(path);
	if (!o)
		return;
	e->kind = vd_exit_kind_parse(vd_json_str(o, "exit", ""));
	e->code = (int)vd_json_i64(o, "code", 0);
	e->oom_kills = (uint64_t)vd_json_i64(o, "oom_kills", 0);
	e->time = vd_json_i64(o, "time", 0);
	vd_strlcpy(e->detail, vd_json_str(o, "detail", ""), sizeof(e->detail));
	if (e->kind == VD_EXIT_CODE && e->oom_kills && !e->detail[0])
		snprintf(e->detail, sizeof(e->detail), "after %llu OOM kill(s) in its cgroup",
			 (unsigned long long)e->oom_kills);
}

/* The client writes the record when it cleans up after a lost supervisor on request. */
static void ct_write_user_exit(struct vd_backend *be, const char *name, const char *detail)
{
	_cleanup_free_ char *path = ct_exit_path(be, name), *tmp = vd_xasprintf("%s.tmp", path);
	_cleanup_json_ struct json_object *o = json_object_new_object();
	json_object_object_add(o, "exit", json_object_new_string("user"));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) == 0)
		rename(tmp, path);
}

/* A stopped container's last counters (NAME.final, written by its supervisor as it removed the
 * cgroup): OOM kills and the peak reach the history even when init died before any sample. No
 * time stamp, so no rate is made from it, and nothing is in use any more. */
static void ct_fill_final(struct vd_backend *be, const char *name, struct vd_sample *s)
{
	_cleanup_free_ char *f = vd_xasprintf("%s/%s.final", ct_priv(be)->state_dir, name);
	_cleanup_json_ struct json_object *o = json_object_from_file(f);
	if (!o)
		return;
	ct_fill_sample(be, o, s);
	s->t_ns = 0;
	s->mem_used = 0;
	s->pids = 0;
	s->mem_source = VD_MEM_SRC_NONE;
}

static int ct_describe(struct vd_backend *be, const char *name, struct vd_guest *g,
		       struct vd_error **err)
{
	memset(g, 0, sizeof(*g));
	vd_strlcpy(g->name, name, sizeof(g->name));
	vd_strlcpy(g->host, be->label, sizeof(g->host));
	g->kind = VD_KIND_CT;
	g->backend = be;
	g->cpu_pct_alloc = g->cpu_pct_host = -1;
	struct ct_def d;
	_cleanup_error_ struct vd_error *bad = NULL;
	int dr = ct_def_load(name, &d, &bad);
	if (dr == 0) {
		ct_fill_def(g, &d);
		ct_def_free(&d);
	} else if (dr != -ENOENT) { /* unreadable: listed as broken, to be fixed or deleted */
		vd_strlcpy(g->problem, bad->msg, sizeof(g->problem));
	}
	_cleanup_json_ struct json_object *st = NULL, *sample = NULL;
	_cleanup_error_ struct vd_error *e = NULL;
	int r = ct_op_ms(be, name, "status", CT_LIST_MS, &st, &e);
	if (r < 0 && r != -ESRCH) {
		/* There, but not answering (stopped, hung): the row says so and still shows the
		 * container's use from its cgroups; the list goes on */
		g->state = VD_STATE_NOREPLY;
		vd_strlcpy(g->problem, e ? e->msg : "its supervisor does not answer",
			   sizeof(g->problem));
		ct_lost_sample(be, name, &g->sample);
		return 0;
	}
	if (r < 0) {
		g->state = ct_unanswered_state(be, name, &g->exit);
		if (g->state == VD_STATE_LOST)
			ct_lost_sample(be, name, &g->sample);
		else if (g->state == VD_STATE_STOPPED)
			ct_read_exit(be, name, &g->exit);
		if (g->problem[0] && g->state == VD_STATE_STOPPED)
			g->state = VD_STATE_BROKEN;
		if (dr == -ENOENT && g->state == VD_STATE_STOPPED)
			return vd_error_set(err, ENOENT, "no container named %s: create it with `virtdeck create ct %s "
					    "--rootfs DIR`", name, name);
		if (g->state == VD_STATE_STOPPED)
			ct_fill_final(be, name, &g->sample);
		return 0;
	}
	ct_fill_status(g, st);
	if (ct_op_ms(be, name, "stats", CT_LIST_MS, &sample, NULL) == 0)
		ct_fill_sample(be, sample, &g->sample);
	return 0;
}

static int ct_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		     struct vd_error **err)
{
	return ct_describe(be, name, out, err);
}

static char *ct_strip_ext(const char *base, const char *ext)
{
	size_t n = strlen(base), e = strlen(ext) + 1;
	return vd_xasprintf("%.*s", (int)(n > e ? n - e : 0), base);
}

/* Names of the files "DIR/NAME.EXT", added to v unless already there. */
static void ct_names(const char *dir, const char *ext, char ***v, size_t *n)
{
	_cleanup_free_ char *pat = vd_xasprintf("%s/*.%s", dir, ext);
	glob_t gl;
	if (glob(pat, 0, NULL, &gl) != 0)
		return;
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		const char *base = strrchr(gl.gl_pathv[i], '/') + 1;
		_cleanup_free_ char *name = ct_strip_ext(base, ext);
		bool dup = !vd_name_valid(name);
		for (size_t k = 0; k < *n && !dup; k++)
			dup = vd_streq((*v)[k], name);
		if (dup)
			continue;
		*v = vd_xrealloc(*v, (*n + 1) * sizeof(char *));
		(*v)[(*n)++] = TAKE_PTR(name);
	}
	globfree(&gl);
}

static int ct_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	char **names = NULL;
	size_t count = 0;
	ct_names(ct_priv(be)->def_dir, "ini", &names, &count);
	ct_names(ct_priv(be)->state_dir, "sock", &names, &count); /* running even if undefined since */
	struct vd_guest *g = vd_xcalloc(count ? count : 1, sizeof(*g));
	size_t k = 0;
	for (size_t i = 0; i < count; i++) {
		if (ct_describe(be, names[i], &g[k], NULL) == 0)
			k++;
		free(names[i]);
	}
	free(names);
	*out = g;
	*n = k;
	return 0;
}

/* ------------------------------------------------------------------ create / remove */

/* "cmd=/bin/sh" "arg=-c" "arg=..." from the CLI become one cmd line; other keys are ct_def keys. */
static int ct_def_from_opts(struct ct_def *d, const struct vd_guest_def *def, struct vd_error **err)
{
	_cleanup_free_ char *cmd = NULL;
	for (const char *const *o = def->opts; o && *o; o++) {
		const char *eq = strchr(*o, '=');
		if (!eq)
			return vd_error_set(err, EINVAL, "container %s: option '%s' is not key=value", d->name, *o);
		_cleanup_free_ char *key = vd_xasprintf("%.*s", (int)(eq - *o), *o);
		if (vd_streq(key, "cmd") || vd_streq(key, "arg")) {
			/* The CLI passes argv words: quote each so the container gets them back as is. */
			_cleanup_free_ char *q = ct_def_quote(eq + 1);
			char *next = cmd ? vd_xasprintf("%s %s", cmd, q) : vd_xstrdup(q);
			free(cmd);
			cmd = next;
		} else if (ct_def_set(d, key, eq + 1, err) < 0) {
			return vd_error_wrap(err, "container %s", d->name);
		}
	}
	if (cmd)
		ct_def_set(d, "cmd", cmd, NULL);
	return 0;
}

static int ct_def_from_guest(struct ct_def *d, const struct vd_guest_def *def,
			     struct vd_error **err)
{
	d->mem_max = def->mem_bytes;
	d->cpus = def->cpus;
	if (def->vcpus) {
		long host = sysconf(_SC_NPROCESSORS_ONLN);
		if ((long)def->vcpus > host)
			return vd_error_set(err, EINVAL, "container %s: %u CPUs asked, the host has %ld", d->name,
					    def->vcpus, host);
		free(d->cpuset);
		d->cpuset = def->vcpus == 1 ? vd_xstrdup("0") : vd_xasprintf("0-%u", def->vcpus - 1);
	}
	int r = ct_def_from_opts(d, def, err);
	if (r < 0)
		return r;
	if (d->rootfs) { /* the real path: a symlink found on it at start is then a swap, refused */
		char *abs = realpath(d->rootfs, NULL);
		if (abs) {
			free(d->rootfs);
			d->rootfs = abs;
		}
	}
	return ct_def_validate(d, err);
}

static int ct_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = ct_def_path(def->name, &path, err);
	if (r < 0)
		return r;
	if (access(path, F_OK) == 0)
		return vd_error_set(
			err, EEXIST,
			"a container named %s already exists: pick another name or delete it",
			def->name);
	struct ct_def d;
	ct_def_init(&d, def->name);
	r = ct_def_from_guest(&d, def, err);
	vd_failpoint("ct-cli-create-before-save");
	if (r == 0)
		r = ct_def_save(&d, err);
	vd_failpoint("ct-cli-create-after-save");
	ct_def_free(&d);
	return r;
}

static bool ct_running(struct vd_backend *be, const char *name)
{
	_cleanup_json_ struct json_object *st = NULL;
	return ct_op(be, name, "status", &st, NULL) == 0;
}

/* A supervisor that stopped listening is cleaning up: wait (up to 2 s) for its socket file to go.
 * 0 = gone, -EBUSY = it answers (running), -ETIMEDOUT = a stale file (the supervisor died). */
static int ct_wait_gone(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *sock = ct_sock(be, name);
	for (int i = 0; i < 2000; i++) {
		if (access(sock, F_OK) < 0)
			return 0;
		/* A full listen queue (a stopped or hung supervisor) times out: it is there too. */
		_cleanup_close_ int fd = vd_ctl_connect_ms(sock, 100, NULL);
		if (fd >= 0 || fd == -ETIMEDOUT)
			return -EBUSY;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static void ct_unlink_state(struct vd_backend *be, const char *name, bool with_log)
{
	const char *exts[] = { "sock", "pid", "json", "lock", "final", "log" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(exts) - (with_log ? 0 : 1); i++) {
		_cleanup_free_ char *f = vd_xasprintf("%s/%s.%s", ct_priv(be)->state_dir, name, exts[i]);
		unlink(f);
	}
}

/* A container without cgroups: its init, if that pid is still a container's (its own pid
 * namespace), not a process that got the number since. */
static void ct_recover_init(pid_t init)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	if (init > 0 && ct_pid_alive(init) && stat(path, &a) == 0 &&
	    stat("/proc/self/ns/pid", &b) == 0 && a.st_ino != b.st_ino)
		kill(init, SIGKILL);
}

static int ct_recover_cgroup(const char *name, struct json_object *rec, struct vd_error **err)
{
	struct ct_cgroup *cg = NULL;
	int r = ct_cgroup_from_record(name, rec, &cg, err);
	if (r < 0)
		return r;
	if (!cg) {
		ct_recover_init((pid_t)vd_json_i64(rec, "init_pid", 0));
		return 0;
	}
	ct_cgroup_kill(cg, NULL); /* the pid namespace dies with its init */
	vd_failpoint("ct-cli-recover-after-kill");
	r = ct_cgroup_destroy(cg, err);
	ct_cgroup_free(cg);
	return r;
}

/*
 * The supervisor was killed (SIGKILL, OOM) and left a container without a keeper: kill what
 * runs in its cgroup, remove the cgroups, the address claim and the state files, from the
 * record it wrote at start (NAME.json).
 */
static int ct_recover(struct vd_backend *be, const char *name, struct vd_error **err)
{
	pid_t sup = ct_live_supervisor(be, name);
	if (sup > 0)
		return vd_error_set(
			err, EBUSY,
			"container %s: its supervisor (pid %d) no longer answers: kill it, "
			"then try again",
			name, (int)sup);
	_cleanup_free_ char *recf = vd_xasprintf("%s/%s.json", ct_priv(be)->state_dir, name);
	_cleanup_json_ struct json_object *rec = json_object_from_file(recf);
	int r = rec ? ct_recover_cgroup(name, rec, err) : 0;
	if (r < 0)
		return r;
	const char *claim = vd_json_str(rec, "ip_claim", NULL);
	if (claim)
		unlink(claim);
	ct_unlink_state(be, name, false);
	return 0;
}

/* Wait for a stopping supervisor; clean up after a dead one. -EBUSY when it runs. */
static int ct_settle(struct vd_backend *be, const char *name, struct vd_error **err)
{
	if (ct_orphaned(be, name))
		return ct_recover(be, name, err);
	int r = ct_wait_gone(be, name);
	if (r == -ETIMEDOUT || (r == 0 && ct_orphaned(be, name)))
		return ct_recover(be, name, err);
	return r == -EBUSY ? -EBUSY : 0;
}

static int ct_remove(struct vd_backend *be, const char *name, struct vd_error **err)
{
	int r = ct_settle(be, name, err);
	if (r == -EBUSY && (!err || !*err))
		return vd_error_set(err, EBUSY, "container %s is running: stop it before deleting it", name);
	if (r < 0)
		return r;
	vd_failpoint("ct-cli-delete-after-settle");
	_cleanup_free_ char *path = NULL;
	r = ct_def_path(name, &path, err);
	if (r < 0)
		return r;
	/* State files first: a delete cut short leaves the definition, to delete again. */
	ct_unlink_state(be, name, true);
	_cleanup_free_ char *exitf = ct_exit_path(be, name);
	unlink(exitf);
	vd_failpoint("ct-cli-delete-after-state");
	if (unlink(path) < 0)
		return vd_error_errno(err, errno, "cannot delete container %s (%s)", name, path);
	vd_guestlog_remove_guest("ct", name);
	return 0;
}

/* The supervisor keeps the output in the data dir: read straight from the file, so a stopped
 * container's output is there too. */
static int ct_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		   struct vd_log_lines *out, struct vd_error **err)
{
	(void)be;
	return vd_guestlog_read_guest("ct", name, since_ns, tail, out, err);
}

/* ------------------------------------------------------------------ lifecycle */

/* Run the helper with argv; its stderr becomes the error message when it fails. */
static int ct_helper(const char *name, char *const *argv, struct vd_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vd_error_errno(err, errno, "container %s: pipe", name);
	pid_t pid = fork();
	if (pid < 0)
		return vd_error_errno(err, errno, "container %s: fork", name);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "virtdeck-ct: cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char msg[2048];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(msg) - 1 && (n = read(pfd[0], msg + len, sizeof(msg) - 1 - len)) != 0)
		if (n > 0)
			len += (size_t)n;
		else if (errno != EINTR)
			break;
	close(pfd[0]);
	msg[len] = '\0';
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	msg[strcspn(msg, "\n")] = '\0';
	const char *m = vd_str_has_prefix(msg, "virtdeck-ct: ") ? msg + 13 : msg;
	return vd_error_set(err, EIO, "%s", *m ? m : "virtdeck-ct failed without a message: see its log");
}

static int ct_start(struct vd_backend *be, const char *name, struct vd_error **err)
{
	struct ct_def d;
	int r = ct_def_load(name, &d, err);
	if (r < 0)
		return r;
	ct_def_free(&d);
	r = ct_settle(be, name, err);
	if (r == -EBUSY && (!err || !*err))
		return vd_error_set(err, EBUSY, "container %s is already running", name);
	if (r < 0)
		return r;
	_cleanup_free_ char *helper = NULL;
	r = vd_paths_helper("virtdeck-ct", &helper, err);
	if (r < 0)
		return r;
	char *argv[] = { helper, "start", (char *)name, NULL };
	vd_failpoint("ct-cli-start-before-helper");
	r = ct_helper(name, argv, err);
	vd_failpoint("ct-cli-start-after-helper");
	return r;
}

static int ct_stop_call(struct vd_backend *be, const char *name, int timeout_s,
			struct vd_error **err)
{
	_cleanup_json_ struct json_object *req = json_object_new_object(), *resp = NULL;
	json_object_object_add(req, "op", json_object_new_string("stop"));
	json_object_object_add(req, "timeout_s", json_object_new_int(timeout_s));
	return ct_call(be, name, req, (timeout_s + 10) * 1000, &resp, err);
}

static int ct_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err)
{
	return ct_stop_call(be, name, timeout_s < 0 ? 10 : timeout_s, err);
}

static int ct_destroy(struct vd_backend *be, const char *name, struct vd_error **err)
{
	if (ct_orphaned(be, name)) { /* its supervisor died: kill what is left and clean up */
		int r = ct_recover(be, name, err);
		if (r == 0)
			ct_write_user_exit(be, name, "killed by user after its supervisor was lost");
		return r;
	}
	return ct_stop_call(be, name, 0, err);
}

static int ct_simple(struct vd_backend *be, const char *name, const char *op, struct vd_error **err)
{
	_cleanup_json_ struct json_object *resp = NULL;
	return ct_op(be, name, op, &resp, err);
}

static int ct_pause(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return ct_simple(be, name, "pause", err);
}

static int ct_resume(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return ct_simple(be, name, "resume", err);
}

static int ct_resize_live(struct vd_backend *be, const char *name, const struct vd_resize *rq,
			  struct vd_error **err)
{
	_cleanup_json_ struct json_object *req = json_object_new_object(), *resp = NULL;
	json_object_object_add(req, "op", json_object_new_string("resize"));
	if (rq->mem_bytes)
		json_object_object_add(req, "mem_bytes", json_object_new_int64((int64_t)rq->mem_bytes));
	if (rq->cpus > 0)
		json_object_object_add(req, "cpus", json_object_new_double(rq->cpus));
	return ct_call(be, name, req, CT_CALL_MS, &resp, err);
}

static int ct_resize_config(const char *name, const struct vd_resize *rq, struct vd_error **err)
{
	struct ct_def d;
	int r = ct_def_load(name, &d, err);
	if (r < 0)
		return r;
	if (rq->mem_bytes)
		d.mem_max = rq->mem_bytes;
	if (rq->cpus > 0)
		d.cpus = rq->cpus;
	r = ct_def_validate(&d, err);
	if (r == 0)
		r = ct_def_save(&d, err);
	ct_def_free(&d);
	return r;
}

/* Checked before anything is applied: a live change the definition then refuses is half done. */
static int ct_resize_check(const char *name, const struct vd_resize *rq, struct vd_error **err)
{
	char host[16];
	if (rq->vcpus)
		return vd_error_set(
			err, ENOTSUP,
			"container %s: resize --vcpus is for VMs; use --cpus for a CPU quota",
			name);
	if (rq->mem_bytes && rq->mem_bytes < CT_MEM_MIN)
		return vd_error_set(err, EINVAL, "container %s: memory below the minimum of 4M", name);
	if (rq->mem_bytes && vd_check_mem(rq->mem_bytes, CT_MEM_MIN) < 0)
		return vd_error_set(err, ERANGE, "container %s: memory is out of range: give at "
				    "most this host's %s", name,
				    vd_format_size(vd_host_mem(), host, sizeof(host)));
	if (rq->cpus != 0 && vd_check_cpus(rq->cpus) < 0)
		return vd_error_set(err, ERANGE, "container %s: CPU quota %g is out of range: "
				    "give %.2g to %u (this host's CPUs)", name, rq->cpus,
				    VD_CPUS_MIN, vd_host_cpus());
	return 0;
}

static int ct_resize(struct vd_backend *be, const char *name, const struct vd_resize *rq,
		     struct vd_error **err)
{
	int r = ct_resize_check(name, rq, err);
	if (r < 0)
		return r;
	bool live = !rq->flags || (rq->flags & VD_RESIZE_LIVE);
	bool config = !rq->flags || (rq->flags & VD_RESIZE_CONFIG);
	r = live && ct_running(be, name) ? ct_resize_live(be, name, rq, err) : 0;
	if (r < 0)
		return r;
	vd_failpoint("ct-cli-resize-after-live");
	if (live && !config && !ct_running(be, name))
		return vd_error_set(
			err, ESRCH,
			"container %s is not running: resize --config changes its definition",
			name);
	return config ? ct_resize_config(name, rq, err) : 0;
}

/* ------------------------------------------------------------------ console / exec */

/* Read the reply line byte by byte: what follows it is console output for the caller. */
static int ct_console_reply(int fd, const char *name, struct vd_error **err)
{
	char line[1024];
	size_t len = 0;
	while (len < sizeof(line) - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, CT_CALL_MS) == 0)
			return vd_error_set(err, ETIMEDOUT, "container %s: no console reply within "
					    "%d ms: its supervisor may be hung", name, CT_CALL_MS);
		ssize_t n = read(fd, line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vd_error_set(err, EPIPE, "container %s: supervisor closed the console", name);
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	_cleanup_json_ struct json_object *o = json_tokener_parse(line);
	return vd_ctl_check_reply(o, err);
}

static int ct_console(struct vd_backend *be, const char *name, int *out, struct vd_error **err)
{
	pid_t sup = ct_live_supervisor(be, name);
	if (vd_pid_stopped(sup))
		return ct_unanswered(name, sup, true, 0, err);
	_cleanup_free_ char *sock = ct_sock(be, name);
	struct vd_error *e = NULL;
	_cleanup_close_ int fd = vd_ctl_connect(sock, &e);
	if (fd < 0) {
		vd_error_free(e);
		return vd_error_set(err, ESRCH, "container %s is not running: start it first", name);
	}
	_cleanup_json_ struct json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("console"));
	int r = vd_ctl_send(fd, req, err);
	if (r == 0)
		r = ct_console_reply(fd, name, err);
	if (r < 0)
		return r;
	*out = TAKE_FD(fd);
	return 0;
}

/* The supervisor sets the pty's size (TIOCSWINSZ): the container's shell gets SIGWINCH. */
static int ct_console_size(struct vd_backend *be, const char *name, unsigned rows, unsigned cols,
			   struct vd_error **err)
{
	_cleanup_json_ struct json_object *req = json_object_new_object();
	_cleanup_json_ struct json_object *resp = NULL;
	json_object_object_add(req, "op", json_object_new_string("winsize"));
	json_object_object_add(req, "rows", json_object_new_int64(rows));
	json_object_object_add(req, "cols", json_object_new_int64(cols));
	return ct_call(be, name, req, 5000, &resp, err);
}

/* The helper relays the terminal and hands the command the signals meant for it; ^C and ^\ from
 * the terminal reach it directly, so here they are ignored, and a kill aimed at us is passed on. */
static int ct_exec_forward(pid_t pid, const sigset_t *set)
{
	for (;;) {
		int st, sig = sigwaitinfo(set, NULL);
		pid_t r = sig == SIGCHLD ? waitpid(pid, &st, WNOHANG) : 0;
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return 127;
		if (sig > 0 && sig != SIGCHLD)
			kill(pid, sig);
	}
}

static int ct_exec_helper(const char *name, char *const *av, int *status, struct vd_error **err)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	sighandler_t old_int = signal(SIGINT, SIG_IGN);
	sighandler_t old_quit = signal(SIGQUIT, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(av[0], av);
		_exit(127);
	}
	int e = errno;
	if (pid > 0)
		*status = ct_exec_forward(pid, &set);
	signal(SIGINT, old_int);
	signal(SIGQUIT, old_quit);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? vd_error_errno(err, e, "exec in container %s: fork", name) : 0;
}

static int ct_exec(struct vd_backend *be, const char *name, char *const *argv, int *status,
		   struct vd_error **err)
{
	_cleanup_free_ char *helper = NULL;
	int r = vd_paths_helper("virtdeck-ct", &helper, err);
	if (r < 0)
		return r;
	if (!ct_running(be, name))
		return vd_error_set(err, ESRCH, "container %s is not running: start it first", name);
	size_t n = 0;
	while (argv[n])
		n++;
	_cleanup_free_ char **av = vd_xcalloc(n + 5, sizeof(char *));
	av[0] = helper;
	av[1] = "exec";
	av[2] = (char *)name;
	av[3] = "--";
	memcpy(av + 4, argv, n * sizeof(char *));
	return ct_exec_helper(name, av, status, err);
}

const struct vd_backend_ops vd_ct_ops = {
	.name = "ct",
	.open = ct_open,
	.close = ct_close,
	.list = ct_list,
	.lookup = ct_lookup,
	.create = ct_create,
	.remove = ct_remove,
	.start = ct_start,
	.stop = ct_stop,
	.pause = ct_pause,
	.resume = ct_resume,
	.destroy = ct_destroy,
	.stats = ct_stats,
	.resize = ct_resize,
	.console = ct_console,
	.console_size = ct_console_size,
	.exec = ct_exec,
	.logs = ct_logs,
	.pollfds = ct_pollfds,
	.dispatch = ct_dispatch,
};
