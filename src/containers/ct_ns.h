/* ct_ns.h - namespaces: cloning a container's init into new ones, joining a running container's. */
#ifndef VD_CT_NS_H
#define VD_CT_NS_H

#include <sched.h>
#include <sys/types.h>

#include "common/error.h"

/* Namespaces every container gets at clone; the cgroup namespace is unshared later, once the
 * child sits in its cgroup, so its root is the container's group. */
#define CT_NS_CLONE_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

/* fork-like clone into new namespaces: returns 0 in the child, the pid in the parent.
 * cgroup_fd >= 0 places the child in that (v2) cgroup atomically (CLONE_INTO_CGROUP). */
pid_t ct_ns_clone(unsigned long flags, int cgroup_fd, struct vd_error **err);
/* Enter ipc, uts, net, cgroup, pid and mnt namespaces of pid (pid takes effect for children). */
int ct_ns_join(const char *name, pid_t pid, struct vd_error **err);

#endif
