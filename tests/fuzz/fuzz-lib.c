/* fuzz-lib.c - the input reader and scratch files shared by the fuzz targets. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "fuzz.h"

size_t fuzz_bytes(struct fuzz_in *in, void *out, size_t max)
{
	size_t n = in->n < max ? in->n : max;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

/* Little-endian like the guest, and zero-filled past the end. */
static uint64_t fuzz_le(struct fuzz_in *in, size_t width)
{
	uint8_t b[8] = { 0 };
	fuzz_bytes(in, b, width);
	uint64_t v = 0;
	for (size_t i = width; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_le(in, 1);
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_le(in, 2);
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_le(in, 4);
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_le(in, 8);
}

void fuzz_quiet(void)
{
	vd_log_quiet_stderr(true);
	vd_log_set_level(VD_LOG_ERROR);
}

/* One memfd reused for every input: rewriting it costs no disk and no directory entry. */
const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("vd-fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			fuzz_fail("memfd_create: %s", strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		fuzz_fail("writing the input file: %s", strerror(errno));
	return path;
}

static char fuzz_dir[64];

/* Only the files the targets write (fuzz.ini and its temp file) live here. */
static void fuzz_tmpdir_remove(void)
{
	static const char *const names[] = { "fuzz.ini", "fuzz.ini.tmp" };
	char path[128];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		unlink(path);
	}
	rmdir(fuzz_dir);
}

const char *fuzz_tmpdir(void)
{
	if (fuzz_dir[0])
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vd-fuzz.XXXXXX");
	if (!mkdtemp(fuzz_dir))
		fuzz_fail("mkdtemp: %s", strerror(errno));
	atexit(fuzz_tmpdir_remove);
	return fuzz_dir;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz property broken: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
