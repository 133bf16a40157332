/* net.c - virtio-net on a tap device enslaved to a host bridge (both set up through netlink). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/virtio.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_MAC 5
#define VMM_NET_HDR 12 /* struct virtio_net_hdr_v1: the tap reads and writes it (IFF_VNET_HDR) */
#define VMM_NET_RX 0
#define VMM_NET_TX 1

struct vmm_net {
	int tap_fd;
	int kick_fd;      /* eventfd: the guest added receive buffers */
	bool rx_starved;  /* no receive buffers: stop reading the tap until a kick */
	bool held;        /* a receive chain popped but not yet filled */
	struct vmm_virtq_chain rx;
	char ifname[IFNAMSIZ];
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_refused; /* receive chains the device could not write into */
};

static void vmm_net_tx(struct vmm_virtio_mmio *d, struct vmm_net *n)
{
	struct vmm_virtq_chain c;
	int r;
	while ((r = vmm_virtq_pop(d->mem, &d->q[VMM_NET_TX], &c)) > 0) {
		/* A frame the tap refuses (too short, queue full) is dropped, as a wire would. */
		if (c.read_bytes > VMM_NET_HDR && writev(n->tap_fd, c.seg, (int)c.nread) > 0) {
			n->tx_packets++;
			n->tx_bytes += c.read_bytes - VMM_NET_HDR;
		}
		vmm_virtio_mmio_used(d, VMM_NET_TX, c.head, 0);
	}
	if (r < 0)
		vmm_virtio_mmio_broken(d, "bad transmit descriptor chain");
}

static void vmm_net_notify(struct vmm_virtio_mmio *d, unsigned q)
{
	struct vmm_net *n = d->priv;
	if (q == VMM_NET_TX) {
		vmm_net_tx(d, n);
		return;
	}
	uint64_t one = 1; /* receive buffers: the main loop reads the tap again */
	n->rx_starved = false;
	if (write(n->kick_fd, &one, sizeof(one)) < 0)
		vd_debug("net kick: %s", strerror(errno));
}

/* A receive chain must have room for the virtio-net header the tap writes first. readv with no
 * buffer returns 0 at once and leaves the frame queued, so holding such a chain made the main
 * loop spin on a readable tap and stopped receiving for good. */
static bool vmm_net_rx_usable(const struct vmm_virtq_chain *c)
{
	return c->nseg > c->nread && c->write_bytes >= VMM_NET_HDR;
}

/* The driver broke the rules (virtio 1.x 5.1.6.3: receive buffers are device-writable): the
 * chain goes back empty, which its driver counts as a length error, and receiving goes on. */
static void vmm_net_rx_refuse(struct vmm_virtio_mmio *d, struct vmm_net *n)
{
	if (n->rx_refused++ == 0)
		vd_warn("virtio-net %s: receive buffer with no room for a frame; returned empty",
			n->ifname);
	vmm_virtio_mmio_used(d, VMM_NET_RX, n->rx.head, 0);
}

/* Hold the next usable receive chain; false when the driver has none (or broke the ring). */
static bool vmm_net_rx_take(struct vmm_virtio_mmio *d, struct vmm_net *n)
{
	while (!n->held) {
		int r = vmm_virtq_pop(d->mem, &d->q[VMM_NET_RX], &n->rx);
		if (r < 0)
			vmm_virtio_mmio_broken(d, "bad receive descriptor chain");
		n->rx_starved = r == 0;
		if (r <= 0)
			return false;
		if (vmm_net_rx_usable(&n->rx))
			n->held = true;
		else
			vmm_net_rx_refuse(d, n);
	}
	return true;
}

/* Read one frame into the held chain; false when the tap has nothing more now. */
static bool vmm_net_rx_one(struct vmm_virtio_mmio *d, struct vmm_net *n)
{
	ssize_t got = readv(n->tap_fd, n->rx.seg + n->rx.nread, (int)(n->rx.nseg - n->rx.nread));
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return false; /* keep the chain for the next frame */
	n->held = false;
	if (got <= 0) {
		/* The tap dropped what it could not deliver: give the buffer back, poll again. */
		vd_debug("virtio-net %s: read: %s", n->ifname, got < 0 ? strerror(errno) : "empty");
		vmm_virtio_mmio_used(d, VMM_NET_RX, n->rx.head, 0);
		return false;
	}
	n->rx_packets++;
	n->rx_bytes += got > VMM_NET_HDR ? (uint64_t)got - VMM_NET_HDR : 0;
	vmm_virtio_mmio_used(d, VMM_NET_RX, n->rx.head, (uint32_t)got);
	return true;
}

