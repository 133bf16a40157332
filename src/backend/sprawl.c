/* sprawl.c - the sprawl audit: idle and long-stopped guests, broken definitions, unused images. */
#include "backend/sprawl.h"

#include <errno.h>
#include <ftw.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>

#define DAY_S 86400.0

static const char *const sprawl_path_keys[4] = { "rootfs", "disk", "kernel", "initrd" };

void vd_sprawl_params_default(struct vd_sprawl_params *p)
{
	p->idle_days = 7;
	p->stopped_days = 7;
}

const char *vd_sprawl_kind_name(enum vd_sprawl_kind k)
{
	static const char *const names[] = { "idle", "stopped", "missing", "unused" };
	return k < VD_SPRAWL__COUNT ? names[k] : "?";
}

/* ------------------------------------------------------------------ disk usage */

static __thread uint64_t sprawl_du_total;

static int sprawl_du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F || flag == FTW_D || flag == FTW_SL || flag == FTW_DP)
		sprawl_du_total += (uint64_t)st->st_blocks * 512;
	return 0;
}

uint64_t vd_sprawl_disk_usage(const char *path)
{
	sprawl_du_total = 0;
	if (nftw(path, sprawl_du_one, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return 0;
	return sprawl_du_total;
}

/* ------------------------------------------------------------------ definitions */

struct sprawl_parse {
	struct vd_sprawl_def *d;
	const char *dir; /* relative paths in a definition are relative to its directory */
};

static int sprawl_ini_handler(void *user, const char *section, const char *key, const char *value)
{
	struct sprawl_parse *sp = user;
	for (size_t i = 0; i < VD_ARRAY_SIZE(sprawl_path_keys); i++) {
		if (!vd_streq(key, sprawl_path_keys[i]) || !*value)
			continue;
		if (*value == '/')
			vd_strlcpy(sp->d->paths[i], value, sizeof(sp->d->paths[i]));
		else
			snprintf(sp->d->paths[i], sizeof(sp->d->paths[i]), "%s/%s", sp->dir, value);
	}
	return 1; /* other keys belong to the engine; a bad line is the engine's to report */
}

static void sprawl_read_dir(const char *dir, const char *engine, struct vd_sprawl_def **out,
			    size_t *n)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || !vd_streq(e->d_name + len - 4, ".ini") || e->d_name[0] == '.')
			continue;
		*out = vd_xrealloc(*out, (*n + 1) * sizeof(**out));
		struct vd_sprawl_def *def = &(*out)[*n];
		memset(def, 0, sizeof(*def));
		vd_strlcpy(def->engine, engine, sizeof(def->engine));
		snprintf(def->name, sizeof(def->name), "%.*s", (int)(len - 4), e->d_name);
		snprintf(def->file, sizeof(def->file), "%s/%s", dir, e->d_name);
		struct sprawl_parse sp = { def, dir };
		if (ini_parse(def->file, sprawl_ini_handler, &sp) < 0)
			continue; /* unreadable: not ours to judge */
		(*n)++;
	}
}

int vd_sprawl_read_defs(const char *datadir, struct vd_sprawl_def **out, size_t *n,
			struct vd_error **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *ct = vd_xasprintf("%s/containers", datadir);
	_cleanup_free_ char *vm = vd_xasprintf("%s/vms", datadir);
	sprawl_read_dir(ct, "ct", out, n);
	sprawl_read_dir(vm, "vmm", out, n);
	return 0;
}

/* ------------------------------------------------------------------ the report */

struct sprawl_out {
	struct vd_sprawl_item *v;
	size_t n;
};

