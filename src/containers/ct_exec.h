/* ct_exec.h - running a command inside a running container (setns), for `virtdeck exec`. */
#ifndef VD_CT_EXEC_H
#define VD_CT_EXEC_H

#include "common/error.h"

/* Join the container's cgroup and namespaces, drop to its privileges, run argv with our stdio.
 * Returns the command's exit status (0..255, 128+signal) or <0 when it could not be started. */
int ct_exec_run(const char *name, char *const *argv, struct vd_error **err);

#endif
