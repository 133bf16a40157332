/* ct_cgroup.c - container cgroups: v1 and v2 implementations behind one ops table each. */
#include "containers/ct_cgroup.h"

#include "common/ctl.h"
#include "containers/ct_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define CT_CFS_PERIOD 100000ull
#define CT_USER_HZ 100ull

/* v1 controllers we use; each may be its own hierarchy (this machine) or co-mounted. */
enum ct_v1_ctrl {
	CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_PIDS, CG_FREEZER, CG_BLKIO, CG_DEVICES, CG__N
};
static const char *const ct_v1_names[CG__N] = {
	"cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "blkio", "devices"
};

struct ct_cgroup_ops {
	const char *name;
	int (*set)(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err);
	int (*stats)(struct ct_cgroup *cg, struct ct_stats *st, struct vd_error **err);
	int (*freeze)(struct ct_cgroup *cg, bool frozen, struct vd_error **err);
	int (*prepare)(struct ct_cgroup *cg, const char *dir, struct vd_error **err);
	int (*devices)(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err);
};

struct ct_cgroup {
	const struct ct_cgroup_ops *ops;
	enum ct_cgroup_version version;
	char *name;
	char *root;      /* v2: the mount, whose subtree_control chain we enable */
	char **dirs;     /* NULL-terminated, unique */
	int v1[CG__N];   /* index into dirs, -1 = controller not mounted */
	bool scoped;     /* an extra vd-HASH level above virtdeck/ (see ct_cg_scope) */
};

/* ------------------------------------------------------------------ small file helpers */

static int ct_cg_write(struct ct_cgroup *cg, const char *dir, const char *file, const char *val,
		       struct vd_error **err)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", dir, file);
	int r = vd_write_file(path, val);
	if (r == 0)
		return 0;
	if (r == -EBUSY && vd_str_has_prefix(file, "memory."))
		return vd_error_set(
			err, EBUSY,
			"container %s: the kernel refused %s=%s because the container uses more "
			"memory now: pick a larger limit",
			cg->name, file, val);
	if (r == -ENOENT)
		return vd_error_set(err, ENOENT, "container %s: %s does not exist: the %.*s controller is not "
				    "available in %s (enable it there, or drop that limit)", cg->name, path,
				    (int)strcspn(file, "."), file, dir);
	return vd_error_errno(err, r, "container %s: cannot write %s to %s", cg->name, val, path);
}

/* Write a limit; a missing file is fine when we only reset it to "no limit". */
static int ct_cg_limit(struct ct_cgroup *cg, int idx, const char *file, bool wanted,
		       const char *val, struct vd_error **err)
{
	if (idx < 0) {
		if (!wanted)
			return 0;
		return vd_error_set(
			err, ENOTSUP,
			"container %s: no cgroup controller for %s is mounted: mount it or "
			"drop that limit",
			cg->name, file);
	}
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", cg->dirs[idx], file);
	if (!wanted && access(path, F_OK) < 0)
		return 0;
	return ct_cg_write(cg, cg->dirs[idx], file, val, err);
}

static char *ct_cg_read(const char *dir, const char *file)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/%s", dir, file);
	char *text = NULL;
	if (vd_read_file(path, &text, NULL) < 0)
		return NULL;
	return text;
}

static uint64_t ct_cg_read_u64(const char *dir, const char *file)
{
	_cleanup_free_ char *t = ct_cg_read(dir, file);
	uint64_t v = 0;
	if (t) {
		t[strcspn(t, "\n")] = '\0';
		vd_parse_u64(t, &v);
	}
	return v;
}

static uint64_t ct_cg_read_key(const char *dir, const char *file, const char *key)
{
	_cleanup_free_ char *t = ct_cg_read(dir, file);
	uint64_t v = 0;
	if (t)
		ct_cgroup_parse_kv(t, key, &v);
	return v;
}

static void ct_cg_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ parsers */

int ct_cgroup_parse_kv(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t')) {
			*out = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int ct_cgroup_parse_psi(const char *text, const char *kind, double *avg10, uint64_t *total)
{
	size_t klen = strlen(kind);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, kind, klen) != 0 || p[klen] != ' ')
			continue;
		const char *a = strstr(p, "avg10="), *t = strstr(p, "total=");
		const char *eol = strchr(p, '\n');
		if (!a || !t || (eol && (a > eol || t > eol)))
			return -EINVAL;
		*avg10 = strtod(a + 6, NULL);
		*total = strtoull(t + 6, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

static uint64_t ct_cg_field(const char *line, const char *eol, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = line; p && p < eol; p = strchr(p, ' '), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

void ct_cgroup_parse_io_stat(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		*rd += ct_cg_field(p, eol, "rbytes");
		*wr += ct_cg_field(p, eol, "wbytes");
	}
}

void ct_cgroup_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char dev[32], op[16];
		unsigned long long v;
		if (sscanf(p, "%31s %15s %llu", dev, op, &v) != 3)
			continue;
		if (vd_streq(op, "Read"))
			*rd += v;
		else if (vd_streq(op, "Write"))
			*wr += v;
	}
}

