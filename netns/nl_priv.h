/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl_priv.h - what netns/nl.c shares with the other files of netns/ (tc.c):
 * the socket object and the one translation of libnl errors to errno.
 * Not for use outside netns/.
 */
#ifndef VACMLAB_NETNS_NL_PRIV_H
#define VACMLAB_NETNS_NL_PRIV_H

#include <netlink/netlink.h>

struct nlx {
	struct nl_sock *sk;
};

/* nl_errno() - libnl's -NLE_* code @nle as 0 or a negative errno. */
int nl_errno(int nle);

/* ifindex_of() - the index of interface @name, or -errno. */
int ifindex_of(const char *name);

#endif
