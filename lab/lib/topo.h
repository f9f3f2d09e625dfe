/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * topo.h - the topology model: what a topology file describes, resolved.
 *
 * topo_load() parses an INI file with inih and validates it. Parsing is pure
 * (no network, no processes); the only outside look is whether each image
 * file exists. Every error carries the file and line it refers to.
 *
 * The parser is five files: topo_load.c (reading, sections), topo_keys.c
 * (the key tables, one parser per key), topo_values.c (the structured
 * values: nic, serial, ready, forward, impair), topo_check.c (names and the
 * whole-file checks), topo_machines.c (placement over [machine] sections),
 * topo_qemu.c (qemu_args), topo_err.c (the error list, did-you-mean); topo.c
 * holds the model's helpers below. topo_int.h is their private header.
 */
#ifndef VACMLAB_TOPO_H
#define VACMLAB_TOPO_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "lab/lib/accel.h"
#include "lab/lib/dhcpopt.h"
#include "lab/lib/impair.h"
#include "lab/lib/machine.h"

#define TOPO_NAME_MAX 12   /* longest lab/lan/node/host name */
#define TOPO_MAX_NICS 8	   /* per node or host: eth0..eth7 */
#define TOPO_MAX_SERIAL 16 /* ttyS0..ttyS3 + three pci-serial-4x */
#define TOPO_MAX_FORWARDS 32
#define TOPO_READY_TIMEOUT_DEFAULT 120

enum serial_kind {
	SERIAL_CONSOLE, /* supervisor-owned, logged, attachable */
	SERIAL_LOOP,	/* real loopback: FIFO behind a pipe chardev */
	SERIAL_RINGBUF, /* QEMU ring buffer, readable over QMP */
	SERIAL_TCP,	/* telnet listener on host loopback, port in .tcp_port */
	SERIAL_UNIX,	/* unix socket in the runtime dir */
	SERIAL_LOG,	/* output to a log file only */
	SERIAL_NONE,	/* port exists, nothing attached */
	SERIAL_CABLE,	/* a null-modem cable to another node's port, relayed */
	SERIAL_DEVICE,	/* a [device]'s pseudo-terminal, relayed as a cable */
	SERIAL_PTY,	/* a host pseudo-terminal (RUNDIR/NODE/ttySN.pty), relayed as a cable */
};

/* The standard rates a paced cable accepts (cable:NODE@BAUD). */
#define TOPO_BAUD_MAX 4000000

struct serial_port {
	enum serial_kind kind;
	int tcp_port; /* SERIAL_TCP only */
	int line;     /* of the serial = key */
	/* SERIAL_CABLE: both ends name the other (topo_cable.c fills in the
	 * end the cable was not declared on). */
	char *peer;	/* the other end's node (SERIAL_DEVICE: the device) */
	int peer_port;	/* ... and its ttyS index */
	int baud;	/* paced to BAUD/10 bytes a second; 0: unpaced */
	bool cable_far; /* not the declaring end (it owns no log) */
};

/* Readiness conditions: a node is ready when every one it lists holds, in
 * any order (ready = dhcp console "login:"); none: as soon as QEMU runs. */
enum ready_cond {
	READY_DHCP = 1,	   /* every NIC has its lease and its address answers */
	READY_CONSOLE = 2, /* regex seen on the console port */
	READY_TCP = 4,	   /* TCP port open on the node's first address */
};
#define READY_CONDS 3

struct ready {
	unsigned conds; /* enum ready_cond bits; 0 with none */
	bool none;
	char *regex;   /* READY_CONSOLE: POSIX extended regex */
	int port;      /* READY_TCP */
	int timeout_s; /* bounded wait, default 120 */
};

/* A machine of a lab larger than one ([machine NAME]); see docs/multi-machine.md. */
struct machine {
	char *name;
	struct in_addr addr; /* underlay address: peers send VXLAN here */
	char *host;	     /* the DNS name `address` gave, or NULL */
	int port;	     /* VXLAN UDP port, default TOPO_VXLAN_PORT */
	int line;
};

#define TOPO_VXLAN_PORT 4789

