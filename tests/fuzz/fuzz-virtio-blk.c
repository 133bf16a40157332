/* fuzz-virtio-blk.c - libFuzzer target: virtio-blk requests from a hostile guest, scratch disk. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-virtio.h"

#define FUZZ_BLK_SIZE (64u * 1024 + 300) /* not a whole number of sectors: the tail is cut off */

static int fuzz_blk_fd = -1;
static char fuzz_blk_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	fuzz_blk_fd = memfd_create("vd-fuzz-disk", MFD_CLOEXEC);
	if (fuzz_blk_fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	snprintf(fuzz_blk_path, sizeof(fuzz_blk_path), "/proc/self/fd/%d", fuzz_blk_fd);
	return 0;
}

/* The first byte picks read-only or read-write; every run starts from the same zeroed disk. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	bool readonly = fuzz_u8(&in) & 1;
	if (ftruncate(fuzz_blk_fd, 0) < 0 || ftruncate(fuzz_blk_fd, FUZZ_BLK_SIZE) < 0)
		fuzz_fail("resizing the scratch disk: %s", strerror(errno));
	struct vd_error *err = NULL;
	struct fuzz_dev fd = { .d = vmm_blk_create(&fuzz_guest()->mem, fuzz_blk_path, readonly,
						   &err) };
	if (!fd.d)
		fuzz_fail("creating virtio-blk: %s", err->msg);
	fuzz_virtio_drive(&fd, &in);
	struct stat st;
	if (fstat(fuzz_blk_fd, &st) == 0 && st.st_size != FUZZ_BLK_SIZE)
		fuzz_fail("the guest changed the disk's size to %lld", (long long)st.st_size);
	vmm_virtio_teardown_one(fd.d);
	return 0;
}
