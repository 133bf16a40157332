/* fuzz-virtio-net.c - libFuzzer target: virtio-net transmit and receive on a stand-in tap. */
/* A datagram socket pair stands in for the tap: one datagram is one frame, as on a tap. */
#include <sys/socket.h>

/* net.c's state is private to it: the target builds the device around its own "tap". */
#include "vmm/net.c"

#include "fuzz-virtio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

struct fuzz_net {
	int peer; /* the host network's end of the "tap" */
};

/* The host side: a frame arrives on the tap and the main loop runs the receive path. */
static void fuzz_net_host(struct fuzz_dev *fd, uint8_t arg)
{
	struct fuzz_net *fn = fd->opaque;
	uint8_t frame[VMM_NET_HDR + 32 * 31];
	memset(frame, arg, sizeof(frame));
	if (arg & 1 && send(fn->peer, frame, VMM_NET_HDR + 32u * (arg >> 1), MSG_DONTWAIT) < 0)
		vd_debug("fuzz frame: %s", strerror(errno));
	int tap, kick;
	vmm_net_pollfds(fd->d, &tap, &kick);
	vmm_net_rx(fd->d);
}

static struct vmm_virtio_mmio *fuzz_net_create(int tap)
{
	struct vmm_net *n = vd_xcalloc(1, sizeof(*n));
	n->tap_fd = tap;
	n->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vd_strlcpy(n->ifname, "vd-fuzz", sizeof(n->ifname));
	struct vmm_virtio_mmio *d = vd_xcalloc(1, sizeof(*d));
	vmm_virtio_mmio_init(d, &vmm_net_dev_ops, n, &fuzz_guest()->mem, 1ull << VIRTIO_NET_F_MAC,
			     8);
	vmm_net_mac("fuzz", d->config);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0)
		fuzz_fail("socketpair: %s", strerror(errno));
	struct fuzz_net fn = { .peer = sp[1] };
	struct fuzz_dev fd = { .d = fuzz_net_create(sp[0]), .host = fuzz_net_host, .opaque = &fn };
	fuzz_virtio_drive(&fd, &in);
	vmm_virtio_teardown_one(fd.d); /* closes the tap end */
	close(sp[1]);
	return 0;
}
