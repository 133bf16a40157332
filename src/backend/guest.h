/* guest.h - the guest model shared by every engine: identity, state, allocation and usage. */
#ifndef VD_BACKEND_GUEST_H
#define VD_BACKEND_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VD_NAME_MAX 64

struct vd_backend;

enum vd_kind {
	VD_KIND_VM, /* own kernel: virtdeck-vmm, libvirt qemu */
	VD_KIND_CT, /* shares the host kernel: virtdeck-ct, libvirt lxc */
};

enum vd_state {
	VD_STATE_UNKNOWN,
	VD_STATE_RUNNING,
	VD_STATE_PAUSED,
	VD_STATE_STOPPED, /* defined, not running */
	VD_STATE_CRASHED,
	VD_STATE_STARTING,
	VD_STATE_STOPPING,
	VD_STATE_BROKEN,  /* its definition does not parse: `problem` says file:line */
	VD_STATE_NOREPLY, /* its keeper (supervisor, VMM) exists but does not answer: see problem */
	VD_STATE_LOST,    /* still runs, but its supervisor is gone or does not answer */
	VD_STATE__COUNT,
};

/* Where "memory really used" came from, so the UI can say it. */
enum vd_mem_source {
	VD_MEM_SRC_NONE,    /* no figure */
	VD_MEM_SRC_CGROUP,  /* cgroup usage minus inactive file (docker's formula) */
	VD_MEM_SRC_BALLOON, /* guest MemTotal - MemAvailable via virtio-balloon stats */
	VD_MEM_SRC_RSS,     /* host-side resident set of the VMM (upper bound) */
	VD_MEM_SRC_MODEL,   /* the fake engine's synthetic figure */
};

/* What the guest was given. Zero means "not limited" / "unknown". */
struct vd_alloc {
	unsigned vcpus;         /* vCPUs of a VM; cpuset size of a container */
	double cpu_limit;       /* CPU quota in CPUs (0.5 = half a CPU); 0 = none */
	uint64_t mem_bytes;     /* current memory allocation (VM balloon target / ct memory.max) */
	uint64_t mem_max_bytes; /* maximum the allocation can grow to live */
	uint32_t pids_max;
};

/* One usage sample; counters are cumulative so rates come from two samples. */
struct vd_sample {
	bool valid;
	uint64_t t_ns;       /* when the engine read cpu_ns: CLOCK_MONOTONIC (or the injected clock) */
	uint64_t cpu_ns;     /* CPU time consumed since start */
	uint64_t win_t_ns;   /* an earlier reading the engine kept (>= 1 s old), 0 = none: when */
	uint64_t win_cpu_ns; /* ... and cpu_ns then, so one sample has a rate */
	uint64_t mem_used;   /* really used (see mem_source) */
	uint64_t mem_rss;    /* host-side resident, 0 if not applicable */
	/* Highest use the kernel recorded since the guest started (cgroup max_usage_in_bytes or
	 * memory.peak), on the same basis as mem_used; 0 = not known. It catches peaks between two
	 * samples: whenever it rises, the rise happened since the previous sample. */
	uint64_t mem_peak;
	uint64_t io_read;    /* bytes */
	uint64_t io_write;
	uint64_t net_rx;
	uint64_t net_tx;
	uint64_t oom_events; /* OOM kills (cgroup oom_kill) since the guest started */
	uint32_t pids;
	enum vd_mem_source mem_source;
};

/* Why a guest last stopped, as its engine recorded it; kept across consoles and host reboots. */
enum vd_exit_kind {
	VD_EXIT_NONE,     /* never ran, or the engine cannot say */
	VD_EXIT_USER,     /* stopped or killed on request */
	VD_EXIT_CODE,     /* its command ended by itself: code is the exit status */
	VD_EXIT_SIGNAL,   /* killed by a signal nobody asked for: code is the signal */
	VD_EXIT_OOM,      /* killed by the kernel's OOM killer */
	VD_EXIT_LOST,     /* its supervisor or VMM died first: how the guest ended is unknown */
	VD_EXIT_POWEROFF, /* a VM powered itself off */
	VD_EXIT_RESET,    /* a VM reset itself (reboot) */
	VD_EXIT_PANIC,    /* the guest kernel panicked */
	VD_EXIT_CRASH,    /* triple fault, KVM internal error, a libvirt crash: detail says */
	VD_EXIT__COUNT,
};

