/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ns.h - user and network namespaces: enter a new pair, or join a running
 * lab's. Returns 0 or -errno; the caller (lab/) explains the errno.
 */
#ifndef VACMLAB_NETNS_NS_H
#define VACMLAB_NETNS_NS_H

#include <sys/types.h>

/* unshare(CLONE_NEWUSER|CLONE_NEWNET) and map root in the new user
 * namespace to @uid/@gid outside. On failure *@step names what failed
 * ("unshare", "uid_map", "setgroups", "gid_map"). */
int ns_enter_new(uid_t uid, gid_t gid, const char **step);
/* Join @pid's user namespace, then its network namespace (that order:
 * the net namespace is owned by the user namespace), keeping credentials.
 * With @net_pid > 0 the network namespace is taken from that pid instead. */
int ns_join(pid_t user_pid, pid_t net_pid);
/* Bring lo up in the current network namespace (ioctl, no netlink). */
int ns_lo_up(void);
/* Write a sysctl under /proc/sys (e.g. "net/ipv4/ip_forward"). */
int ns_sysctl(const char *key, const char *value);

#endif
