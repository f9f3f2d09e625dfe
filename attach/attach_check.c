// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attach_check.c - what vacmlab-attach checks before it changes anything:
 * names and CIDRs, the allow file, the lab's runtime dir and supervisor.pid,
 * the lab's network namespace; and the host-side names it derives.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/nsfs.h>
#include <nettle/sha2.h>

#include "attach/attach.h"

#ifndef PIDFD_GET_NET_NAMESPACE /* linux/pidfd.h, kernel >= 6.11 */
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4)
#endif

bool name_ok(const char *s, size_t max, bool letter_first)
{
	size_t n = strlen(s);

	if (n < 1 || n > max ||
	    !(islower((unsigned char)s[0]) || (!letter_first && isdigit((unsigned char)s[0]))))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A host bridge: 1..15 of [A-Za-z0-9_.-], alphanumeric first (no "..", no "/"). */
bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < IFNAMSIZ && isalnum((unsigned char)s[0]) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* "A.B.C.D/N" or "X:Y::Z/N", prefix required, nothing trailing. */
bool cidr_parse(const char *s, struct cidr *c)
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
bool cidr_within(const struct cidr *in, const struct cidr *net)
{
	unsigned int i;

	if (in->family != net->family || in->len < net->len)
		return false;
	for (i = 0; i < net->len; i++)
		if ((in->addr[i / 8] ^ net->addr[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* @a and @b share an address: one lies inside the other. */
bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	return cidr_within(a, b) || cidr_within(b, a);
}

/* "NET/LEN" of @c with the host bits cleared. */
const char *cidr_net_str(const struct cidr *c, char *buf, size_t n)
{
	unsigned char a[16] = {0};
	char s[INET6_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < c->len; i++)
		a[i / 8] |= c->addr[i / 8] & (0x80 >> (i % 8));
	inet_ntop(c->family, a, s, sizeof(s));
	snprintf(buf, n, "%s/%u", s, c->len);
	return buf;
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
 * and not group/other-writable. Lines: `user|group NAME bridge|address ITEM...`
 * and `user|group NAME limit N`. Returns true if a line for @uid (or one of
 * its groups) grants @kind @arg; *@limit is the highest `limit` of the lines
 * for @uid, ATTACH_LIMIT_DEFAULT if there is none.
 */
bool allowed(uid_t uid, const char *kind, const char *arg, const struct cidr *want,
	     unsigned int *limit)
{
	char path[] = VACMLAB_ATTACH_CONF, line[1024], *save = NULL, *p, *slash, *tok[3];
	struct passwd *pw = getpwuid(uid);
	gid_t groups[256];
	int ngroups = 256, dfd = open_checked(AT_FDCWD, "/", "/", 0, false, false), fd, lineno = 0,
	    i;
	bool ok = false, limited = false;
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
		if (!tok[2] || (strcmp(tok[2], "bridge") && strcmp(tok[2], "address") &&
				strcmp(tok[2], "limit")))
			die("line %d of %s: expected `user|group NAME bridge|address|limit "
			    "ITEM...`",
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
		if (!strcmp(tok[2], "limit")) {
			char *n = strtok_r(NULL, " \t\r\n", &save), *end;
			unsigned long v;

			errno = 0;
			v = n ? strtoul(n, &end, 10) : 0;
			if (!n || !isdigit((unsigned char)n[0]) || errno || *end || v > 1024 ||
			    strtok_r(NULL, " \t\r\n", &save))
				die("line %d of %s: expected `limit N` (N: 0 to 1024)", lineno,
				    VACMLAB_ATTACH_CONF);
			if (me && (!limited || v > *limit))
				*limit = v, limited = true;
			continue;
		}
		while ((p = strtok_r(NULL, " \t\r\n", &save))) {
			struct cidr net;

			if (!strcmp(tok[2], "address") && !cidr_parse(p, &net))
				die("line %d of %s: invalid CIDR '%s'", lineno, VACMLAB_ATTACH_CONF,
				    p);
			if (me && kind && !strcmp(tok[2], kind))
				ok |= want ? cidr_within(want, &net) : !strcmp(p, arg);
		}
	}
	fclose(f);
	if (!limited)
		*limit = ATTACH_LIMIT_DEFAULT;
	return ok;
}

/*
 * The lab's runtime dir, derived from the verified uid only (never from the
 * environment): /run/user/UID/vacmlab/LAB if /run/user/UID exists, else
 * /tmp/vacmlab-UID/LAB. Every component below the root-owned top (/run/user
 * or /tmp) must be a real directory owned by @uid and not group/other
 * writable. Returns the supervisor's pid from LAB/supervisor.pid.
 */
pid_t lab_pid(uid_t uid, const char *lab)
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
	/* fstat on the fd read: a FIFO, a device or someone else's file (a
	 * hard link) is refused before a byte of it is read. */
	fd = openat(dfd, "supervisor.pid",
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		die("%s is a symlink: refused", path);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("lab %s is not running? %s: %s", lab, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s is not a regular file: refused", path);
	if (st.st_uid != uid)
		die("%s is not owned by uid %u: refused", path, (unsigned)uid);
	if ((n = read(fd, txt, sizeof(txt) - 1)) < 0)
		die("%s: %s", path, strerror(errno));
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
int lab_netns(pid_t pid, uid_t uid, const char *lab)
{
	char p[64];
	int pfd = syscall(SYS_pidfd_open, pid, 0), ns, userns = -1;
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
	/* Not a network namespace, the helper's own, one of the initial user
	 * namespace (made by root) or one whose user namespace another uid
	 * owns: one answer for all, which says nothing about whose it is. */
	if (ioctl(ns, NS_GET_NSTYPE) != CLONE_NEWNET || same_inode(ns, "/proc/self/ns/net") ||
	    (userns = ioctl(ns, NS_GET_USERNS)) < 0 || same_inode(userns, "/proc/self/ns/user") ||
	    ioctl(userns, NS_GET_OWNER_UID, &owner) < 0 || owner != uid)
		die("lab %s: pid %d is not in a network namespace of yours (uid %u): refused", lab,
		    (int)pid, (unsigned)uid);
	close(userns);
	return ns;
}

/*
 * The host end vlNAME, the lab end vxNAME and the host end's MAC, from the
 * caller's uid, LAB and LAN: NAME is base32 (a-z, 2-7) of the first 65 bits
 * of SHA-256("UID\0LAB\0LAN\0"). A collision with another user's names
 * cannot be made on purpose (a second preimage of 65 bits), and if one
 * happened the tag (ATTACH_TAG) still decides who owns a host end. The MAC
 * is fe: and five more bytes of the digest: fixed, locally administered,
 * and above any NIC's, so a bridge that follows its lowest port would not
 * pick it (the bridge's MAC is pinned anyway, see link_pin_mac).
 */
void attach_names(uid_t uid, const char *lab, const char *lan, char host[IFNAMSIZ],
		  char inner[IFNAMSIZ], unsigned char mac[6])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char d[SHA256_DIGEST_SIZE];
	char id[16], name[14];
	struct sha256_ctx ctx;
	unsigned int i, j, v;

	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	/* Each field with its NUL, so that fields cannot run together. */
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(id) + 1, (const uint8_t *)id);
	sha256_update(&ctx, strlen(lab) + 1, (const uint8_t *)lab);
	sha256_update(&ctx, strlen(lan) + 1, (const uint8_t *)lan);
	sha256_digest(&ctx, sizeof(d), d);
	for (i = 0; i < 13; i++) {
		for (v = 0, j = 5 * i; j < 5 * i + 5; j++)
			v = v << 1 | ((d[j / 8] >> (7 - j % 8)) & 1);
		name[i] = b32[v];
	}
	name[13] = 0;
	snprintf(host, IFNAMSIZ, "vl%s", name);
	snprintf(inner, IFNAMSIZ, "vx%s", name);
	mac[0] = 0xfe;
	memcpy(mac + 1, d + 9, 5);
}
