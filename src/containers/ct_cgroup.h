/* ct_cgroup.h - one cgroup interface for containers, with v1 (legacy/hybrid) and v2 behind it. */
#ifndef VD_CT_CGROUP_H
#define VD_CT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

enum ct_cgroup_version { CT_CGROUP_V1 = 1, CT_CGROUP_V2 = 2 };

struct ct_dev_rule;

/* The largest CPU quota written: as many CPUs as a Linux kernel supports (x86-64 NR_CPUS). */
#define CT_CGROUP_CPUS_MAX 8192.0

/* Limits to write; 0 / NULL means "no limit" (the file gets max / -1). Set and create refuse a
 * quota outside VD_CPUS_MIN..CT_CGROUP_CPUS_MAX (or NaN) and limits above 2^63. */
struct ct_limits {
	uint64_t mem_max;
	uint64_t mem_high;   /* v2 memory.high; v1 memory.soft_limit_in_bytes */
	double cpus;         /* CFS quota in CPUs */
	uint64_t cpu_weight; /* v2 scale 1..10000; v1 cpu.shares = weight*1024/100 */
	const char *cpuset;
	uint64_t pids_max;
	/* The devices the container may use, applied once by ct_cgroup_create (v1: devices.deny a
	 * then devices.allow per rule; v2: a BPF_CGROUP_DEVICE program): none listed = none at all.
	 * devices_unconfined (the definition's explicit opt-out) leaves every host device open. */
	const struct ct_dev_rule *devices;
	size_t n_devices;
	bool devices_unconfined;
};

struct ct_stats {
	uint64_t cpu_ns, cpu_user_ns, cpu_sys_ns;
	uint64_t nr_periods, nr_throttled, throttled_ns;
	uint64_t mem_usage;     /* includes page cache */
	uint64_t inactive_file;
	uint64_t mem_used;      /* usage - inactive_file, as docker computes it */
	uint64_t mem_peak;
	uint64_t mem_limit;     /* 0 = none */
	uint64_t oom_events;    /* times the limit was hit hard enough to invoke the OOM killer */
	uint64_t oom_kills;
	uint64_t pids;
	uint64_t io_read, io_write;
	bool psi_valid;         /* per-cgroup pressure exists (v2 with CONFIG_PSI) */
	double psi_cpu_some10, psi_mem_some10, psi_mem_full10, psi_io_some10;
};

struct ct_cgroup;

/* Detect the layout of the hierarchy mounted at root ("/sys/fs/cgroup"): v2 only when it is
 * cgroup2 itself; tmpfs (hybrid or legacy) means v1 controllers. <0 on error. */
int ct_cgroup_detect(const char *root, struct vd_error **err);
/*
 * Describe (not create) the cgroup of container `name`. root: where hierarchies are mounted.
 * parent: path below each hierarchy under which "virtdeck/NAME" goes; NULL = this process's
 * own cgroup in each hierarchy (so containers stay inside whatever limits we run under).
 */
int ct_cgroup_new(const char *root, enum ct_cgroup_version version, const char *parent,
		  const char *name, struct ct_cgroup **out, struct vd_error **err);
/* The real system: $VIRTDECK_CGROUP_ROOT or /sys/fs/cgroup, detected version. */
int ct_cgroup_new_system(const char *name, struct ct_cgroup **out, struct vd_error **err);
/* Rebuild from the directories a supervisor reported (exec joins them). */
int ct_cgroup_from_dirs(enum ct_cgroup_version version, const char *name, char *const *dirs,
			struct ct_cgroup **out, struct vd_error **err);
/* Rebuild from a supervisor's record ({"cgroup_version": N, "cgroup_dirs": [...]}): 0 with
 * *out = NULL when the record names no cgroup. */
struct json_object;
int ct_cgroup_from_record(const char *name, struct json_object *rec, struct ct_cgroup **out,
			  struct vd_error **err);
void ct_cgroup_free(struct ct_cgroup *cg);
/* "vd-HASH" naming $VIRTDECK_STATE_DIR (the level above virtdeck/NAME), or NULL without one. */
char *ct_cgroup_scope(void);
enum ct_cgroup_version ct_cgroup_version(const struct ct_cgroup *cg);
/* NULL-terminated list of the cgroup's directories (one per v1 hierarchy; one for v2). */
char *const *ct_cgroup_dirs(const struct ct_cgroup *cg);

/* mkdir + limits + device rules; on failure nothing is left behind. A host that cannot confine
 * devices (no v1 devices controller, no cgroup2 BPF) is an error unless devices_unconfined. */
int ct_cgroup_create(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err);
int ct_cgroup_set(struct ct_cgroup *cg, const struct ct_limits *lim, struct vd_error **err);
int ct_cgroup_attach(struct ct_cgroup *cg, pid_t pid, struct vd_error **err);
/* Move the calling (single-threaded) process in. On v1 it writes "0" to each group's tasks
 * file: migrating only the current thread skips the global threadgroup lock, whose RCU grace
 * period made a cgroup.procs attach cost ~8 ms here. */
int ct_cgroup_enter_self(struct ct_cgroup *cg, struct vd_error **err);
/* An O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP), or -EOPNOTSUPP on v1. */
int ct_cgroup_fd(struct ct_cgroup *cg, struct vd_error **err);
int ct_cgroup_stats(struct ct_cgroup *cg, struct ct_stats *st, struct vd_error **err);
/* Only the CPU counter (ns), a single file read: what the supervisor stamps for rates. */
uint64_t ct_cgroup_cpu_ns(struct ct_cgroup *cg);
int ct_cgroup_freeze(struct ct_cgroup *cg, bool frozen, struct vd_error **err);
/* SIGKILL every task in the group (thawing it first): for clean-up after a lost supervisor. */
int ct_cgroup_kill(struct ct_cgroup *cg, struct vd_error **err);
/* Remove every directory (retrying while the last tasks exit). */
int ct_cgroup_destroy(struct ct_cgroup *cg, struct vd_error **err);

/* Parsers, exported for the unit tests. "key value" lines: 0 or -ENOENT. */
int ct_cgroup_parse_kv(const char *text, const char *key, uint64_t *out);
/* PSI "some avg10=.. avg60=.. avg300=.. total=..": 0 or -ENOENT. */
int ct_cgroup_parse_psi(const char *text, const char *kind, double *avg10, uint64_t *total);
/* v2 io.stat: sum rbytes/wbytes over devices. */
void ct_cgroup_parse_io_stat(const char *text, uint64_t *rd, uint64_t *wr);
/* v1 blkio.throttle.io_service_bytes: sum Read/Write over devices. */
void ct_cgroup_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr);
/* v1 cpu.shares for a v2-scale weight. */
uint64_t ct_cgroup_weight_to_shares(uint64_t weight);

#endif
