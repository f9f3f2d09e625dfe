// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vacmlab-attach.c - the privileged helper: connect a running lab's LAN to the
 * host with a veth pair whose outer end goes onto an allow-listed host bridge
 * or gets an allow-listed address. Runs as root through sudo (or setuid) and
 * trusts nothing the caller controls. docs/attach.md: usage, allow file,
 * attack table. attach_check.c: the checks; attach_nl.c: netlink.
 *
 * DOC: Theory of operation (model: systemd's nsresourced, not lxc-user-nic)
 * Trust is never taken from a pid or a path. The pid in the lab's runtime dir
 * only tells us where to look; what we act on is a network namespace fd, and
 * that fd is verified by asking the kernel (lab_netns). Nothing the lab's
 * namespace reports decides anything on the host: who owns a host end is
 * the tag the helper wrote into its IFLA_IFALIAS, which only root on the host
 * can write. Host-side names are derived here (attach_names); the allow
 * file's path is fixed at build time. Stages of an attach:
 *  1. main: caller, arguments, allow file (allowed), names; lab_pid and
 *     lab_netns; the lab's LAN and the host bridge are looked at. Read only.
 *  2. every blockable signal is blocked and the lock taken (attach_lock);
 *     the caller's cap and the one-per-(namespace, LAN) rule are checked
 *     against the tags (count_cb), a routed prefix against the host's
 *     addresses and routes (overlap_check).
 *  3. veth_add makes the pair, host end down with a fixed MAC; link_tag tags
 *     it, ipv6_harden sets its IPv6 sysctls, both before it is ever up.
 *  4. the lab end joins the LAN; the host end joins the (MAC-pinned) host
 *     bridge or gets its address, and comes up. Any failure in 3-4 deletes
 *     the pair (by ifindex): nothing is left half-made.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "attach/attach.h"

#ifndef VACMLAB_ATTACH_LOCK
#define VACMLAB_ATTACH_LOCK "/run/vacmlab-attach.lock"
#endif

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vacmlab-attach: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/*
 * One helper at a time changes the host, so that two of them cannot both
 * pass the cap or the overlap check. The lock file is root's, in root's /run
 * (a user cannot open it, so cannot hold the lock); the wait is bounded.
 */
static void attach_lock(void)
{
	int fd = open(VACMLAB_ATTACH_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600), i;
	struct timespec ts = {0, 100 * 1000 * 1000};
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", VACMLAB_ATTACH_LOCK, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		die("%s is not a root-owned 0600 file: refused", VACMLAB_ATTACH_LOCK);
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i == 100)
			die("locking %s: %s", VACMLAB_ATTACH_LOCK,
			    errno == EWOULDBLOCK ? "another vacmlab-attach holds it for 10 s"
						 : strerror(errno));
		nanosleep(&ts, NULL);
	}
}

/*
 * The host end's IPv6, set while it is down, so it never takes a Router
 * Advertisement, a SLAAC address or a redirect from the lab: accept_ra,
 * autoconf and accept_redirects 0, and disable_ipv6 1 unless the caller was
 * granted an IPv6 address for it. These are sysctl files because netlink
 * cannot set IPv6 devconf (IFLA_INET6_CONF is read only); they exist from the
 * moment the link is registered, down. Returns 0 or -errno, naming the file.
 */
