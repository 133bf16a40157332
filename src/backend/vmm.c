/* vmm.c - the client engine of virtdeck-vmm: definitions, the per-VM control sockets. */
#include "backend/backend.h"
#include "backend/engines.h"

const struct vd_backend_ops vd_vmm_ops = {
	.name = "vmm",
};
