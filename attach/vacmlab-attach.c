// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vacmlab-attach.c - the privileged helper: connect a running lab's LAN to the
 * host with a veth pair whose outer end goes onto an allow-listed host bridge
 * or gets an allow-listed address. Runs as root through sudo and trusts
 * nothing the caller controls. docs/attach.md: usage, allow file, attack table.
 *
 * DOC: Theory of operation (model: systemd's nsresourced, not lxc-user-nic)
 * Trust is never taken from a pid or a path. The pid in the lab's runtime dir
 * only tells us where to look; what we act on is a network namespace fd, and
 * that fd is verified by asking the kernel: it is a network namespace, not our
 * own, and it is owned by a user namespace (not the initial one) whose owner
 * is the invoking uid. A forged pid can only lead to a namespace that fails
 * those checks or to one the caller owns anyway. Host-side names are derived
 * here from uid, lab and LAN; the allow file's path is fixed at build time.
 * Every check runs before the first change; after it, any failure deletes the
 * veth (one end takes the pair with it), so nothing is left half-made.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#ifndef PIDFD_GET_NET_NAMESPACE /* linux/pidfd.h, kernel >= 6.11 */
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4)
#endif

struct cidr {
	int family;
	unsigned int len;
	unsigned char addr[16];
};

struct link {
	uint32_t index, peer; /* peer: IFLA_LINK, a veth's other end */
	char kind[16];	      /* IFLA_INFO_KIND, "" for none */
};

struct nl {
	struct mnl_socket *sk;
	unsigned int seq, portid;
};

static char nl_ext[256]; /* the kernel's extended-ack text of the last reply */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vacmlab-attach: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* "File exists" or "File exists (kernel: <extack text>)" */
static const char *nl_strerror(int e)
{
	static char s[384];

	snprintf(s, sizeof(s), nl_ext[0] ? "%s (kernel: %s)" : "%s", strerror(-e), nl_ext);
	return s;
}

static bool name_ok(const char *s, size_t max, bool letter_first)
{
	size_t n = strlen(s);

	if (n < 1 || n > max ||
	    !(islower((unsigned char)s[0]) || (!letter_first && isdigit((unsigned char)s[0]))))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A host bridge: 1..15 of [A-Za-z0-9_.-], alphanumeric first (no "..", no "/"). */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < IFNAMSIZ && isalnum((unsigned char)s[0]) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* "A.B.C.D/N" or "X:Y::Z/N", prefix required, nothing trailing. */
static bool cidr_parse(const char *s, struct cidr *c)
{
	const char *slash = strchr(s, '/');
	char a[INET6_ADDRSTRLEN], *end;
	unsigned long v;

	if (!slash || (size_t)(slash - s) >= sizeof(a) || !isdigit((unsigned char)slash[1]))
		return false;
	memcpy(a, s, slash - s);
	a[slash - s] = 0;
	c->family = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, a, c->addr) != 1)
		return false;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || v > (c->family == AF_INET ? 32u : 128u))
		return false;
	c->len = v;
	return true;
}

