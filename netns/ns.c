// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ns.c - create or join the lab's user + network namespaces.
 *
 * The order of the id maps matters (as in bubblewrap): an unprivileged
 * process may write its own uid_map once, must write "deny" to setgroups
 * before it may write gid_map, and nothing may call setgroups() afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/ns.h"

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(text);

	if (fd < 0)
		return -errno;
	n = write(fd, text, (size_t)len);
	if (n != len) {
		int e = n < 0 ? -errno : -EIO;

		close(fd);
		return e;
	}
	return close(fd) < 0 ? -errno : 0;
}

int ns_enter_new(uid_t uid, gid_t gid, const char **step)
{
	char map[64];
	int r;

	*step = "unshare";
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -errno;
	*step = "uid_map";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	r = write_proc("/proc/self/uid_map", map);
	if (r)
		return r;
	/* Must precede gid_map for an unprivileged writer (Linux >= 3.19). */
	*step = "setgroups";
	r = write_proc("/proc/self/setgroups", "deny\n");
	if (r && r != -ENOENT)
		return r;
	*step = "gid_map";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	return write_proc("/proc/self/gid_map", map);
}

static int join_one(pid_t pid, const char *which, int nstype)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, which);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, nstype) < 0)
		r = -errno;
	close(fd);
	return r;
}

int ns_join(pid_t user_pid, pid_t net_pid)
{
	int r;
	char self[64], target[64], path[64];
	ssize_t a, b;

	/* Already in that user namespace (e.g. the supervisor itself or a
	 * root caller that shares it): setns would fail with EINVAL. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)user_pid);
	a = readlink("/proc/self/ns/user", self, sizeof(self) - 1);
	b = readlink(path, target, sizeof(target) - 1);
	if (a > 0 && b > 0) {
		self[a] = target[b] = '\0';
		if (strcmp(self, target) == 0)
			goto net;
	}
	r = join_one(user_pid, "user", CLONE_NEWUSER);
	if (r)
		return r;
net:
	return join_one(net_pid > 0 ? net_pid : user_pid, "net", CLONE_NEWNET);
}

int ns_lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

int ns_sysctl(const char *key, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	return write_proc(path, value);
}
