/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attach.h - what the three files of the privileged helper vacmlab-attach
 * share: attach_check.c (arguments, allow file, the lab and its namespace,
 * names), attach_nl.c (netlink, host and lab side), vacmlab-attach.c (main).
 */
#ifndef VACMLAB_ATTACH_H
#define VACMLAB_ATTACH_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libmnl/libmnl.h>

/* The tag in the host end's IFLA_IFALIAS: only root in the host's network
 * namespace can set it, so it is the one record of who owns a host end. */
#define ATTACH_TAG "vacmlab-attach uid=%u lab=%s lan=%s netns=%lu"
#define ATTACH_LIMIT_DEFAULT 8u

struct cidr {
	int family;
	unsigned int len;
	unsigned char addr[16];
};

struct link {
	uint32_t index, master;
	char name[IFNAMSIZ];
	char kind[16];	      /* IFLA_INFO_KIND, "" for none */
	char alias[256];      /* IFLA_IFALIAS, "" for none */
	unsigned char mac[6]; /* IFLA_ADDRESS, if 6 bytes long */
};

struct nl {
	struct mnl_socket *sk;
	unsigned int seq, portid;
};

void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);

/* attach_check.c */
bool name_ok(const char *s, size_t max, bool letter_first);
bool ifname_ok(const char *s);
bool cidr_parse(const char *s, struct cidr *c);
bool cidr_within(const struct cidr *in, const struct cidr *net);
bool cidr_overlap(const struct cidr *a, const struct cidr *b);
const char *cidr_net_str(const struct cidr *c, char *buf, size_t n);
bool allowed(uid_t uid, const char *kind, const char *arg, const struct cidr *want,
	     unsigned int *limit);
pid_t lab_pid(uid_t uid, const char *lab);
int lab_netns(pid_t pid, uid_t uid, const char *lab);
void attach_names(uid_t uid, const char *lab, const char *lan, char host[IFNAMSIZ],
		  char inner[IFNAMSIZ], unsigned char mac[6]);

/* attach_nl.c */
const char *nl_strerror(int e);
void nl_open(struct nl *nl, int nsfd, int selffd, const char *where);
int link_get(struct nl *nl, const char *name, struct link *l);
int link_up(struct nl *nl, uint32_t index, uint32_t master);
int link_del(struct nl *nl, uint32_t index, const char *name);
int link_tag(struct nl *nl, uint32_t index, const char *alias);
int link_pin_mac(struct nl *nl, const struct link *br);
int link_dump(struct nl *nl, void (*fn)(const struct link *l, void *data), void *data);
int veth_add(struct nl *nl, const char *host, const unsigned char mac[6], const char *inner,
	     int nsfd);
int addr_add(struct nl *nl, uint32_t index, const struct cidr *c);
void overlap_check(struct nl *nl, const struct cidr *c, const char *arg);

#endif
