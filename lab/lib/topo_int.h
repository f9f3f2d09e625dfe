/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * topo_int.h - private to the topology parser (topo_load.c, topo_keys.c,
 * topo_values.c, topo_check.c, topo_err.c, topo.c): the parser state, the
 * key slots the checks refer to, and the functions the files share. Calls
 * go one way: load -> keys -> values -> check -> err, topo.c at the bottom.
 */
#ifndef VACMLAB_TOPO_INT_H
#define VACMLAB_TOPO_INT_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>

#include "lab/lib/rundir.h"
#include "lab/lib/topo.h"

/* Far above any real lab; keeps the pairwise checks (names, ports) cheap. */
#define TOPO_SECTIONS_MAX 512

enum sect {
	SECT_NONE, /* before any section header */
	SECT_BAD,  /* an erroneous header: keys are ignored */
	SECT_LAB,
	SECT_LAN,
	SECT_NODE,
	SECT_HOST,
	SECT_MACHINE,
	SECT_DEVICE,
};

/*
 * Key slots per section: the index of a key in its table (topo_keys.c) and
 * of the line it was first seen on in kl[]. A new key gets a slot here, a
 * line in its section's table and a parser function, all in topo_keys.c
 * but the slot.
 */
enum {
	LABK_NAME,
	LABK_DOMAIN,
	LABK_MACHINE,
	LABK_DISK,
	LABK_CPU,
	LABK_ACCEL,
	LABK_BOOT_PARALLEL,
	LABK_LOG_MAX,
	LABK_DHCP_PING,
	LABK_BOOT_YIELD,
	LABK_CONFINE,
	LABK_N
};
enum {
	LANK_SUBNET,
	LANK_ADDRESS,
	LANK_DHCP,
	LANK_UPLINK,
	LANK_HOME,
	LANK_VNI,
	LANK_SUBNET6,
	LANK_DHCP_OPTION,
	LANK_VENDOR_CLASS,
	LANK_ZTP,
	LANK_TFTP,
	LANK_N
};
enum {
	NODEK_IMAGE,
	NODEK_MEMORY,
	NODEK_CPUS,
	NODEK_NIC,
	NODEK_NIC_MODEL,
	NODEK_SERIAL,
	NODEK_READY,
	NODEK_TIMEOUT,
	NODEK_FORWARD,
	NODEK_IMPAIR,
	NODEK_MACHINE,
	NODEK_DISK,
	NODEK_CPU,
	NODEK_QEMU_ARGS,
	NODEK_CONFIG,
	NODEK_NVLOG,
	NODEK_RETRIES,
	NODEK_AFTER,
	NODEK_ON,
	NODEK_DHCP_OPTION,
	NODEK_VENDOR_CLASS,
	NODEK_ZTP,
	NODEK_USB,
	NODEK_N
};
enum {
	HOSTK_NIC,
	HOSTK_COMMAND,
	HOSTK_IMPAIR,
	HOSTK_ON,
	HOSTK_SERVE,
	HOSTK_N
};
enum {
	DEVK_COMMAND,
	DEVK_RESTART,
	DEVK_N
};
enum {
	MACHK_ADDRESS,
	MACHK_PORT,
	MACHK_N
};

#define KEYS_MAX 32

/* An impair line, applied to NICs once all NICs of the owner are known. */
struct pimpair {
	int eth; /* -1: every NIC of the owner */
	struct impair im;
	int line;
};

/* Parser-side extras of a section: where each key was first seen. */
struct pextra {
	int kl[KEYS_MAX];
	struct pimpair *imp;
	int n_imp;
	char *image_raw; /* as written */
	bool addr_set, dhcp_set, subnet_set;
	bool subnet6_set;
};

/* A host-side listener (serial tcp:PORT, forward): unique per lab. */
struct listener {
	enum forward_proto proto;
	struct in_addr addr;
	int port;
	const char *owner; /* node name (owned by the topo) */
	int serial_idx;	   /* ttySn, or -1 for a forward */
	int line;
};

/* A fixed address and who uses it. */
struct fixed {
	struct in_addr addr;
	const char *kind;
	const char *owner;
	int line;
};

/* A fixed IPv6 address and who uses it. */
struct fixed6 {
	struct in6_addr addr;
	const char *kind;
	const char *owner;
	int line;
};

struct parser {
	const char *buf;
	size_t len, pos;
	int line;

	struct topo *t;
	struct topo_err *err; /* every error so far */
	bool no_resolve;      /* TOPO_LOAD_NO_RESOLVE */

	enum sect sect;
	int cur;	/* index into lans/nodes/hosts */
	char label[64]; /* "[node vacm1]" for messages */
	int lab_line;
	int lab_kl[KEYS_MAX];

	struct pextra *lan_x, *node_x, *host_x, *mach_x, *dev_x;
	struct listener *lis;
	int n_lis;
	struct fixed *fixed;
	int n_fixed;
	struct fixed6 *fixed6;
	int n_fixed6;
};

/* ---- topo_err.c: the error list */

