/* failpoint.h - named points where a test kills the process, to prove recovery from each step. */
#ifndef VD_COMMON_FAILPOINT_H
#define VD_COMMON_FAILPOINT_H

/*
 * vd_failpoint(NAME) SIGKILLs the calling process when $VIRTDECK_FAILPOINT equals NAME, and
 * costs one getenv otherwise. Tests (tests/integration/ct-faults.sh) set it for one command
 * to die exactly at one step. The points, in the order a container lives through them:
 *
 * CLI and console (src/backend/ct.c):
 *   ct-cli-create-before-save   ct-cli-create-after-save
 *   ct-cli-start-before-helper  ct-cli-start-after-helper
 *   ct-cli-resize-after-live    (live limits changed, definition not yet saved)
 *   ct-cli-recover-after-kill   (a lost container's tasks killed, cgroups not yet removed)
 *   ct-cli-delete-after-settle  ct-cli-delete-after-state
 * The supervisor (src/containers/ct_super.c), during start:
 *   ct-super-after-lock         ct-super-after-record    ct-super-after-cgroup
 *   ct-super-before-clone       ct-super-after-clone     ct-super-before-ready
 *   ct-super-after-listen       (socket published, the starter not yet told)
 * and later:
 *   ct-super-resize             (limits written, reply not yet sent)
 *   ct-super-stop               (init signalled, not yet reaped)
 *   ct-super-reaped             (init reaped, nothing cleaned up)
 *   ct-super-cleanup            (cgroups removed, state files not yet)
 */
void vd_failpoint(const char *name);

#endif
