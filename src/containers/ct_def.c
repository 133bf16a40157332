/* ct_def.c - reading, checking and writing container definitions (INI, read with inih). */
#include "containers/ct_def.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <ini.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/guest.h"
#include "common/inival.h"
#include "common/paths.h"
#include "containers/ct_devices.h"

#define CT_DEFAULT_CMD "/bin/sh"

const char *ct_net_mode_name(enum ct_net_mode m)
{
	static const char *const names[] = { "none", "loopback", "bridge" };
	return m <= CT_NET_BRIDGE ? names[m] : "?";
}

int ct_def_dir(char **out, struct vd_error **err)
{
	_cleanup_free_ char *data = NULL;
	int r = vd_paths_data_dir(&data, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = vd_xasprintf("%s/containers", data);
	r = vd_paths_ensure(dir, err);
	if (r < 0)
		return r;
	*out = TAKE_PTR(dir);
	return 0;
}

int ct_def_path(const char *name, char **out, struct vd_error **err)
{
	if (!vd_name_valid(name))
		return vd_error_set(
			err, EINVAL,
			"invalid container name '%s': use 1-63 letters, digits, '_', '.', '-'",
			name ? name : "");
	_cleanup_free_ char *dir = NULL;
	int r = ct_def_dir(&dir, err);
	if (r < 0)
		return r;
	*out = vd_xasprintf("%s/%s.ini", dir, name);
	return 0;
}

void ct_def_init(struct ct_def *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->name = vd_xstrdup(name);
	d->net = CT_NET_LOOPBACK;
	d->cgroups = true;
	d->seccomp = true;
	d->nofile = 1024;
}

void ct_def_free(struct ct_def *d)
{
	char **strs[] = { &d->name, &d->path, &d->rootfs, &d->hostname, &d->cmd, &d->cwd,
			  &d->bridge, &d->subnet, &d->cpuset, &d->devices_allow };
	for (size_t i = 0; i < VD_ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

static int ct_def_bool(const char *key, const char *v, bool *out, struct vd_error **err)
{
	if (vd_streq(v, "true") || vd_streq(v, "yes") || vd_streq(v, "on") || vd_streq(v, "1"))
		*out = true;
	else if (vd_streq(v, "false") || vd_streq(v, "no") || vd_streq(v, "off") || vd_streq(v, "0"))
		*out = false;
	else
		return vd_error_set(err, EINVAL, "%s=%s: expected true or false", key, v);
	return 0;
}

static void ct_def_str(char **slot, const char *v)
{
	free(*slot);
	*slot = *v ? vd_xstrdup(v) : NULL;
}

/* "unlimited"/"max"/"" mean no limit; otherwise a size such as 256M. */
static int ct_def_size(const char *key, const char *v, uint64_t *out, struct vd_error **err)
{
	if (!*v || vd_streq(v, "max") || vd_streq(v, "unlimited")) {
		*out = 0;
		return 0;
	}
	if (vd_parse_size(v, out) < 0)
		return vd_error_set(err, EINVAL, "%s=%s: expected a size such as 256M or 1G", key, v);
	return 0;
}

static int ct_def_count(const char *key, const char *v, uint64_t *out, struct vd_error **err)
{
	if (!*v || vd_streq(v, "max") || vd_streq(v, "unlimited")) {
		*out = 0;
		return 0;
	}
	if (vd_parse_u64(v, out) < 0)
		return vd_error_set(err, EINVAL, "%s=%s: expected a whole number", key, v);
	return 0;
}

/* Open files cannot be unlimited (the kernel caps them at fs.nr_open): a number or an error. */
static int ct_def_set_nofile(struct ct_def *d, const char *v, struct vd_error **err)
{
	uint64_t n;
	if (vd_parse_u64(v, &n) < 0 || n < 16 || n > 1048576)
		return vd_error_set(err, EINVAL, "nofile=%s: give the open-file limit as a number "
				    "from 16 to 1048576", v);
	d->nofile = n;
	return 0;
}

static int ct_def_set_net(struct ct_def *d, const char *v, struct vd_error **err)
{
	for (int m = CT_NET_NONE; m <= CT_NET_BRIDGE; m++)
		if (vd_streq(v, ct_net_mode_name(m))) {
			d->net = m;
			return 0;
		}
	return vd_error_set(err, EINVAL, "net=%s: expected none, loopback or bridge", v);
}

static int ct_def_set_cpus(struct ct_def *d, const char *v, struct vd_error **err)
{
	if (!*v || vd_streq(v, "max")) {
		d->cpus = 0;
		return 0;
	}
	if (vd_parse_double(v, &d->cpus) < 0 || d->cpus < 0)
		return vd_error_set(err, EINVAL, "cpus=%s: expected a CPU count such as 0.5 or 2", v);
	return 0;
}

static int ct_def_set_devices(struct ct_def *d, const char *v, struct vd_error **err)
{
	if (vd_streq(v, "confined") || vd_streq(v, "unconfined")) {
		d->devices_unconfined = vd_streq(v, "unconfined");
		return 0;
	}
	return vd_error_set(err, EINVAL, "devices=%s: expected confined (only the devices "
			    "a container needs, plus devices_allow) or unconfined (every host "
			    "device)", v);
}

/* Checked now so a bad rule is reported at its line, not when the container starts. */
static int ct_def_set_devices_allow(struct ct_def *d, const char *v, struct vd_error **err)
{
	_cleanup_free_ struct ct_dev_rule *rules = NULL;
	size_t n = 0;
	int r = ct_devices_parse(v, &rules, &n, err);
	if (r < 0) {
		vd_error_wrap(err, "devices_allow");
		return r;
	}
	ct_def_str(&d->devices_allow, v);
	return 0;
}

static const char *const ct_def_text_keys[] = { "rootfs", "hostname", "cmd", "cwd", "subnet",
						 "cpuset" };

/* Where each of ct_def_text_keys goes. */
static char **ct_def_str_slot(struct ct_def *d, const char *key)
{
	char **slots[] = { &d->rootfs, &d->hostname, &d->cmd, &d->cwd, &d->subnet, &d->cpuset };
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_def_text_keys); i++)
		if (vd_streq(key, ct_def_text_keys[i]))
			return slots[i];
	return NULL;
}

/* The kernel cuts longer names to IFNAMSIZ - 1 and the cut name is a different bridge. */
static int ct_def_set_bridge(struct ct_def *d, const char *v, struct vd_error **err)
{
	if (*v && !vd_ifname_valid(v))
		return vd_error_set(err, EINVAL, "bridge=%s: not an interface name: use at most "
				    "15 characters (the kernel's limit), without '/', ':' or "
				    "blanks", v);
	ct_def_str(&d->bridge, v);
	return 0;
}

int ct_def_set(struct ct_def *d, const char *key, const char *v, struct vd_error **err)
{
	char **slot = ct_def_str_slot(d, key);
	if (slot)
		ct_def_str(slot, v);
	else if (vd_streq(key, "bridge"))
		return ct_def_set_bridge(d, v, err);
	else if (vd_streq(key, "net"))
		return ct_def_set_net(d, v, err);
	else if (vd_streq(key, "cgroups"))
		return ct_def_bool(key, v, &d->cgroups, err);
	else if (vd_streq(key, "seccomp"))
		return ct_def_bool(key, v, &d->seccomp, err);
	else if (vd_streq(key, "memory"))
		return ct_def_size(key, v, &d->mem_max, err);
	else if (vd_streq(key, "memory_high"))
		return ct_def_size(key, v, &d->mem_high, err);
	else if (vd_streq(key, "cpus"))
		return ct_def_set_cpus(d, v, err);
	else if (vd_streq(key, "cpu_weight"))
		return ct_def_count(key, v, &d->cpu_weight, err);
	else if (vd_streq(key, "pids_max"))
		return ct_def_count(key, v, &d->pids_max, err);
	else if (vd_streq(key, "nofile"))
		return ct_def_set_nofile(d, v, err);
	else if (vd_streq(key, "userns_base"))
		return ct_def_count(key, v, &d->userns_base, err);
	else if (vd_streq(key, "userns_size"))
		return ct_def_count(key, v, &d->userns_size, err);
	else if (vd_streq(key, "devices"))
		return ct_def_set_devices(d, v, err);
	else if (vd_streq(key, "devices_allow"))
		return ct_def_set_devices_allow(d, v, err);
	else
		return vd_error_set(err, EINVAL,
				    "unknown key '%s': known keys are rootfs hostname cmd cwd net bridge subnet cgroups "
				    "seccomp memory memory_high cpus cpu_weight cpuset pids_max nofile "
				    "userns_base userns_size devices devices_allow", key);
	return 0;
}

struct ct_def_parse {
	struct ct_def *d;
	struct vd_error *first; /* message of the first bad line; inih gives us its number */
	struct vd_inival acc;   /* a value quoted over several lines (see common/inival.h) */
};

static int ct_def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct ct_def_parse *p = user;
	struct vd_error *e = NULL;
	if (*section && !vd_streq(section, "container") && !vd_streq(section, "resources") &&
	    !vd_streq(section, "network"))
		vd_error_set(&e, EINVAL,
			     "unknown section [%s]: use [container], [resources] or [network]",
			     section);
	else if (!key)
		return 1;
	else if (vd_inival_take(&p->acc, key, value, &key, &value, &e) == 0)
		ct_def_set(p->d, key, value, &e);
	return vd_error_keep_first(&p->first, e) ? 0 : 1;
}

