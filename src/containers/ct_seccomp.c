/* ct_seccomp.c - the default seccomp filter: allow by default, fail the dangerous set with EPERM. */
#include "containers/ct_seccomp.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>

#define NS(bit) EPERM, bit
/* Namespace flags a container may not create: the bits Docker masks with 0x7E020000. */
#define CT_NS_FLAGS CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET

/*
 * Docker's default.json is an allow-list with EPERM for the rest; virtdeck keeps the kernel's
 * full ABI available and denies what Docker denies to a container without CAP_SYS_ADMIN and
 * friends: key management, tracing, kernel loading, mounting, clock setting, namespaces.
 */
static const struct ct_seccomp_rule ct_seccomp_rules[] = {
	{ "keyctl", EPERM, 0 }, { "add_key", EPERM, 0 }, { "request_key", EPERM, 0 },
	{ "ptrace", EPERM, 0 }, { "process_vm_readv", EPERM, 0 }, { "process_vm_writev", EPERM, 0 },
	{ "kcmp", EPERM, 0 }, { "mount", EPERM, 0 }, { "umount2", EPERM, 0 }, { "pivot_root", EPERM, 0 },
	{ "fsopen", EPERM, 0 }, { "fsconfig", EPERM, 0 }, { "fsmount", EPERM, 0 }, { "fspick", EPERM, 0 },
	{ "move_mount", EPERM, 0 }, { "open_tree", EPERM, 0 }, { "mount_setattr", EPERM, 0 },
	{ "kexec_load", EPERM, 0 }, { "kexec_file_load", EPERM, 0 }, { "open_by_handle_at", EPERM, 0 },
	{ "name_to_handle_at", EPERM, 0 }, { "bpf", EPERM, 0 }, { "perf_event_open", EPERM, 0 },
	{ "userfaultfd", EPERM, 0 }, { "fanotify_init", EPERM, 0 }, { "lookup_dcookie", EPERM, 0 },
	{ "clock_settime", EPERM, 0 }, { "clock_adjtime", EPERM, 0 }, { "settimeofday", EPERM, 0 },
	{ "adjtimex", EPERM, 0 }, { "stime", EPERM, 0 }, { "reboot", EPERM, 0 }, { "swapon", EPERM, 0 },
	{ "swapoff", EPERM, 0 }, { "init_module", EPERM, 0 }, { "finit_module", EPERM, 0 },
	{ "delete_module", EPERM, 0 }, { "create_module", EPERM, 0 }, { "get_kernel_syms", EPERM, 0 },
	{ "query_module", EPERM, 0 }, { "acct", EPERM, 0 }, { "quotactl", EPERM, 0 },
	{ "quotactl_fd", EPERM, 0 }, { "iopl", EPERM, 0 }, { "ioperm", EPERM, 0 }, { "syslog", EPERM, 0 },
	{ "vhangup", EPERM, 0 }, { "nfsservctl", EPERM, 0 }, { "uselib", EPERM, 0 }, { "_sysctl", EPERM, 0 },
	{ "ustat", EPERM, 0 }, { "sysfs", EPERM, 0 }, { "setns", EPERM, 0 },
	/* clone3 passes flags in memory a filter cannot read: ENOSYS makes libc fall back to clone. */
	{ "clone3", ENOSYS, 0 },
	{ "clone", NS(CLONE_NEWNS) }, { "clone", NS(CLONE_NEWCGROUP) }, { "clone", NS(CLONE_NEWUTS) },
	{ "clone", NS(CLONE_NEWIPC) }, { "clone", NS(CLONE_NEWUSER) }, { "clone", NS(CLONE_NEWPID) },
	{ "clone", NS(CLONE_NEWNET) },
	{ "unshare", NS(CLONE_NEWNS) }, { "unshare", NS(CLONE_NEWCGROUP) }, { "unshare", NS(CLONE_NEWUTS) },
	{ "unshare", NS(CLONE_NEWIPC) }, { "unshare", NS(CLONE_NEWUSER) }, { "unshare", NS(CLONE_NEWPID) },
	{ "unshare", NS(CLONE_NEWNET) }, { "unshare", NS(CLONE_NEWTIME) },
};

const struct ct_seccomp_rule *ct_seccomp_plan(size_t *n)
{
	*n = VD_ARRAY_SIZE(ct_seccomp_rules);
	return ct_seccomp_rules;
}

static int ct_seccomp_add(scmp_filter_ctx ctx, const struct ct_seccomp_rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a syscall of this architecture */
	if (!r->arg0_bit)
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->errno_ret), nr, 0);
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->errno_ret), nr, 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, r->arg0_bit, r->arg0_bit));
}

int ct_seccomp_build(const char *name, void **out, struct vd_error **err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return vd_error_set(err, ENOMEM, "container %s: libseccomp could not start a filter", name);
	/* 32-bit entry points would bypass a native-only filter: cover them with the same rules. */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		seccomp_arch_add(ctx, SCMP_ARCH_X86);
		seccomp_arch_add(ctx, SCMP_ARCH_X32);
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_seccomp_rules); i++) {
		int r = ct_seccomp_add(ctx, &ct_seccomp_rules[i]);
		if (r < 0) {
			seccomp_release(ctx);
			return vd_error_errno(err, r, "container %s: adding the seccomp rule for %s failed", name,
					      ct_seccomp_rules[i].name);
		}
	}
	*out = ctx;
	return 0;
}

void ct_seccomp_release(void *ctx)
{
	if (ctx)
		seccomp_release(ctx);
}

int ct_seccomp_load(const char *name, struct vd_error **err)
{
	void *ctx = NULL;
	int r = ct_seccomp_build(name, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return vd_error_errno(err, r, "container %s: loading the seccomp filter failed", name);
	return 0;
}
