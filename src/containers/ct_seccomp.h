/* ct_seccomp.h - the default syscall filter of a container (Docker default semantics, libseccomp). */
#ifndef VD_CT_SECCOMP_H
#define VD_CT_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* One entry of the plan: the syscall fails with errno_ret, always or when arg0 has arg0_bit. */
struct ct_seccomp_rule {
	const char *name;
	int errno_ret;
	uint64_t arg0_bit; /* 0 = unconditional */
};

const struct ct_seccomp_rule *ct_seccomp_plan(size_t *n);
/* Build the filter; returns an scmp_filter_ctx (void * to keep seccomp.h out of users). */
int ct_seccomp_build(const char *name, void **ctx, struct vd_error **err);
void ct_seccomp_release(void *ctx);
/* Build and load into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int ct_seccomp_load(const char *name, struct vd_error **err);

#endif