uint64_t ct_cgroup_weight_to_shares(uint64_t weight)
{
	if (!weight)
		return 1024;
	uint64_t s = weight * 1024 / 100;
	return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

/* ------------------------------------------------------------------ v1 */

static int ct_cg1_dir(struct ct_cgroup *cg, enum ct_v1_ctrl c)
{
	return cg->v1[c];
}

static int ct_cg1_set_memory(struct ct_cgroup *cg, const struct ct_limits *lim,
			     struct vd_error **err)
{
	char v[32];
	int d = ct_cg1_dir(cg, CG_MEMORY);
	snprintf(v, sizeof(v), "%lld", lim->mem_max ? (long long)lim->mem_max : -1LL);
	int r = ct_cg_limit(cg, d, "memory.limit_in_bytes", lim->mem_max != 0, v, err);
	if (r < 0)
		return r;
	snprintf(v, sizeof(v), "%lld", lim->mem_high ? (long long)lim->mem_high : -1LL);
	return ct_cg_limit(cg, d, "memory.soft_limit_in_bytes", lim->mem_high != 0, v, err);
}

static int ct_cg1_set_cpu(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	char v[32];
	int d = ct_cg1_dir(cg, CG_CPU);
	bool q = lim->cpus > 0;
	int r = ct_cg_limit(cg, d, "cpu.cfs_period_us", q, "100000", err);
	snprintf(v, sizeof(v), "%lld", q ? (long long)(lim->cpus * CT_CFS_PERIOD) : -1LL);
	if (r < 0 || (r = ct_cg_limit(cg, d, "cpu.cfs_quota_us", q, v, err)) < 0)
		return r;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)ct_cgroup_weight_to_shares(lim->cpu_weight));
	return ct_cg_limit(cg, d, "cpu.shares", lim->cpu_weight != 0, v, err);
}

static int ct_cg1_set(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	int r = ct_cg1_set_memory(cg, lim, err);
	if (r < 0 || (r = ct_cg1_set_cpu(cg, lim, err)) < 0)
		return r;
	if (lim->cpuset && (r = ct_cg_limit(cg, ct_cg1_dir(cg, CG_CPUSET), "cpuset.cpus", true,
					    lim->cpuset, err)) < 0)
		return r;
	char v[32];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids_max);
	return ct_cg_limit(cg, ct_cg1_dir(cg, CG_PIDS), "pids.max", lim->pids_max != 0,
			   lim->pids_max ? v : "max", err);
}

static void ct_cg1_stats_cpu(struct ct_cgroup *cg, struct ct_stats *st)
{
	int a = ct_cg1_dir(cg, CG_CPUACCT), c = ct_cg1_dir(cg, CG_CPU);
	if (a >= 0) {
		st->cpu_ns = ct_cg_read_u64(cg->dirs[a], "cpuacct.usage");
		st->cpu_user_ns = ct_cg_read_key(cg->dirs[a], "cpuacct.stat", "user") *
				  (1000000000ull / CT_USER_HZ);
		st->cpu_sys_ns = ct_cg_read_key(cg->dirs[a], "cpuacct.stat", "system") *
				 (1000000000ull / CT_USER_HZ);
	}
	if (c >= 0) {
		st->nr_periods = ct_cg_read_key(cg->dirs[c], "cpu.stat", "nr_periods");
		st->nr_throttled = ct_cg_read_key(cg->dirs[c], "cpu.stat", "nr_throttled");
		st->throttled_ns = ct_cg_read_key(cg->dirs[c], "cpu.stat", "throttled_time");
	}
}

static void ct_cg1_stats_mem(struct ct_cgroup *cg, struct ct_stats *st)
{
	int m = ct_cg1_dir(cg, CG_MEMORY);
	if (m < 0)
		return;
	const char *d = cg->dirs[m];
	st->mem_usage = ct_cg_read_u64(d, "memory.usage_in_bytes");
	st->mem_peak = ct_cg_read_u64(d, "memory.max_usage_in_bytes");
	st->inactive_file = ct_cg_read_key(d, "memory.stat", "total_inactive_file");
	st->mem_used = st->mem_usage > st->inactive_file ? st->mem_usage - st->inactive_file : 0;
	uint64_t lim = ct_cg_read_u64(d, "memory.limit_in_bytes");
	st->mem_limit = lim >= (1ull << 60) ? 0 : lim; /* "unlimited" reads as PAGE_COUNTER_MAX */
	st->oom_kills = ct_cg_read_key(d, "memory.oom_control", "oom_kill");
	st->oom_events = st->oom_kills;
}

