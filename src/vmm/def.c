/* def.c - reading and writing VM definitions (INI via inih) for virtdeck-vmm and its engine. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <unistd.h>

#include "vmm/def.h"

void vmm_def_init(struct vmm_def *d)
{
	memset(d, 0, sizeof(*d));
	d->vcpus = 1;
	d->mem_bytes = 256ull << 20;
	d->balloon = true;
	d->rng = true;
}

void vmm_def_clear(struct vmm_def *d)
{
	free(d->name);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	free(d->disk);
	free(d->net);
	vmm_def_init(d);
}

static void vmm_def_str(char **slot, const char *v)
{
	free(*slot);
	*slot = *v ? vd_xstrdup(v) : NULL;
}

static int vmm_def_bool(const char *v, bool *out)
{
	if (vd_streq(v, "1") || vd_streq(v, "yes") || vd_streq(v, "true") || vd_streq(v, "on"))
		*out = true;
	else if (vd_streq(v, "0") || vd_streq(v, "no") || vd_streq(v, "false") || vd_streq(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int vmm_def_set_num(struct vmm_def *d, const char *key, const char *v, struct vd_error **err)
{
	uint64_t n;
	if (vd_streq(key, "vcpus")) {
		if (vd_parse_u64(v, &n) < 0 || n < 1 || n > 64)
			return vd_error_set(err, EINVAL, "vcpus=%s: give 1..64", v);
		d->vcpus = (unsigned)n;
		return 0;
	}
	if (vd_parse_size(v, &n) < 0 || n < (64ull << 20))
		return vd_error_set(err, EINVAL, "memory=%s: give a size such as 512M or 2G (64M at least)", v);
	d->mem_bytes = n;
	return 0;
}

/* The console log keeps this much and one rotated file as much again. */
static int vmm_def_set_log_size(struct vmm_def *d, const char *v, struct vd_error **err)
{
	uint64_t n;
	if (vd_parse_size(v, &n) < 0 || n < 4096 || n > (1ull << 30))
		return vd_error_set(err, EINVAL, "console_log_size=%s: give a size from 4K to 1G",
				    v);
	d->console_log_size = n;
	return 0;
}

int vmm_def_set(struct vmm_def *d, const char *key, const char *v, struct vd_error **err)
{
	char **strs[] = { &d->name, &d->kernel, &d->initrd, &d->cmdline, &d->disk, &d->net };
	static const char *const names[] = { "name", "kernel", "initrd", "cmdline", "disk", "net" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(names); i++)
		if (vd_streq(key, names[i])) {
			vmm_def_str(strs[i], v);
			return 0;
		}
	if (vd_streq(key, "vcpus") || vd_streq(key, "memory") || vd_streq(key, "mem"))
		return vmm_def_set_num(d, key, v, err);
	if (vd_streq(key, "console_log_size"))
		return vmm_def_set_log_size(d, v, err);
	bool *flag = vd_streq(key, "balloon") ? &d->balloon : vd_streq(key, "rng") ? &d->rng :
		     vd_streq(key, "ksm") ? &d->ksm :
		     vd_streq(key, "disk_readonly") ? &d->disk_readonly : NULL;
	if (!flag)
		return vd_error_set(err, EINVAL, "unknown key %s (known: name, vcpus, memory, kernel, "
				    "initrd, cmdline, disk, disk_readonly, net, balloon, rng, ksm, "
				    "console_log_size)", key);
	if (vmm_def_bool(v, flag) < 0)
		return vd_error_set(err, EINVAL, "%s=%s: give yes or no", key, v);
	return 0;
}

struct vmm_def_ctx {
	struct vmm_def *d;
	struct vd_error *err;
	const char *path;
};

/* Returning 0 makes ini_parse report this line's number, which load puts in front. */
static int vmm_def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct vmm_def_ctx *c = user;
	struct vd_error *e = NULL;
	if (!vd_streq(section, "vm"))
		vd_error_set(&e, EINVAL, "section [%s] (only [vm] is known)", section);
	else
		vmm_def_set(c->d, key, value, &e);
	return vd_error_keep_first(&c->err, e) ? 0 : 1;
}

int vmm_def_load(const char *path, struct vmm_def *d, struct vd_error **err)
{
	struct vmm_def_ctx c = { .d = d, .path = path };
	int r = ini_parse(path, vmm_def_handler, &c);
	if (c.err) {
		int code = vd_error_set(err, c.err->code, "%s:%d: %s", path, r, c.err->msg);
		vd_error_free(c.err);
		return code;
	}
	if (r == -1)
		return vd_error_errno(err, errno ? errno : ENOENT, "open VM definition %s", path);
	if (r != 0)
		return vd_error_set(err, EINVAL, "%s:%d: not an INI line", path, r);
	return 0;
}

int vmm_def_save(const char *path, const struct vmm_def *d, struct vd_error **err)
{
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vd_error_errno(err, errno, "create %s", tmp);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# virtdeck VM definition\n[vm]\nname=%s\nvcpus=%u\nmemory=%llu\n", d->name,
		d->vcpus, (unsigned long long)d->mem_bytes);
	const char *keys[] = { "kernel", "initrd", "cmdline", "disk", "net" };
	const char *vals[] = { d->kernel, d->initrd, d->cmdline, d->disk, d->net };
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++)
		if (vals[i])
			fprintf(f, "%s=%s\n", keys[i], vals[i]);
	fprintf(f, "disk_readonly=%s\nballoon=%s\nrng=%s\nksm=%s\n", d->disk_readonly ? "yes" : "no",
		d->balloon ? "yes" : "no", d->rng ? "yes" : "no", d->ksm ? "yes" : "no");
	if (d->console_log_size)
		fprintf(f, "console_log_size=%llu\n", (unsigned long long)d->console_log_size);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return vd_error_errno(err, errno, "write %s", path);
	return 0;
}

int vmm_def_check(const struct vmm_def *d, struct vd_error **err)
{
	if (!d->name || !*d->name)
		return vd_error_set(err, EINVAL, "the VM has no name");
	if (!d->kernel)
		return vd_error_set(err, EINVAL, "VM %s has no kernel: set kernel= to a bzImage", d->name);
	if (d->mem_bytes % (2ull << 20))
		return vd_error_set(err, EINVAL, "VM %s: memory must be a multiple of 2M", d->name);
	return 0;
}
