/* host.c - reads CPU count, memory and CPU busy share of the host from /proc. */
#include "backend/host.h"

#include <errno.h>
#include <unistd.h>

static uint64_t host_meminfo_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	p += strlen(key);
	unsigned long long kib = 0;
	if (sscanf(p, ": %llu kB", &kib) != 1)
		return 0;
	return (uint64_t)kib * 1024;
}

static int host_read_stat(struct vd_host *h, const char *root)
{
	_cleanup_free_ char *path = vd_xasprintf("%s/proc/stat", root);
	_cleanup_free_ char *text = NULL;
	if (vd_read_file(path, &text, NULL) < 0)
		return -errno;
	unsigned long long v[8] = { 0 };
	if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) < 4)
		return -EINVAL;
	uint64_t total = 0;
	for (int i = 0; i < 8; i++)
		total += v[i];
	uint64_t busy = total - v[3] - v[4]; /* minus idle and iowait */
	if (h->prev_total && total > h->prev_total)
		h->cpu_pct = 100.0 * (double)(busy - h->prev_busy) / (double)(total - h->prev_total);
	else
		h->cpu_pct = -1;
	h->prev_busy = busy;
	h->prev_total = total;
	return 0;
}

int vd_host_read(struct vd_host *h, const char *root, struct vd_error **err)
{
	if (!root)
		root = "";
	_cleanup_free_ char *path = vd_xasprintf("%s/proc/meminfo", root);
	_cleanup_free_ char *mem = NULL;
	int r = vd_read_file(path, &mem, NULL);
	if (r < 0)
		return vd_error_errno(err, r, "reading %s", path);
	h->mem_total = host_meminfo_field(mem, "MemTotal");
	h->mem_available = host_meminfo_field(mem, "MemAvailable");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	h->ncpus = n > 0 ? (unsigned)n : 1;
	if (gethostname(h->hostname, sizeof(h->hostname)) < 0)
		vd_strlcpy(h->hostname, "localhost", sizeof(h->hostname));
	h->hostname[sizeof(h->hostname) - 1] = '\0';
	host_read_stat(h, root); /* best effort: CPU% stays unknown without /proc/stat */
	return 0;
}
