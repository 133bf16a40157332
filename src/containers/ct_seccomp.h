/* ct_seccomp.h - the default syscall filter of a container (Docker's allow-list, libseccomp). */
#ifndef VD_CT_SECCOMP_H
#define VD_CT_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* What a rule does to a call the allow-list alone would allow or refuse with EPERM. */
enum ct_seccomp_action {
	CT_SECCOMP_ALLOW_IF, /* allowed when the argument test holds */
	CT_SECCOMP_ERRNO,    /* fails with errno_ret instead of EPERM */
	CT_SECCOMP_DENY_IF,  /* an allowed call fails with EPERM when the argument test holds */
};

/* One argument rule or errno exception; the test is (argument arg & mask) == value. */
struct ct_seccomp_rule {
	const char *name;
	enum ct_seccomp_action action;
	int errno_ret; /* CT_SECCOMP_ERRNO only */
	unsigned arg;
	uint64_t mask; /* 0 = no argument test */
	uint64_t value;
};

/* The two filters a container gets: the allow-list, and the refusals inside allowed calls
 * (libseccomp takes no rule whose action is the default, so they cannot share one filter). */
struct ct_seccomp_filters {
	void *allow; /* scmp_filter_ctx; void * keeps seccomp.h out of users */
	void *deny;
};

/* The calls allowed whatever their arguments, n names. */
const char *const *ct_seccomp_allowed(size_t *n);
/* The argument rules and errno exceptions, n entries. */
const struct ct_seccomp_rule *ct_seccomp_plan(size_t *n);
int ct_seccomp_build(const char *name, struct ct_seccomp_filters *f, struct vd_error **err);
void ct_seccomp_release(struct ct_seccomp_filters *f);
/* Build and load into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int ct_seccomp_load(const char *name, struct vd_error **err);

#endif