static int ipv6_harden(const char *ifname, bool ipv6, char *path, size_t n)
{
	static const char *const keys[] = {"accept_ra", "autoconf", "accept_redirects",
					   "disable_ipv6"};
	int dfd = open("/proc/sys/net/ipv6/conf", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd, i, e;
	struct statfs sf;

	if (dfd < 0 && errno == ENOENT)
		return 0; /* no IPv6 in this kernel: nothing to take */
	snprintf(path, n, "/proc/sys/net/ipv6/conf");
	if (dfd < 0 || fstatfs(dfd, &sf) < 0)
		return -errno;
	if (sf.f_type != PROC_SUPER_MAGIC) {
		close(dfd);
		return -EXDEV;
	}
	for (i = 0; i < 4; i++) {
		const char *v = i < 3 ? "0\n" : ipv6 ? "0\n" : "1\n";

		snprintf(path, n, "/proc/sys/net/ipv6/conf/%s/%s", ifname, keys[i]);
		fd = openat(dfd, path + strlen("/proc/sys/net/ipv6/conf/"),
			    O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || write(fd, v, 2) != 2) {
			e = -errno;
			if (fd >= 0)
				close(fd);
			close(dfd);
			return e;
		}
		close(fd);
	}
	close(dfd);
	return 0;
}

struct census {
	uid_t uid;
	unsigned long netns;
	const char *lan;
	unsigned int mine;
	char dup[256]; /* the tag of an attachment of the same namespace and LAN */
};

/* A host link: count it if its tag is the caller's; note one of the same
 * namespace and LAN. Only tags count: they are the helper's own record. */
static void count_cb(const struct link *l, void *data)
{
	struct census *c = data;
	char lab[33], lan[13];
	unsigned long ino;
	unsigned int u;

	if (sscanf(l->alias, "vacmlab-attach uid=%u lab=%32[a-z0-9-] lan=%12[a-z0-9-] netns=%lu",
		   &u, lab, lan, &ino) != 4)
		return;
	c->mine += u == c->uid;
	if (ino == c->netns && !strcmp(lan, c->lan))
		snprintf(c->dup, sizeof(c->dup), "%s/%s, host end %s", lab, lan, l->name);
}

static void usage(void)
{
	fputs("usage: vacmlab-attach LAB LAN --bridge HOSTBR\n"
	      "       vacmlab-attach LAB LAN --address CIDR\n"
	      "       vacmlab-attach --detach LAB LAN\n",
	      stderr);
	exit(2);
}

/* Delete the host end of LAB/LAN if, and only if, its tag is the caller's. */
static int detach(struct nl *hnl, uid_t uid, const char *lab, const char *lan, const char *host)
{
	char tag[256];
	struct link hl;
	int e;

	if ((e = link_get(hnl, host, &hl)) < 0)
		die("%s/%s is not attached: no %s on the host: %s", lab, lan, host, nl_strerror(e));
	snprintf(tag, sizeof(tag), "vacmlab-attach uid=%u lab=%s lan=%s netns=", (unsigned)uid, lab,
		 lan);
	if (strcmp(hl.kind, "veth") || strncmp(hl.alias, tag, strlen(tag)))
		die("%s is not vacmlab-attach's link for uid %u %s/%s: refused", host,
		    (unsigned)uid, lab, lan);
	if ((e = link_del(hnl, hl.index, NULL)) < 0)
		die("deleting %s: %s", host, nl_strerror(e));
	printf("detached %s/%s: deleted %s\n", lab, lan, host);
	return 0;
}

int main(int argc, char **argv)
{
	const char *lab, *lan, *mode, *arg = NULL, *s = getenv("SUDO_UID");
	char host[IFNAMSIZ], inner[IFNAMSIZ], tag[256], path[256], *end;
	struct link lanbr, br = {0}, l, hl = {0};
	unsigned char mac[6];
	struct cidr cidr = {0};
	struct census census = {0};
	static struct nl hnl, lnl; /* live until exit; static: still reachable then */
	unsigned int limit;
	uid_t uid = getuid();
	sigset_t all, pending;
	int selffd, ns, e, fd;
	struct stat nst;

	/* SUDO_UID is trusted only from sudo itself: we are root, really. */
	if (s && getuid() == 0) {
		unsigned long v;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (!isdigit((unsigned char)s[0]) || errno || *end || v >= (uid_t)-1)
			die("SUDO_UID '%s' is not a uid", s);
		uid = v;
	}
	if (geteuid() != 0)
		die("must run as root: sudo vacmlab-attach ...");
	/* Setuid: become root for real, so that the caller can no longer
	 * signal (SIGKILL, SIGSTOP) or trace us in the middle of a change. */
	if (getuid() != 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		die("becoming root: %s", strerror(errno));
	clearenv();
	close_range(3, ~0U, 0);
	for (fd = 0; fd < 3; fd++) /* a closed 0-2 must not be reused by our files */
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return 1;

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
	if (!strcmp(mode, "--bridge") && !allowed(uid, "bridge", arg, NULL, &limit))
		die("bridge %s is not allowed for uid %u in %s: refused", arg, (unsigned)uid,
		    VACMLAB_ATTACH_CONF);
	if (!strcmp(mode, "--address") && !allowed(uid, "address", arg, &cidr, &limit))
		die("address %s is not inside a prefix allowed for uid %u in %s: refused", arg,
		    (unsigned)uid, VACMLAB_ATTACH_CONF);
	attach_names(uid, lab, lan, host, inner, mac);

	if ((selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	nl_open(&hnl, -1, selffd, "the host namespace");
	if (!strcmp(mode, "--detach"))
		return detach(&hnl, uid, lab, lan, host);

	ns = lab_netns(lab_pid(uid, lab), uid, lab);
	if (fstat(ns, &nst) < 0)
		die("lab %s: fstat of its network namespace: %s", lab, strerror(errno));
	nl_open(&lnl, ns, selffd, "the lab's namespace");
	if ((e = link_get(&lnl, lan, &lanbr)) < 0)
		die("lab %s has no LAN %s: %s", lab, lan, nl_strerror(e));
	if (strcmp(lanbr.kind, "bridge"))
		die("%s in lab %s is not a bridge (kind '%s'): refused", lan, lab, lanbr.kind);
	if (!strcmp(mode, "--bridge")) {
		if ((e = link_get(&hnl, arg, &br)) < 0)
			die("host bridge %s: %s", arg, nl_strerror(e));
		if (strcmp(br.kind, "bridge"))
			die("host %s is not a bridge (kind '%s'): refused", arg, br.kind);
	}

	/* From here to the end the host is changed: no signal may cut that
	 * short (sudo forwards the user's Ctrl-C). One that came in before
	 * this point still stops us, with nothing changed. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
	     sigismember(&pending, SIGHUP) || sigismember(&pending, SIGQUIT)))
		die("interrupted: nothing changed");
	attach_lock();
	census.uid = uid, census.netns = nst.st_ino, census.lan = lan;
	if ((e = link_dump(&hnl, count_cb, &census)) < 0)
		die("listing the host's links: %s", nl_strerror(e));
	if (census.dup[0])
		die("%s/%s is already attached (as %s): refused", lab, lan, census.dup);
	if (census.mine >= limit)
		die("uid %u has %u attachment%s, the most allowed (`limit` in %s): refused",
		    (unsigned)uid, census.mine, census.mine == 1 ? "" : "s", VACMLAB_ATTACH_CONF);
	if (!br.index)
		overlap_check(&hnl, &cidr, arg);

	/* First change. From here any failure removes the pair again. */
	if ((e = veth_add(&hnl, host, mac, inner, ns)) < 0)
		die("creating veth %s (host) / %s (lab %s): %s", host, inner, lab, nl_strerror(e));
	snprintf(tag, sizeof(tag), ATTACH_TAG, (unsigned)uid, lab, lan, (unsigned long)nst.st_ino);
	if ((e = link_get(&hnl, host, &hl)) < 0 || (e = link_tag(&hnl, hl.index, tag)) < 0) {
		fprintf(stderr, "vacmlab-attach: tagging %s: %s\n", host, nl_strerror(e));
		goto undo_veth;
	}
	if ((e = ipv6_harden(host, !br.index && cidr.family == AF_INET6, path, sizeof(path))) < 0) {
		fprintf(stderr, "vacmlab-attach: setting %s: %s\n", path, strerror(-e));
		goto undo_veth;
	}
	if ((e = link_get(&lnl, inner, &l)) < 0 || (e = link_up(&lnl, l.index, lanbr.index)) < 0) {
		fprintf(stderr, "vacmlab-attach: enslaving %s to bridge %s in lab %s: %s\n", inner,
			lan, lab, nl_strerror(e));
		goto undo_veth;
	}
	if (br.index)
		e = link_pin_mac(&hnl, &br);
	else
		e = addr_add(&hnl, hl.index, &cidr);
	if (!e)
		e = link_up(&hnl, hl.index, br.index);
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
	if ((e = link_del(&hnl, hl.index, host)) < 0)
		fprintf(stderr, "vacmlab-attach: rolling back: deleting %s: %s\n", host,
			nl_strerror(e));
	else
		fprintf(stderr, "vacmlab-attach: rolled back: deleted %s\n", host);
	return 1;
}