/* Add an error to @err (file already set); -1. */
int topo_err_add(struct topo_err *err, int line, bool env, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error of the file at @line (0: the whole file); returns -1. */
int topo_perr(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, for the machine's fault (an image missing): exit 2. */
int topo_perr_env(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sort the list by line and fill the first-error fields. */
void topo_err_finish(struct topo_err *err);
/* The candidate closest to @word (a typo of it), or NULL if none is close. */
const char *topo_suggest(const char *word, const char *const *cands, int n);

static inline bool topo_failed(const struct parser *p)
{
	return p->err->n > 0 || p->err->n_dropped > 0;
}

/* ---- topo_keys.c: one name = value pair of the current section */
int topo_key(void *user, const char *section, const char *name, const char *value);
/* The defaults of a new [node] (its keys' defaults live beside them). */
void topo_node_defaults(struct node *nd);

/* ---- topo_values.c: structured values; each adds its error and returns */
/* A decimal integer in [min, max], digits only: 0, -1 not a number, -2 out
 * of range. */
int topo_parse_int(const char *s, long min, long max, long *out);
void topo_value_int(struct parser *p, const char *key, const char *value, long min, long max,
		    const char *unit, int *out);
/* A known QEMU NIC model: 0, or -1 (error added). */
int topo_value_model(struct parser *p, const char *m);
void topo_value_nic(struct parser *p, const char *value, struct nic **nics, int *n_nics,
		    const char *kind, const char *owner);
void topo_value_serial(struct parser *p, struct node *nd, const char *value);
void topo_value_ready(struct parser *p, struct node *nd, const char *value);
void topo_value_forward(struct parser *p, struct node *nd, const char *value);
void topo_value_impair(struct parser *p, struct pextra *x, const char *value);
/* subnet = and subnet6 = of a [lan] (the CIDR grammars and the ranges a
 * LAN may not use). */
void topo_value_subnet(struct parser *p, struct lan *lan, const char *value);
void topo_value_subnet6(struct parser *p, struct lan *lan, const char *value);

/* ---- topo_prov.c: provisioning keys (dhcp_option, vendor_class, ztp,
 * tftp, serve, usb) and their whole-file check (ZTP URLs resolved) */
void topo_key_dhcp_option(struct parser *p, const char *value);
void topo_key_vendor_class(struct parser *p, const char *value);
void topo_key_ztp(struct parser *p, const char *value);
void topo_key_tftp(struct parser *p, const char *value);
void topo_key_serve(struct parser *p, const char *value);
void topo_key_usb(struct parser *p, const char *value);
void topo_prov_check(struct parser *p);

/* ---- topo_check.c: names, and the checks of the whole file */
const char *topo_check_domain(const char *s);
/* A lan/node/host name and its uniqueness; 0 or -1 (error added). */
int topo_check_name(struct parser *p, const char *name);
void topo_check_all(struct parser *p);
/* topo_cable.c: cables between nodes (before the nodes' own checks, which
 * read the far ends), and cables between machines (after check_machines). */
void topo_check_cables(struct parser *p);
void topo_check_cable_machines(struct parser *p);
/* topo_cable.c: [device NAME] keys, and the ports that use devices. */
void topo_device_command(struct parser *p, const char *value);
void topo_device_restart(struct parser *p, const char *value);
void topo_check_devices(struct parser *p);

/* ---- topo.c */
/* Free what a struct dhcp_set holds. */
void topo_dhcp_set_free(struct dhcp_set *d);
/* Join @dir and @rel, dropping "." and ".." lexically. */
char *topo_join_path(const char *dir, const char *rel);

/* topo_machines.c: placement over [machine] sections (topo_check_all). */
void topo_check_machines(struct parser *p);
/* Resolve @value, a DNS name, into @m (topo_machines.c); -1 after an error,
 * 1 if the name is kept unresolved (TOPO_LOAD_NO_RESOLVE). */
int topo_machine_resolve(struct parser *p, struct machine *m, const char *value);

/* topo_qemu.c: the qemu_args key of node @nd (split, checked, file
 * values made absolute); errors at p->line. */
void topo_qemu_args(struct parser *p, struct node *nd, const char *value);

/* ---- small inline helpers */

/* inet_ntoa without its static buffer. */
struct ipbuf {
	char s[INET_ADDRSTRLEN];
};

static inline struct ipbuf ip_str(struct in_addr a)
{
	struct ipbuf b;

	inet_ntop(AF_INET, &a, b.s, sizeof(b.s));
	return b;
}
#define IP(a) (ip_str(a).s)

/* The same for IPv6. */
struct ip6buf {
	char s[INET6_ADDRSTRLEN];
};

static inline struct ip6buf ip6_str(const struct in6_addr *a)
{
	struct ip6buf b;

	inet_ntop(AF_INET6, a, b.s, sizeof(b.s));
	return b;
}
#define IP6(a) (ip6_str(a).s)

static inline bool parse_ip6(const char *s, struct in6_addr *a)
{
	return inet_pton(AF_INET6, s, a) == 1;
}

static inline uint32_t h32(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static inline struct in_addr mk_addr(uint32_t h)
{
	struct in_addr a = {.s_addr = htonl(h)};

	return a;
}

static inline uint32_t prefix_mask(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

static inline bool parse_ip(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1;
}

#endif
