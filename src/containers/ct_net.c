/* ct_net.c - loopback, bridge and veth set-up with libnl-route-3 (never by running ip). */
#include "containers/ct_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

static void ct_net_sockp(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}
static void ct_net_linkp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_nlsock_ _cleanup_(ct_net_sockp)
#define _cleanup_link_ _cleanup_(ct_net_linkp)

static int ct_net_fail(struct vd_error **err, int nlerr, const char *name, const char *what)
{
	return vd_error_set(err, EIO, "container %s: %s failed: %s", name, what, nl_geterror(nlerr));
}

static int ct_net_open(struct nl_sock **out, const char *name, struct vd_error **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return vd_error_set(err, ENOMEM, "container %s: cannot allocate a netlink socket", name);
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return ct_net_fail(err, r, name, "connecting to rtnetlink");
	}
	*out = sk;
	return 0;
}

int ct_net_parse_subnet(const char *subnet, struct in_addr *net, unsigned *prefix,
			struct vd_error **err)
{
	char buf[32];
	const char *slash = strchr(subnet, '/');
	if (!slash || (size_t)(slash - subnet) >= sizeof(buf))
		return vd_error_set(err, EINVAL, "subnet=%s: expected a.b.c.0/24", subnet);
	memcpy(buf, subnet, (size_t)(slash - subnet));
	buf[slash - subnet] = '\0';
	uint64_t len = 0;
	if (inet_pton(AF_INET, buf, net) != 1 || vd_parse_u64(slash + 1, &len) < 0 || len < 8 || len > 30)
		return vd_error_set(err, EINVAL,
				    "subnet=%s: expected a private IPv4 range such as 10.88.0.0/24",
				    subnet);
	*prefix = (unsigned)len;
	uint32_t mask = 0xffffffffu << (32 - len);
	net->s_addr = htonl(ntohl(net->s_addr) & mask);
	return 0;
}

static int ct_net_set_up(struct nl_sock *sk, struct rtnl_link *link, const char *name,
			 struct vd_error **err)
{
	_cleanup_link_ struct rtnl_link *chg = rtnl_link_alloc();
	rtnl_link_set_flags(chg, IFF_UP);
	int r = rtnl_link_change(sk, link, chg, 0);
	return r < 0 ? ct_net_fail(err, r, name, "bringing a link up") : 0;
}

static int ct_net_add_addr(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned prefix,
			   const char *name, struct vd_error **err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &a, sizeof(a));
	nl_addr_set_prefixlen(local, (int)prefix);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	int r = rtnl_addr_add(sk, ra, 0);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (r < 0 && r != -NLE_EXIST)
		return ct_net_fail(err, r, name, "adding an address");
	return 0;
}

/* The bridge is shared by every container on the range; the first one creates it. */
static int ct_net_bridge(struct nl_sock *sk, const char *name, const struct ct_net_plan *p,
			 int *ifindex, struct vd_error **err)
{
	_cleanup_link_ struct rtnl_link *br = NULL;
	if (rtnl_link_get_kernel(sk, 0, p->bridge, &br) < 0) {
		_cleanup_link_ struct rtnl_link *nb = rtnl_link_bridge_alloc();
		rtnl_link_set_name(nb, p->bridge);
		int r = rtnl_link_add(sk, nb, NLM_F_CREATE);
		if (r < 0 && r != -NLE_EXIST)
			return ct_net_fail(err, r, name, "creating bridge");
		r = rtnl_link_get_kernel(sk, 0, p->bridge, &br);
		if (r < 0)
			return ct_net_fail(err, r, name, "finding the new bridge");
	}
	*ifindex = rtnl_link_get_ifindex(br);
	int rc = ct_net_add_addr(sk, *ifindex, p->gw, p->prefix, name, err);
	if (rc < 0)
		return rc;
	return ct_net_set_up(sk, br, name, err);
}

static int ct_net_veth(struct nl_sock *sk, const char *name, const struct ct_net_plan *p, pid_t pid,
		       int brindex, struct vd_error **err)
{
	_cleanup_link_ struct rtnl_link *veth = rtnl_link_veth_alloc();
	rtnl_link_set_name(veth, p->host_if);
	rtnl_link_set_master(veth, brindex);
	rtnl_link_set_flags(veth, IFF_UP);
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_pid(peer, pid);
	rtnl_link_put(peer);
	int r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	return r < 0 ? ct_net_fail(err, r, name, "creating the veth pair") : 0;
}

int ct_net_host_setup(const char *name, const struct ct_net_plan *p, pid_t pid,
		      struct vd_error **err)
{
	_cleanup_nlsock_ struct nl_sock *sk = NULL;
	int brindex = 0;
	int r = ct_net_open(&sk, name, err);
	if (r < 0)
		return r;
	r = ct_net_bridge(sk, name, p, &brindex, err);
	if (r < 0)
		return r;
	return ct_net_veth(sk, name, p, pid, brindex, err);
}

void ct_net_host_cleanup(const struct ct_net_plan *p)
{
	_cleanup_nlsock_ struct nl_sock *sk = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;
	if (ct_net_open(&sk, "", NULL) < 0 || rtnl_link_get_kernel(sk, 0, p->host_if, &l) < 0)
		return;
	rtnl_link_delete(sk, l);
}

static int ct_net_up(struct nl_sock *sk, const char *ifname, int *ifindex, const char *name,
		     struct vd_error **err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, ifname, &l);
	if (r < 0)
		return ct_net_fail(err, r, name, ifname);
	if (ifindex)
		*ifindex = rtnl_link_get_ifindex(l);
	return ct_net_set_up(sk, l, name, err);
}

static int ct_net_default_route(struct nl_sock *sk, int ifindex, struct in_addr gw,
				const char *name, struct vd_error **err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &(struct in_addr){ 0 }, 4);
	struct nl_addr *via = nl_addr_build(AF_INET, &gw, 4);
	nl_addr_set_prefixlen(dst, 0);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_add_nexthop(rt, nh);
	int r = rtnl_route_add(sk, rt, NLM_F_CREATE);
	nl_addr_put(dst);
	nl_addr_put(via);
	rtnl_route_put(rt);
	return r < 0 ? ct_net_fail(err, r, name, "adding the default route") : 0;
}

int ct_net_child_setup(const char *name, const struct ct_net_plan *p, struct vd_error **err)
{
	_cleanup_nlsock_ struct nl_sock *sk = NULL;
	int r = ct_net_open(&sk, name, err);
	if (r < 0)
		return r;
	r = ct_net_up(sk, "lo", NULL, name, err);
	if (r < 0)
		return r;
	if (!p)
		return 0;
	int ifindex = 0;
	r = ct_net_up(sk, "eth0", &ifindex, name, err);
	if (r < 0)
		return r;
	r = ct_net_add_addr(sk, ifindex, p->addr, p->prefix, name, err);
	if (r < 0)
		return r;
	return ct_net_default_route(sk, ifindex, p->gw, name, err);
}
