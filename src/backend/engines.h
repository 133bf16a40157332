/* engines.h - the ops tables of the engines that can be compiled in. */
#ifndef VD_BACKEND_ENGINES_H
#define VD_BACKEND_ENGINES_H

#include "backend/backend.h"

extern const struct vd_backend_ops vd_fake_ops;
#ifdef ENABLE_CONTAINERS
extern const struct vd_backend_ops vd_ct_ops;
#endif
#ifdef ENABLE_VMM
extern const struct vd_backend_ops vd_vmm_ops;
#endif
#ifdef WITH_LIBVIRT
extern const struct vd_backend_ops vd_libvirt_ops;
#endif

#endif
