/* ct_init.h - the container side of creation: what the cloned child does before it execs init. */
#ifndef VD_CT_INIT_H
#define VD_CT_INIT_H

#include <stdbool.h>

#include "common/error.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_def.h"
#include "containers/ct_net.h"

struct ct_init_args {
	const struct ct_def *def;
	const char *console;           /* host path of the pty slave, bound to /dev/console */
	int console_fd;                /* the slave itself, becomes fd 0-2 */
	int sync_fd;                   /* SOCK_SEQPACKET to the supervisor, CLOEXEC */
	const struct ct_net_plan *net; /* set for net=bridge */
	bool cgroupns;                 /* unshare a cgroup namespace once placed in the cgroup */
	bool cgroup_v2;                /* which cgroupfs to show at /sys/fs/cgroup */
	struct ct_cgroup *self_attach; /* v1: init moves itself in (see ct_cgroup_enter_self) */
};

/* Runs in the cloned child; never returns. Waits for the supervisor's go, builds the container,
 * drops privileges and execs. Errors travel back over sync_fd as "code message". */
_Noreturn void ct_init_run(const struct ct_init_args *a);

/* Shared with exec: close every fd >= from, reset signals, clean environment, then drop
 * capabilities, set no_new_privs and load the seccomp filter (last, since NNP is on). */
int ct_init_close_fds(int from, struct vd_error **err);
void ct_init_reset_signals(void);
void ct_init_env(const char *hostname);
int ct_init_secure(const char *name, bool seccomp, struct vd_error **err);
/* chdir and check the result really is inside our root (CVE-2024-21626). */
int ct_init_chdir(const char *name, const char *cwd, struct vd_error **err);

#endif