/*
 * The DHCP options of a [lan] (its clients) or a [node] (its NICs):
 * `dhcp_option =` lines, `vendor_class =`, `ztp =` (docs/provisioning.md).
 * After topo_load() the ZTP's option 43 is one of opts[], its URLs with
 * their host names resolved to the lab's addresses.
 */
struct dhcp_set {
	struct dhcpopt *opts;
	int *opt_lines;
	int n_opts;
	char *vendor_class; /* only clients whose option 60 holds this get opts[] */
	char *ztp_config;   /* as written */
	char *ztp_firmware; /* as written, or NULL */
	int ztp_line;
};

struct lan {
	char *name;			 /* also the bridge's interface name in the lab */
	struct in_addr net;		 /* network address */
	int prefix;			 /* 0..30 */
	struct in_addr addr;		 /* lab side of the bridge: gateway, DHCP, DNS */
	struct in_addr dhcp_lo, dhcp_hi; /* dynamic range; 0.0.0.0 if none */
	char *uplink;			 /* NULL or "pasta" */
	/* Machines (only with [machine] sections; else all 0/NULL). */
	char *home_name;      /* [lan] home =, as written */
	struct machine *home; /* runs the LAN's DHCP; resolved */
	uint32_t vni;	      /* [lan] vni =, else derived */
	uint32_t machines;    /* bit i: t->machines[i] has a member */
	/* IPv6 (subnet6 = PREFIX/64); without it the LAN is IPv4 only. */
	bool has6;
	struct in6_addr net6;  /* the /64 */
	struct in6_addr addr6; /* the bridge's: PREFIX::254 (TOPO_LAN6_HOST) */
	struct dhcp_set dhcp;
	char *tftp_dir; /* tftp = DIR: dnsmasq's read-only TFTP on the bridge; absolute */
	int line;
};

/* IPv6 on a LAN: the bridge's interface ID, and the DHCPv6 pool's. */
#define TOPO_LAN6_HOST 0x254
#define TOPO_LAN6_POOL_LO 0x100
#define TOPO_LAN6_POOL_HI 0x1ff

struct nic {
	char *lan_name;
	struct lan *lan;       /* resolved */
	struct in_addr addr;   /* fixed address; 0.0.0.0 if dynamic */
	struct in6_addr addr6; /* fixed IPv6 address; :: if none */
	uint8_t mac[6];	       /* derived from lab, owner and index */
	char ifname[16];       /* lab-side tap/veth name, e.g. "vacm1-0" */
	char *model;	       /* QEMU NIC model (nodes only) */
	struct impair impair;
	int line;
};

enum forward_proto {
	FORWARD_TCP,
	FORWARD_UDP,
};

/* A UDP forward closes a client's socket after this many idle seconds
 * (`idle=SECONDS`, `vacmlab forward --idle`). */
#define FORWARD_UDP_IDLE_DEFAULT 60
#define FORWARD_UDP_IDLE_MAX 86400

struct forward {
	enum forward_proto proto;
	char *host_addr; /* "127.0.0.1" by default */
	int host_port;
	int guest_port;
	int idle_s; /* udp: idle timeout per client, FORWARD_UDP_IDLE_DEFAULT */
	int line;
};

struct node {
	char *name;
	char *image;	 /* absolute path */
	int memory_mb;	 /* 16..65536, default 256 */
	int cpus;	 /* 1..64, default 1 */
	char *nic_model; /* default "virtio-net-pci" */
	struct nic *nics;
	int n_nics;
	struct serial_port serial[TOPO_MAX_SERIAL];
	int n_serial; /* default 1: console */
	struct ready ready;
	struct forward *forwards;
	int n_forwards;
	enum machine_type machine; /* default pc: what -hda boots */
	enum disk_bus disk;	   /* resolved: never DISK_AUTO after topo_load */
	char *cpu;		   /* QEMU -cpu, or NULL for QEMU's default */
	char **qemu_args;	   /* extra QEMU words (NULL-terminated), or NULL */
	char *config_seed;	   /* config = PATH: sda3 on first boot; absolute, or NULL */
	char *nvlog_seed;	   /* nvlog = PATH: sda4 on first boot */
	int retries;		   /* restarts of a node that fails to become ready, default 0 */
	char **after;		   /* start once these nodes are ready (names) */
	int *after_idx;		   /* ... as indices into topo.nodes (after validation) */
	int n_after;
	int after_line;
	/* A lab over machines: `on = NAME` (`machine` is the QEMU machine type). */
	char *on_name;	    /* as written */
	struct machine *on; /* resolved; NULL without [machine] sections */
	struct dhcp_set dhcp;
	char *usb; /* usb = DIR|IMAGE: a USB key at boot; absolute, or NULL */
	int line;
};