/* Move frames from the tap into receive buffers until either runs out. Main loop. */
void vmm_net_rx(struct vmm_virtio_mmio *d)
{
	struct vmm_net *n = d->priv;
	uint64_t drain;
	if (read(n->kick_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		vd_debug("net kick read: %s", strerror(errno));
	pthread_mutex_lock(&d->lock);
	while (vmm_virtio_mmio_live(d, VMM_NET_RX) && vmm_net_rx_take(d, n) && vmm_net_rx_one(d, n))
		;
	pthread_mutex_unlock(&d->lock);
}

/* Frames that arrive before the driver is up (the bridge's IPv6 chatter) stay queued in the tap:
 * polling it then would spin, so it is polled only while there are receive buffers to fill.
 * DRIVER_OK re-kicks every queue, which wakes us through kick_fd. */
void vmm_net_pollfds(struct vmm_virtio_mmio *d, int *tap, int *kick)
{
	struct vmm_net *n = d->priv;
	pthread_mutex_lock(&d->lock);
	bool idle = n->rx_starved || !vmm_virtio_mmio_live(d, VMM_NET_RX);
	pthread_mutex_unlock(&d->lock);
	*tap = idle ? -1 : n->tap_fd;
	*kick = n->kick_fd;
}

static void vmm_net_reset(struct vmm_virtio_mmio *d)
{
	struct vmm_net *n = d->priv;
	n->held = false;
	n->rx_starved = false;
}

static void vmm_net_counters(struct vmm_virtio_mmio *d, struct vmm_virtio_counters *c)
{
	struct vmm_net *n = d->priv;
	c->net_rx += n->rx_bytes;
	c->net_tx += n->tx_bytes;
}

static void vmm_net_destroy(struct vmm_virtio_mmio *d)
{
	struct vmm_net *n = d->priv;
	close(n->tap_fd);
	close(n->kick_fd);
	free(n);
}

static const struct vmm_virtio_dev_ops vmm_net_dev_ops = {
	.name = "net", .device_id = VIRTIO_ID_NET, .nqueues = 2,
	.notify = vmm_net_notify, .reset = vmm_net_reset, .destroy = vmm_net_destroy,
	.counters = vmm_net_counters,
};

static int vmm_net_tap(const char *vm, char *ifname, struct vd_error **err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vd_error_errno(err, errno, "open /dev/net/tun (load the tun module)");
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vd-%.12s", vm);
	int hdr = VMM_NET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		int e = errno;
		close(fd);
		return vd_error_errno(err, e, "creating tap %s", ifr.ifr_name);
	}
	vd_strlcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

static int vmm_net_up(struct nl_sock *sk, struct rtnl_link *link)
{
	struct rtnl_link *change = rtnl_link_alloc();
	rtnl_link_set_flags(change, IFF_UP);
	int r = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	return r;
}

/* Find or create the bridge, bring it up, enslave the tap and bring that up. */
static int vmm_net_bridge(struct nl_sock *sk, const char *bridge, const char *tap)
{
	struct rtnl_link *br = NULL, *t = NULL;
	if (rtnl_link_get_kernel(sk, 0, bridge, &br) < 0) {
		struct rtnl_link *nb = rtnl_link_bridge_alloc();
		rtnl_link_set_name(nb, bridge);
		int r = rtnl_link_add(sk, nb, NLM_F_CREATE);
		rtnl_link_put(nb);
		if (r < 0 || rtnl_link_get_kernel(sk, 0, bridge, &br) < 0)
			return r < 0 ? r : -NLE_OBJ_NOTFOUND;
	}
	int r = vmm_net_up(sk, br);
	if (r == 0)
		r = rtnl_link_get_kernel(sk, 0, tap, &t);
	if (r == 0)
		r = rtnl_link_enslave(sk, br, t);
	if (r == 0)
		r = vmm_net_up(sk, t);
	rtnl_link_put(br);
	if (t)
		rtnl_link_put(t);
	return r;
}

static int vmm_net_attach(const char *bridge, const char *tap, struct vd_error **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return vd_error_set(err, ENOMEM, "netlink socket");
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r == 0)
		r = vmm_net_bridge(sk, bridge, tap);
	nl_socket_free(sk);
	if (r < 0)
		return vd_error_set(err, EIO, "putting tap %s on bridge %s: %s (needs CAP_NET_ADMIN and "
				    "the bridge module)", tap, bridge, nl_geterror(r));
	return 0;
}

/* A stable locally administered MAC from the VM's name (52:54:00 like QEMU's default). */
static void vmm_net_mac(const char *vm, uint8_t *mac)
{
	uint32_t h = 2166136261u;
	for (const char *p = vm; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	uint8_t m[6] = { 0x52, 0x54, 0x00, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h };
	memcpy(mac, m, 6);
}

struct vmm_virtio_mmio *vmm_net_create_fd(const struct vmm_mem *mem, const char *vm, int tap,
					  const char *ifname)
{
	struct vmm_net *n = vd_xcalloc(1, sizeof(*n));
	n->tap_fd = tap;
	n->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vd_strlcpy(n->ifname, ifname, sizeof(n->ifname));
	struct vmm_virtio_mmio *d = vd_xcalloc(1, sizeof(*d));
	vmm_virtio_mmio_init(d, &vmm_net_dev_ops, n, mem, 1ull << VIRTIO_NET_F_MAC, 8);
	vmm_net_mac(vm, d->config);
	return d;
}

struct vmm_virtio_mmio *vmm_net_create(const struct vmm_mem *mem, const char *vm,
				       const char *bridge, struct vd_error **err)
{
	char ifname[IFNAMSIZ];
	int tap = vmm_net_tap(vm, ifname, err);
	if (tap < 0)
		return NULL;
	if (vmm_net_attach(bridge, ifname, err) < 0) {
		close(tap);
		return NULL;
	}
	vd_info("VM %s: network on tap %s, bridge %s", vm, ifname, bridge);
	return vmm_net_create_fd(mem, vm, tap, ifname);
}
