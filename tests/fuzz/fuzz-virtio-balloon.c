/* fuzz-virtio-balloon.c - libFuzzer target: balloon inflate/deflate and statistics from a guest. */
#include "fuzz-virtio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* The host side: the main loop's statistics poll, the console reading them, a resize. */
static void fuzz_balloon_host(struct fuzz_dev *fd, uint8_t arg)
{
	struct vmm_balloon_stats st;
	if (arg & 1)
		vmm_balloon_set_target(fd->d, (uint32_t)arg << 4);
	vmm_balloon_poll(fd->d);
	vmm_balloon_get(fd->d, &st);
	if (st.valid && st.total == 0)
		fuzz_fail("balloon statistics valid without a total");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_dev fd = { .d = vmm_balloon_create(&fuzz_guest()->mem),
			       .host = fuzz_balloon_host };
	fuzz_virtio_drive(&fd, &in);
	fuzz_balloon_host(&fd, 0);
	vmm_virtio_teardown_one(fd.d);
	return 0;
}