/* A test-service host: a network namespace in the lab running a command. */
struct host {
	char *name;
	struct nic *nics;
	int n_nics;
	char *command;	    /* run with /bin/sh -c */
	char *serve_dir;    /* serve = DIR: a static HTTP server; absolute, or NULL */
	int serve_port;	    /* serve = DIR port=N, default 80 */
	char *on_name;	    /* on = NAME, as written */
	struct machine *on; /* resolved; NULL without [machine] sections */
	int line;
};

/* [device NAME]: a program on a node's serial port (serial = device:NAME),
 * its stdin/stdout and controlling terminal a pseudo-terminal. */
struct device {
	char *name;
	char *command; /* run with /bin/sh -c */
	bool restart;  /* started again when it exits */
	int line;
	const char *node; /* the port using it (topo_cable.c), or NULL */
	int port;
};

struct topo {
	char *path;	   /* as given */
	char *dir;	   /* absolute directory of the file */
	char *name;	   /* [lab] name, default: file basename sans .conf */
	char *domain;	   /* DNS domain, default: lab name */
	long long log_max; /* bytes per log file before it rotates; 0: no limit */
	struct lan *lans;
	int n_lans;
	struct node *nodes;
	int n_nodes;
	struct host *hosts;
	int n_hosts;
	struct device *devices;
	int n_devices;
	/* [lab] defaults of the nodes' machine model, and the accelerator */
	enum machine_type machine;
	enum disk_bus disk; /* DISK_AUTO: the machine's */
	char *cpu;
	enum accel_mode accel; /* ACCEL_AUTO unless [lab] accel = ... */
	bool accel_set;
	int accel_line;
	int boot_parallel; /* [lab] boot_parallel; 0: the default (see up) */
	bool dhcp_ping;	   /* [lab] dhcp_ping: dnsmasq pings an address before offering it */
	bool no_confine;   /* [lab] confine = no: no Landlock for QEMU and dnsmasq */
	bool no_boot_yield; /* [lab] boot_yield = no: ready nodes keep their share while others boot */
	struct machine *machines; /* at most TOPO_MACHINES_MAX */
	int n_machines;
	/* After topo_place(): the machine this is, and the nodes and hosts
	 * that live elsewhere (moved out of nodes/hosts: everything that runs
	 * things sees only this machine's part; dnsmasq sees both). */
	struct machine *here;
	struct node *away_nodes;
	int n_away_nodes;
	struct host *away_hosts;
	int n_away_hosts;
};

#define TOPO_MACHINES_MAX 32
#define TOPO_MAX_AFTER 16 /* nodes one node may wait for */

#define TOPO_ERRORS_MAX 20 /* errors kept per file; more are only counted */
#define TOPO_MSG_MAX 512

/* One error of a file. */
struct topo_error {
	int line; /* 0 if the error concerns the whole file */
	char msg[TOPO_MSG_MAX];
	bool env; /* the machine, not the file, is at fault */
};

/*
 * Every error found in one file, in line order, up to TOPO_ERRORS_MAX.
 * Errors of single lines (syntax, values, names) are all reported; the
 * checks that need the whole file (references, overlaps, images) run only
 * when the lines are clean, since a bad line would make them report
 * consequences. file/line/msg repeat the first error.
 */
struct topo_err {
	char file[256];
	int line; /* of the first error; 0 if it concerns the whole file */
	char msg[TOPO_MSG_MAX];
	bool env;      /* every error is the machine's fault (an image missing
			 * or unreadable): exit 2 */
	int n;	       /* errors in list[] */
	int n_dropped; /* further errors beyond TOPO_ERRORS_MAX */
	struct topo_error list[TOPO_ERRORS_MAX];
};