static int ct_cg1_stats(struct ct_cgroup *cg, struct ct_stats *st, struct vd_error **err)
{
	ct_cg1_stats_cpu(cg, st);
	ct_cg1_stats_mem(cg, st);
	int p = ct_cg1_dir(cg, CG_PIDS), b = ct_cg1_dir(cg, CG_BLKIO);
	if (p >= 0)
		st->pids = ct_cg_read_u64(cg->dirs[p], "pids.current");
	_cleanup_free_ char *io =
		b >= 0 ? ct_cg_read(cg->dirs[b], "blkio.throttle.io_service_bytes") : NULL;
	if (io)
		ct_cgroup_parse_blkio(io, &st->io_read, &st->io_write);
	return 0;
}

static bool ct_cg_wait_state(const char *dir, const char *file, const char *key, const char *want)
{
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *t = ct_cg_read(dir, file);
		if (!t)
			return false;
		if (key) {
			uint64_t v = 0;
			if (ct_cgroup_parse_kv(t, key, &v) == 0 && v == (uint64_t)(want[0] - '0'))
				return true;
		} else if (vd_str_has_prefix(t, want)) {
			return true;
		}
		ct_cg_sleep_ms(5);
	}
	return false;
}

static int ct_cg1_freeze(struct ct_cgroup *cg, bool frozen, struct vd_error **err)
{
	int f = ct_cg1_dir(cg, CG_FREEZER);
	if (f < 0)
		return vd_error_set(err, ENOTSUP, "container %s: the freezer cgroup controller is not mounted: "
				    "pause needs it", cg->name);
	const char *want = frozen ? "FROZEN" : "THAWED";
	int r = ct_cg_write(cg, cg->dirs[f], "freezer.state", want, err);
	if (r < 0)
		return r;
	if (!ct_cg_wait_state(cg->dirs[f], "freezer.state", NULL, want))
		return vd_error_set(err, ETIMEDOUT,
				    "container %s: freezer did not reach %s within 1 s", cg->name,
				    want);
	return 0;
}

/* A new v1 cpuset group starts with empty cpus/mems: copy the parent's, else no task may join. */
static int ct_cg1_prepare(struct ct_cgroup *cg, const char *dir, struct vd_error **err)
{
	int s = ct_cg1_dir(cg, CG_CPUSET);
	if (s < 0 || !vd_str_has_prefix(cg->dirs[s], dir))
		return 0;
	_cleanup_free_ char *parent = vd_xstrdup(dir);
	*strrchr(parent, '/') = '\0';
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *v = ct_cg_read(parent, files[i]);
		_cleanup_free_ char *mine = ct_cg_read(dir, files[i]);
		if (!v || !mine || (mine[0] != '\n' && mine[0] != '\0'))
			continue;
		int r = ct_cg_write(cg, dir, files[i], v, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Deny everything, then allow the list: the group starts with its parent's list (all, at the
 * root), and an allow the parent lacks is refused by the kernel rather than widened. */
static int ct_cg1_devices(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	int d = ct_cg1_dir(cg, CG_DEVICES);
	if (d < 0)
		return vd_error_set(err, ENOTSUP, "container %s: no devices cgroup controller is "
			"mounted under %s, so it could open host devices (disks, ttys): mount it "
			"(mount -t cgroup -o devices cgroup %s/devices), or set devices = "
			"unconfined in its definition to accept that", cg->name, cg->root,
			cg->root);
	int r = ct_cg_write(cg, cg->dirs[d], "devices.deny", "a", err);
	for (size_t i = 0; r == 0 && i < lim->n_devices; i++) {
		char rule[64];
		ct_devices_format(&lim->devices[i], rule, sizeof(rule));
		r = ct_cg_write(cg, cg->dirs[d], "devices.allow", rule, err);
	}
	return r;
}

static const struct ct_cgroup_ops ct_cgroup_v1_ops = {
	.name = "v1",
	.set = ct_cg1_set,
	.stats = ct_cg1_stats,
	.freeze = ct_cg1_freeze,
	.prepare = ct_cg1_prepare,
	.devices = ct_cg1_devices,
};

/* ------------------------------------------------------------------ v2 */

/* One v2 limit: "max"-style default when unset, the formatted value when wanted. */
static int ct_cg2_put(struct ct_cgroup *cg, const char *file, bool wanted, const char *val,
		      const char *unset, struct vd_error **err)
{
	return ct_cg_limit(cg, 0, file, wanted, wanted ? val : unset, err);
}

static int ct_cg2_set(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	char mem[32], high[32], cpu[64], weight[32], pids[32];
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)lim->mem_max);
	snprintf(high, sizeof(high), "%llu", (unsigned long long)lim->mem_high);
	snprintf(cpu, sizeof(cpu), "%llu %llu", (unsigned long long)(lim->cpus * CT_CFS_PERIOD),
		 CT_CFS_PERIOD);
	snprintf(weight, sizeof(weight), "%llu", (unsigned long long)lim->cpu_weight);
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)lim->pids_max);
	int r = ct_cg2_put(cg, "memory.max", lim->mem_max != 0, mem, "max", err);
	if (r == 0)
		r = ct_cg2_put(cg, "memory.high", lim->mem_high != 0, high, "max", err);
	if (r == 0)
		r = ct_cg2_put(cg, "cpu.max", lim->cpus > 0, cpu, "max 100000", err);
	if (r == 0)
		r = ct_cg2_put(cg, "cpu.weight", lim->cpu_weight != 0, weight, "100", err);
	if (r == 0 && lim->cpuset)
		r = ct_cg2_put(cg, "cpuset.cpus", true, lim->cpuset, NULL, err);
	if (r == 0)
		r = ct_cg2_put(cg, "pids.max", lim->pids_max != 0, pids, "max", err);
	return r;
}

