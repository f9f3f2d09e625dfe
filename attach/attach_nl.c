// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attach_nl.c - vacmlab-attach's netlink, with libmnl: one socket in the host
 * namespace, one in the lab's; links (veth, tag, bridge port, MAC), addresses,
 * and the overlap check of a routed prefix against the host's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "attach/attach.h"

static char nl_ext[256]; /* the kernel's extended-ack text of the last reply */

/* "File exists" or "File exists (kernel: <extack text>)" */
const char *nl_strerror(int e)
{
	static char s[384];

	snprintf(s, sizeof(s), nl_ext[0] ? "%s (kernel: %s)" : "%s", strerror(-e), nl_ext);
	return s;
}

/* NLMSG_ERROR: keep the errno (libmnl's default does too) and the extack text. */
static int nl_err_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS && nlh->nlmsg_len > mnl_nlmsg_size(off))
		mnl_attr_for_each(a, nlh, off) if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(nl_ext, sizeof(nl_ext), "%.*s", (int)mnl_attr_get_payload_len(a),
				 (const char *)mnl_attr_get_payload(a));
	if (!e->error)
		return MNL_CB_STOP;
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* NLMSG_DONE ends a dump; since Linux 4.x it carries the dump's error. */
static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	int e = 0;

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(e)))
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e >= 0)
		return MNL_CB_STOP;
	errno = -e;
	return MNL_CB_ERROR;
}

/*
 * Send one request and run @cb on replies until the ACK (or, for a dump, the
 * NLMSG_DONE). Only datagrams from the kernel (sender port 0) count: in the
 * lab's namespace any process of the user may send to our socket's port,
 * and its forged answers are dropped here.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_err_cb, [NLMSG_DONE] = nl_done_cb};
	static char buf[65536];
	struct sockaddr_nl from;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	bool dump;
	int r;

	/* A dump ends with NLMSG_DONE, anything else with an ACK. (NLM_F_DUMP's
	 * bits mean REPLACE and EXCL in a new-request: look at the type too.) */
	dump = (nlh->nlmsg_type == RTM_GETLINK || nlh->nlmsg_type == RTM_GETADDR ||
		nlh->nlmsg_type == RTM_GETROUTE) &&
	       (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
	nlh->nlmsg_seq = ++nl->seq;
	nl_ext[0] = 0;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		msg.msg_namelen = sizeof(from);
		if ((n = recvmsg(mnl_socket_get_fd(nl->sk), &msg, 0)) < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0) {
			r = MNL_CB_OK; /* not from the kernel: ignore */
			continue;
		}
		r = mnl_cb_run2(buf, n, nl->seq, nl->portid, cb, data, ctl, NLMSG_MIN_TYPE);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -errno : 0;
}

/* A NETLINK_ROUTE socket in @nsfd's network namespace (or ours if -1). The
 * socket stays bound to the namespace it was made in, so we step in only to
 * create it and return at once to @selffd. */
void nl_open(struct nl *nl, int nsfd, int selffd, const char *where)
{
	int one = 1;

	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		die("entering %s: %s", where, strerror(errno));
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nsfd >= 0 && setns(selffd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "vacmlab-attach: returning to own namespace: %s\n",
			strerror(errno));
		abort(); /* never carry on in the lab's namespace */
	}
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket in %s: %s", where, strerror(errno));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);
}

static struct nlmsghdr *nl_msg(char *buf, uint16_t type, uint16_t flags, size_t hdr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	mnl_nlmsg_put_extra_header(nlh, hdr); /* zeroed */
	return nlh;
}

static void link_parse(const struct nlmsghdr *nlh, struct link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *b;

	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		const char *p = mnl_attr_get_payload(a);
		int len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME: snprintf(l->name, sizeof(l->name), "%.*s", len, p); break;
		case IFLA_IFALIAS: snprintf(l->alias, sizeof(l->alias), "%.*s", len, p); break;
		case IFLA_ADDRESS:
			if (len == 6)
				memcpy(l->mac, p, 6);
			break;
		case IFLA_MASTER:
			if (len == 4)
				l->master = mnl_attr_get_u32(a);
			break;
		case IFLA_LINKINFO:
			mnl_attr_for_each_nested(b, a) if (mnl_attr_get_type(b) == IFLA_INFO_KIND)
				snprintf(l->kind, sizeof(l->kind), "%.*s",
					 (int)mnl_attr_get_payload_len(b),
					 (const char *)mnl_attr_get_payload(b));
			break;
		default: break;
		}
	}
}

struct dump {
	void (*fn)(const struct link *l, void *data);
	void *data;
	struct link *one;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct link l;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return MNL_CB_OK;
	link_parse(nlh, d->one ? d->one : &l);
	if (d->fn)
		d->fn(&l, d->data);
	return MNL_CB_OK;
}

