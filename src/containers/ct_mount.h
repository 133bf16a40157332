/* ct_mount.h - the container's mount namespace: rootfs, /proc, /sys, /dev, pivot_root, masks. */
#ifndef VD_CT_MOUNT_H
#define VD_CT_MOUNT_H

#include <stdbool.h>

#include "common/error.h"

/* Paths Docker hides (masked) and freezes (read-only) inside /proc and /sys. */
extern const char *const ct_mount_masked[];
extern const char *const ct_mount_readonly[];

/*
 * Run in the child, inside its new mount namespace: stop propagation, bind the rootfs, mount
 * /proc, /sys (ro), /dev (tmpfs + nodes + pts + shm + mqueue + console), pivot_root into it,
 * detach the old root, then apply masked and read-only paths. console may be NULL. In a user
 * namespace, where mknod is refused, the device nodes are bind mounts of the host's.
 */
int ct_mount_setup(const char *name, const char *rootfs, const char *console, bool userns,
		   struct vd_error **err);

/* After the cgroup namespace: a read-only view of the container's own cgroups at
 * /sys/fs/cgroup (tmpfs + each v1 hierarchy, or cgroup2), as Docker mounts it. */
int ct_mount_cgroupfs(const char *name, bool v2, struct vd_error **err);

#endif
