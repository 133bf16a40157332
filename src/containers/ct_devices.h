/* ct_devices.h - which host devices a container may use: the allow-list, its v1 and BPF forms. */
#ifndef VD_CT_DEVICES_H
#define VD_CT_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "common/error.h"

/* Access bits as the BPF device context numbers them (BPF_DEVCG_ACC_*). */
enum { CT_DEV_MKNOD = 1, CT_DEV_READ = 2, CT_DEV_WRITE = 4, CT_DEV_ALL = 7 };
#define CT_DEV_ANY (-1) /* a major or minor of "*" */

/* One allow rule, "c 136:* rwm": type 'a' (any), 'b' or 'c'. */
struct ct_dev_rule {
	char type;
	int32_t major, minor;
	unsigned access;
};

/* What every container may use (Docker's list): null, zero, full, random, urandom, tty,
 * console, ptmx and every pty (136:*, which the console bound from the host is too). */
extern const struct ct_dev_rule ct_devices_default[];
extern const size_t ct_devices_n_default;

/* Parse "c 10:229 rwm, b 7:* r": appends to *rules (realloc'd), 0 or -EINVAL with a message
 * naming the bad rule. */
int ct_devices_parse(const char *text, struct ct_dev_rule **rules, size_t *n,
		     struct vd_error **err);
/* The v1 devices.allow line of a rule ("c 136:* rwm"). */
void ct_devices_format(const struct ct_dev_rule *r, char *buf, size_t size);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly these rules and denies the
 * rest; *len instructions, caller frees. */
struct bpf_insn *ct_devices_bpf_build(const struct ct_dev_rule *rules, size_t n, size_t *len);
/* Load that program and attach it to the cgroup2 directory cgfd (BPF_F_ALLOW_MULTI: programs
 * of ancestors keep applying too). name: the container, for messages. */
int ct_devices_bpf_attach(const char *name, int cgfd, const struct ct_dev_rule *rules, size_t n,
			  struct vd_error **err);

#endif
