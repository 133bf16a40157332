/* def.c - reading and writing VM definitions (INI via inih) for virtdeck-vmm and its engine. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <unistd.h>

#include "common/inival.h"
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
		if (vd_parse_u64(v, &n) < 0 || n < 1 || n > VMM_VCPUS_MAX)
			return vd_error_set(err, EINVAL, "vcpus=%s: give 1..%d", v, VMM_VCPUS_MAX);
		d->vcpus = (unsigned)n;
		return 0;
	}
	if (vd_parse_size(v, &n) < 0 || n < VMM_MEM_MIN)
		return vd_error_set(err, EINVAL, "memory=%s: give a size such as 512M or 2G (64M at least)", v);
	d->mem_bytes = n;
	return 0;
}

/* A tap joins this bridge by name: the kernel would cut a longer one to another bridge's name. */
static int vmm_def_set_net(struct vmm_def *d, const char *v, struct vd_error **err)
{
	if (*v && !vd_ifname_valid(v))
		return vd_error_set(err, EINVAL, "net=%s: not a bridge name: use at most 15 "
				    "characters (the kernel's limit), without '/', ':' or blanks",
				    v);
	vmm_def_str(&d->net, v);
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
	char **strs[] = { &d->name, &d->kernel, &d->initrd, &d->cmdline, &d->disk };
	static const char *const names[] = { "name", "kernel", "initrd", "cmdline", "disk" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(names); i++)
		if (vd_streq(key, names[i])) {
			vmm_def_str(strs[i], v);
			return 0;
		}
	if (vd_streq(key, "net"))
		return vmm_def_set_net(d, v, err);
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
	struct vd_inival acc; /* a value quoted over several lines (see common/inival.h) */
};

/* Returning 0 makes ini_parse report this line's number, which load puts in front. */
static int vmm_def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct vmm_def_ctx *c = user;
	struct vd_error *e = NULL;
	if (!vd_streq(section, "vm"))
		vd_error_set(&e, EINVAL, "section [%s] (only [vm] is known)", section);
	else if (vd_inival_take(&c->acc, key, value, &key, &value, &e) == 0)
		vmm_def_set(c->d, key, value, &e);
	return vd_error_keep_first(&c->err, e) ? 0 : 1;
}

int vmm_def_load(const char *path, struct vmm_def *d, struct vd_error **err)
{
	struct vmm_def_ctx c = { .d = d, .path = path };
	int r = ini_parse(path, vmm_def_handler, &c);
	vd_inival_clear(&c.acc);
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

static void vmm_def_write(FILE *f, const struct vmm_def *d)
{
	fprintf(f, "# virtdeck VM definition\n[vm]\n");
	vd_inival_put(f, "name", d->name ? d->name : "");
	fprintf(f, "vcpus=%u\nmemory=%llu\n", d->vcpus, (unsigned long long)d->mem_bytes);
	const char *keys[] = { "kernel", "initrd", "cmdline", "disk", "net" };
	const char *vals[] = { d->kernel, d->initrd, d->cmdline, d->disk, d->net };
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++)
		if (vals[i])
			vd_inival_put(f, keys[i], vals[i]);
	fprintf(f, "disk_readonly=%s\nballoon=%s\nrng=%s\nksm=%s\n", d->disk_readonly ? "yes" : "no",
		d->balloon ? "yes" : "no", d->rng ? "yes" : "no", d->ksm ? "yes" : "no");
	if (d->console_log_size)
		fprintf(f, "console_log_size=%llu\n", (unsigned long long)d->console_log_size);
}

static bool vmm_def_same_str(const char *a, const char *b)
{
	return a == b || vd_streq(a, b) || (!a && !*b) || (!b && !*a);
}

/* The first key where two definitions differ, or NULL. */
static const char *vmm_def_differs(const struct vmm_def *a, const struct vmm_def *b)
{
	const char *as[] = { a->name, a->kernel, a->initrd, a->cmdline, a->disk, a->net };
	const char *bs[] = { b->name, b->kernel, b->initrd, b->cmdline, b->disk, b->net };
	static const char *const keys[] = { "name", "kernel", "initrd", "cmdline", "disk", "net" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++)
		if (!vmm_def_same_str(as[i], bs[i]))
			return keys[i];
	if (a->vcpus != b->vcpus || a->mem_bytes != b->mem_bytes)
		return "vcpus or memory";
	if (a->disk_readonly != b->disk_readonly || a->balloon != b->balloon || a->rng != b->rng ||
	    a->ksm != b->ksm)
		return "disk_readonly, balloon, rng or ksm";
	if (a->console_log_size != b->console_log_size)
		return "console_log_size";
	return NULL;
}

/* What was written must read back as the same definition, or it does not replace the old one. */
static int vmm_def_check_written(const char *tmp, const struct vmm_def *d, struct vd_error **err)
{
	struct vmm_def back;
	vmm_def_init(&back);
	int r = vmm_def_load(tmp, &back, err);
	const char *diff = r == 0 ? vmm_def_differs(d, &back) : NULL;
	vmm_def_clear(&back);
	if (r < 0)
		return vd_error_wrap(err, "VM %s: not saved, the definition would not read back",
				     d->name);
	if (diff)
		return vd_error_set(err, EINVAL, "VM %s: not saved: %s would not read back as set",
				    d->name, diff);
	return 0;
}

static int vmm_def_write_file(const char *tmp, const struct vmm_def *d, struct vd_error **err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vd_error_errno(err, errno, "create %s", tmp);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return vd_error_errno(err, errno, "write %s", tmp);
	}
	vmm_def_write(f, d);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return vd_error_set(err, EIO, "writing VM definition %s failed: check free space",
				    tmp);
	return 0;
}

int vmm_def_save(const char *path, const struct vmm_def *d, struct vd_error **err)
{
	_cleanup_free_ char *tmp = vd_xasprintf("%s.tmp", path);
	int r = vmm_def_write_file(tmp, d, err);
	if (r == 0)
		r = vmm_def_check_written(tmp, d, err);
	if (r == 0 && rename(tmp, path) < 0)
		r = vd_error_errno(err, errno, "write %s", path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int vmm_def_check(const struct vmm_def *d, struct vd_error **err)
{
	if (!d->name || !*d->name)
		return vd_error_set(err, EINVAL, "the VM has no name");
	if (!d->kernel)
		return vd_error_set(err, EINVAL, "VM %s has no kernel: set kernel= to a bzImage", d->name);
	if (d->mem_bytes % (2ull << 20))
		return vd_error_set(err, EINVAL, "VM %s: memory must be a multiple of 2M", d->name);
	if (vd_check_mem(d->mem_bytes, VMM_MEM_MIN) < 0)
		return vd_error_set(err, ERANGE, "VM %s: memory is more than this host's RAM: give less",
				    d->name);
	return 0;
}