/* @in lies inside @net: same family, at least as long a prefix, same bits. */
static bool cidr_within(const struct cidr *in, const struct cidr *net)
{
	unsigned int i;

	if (in->family != net->family || in->len < net->len)
		return false;
	for (i = 0; i < net->len; i++)
		if ((in->addr[i / 8] ^ net->addr[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/*
 * Open @name under @dfd without following a symlink and check what it is:
 * a directory (or, with @file, a regular file) owned by @owner and not
 * writable by group or others (a root-owned sticky directory such as /tmp is
 * accepted when @sticky_ok). fstat on the opened fd, not lstat then open, so
 * nothing can be swapped between the check and the use.
 */
static int open_checked(int dfd, const char *name, const char *path, uid_t owner, bool sticky_ok,
			bool file)
{
	int fd = openat(dfd, name,
			file ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
			     : O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ELOOP)
		die("%s is a symlink: refused", path);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		die("%s is a symlink: refused", path);
	if (file ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))
		die("%s is not a %s: refused", path, file ? "regular file" : "directory");
	if (st.st_uid != owner)
		die("%s is owned by uid %u, not %u: refused", path, (unsigned)st.st_uid,
		    (unsigned)owner);
	if ((st.st_mode & 022) && !(sticky_ok && (st.st_mode & S_ISVTX)))
		die("%s is writable by group or others (mode %04o): refused", path,
		    (unsigned)(st.st_mode & 07777));
	return fd;
}

/*
 * The allow file: every directory from / down must be root-owned and not
 * writable by others (sticky allowed), the file itself root-owned, regular
 * and not group/other-writable. Lines: `user|group NAME bridge|address ITEM...`.
 * Returns true if a line for @uid (or one of its groups) grants @kind @arg.
 */
static bool allowed(uid_t uid, const char *kind, const char *arg, const struct cidr *want)
{
	char path[] = VACMLAB_ATTACH_CONF, line[1024], *save = NULL, *p, *slash, *tok[3];
	struct passwd *pw = getpwuid(uid);
	gid_t groups[256];
	int ngroups = 256, dfd = open_checked(AT_FDCWD, "/", "/", 0, false, false), fd, lineno = 0,
	    i;
	bool ok = false;
	FILE *f;

	if (path[0] != '/')
		die("allow file path %s is not absolute (build error)", path);
	for (p = path + 1;; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash)
			*slash = 0; /* path now reads as the prefix being checked */
		/* sticky (/tmp) is fine above, not in the file's own directory */
		fd = open_checked(dfd, p, path, 0, slash && strchr(slash + 1, '/'), !slash);
		close(dfd);
		dfd = fd;
		if (!slash)
			break;
		*slash = '/';
	}
	if (!(f = fdopen(dfd, "re")))
		die("%s: %s", VACMLAB_ATTACH_CONF, strerror(errno));
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) < 0)
		ngroups = 0;
	while (fgets(line, sizeof(line), f)) {
		bool me = false;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			die("line %d of %s: too long", lineno, VACMLAB_ATTACH_CONF);
		if ((p = strchr(line, '#')))
			*p = 0;
		for (i = 0; i < 3; i++)
			tok[i] = strtok_r(i ? NULL : line, " \t\r\n", &save);
		if (!tok[0])
			continue;
		if (!tok[2] || (strcmp(tok[2], "bridge") && strcmp(tok[2], "address")))
			die("line %d of %s: expected `user|group NAME bridge|address ITEM...`",
			    lineno, VACMLAB_ATTACH_CONF);
		if (!strcmp(tok[0], "user")) {
			struct passwd *u = getpwnam(tok[1]);

			me = u && u->pw_uid == uid;
		} else if (!strcmp(tok[0], "group")) {
			struct group *g = getgrnam(tok[1]);

			for (i = 0; g && i < ngroups; i++)
				me |= groups[i] == g->gr_gid;
		} else {
			die("line %d of %s: unknown '%s' (user or group)", lineno,
			    VACMLAB_ATTACH_CONF, tok[0]);
		}
		while ((p = strtok_r(NULL, " \t\r\n", &save))) {
			struct cidr net;

			if (!strcmp(tok[2], "address") && !cidr_parse(p, &net))
				die("line %d of %s: invalid CIDR '%s'", lineno, VACMLAB_ATTACH_CONF,
				    p);
			if (me && !strcmp(tok[2], kind))
				ok |= want ? cidr_within(want, &net) : !strcmp(p, arg);
		}
	}
	fclose(f);
	return ok;
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

/* Send one request with NLM_F_ACK and run @cb on replies until the ACK. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = nl_err_cb};
	char buf[32768];
	ssize_t n;
	int r;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	nl_ext[0] = 0;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		if ((n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf))) < 0)
			return -errno;
		r = mnl_cb_run2(buf, n, nl->seq, nl->portid, cb, data, ctl, NLMSG_MIN_TYPE);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -errno : 0;
}

/* A NETLINK_ROUTE socket in @nsfd's network namespace (or ours if -1). The
 * socket stays bound to the namespace it was made in, so we step in only to
 * create it and return at once to @selffd. */
static void nl_open(struct nl *nl, int nsfd, int selffd, const char *where)
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

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *b;
	struct link *l = data;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	l->index = ifi->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(a) == IFLA_LINK && mnl_attr_get_payload_len(a) == 4)
			l->peer = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == IFLA_LINKINFO)
			mnl_attr_for_each_nested(b, a) if (mnl_attr_get_type(b) == IFLA_INFO_KIND)
				snprintf(l->kind, sizeof(l->kind), "%.*s",
					 (int)mnl_attr_get_payload_len(b),
					 (const char *)mnl_attr_get_payload(b));
	}
	return MNL_CB_OK;
}

