/* ct_caps.h - the capability set a container keeps (Docker's default), applied with libcap-ng. */
#ifndef VD_CT_CAPS_H
#define VD_CT_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The kept capabilities (CAP_* numbers), n entries. */
const unsigned *ct_caps_plan(size_t *n);
/* The CapEff mask a container's root process shows in /proc/self/status. */
uint64_t ct_caps_mask(void);
/* Reduce bounding, permitted and effective sets to the plan; clear inheritable and ambient. */
int ct_caps_apply(const char *name, struct vd_error **err);

#endif
