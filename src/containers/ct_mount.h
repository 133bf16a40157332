/* ct_mount.h - the container's mount namespace: rootfs, /proc, /sys, /dev, pivot_root, masks. */
#ifndef VD_CT_MOUNT_H
#define VD_CT_MOUNT_H

#include "common/error.h"

/* Paths Docker hides (masked) and freezes (read-only) inside /proc and /sys. */
extern const char *const ct_mount_masked[];
extern const char *const ct_mount_readonly[];

/*
 * Run in the child, inside its new mount namespace: stop propagation, bind the rootfs, mount
 * /proc, /sys (ro), /dev (tmpfs + nodes + pts + shm + mqueue + console), pivot_root into it,
 * detach the old root, then apply masked and read-only paths. console may be NULL.
 */
int ct_mount_setup(const char *name, const char *rootfs, const char *console, struct vd_error **err);

#endif