/*
 * One link request on @name (if set) or @index: RTM_GETLINK fills *@l (-ENODEV
 * if there is no such link), RTM_NEWLINK sets IFF_UP and, if nonzero, the
 * bridge @master, RTM_DELLINK deletes (a veth takes its peer with it).
 */
static int link_req(struct nl *nl, uint16_t type, const char *name, uint32_t index, uint32_t master,
		    struct link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, type, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_index = index;
	if (type == RTM_NEWLINK)
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	if (l)
		memset(l, 0, sizeof(*l));
	return nl_talk(nl, nlh, l ? link_cb : NULL, l);
}

/* veth @host here, its peer @inner created directly in the namespace @nsfd. */
static int veth_add(struct nl *nl, const char *host, const char *inner, int nsfd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nl_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	struct nlattr *info, *data, *peer;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
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

static int addr_add(struct nl *nl, uint32_t index, const struct cidr *c)
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

/*
 * The lab's runtime dir, derived from the verified uid only (never from the
 * environment): /run/user/UID/vacmlab/LAB if /run/user/UID exists, else
 * /tmp/vacmlab-UID/LAB. Every component below the root-owned top (/run/user
 * or /tmp) must be a real directory owned by @uid and not group/other
 * writable. Returns the supervisor's pid from LAB/supervisor.pid.
 */
static pid_t lab_pid(uid_t uid, const char *lab)
{
	char a[64], path[PATH_MAX], txt[32], *end;
	const char *b;
	struct stat st;
	int dfd, fd;
	ssize_t n;
	long pid;

	snprintf(path, sizeof(path), "/run/user/%u", (unsigned)uid);
	if (lstat(path, &st) == 0) {
		dfd = open_checked(AT_FDCWD, path, path, uid, false, false);
		snprintf(a, sizeof(a), "vacmlab");
	} else {
		dfd = open_checked(AT_FDCWD, "/tmp", "/tmp", 0, true, false);
		snprintf(path, sizeof(path), "/tmp");
		snprintf(a, sizeof(a), "vacmlab-%u", (unsigned)uid);
	}
	for (b = a; b; b = b == a ? lab : NULL) {
		size_t len = strlen(path);

		snprintf(path + len, sizeof(path) - len, "/%s", b);
		fd = open_checked(dfd, b, path, uid, false, false);
		close(dfd);
		dfd = fd;
	}
	strcat(path, "/supervisor.pid");
	fd = openat(dfd, "supervisor.pid",
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, txt, sizeof(txt) - 1)) < 0)
		die("lab %s is not running? %s: %s", lab, path, strerror(errno));
	txt[n] = 0;
	errno = 0;
	pid = strtol(txt, &end, 10);
	if (!isdigit((unsigned char)txt[0]) || errno || (*end && strcmp(end, "\n")) || pid < 2 ||
	    pid > INT_MAX)
		die("%s: not a pid", path);
	close(fd);
	close(dfd);
	return (pid_t)pid;
}

static bool same_inode(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || stat(path, &b) < 0)
		die("stat %s: %s", path, strerror(errno));
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/*
 * The lab's network namespace, verified. pidfd_open pins the process; on
 * kernels >= 6.11 PIDFD_GET_NET_NAMESPACE takes the namespace from that very
 * process. Older kernels: open /proc/PID/ns/net and then check the pidfd's
 * process is still alive, so the pid was not recycled in between. Either way
 * the pid only says where to look: the checks below are made on the fd we
 * will use, so a forged or recycled pid cannot pass them with a namespace the
 * user does not own.
 */
