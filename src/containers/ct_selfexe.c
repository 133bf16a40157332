/* ct_selfexe.c - run virtdeck-ct from a sealed memfd copy of itself (CVE-2019-5736). */
#include "containers/ct_selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define CT_SELFEXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* Set across the re-exec only, so a host that cannot seal fails once instead of looping. */
#define CT_SELFEXE_ENV "_VIRTDECK_CT_SEALED"

extern char **environ;

bool ct_selfexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & CT_SELFEXE_SEALS) == CT_SELFEXE_SEALS;
}

/* memfd_create refuses MFD_EXEC on kernels before 6.3; executable is their default. */
static int ct_selfexe_memfd(void)
{
	int fd = memfd_create("virtdeck-ct", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("virtdeck-ct", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

static int ct_selfexe_copy(int src, int dst, struct vd_error **err)
{
	struct stat st;
	if (fstat(src, &st) < 0)
		return vd_error_errno(err, errno, "sealing virtdeck-ct: stat of /proc/self/exe");
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = sendfile(dst, src, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vd_error_errno(err, n < 0 ? errno : EIO,
					      "sealing virtdeck-ct: copying the binary");
		left -= n;
	}
	return 0;
}

/* Seal everything; F_SEAL_EXEC (6.3+) also freezes the mode bits, older kernels lack it. */
static int ct_selfexe_seal(int fd, struct vd_error **err)
{
	if (fcntl(fd, F_ADD_SEALS, CT_SELFEXE_SEALS | F_SEAL_EXEC) == 0)
		return 0;
	if (errno == EINVAL && fcntl(fd, F_ADD_SEALS, CT_SELFEXE_SEALS) == 0)
		return 0;
	return vd_error_errno(err, errno, "sealing virtdeck-ct: adding the memfd seals");
}

/*
 * A process that virtdeck-ct forks into a container (init before its execve, exec's child)
 * is, for an instant, virtdeck-ct: a command `#!/proc/self/exe` makes the kernel run the
 * runtime's binary inside the container, whose root could then reopen /proc/PID/exe and
 * overwrite the host's file. Running from a sealed anonymous copy leaves nothing to write.
 */
int ct_selfexe_ensure(char **argv, struct vd_error **err)
{
	if (ct_selfexe_is_sealed()) {
		unsetenv(CT_SELFEXE_ENV);
		/* execveat() named us after the descriptor ("3"): ps, pgrep and the engine's
		 * liveness check know the runtime by its name. */
		prctl(PR_SET_NAME, "virtdeck-ct", 0, 0, 0);
		return 0;
	}
	if (getenv(CT_SELFEXE_ENV))
		return vd_error_set(err, EPERM, "virtdeck-ct re-executed itself from a sealed copy "
				    "but /proc/self/exe is not sealed: is /proc mounted?");
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return vd_error_errno(err, errno, "sealing virtdeck-ct: opening /proc/self/exe");
	_cleanup_close_ int mfd = ct_selfexe_memfd();
	if (mfd < 0)
		return vd_error_errno(err, errno, "sealing virtdeck-ct: memfd_create");
	int r = ct_selfexe_copy(src, mfd, err);
	if (r < 0)
		return r;
	r = ct_selfexe_seal(mfd, err);
	if (r < 0)
		return r;
	setenv(CT_SELFEXE_ENV, "1", 1);
	execveat(mfd, "", argv, environ, AT_EMPTY_PATH);
	r = vd_error_errno(err, errno, "sealing virtdeck-ct: executing the sealed copy");
	unsetenv(CT_SELFEXE_ENV);
	return r;
}
