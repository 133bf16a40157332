/* jobs.c - one worker thread that runs engine operations so a slow engine never freezes the
 * console. */
#include "backend/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

const char *vd_job_verb(enum vd_job_op op)
{
	static const char *const verbs[] = { "start",	      "stop",	"pause",
					     "resume",	      "kill",	"delete",
					     "resize",	      "create", "apply advice to",
					     "undo advice of" };
	return (unsigned)op < VD_ARRAY_SIZE(verbs) ? verbs[op] : "?";
}

void vd_job_free(struct vd_job *job)
{
	if (!job)
		return;
	for (char **o = job->def_opts; o && *o; o++)
		free(*o);
	free(job->def_opts);
	free(job->call_ctx);
	free(job);
}

void vd_jobp(struct vd_job **job)
{
	vd_job_free(*job);
}

static int jobs_run_op(struct vd_job *job, struct vd_error **err)
{
	switch (job->op) {
	case VD_JOB_START: return vd_backend_start(job->be, job->name, err);
	case VD_JOB_STOP: return vd_backend_stop(job->be, job->name, job->timeout_s, err);
	case VD_JOB_PAUSE: return vd_backend_pause(job->be, job->name, err);
	case VD_JOB_RESUME: return vd_backend_resume(job->be, job->name, err);
	case VD_JOB_KILL: return vd_backend_destroy(job->be, job->name, err);
	case VD_JOB_DELETE: return vd_backend_remove(job->be, job->name, err);
	case VD_JOB_RESIZE: return vd_backend_resize(job->be, job->name, &job->resize, err);
	case VD_JOB_APPLY:
	case VD_JOB_UNDO:
		return job->call ? job->call(job->call_ctx, err)
				 : vd_error_set(err, EINVAL, "job without a function");
	case VD_JOB_CREATE:
		job->def.name = job->name;
		job->def.opts = (const char *const *)job->def_opts;
		return vd_backend_create(job->be, &job->def, err);
	}
	return vd_error_set(err, EINVAL, "unknown job");
}

static void jobs_execute(struct vd_job *job)
{
	_cleanup_error_ struct vd_error *err = NULL;
	job->result = jobs_run_op(job, &err);
	if (job->result < 0)
		snprintf(job->message, sizeof(job->message), "%s", err ? err->msg : "failed");
	else
		snprintf(job->message, sizeof(job->message), "%s %s: done", vd_job_verb(job->op), job->name);
}

static void jobs_append(struct vd_job **list, struct vd_job *job)
{
	job->next = NULL;
	while (*list)
		list = &(*list)->next;
	*list = job;
}

static void *jobs_main(void *arg)
{
	struct vd_jobs *j = arg;
	pthread_mutex_lock(&j->lock);
	while (!j->stop) {
		if (!j->queue) {
			pthread_cond_wait(&j->wake, &j->lock);
			continue;
		}
		struct vd_job *job = j->queue;
		j->queue = job->next;
		j->running = job;
		pthread_mutex_unlock(&j->lock);
		jobs_execute(job);
		pthread_mutex_lock(&j->lock);
		j->running = NULL;
		jobs_append(&j->done, job);
		char one = 1;
		if (write(j->pipe[1], &one, 1) < 0) {
			/* a full pipe already says "something finished" */
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

int vd_jobs_start(struct vd_jobs *j, struct vd_error **err)
{
	memset(j, 0, sizeof(*j));
	if (pipe2(j->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return vd_error_errno(err, errno, "creating the job pipe");
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	int r = pthread_create(&j->thread, NULL, jobs_main, j);
	if (r != 0) {
		close(j->pipe[0]);
		close(j->pipe[1]);
		return vd_error_errno(err, r, "starting the job thread");
	}
	j->started = true;
	return 0;
}

/* Waits for the running job (engines bound their own timeouts); queued ones are dropped. */
void vd_jobs_stop(struct vd_jobs *j)
{
	if (!j->started)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	for (struct vd_job *l = j->queue, *n; l; l = n)
		n = l->next, vd_job_free(l);
	for (struct vd_job *l = j->done, *n; l; l = n)
		n = l->next, vd_job_free(l);
	close(j->pipe[0]);
	close(j->pipe[1]);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	j->started = false;
}

void vd_jobs_submit(struct vd_jobs *j, struct vd_job *job)
{
	pthread_mutex_lock(&j->lock);
	jobs_append(&j->queue, job);
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
}

int vd_jobs_fd(const struct vd_jobs *j)
{
	return j->started ? j->pipe[0] : -1;
}

struct vd_job *vd_jobs_take_done(struct vd_jobs *j)
{
	char drain[64];
	while (read(j->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&j->lock);
	struct vd_job *job = j->done;
	if (job)
		j->done = job->next;
	pthread_mutex_unlock(&j->lock);
	return job;
}

size_t vd_jobs_pending(struct vd_jobs *j)
{
	size_t n = 0;
	pthread_mutex_lock(&j->lock);
	for (struct vd_job *l = j->queue; l; l = l->next)
		n++;
	n += j->running != NULL;
	pthread_mutex_unlock(&j->lock);
	return n;
}