struct vd_exit {
	enum vd_exit_kind kind;
	int code;           /* exit status (CODE) or signal (SIGNAL, OOM) */
	uint64_t oom_kills; /* OOM kills in its cgroup during the run that ended */
	int64_t time;       /* wall-clock seconds when it ended, 0 = unknown */
	char detail[128];   /* the engine's words: "i8042 reset", "KVM internal error" */
};

struct vd_guest {
	char name[VD_NAME_MAX];
	char host[VD_NAME_MAX]; /* label of the connection ("local" for this machine) */
	enum vd_kind kind;
	enum vd_state state;
	struct vd_alloc alloc;
	struct vd_sample sample;
	/* Derived by the registry from two samples; negative = not known yet. */
	double cpu_pct_alloc; /* 100 = every allocated vCPU (or the quota) busy */
	double cpu_pct_host;  /* 100 = every host CPU busy */
	double cpu_window_s;  /* seconds between the two readings behind them; 0 = no figure */
	struct vd_backend *backend; /* serving backend, not owned */
	/* Right-sizing, filled in by the console from the history; empty = no advice source. */
	char advice_flag[24]; /* "OVER", "UNDER", "IDLE", "OK", "5h/24h" */
	char advice_rec[32];  /* "1 vCPU 1.6G" */
	/* Why the engine could not read this guest on the last refresh (a definition's file:line
	 * error, a keeper that does not answer); empty when it could. */
	char problem[512];
	struct vd_exit exit;  /* how its last run ended (shown while it is not running) */
};

/* A guest definition for create; engine-specific settings travel as "key=value" strings. */
struct vd_guest_def {
	const char *name;
	enum vd_kind kind;
	unsigned vcpus;
	double cpus;         /* CPU quota in CPUs, 0 = none */
	uint64_t mem_bytes;
	const char *const *opts; /* NULL-terminated "key=value" (rootfs=..., kernel=..., net=...) */
};

/* A live resize request; 0 fields mean "leave as is". */
struct vd_resize {
	unsigned vcpus;
	double cpus;
	uint64_t mem_bytes;
	unsigned flags;
};
#define VD_RESIZE_LIVE (1u << 0)
#define VD_RESIZE_CONFIG (1u << 1)

const char *vd_state_name(enum vd_state s);
const char *vd_kind_name(enum vd_kind k);
/* The state as the table shows it: "oom-killed", "exited 3", "panicked" for a guest that
 * stopped by itself, else the state's name. */
const char *vd_guest_state_label(const struct vd_guest *g, char *buf, size_t len);
/* Why it stopped or is lost, in words ("OOM kill (2 in its cgroup)", "stopped by user"); "" when
 * it runs normally or nobody knows. */
const char *vd_guest_reason(const struct vd_guest *g, char *buf, size_t len);
/* OOM kills in its cgroup: the live counter while it runs, the last run's when it stopped. */
uint64_t vd_guest_oom_kills(const struct vd_guest *g);
/* Stable names of exit kinds for records and JSON ("oom", "exited", ...), and back. */
const char *vd_exit_kind_name(enum vd_exit_kind k);
enum vd_exit_kind vd_exit_kind_parse(const char *name);
const char *vd_mem_source_name(enum vd_mem_source s);
bool vd_state_is_active(enum vd_state s);
/* Valid guest names: 1..63 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool vd_name_valid(const char *name);
/* Look "key" up in a def's opts; NULL when absent. */
const char *vd_def_opt(const struct vd_guest_def *def, const char *key);
/* CPUs the guest may use, for CPU% of allocation: quota, else vCPUs, else host CPUs. */
double vd_guest_cpu_capacity(const struct vd_guest *g, unsigned host_cpus);

#endif
