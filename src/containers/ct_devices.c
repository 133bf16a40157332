/* ct_devices.c - a container's device allow-list: parsing, v1 lines, the cgroup2 BPF program. */
#include "containers/ct_devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * CAP_MKNOD stays in the container's bounding set (Docker keeps it too): images unpack device
 * nodes and some init systems mknod their /dev. The device cgroup, not the capability, is the
 * boundary: a node may be made for any number, but only these can be made, read or written.
 */
const struct ct_dev_rule ct_devices_default[] = {
	{ 'c', 1, 3, CT_DEV_ALL },   /* null */
	{ 'c', 1, 5, CT_DEV_ALL },   /* zero */
	{ 'c', 1, 7, CT_DEV_ALL },   /* full */
	{ 'c', 1, 8, CT_DEV_ALL },   /* random */
	{ 'c', 1, 9, CT_DEV_ALL },   /* urandom */
	{ 'c', 5, 0, CT_DEV_ALL },   /* tty */
	{ 'c', 5, 1, CT_DEV_ALL },   /* console */
	{ 'c', 5, 2, CT_DEV_ALL },   /* ptmx */
	{ 'c', 136, CT_DEV_ANY, CT_DEV_ALL }, /* pts, and the console bound from a host pty */
};
const size_t ct_devices_n_default = VD_ARRAY_SIZE(ct_devices_default);

/* ------------------------------------------------------------------ text form */

static int ct_devices_number(const char *p, char **end, int32_t *out)
{
	if (*p == '*') {
		*out = CT_DEV_ANY;
		*end = (char *)p + 1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(p, end, 10);
	if (errno || v > 0xfffff)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

static int ct_devices_access(const char *p, unsigned *out)
{
	static const char letters[] = "mrw"; /* bit 0, 1, 2 as BPF numbers them */
	*out = 0;
	for (; *p; p++) {
		const char *l = strchr(letters, *p);
		if (!l || (*out & (1u << (l - letters))))
			return -EINVAL;
		*out |= 1u << (l - letters);
	}
	return *out ? 0 : -EINVAL;
}

/* "c 10:229 rwm", "a" (any device, any access). An "a" rule narrower than that is refused: the
 * v1 kernel reads any "a" as everything, so it would mean more there than on cgroup2. */
static int ct_devices_parse_one(const char *word, struct ct_dev_rule *r)
{
	char type, acc[8] = "rwm", *end = NULL;
	int used = 0;
	if (sscanf(word, " %c %n", &type, &used) != 1 || !strchr("abc", type))
		return -EINVAL;
	*r = (struct ct_dev_rule){ .type = type, .major = CT_DEV_ANY, .minor = CT_DEV_ANY };
	const char *p = word + used;
	if (type == 'a' && !*p)
		return ct_devices_access(acc, &r->access);
	if (ct_devices_number(p, &end, &r->major) < 0 || *end != ':' ||
	    ct_devices_number(end + 1, &end, &r->minor) < 0)
		return -EINVAL;
	if (sscanf(end, " %7s %n", acc, &used) == 1 && end[used])
		return -EINVAL;
	if (ct_devices_access(acc, &r->access) < 0)
		return -EINVAL;
	bool all = r->major == CT_DEV_ANY && r->minor == CT_DEV_ANY && r->access == CT_DEV_ALL;
	return type == 'a' && !all ? -EINVAL : 0;
}

int ct_devices_parse(const char *text, struct ct_dev_rule **rules, size_t *n, struct vd_error **err)
{
	_cleanup_free_ char *copy = vd_xstrdup(text);
	char *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct ct_dev_rule r;
		if (strspn(w, " \t") == strlen(w))
			continue;
		if (ct_devices_parse_one(w, &r) < 0)
			return vd_error_set(err, EINVAL, "device rule '%s': expected TYPE "
				"MAJOR:MINOR ACCESS such as 'c 10:229 rwm' (type a, b or c; * for "
				"any number; access of r, w, m)", w + strspn(w, " \t"));
		*rules = vd_xrealloc(*rules, (*n + 1) * sizeof(**rules));
		(*rules)[(*n)++] = r;
	}
	return 0;
}

static void ct_devices_put_number(char *buf, size_t size, int32_t v)
{
	if (v == CT_DEV_ANY)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%d", (int)v);
}

void ct_devices_format(const struct ct_dev_rule *r, char *buf, size_t size)
{
	char maj[16], min[16], acc[4];
	size_t k = 0;
	if (r->access & CT_DEV_READ)
		acc[k++] = 'r';
	if (r->access & CT_DEV_WRITE)
		acc[k++] = 'w';
	if (r->access & CT_DEV_MKNOD)
		acc[k++] = 'm';
	acc[k] = '\0';
	ct_devices_put_number(maj, sizeof(maj), r->major);
	ct_devices_put_number(min, sizeof(min), r->minor);
	snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
}

/* ------------------------------------------------------------------ the BPF program */

/* Without the program host devices would be open: say so and how to go on. */
#define CT_DEV_HINT ". Without it the container could open host devices (disks, ttys): run it " \
	"where cgroup2 BPF works, or set devices = unconfined in its definition to accept that"

/* Registers once the context is read: type, requested access, major, minor. */
enum { CT_R_TYPE = 2, CT_R_ACC = 3, CT_R_MAJ = 4, CT_R_MIN = 5 };

static struct bpf_insn ct_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
				  .imm = imm };
}

