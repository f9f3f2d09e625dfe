// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * landlock.c - confine QEMU and dnsmasq to their lab (see landlock.h).
 *
 * DOC: Theory of operation
 *
 * vacmlab runs programs it does not control on input it does not control:
 * QEMU with a topology's qemu_args (a topology may come from a stranger's
 * repository) and a guest that may find a bug in a device model. Landlock
 * lets an unprivileged process give up, for itself and every program it
 * execs, all access to the filesystem but what a ruleset grants. As
 * cloud-hypervisor does for itself, the rules are derived from the child's
 * own configuration: the supervisor knows each node's image, overlay,
 * sockets, logs and the files its qemu_args name (lab/sv/sv_node.c), and
 * the lab's dnsmasq files (lab/sv/sv_child.c).
 *
 * The stages, all in the child between fork and exec (spawn.c):
 *
 * 1. landlock_abi() asks the kernel for its ABI version. The rights a
 *    ruleset "handles" (denies unless granted) are masked to what that
 *    version knows, as the kernel's documentation describes: ABI 1 the
 *    basic filesystem rights, 2 REFER, 3 TRUNCATE, 4 TCP bind/connect,
 *    5 device ioctls, 6 scoping of abstract unix sockets and signals.
 *    A kernel without Landlock confines nothing and the lab still runs;
 *    `doctor` and `up` say so once (landlock_describe()).
 * 2. landlock_confine(): PR_SET_NO_NEW_PRIVS (needed to restrict oneself
 *    without CAP_SYS_ADMIN, and it stops a setuid program from regaining
 *    what the child gave up), landlock_create_ruleset(), then one
 *    landlock_add_rule() per path: each path is opened O_PATH, so a
 *    symlink grants its target, never the link's directory; a path that
 *    is not a directory gets only the file rights (the kernel refuses the
 *    others on a file). Missing paths are skipped.
 * 3. TCP: every bind and connect is denied but to the listed ports. QEMU
 *    needs none: its tcp: serial ports arrive as listening sockets made by
 *    `up`, its monitor is a unix socket. dnsmasq listens on UDP (not
 *    covered by Landlock) and TCP 53 for DNS.
 * 4. Scope (ABI 6): no abstract unix socket outside the child's domain,
 *    no signal to a process outside it.
 * 5. landlock_restrict_self(): from here on the child, and what it execs,
 *    is confined. Errors travel to the parent over spawn()'s sync pipe.
 *
 * Only system calls run in the child (no malloc): the rules are built by
 * the caller before fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>

#include "lab/lib/landlock.h"
#include "lab/lib/util.h"

/*
 * Debian 12's <linux/landlock.h> stops at ABI 2; the kernel that runs it
 * may be newer. The values below are the kernel's UAPI, which never
 * changes once released.
 */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

/* struct landlock_ruleset_attr as of ABI 6; older kernels are passed a
 * shorter size, so they never see fields they do not know. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;	     /* ABI 6 */
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

#define FS_ABI1                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |                              \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                          \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                              \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                              \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                            \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights that apply to a file (not a directory). */
#define FS_FILE                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

