/* fuzz-virtio-rng.c - libFuzzer target: virtio-rng buffers from a hostile guest. */
#include "fuzz-virtio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_dev fd = { .d = vmm_rng_create(&fuzz_guest()->mem) };
	fuzz_virtio_drive(&fd, &in);
	vmm_virtio_teardown_one(fd.d);
	return 0;
}