/* RTM_GETLINK of @name into *@l; -ENODEV if there is no such link. */
int link_get(struct nl *nl, const char *name, struct link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	struct dump d = {.one = l};

	memset(l, 0, sizeof(*l));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, link_cb, &d);
}

/* Every link of the namespace, one call of @fn each. */
int link_dump(struct nl *nl, void (*fn)(const struct link *l, void *data), void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETLINK, NLM_F_DUMP, sizeof(struct ifinfomsg));
	struct dump d = {.fn = fn, .data = data};

	return nl_talk(nl, nlh, link_cb, &d);
}

/* IFF_UP on link @index and, if nonzero, the bridge @master. */
int link_up(struct nl *nl, uint32_t index, uint32_t master)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_index = index;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Delete link @index (or @name if @index is 0); a veth takes its peer along. */
int link_del(struct nl *nl, uint32_t index, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_index = index;
	if (!index)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * The host end, still down: its owner tag in IFLA_IFALIAS, and IPv4's
 * accept_redirects 0 (IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF, the one
 * devconf netlink can set; IPv6's are sysctl files, see ipv6_harden).
 */
int link_tag(struct nl *nl, uint32_t index, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *spec, *inet, *conf;

	ifi->ifi_index = index;
	mnl_attr_put_str(nlh, IFLA_IFALIAS, alias);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_ACCEPT_REDIRECTS, 0);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * Set the bridge's MAC to the value it has. The kernel then marks it as set
 * by hand (NET_ADDR_SET) and no longer moves it to its lowest port's MAC, so
 * no port that comes or goes changes the host's identity on that LAN.
 */
int link_pin_mac(struct nl *nl, const struct link *br)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_index = br->index;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, br->mac);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* veth @host (MAC @mac, down) here, its peer @inner made directly in @nsfd. */
int veth_add(struct nl *nl, const char *host, const unsigned char mac[6], const char *inner,
	     int nsfd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nl_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	struct nlattr *info, *data, *peer;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, inner);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, nsfd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

int addr_add(struct nl *nl, uint32_t index, const struct cidr *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nl_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t alen = c->family == AF_INET ? 4 : 16;

	ifa->ifa_family = c->family;
	ifa->ifa_prefixlen = c->len;
	ifa->ifa_index = index;
	mnl_attr_put(nlh, IFA_LOCAL, alen, c->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, c->addr);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct overlap {
	const struct cidr *want;
	const char *arg;
};

/* One RTM_NEWADDR or RTM_NEWROUTE of the host's: refuse if it overlaps. */
static int overlap_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct overlap *o = data;
	bool route = nlh->nlmsg_type == RTM_NEWROUTE;
	size_t hdr = route ? sizeof(struct rtmsg) : sizeof(struct ifaddrmsg);
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct cidr have = {.family = o->want->family,
			    .len = route ? rtm->rtm_dst_len : ifa->ifa_prefixlen};
	size_t alen = have.family == AF_INET ? 4 : 16;
	uint16_t want_attr = route ? RTA_DST : IFA_ADDRESS;
	char s[64], ifn[IF_NAMESIZE] = "?";
	const struct nlattr *a;
	uint32_t table = route ? rtm->rtm_table : 0;

	if ((!route && nlh->nlmsg_type != RTM_NEWADDR) || nlh->nlmsg_len < mnl_nlmsg_size(hdr))
		return MNL_CB_OK;
	if ((route ? rtm->rtm_family : ifa->ifa_family) != have.family)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, hdr)
	{
		if (mnl_attr_get_type(a) == want_attr && mnl_attr_get_payload_len(a) == alen)
			memcpy(have.addr, mnl_attr_get_payload(a), alen);
		if (route && mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
	}
	/* A default route (/0) holds every prefix; it is not one to take over. */
	if ((route && !have.len) || !cidr_overlap(o->want, &have))
		return MNL_CB_OK;
	if (route)
		die("%s overlaps the host's route %s (table %u): refused", o->arg,
		    cidr_net_str(&have, s, sizeof(s)), (unsigned)table);
	if_indextoname(ifa->ifa_index, ifn);
	die("%s overlaps %s, an address of the host's (on %s): refused", o->arg,
	    cidr_net_str(&have, s, sizeof(s)), ifn);
}

/*
 * A routed prefix must not overlap any address or route (any table) of the
 * host's: a longer prefix would take part of an existing LAN's or another
 * lab's traffic, a shorter one would wrap it. Dies naming the other prefix.
 */
void overlap_check(struct nl *nl, const struct cidr *c, const char *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct overlap o = {c, arg};
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	int e;

	((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_family = c->family;
	if ((e = nl_talk(nl, nlh, overlap_cb, &o)) < 0)
		die("listing the host's addresses: %s", nl_strerror(e));
	nlh = nl_msg(buf, RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family = c->family;
	if ((e = nl_talk(nl, nlh, overlap_cb, &o)) < 0)
		die("listing the host's routes: %s", nl_strerror(e));
}