static struct vd_sprawl_item *sprawl_add(struct sprawl_out *o, enum vd_sprawl_kind kind,
					 const char *engine, const char *name)
{
	o->v = vd_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
	struct vd_sprawl_item *it = &o->v[o->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	vd_strlcpy(it->engine, engine, sizeof(it->engine));
	vd_strlcpy(it->name, name, sizeof(it->name));
	return it;
}

static void sprawl_missing(const struct vd_sprawl_def *defs, size_t n, struct sprawl_out *o)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < VD_ARRAY_SIZE(sprawl_path_keys); k++) {
			const char *p = defs[i].paths[k];
			if (!*p || access(p, F_OK) == 0)
				continue;
			struct vd_sprawl_item *it = sprawl_add(o, VD_SPRAWL_MISSING, defs[i].engine, defs[i].name);
			vd_strlcpy(it->path, p, sizeof(it->path));
			snprintf(it->detail, sizeof(it->detail), "%s= in %s points at a missing path",
				 sprawl_path_keys[k], defs[i].file);
		}
}

/* Does any definition use the image (point at it or inside it)? */
static bool sprawl_image_used(const char *image, const struct vd_sprawl_def *defs, size_t n)
{
	char real_img[PATH_MAX], real_p[PATH_MAX];
	if (!realpath(image, real_img))
		return false;
	size_t len = strlen(real_img);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < VD_ARRAY_SIZE(sprawl_path_keys); k++) {
			if (!defs[i].paths[k][0] || !realpath(defs[i].paths[k], real_p))
				continue;
			if (strncmp(real_p, real_img, len) == 0 && (real_p[len] == '\0' || real_p[len] == '/'))
				return true;
		}
	return false;
}

static void sprawl_unused(const char *datadir, const struct vd_sprawl_def *defs, size_t n,
			  struct sprawl_out *o)
{
	_cleanup_free_ char *dir = vd_xasprintf("%s/images", datadir);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = vd_xasprintf("%s/%s", dir, e->d_name);
		if (sprawl_image_used(p, defs, n))
			continue;
		struct vd_sprawl_item *it = sprawl_add(o, VD_SPRAWL_UNUSED, "-", e->d_name);
		vd_strlcpy(it->path, p, sizeof(it->path));
		it->bytes = vd_sprawl_disk_usage(p);
		snprintf(it->detail, sizeof(it->detail), "no definition uses this image");
	}
}

static const struct vd_sprawl_def *sprawl_def_of(const struct vd_history_guest *g,
						 const struct vd_sprawl_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vd_streq(defs[i].name, g->name) && vd_streq(defs[i].engine, g->engine))
			return &defs[i];
	return NULL;
}

static void sprawl_stopped(const struct vd_history_guest *g, const struct vd_sprawl_params *sp,
			   const struct vd_sprawl_def *def, int64_t now, struct sprawl_out *o)
{
	double days = (double)(now - g->state_since) / DAY_S;
	if ((g->state != VD_STATE_STOPPED && g->state != VD_STATE_CRASHED) || days < sp->stopped_days)
		return;
	struct vd_sprawl_item *it = sprawl_add(o, VD_SPRAWL_STOPPED, g->engine, g->name);
	vd_strlcpy(it->host, g->host, sizeof(it->host));
	it->days = days;
	for (size_t k = 0; def && k < 2; k++) /* rootfs and disk: what deleting it gives back */
		if (def->paths[k][0]) {
			it->bytes += vd_sprawl_disk_usage(def->paths[k]);
			vd_strlcpy(it->path, def->paths[k], sizeof(it->path));
		}
	snprintf(it->detail, sizeof(it->detail), "%s for %.1f days", vd_state_name(g->state), days);
}

static bool sprawl_point_idle(const struct vd_advice_params *ap, const struct vd_advice_point *p)
{
	double cap = vd_advice_cpu_capacity(&p->alloc);
	if (cap <= 0)
		cap = 1;
	return p->run_s > 0 && p->dur > 0 && 100.0 * p->cpu_avg / cap < ap->idle_cpu_pct &&
	       p->io_bps + p->net_bps < ap->idle_io_bps;
}

