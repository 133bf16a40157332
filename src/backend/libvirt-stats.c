/* libvirt-stats.c - guests from one bulk stats call, with per-domain calls for unsupported groups.
 */
#include <errno.h>
#include <time.h>

#include "backend/libvirt-priv.h"

#define LV_UNSET UINT64_MAX
/* Guest balloon figures older than this are not trusted as "used" (the stats period stopped). */
#define LV_BALLOON_STALE_S 60
#define LV_CLOCK_SKEW_S 86400

/* The figures of one domain, as libvirt gives them (KiB for memory), before they become a guest. */
struct lv_raw {
	int state;
	int reason; /* state.reason: why it is shut off or crashed */
	uint64_t cpu_ns;
	uint64_t cpu_t_ns; /* when cpu_ns was read, if by its own call; 0 = at the bulk call */
	uint64_t cur_kib, max_kib, avail_kib, usable_kib, rss_kib, last_update;
	uint64_t vcpus;
	uint64_t cgroup_kib; /* lxc: the container's memory use, from virDomainGetInfo */
	uint64_t rx, tx, rd, wr;
	bool has_net, has_block;
};

static void lv_raw_init(struct lv_raw *r)
{
	r->state = -1;
	r->reason = 0;
	r->cpu_ns = r->cur_kib = r->max_kib = r->avail_kib = r->usable_kib = LV_UNSET;
	r->rss_kib = r->last_update = r->vcpus = r->cgroup_kib = LV_UNSET;
	r->rx = r->tx = r->rd = r->wr = 0;
	r->cpu_t_ns = 0;
	r->has_net = r->has_block = false;
}

/* Probe one call: does the bulk API accept these groups and flags here? */
static bool lv_stats_try(virConnectPtr conn, unsigned groups, unsigned flags)
{
	virDomainStatsRecordPtr *recs = NULL;
	int n = virConnectGetAllDomainStats(
		conn, groups, &recs, flags | VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS);
	if (n >= 0)
		virDomainStatsRecordListFree(recs);
	virResetLastError();
	return n >= 0;
}

/* Ask the driver, not its version: ENFORCE_STATS fails for groups it cannot give, so try all
 * at once (the common case on qemu) and only then one by one (the test driver gives STATE).
 * A driver without the bulk call at all (lxc in 9.0) gets *bulk = false. */
unsigned lv_stats_probe(virConnectPtr conn, bool *bulk, unsigned *flags)
{
	*bulk = true;
	/* A domain whose job (migration, a stuck monitor) holds its lock would stall the whole
	 * refresh for up to 30 s; NOWAIT skips its stats instead, where the driver supports it. */
	*flags = lv_stats_try(conn, VIR_DOMAIN_STATS_STATE, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
			 ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT : 0;
	if (lv_stats_try(conn, LV_GROUPS_WANTED, 0))
		return LV_GROUPS_WANTED;
	unsigned ok = 0;
	for (unsigned bit = 1; bit <= VIR_DOMAIN_STATS_BLOCK; bit <<= 1)
		if ((LV_GROUPS_WANTED & bit) && lv_stats_try(conn, bit, 0))
			ok |= bit;
	*bulk = ok != 0;
	return ok;
}

enum vd_state lv_stats_state(int virstate)
{
	switch (virstate) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED: return VD_STATE_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED: return VD_STATE_PAUSED;
	case VIR_DOMAIN_SHUTDOWN: return VD_STATE_STOPPING;
	case VIR_DOMAIN_SHUTOFF: return VD_STATE_STOPPED;
	case VIR_DOMAIN_CRASHED: return VD_STATE_CRASHED;
	default: return VD_STATE_UNKNOWN;
	}
}

/* Drivers send some counters as doubles; converting one beyond uint64_t (or NaN) is undefined
 * behaviour, so those saturate. */
static uint64_t lv_double_u64(double d)
{
	if (!(d > 0))
		return 0;
	return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
}

