/* ct_super.h - the per-container supervisor: creates the container, reaps init, serves control. */
#ifndef VD_CT_SUPER_H
#define VD_CT_SUPER_H

#include <stdbool.h>

#include "common/error.h"

/* <statedir>/ct, created on demand. */
int ct_super_state_dir(char **out, struct vd_error **err);
/* <statedir>/ct/NAME.<ext> */
int ct_super_state_path(const char *name, const char *ext, char **out, struct vd_error **err);

/*
 * Start container `name` from its definition. Unless foreground, the supervisor detaches
 * (setsid + double fork) and this returns once the container's init has exec'd (0) or the
 * start failed (<0, with nothing left behind). In foreground it serves until the end.
 */
int ct_super_start(const char *name, bool foreground, struct vd_error **err);

#endif