int ct_def_load_file(const char *path, const char *name, struct ct_def *d, struct vd_error **err)
{
	ct_def_init(d, name);
	d->path = vd_xstrdup(path);
	struct ct_def_parse p = { .d = d };
	int line = ini_parse(path, ct_def_handler, &p);
	vd_inival_clear(&p.acc);
	if (line == 0 && !p.first)
		return 0;
	int code;
	if (line == -1)
		code = vd_error_errno(err, errno ? errno : ENOENT, "cannot open container definition %s", path);
	else if (p.first)
		code = vd_error_set(err, p.first->code, "%s:%d: %s", path, line, p.first->msg);
	else
		code = vd_error_set(err, EINVAL, "%s:%d: malformed line: expected key = value or [section]", path,
				    line);
	vd_error_free(p.first);
	ct_def_free(d);
	return code;
}

int ct_def_load(const char *name, struct ct_def *d, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = ct_def_path(name, &path, err);
	if (r < 0)
		return r;
	if (access(path, F_OK) < 0)
		return vd_error_set(err, ENOENT, "no container named %s (no %s): create it first", name, path);
	return ct_def_load_file(path, name, d, err);
}

/* The rootfs with no symlink anywhere on its path: create stores the real path, so a symlink
 * here was put in since, and following it would run whatever it points at. */