static uint64_t lv_param_u64(const virTypedParameter *tp)
{
	switch (tp->type) {
	case VIR_TYPED_PARAM_INT: return tp->value.i < 0 ? 0 : (uint64_t)tp->value.i;
	case VIR_TYPED_PARAM_UINT: return tp->value.ui;
	case VIR_TYPED_PARAM_LLONG: return tp->value.l < 0 ? 0 : (uint64_t)tp->value.l;
	case VIR_TYPED_PARAM_ULLONG: return tp->value.ul;
	case VIR_TYPED_PARAM_DOUBLE: return lv_double_u64(tp->value.d);
	default: return 0;
	}
}

static bool lv_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* net.<n>.{rx,tx}.bytes and block.<n>.{rd,wr}.bytes, summed over every interface and disk. */
static void lv_raw_counter(struct lv_raw *r, const char *f, const virTypedParameter *tp)
{
	bool net = f[0] == 'n';
	if (!lv_has_suffix(f, ".bytes") || (!net && !vd_str_has_prefix(f, "block.")))
		return;
	uint64_t v = lv_param_u64(tp);
	if (net && lv_has_suffix(f, ".rx.bytes"))
		r->rx += v, r->has_net = true;
	else if (net && lv_has_suffix(f, ".tx.bytes"))
		r->tx += v, r->has_net = true;
	else if (!net && lv_has_suffix(f, ".rd.bytes"))
		r->rd += v, r->has_block = true;
	else if (!net && lv_has_suffix(f, ".wr.bytes"))
		r->wr += v, r->has_block = true;
}

/* Field names from virsh.rst `domstats`; older headers have no macros for them. A running
 * domain sends dozens of fields (per vCPU, per disk), so the first letter picks the few
 * names worth comparing: this loop is most of the engine's own cost per refresh. */
static void lv_raw_field(struct lv_raw *r, const virTypedParameter *tp)
{
	static const struct { const char *name; size_t off; } balloon[] = {
		{ "balloon.current", offsetof(struct lv_raw, cur_kib) },
		{ "balloon.maximum", offsetof(struct lv_raw, max_kib) },
		{ "balloon.available", offsetof(struct lv_raw, avail_kib) },
		{ "balloon.usable", offsetof(struct lv_raw, usable_kib) },
		{ "balloon.rss", offsetof(struct lv_raw, rss_kib) },
		{ "balloon.last-update", offsetof(struct lv_raw, last_update) },
	};
	const char *f = tp->field;
	switch (f[0]) {
	case 's':
		if (vd_streq(f, "state.state"))
			r->state = (int)lv_param_u64(tp);
		else if (vd_streq(f, "state.reason"))
			r->reason = (int)lv_param_u64(tp);
		return;
	case 'c':
		if (vd_streq(f, "cpu.time"))
			r->cpu_ns = lv_param_u64(tp);
		return;
	case 'v':
		if (vd_streq(f, "vcpu.current"))
			r->vcpus = lv_param_u64(tp);
		return;
	case 'n':
		lv_raw_counter(r, f, tp);
		return;
	case 'b':
		break;
	default:
		return;
	}
	for (size_t i = 0; f[1] == 'a' && i < VD_ARRAY_SIZE(balloon); i++) {
		if (vd_streq(f, balloon[i].name)) {
			*(uint64_t *)((char *)r + balloon[i].off) = lv_param_u64(tp);
			return;
		}
	}
	lv_raw_counter(r, f, tp);
}

/* ---------------------------------------------------------------- per-domain fallback */

/* The value of attr="..." or attr='...' inside the first <tag ...> between s and end. */
static char *lv_xml_attr(const char *s, const char *end, const char *tag, const char *attr)
{
	const char *t = strstr(s, tag);
	if (!t || t >= end)
		return NULL;
	const char *close = strchr(t, '>');
	size_t al = strlen(attr);
	for (const char *a = strstr(t, attr); a && a < close; a = strstr(a + 1, attr)) {
		if (a[al] != '=' || (a[al + 1] != '\'' && a[al + 1] != '"') || a[-1] != ' ')
			continue;
		const char *v = a + al + 2, *q = strchr(v, a[al + 1]);
		return q ? strndup(v, (size_t)(q - v)) : NULL;
	}
	return NULL;
}

