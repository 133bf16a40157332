/* ct_ns.h - namespaces: cloning a container's init into new ones, joining a running container's. */
#ifndef VD_CT_NS_H
#define VD_CT_NS_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Namespaces every container gets at clone; the cgroup namespace is unshared later, once the
 * child sits in its cgroup, so its root is the container's group. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* CLONE_NEWTIME only through clone3 (it is CSIGNAL to clone()); dropped on the old path. */
#define CT_NS_CLONE_FLAGS                                                                          \
	(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWTIME)

/* fork-like clone into new namespaces: returns 0 in the child, the pid in the parent.
 * cgroup_fd >= 0 places the child in that (v2) cgroup atomically (CLONE_INTO_CGROUP);
 * *placed says whether that happened (old kernels: the caller must attach it). */
pid_t ct_ns_clone(unsigned long flags, int cgroup_fd, bool *placed, struct vd_error **err);
/* Map container ids 0..size-1 to host ids base..base+size-1 (uid_map and gid_map of pid). */
int ct_ns_write_maps(const char *name, pid_t pid, uint64_t base, uint64_t size,
		     struct vd_error **err);
/* Become root of the user namespace we are in (after the maps are written). */
int ct_ns_become_root(const char *name, struct vd_error **err);
/* Enter the user (if it has its own), ipc, uts, net, cgroup, pid and mnt namespaces of pid
 * (pid takes effect for children); *userns tells whether a user namespace was entered. */
int ct_ns_join(const char *name, pid_t pid, bool *userns, struct vd_error **err);

#endif
