/* libvirt-ops.c - lifecycle, live resize and define of libvirt domains. */
#include <errno.h>
#include <unistd.h>

#include "backend/libvirt-priv.h"

#define LV_STOP_POLL_US 100000

int lv_ops_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		  struct vd_error **err)
{
	_cleanup_dom_ virDomainPtr dom = NULL;
	int r = lv_domain(be, name, &dom, err);
	return r < 0 ? r : lv_stats_one(be->priv, dom, vd_backend_now(be), out, err);
}

int lv_ops_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		 struct vd_error **err)
{
	struct vd_guest g;
	int r = lv_ops_lookup(be, name, &g, err);
	if (r == 0)
		*out = g.sample;
	return r;
}

typedef int (*lv_dom_fn)(virDomainPtr dom);

/* Look the domain up and run one libvirt call on it. */
static int lv_ops_call(struct vd_backend *be, const char *name, lv_dom_fn fn, const char *what,
		       struct vd_error **err)
{
	_cleanup_dom_ virDomainPtr dom = NULL;
	int r = lv_domain(be, name, &dom, err);
	if (r < 0)
		return r;
	return fn(dom) < 0 ? lv_fail(be->priv, err, what, name) : 0;
}

int lv_ops_start(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return lv_ops_call(be, name, virDomainCreate, "starting domain", err);
}

int lv_ops_pause(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return lv_ops_call(be, name, virDomainSuspend, "pausing domain", err);
}

int lv_ops_resume(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return lv_ops_call(be, name, virDomainResume, "resuming domain", err);
}

int lv_ops_destroy(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return lv_ops_call(be, name, virDomainDestroy, "destroying domain", err);
}

static bool lv_ops_is_off(virDomainPtr dom)
{
	int state = VIR_DOMAIN_NOSTATE, reason;
	if (virDomainGetState(dom, &state, &reason, 0) < 0) {
		virResetLastError();
		return false;
	}
	return state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED;
}

/* The command line waits for the guest to power off, then forces it. */
static int lv_ops_stop_wait(struct lv_priv *p, virDomainPtr dom, const char *name, int timeout_s,
			    struct vd_error **err)
{
	uint64_t deadline = vd_now_mono_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (vd_now_mono_ns() < deadline) {
		if (lv_ops_is_off(dom))
			return 0;
		usleep(LV_STOP_POLL_US);
	}
	if (lv_ops_is_off(dom))
		return 0;
	return virDomainDestroy(dom) < 0
		       ? lv_fail(p, err, "forcing off (after the shutdown timeout) domain", name)
		       : 0;
}

/* The console must not wait: remember the deadline and let later refreshes force the stop. */
static void lv_ops_stop_later(struct lv_priv *p, const char *name, int timeout_s)
{
	p->stops = vd_xrealloc(p->stops, (p->n_stops + 1) * sizeof(*p->stops));
	struct lv_stop *s = &p->stops[p->n_stops++];
	vd_strlcpy(s->name, name, sizeof(s->name));
	s->deadline_ns = vd_now_mono_ns() + (uint64_t)timeout_s * 1000000000ull;
	lv_event_wake_later(p, (unsigned)timeout_s * 1000u + 50u);
}

int lv_ops_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err)
{
	_cleanup_dom_ virDomainPtr dom = NULL;
	int r = lv_domain(be, name, &dom, err);
	if (r < 0)
		return r;
	if (virDomainShutdown(dom) < 0)
		return lv_fail(be->priv, err, "shutting down domain", name);
	if (!lv_event_driven())
		return lv_ops_stop_wait(be->priv, dom, name, timeout_s, err);
	lv_ops_stop_later(be->priv, name, timeout_s);
	return 0;
}

/* Is this pending stop finished (off, gone, or forced now)? */
static bool lv_ops_reap_one(struct lv_priv *p, const struct lv_stop *s, uint64_t now)
{
	_cleanup_dom_ virDomainPtr dom = virDomainLookupByName(p->conn, s->name);
	if (!dom || lv_ops_is_off(dom)) {
		virResetLastError();
		return true;
	}
	if (now < s->deadline_ns) {
		lv_event_wake_later(p, (unsigned)((s->deadline_ns - now) / 1000000ull) + 50u);
		return false;
	}
	if (virDomainDestroy(dom) < 0)
		virResetLastError(); /* it may have stopped meanwhile; the list shows the truth */
	return true;
}