/* Collect one name per <elem>...</elem> block: its target dev, else (NICs) its MAC address. */
static void lv_xml_devices(const char *xml, const char *elem, char ***names, size_t *n)
{
	char open[32], close[32];
	snprintf(open, sizeof(open), "<%s ", elem);
	snprintf(close, sizeof(close), "</%s>", elem);
	for (const char *b = strstr(xml, open); b; b = strstr(b + 1, open)) {
		const char *e = strstr(b, close);
		if (!e)
			break;
		char *name = lv_xml_attr(b, e, "<target ", "dev");
		if (!name && vd_streq(elem, "interface"))
			name = lv_xml_attr(b, e, "<mac ", "address");
		if (!name)
			continue;
		*names = vd_xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = name;
	}
}

static void lv_devs_clear(struct lv_devs *d)
{
	for (size_t i = 0; i < d->n_disks; i++)
		free(d->disks[i]);
	for (size_t i = 0; i < d->n_nics; i++)
		free(d->nics[i]);
	free(d->disks);
	free(d->nics);
	d->disks = d->nics = NULL;
	d->n_disks = d->n_nics = 0;
}

void lv_stats_free_devs(struct lv_priv *p)
{
	for (size_t i = 0; i < p->n_devs; i++)
		lv_devs_clear(&p->devs[i]);
	free(p->devs);
	p->devs = NULL;
	p->n_devs = 0;
}

/* Device names of a running dom, cached by name: fetching the XML is costly, and every extra
 * per-domain call costs as much as a stats call (libvirt formats the UUID for its debug log). */
static struct lv_devs *lv_devs_get(struct lv_priv *p, virDomainPtr dom)
{
	const char *name = virDomainGetName(dom);
	for (size_t i = 0; i < p->n_devs; i++) {
		if (vd_streq(p->devs[i].name, name)) {
			p->devs[i].used = true;
			return &p->devs[i];
		}
	}
	p->devs = vd_xrealloc(p->devs, (p->n_devs + 1) * sizeof(*p->devs));
	struct lv_devs *d = memset(&p->devs[p->n_devs++], 0, sizeof(*p->devs));
	vd_strlcpy(d->name, name, sizeof(d->name));
	d->used = true;
	_cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);
	if (xml) {
		lv_xml_devices(xml, "disk", &d->disks, &d->n_disks);
		lv_xml_devices(xml, "interface", &d->nics, &d->n_nics);
	}
	return d;
}

/* Forget domains that were not seen in the last refresh. */
static void lv_devs_sweep(struct lv_priv *p)
{
	for (size_t i = 0; i < p->n_devs;) {
		if (p->devs[i].used) {
			p->devs[i++].used = false;
			continue;
		}
		lv_devs_clear(&p->devs[i]);
		memmove(&p->devs[i], &p->devs[i + 1], (--p->n_devs - i) * sizeof(*p->devs));
	}
}

/* The middle of a call that read a counter: the best guess of when the daemon read it. */
static uint64_t lv_midpoint(const struct vd_backend *be, uint64_t before)
{
	uint64_t after = vd_backend_now(be);
	return after > before ? before + (after - before) / 2 : before;
}

static void lv_fallback_info(const struct vd_backend *be, virDomainPtr dom, struct lv_raw *r,
			     unsigned groups, enum vd_kind kind)
{
	virDomainInfo info;
	uint64_t before = vd_backend_now(be);
	if (virDomainGetInfo(dom, &info) < 0)
		return;
	if (r->state < 0)
		r->state = info.state;
	if (!(groups & VIR_DOMAIN_STATS_CPU_TOTAL)) {
		r->cpu_ns = info.cpuTime;
		r->cpu_t_ns = lv_midpoint(be, before);
	}
	if (!(groups & VIR_DOMAIN_STATS_BALLOON) && kind == VD_KIND_CT) {
		/* lxc reports the cgroup's usage as "memory"; the allocation is the limit */
		r->cur_kib = r->max_kib = info.maxMem;
		r->cgroup_kib = info.state == VIR_DOMAIN_SHUTOFF ? LV_UNSET : info.memory;
	} else if (!(groups & VIR_DOMAIN_STATS_BALLOON)) {
		r->cur_kib = info.memory;
		r->max_kib = info.maxMem;
	}
	if (!(groups & VIR_DOMAIN_STATS_VCPU))
		r->vcpus = info.nrVirtCpu;
}

