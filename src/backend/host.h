/* host.h - facts about this machine the console compares guests against. */
#ifndef VD_BACKEND_HOST_H
#define VD_BACKEND_HOST_H

#include "common/error.h"

struct vd_host {
	char hostname[64];
	unsigned ncpus;
	uint64_t mem_total;     /* bytes, MemTotal */
	uint64_t mem_available; /* bytes, MemAvailable */
	double cpu_pct;         /* busy share of all CPUs since the previous read, -1 at first */
	uint64_t prev_busy, prev_total; /* /proc/stat jiffies of the previous read */
};

/* Refresh from /proc (or the given root, for tests: "<root>/proc/meminfo"). */
int vd_host_read(struct vd_host *h, const char *root, struct vd_error **err);

#endif