/* Start of the unbroken run of idle hours that ends now; now when the last hour was busy. */
static int64_t sprawl_idle_since(const struct vd_advice_params *ap,
				 const struct vd_advice_point *pts, size_t n, int64_t now)
{
	int64_t since = now, expect = now;
	for (size_t i = n; i-- > 0;) {
		/* a hole of more than two hours (no data) ends the run: idle must be measured */
		if (!sprawl_point_idle(ap, &pts[i]) || pts[i].t + 3600 < expect - 2 * 3600)
			break;
		since = expect = pts[i].t;
	}
	return since;
}

static int sprawl_idle(struct vd_history *h, const struct vd_history_guest *g,
		       const struct vd_advice_params *ap, const struct vd_sprawl_params *sp,
		       int64_t now, struct sprawl_out *o, struct vd_error **err)
{
	if (g->state != VD_STATE_RUNNING)
		return 0;
	struct vd_history_key k = { g->engine, g->host, g->name };
	_cleanup_free_ struct vd_advice_point *pts = NULL;
	size_t n = 0;
	int64_t from = now - (int64_t)((sp->idle_days + 30) * DAY_S);
	int r = vd_history_series(h, &k, from, now, VD_HISTORY_HOUR, &pts, &n, err);
	if (r < 0)
		return r;
	double days = (double)(now - sprawl_idle_since(ap, pts, n, now)) / DAY_S;
	if (days < sp->idle_days)
		return 0;
	struct vd_sprawl_item *it = sprawl_add(o, VD_SPRAWL_IDLE, g->engine, g->name);
	vd_strlcpy(it->host, g->host, sizeof(it->host));
	it->days = days;
	snprintf(it->detail, sizeof(it->detail),
		 "running but idle for %.1f days (CPU < %.0f%%, I/O < %.0f B/s)", days,
		 ap->idle_cpu_pct, ap->idle_io_bps);
	return 0;
}

static bool sprawl_is_live(const struct vd_registry *live, const struct vd_history_guest *g)
{
	for (size_t i = 0; live && i < live->n_guests; i++) {
		const struct vd_guest *l = &live->guests[i];
		if (vd_streq(l->name, g->name) && vd_streq(l->host, g->host) &&
		    vd_streq(vd_backend_name(l->backend), g->engine))
			return true;
	}
	return !live;
}

static int sprawl_history(struct vd_history *h, const struct vd_advice_params *ap,
			  const struct vd_sprawl_params *sp, const struct vd_registry *live,
			  const struct vd_sprawl_def *defs, size_t n_defs, int64_t now,
			  struct sprawl_out *o, struct vd_error **err)
{
	_cleanup_free_ struct vd_history_guest *gs = NULL;
	size_t n = 0;
	int r = vd_history_guests(h, &gs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (!sprawl_is_live(live, &gs[i]))
			continue;
		sprawl_stopped(&gs[i], sp, sprawl_def_of(&gs[i], defs, n_defs), now, o);
		int rc = sprawl_idle(h, &gs[i], ap, sp, now, o, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vd_sprawl_report(struct vd_history *h, const struct vd_advice_params *ap,
		     const struct vd_sprawl_params *sp, const struct vd_registry *live,
		     const char *datadir, const struct vd_sprawl_def *extra, size_t n_extra,
		     int64_t now, struct vd_sprawl_item **out, size_t *n, struct vd_error **err)
{
	_cleanup_free_ struct vd_sprawl_def *defs = NULL;
	size_t nd = 0;
	vd_sprawl_read_defs(datadir, &defs, &nd, err);
	defs = vd_xrealloc(defs, (nd + n_extra + 1) * sizeof(*defs));
	if (n_extra)
		memcpy(defs + nd, extra, n_extra * sizeof(*defs));
	nd += n_extra;
	struct sprawl_out o = { 0 };
	if (h && sprawl_history(h, ap, sp, live, defs, nd, now, &o, err) < 0) {
		free(o.v);
		return vd_error_wrap(err, "sprawl report");
	}
	sprawl_missing(defs, nd, &o);
	sprawl_unused(datadir, defs, nd, &o);
	*out = o.v;
	*n = o.n;
	return 0;
}