static void lv_fallback_memstats(virDomainPtr dom, struct lv_raw *r)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	for (int i = 0; i < n; i++) {
		switch (st[i].tag) {
		case VIR_DOMAIN_MEMORY_STAT_AVAILABLE: r->avail_kib = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_USABLE: r->usable_kib = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_RSS: r->rss_kib = st[i].val; break;
		case VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: r->last_update = st[i].val; break;
		default: break;
		}
	}
}

static void lv_fallback_io(struct lv_priv *p, virDomainPtr dom, struct lv_raw *r, unsigned groups)
{
	struct lv_devs *d = lv_devs_get(p, dom);
	for (size_t i = 0; d && !(groups & VIR_DOMAIN_STATS_BLOCK) && i < d->n_disks; i++) {
		virDomainBlockStatsStruct bs;
		if (virDomainBlockStats(dom, d->disks[i], &bs, sizeof(bs)) < 0)
			continue;
		r->rd += bs.rd_bytes > 0 ? (uint64_t)bs.rd_bytes : 0;
		r->wr += bs.wr_bytes > 0 ? (uint64_t)bs.wr_bytes : 0;
		r->has_block = true;
	}
	for (size_t i = 0; d && !(groups & VIR_DOMAIN_STATS_INTERFACE) && i < d->n_nics; i++) {
		virDomainInterfaceStatsStruct is;
		if (virDomainInterfaceStats(dom, d->nics[i], &is, sizeof(is)) < 0)
			continue;
		r->rx += is.rx_bytes > 0 ? (uint64_t)is.rx_bytes : 0;
		r->tx += is.tx_bytes > 0 ? (uint64_t)is.tx_bytes : 0;
		r->has_net = true;
	}
}

/* Fill what the bulk call could not give with the older per-domain calls. Failures only leave
 * a figure unknown: the domain may have stopped or vanished between the two calls. */
static void lv_fallback(struct lv_priv *p, virDomainPtr dom, struct lv_raw *r)
{
	unsigned g = p->groups;
	if ((g & LV_GROUPS_WANTED) == LV_GROUPS_WANTED)
		return;
	if (!(g & VIR_DOMAIN_STATS_STATE) || !(g & VIR_DOMAIN_STATS_CPU_TOTAL) ||
	    !(g & VIR_DOMAIN_STATS_BALLOON) || !(g & VIR_DOMAIN_STATS_VCPU))
		lv_fallback_info(p->be, dom, r, g, p->kind);
	/* the state is known by now (bulk state group or GetInfo): no extra call to ask "active?" */
	bool active = r->state >= 0 ? vd_state_is_active(lv_stats_state(r->state))
				    : virDomainIsActive(dom) == 1;
	if (active && !(g & VIR_DOMAIN_STATS_BALLOON) && p->kind == VD_KIND_VM)
		lv_fallback_memstats(dom, r);
	if (active && (!(g & VIR_DOMAIN_STATS_BLOCK) || !(g & VIR_DOMAIN_STATS_INTERFACE)))
		lv_fallback_io(p, dom, r, g);
	virResetLastError();
}

/* ---------------------------------------------------------------- raw figures -> guest */

static uint64_t lv_kib(uint64_t kib)
{
	return kib == LV_UNSET ? 0 : kib * 1024ull;
}

/* Used memory: the guest's own view (MemTotal - MemAvailable via the balloon) while it is
 * fresh, else the host-side RSS of the VMM, which is an upper bound; the source says which. */