void lv_ops_reap_stops(struct lv_priv *p)
{
	uint64_t now = vd_now_mono_ns();
	for (size_t i = 0; i < p->n_stops;) {
		if (!lv_ops_reap_one(p, &p->stops[i], now)) {
			i++;
			continue;
		}
		memmove(&p->stops[i], &p->stops[i + 1], (--p->n_stops - i) * sizeof(*p->stops));
	}
}

/* A running guest with a shutdown in flight shows as "stopping" until it is off or forced. */
void lv_ops_mark_stopping(const struct lv_priv *p, struct vd_guest *v, size_t n)
{
	for (size_t s = 0; s < p->n_stops; s++)
		for (size_t i = 0; i < n; i++)
			if (v[i].state == VD_STATE_RUNNING && vd_streq(v[i].name, p->stops[s].name))
				v[i].state = VD_STATE_STOPPING;
}

/* virtdeck's LIVE/CONFIG choice as libvirt flags, dropped where the domain cannot take them:
 * a stopped domain has no live state, a transient one no config. */
static int lv_ops_affect(struct lv_priv *p, virDomainPtr dom, const char *name, unsigned want,
			 unsigned *flags, struct vd_error **err)
{
	bool active = virDomainIsActive(dom) == 1, persistent = virDomainIsPersistent(dom) == 1;
	virResetLastError();
	*flags = 0;
	if ((want & VD_RESIZE_LIVE) && active)
		*flags |= VIR_DOMAIN_AFFECT_LIVE;
	if ((want & VD_RESIZE_CONFIG) && persistent)
		*flags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (!want)
		*flags = VIR_DOMAIN_AFFECT_CURRENT;
	if (want && !*flags)
		return vd_error_set(err, EINVAL,
				    "resizing domain %s at %s: it is %s, so %s cannot apply", name,
				    p->uri, active ? "transient (no saved config)" : "not running",
				    active ? "--config" : "a live change");
	return 0;
}

int lv_ops_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		  struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	if (req->cpus > 0)
		return vd_error_set(
			err, ENOTSUP,
			"libvirt domain %s: a CPU quota is not supported here; change --vcpus",
			name);
	_cleanup_dom_ virDomainPtr dom = NULL;
	unsigned flags;
	int r = lv_domain(be, name, &dom, err);
	if (r < 0 || (r = lv_ops_affect(p, dom, name, req->flags, &flags, err)) < 0)
		return r;
	if (req->mem_bytes && virDomainSetMemoryFlags(dom, req->mem_bytes / 1024, flags) < 0)
		return lv_fail(p, err, "setting the memory (balloon) of domain", name);
	if (req->vcpus && virDomainSetVcpusFlags(dom, req->vcpus, flags) < 0)
		return lv_fail(p, err, "setting the vCPUs of domain", name);
	return 0;
}

int lv_ops_remove(struct vd_backend *be, const char *name, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	_cleanup_dom_ virDomainPtr dom = NULL;
	int r = lv_domain(be, name, &dom, err);
	if (r < 0)
		return r;
	if (virDomainIsActive(dom) == 1)
		return vd_error_set(err, EBUSY,
				    "domain %s at %s is running: stop it before deleting it", name,
				    p->uri);
	if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
						VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) == 0)
		return 0;
	virResetLastError(); /* drivers without those flags (test) take the plain call */
	return virDomainUndefine(dom) < 0 ? lv_fail(p, err, "undefining domain", name) : 0;
}

/* ---------------------------------------------------------------- define from a def */