static void ct_cg2_psi(const char *dir, struct ct_stats *st)
{
	static const struct { const char *file, *kind; size_t off; } psi[] = {
		{ "cpu.pressure", "some", offsetof(struct ct_stats, psi_cpu_some10) },
		{ "memory.pressure", "some", offsetof(struct ct_stats, psi_mem_some10) },
		{ "memory.pressure", "full", offsetof(struct ct_stats, psi_mem_full10) },
		{ "io.pressure", "some", offsetof(struct ct_stats, psi_io_some10) },
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(psi); i++) {
		_cleanup_free_ char *t = ct_cg_read(dir, psi[i].file);
		uint64_t total;
		if (t && ct_cgroup_parse_psi(t, psi[i].kind, (double *)((char *)st + psi[i].off), &total) == 0)
			st->psi_valid = true;
	}
}

static int ct_cg2_stats(struct ct_cgroup *cg, struct ct_stats *st, struct vd_error **err)
{
	const char *d = cg->dirs[0];
	st->cpu_ns = ct_cg_read_key(d, "cpu.stat", "usage_usec") * 1000;
	st->cpu_user_ns = ct_cg_read_key(d, "cpu.stat", "user_usec") * 1000;
	st->cpu_sys_ns = ct_cg_read_key(d, "cpu.stat", "system_usec") * 1000;
	st->nr_periods = ct_cg_read_key(d, "cpu.stat", "nr_periods");
	st->nr_throttled = ct_cg_read_key(d, "cpu.stat", "nr_throttled");
	st->throttled_ns = ct_cg_read_key(d, "cpu.stat", "throttled_usec") * 1000;
	st->mem_usage = ct_cg_read_u64(d, "memory.current");
	st->mem_peak = ct_cg_read_u64(d, "memory.peak");
	st->inactive_file = ct_cg_read_key(d, "memory.stat", "inactive_file");
	st->mem_used = st->mem_usage > st->inactive_file ? st->mem_usage - st->inactive_file : 0;
	st->mem_limit = ct_cg_read_u64(d, "memory.max"); /* "max" parses as 0 = none */
	st->oom_events = ct_cg_read_key(d, "memory.events", "oom");
	st->oom_kills = ct_cg_read_key(d, "memory.events", "oom_kill");
	st->pids = ct_cg_read_u64(d, "pids.current");
	_cleanup_free_ char *io = ct_cg_read(d, "io.stat");
	if (io)
		ct_cgroup_parse_io_stat(io, &st->io_read, &st->io_write);
	ct_cg2_psi(d, st);
	return 0;
}

