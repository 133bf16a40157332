/* sprawl.h - the sprawl audit: idle and long-stopped guests, broken definitions, unused images. */
#ifndef VD_BACKEND_SPRAWL_H
#define VD_BACKEND_SPRAWL_H

#include "backend/advice.h"
#include "backend/history.h"

/*
 * Definitions come from <datadir>/containers/NAME.ini and <datadir>/vms/NAME.ini (keys rootfs=,
 * disk=, kernel=, initrd= in any section, as virtdeck-ct and virtdeck-vmm write them), plus any
 * the caller passes (an engine that keeps its definitions elsewhere lists them itself).
 * Images are the entries of <datadir>/images/: one no definition points into is unused.
 */

enum vd_sprawl_kind {
	VD_SPRAWL_IDLE,    /* running but idle for at least idle_days */
	VD_SPRAWL_STOPPED, /* stopped for at least stopped_days */
	VD_SPRAWL_MISSING, /* a definition points at a rootfs/disk/kernel that is not there */
	VD_SPRAWL_UNUSED,  /* an image no definition uses */
	VD_SPRAWL__COUNT,
};

struct vd_sprawl_def {
	char engine[16];
	char name[VD_NAME_MAX];
	char file[512];      /* where the definition lives */
	char paths[4][512];  /* rootfs, disk, kernel, initrd ("" = none) */
};

struct vd_sprawl_item {
	enum vd_sprawl_kind kind;
	char engine[16], host[VD_NAME_MAX], name[VD_NAME_MAX];
	char path[512];
	double days;     /* idle or stopped for this long */
	uint64_t bytes;  /* size on disk of what could be reclaimed, 0 = unknown */
	char detail[200];
};

struct vd_sprawl_params {
	double idle_days;    /* 7 */
	double stopped_days; /* 7 */
};

void vd_sprawl_params_default(struct vd_sprawl_params *p);
/* Read the definitions under datadir (missing directories are fine). */
int vd_sprawl_read_defs(const char *datadir, struct vd_sprawl_def **out, size_t *n,
			struct vd_error **err);
/* The whole report. h may be NULL (no history: only the file checks run). live, when given,
 * limits the idle/stopped findings to guests the engines still list (a deleted guest keeps its
 * history but is not sprawl). */
int vd_sprawl_report(struct vd_history *h, const struct vd_advice_params *ap,
		     const struct vd_sprawl_params *sp, const struct vd_registry *live,
		     const char *datadir, const struct vd_sprawl_def *extra, size_t n_extra,
		     int64_t now, struct vd_sprawl_item **out, size_t *n, struct vd_error **err);
const char *vd_sprawl_kind_name(enum vd_sprawl_kind k); /* "idle", "stopped", "missing", "unused" */
/* Bytes a file or directory tree takes on disk (blocks, not apparent size; no symlinks followed).
 */
uint64_t vd_sprawl_disk_usage(const char *path);

#endif
