/* ct_def.c - reading, checking and writing container definitions (INI, read with inih). */
#include "containers/ct_def.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/guest.h"
#include "common/paths.h"

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
		return vd_error_set(err, EINVAL, "invalid container name '%s': use 1-63 letters, digits, '_', '.', '-'",
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
			  &d->bridge, &d->subnet, &d->cpuset };
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

int ct_def_set(struct ct_def *d, const char *key, const char *v, struct vd_error **err)
{
	if (vd_streq(key, "rootfs"))
		ct_def_str(&d->rootfs, v);
	else if (vd_streq(key, "hostname"))
		ct_def_str(&d->hostname, v);
	else if (vd_streq(key, "cmd"))
		ct_def_str(&d->cmd, v);
	else if (vd_streq(key, "cwd"))
		ct_def_str(&d->cwd, v);
	else if (vd_streq(key, "bridge"))
		ct_def_str(&d->bridge, v);
	else if (vd_streq(key, "subnet"))
		ct_def_str(&d->subnet, v);
	else if (vd_streq(key, "cpuset"))
		ct_def_str(&d->cpuset, v);
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
		return ct_def_count(key, v, &d->nofile, err);
	else if (vd_streq(key, "userns_base"))
		return ct_def_count(key, v, &d->userns_base, err);
	else if (vd_streq(key, "userns_size"))
		return ct_def_count(key, v, &d->userns_size, err);
	else
		return vd_error_set(err, EINVAL,
				    "unknown key '%s': known keys are rootfs hostname cmd cwd net bridge subnet cgroups "
				    "seccomp memory memory_high cpus cpu_weight cpuset pids_max nofile userns_base userns_size", key);
	return 0;
}

struct ct_def_parse {
	struct ct_def *d;
	struct vd_error *first; /* message of the first bad line; inih gives us its number */
};

static int ct_def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct ct_def_parse *p = user;
	struct vd_error *e = NULL;
	if (*section && !vd_streq(section, "container") && !vd_streq(section, "resources") &&
	    !vd_streq(section, "network"))
		vd_error_set(&e, EINVAL, "unknown section [%s]: use [container], [resources] or [network]", section);
	else if (!key)
		return 1;
	else
		ct_def_set(p->d, key, value, &e);
	return vd_error_keep_first(&p->first, e) ? 0 : 1;
}

int ct_def_load_file(const char *path, const char *name, struct ct_def *d, struct vd_error **err)
{
	ct_def_init(d, name);
	d->path = vd_xstrdup(path);
	struct ct_def_parse p = { .d = d };
	int line = ini_parse(path, ct_def_handler, &p);
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

/* Open a path inside the rootfs the way the container will see it: symlinks stay inside. */
static int ct_def_open_in_root(const char *rootfs, const char *path)
{
	_cleanup_close_ int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

static int ct_def_check_cmd(const struct ct_def *d, struct vd_error **err)
{
	_cleanup_strv_ char **argv = ct_def_argv(d);
	if (!argv[0] || argv[0][0] != '/')
		return vd_error_set(err, EINVAL, "container %s: cmd '%s' must start with an absolute path", d->name,
				    d->cmd ? d->cmd : "");
	_cleanup_close_ int fd = ct_def_open_in_root(d->rootfs, argv[0]);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return vd_error_set(err, ENOEXEC,
				    "container %s: %s is not an executable file inside rootfs %s: build a rootfs with "
				    "mkrootfs-busybox.sh or set cmd=", d->name, argv[0], d->rootfs);
	return 0;
}

static int ct_def_check_limits(const struct ct_def *d, struct vd_error **err)
{
	if (d->mem_max && d->mem_max < CT_MEM_MIN)
		return vd_error_set(err, EINVAL, "container %s: memory %llu bytes is below the minimum of 4M: give it more",
				    d->name, (unsigned long long)d->mem_max);
	if (d->cpus != 0 && (d->cpus < 0.01 || d->cpus > 4096))
		return vd_error_set(err, EINVAL, "container %s: cpus=%g is out of range: use 0.01 to 4096", d->name,
				    d->cpus);
	if (d->cpu_weight && d->cpu_weight > 10000)
		return vd_error_set(err, EINVAL, "container %s: cpu_weight=%llu is out of range: use 1 to 10000",
				    d->name, (unsigned long long)d->cpu_weight);
	if (d->userns_base && (d->userns_base + (d->userns_size ? d->userns_size : 65536) > 0xffffffffull))
		return vd_error_set(err, EINVAL, "container %s: userns_base + userns_size passes 2^32: pick a lower base",
				    d->name);
	if (d->nofile < 16 || d->nofile > 1048576)
		return vd_error_set(err, EINVAL, "container %s: nofile=%llu is out of range: use 16 to 1048576",
				    d->name, (unsigned long long)d->nofile);
	return 0;
}

int ct_def_validate(const struct ct_def *d, struct vd_error **err)
{
	struct stat st;
	if (!d->rootfs || d->rootfs[0] != '/')
		return vd_error_set(err, EINVAL, "container %s: rootfs must be an absolute directory path (rootfs=DIR)",
				    d->name);
	if (stat(d->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return vd_error_set(err, ENOENT, "container %s: rootfs %s is not a directory: build one with "
				    "mkrootfs-busybox.sh DIR", d->name, d->rootfs);
	if (d->cwd && d->cwd[0] != '/')
		return vd_error_set(err, EINVAL, "container %s: cwd=%s must be absolute", d->name, d->cwd);
	if (d->hostname && strlen(d->hostname) > 63)
		return vd_error_set(err, EINVAL, "container %s: hostname longer than 63 characters", d->name);
	int r = ct_def_check_limits(d, err);
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
		fprintf(f, "%s = %s\n", key, v);
}

static void ct_def_put_u64(FILE *f, const char *key, uint64_t v)
{
	if (v)
		fprintf(f, "%s = %llu\n", key, (unsigned long long)v);
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
	fprintf(f, "\n[resources]\n");
	ct_def_put_u64(f, "memory", d->mem_max);
	ct_def_put_u64(f, "memory_high", d->mem_high);
	if (d->cpus > 0)
		fprintf(f, "cpus = %g\n", d->cpus);
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

int ct_def_save(const struct ct_def *d, struct vd_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = !d->path ? ct_def_path(d->name, &path, err) : 0;
	if (r < 0)
		return r;
	const char *dst = d->path ? d->path : path;
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", dst);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return vd_error_errno(err, errno, "cannot write container definition %s", tmp);
	ct_def_write(f, d);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		unlink(tmp);
		return vd_error_set(err, EIO, "writing container definition %s failed: check free space", tmp);
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return vd_error_errno(err, e, "cannot move %s into place", dst);
	}
	return 0;
}
