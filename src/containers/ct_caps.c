/* ct_caps.c - drop a container's capabilities to Docker's default 14 with libcap-ng. */
#include "containers/ct_caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>

/* moby/moby oci/caps/defaults.go: what a default docker container keeps. */
static const unsigned ct_caps_default[] = {
	CAP_CHOWN,	  CAP_DAC_OVERRIDE, CAP_FSETID,	    CAP_FOWNER,	     CAP_MKNOD,
	CAP_NET_RAW,	  CAP_SETGID,	    CAP_SETUID,	    CAP_SETFCAP,     CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,	    CAP_AUDIT_WRITE,
};

const unsigned *ct_caps_plan(size_t *n)
{
	*n = VD_ARRAY_SIZE(ct_caps_default);
	return ct_caps_default;
}

uint64_t ct_caps_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_caps_default); i++)
		m |= 1ull << ct_caps_default[i];
	return m;
}

int ct_caps_apply(const char *name, struct vd_error **err)
{
	/* Inheritable stays empty, as Docker does since CVE-2022-24769: a file's inheritable
	 * capabilities would otherwise hand the 14 to a non-root user that execs it. */
	capng_clear(CAPNG_SELECT_ALL);
	capng_type_t kept = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;
	for (size_t i = 0; i < VD_ARRAY_SIZE(ct_caps_default); i++)
		if (capng_update(CAPNG_ADD, kept, ct_caps_default[i]) < 0)
			return vd_error_set(err, EINVAL, "container %s: capability %u is unknown to libcap-ng", name,
					    ct_caps_default[i]);
	/* CAPNG_SELECT_ALL also clears the ambient set where the kernel has one. */
	int r = capng_apply(CAPNG_SELECT_ALL);
	if (r < 0)
		return vd_error_set(err, EPERM, "container %s: dropping capabilities failed (libcap-ng %d): "
				    "virtdeck-ct must run as root", name, r);
	return 0;
}