static int lab_netns(pid_t pid, uid_t uid, const char *lab)
{
	char p[64];
	int pfd = syscall(SYS_pidfd_open, pid, 0), ns, userns;
	uid_t owner;

	if (pfd < 0)
		die("lab %s: supervisor pid %d: %s", lab, (int)pid, strerror(errno));
	ns = ioctl(pfd, PIDFD_GET_NET_NAMESPACE, 0);
	if (ns < 0 && (errno == ENOTTY || errno == EINVAL)) {
		snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
		ns = open(p, O_RDONLY | O_CLOEXEC);
		if (ns >= 0 && syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0) < 0)
			close(ns), ns = -1;
	}
	if (ns < 0)
		die("lab %s: network namespace of pid %d: %s", lab, (int)pid, strerror(errno));
	close(pfd);
	if (ioctl(ns, NS_GET_NSTYPE) != CLONE_NEWNET)
		die("lab %s: pid %d: not a network namespace: refused", lab, (int)pid);
	if (same_inode(ns, "/proc/self/ns/net"))
		die("lab %s: pid %d is in the helper's own network namespace, not in a lab: "
		    "refused",
		    lab, (int)pid);
	if ((userns = ioctl(ns, NS_GET_USERNS)) < 0)
		die("lab %s: owner of the network namespace of pid %d: %s", lab, (int)pid,
		    strerror(errno));
	if (same_inode(userns, "/proc/self/ns/user"))
		die("lab %s: the network namespace of pid %d belongs to the initial user "
		    "namespace, not a lab: refused",
		    lab, (int)pid);
	if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
		die("lab %s: NS_GET_OWNER_UID: %s", lab, strerror(errno));
	if (owner != uid)
		die("lab %s: the network namespace of pid %d is owned by uid %u, not by the caller "
		    "(uid %u): refused",
		    lab, (int)pid, (unsigned)owner, (unsigned)uid);
	close(userns);
	return ns;
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	do
		h = (h ^ (unsigned char)*s) * 16777619u;
	while (*s++);
	return h; /* the terminating NUL is hashed too: fields cannot run together */
}

