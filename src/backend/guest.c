/* guest.c - names and small predicates of the guest model. */
#include "backend/guest.h"

#include <string.h>

const char *vd_state_name(enum vd_state s)
{
	static const char *names[VD_STATE__COUNT] = {
		[VD_STATE_UNKNOWN] = "unknown",   [VD_STATE_RUNNING] = "running",
		[VD_STATE_PAUSED] = "paused",     [VD_STATE_STOPPED] = "stopped",
		[VD_STATE_CRASHED] = "crashed",   [VD_STATE_STARTING] = "starting",
		[VD_STATE_STOPPING] = "stopping", [VD_STATE_BROKEN] = "broken",
		[VD_STATE_NOREPLY] = "no-reply",
	};
	return (unsigned)s < VD_STATE__COUNT ? names[s] : "unknown";
}

const char *vd_kind_name(enum vd_kind k)
{
	return k == VD_KIND_VM ? "vm" : "ct";
}

const char *vd_mem_source_name(enum vd_mem_source s)
{
	switch (s) {
	case VD_MEM_SRC_CGROUP: return "cgroup";
	case VD_MEM_SRC_BALLOON: return "balloon";
	case VD_MEM_SRC_RSS: return "host-rss";
	case VD_MEM_SRC_MODEL: return "demo";
	default: return "none";
	}
}

bool vd_state_is_active(enum vd_state s)
{
	return s == VD_STATE_RUNNING || s == VD_STATE_PAUSED || s == VD_STATE_STARTING ||
	       s == VD_STATE_STOPPING;
}

bool vd_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= VD_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

const char *vd_def_opt(const struct vd_guest_def *def, const char *key)
{
	size_t kl = strlen(key);
	for (const char *const *o = def->opts; o && *o; o++)
		if (strncmp(*o, key, kl) == 0 && (*o)[kl] == '=')
			return *o + kl + 1;
	return NULL;
}

double vd_guest_cpu_capacity(const struct vd_guest *g, unsigned host_cpus)
{
	if (g->alloc.cpu_limit > 0)
		return g->alloc.cpu_limit;
	if (g->alloc.vcpus > 0)
		return g->alloc.vcpus;
	return host_cpus ? host_cpus : 1;
}