int ct_def_open_rootfs(const char *rootfs, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_DIRECTORY | O_CLOEXEC),
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, rootfs, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* Open a path inside the rootfs the way the container will see it: symlinks stay inside. */
static int ct_def_open_in_root(const char *rootfs, const char *path)
{
	_cleanup_close_ int rfd = ct_def_open_rootfs(rootfs, O_PATH);
	if (rfd < 0)
		return rfd;
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

static int ct_def_check_cmd(const struct ct_def *d, struct vd_error **err)
{
	_cleanup_strv_ char **argv = ct_def_argv(d);
	if (!argv[0] || argv[0][0] != '/')
		return vd_error_set(err, EINVAL,
				    "container %s: cmd '%s' must start with an absolute path",
				    d->name, d->cmd ? d->cmd : "");
	_cleanup_close_ int fd = ct_def_open_in_root(d->rootfs, argv[0]);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return vd_error_set(err, ENOEXEC,
				    "container %s: %s is not an executable file inside rootfs %s: build a rootfs with "
				    "mkrootfs-busybox.sh or set cmd=", d->name, argv[0], d->rootfs);
	return 0;
}

static int ct_def_check_memory(const struct ct_def *d, struct vd_error **err)
{
	char host[16];
	if (d->mem_max && d->mem_max < CT_MEM_MIN)
		return vd_error_set(
			err, EINVAL,
			"container %s: memory %llu bytes is below the minimum of 4M: give it more",
			d->name, (unsigned long long)d->mem_max);
	if (vd_check_mem(d->mem_max, 0) < 0 || vd_check_mem(d->mem_high, 0) < 0)
		return vd_error_set(err, ERANGE, "container %s: memory limit above this host's %s "
				    "of RAM: give at most that, or max for no limit", d->name,
				    vd_format_size(vd_host_mem(), host, sizeof(host)));
	return 0;
}

static int ct_def_check_limits(const struct ct_def *d, struct vd_error **err)
{
	int r = ct_def_check_memory(d, err);
	if (r < 0)
		return r;
	if (d->cpus != 0 && vd_check_cpus(d->cpus) < 0)
		return vd_error_set(err, EINVAL, "container %s: cpus=%g is out of range: use 0.01 "
				    "to %u (this host's CPUs)", d->name, d->cpus, vd_host_cpus());
	if (d->cpu_weight && d->cpu_weight > 10000)
		return vd_error_set(err, EINVAL, "container %s: cpu_weight=%llu is out of range: use 1 to 10000",
				    d->name, (unsigned long long)d->cpu_weight);
	uint64_t ids = d->userns_size ? d->userns_size : 65536;
	bool wraps = d->userns_base > 0xffffffffull || ids > 0xffffffffull - d->userns_base;
	if (d->userns_base && wraps)
		return vd_error_set(
			err, EINVAL,
			"container %s: userns_base + userns_size passes 2^32: pick a lower base",
			d->name);
	if (d->nofile < 16 || d->nofile > 1048576)
		return vd_error_set(err, EINVAL, "container %s: nofile=%llu is out of range: use 16 to 1048576",
				    d->name, (unsigned long long)d->nofile);
	return 0;
}

static int ct_def_check_rootfs(const struct ct_def *d, struct vd_error **err)
{
	if (!d->rootfs || d->rootfs[0] != '/')
		return vd_error_set(
			err, EINVAL,
			"container %s: rootfs must be an absolute directory path (rootfs=DIR)",
			d->name);
	_cleanup_close_ int fd = ct_def_open_rootfs(d->rootfs, O_PATH);
	if (fd == -ELOOP)
		return vd_error_set(err, ELOOP, "container %s: rootfs %s is reached through a "
				    "symlink: refusing to follow it; set rootfs= to the real "
				    "directory", d->name, d->rootfs);
	if (fd < 0)
		return vd_error_set(err, ENOENT, "container %s: rootfs %s is not a directory: build one with "
				    "mkrootfs-busybox.sh DIR", d->name, d->rootfs);
	return 0;
}

int ct_def_validate(const struct ct_def *d, struct vd_error **err)
{
	int r = ct_def_check_rootfs(d, err);
	if (r < 0)
		return r;
	if (d->cwd && d->cwd[0] != '/')
		return vd_error_set(err, EINVAL, "container %s: cwd=%s must be absolute", d->name, d->cwd);
	if (d->hostname && strlen(d->hostname) > 63)
		return vd_error_set(err, EINVAL, "container %s: hostname longer than 63 characters", d->name);
	r = ct_def_check_limits(d, err);
	return r < 0 ? r : ct_def_check_cmd(d, err);
}

/* One word of a cmd line: blanks separate words; '...' is literal; "..." and bare text take
 * backslash escapes. The same rules ct_def_quote writes, so any argv survives a round trip. */
static const char *ct_def_word(const char *p, char *out)
{
	char q = 0;
	for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
		if (!q && (*p == '\'' || *p == '"'))
			q = *p;
		else if (q && *p == q)
			q = 0;
		else if (*p == '\\' && q != '\'' && p[1])
			*out++ = *++p;
		else
			*out++ = *p;
	}
	*out = '\0';
	return p;
}