static int ct_cg2_freeze(struct ct_cgroup *cg, bool frozen, struct vd_error **err)
{
	int r = ct_cg_write(cg, cg->dirs[0], "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	if (!ct_cg_wait_state(cg->dirs[0], "cgroup.events", "frozen", frozen ? "1" : "0"))
		return vd_error_set(err, ETIMEDOUT, "container %s: cgroup did not %s within 1 s", cg->name,
				    frozen ? "freeze" : "thaw");
	return 0;
}

/* Controllers reach a v2 group only when every ancestor enables them for its children. */
static void ct_cg2_enable(const char *dir)
{
	static const char *const ctrls[] = { "+cpu", "+memory", "+pids", "+cpuset", "+io" };
	_cleanup_free_ char *path = vd_xasprintf("%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < VD_ARRAY_SIZE(ctrls); i++)
		vd_write_file(path, ctrls[i]); /* a controller the kernel lacks is simply not enabled */
}

static int ct_cg2_prepare(struct ct_cgroup *cg, const char *dir, struct vd_error **err)
{
	_cleanup_free_ char *cur = vd_xstrdup(cg->root);
	const char *rel = dir + strlen(cg->root);
	ct_cg2_enable(cur);
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p + 1, '/');
		if (!slash)
			break; /* the container's own group enables nothing: it holds the tasks */
		char *next = vd_xasprintf("%s%.*s", cur, (int)(slash - p), p);
		free(cur);
		cur = next;
		ct_cg2_enable(cur);
		p = slash;
	}
	return 0;
}

/* cgroup2 has no device files: the kernel asks the group's BPF_CGROUP_DEVICE programs. Attached
 * before init is cloned into the group, so no task of the container ever runs without it. */
static int ct_cg2_devices(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	_cleanup_close_ int fd = ct_cgroup_fd(cg, err);
	if (fd < 0)
		return fd;
	return ct_devices_bpf_attach(cg->name, fd, lim->devices, lim->n_devices, err);
}

static const struct ct_cgroup_ops ct_cgroup_v2_ops = {
	.name = "v2",
	.set = ct_cg2_set,
	.stats = ct_cg2_stats,
	.freeze = ct_cg2_freeze,
	.prepare = ct_cg2_prepare,
	.devices = ct_cg2_devices,
};

/* ------------------------------------------------------------------ construction */

int ct_cgroup_detect(const char *root, struct vd_error **err)
{
	struct statfs sf;
	if (statfs(root, &sf) < 0)
		return vd_error_errno(err, errno, "cannot inspect cgroup mount %s", root);
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return CT_CGROUP_V2;
	return CT_CGROUP_V1;
}

/* Our own path in the hierarchy holding `ctrl` ("" = v2 line "0::"), from /proc/self/cgroup. */
static char *ct_cg_self_path(const char *ctrl)
{
	_cleanup_free_ char *text = NULL;
	if (vd_read_file("/proc/self/cgroup", &text, NULL) < 0)
		return vd_xstrdup("");
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		char *list = c1 + 1, *s2 = NULL;
		bool hit = !*ctrl && !*list;
		for (char *t = strtok_r(list, ",", &s2); t && !hit; t = strtok_r(NULL, ",", &s2))
			hit = vd_streq(t, ctrl);
		if (hit)
			return vd_xstrdup(c2 + 1);
	}
	return vd_xstrdup("");
}

/* Where the v1 hierarchy of ctrl is mounted: root/ctrl, else a co-mount like root/cpu,cpuacct. */
static char *ct_cg1_mount(const char *root, const char *ctrl)
{
	_cleanup_free_ char *direct = vd_xasprintf("%s/%s", root, ctrl);
	struct stat st;
	if (stat(direct, &st) == 0 && S_ISDIR(st.st_mode))
		return TAKE_PTR(direct);
	_cleanup_closedir_ DIR *d = opendir(root);
	for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
		_cleanup_free_ char *list = vd_xasprintf(",%s,", e->d_name);
		_cleanup_free_ char *want = vd_xasprintf(",%s,", ctrl);
		if (strstr(list, want))
			return vd_xasprintf("%s/%s", root, e->d_name);
	}
	return NULL;
}

/* mount/parent[/scope]/virtdeck/name, without doubled slashes. */
static char *ct_cg_join(const char *mount, const char *parent, const char *scope, const char *name)
{
	while (*parent == '/')
		parent++;
	size_t n = strlen(parent);
	while (n > 0 && parent[n - 1] == '/')
		n--;
	_cleanup_free_ char *base = n ? vd_xasprintf("%s/%.*s", mount, (int)n, parent) : vd_xstrdup(mount);
	if (scope)
		return vd_xasprintf("%s/%s/virtdeck/%s", base, scope, name);
	return vd_xasprintf("%s/virtdeck/%s", base, name);
}