/* r2 = type, r3 = access, r4 = major, r5 = minor, from struct bpf_cgroup_dev_ctx in r1. */
static size_t ct_devices_bpf_prologue(struct bpf_insn *p)
{
	const uint8_t ldw = BPF_LDX | BPF_MEM | BPF_W;
	const int16_t acc = offsetof(struct bpf_cgroup_dev_ctx, access_type);
	p[0] = ct_insn(ldw, CT_R_TYPE, BPF_REG_1, acc, 0);
	p[1] = ct_insn(BPF_ALU64 | BPF_AND | BPF_K, CT_R_TYPE, 0, 0, 0xffff);
	p[2] = ct_insn(ldw, CT_R_ACC, BPF_REG_1, acc, 0);
	p[3] = ct_insn(BPF_ALU64 | BPF_RSH | BPF_K, CT_R_ACC, 0, 0, 16);
	p[4] = ct_insn(ldw, CT_R_MAJ, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	p[5] = ct_insn(ldw, CT_R_MIN, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	return 6;
}

static size_t ct_devices_bpf_rule_len(const struct ct_dev_rule *r)
{
	size_t tests = (r->type != 'a') + ((r->access & CT_DEV_ALL) != CT_DEV_ALL);
	return tests + (r->major != CT_DEV_ANY) + (r->minor != CT_DEV_ANY) + 2;
}

/* A test of one rule: when it fails, jump past the rule's "return 1" to the next rule. */
static void ct_devices_bpf_test(struct bpf_insn *p, size_t *i, size_t len, uint8_t op, uint8_t reg,
				int32_t imm)
{
	p[*i] = ct_insn(BPF_JMP | op | BPF_K, reg, 0, (int16_t)(len - *i - 1), imm);
	(*i)++;
}

static size_t ct_devices_bpf_rule(const struct ct_dev_rule *r, struct bpf_insn *p)
{
	const size_t len = ct_devices_bpf_rule_len(r);
	size_t i = 0;
	if (r->type != 'a')
		ct_devices_bpf_test(p, &i, len, BPF_JNE, CT_R_TYPE,
				    r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	/* Any requested access bit the rule does not grant fails it. */
	if ((r->access & CT_DEV_ALL) != CT_DEV_ALL)
		ct_devices_bpf_test(p, &i, len, BPF_JSET, CT_R_ACC,
				    (int32_t)(~r->access & CT_DEV_ALL));
	if (r->major != CT_DEV_ANY)
		ct_devices_bpf_test(p, &i, len, BPF_JNE, CT_R_MAJ, r->major);
	if (r->minor != CT_DEV_ANY)
		ct_devices_bpf_test(p, &i, len, BPF_JNE, CT_R_MIN, r->minor);
	p[i++] = ct_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	p[i++] = ct_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return i;
}

struct bpf_insn *ct_devices_bpf_build(const struct ct_dev_rule *rules, size_t n, size_t *len)
{
	size_t total = 6 + 2;
	for (size_t i = 0; i < n; i++)
		total += ct_devices_bpf_rule_len(&rules[i]);
	struct bpf_insn *p = vd_xcalloc(total, sizeof(*p));
	size_t k = ct_devices_bpf_prologue(p);
	for (size_t i = 0; i < n; i++)
		k += ct_devices_bpf_rule(&rules[i], p + k);
	/* No rule matched: deny. */
	p[k++] = ct_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	p[k++] = ct_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	*len = k;
	return p;
}

static int ct_devices_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
}

static int ct_devices_bpf_load(const struct bpf_insn *insns, size_t len, char *log, size_t log_size)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = log ? (uint32_t)log_size : 0;
	a.log_level = log ? 1 : 0;
	a.prog_flags = 0;
	return ct_devices_bpf(BPF_PROG_LOAD, &a);
}

/* The verifier says why it refused a program on the last line before its "processed N insns"
 * summary. */
static const char *ct_devices_last_line(char *log)
{
	char *why = log, *save = NULL;
	for (char *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!vd_str_has_prefix(l, "processed "))
			why = l;
	return why;
}

/* The program's fd (the kernel makes bpf fds close-on-exec). A refused program is loaded again
 * with the verifier's log, for the reason. */
static int ct_devices_bpf_prog(const char *name, const struct ct_dev_rule *rules, size_t n,
			       struct vd_error **err)
{
	size_t len = 0;
	_cleanup_free_ struct bpf_insn *insns = ct_devices_bpf_build(rules, n, &len);
	int fd = ct_devices_bpf_load(insns, len, NULL, 0);
	if (fd >= 0)
		return fd;
	if (fd == -EPERM || fd == -ENOSYS)
		return vd_error_errno(err, fd, "container %s: cannot load its cgroup2 device "
			"program (bpf BPF_PROG_LOAD), which needs a kernel with "
			"CONFIG_CGROUP_BPF and CAP_BPF or CAP_SYS_ADMIN" CT_DEV_HINT, name);
	_cleanup_free_ char *log = vd_xcalloc(1, 65536);
	int again = ct_devices_bpf_load(insns, len, log, 65536);
	if (again >= 0)
		return again;
	const char *why = *log ? ct_devices_last_line(log) : "no log";
	return vd_error_errno(err, fd, "container %s: the kernel refused its cgroup2 device "
			      "program (%s)" CT_DEV_HINT, name, why);
}

int ct_devices_bpf_attach(const char *name, int cgfd, const struct ct_dev_rule *rules, size_t n,
			  struct vd_error **err)
{
	int prog = ct_devices_bpf_prog(name, rules, n, err);
	if (prog < 0)
		return prog;
	_cleanup_close_ int pfd = prog;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)pfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	int r = ct_devices_bpf(BPF_PROG_ATTACH, &a);
	if (r < 0)
		return vd_error_errno(err, r, "container %s: cannot attach its device program to "
				      "its cgroup (bpf BPF_PROG_ATTACH)" CT_DEV_HINT, name);
	return 0; /* the cgroup holds the program now; our fd may go */
}
