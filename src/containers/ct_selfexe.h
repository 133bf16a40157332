/* ct_selfexe.h - virtdeck-ct re-executes itself from a sealed memfd before touching a container. */
#ifndef VD_CT_SELFEXE_H
#define VD_CT_SELFEXE_H

#include "common/error.h"

/* Whether this process runs from a memfd with the write seals. */
bool ct_selfexe_is_sealed(void);
/* Return 0 when already sealed; otherwise re-exec from a sealed copy (no return on success). */
int ct_selfexe_ensure(char **argv, struct vd_error **err);

#endif