static uint64_t fs_handled(int abi)
{
	uint64_t fs = FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static uint64_t fs_rights(unsigned a)
{
	uint64_t r = 0;

	if (a & LL_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (a & LL_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (a & LL_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	if (a & LL_CREATE)
		r |= LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM |
		     LANDLOCK_ACCESS_FS_REMOVE_FILE;
	if (a & LL_DEVICE)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

void ll_rules_add(struct ll_rules *r, const char *path, unsigned access)
{
	r->paths = xrealloc(r->paths, (size_t)(r->n_paths + 1) * sizeof(*r->paths));
	r->paths[r->n_paths].path = xstrdup(path);
	r->paths[r->n_paths].access = access;
	r->n_paths++;
}

void ll_rules_add_port(struct ll_rules *r, bool bind, int port)
{
	int **v = bind ? &r->bind_ports : &r->connect_ports;
	int *n = bind ? &r->n_bind : &r->n_connect;

	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof(int));
	(*v)[(*n)++] = port;
}

void ll_rules_free(struct ll_rules *r)
{
	for (int i = 0; i < r->n_paths; i++)
		free(r->paths[i].path);
	free(r->paths);
	free(r->bind_ports);
	free(r->connect_ports);
	memset(r, 0, sizeof(*r));
}

void ll_rules_add_system(struct ll_rules *r)
{
	/* Programs, libraries, QEMU's firmware and modules, zoneinfo.
	 * /lib* are symlinks into /usr on Debian 12 (merged /usr): they
	 * grant their targets; on an unmerged system, their own trees. */
	static const char *const rx[] = {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"};
	/* The loader's cache, time zone, TLS and QEMU's own config, name
	 * resolution: never all of /etc (it holds the machine's secrets). */
	static const char *const ro[] = {
		"/etc/ld.so.cache",
		"/etc/ld.so.preload",
		"/etc/localtime",
		"/etc/gnutls",
		"/etc/qemu",
		"/etc/libnl",
		"/etc/ssl",
		"/etc/hosts",
		"/etc/nsswitch.conf",
		"/etc/passwd",
		"/etc/group",
		"/etc/host.conf",
		"/etc/gai.conf",
		"/proc/self",
		"/proc/filesystems",
		"/proc/meminfo",
		"/proc/cpuinfo",
		"/proc/sys/vm/overcommit_memory",
		"/sys/devices/system",
		"/sys/bus",
		"/sys/kernel/mm",
		"/dev/urandom",
		"/dev/random",
	};

	for (size_t i = 0; i < sizeof(rx) / sizeof(rx[0]); i++)
		ll_rules_add(r, rx[i], LL_READ | LL_EXEC);
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		ll_rules_add(r, ro[i], LL_READ);
	ll_rules_add(r, "/dev/null", LL_READ | LL_WRITE);
}

int landlock_abi(const char **why)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (v >= 1)
		return (int)v;
	if (why)
		*why = errno == EOPNOTSUPP
			       ? "disabled at boot (add landlock to the lsm= list)"
			       : "not built into this kernel (CONFIG_SECURITY_LANDLOCK)";
	return 0;
}

static int add_port(int ruleset, uint64_t right, int port)
{
	struct ll_net_port np = {.allowed_access = right, .port = (uint64_t)port};

	return (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0);
}

int landlock_confine(const struct ll_rules *r, const char **what)
{
	int abi = landlock_abi(NULL), rs;
	struct ll_ruleset_attr attr = {0};
	size_t attr_size = sizeof(attr.handled_access_fs);
	uint64_t handled;

	*what = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (abi < 1)
		return 0;
	handled = attr.handled_access_fs = fs_handled(abi);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	*what = "landlock_create_ruleset";
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0)
		return -1;
	for (int i = 0; i < r->n_paths; i++) {
		struct ll_path_beneath pb = {0};
		struct stat st;

		pb.parent_fd = open(r->paths[i].path, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
				continue; /* nothing there to grant */
			*what = r->paths[i].path;
			goto fail;
		}
		pb.allowed_access = fs_rights(r->paths[i].access) & handled;
		if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= FS_FILE;
		if (pb.allowed_access &&
		    syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0) {
			int e = errno;

			close(pb.parent_fd);
			errno = e;
			*what = r->paths[i].path;
			goto fail;
		}
		close(pb.parent_fd);
	}
	if (abi >= 4) {
		*what = "landlock_add_rule (TCP port)";
		for (int i = 0; i < r->n_bind; i++)
			if (add_port(rs, LL_NET_BIND_TCP, r->bind_ports[i]) < 0)
				goto fail;
		for (int i = 0; i < r->n_connect; i++)
			if (add_port(rs, LL_NET_CONNECT_TCP, r->connect_ports[i]) < 0)
				goto fail;
	}
	*what = "landlock_restrict_self";
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		goto fail;
	close(rs);
	return 0;
fail : {
	int e = errno;

	close(rs);
	errno = e;
	return -1;
}
}

bool landlock_wanted(void)
{
	const char *v = getenv("VACMLAB_CONFINE");

	return !(v && (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
		       !strcasecmp(v, "false")));
}

bool landlock_describe(char *buf, size_t len)
{
	const char *why = NULL;
	int abi = landlock_abi(&why);

	if (!abi) {
		snprintf(buf, len,
			 "Landlock %s: QEMU and dnsmasq run unconfined (only -sandbox and "
			 "no_new_privs)",
			 why);
		return false;
	}
	if (abi < 4) {
		snprintf(buf, len,
			 "Landlock ABI %d: files confined, but TCP needs ABI 4 (Linux 6.7): QEMU "
			 "may connect anywhere the lab's network reaches",
			 abi);
		return false;
	}
	snprintf(buf, len, "Landlock ABI %d: QEMU and dnsmasq are confined to their lab's files",
		 abi);
	return true;
}