char **ct_def_argv(const struct ct_def *d)
{
	const char *cmd = d->cmd ? d->cmd : CT_DEFAULT_CMD;
	char **argv = vd_xcalloc(strlen(cmd) / 2 + 2, sizeof(char *));
	_cleanup_free_ char *word = vd_xmalloc(strlen(cmd) + 1);
	size_t n = 0;
	for (const char *p = cmd; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		p = ct_def_word(p, word);
		argv[n++] = vd_xstrdup(word);
	}
	return argv;
}

char *ct_def_quote(const char *arg)
{
	if (*arg && !strpbrk(arg, " \t'\"\\"))
		return vd_xstrdup(arg);
	char *out = vd_xmalloc(strlen(arg) * 4 + 3), *o = out;
	*o++ = '\'';
	for (const char *p = arg; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4); /* close, escaped quote, reopen */
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

static void ct_def_put(FILE *f, const char *key, const char *v)
{
	if (v)
		vd_inival_put(f, key, v);
}

static void ct_def_put_u64(FILE *f, const char *key, uint64_t v)
{
	if (v)
		fprintf(f, "%s = %llu\n", key, (unsigned long long)v);
}

/* The shortest text that reads back as the same double. */
static void ct_def_put_cpus(FILE *f, double cpus)
{
	char v[32];
	snprintf(v, sizeof(v), "%.15g", cpus);
	if (strtod(v, NULL) != cpus)
		snprintf(v, sizeof(v), "%.17g", cpus);
	if (cpus != 0)
		fprintf(f, "cpus = %s\n", v);
}

static void ct_def_write(FILE *f, const struct ct_def *d)
{
	fprintf(f, "# virtdeck container definition (virtdeck-ct)\n[container]\n");
	ct_def_put(f, "rootfs", d->rootfs);
	ct_def_put(f, "hostname", d->hostname);
	ct_def_put(f, "cmd", d->cmd);
	ct_def_put(f, "cwd", d->cwd);
	ct_def_put(f, "cgroups", d->cgroups ? "true" : "false");
	ct_def_put(f, "seccomp", d->seccomp ? "true" : "false");
	ct_def_put(f, "devices", d->devices_unconfined ? "unconfined" : "confined");
	ct_def_put(f, "devices_allow", d->devices_allow);
	fprintf(f, "\n[resources]\n");
	ct_def_put_u64(f, "memory", d->mem_max);
	ct_def_put_u64(f, "memory_high", d->mem_high);
	ct_def_put_cpus(f, d->cpus);
	ct_def_put_u64(f, "cpu_weight", d->cpu_weight);
	ct_def_put(f, "cpuset", d->cpuset);
	ct_def_put_u64(f, "pids_max", d->pids_max);
	ct_def_put_u64(f, "nofile", d->nofile);
	ct_def_put_u64(f, "userns_base", d->userns_base);
	ct_def_put_u64(f, "userns_size", d->userns_size);
	fprintf(f, "\n[network]\nnet = %s\n", ct_net_mode_name(d->net));
	ct_def_put(f, "bridge", d->bridge);
	ct_def_put(f, "subnet", d->subnet);
}

static const struct {
	const char *key;
	size_t off;
} ct_def_numbers[] = {
	{ "memory", offsetof(struct ct_def, mem_max) },
	{ "memory_high", offsetof(struct ct_def, mem_high) },
	{ "cpu_weight", offsetof(struct ct_def, cpu_weight) },
	{ "pids_max", offsetof(struct ct_def, pids_max) },
	{ "nofile", offsetof(struct ct_def, nofile) },
	{ "userns_base", offsetof(struct ct_def, userns_base) },
	{ "userns_size", offsetof(struct ct_def, userns_size) },
};

static uint64_t ct_def_number(const struct ct_def *d, size_t i)
{
	return *(const uint64_t *)((const char *)d + ct_def_numbers[i].off);
}

static bool ct_def_same_str(const char *a, const char *b)
{
	return a == b || vd_streq(a, b);
}

/* The first key where two definitions differ, or NULL when they are the same. */
static const char *ct_def_differs(struct ct_def *a, struct ct_def *b)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_def_text_keys); i++) {
		const char *key = ct_def_text_keys[i];
		if (!ct_def_same_str(*ct_def_str_slot(a, key), *ct_def_str_slot(b, key)))
			return key;
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_def_numbers); i++)
		if (ct_def_number(a, i) != ct_def_number(b, i))
			return ct_def_numbers[i].key;
	if (!ct_def_same_str(a->bridge, b->bridge))
		return "bridge";
	if (!ct_def_same_str(a->devices_allow, b->devices_allow))
		return "devices_allow";
	if (a->devices_unconfined != b->devices_unconfined)
		return "devices";
	if (a->net != b->net || a->cgroups != b->cgroups || a->seccomp != b->seccomp)
		return "net, cgroups or seccomp";
	return a->cpus == b->cpus ? NULL : "cpus";
}