static int ct_cg_add_dir(struct ct_cgroup *cg, char *dir)
{
	size_t n = 0;
	for (; cg->dirs[n]; n++)
		if (vd_streq(cg->dirs[n], dir)) {
			free(dir);
			return (int)n;
		}
	cg->dirs = vd_xrealloc(cg->dirs, (n + 2) * sizeof(char *));
	cg->dirs[n] = dir;
	cg->dirs[n + 1] = NULL;
	return (int)n;
}

static struct ct_cgroup *ct_cg_alloc(enum ct_cgroup_version version, const char *root,
				     const char *name)
{
	struct ct_cgroup *cg = vd_xcalloc(1, sizeof(*cg));
	cg->version = version;
	cg->ops = version == CT_CGROUP_V2 ? &ct_cgroup_v2_ops : &ct_cgroup_v1_ops;
	cg->name = vd_xstrdup(name);
	cg->root = vd_xstrdup(root ? root : "");
	cg->dirs = vd_xcalloc(1, sizeof(char *));
	for (int i = 0; i < CG__N; i++)
		cg->v1[i] = -1;
	return cg;
}

static int ct_cgroup_new_at(const char *root, enum ct_cgroup_version version, const char *parent,
			    const char *scope, const char *name, struct ct_cgroup **out, struct vd_error **err)
{
	struct ct_cgroup *cg = ct_cg_alloc(version, root, name);
	cg->scoped = scope != NULL;
	if (version == CT_CGROUP_V2) {
		_cleanup_free_ char *self = parent ? NULL : ct_cg_self_path("");
		ct_cg_add_dir(cg, ct_cg_join(root, parent ? parent : self, scope, name));
		*out = cg;
		return 0;
	}
	for (int c = 0; c < CG__N; c++) {
		_cleanup_free_ char *mnt = ct_cg1_mount(root, ct_v1_names[c]);
		if (!mnt)
			continue;
		_cleanup_free_ char *self = parent ? NULL : ct_cg_self_path(ct_v1_names[c]);
		cg->v1[c] = ct_cg_add_dir(cg, ct_cg_join(mnt, parent ? parent : self, scope, name));
	}
	if (!cg->dirs[0]) {
		ct_cgroup_free(cg);
		return vd_error_set(
			err, ENOENT,
			"container %s: no cgroup v1 controller is mounted under %s: mount "
			"cgroups or set cgroups=false",
			name, root);
	}
	*out = cg;
	return 0;
}

int ct_cgroup_new(const char *root, enum ct_cgroup_version version, const char *parent,
		  const char *name, struct ct_cgroup **out, struct vd_error **err)
{
	return ct_cgroup_new_at(root, version, parent, NULL, name, out, err);
}

/* Group names are global while state directories are not: two virtdecks (a user's and a test
 * suite's) may both run a container "web". With $VIRTDECK_STATE_DIR set, the groups live in
 * vd-HASH/virtdeck/NAME, HASH naming that state directory; otherwise in virtdeck/NAME. */
char *ct_cgroup_scope(void)
{
	const char *state = getenv("VIRTDECK_STATE_DIR");
	if (!state || !*state)
		return NULL;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = state; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return vd_xasprintf("vd-%08x", h);
}

int ct_cgroup_new_system(const char *name, struct ct_cgroup **out, struct vd_error **err)
{
	const char *root = getenv("VIRTDECK_CGROUP_ROOT");
	root = root && *root ? root : "/sys/fs/cgroup";
	int v = ct_cgroup_detect(root, err);
	if (v < 0)
		return v;
	/* v2 forbids tasks in inner nodes, so v2 groups go under the root (like docker's /docker). */
	const char *parent = getenv("VIRTDECK_CGROUP_PARENT");
	if (!parent && v == CT_CGROUP_V2)
		parent = "";
	_cleanup_free_ char *scope = ct_cgroup_scope();
	return ct_cgroup_new_at(root, v, parent, scope, name, out, err);
}

/* Which v1 controller's hierarchy holds dir (by its mount), so stats read from reported
 * directories find memory, cpuacct and pids where they are. */
static void ct_cg1_map_dir(struct ct_cgroup *cg, int idx)
{
	const char *root = getenv("VIRTDECK_CGROUP_ROOT");
	root = root && *root ? root : "/sys/fs/cgroup";
	for (int c = 0; c < CG__N; c++) {
		_cleanup_free_ char *mnt = ct_cg1_mount(root, ct_v1_names[c]);
		size_t n = mnt ? strlen(mnt) : 0;
		if (mnt && strncmp(cg->dirs[idx], mnt, n) == 0 && cg->dirs[idx][n] == '/')
			cg->v1[c] = idx;
	}
}

