/* ct_def.h - container definitions: the INI file under <datadir>/containers/NAME.ini. */
#ifndef VD_CT_DEF_H
#define VD_CT_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/*
 * The file (sections are for people; keys are unique across them):
 *   [container]  rootfs = DIR (absolute; required)   hostname = NAME (default: the container's)
 *                cmd = /bin/sh -c 'quoted words'      cwd = / (inside)
 *                cgroups = true|false                 seccomp = true|false
 *                userns_base = HOSTUID (0 = none)     userns_size = 65536
 *                devices = confined|unconfined        devices_allow = c 10:229 rwm, b 7:* r
 *   [resources]  memory = 256M   memory_high = 200M   cpus = 0.5   cpu_weight = 1..10000
 *                cpuset = 0-1    pids_max = N         nofile = 1024
 *   [network]    net = none|loopback|bridge           bridge = vdbr0   subnet = 10.88.0.0/24
 * Text values may be quoted ("..." with \\, \", \n, \t, \xHH) and go on in KEY+ lines
 * (common/inival.h); cpus is 0.01 up to the host's CPUs, memory at most the host's RAM.
 */
enum ct_net_mode { CT_NET_NONE, CT_NET_LOOPBACK, CT_NET_BRIDGE };

/* Smallest memory limit accepted: below this the kernel OOM-kills busybox while it execs. */
#define CT_MEM_MIN (4ull * 1024 * 1024)

struct ct_def {
	char *name;
	char *path;     /* file it was read from / is written to */
	char *rootfs;   /* absolute host path */
	char *hostname; /* default: name */
	char *cmd;      /* shell-free argv, split on blanks; default /sbin/init, then /bin/sh */
	char *cwd;      /* inside the container; default / */
	enum ct_net_mode net;
	char *bridge;   /* host bridge for net=bridge; default vdbr0 */
	char *subnet;   /* private IPv4 range a.b.c.0/24 for net=bridge; default 10.88.0.0/24 */
	bool cgroups;   /* false: no cgroup at all (benchmarks against crun --cgroup-manager=disabled) */
	bool seccomp;
	uint64_t mem_max;  /* bytes, 0 = unlimited */
	uint64_t mem_high; /* bytes, 0 = none (v2 only) */
	double cpus;       /* CFS quota in CPUs, 0 = none */
	uint64_t cpu_weight; /* 1..10000 (v2 scale), 0 = default */
	char *cpuset;        /* "0-1", NULL = inherit */
	uint64_t pids_max;   /* 0 = unlimited */
	uint64_t nofile;     /* RLIMIT_NOFILE for init */
	uint64_t userns_base; /* host uid/gid that is root inside; 0 = no user namespace */
	uint64_t userns_size; /* ids mapped from userns_base (default 65536) */
	/* Host devices: confined (default) = only null, zero, full, random, urandom, tty, console,
	 * ptmx and pts, plus devices_allow ("c 10:229 rwm" for fuse, comma-separated); a start
	 * refuses a host that cannot enforce that. unconfined = every host device, the explicit
	 * opt-out (cgroups=false has no device cgroup either). */
	bool devices_unconfined;
	char *devices_allow;
};

/* <datadir>/containers, created on demand. */
int ct_def_dir(char **out, struct vd_error **err);
/* <datadir>/containers/NAME.ini */
int ct_def_path(const char *name, char **out, struct vd_error **err);
void ct_def_init(struct ct_def *d, const char *name);
void ct_def_free(struct ct_def *d);
/* Parse a file; every error names file:line and what to change. */
int ct_def_load_file(const char *path, const char *name, struct ct_def *d, struct vd_error **err);
int ct_def_load(const char *name, struct ct_def *d, struct vd_error **err);
/* Set one key (the same keys as the file); used by the parser and by create's opts. */
int ct_def_set(struct ct_def *d, const char *key, const char *value, struct vd_error **err);
/* Open the rootfs directory (O_PATH or O_RDONLY in flags) refusing a symlink anywhere on its
 * path; a fd or -errno (-ELOOP for a symlink). */
int ct_def_open_rootfs(const char *rootfs, int flags);
/* Check the definition is runnable: rootfs, an executable command, sane limits. */
int ct_def_validate(const struct ct_def *d, struct vd_error **err);
/* Write atomically (temp file + rename) after reading the temp file back: a definition that
 * would not read back the same is refused and the old file stays. Values are quoted as
 * common/inival.h says, so any bytes survive. */
int ct_def_save(const struct ct_def *d, struct vd_error **err);
/* Split cmd into a NULL-terminated argv (caller frees with vd_strvfreep semantics); words are
 * separated by blanks, with '...', "..." and backslash quoting as in sh. */
char **ct_def_argv(const struct ct_def *d);
/* Quote one argument so ct_def_argv gives it back unchanged. */
char *ct_def_quote(const char *arg);
const char *ct_net_mode_name(enum ct_net_mode m);

#endif