/* Parse and validate @path. On error returns -1 and fills @err. */
int topo_load(const char *path, struct topo **out, struct topo_err *err);
/* topo_load() with TOPO_LOAD_* flags. TOPO_LOAD_NO_RESOLVE: a `[machine]
 * address` that is a DNS name is kept as a name (machine.host), not
 * looked up, and its addr is 0.0.0.0 (`vacmlab kube`: the cluster's names). */
#define TOPO_LOAD_NO_RESOLVE 1u
int topo_load_flags(const char *path, unsigned flags, struct topo **out, struct topo_err *err);
/* Same for an in-memory text; @path is used for messages and relative paths. */
int topo_load_string(const char *text, const char *path, struct topo **out, struct topo_err *err);
void topo_free(struct topo *t);

/* The lab-name rule is lab_name_check() (lab/lib/rundir.h). */

/* Call @fn for every key the parser knows, with its section's kind ("lab",
 * "lan", "node", "host"): `vacmlab check --list-keys` and the man page test
 * read the key tables through this. */
void topo_keys_foreach(void (*fn)(const char *section, const char *key, void *arg), void *arg);

/* Print each error as "FILE:LINE: message" (or "FILE: message") to stderr. */
void topo_err_print(const struct topo_err *err);

struct lan *topo_find_lan(const struct topo *t, const char *name);
struct node *topo_find_node(const struct topo *t, const char *name);
struct host *topo_find_host(const struct topo *t, const char *name);

/* Derive a LAN's VXLAN network identifier: 1..2^24-1 from lab and LAN names. */
uint32_t topo_derive_vni(const char *lab, const char *lan);
/* Derive the MAC of NIC @idx of @owner in lab @lab: 52:54:00 + 24 hash bits. */
void topo_derive_mac(const char *lab, const char *owner, int idx, uint8_t mac[6]);

/*
 * topo_place() - keep only @machine's part of a lab spread over machines:
 * nodes and hosts of other machines move to away_nodes/away_hosts and
 * t->here is set. @machine may be NULL only for a lab without [machine]
 * sections (then nothing changes).
 * Return: 0, or -1 with @e (EXIT_CONFIG: --machine missing or unknown).
 */
int topo_place(struct topo *t, const char *machine, struct vl_err *e);
/* The name of LAN @l's VXLAN device in the lab: "vx-LAN". */
void topo_vxlan_ifname(const struct lan *l, char dev[16]);
/* PREFIX::@iid of LAN @l's /64 (@iid at most 32 bits). */
struct in6_addr topo_lan6_addr(const struct lan *l, uint32_t iid);
/* Is @a unset (::)? */
bool topo_addr6_unset(const struct in6_addr *a);
/* Does LAN @l cross machines (members on two or more)? */
bool topo_lan_crosses(const struct topo *t, const struct lan *l);
/* Is @l served (DHCP, the bridge's address) on this machine? True without
 * machines. */
bool topo_lan_home_here(const struct topo *t, const struct lan *l);
/*
 * topo_lan_machine_addr() - the address of LAN @l's bridge on machine @m:
 * the LAN's own address on its home; elsewhere one derived from the top of
 * the subnet: machine i (in [machine] order) has the (i+1)-th address
 * counting down from the last usable one, the LAN's own address skipped
 * (docs/multi-machine.md). topo_check_machines() keeps it out of the DHCP
 * range and off every fixed address.
 */
struct in_addr topo_lan_machine_addr(const struct topo *t, const struct lan *l,
				     const struct machine *m);

/* The files a node's (checked) qemu_args name, absolute: what its QEMU's
 * Landlock rules grant. NULL-terminated, malloc'd (qemu_args_free). */
char **qemu_args_files(char *const *v);

const char *serial_kind_name(enum serial_kind k);
const char *ready_cond_name(enum ready_cond c);
/* The conditions as a topology would write them: dhcp console "login:" */
void ready_describe(const struct ready *r, char *buf, size_t len);

#endif