static void usage(void)
{
	fputs("usage: vacmlab-attach LAB LAN --bridge HOSTBR\n"
	      "       vacmlab-attach LAB LAN --address CIDR\n"
	      "       vacmlab-attach --detach LAB LAN\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *lab, *lan, *mode, *arg = NULL, *s = getenv("SUDO_UID");
	char id[16], host[IFNAMSIZ], inner[IFNAMSIZ], *end;
	struct link lanbr, br = {0}, l, hl;
	struct cidr cidr;
	static struct nl hnl, lnl; /* live until exit; static: still reachable then */
	uid_t uid = getuid();
	int selffd, ns, e, fd;
	uint32_t h;

	/* SUDO_UID is trusted only from sudo itself: we are root, really. */
	if (s && getuid() == 0) {
		unsigned long v;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (!isdigit((unsigned char)s[0]) || errno || *end || v >= (uid_t)-1)
			die("SUDO_UID '%s' is not a uid", s);
		uid = v;
	}
	clearenv();
	close_range(3, ~0U, 0);
	for (fd = 0; fd < 3; fd++) /* a closed 0-2 must not be reused by our files */
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return 1;
	if (geteuid() != 0)
		die("must run as root: sudo vacmlab-attach ...");

	if (argc == 4 && !strcmp(argv[1], "--detach"))
		lab = argv[2], lan = argv[3], mode = argv[1];
	else if (argc == 5 && (!strcmp(argv[3], "--bridge") || !strcmp(argv[3], "--address")))
		lab = argv[1], lan = argv[2], mode = argv[3], arg = argv[4];
	else
		usage();
	if (!name_ok(lab, 32, true))
		die("invalid lab name '%s' (1-32 of a-z 0-9 -, a letter first)", lab);
	if (!name_ok(lan, 12, false))
		die("invalid LAN name '%s' (1-12 of a-z 0-9 -, not - first)", lan);
	if (!strcmp(mode, "--bridge") && !ifname_ok(arg))
		die("invalid bridge name '%s'", arg);
	if (!strcmp(mode, "--address") && !cidr_parse(arg, &cidr))
		die("invalid CIDR '%s' (want ADDRESS/PREFIXLEN)", arg);
	if (!strcmp(mode, "--bridge") && !allowed(uid, "bridge", arg, NULL))
		die("bridge %s is not allowed for uid %u in %s: refused", arg, (unsigned)uid,
		    VACMLAB_ATTACH_CONF);
	if (!strcmp(mode, "--address") && !allowed(uid, "address", arg, &cidr))
		die("address %s is not inside a prefix allowed for uid %u in %s: refused", arg,
		    (unsigned)uid, VACMLAB_ATTACH_CONF);

	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	h = fnv1a(fnv1a(fnv1a(2166136261u, id), lab), lan);
	snprintf(host, sizeof(host), "vl%08x", h);
	snprintf(inner, sizeof(inner), "vx%08x", h);

	if ((selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	ns = lab_netns(lab_pid(uid, lab), uid, lab);
	nl_open(&hnl, -1, selffd, "the host namespace");
	nl_open(&lnl, ns, selffd, "the lab's namespace");

	if (!strcmp(mode, "--detach")) {
		/* Exactly ours: the host end is a veth whose peer is our inner
		 * end in this verified lab (guards against hash collisions). */
		if ((e = link_req(&hnl, RTM_GETLINK, host, 0, 0, &hl)) < 0)
			die("%s/%s is not attached: no %s on the host: %s", lab, lan, host,
			    nl_strerror(e));
		if ((e = link_req(&lnl, RTM_GETLINK, inner, 0, 0, &l)) < 0)
			die("%s/%s: no %s in the lab: %s", lab, lan, inner, nl_strerror(e));
		if (strcmp(hl.kind, "veth") || strcmp(l.kind, "veth") || l.peer != hl.index)
			die("%s and %s in lab %s are not one veth pair: refused", host, inner, lab);
		if ((e = link_req(&hnl, RTM_DELLINK, host, 0, 0, NULL)) < 0)
			die("deleting %s: %s", host, nl_strerror(e));
		printf("detached %s/%s: deleted %s\n", lab, lan, host);
		return 0;
	}
	if ((e = link_req(&lnl, RTM_GETLINK, lan, 0, 0, &lanbr)) < 0)
		die("lab %s has no LAN %s: %s", lab, lan, nl_strerror(e));
	if (strcmp(lanbr.kind, "bridge"))
		die("%s in lab %s is not a bridge (kind '%s'): refused", lan, lab, lanbr.kind);
	if (arg && !strcmp(mode, "--bridge")) {
		if ((e = link_req(&hnl, RTM_GETLINK, arg, 0, 0, &br)) < 0)
			die("host bridge %s: %s", arg, nl_strerror(e));
		if (strcmp(br.kind, "bridge"))
			die("host %s is not a bridge (kind '%s'): refused", arg, br.kind);
	}

	/* First change. From here any failure removes the pair again. */
	if ((e = veth_add(&hnl, host, inner, ns)) < 0)
		die("creating veth %s (host) / %s (lab %s): %s", host, inner, lab, nl_strerror(e));
	e = link_req(&lnl, RTM_GETLINK, inner, 0, 0, &l);
	if (!e)
		e = link_req(&lnl, RTM_NEWLINK, NULL, l.index, lanbr.index, NULL);
	if (e < 0) {
		fprintf(stderr, "vacmlab-attach: enslaving %s to bridge %s in lab %s: %s\n", inner,
			lan, lab, nl_strerror(e));
		goto undo_veth;
	}
	e = link_req(&hnl, RTM_GETLINK, host, 0, 0, &hl);
	if (!e && !br.index)
		e = addr_add(&hnl, hl.index, &cidr);
	if (!e)
		e = link_req(&hnl, RTM_NEWLINK, NULL, hl.index, br.index, NULL);
	if (e < 0) {
		fprintf(stderr, "vacmlab-attach: %s %s on %s: %s\n",
			br.index ? "enslaving to bridge" : "adding address", arg, host,
			nl_strerror(e));
		goto undo_veth;
	}
	printf("attached %s/%s: host %s (%s %s) <-> lab %s on bridge %s\n", lab, lan, host,
	       mode + 2, arg, inner, lan);
	return 0;

undo_veth:
	if ((e = link_req(&hnl, RTM_DELLINK, host, 0, 0, NULL)) < 0)
		fprintf(stderr, "vacmlab-attach: rolling back: deleting %s: %s\n", host,
			nl_strerror(e));
	return 1;
}
