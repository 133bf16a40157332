/* registry.h - merges every open backend into one guest list and derives rates. */
#ifndef VD_BACKEND_REGISTRY_H
#define VD_BACKEND_REGISTRY_H

#include "backend/backend.h"
#include "backend/host.h"
#include "backend/trend.h"

struct vd_registry {
	struct vd_backend **backends; /* owned */
	size_t n_backends;
	struct vd_guest *guests;      /* merged, in backend order */
	size_t n_guests;
	struct vd_host host;
	bool host_frozen; /* tests and goldens keep a fixed host */
	int *poll_counts; /* per backend: how many pollfds it filled last time */
	struct vd_trends trends; /* the last minutes of every guest, for graphs */
};

/* Totals across guests, for the header's allocated-vs-used meters. */
struct vd_totals {
	unsigned n_by_kind[2];
	unsigned n_running;
	unsigned n_engines_lost;
	double vcpus_alloc;    /* CPUs allocated to active guests */
	double cpus_used;      /* CPUs' worth actually used */
	uint64_t mem_alloc;    /* bytes allocated to active guests */
	uint64_t mem_used;     /* bytes really used */
};

void vd_registry_init(struct vd_registry *reg);
void vd_registry_free(struct vd_registry *reg);
/* Takes ownership of be. */
void vd_registry_add(struct vd_registry *reg, struct vd_backend *be);
/* Poll every backend. A failing backend is marked lost (its guests vanish from the list) and
 * the others still refresh; returns the number of lost backends. */
int vd_registry_refresh(struct vd_registry *reg);
/* Find by "name", "engine:name" or "host/name"; NULL and an error when absent or ambiguous. */
struct vd_guest *vd_registry_find(struct vd_registry *reg, const char *spec, struct vd_error **err);
void vd_registry_totals(const struct vd_registry *reg, struct vd_totals *t);
/* Event sources of every backend for one poll() (see vd_backend_ops.pollfds): fills fds,
 * records which backend owns which range, and may lower *timeout_ms. Returns the count. */
int vd_registry_pollfds(struct vd_registry *reg, struct pollfd *fds, int max, int *timeout_ms);
/* Hand poll() results back to their backends; > 0 when a refresh is wanted. */
int vd_registry_dispatch(struct vd_registry *reg, const struct pollfd *fds, int n);
/* Derive CPU% fields of cur from the previous sample of the same guest (NULL: none) or the
 * earlier reading the engine kept; cpu_window_s says over how long. */
void vd_registry_rates(struct vd_guest *cur, const struct vd_guest *prev, unsigned host_cpus);

#endif