/* XML-escape a user value (paths, command lines) for element text and quoted attributes. */
static char *lv_xml_escape(const char *s)
{
	char *out = vd_xmalloc(strlen(s) * 6 + 1), *o = out;
	for (; *s; s++) {
		const char *rep = *s == '<'    ? "&lt;"
				  : *s == '>'  ? "&gt;"
				  : *s == '&'  ? "&amp;"
				  : *s == '\'' ? "&apos;"
				  : *s == '"'  ? "&quot;"
					       : NULL;
		if (rep)
			o = stpcpy(o, rep);
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* pre + escaped value + post when the option is given, else "". */
static char *lv_opt_xml(const struct vd_guest_def *def, const char *key, const char *pre,
			const char *post)
{
	const char *v = vd_def_opt(def, key);
	if (!v)
		return vd_xstrdup("");
	_cleanup_free_ char *esc = lv_xml_escape(v);
	return vd_xasprintf("%s%s%s", pre, esc, post);
}

static char *lv_xml_vm(const struct vd_guest_def *def, const char *type, unsigned long long kib,
		       unsigned vcpus)
{
	_cleanup_free_ char *kernel = lv_opt_xml(def, "kernel", "<kernel>", "</kernel>");
	_cleanup_free_ char *initrd = lv_opt_xml(def, "initrd", "<initrd>", "</initrd>");
	_cleanup_free_ char *cmdline = lv_opt_xml(def, "cmdline", "<cmdline>", "</cmdline>");
	_cleanup_free_ char *disk =
		lv_opt_xml(def, "disk", "<disk type='file' device='disk'><source file='",
			   "'/><target dev='vda' bus='virtio'/></disk>");
	return vd_xasprintf(
		"<domain type='%s'><name>%s</name><memory unit='KiB'>%llu</memory><vcpu>%u</vcpu>"
		"<os><type arch='x86_64'>hvm</type>%s%s%s</os><devices>%s"
		"<serial type='pty'/><console type='pty'/>"
		"<memballoon model='virtio'><stats period='5'/></memballoon></devices></domain>",
		type, def->name, kib, vcpus, kernel, initrd, cmdline, disk);
}

static char *lv_xml_ct(const struct vd_guest_def *def, unsigned long long kib, unsigned vcpus)
{
	_cleanup_free_ char *init = lv_opt_xml(def, "init", "<init>", "</init>");
	_cleanup_free_ char *root = lv_opt_xml(def, "rootfs", "<filesystem type='mount'><source dir='",
						      "'/><target dir='/'/></filesystem>");
	return vd_xasprintf(
		"<domain type='lxc'><name>%s</name><memory unit='KiB'>%llu</memory><vcpu>%u</vcpu>"
		"<os><type>exe</type>%s</os><devices>%s<console type='pty'/></devices></domain>",
		def->name, kib, vcpus, *init ? init : "<init>/sbin/init</init>", root);
}

/* The domain type for a VM on this connection: the test driver's own, else kvm when the host
 * offers it, else qemu (TCG). */
static const char *lv_vm_type(struct lv_priv *p)
{
	const char *drv = virConnectGetType(p->conn);
	if (drv && strcasecmp(drv, "TEST") == 0)
		return "test";
	_cleanup_free_ char *caps = virConnectGetCapabilities(p->conn);
	virResetLastError();
	return caps && strstr(caps, "<domain type='kvm'") ? "kvm" : "qemu";
}

int lv_ops_create(struct vd_backend *be, const struct vd_guest_def *def, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	int r = lv_ensure(p, err);
	if (r < 0)
		return r;
	if (def->kind != p->kind)
		return vd_error_set(err, EINVAL, "%s serves %s guests; a %s needs %s", p->uri,
				    vd_kind_name(p->kind), vd_kind_name(def->kind),
				    def->kind == VD_KIND_CT ? "lxc:///system" : "qemu:///system");
	unsigned long long kib = (def->mem_bytes ? def->mem_bytes : 256ull << 20) / 1024;
	unsigned vcpus = def->vcpus ? def->vcpus : 1;
	_cleanup_free_ char *xml = def->kind == VD_KIND_CT ? lv_xml_ct(def, kib, vcpus)
							   : lv_xml_vm(def, lv_vm_type(p), kib, vcpus);
	_cleanup_dom_ virDomainPtr dom = virDomainDefineXML(p->conn, xml);
	return dom ? 0 : lv_fail(p, err, "defining domain", def->name);
}