int ct_cgroup_from_dirs(enum ct_cgroup_version version, const char *name, char *const *dirs,
			struct ct_cgroup **out, struct vd_error **err)
{
	struct ct_cgroup *cg = ct_cg_alloc(version, NULL, name);
	for (size_t i = 0; dirs && dirs[i]; i++) {
		int idx = ct_cg_add_dir(cg, vd_xstrdup(dirs[i]));
		if (version == CT_CGROUP_V1)
			ct_cg1_map_dir(cg, idx);
	}
	if (!cg->dirs[0]) {
		ct_cgroup_free(cg);
		return vd_error_set(err, ENOENT, "container %s: its supervisor reported no cgroup", name);
	}
	*out = cg;
	return 0;
}

int ct_cgroup_from_record(const char *name, struct json_object *rec, struct ct_cgroup **out,
			  struct vd_error **err)
{
	*out = NULL;
	struct json_object *dirs = NULL;
	int version = (int)vd_json_i64(rec, "cgroup_version", 0);
	if (!version || !json_object_object_get_ex(rec, "cgroup_dirs", &dirs))
		return 0;
	size_t n = json_object_array_length(dirs);
	_cleanup_free_ char **v = vd_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)json_object_get_string(json_object_array_get_idx(dirs, i));
	return ct_cgroup_from_dirs((enum ct_cgroup_version)version, name, v, out, err);
}

void ct_cgroup_free(struct ct_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; cg->dirs[i]; i++)
		free(cg->dirs[i]);
	free(cg->dirs);
	free(cg->name);
	free(cg->root);
	free(cg);
}

enum ct_cgroup_version ct_cgroup_version(const struct ct_cgroup *cg)
{
	return cg->version;
}

char *const *ct_cgroup_dirs(const struct ct_cgroup *cg)
{
	return cg->dirs;
}

/* ------------------------------------------------------------------ operations */

/* Create the levels above a group one by one, each prepared (v1 cpuset needs cpus/mems at
 * every level before a child of it can hold tasks). */
static int ct_cg_mkparents(struct ct_cgroup *cg, const char *dir, struct vd_error **err)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return 0;
	_cleanup_free_ char *parent = vd_xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return vd_error_set(err, ENOENT, "container %s: no cgroup hierarchy above %s", cg->name, dir);
	*slash = '\0';
	int r = ct_cg_mkparents(cg, parent, err);
	if (r < 0)
		return r;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vd_error_errno(err, errno, "container %s: cannot create cgroup %s", cg->name, dir);
	return cg->ops->prepare(cg, dir, err);
}

static int ct_cg_mkdir(struct ct_cgroup *cg, const char *dir, struct vd_error **err)
{
	_cleanup_free_ char *parent = vd_xstrdup(dir);
	*strrchr(parent, '/') = '\0';
	int r = ct_cg_mkparents(cg, parent, err);
	if (r < 0)
		return r;
	if (mkdir(dir, 0755) < 0 && errno == EEXIST && rmdir(dir) < 0)
		return vd_error_set(
			err, EEXIST,
			"container %s: cgroup %s exists and still has tasks: is another copy "
			"of this container running?",
			cg->name, dir);
	if (access(dir, F_OK) < 0 && mkdir(dir, 0755) < 0)
		return vd_error_errno(err, errno, "container %s: cannot create cgroup %s", cg->name, dir);
	return cg->ops->prepare(cg, dir, err);
}

int ct_cgroup_create(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	int r = 0;
	for (size_t i = 0; cg->dirs[i] && r == 0; i++)
		r = ct_cg_mkdir(cg, cg->dirs[i], err);
	if (r == 0)
		r = ct_cgroup_set(cg, lim, err);
	if (r == 0 && !lim->devices_unconfined)
		r = cg->ops->devices(cg, lim, err);
	if (r < 0)
		ct_cgroup_destroy(cg, NULL); /* nothing half-created stays behind */
	return r;
}

/* The last guard before the kernel's files: a quota is cpus * period and v1 takes signed numbers,
 * so NaN, a negative or a huge value would be written as "unlimited" or garbage. Callers hold
 * the values to the host's CPUs and RAM; this refuses what is no limit at all. */
static int ct_cgroup_check(const struct ct_limits *lim, struct vd_error **err)
{
	if (lim->cpus != 0 && !(lim->cpus >= VD_CPUS_MIN && lim->cpus <= CT_CGROUP_CPUS_MAX))
		return vd_error_set(err, ERANGE, "CPU quota %g is out of range: give %.2g to %g "
				    "CPUs", lim->cpus, VD_CPUS_MIN, CT_CGROUP_CPUS_MAX);
	if (lim->mem_max > INT64_MAX || lim->mem_high > INT64_MAX || lim->pids_max > INT64_MAX)
		return vd_error_set(err, ERANGE, "a memory or pids limit above 2^63 is out of "
				    "range: leave it unset for no limit");
	return 0;
}