static void lv_guest_memory(const struct lv_raw *r, struct vd_sample *s)
{
	s->mem_rss = lv_kib(r->rss_kib);
	if (r->cgroup_kib != LV_UNSET) {
		s->mem_used = r->cgroup_kib * 1024ull;
		s->mem_source = VD_MEM_SRC_CGROUP;
		return;
	}
	/* last-update is the guest's wall clock: judge staleness only when that clock is near ours
	 * (within a day), since a guest with a wrong clock would otherwise never count as fresh. */
	uint64_t now = (uint64_t)time(NULL), lu = r->last_update;
	bool judged = lu != LV_UNSET && lu + LV_CLOCK_SKEW_S > now && lu < now + LV_CLOCK_SKEW_S;
	bool fresh = !judged || now < lu + LV_BALLOON_STALE_S;
	if (r->avail_kib != LV_UNSET && r->usable_kib != LV_UNSET &&
	    r->avail_kib >= r->usable_kib && fresh) {
		s->mem_used = (r->avail_kib - r->usable_kib) * 1024ull;
		s->mem_source = VD_MEM_SRC_BALLOON;
	} else if (r->rss_kib != LV_UNSET) {
		s->mem_used = s->mem_rss;
		s->mem_source = VD_MEM_SRC_RSS;
	}
}

/* Why a domain is down, from the state reason libvirt keeps with it (the same detail its
 * lifecycle events carry, and still there for a console started after the event). */
static void lv_stats_exit(const struct lv_raw *r, struct vd_exit *e)
{
	static const struct { int reason; enum vd_exit_kind kind; const char *detail; } off[] = {
		{ VIR_DOMAIN_SHUTOFF_SHUTDOWN, VD_EXIT_POWEROFF, "the guest shut down" },
		{ VIR_DOMAIN_SHUTOFF_DESTROYED, VD_EXIT_USER, "destroyed (forced off)" },
		{ VIR_DOMAIN_SHUTOFF_CRASHED, VD_EXIT_CRASH, "the domain crashed" },
		{ VIR_DOMAIN_SHUTOFF_MIGRATED, VD_EXIT_USER, "migrated to another host" },
		{ VIR_DOMAIN_SHUTOFF_SAVED, VD_EXIT_USER, "saved to a file" },
		{ VIR_DOMAIN_SHUTOFF_FAILED, VD_EXIT_CRASH, "libvirt failed to start it" },
		{ VIR_DOMAIN_SHUTOFF_DAEMON, VD_EXIT_LOST, "libvirtd found it dead on restart" },
	};
	if (r->state == VIR_DOMAIN_CRASHED) {
		bool panic = r->reason == VIR_DOMAIN_CRASHED_PANICKED;
		e->kind = panic ? VD_EXIT_PANIC : VD_EXIT_CRASH;
		vd_strlcpy(e->detail, panic ? "guest panic (libvirt)" : "crashed", sizeof(e->detail));
		return;
	}
	for (size_t i = 0; r->state == VIR_DOMAIN_SHUTOFF && i < VD_ARRAY_SIZE(off); i++) {
		if (off[i].reason != r->reason)
			continue;
		e->kind = off[i].kind;
		vd_strlcpy(e->detail, off[i].detail, sizeof(e->detail));
	}
}

static void lv_guest_fill(struct lv_priv *p, const char *name, const struct lv_raw *r, uint64_t now,
			  struct vd_guest *g)
{
	memset(g, 0, sizeof(*g));
	vd_strlcpy(g->name, name, sizeof(g->name));
	vd_strlcpy(g->host, p->be->label, sizeof(g->host));
	g->kind = p->kind;
	g->state = lv_stats_state(r->state);
	g->alloc.vcpus = r->vcpus == LV_UNSET ? 0 : (unsigned)r->vcpus;
	g->alloc.mem_bytes = lv_kib(r->cur_kib);
	g->alloc.mem_max_bytes = lv_kib(r->max_kib);
	g->cpu_pct_alloc = g->cpu_pct_host = -1;
	struct vd_sample *s = &g->sample;
	s->valid = true;
	s->t_ns = r->cpu_t_ns ? r->cpu_t_ns : now;
	s->cpu_ns = r->cpu_ns == LV_UNSET ? 0 : r->cpu_ns;
	lv_stats_exit(r, &g->exit);
	if (!vd_state_is_active(g->state))
		return;
	lv_guest_memory(r, s);
	s->io_read = r->rd;
	s->io_write = r->wr;
	s->net_rx = r->rx;
	s->net_tx = r->tx;
}

