/* jobs.h - engine operations run off the UI thread; results come back through a pipe. */
#ifndef VD_BACKEND_JOBS_H
#define VD_BACKEND_JOBS_H

#include <pthread.h>

#include "backend/backend.h"

enum vd_job_op {
	VD_JOB_START,
	VD_JOB_STOP,
	VD_JOB_PAUSE,
	VD_JOB_RESUME,
	VD_JOB_KILL,
	VD_JOB_DELETE,
	VD_JOB_RESIZE,
	VD_JOB_CREATE,
	VD_JOB_APPLY,
	VD_JOB_UNDO /* call() does the work */ };

struct vd_job {
	enum vd_job_op op;
	struct vd_backend *be;
	char name[VD_NAME_MAX];
	int timeout_s;          /* stop */
	struct vd_resize resize;
	char **def_opts;        /* create: NULL-terminated "key=value", owned by the job */
	struct vd_guest_def def; /* create (def.name/opts point into the job) */
	int (*call)(void *ctx, struct vd_error **err); /* apply/undo: the caller's function */
	void *call_ctx;         /* freed with the job */
	/* filled when done */
	int result;
	char message[256];
	struct vd_job *next;
};

struct vd_jobs {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct vd_job *queue, *done; /* FIFO lists */
	struct vd_job *running;
	int pipe[2];                 /* worker writes a byte per finished job */
	bool stop, started;
};

int vd_jobs_start(struct vd_jobs *j, struct vd_error **err);
void vd_jobs_stop(struct vd_jobs *j);
/* Queue a job (ownership passes to the queue). */
void vd_jobs_submit(struct vd_jobs *j, struct vd_job *job);
/* The fd that becomes readable when a job finished. */
int vd_jobs_fd(const struct vd_jobs *j);
/* Take the oldest finished job (caller frees with vd_job_free), NULL when none. */
struct vd_job *vd_jobs_take_done(struct vd_jobs *j);
/* Jobs queued or running. */
size_t vd_jobs_pending(struct vd_jobs *j);
void vd_job_free(struct vd_job *job);
void vd_jobp(struct vd_job **job);
const char *vd_job_verb(enum vd_job_op op);

#endif