int ct_cgroup_set(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err)
{
	int r = ct_cgroup_check(lim, err);
	return r < 0 ? r : cg->ops->set(cg, lim, err);
}

int ct_cgroup_attach(struct ct_cgroup *cg, pid_t pid, struct vd_error **err)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (size_t i = 0; cg->dirs[i]; i++) {
		int r = ct_cg_write(cg, cg->dirs[i], "cgroup.procs", v, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int ct_cgroup_enter_self(struct ct_cgroup *cg, struct vd_error **err)
{
	const char *file = cg->version == CT_CGROUP_V1 ? "tasks" : "cgroup.procs";
	for (size_t i = 0; cg->dirs[i]; i++) {
		int r = ct_cg_write(cg, cg->dirs[i], file, "0", err);
		if (r < 0)
			return r;
	}
	return 0;
}

int ct_cgroup_fd(struct ct_cgroup *cg, struct vd_error **err)
{
	if (cg->version != CT_CGROUP_V2)
		return -EOPNOTSUPP;
	int fd = open(cg->dirs[0], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vd_error_errno(err, errno, "container %s: cannot open cgroup %s", cg->name, cg->dirs[0]);
	return fd;
}

int ct_cgroup_stats(struct ct_cgroup *cg, struct ct_stats *st, struct vd_error **err)
{
	memset(st, 0, sizeof(*st));
	return cg->ops->stats(cg, st, err);
}

uint64_t ct_cgroup_cpu_ns(struct ct_cgroup *cg)
{
	if (cg->version == CT_CGROUP_V2)
		return ct_cg_read_key(cg->dirs[0], "cpu.stat", "usage_usec") * 1000;
	int a = ct_cg1_dir(cg, CG_CPUACCT);
	return a >= 0 ? ct_cg_read_u64(cg->dirs[a], "cpuacct.usage") : 0;
}

int ct_cgroup_freeze(struct ct_cgroup *cg, bool frozen, struct vd_error **err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int ct_cgroup_kill(struct ct_cgroup *cg, struct vd_error **err)
{
	if (cg->version == CT_CGROUP_V1 && cg->v1[CG_FREEZER] >= 0)
		ct_cg_limit(cg, cg->v1[CG_FREEZER], "freezer.state", false, "THAWED", NULL);
	if (cg->version == CT_CGROUP_V2)
		ct_cg_limit(cg, 0, "cgroup.freeze", false, "0", NULL);
	_cleanup_free_ char *procs = ct_cg_read(cg->dirs[0], "cgroup.procs");
	if (!procs)
		return vd_error_set(err, ENOENT, "container %s: cgroup %s is gone", cg->name, cg->dirs[0]);
	char *save = NULL;
	for (char *t = strtok_r(procs, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		kill((pid_t)atoi(t), SIGKILL);
	return 0;
}

static int ct_cg_rmdir(const char *dir)
{
	for (int i = 0; i < 400; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		ct_cg_sleep_ms(5); /* the last tasks of the pid namespace are still exiting */
	}
	return -EBUSY;
}

/* The shared levels go with their last container: virtdeck/, then a vd-HASH scope above it. */
static void ct_cg_prune(const char *dir)
{
	_cleanup_free_ char *p = vd_xstrdup(dir);
	for (int level = 0; level < 2; level++) {
		char *slash = strrchr(p, '/');
		if (!slash)
			return;
		*slash = '\0';
		const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		if (!vd_streq(base, "virtdeck") && !vd_str_has_prefix(base, "vd-"))
			return;
		if (rmdir(p) < 0)
			return;
	}
}

int ct_cgroup_destroy(struct ct_cgroup *cg, struct vd_error **err)
{
	int first = 0;
	if (cg->version == CT_CGROUP_V1 && cg->v1[CG_FREEZER] >= 0)
		ct_cg_limit(cg, cg->v1[CG_FREEZER], "freezer.state", false, "THAWED", NULL);
	for (size_t i = 0; cg->dirs[i]; i++) {
		int r = ct_cg_rmdir(cg->dirs[i]);
		if (r < 0 && !first)
			first = vd_error_errno(err, r, "container %s: cannot remove cgroup %s", cg->name, cg->dirs[i]);
		ct_cg_prune(cg->dirs[i]);
	}
	return first;
}