/* What was written must read back as the same definition, or it does not replace the old one. */
static int ct_def_check_written(const char *tmp, const struct ct_def *d, struct vd_error **err)
{
	struct ct_def back;
	int r = ct_def_load_file(tmp, d->name, &back, err);
	if (r < 0)
		return vd_error_wrap(err, "container %s: not saved, the definition would not read "
				     "back", d->name);
	const char *diff = ct_def_differs((struct ct_def *)d, &back);
	ct_def_free(&back);
	if (diff)
		return vd_error_set(err, EINVAL, "container %s: not saved: %s would not read back "
				    "as set", d->name, diff);
	return 0;
}

static int ct_def_write_file(const char *tmp, const struct ct_def *d, struct vd_error **err)
{
	FILE *f = fopen(tmp, "we");
	if (!f)
		return vd_error_errno(err, errno, "cannot write container definition %s", tmp);
	ct_def_write(f, d);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return vd_error_set(err, EIO, "writing container definition %s failed: check free space", tmp);
	return 0;
}

int ct_def_save(const struct ct_def *d, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = !d->path ? ct_def_path(d->name, &path, err) : 0;
	if (r < 0)
		return r;
	const char *dst = d->path ? d->path : path;
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", dst);
	r = ct_def_write_file(tmp, d, err);
	if (r == 0)
		r = ct_def_check_written(tmp, d, err);
	if (r == 0 && rename(tmp, dst) < 0)
		r = vd_error_errno(err, errno, "cannot move %s into place", dst);
	if (r < 0)
		unlink(tmp);
	return r;
}