void lv_stats_parse(struct lv_priv *p, virDomainPtr dom, const char *name,
		    const virTypedParameter *params, int n, uint64_t now, struct vd_guest *g)
{
	struct lv_raw r;
	lv_raw_init(&r);
	for (int i = 0; i < n; i++)
		lv_raw_field(&r, &params[i]);
	if (dom)
		lv_fallback(p, dom, &r);
	lv_guest_fill(p, name, &r, now, g);
}

static void lv_stats_record(struct lv_priv *p, const virDomainStatsRecord *rec, uint64_t now,
			    struct vd_guest *g)
{
	lv_stats_parse(p, rec->dom, virDomainGetName(rec->dom), rec->params, rec->nparams, now, g);
}

static void lv_stats_fill_all(struct lv_priv *p, virDomainStatsRecordPtr *recs, int cnt,
			      uint64_t now, struct vd_guest **out, size_t *n)
{
	struct vd_guest *v = vd_xcalloc(cnt > 0 ? (size_t)cnt : 1, sizeof(*v));
	for (int i = 0; i < cnt; i++)
		lv_stats_record(p, recs[i], now, &v[i]);
	virDomainStatsRecordListFree(recs);
	lv_devs_sweep(p);
	*out = v;
	*n = (size_t)cnt;
}

/* A guest from per-domain calls only, for drivers without the bulk call. */
static void lv_stats_plain(struct lv_priv *p, virDomainPtr dom, uint64_t now, struct vd_guest *g)
{
	lv_stats_parse(p, dom, virDomainGetName(dom), NULL, 0, now, g);
}

static int lv_stats_list_plain(struct lv_priv *p, uint64_t now, struct vd_guest **out, size_t *n,
			       struct vd_error **err)
{
	virDomainPtr *doms = NULL;
	int cnt = virConnectListAllDomains(p->conn, &doms, 0);
	if (cnt < 0)
		return lv_fail(p, err, "listing domains", NULL);
	struct vd_guest *v = vd_xcalloc(cnt > 0 ? (size_t)cnt : 1, sizeof(*v));
	for (int i = 0; i < cnt; i++) {
		lv_stats_plain(p, doms[i], now, &v[i]);
		virDomainFree(doms[i]);
	}
	free(doms);
	lv_devs_sweep(p);
	*out = v;
	*n = (size_t)cnt;
	return 0;
}

int lv_stats_list(struct lv_priv *p, uint64_t now, struct vd_guest **out, size_t *n,
		  struct vd_error **err)
{
	if (p->devs_stale)
		lv_stats_free_devs(p);
	p->devs_stale = false;
	if (!p->bulk)
		return lv_stats_list_plain(p, now, out, n, err);
	/* libvirt reads every domain's counters within this one call: one instant for all. */
	virDomainStatsRecordPtr *recs = NULL;
	int cnt = virConnectGetAllDomainStats(p->conn, p->groups, &recs, p->bulk_flags);
	if (cnt < 0)
		return lv_fail(p, err, "listing domains", NULL);
	lv_stats_fill_all(p, recs, cnt, lv_midpoint(p->be, now), out, n);
	return 0;
}

int lv_stats_one(struct lv_priv *p, virDomainPtr dom, uint64_t now, struct vd_guest *out,
		 struct vd_error **err)
{
	if (!p->bulk) {
		lv_stats_plain(p, dom, now, out);
		return 0;
	}
	virDomainStatsRecordPtr *recs = NULL;
	virDomainPtr doms[2] = { dom, NULL };
	int cnt = virDomainListGetStats(doms, p->groups, &recs, p->bulk_flags);
	if (cnt < 0)
		return lv_fail(p, err, "reading the stats of domain", virDomainGetName(dom));
	now = lv_midpoint(p->be, now);
	if (cnt < 1) {
		virDomainStatsRecordListFree(recs);
		return vd_error_set(err, ENOENT, "domain %s vanished from %s", virDomainGetName(dom), p->uri);
	}
	lv_stats_parse(p, dom, virDomainGetName(dom), recs[0]->params, recs[0]->nparams, now, out);
	virDomainStatsRecordListFree(recs);
	return 0;
}
