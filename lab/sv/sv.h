/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sv.h - the supervisor's private state and the interfaces of its parts,
 * bottom first (a part calls only parts listed above it; tests/00-layers.t
 * checks that no two files call each other):
 *   loop.c        epoll registration with type tags (loop.h)
 *   sv_base.c     progress events, the first failure, node names/addresses,
 *                 a node's failure text, writing a control reply
 *   sv_qmp.c      one non-blocking QMP connection per node: commands,
 *                 replies, events (STOP, RESET, GUEST_PANICKED, ...)
 *   sv_port.c     serial ports: console fan-out, logs, ring buffer, the
 *                 `ready = console` matcher
 *   sv_cable.c    serial cables between nodes: relay, log, pull/plug, pacing
 *   sv_device.c   devices on serial ports: a program on a pty, a cable's far end
 *   sv_fwd.c      rootless port forwards (host loopback -> guest port)
 *   sv_udp.c      rootless UDP forwards: a datagram relay per client
 *   sv_status.c   the status JSON (schema: docs/control.md)
 *   sv_net.c      bridges, taps, impairments, test-service host namespaces
 *   sv_child.c    dnsmasq and host commands: start, exit, stop
 *   sv_peer.c     the underlay towards other machines: pasta's interface
 *                 without a default route, the read-only status endpoint
 *   sv_uplink.c   the rootless uplink (pasta)
 *   sv_node.c     QEMU per node: start, exit, what its VM events mean
 *   sv_ready.c    readiness probes (dhcp, tcp) and timeouts
 *   sv_down.c     the shutdown phase machine
 *   sv_life.c     a node's lifecycle on a running lab: stop, start,
 *                 restart, reset, kill, each request answered with its own
 *                 result
 *   sv_usb.c      a USB key in a running node (`vacmlab usb`)
 *   sv_rewire.c   apply on serial ports: devices, re-cabling without restart
 *   sv_break.c    a serial BREAK on a node's port (`vacmlab send --break`)
 *   sv_apply.c    a new topology for the running lab (`vacmlab apply`)
 *   sv_ctl.c      the control socket: the method table and its handlers
 *   sv_logs.c     bounds on the logs other programs write, and its own
 *   supervisor.c  supervisor_run(): the stages, the loop's dispatch, teardown
 */
#ifndef VACMLAB_SV_H
#define VACMLAB_SV_H

#include <netinet/in.h>
#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "lab/lib/error.h"
#include "lab/lib/logfile.h"
#include "lab/lib/match.h"
#include "lab/lib/topo.h"
#include "lab/sv/loop.h"
#include "lab/sv/supervisor.h"

#define SV_RING 16384 /* recent console output replayed to late joiners */

/* A node being stopped (sv_down.c): how far it had to go. */
enum stop_phase {
	SP_NONE,
	SP_POWERDOWN, /* QMP system_powerdown, pressed every 2 s */
	SP_QUIT,      /* QMP quit sent */
	SP_TERM,      /* SIGTERM sent */
	SP_KILL,      /* SIGKILL sent */
	SP_GAVE_UP,   /* unkillable: the namespace goes when it does */
};

enum node_state {
	NODE_PENDING, /* not started (--no-boot, or before launch) */
	NODE_QUEUED,  /* waiting for a boot slot (boot_parallel) or for after = */
	NODE_BOOTING,
	NODE_READY,
	NODE_STOPPING,
	NODE_EXITED, /* QEMU exited; see status */
	/* QEMU lives, its VM will not run again (QMP events, query-status). */
	NODE_VM_STOPPED,
	NODE_PANICKED,
	NODE_INTERNAL_ERROR,
	NODE_FAILED, /* on a running lab: did not become ready (node start) */
};

struct sv_port;

struct sv_client {
	int fd;
	struct sv_port *port;
	bool ro;
	char *out; /* pending output when the client is slow */
	size_t out_len;
	struct sv_client *next;
};

struct sv_node;
struct sv_cable;

struct sv_port {
	struct sv_node *node;
	int idx;
	enum serial_kind kind;
	int fd;		    /* console: our end of the socketpair */
	int qemu_fd;	    /* console: QEMU's end; tcp: the listener */
	int lfd_rw, lfd_ro; /* console: listening sockets in the run dir */
	struct logfile log; /* console: the port's log (sv_port.c) */
	char ring[SV_RING];
	size_t ring_len, ring_head;
	struct sv_client *clients;
	char *in; /* pending input to the guest */
	size_t in_len;
	unsigned long long bytes_out;
	char *log_path;
	struct sv_cable *cable; /* SERIAL_CABLE: the cable (sv_cable.c) */
	struct sv_device *pty;	/* SERIAL_PTY: the pty pair, the cable's far end */
};

/* A cable between two node ports (sv_cable.c); end[0] is where the
 * topology declared it. An end is NULL until its node first starts. */
struct sv_cable {
	struct sv_port *end[2];
	char *name[2]; /* the ends' nodes */
	int port[2];   /* ... and ports */
	bool pulled;
	int baud;		     /* paced: BAUD/10 bytes a second; 0 unpaced */
	int timer_fd;		     /* paced: the 10 ms timer */
	long long credit;	     /* paced: bytes that may go now */
	unsigned long long bytes[2]; /* carried from end[i] to the other */
	unsigned long long lost[2];  /* from end[i], dropped: pulled or far end down */
	int plugs[2];		     /* times end[i] was plugged (the log's "end back") */
	struct logfile log;	     /* both directions, one line a chunk */
	char *log_path;
	struct sv_cable *next;
};

/* A [device] (sv_device.c): its program, and the pty master as the far
 * end of the cable from its node's port (port.node is NULL). */
struct sv_device {
	struct device *cfg;
	struct sv_port port; /* fd: the pty master while the program runs */
	pid_t pid;
	int pidfd;
	int status; /* wait status of the last exit */
	bool started, exited;
	int restarts;
	long long restart_at; /* restart = yes: when to start it again; 0 none */
	char *pty;	      /* the slave's path, for status */
	int slave_fd;	      /* a pty port: the slave, held open (sv_pty_plug) */
};

/* What a pending QMP command's reply is for. */
enum qmp_want {
	QW_IGNORE, /* fire and forget (system_powerdown, quit) */
	QW_STATUS, /* query-status: record the run state */
	QW_CLIENT, /* a control client waits for it (`vacmlab snapshot` ...) */
};

struct sv_qmp_req {
	unsigned id;
	enum qmp_want want;
	int client_fd;
	char *line; /* the command, until it is sent */
	struct sv_qmp_req *next;
};

struct sv_qmp {
	int fd;
	bool connected; /* connect() done */
	bool ready;	/* greeting read and capabilities negotiated */
	long long next_connect;
	char *rbuf;
	size_t rlen, rcap;
	char *wbuf;
	size_t wlen;
	unsigned next_id;
	struct sv_qmp_req *reqs; /* in the order sent */
};

struct sv_node {
	struct node *cfg;
	int launch_idx; /* index in the topology `up` launched; -1: added by apply */
	enum node_state state;
	pid_t pid;
	int pidfd;
	int status; /* wait status once exited */
	long long t_start, t_ready, t_exit;
	int *tap_fds;
	struct sv_port ports[TOPO_MAX_SERIAL];
	struct line_matcher ready_lm; /* ready = console: the console's lines */
	regex_t re;
	bool have_re;
	int probe_fd; /* READY_TCP connect in flight */
	long long next_probe;
	bool killed; /* had to be killed on the way down */
	enum stop_phase stop;
	long long stop_deadline, next_press;
	enum node_op op; /* a control client waits in op_client (sv_life.c) */
	int op_client;
	/* Why this node failed on a running lab (NODE_FAILED, or a start that
	 * could not spawn QEMU): its own error, for its own client. */
	struct vl_err fail;
	char *dir, *qmp_path, *disk, *qemu_log;
	/* The VM as its QMP events and query-status tell it. */
	struct sv_qmp qmp;
	bool vm_running;
	char runstate[32];	 /* query-status "status": running, internal-error, ... */
	char vm_event[160];	 /* the last event that matters, for status and failures */
	int resets;		 /* RESET events since QEMU started (a burst counts once) */
	long long last_reset_ms; /* the last RESET event */
	/* Attempts: retries = N, and the KVM -> TCG fallback under accel auto. */
	int attempt;	       /* 1 for the first boot */
	bool use_kvm;	       /* this attempt runs under KVM */
	int boots;	       /* QEMU starts of this node (attempt logs are numbered so) */
	bool from_snapshot;    /* this QEMU started with -loadvm (sv->loadvm) */
	int yield_nice;	       /* its autogroup's nice as last set: 0, or 19 (sv_node_yield) */
	bool restart_pending;  /* QEMU is being stopped for another attempt */
	bool restart_is_retry; /* ... one of retries = (not the TCG fallback) */
	long long kill_at;     /* SIGKILL then, if QEMU has not exited */
	char restart_why[320];
	bool vm_status_seen;	      /* a query-status reply arrived */
	unsigned ready_met;	      /* enum ready_cond bits that hold this boot */
	unsigned nics_answered;	      /* ready = dhcp: NICs whose address answered a ping */
	bool nic_down[TOPO_MAX_NICS]; /* set_link false sent (`link down`) this boot */
	long long next_ping;
	/* The USB key in the node (`usb =`, `vacmlab usb insert`), or NULL:
	 * attached at each start, as a key left in the port would be. */
	char *usb_src;
	int usb_inserts; /* keys plugged in while running: block node names usbkeyN */
};

struct sv_lan {
	struct lan *cfg;
	const char *leases, *log; /* the lab's dnsmasq's (struct sv_dns) */
};

/* The lab's one dnsmasq, serving every LAN. */
struct sv_dns {
	pid_t pid;
	int pidfd;
	char *conf, *leases, *pidfile, *log;
};

struct sv_host {
	struct host *cfg;
	pid_t holder; /* holds the host's network namespace */
	int holder_pidfd;
	pid_t cmd_pid;
	int cmd_pidfd;
	int cmd_status;
	bool cmd_exited;
	char *log;
	bool nic_down[TOPO_MAX_NICS]; /* `link down` on the NIC's lab end */
};

struct sv_fwd;
struct sv_udp;
struct udp_client;

enum sv_phase {
	PH_STARTING,
	PH_RUNNING,
	PH_POWERDOWN, /* going down: every node is being stopped (sv_down.c) */
	PH_DONE,
};

struct sv {
	/* From `up` (struct sv_launch). */
	struct topo *t;
	const char *topo_path;
	char *rundir, *statedir, *logdir;
	char *qemu, *dnsmasq;
	bool no_boot, foreground, kvm;
	bool confine;		   /* Landlock for QEMU and dnsmasq (landlock.c) */
	struct accel_choice accel; /* asked, decided and why (client_up.c) */
	int boot_parallel;	   /* nodes booting at once */
	bool boot_parallel_auto;   /* the default, not asked for: it follows the accel */
	int autogroups;		   /* the kernel's sched_autogroup_enabled: -1 not read yet */
	const char *loadvm;
	const char *leases; /* to preload into the lease file, or NULL */
	int lock_fd;
	int sync_fd; /* to `up`; -1 once released (unless foreground) */
	int *fwd_listen;
	int n_fwd_listen;
	int **tcp_serial_fds;
	/* Own. */
	struct loop loop;
	int sigfd;
	int ctl_fd;
	int peer_fd; /* sv_peer.c: the status endpoint, -1 if none */
	struct nlx *nl;
	int ping_fd;		/* sv_ready.c's ICMP ping socket, 0 until needed */
	struct sv_node **nodes; /* [i] runs t->nodes[i] */
	struct sv_lan *lans;
	struct sv_dns dns;
	struct sv_host **hosts; /* [i] runs t->hosts[i] */
	struct sv_fwd *fwds;
	struct sv_udp *udps;
	struct sv_cable *cables;
	struct sv_device **devices; /* [i] runs t->devices[i] */
	enum sv_phase phase;
	enum stop_phase down_shown; /* the furthest "D" event sent */
	int down_timeout_ms;
	int down_client; /* ctl client waiting for the end of `down` */
	long long t0;
	/* The lab's failure while it comes up (sv_fail()): `up` prints it
	 * (E CODE + message on the sync pipe) and exits with its code. */
	struct vl_err fail;
	void *uplink;		  /* sv_uplink.c's state */
	struct in_addr uplink_gw; /* pasta's gateway: reaches the host's loopback */
	/* The runtime dir as it was at start (supervisor.c): a lab whose dir
	 * is gone is unreachable and shuts itself down. */
	int rundir_ino_fd; /* inotify on it, -1 if none */
	dev_t rundir_dev;
	ino_t rundir_ino;
	bool rundir_gone;
	long long next_rundir_check;
	/* The host ports of vacmlab's listeners (sv_uplink.c): this lab's as
	 * last published, every lab's as last put in the uplink's nft sets. */
	char *host_ports, *host_ports_all;
	long long next_host_ports;
	/* Bounded logs (sv_logs.c): when the logs are next measured. */
	long long next_log_check;
};

/* sv_base.c */
void sv_event(struct sv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sv_fail(struct sv *sv, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *node_state_name(enum node_state s);
struct in_addr sv_node_addr(struct sv *sv, struct sv_node *n);
void sv_node_set_ready(struct sv *sv, struct sv_node *n);
/* Readiness conditions @conds (enum ready_cond) of @n now hold; ready
 * once all of the node's do. */
void sv_node_cond_met(struct sv *sv, struct sv_node *n, unsigned conds);
/* Fail the lab for node @n: @what, its last console lines, QEMU's stderr. */
void sv_node_fail(struct sv *sv, struct sv_node *n, int code, const char *what);
void sv_describe_status(int st, char *buf, size_t len);
/* Write @j (reference stolen) as one line to control client @fd and close it. */
void sv_reply(struct sv *sv, int fd, json_t *j);
/* An error reply: {"ok":false,"error":TEXT,"code":EXIT_...}: the code is
 * the exit status the client reports it with (EXIT_CHILD for _err). */
void sv_reply_err(struct sv *sv, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sv_reply_errc(struct sv *sv, int fd, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct sv_node *sv_find_node(struct sv *sv, const char *name);
/* Remember that KVM cannot run guests on this machine (accel = auto goes
 * straight to TCG next time; lib/accel.c). */
/* boot_parallel's default: the host's CPUs under TCG, four times that under KVM. */
int sv_default_boot_parallel(bool kvm);
void sv_accel_broken(struct sv *sv, const char *reason);

/* sv_qmp.c */
/* Queue @cmd with @args (may be NULL; stolen) on @n's QMP connection. */
void sv_qmp_send(struct sv *sv, struct sv_node *n, const char *cmd, json_t *args,
		 enum qmp_want want, int client_fd);
/* Connect when QEMU is up and not yet connected (called every loop turn). */
void sv_qmp_tick(struct sv *sv, struct sv_node *n);
void sv_qmp_io(struct sv *sv, struct sv_node *n, uint32_t events);
/* QEMU is gone: fail what waits, forget the connection. */
void sv_qmp_close(struct sv *sv, struct sv_node *n);

/* sv_port.c */
int sv_port_prepare(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e);
/* Ports for the next attempt of a node restarted before it was ready. */
int sv_port_reopen(struct sv *sv, struct sv_node *n, int idx, int attempt, struct vl_err *e);
void sv_port_after_spawn(struct sv *sv, struct sv_port *p);
void sv_port_readable(struct sv *sv, struct sv_port *p);
void sv_port_writable(struct sv *sv, struct sv_port *p);
void sv_port_accept(struct sv *sv, struct sv_port *p, bool ro);
void sv_port_client_io(struct sv *sv, struct sv_client *c, uint32_t events);
void sv_port_close(struct sv *sv, struct sv_port *p);
/* Close everything of @p (listeners too, clients dropped): a node that
 * `apply` removes, or restarts with other serial ports. */
void sv_port_release(struct sv *sv, struct sv_port *p);
/* The last @n lines of a node's console log, malloc'd. */
char *sv_port_tail(struct sv_node *n, int lines);
/* Send @buf to @p's watchers and keep it for late joiners (a cable's
 * lines). */
void sv_port_broadcast(struct sv *sv, struct sv_port *p, const char *buf, size_t len);
/* ready = console: feed what node @p->node wrote on its ttyS0. */
void sv_port_match_ready(struct sv *sv, struct sv_port *p, const char *buf, size_t len);
/* Node @p->node runs on: make @p (prepared, its QEMU end kept) a port of
 * @kind: to a console its log and read-write listener; to a cable, device
 * or pty end (which the caller then plugs) without them, read-write
 * clients dropped, watchers kept. 0, or -1 with @e. */
int sv_port_rewire(struct sv *sv, struct sv_port *p, enum serial_kind kind, struct vl_err *e);

/* sv_cable.c */
/* Join node @n's port @idx (prepared by sv_port_prepare/reopen) to its
 * cable, made when the first end starts. 0, or -1 with @err. */
int sv_cable_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e);
void sv_cable_readable(struct sv *sv, struct sv_port *p);
void sv_cable_writable(struct sv *sv, struct sv_port *p);
/* A paced cable's timer fired. */
void sv_cable_tick(struct sv *sv, struct sv_cable *c);
/* Pull (@up false) or plug the cable on @n's port @idx; 0, or -1 with @err. */
int sv_cable_set(struct sv *sv, struct sv_node *n, int idx, bool up, struct vl_err *e);
/* Port @p goes away (apply): it leaves its cable, freed with its last end. */
void sv_cable_unplug(struct sv *sv, struct sv_port *p);
/* ports[] keys of a cable end (docs/control.md). */
json_t *sv_cable_json(struct sv_port *p);
/* A line in the cable's log and to its watchers ("device exited ..."). */
void sv_cable_note(struct sv *sv, struct sv_cable *c, const char *what);
/* Port @p is pulled from its cable (apply re-cables it, or its node goes):
 * @why in the cable's log, the bytes still queued to @p counted lost. */
void sv_cable_pull(struct sv *sv, struct sv_port *p, const char *why);
/* The far end @p (a device's pty) is back: note @what, read and write it. */
void sv_cable_end_back(struct sv *sv, struct sv_port *p, const char *what);

/* sv_device.c */
void sv_device_init(struct sv *sv, struct sv_device *d, struct device *cfg);
/* Start @n's port @idx's device if it is not running, and join the port
 * to it by a cable. 0, or -1 with @e. */
int sv_device_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e);
void sv_device_exited(struct sv *sv, struct sv_device *d);
/* A `pty` port: a pseudo-terminal pair made at the node's first start (its
 * slave linked at RUNDIR/NODE/ttySN.pty), the far end of the port's cable. */
int sv_pty_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e);
/* restart = yes: start exited devices again, a second after they exited. */
void sv_device_tick(struct sv *sv);
/* Kill every device's program (its whole PID namespace) and reap it. */
void sv_device_stop_all(struct sv *sv);
/* Kill @d's program (its whole PID namespace) and reap it, if it runs. */
void sv_device_stop(struct sv *sv, struct sv_device *d);
/* `apply` changed @d: its program killed and started again on a fresh
 * pty, the cable told @why. 0, or -1 with @e. */
int sv_device_restart(struct sv *sv, struct sv_device *d, const char *why, struct vl_err *e);
/* A `pty` port becomes another kind (apply): its pair closed, link gone. */
void sv_pty_drop(struct sv *sv, struct sv_port *p);
/* The device keys of a ports[] entry (docs/control.md). */
json_t *sv_device_json(struct sv_device *d);

/* sv_logs.c: the logs other programs write (QEMU's stderr and `log`
 * ports, dnsmasq's, host commands') and the supervisor's own, measured at
 * most once a second and rotated past [lab] log_max (lib/logfile.h). */
void sv_logs_tick(struct sv *sv);

/* sv_fwd.c */
int sv_fwd_add(struct sv *sv, int listen_fd, struct sv_node *n, int guest_port, const char *desc);
void sv_fwd_accept(struct sv *sv, struct sv_fwd *f);
void sv_fwd_io(struct sv *sv, void *conn, int fd, uint32_t events);
json_t *sv_fwd_json(struct sv *sv, struct sv_node *n);
void sv_fwd_close_all(struct sv *sv);
/* Reset every forwarded connection to @n (its QEMU exited). */
void sv_fwd_node_exited(struct sv *sv, struct sv_node *n);
/* Close the forwards to @n (removed by apply). */
void sv_fwd_node_removed(struct sv *sv, struct sv_node *n);

/* sv_udp.c: UDP forwards. sv_udp_add() takes @host_fd, a bound UDP
 * socket; @idle_s <= 0 means FORWARD_UDP_IDLE_DEFAULT. */
int sv_udp_add(struct sv *sv, int host_fd, struct sv_node *n, int guest_port, int idle_s,
	       const char *desc);
void sv_udp_host_io(struct sv *sv, struct sv_udp *u);
void sv_udp_guest_io(struct sv *sv, struct udp_client *c);
/* Closes clients idle too long; cheap to call every turn of the loop. */
void sv_udp_tick(struct sv *sv);
/* Appends @n's UDP forwards to @arr (the status' forwards[]). */
void sv_udp_json(struct sv *sv, struct sv_node *n, json_t *arr);
void sv_udp_close_all(struct sv *sv);
/* Closes every client socket to @n (its QEMU exited). */
void sv_udp_node_exited(struct sv *sv, struct sv_node *n);

/* sv_status.c */
json_t *sv_status_json(struct sv *sv);

/* sv_net.c */
int sv_net_build(struct sv *sv, struct vl_err *e);
void sv_net_impair(struct sv *sv, struct vl_err *e);
/* The parts of sv_net_build() that `apply` also uses on a running lab:
 * a LAN's bridge, a node's taps (and closing them, which removes them),
 * a node's impairments, a host's namespace and veths. */
int sv_net_lan_add(struct sv *sv, struct lan *l, struct vl_err *e);
int sv_net_node_taps(struct sv *sv, struct sv_node *n, struct vl_err *e);
void sv_net_node_untap(struct sv_node *n);
void sv_net_node_impair(struct sv *sv, struct node *n, struct vl_err *e);
int sv_net_host_add(struct sv *sv, struct sv_host *h, struct vl_err *e);
/*
 * sv_net_impair_nic() - set the impairment @im on @ifname (a tap or a
 * host's lab-side veth) in the directions it names, and clear it in the
 * others; @im NULL clears both. Return: 0 or -errno (see impair_hint()).
 */
struct impair;
int sv_net_impair_nic(struct sv *sv, const char *ifname, const struct impair *im);

/* sv_child.c */
int sv_dns_start(struct sv *sv, struct vl_err *e);
/* Stop the lab's dnsmasq, put @leases (a saved lease file) in place and
 * start it again (restore). 0, or -1 with @e set. */
int sv_dns_reload(struct sv *sv, const char *leases, struct vl_err *e);
void sv_dns_exited(struct sv *sv);
void sv_host_init(struct sv *sv, struct sv_host *h, struct host *cfg);
int sv_host_start(struct sv *sv, struct sv_host *h, struct vl_err *e);
void sv_host_exited(struct sv *sv, struct sv_host *h);
/* Kill a host's command (its whole PID namespace) and reap it, if it runs. */
void sv_host_kill_cmd(struct sv *sv, struct sv_host *h);
/* Kill a host's command (its whole PID namespace) and start it again. */
int sv_host_restart(struct sv *sv, struct sv_host *h, struct vl_err *e);
/* Stop dnsmasq, host commands and holders, bounded. */
void sv_stop_others(struct sv *sv);
/* Reap anything else (intermediate children, re-parented host commands). */
void sv_reap_strays(struct sv *sv);

/* sv_peer.c (the underlay towards the other machines). sv_peer_route():
 * without a default route, the interface (-i) and gateway (-g) pasta
 * needs; 0 (nothing to add), 1 (set), -1 after sv_fail(). listen runs in
 * the host namespace; accept answers a peer with the status JSON. */
int sv_peer_route(struct sv *sv, char ifname[16], char gw[16]);
int sv_peer_listen(struct sv *sv);
void sv_peer_accept(struct sv *sv);

/* sv_uplink.c (rootless uplink, e.g. pasta). prefork runs before the
 * supervisor unshares (it may fork a helper that stays in the host
 * namespace); start runs once the lab's bridges exist. Both return 0 or -1
 * after calling sv_fail(); both do nothing for a lab without an uplink. */
int sv_uplink_prefork(struct sv *sv);
int sv_uplink_start(struct sv *sv);
void sv_uplink_stop(struct sv *sv);
/* At most once a second: publish this lab's host ports (RUNDIR/host-ports:
 * its tcp: serial consoles and forwards) and, with an uplink, keep every
 * lab's out of its guests' reach through pasta (the nft sets). @now: do
 * it now, whatever the time. */
void sv_uplink_ports_tick(struct sv *sv, bool now);

/* sv_node.c */
/* Set up @n to run @cfg: paths, run dir, no fds. 0, or -1 with @err. */
struct vl_err;
int sv_node_init(struct sv *sv, struct sv_node *n, struct node *cfg, struct vl_err *e);
/* Start @n's QEMU. 0, or -1 with the reason in @e (the caller decides
 * whose failure it is: the lab's while it comes up, else the node's). */
int sv_node_start(struct sv *sv, struct sv_node *n, struct vl_err *e);
void sv_node_exited(struct sv *sv, struct sv_node *n);
/* React to what the VMs' events said, start queued nodes (boot_parallel,
 * after =), escalate restarts (called every loop turn). */
void sv_node_tick(struct sv *sv);
/* While `up` still has nodes queued, ready ones yield the CPUs to the
 * boots (called by sv_node_tick). Returns how many nodes still wait to
 * have their priority changed. */
int sv_node_yield(struct sv *sv);
/* Node @n will not become ready (@why): another attempt if retries are
 * left, else the lab's failure with @code. */
void sv_node_failed(struct sv *sv, struct sv_node *n, int code, const char *why);

/* sv_ready.c */
void sv_ready_check(struct sv *sv);
bool sv_ready_all(struct sv *sv);
void sv_ready_probe_done(struct sv *sv, struct sv_node *n);
void sv_ready_ping_reply(struct sv *sv);

/* sv_down.c */
/* Stop @n gracefully, escalating after @timeout_ms (as `down` does). */
void sv_node_stop_begin(struct sv *sv, struct sv_node *n, int timeout_ms);
/* Advance every node being stopped (called every loop turn). */
void sv_stop_advance(struct sv *sv);
void sv_down_begin(struct sv *sv, int timeout_ms);
void sv_down_kill(struct sv *sv);
void sv_down_advance(struct sv *sv);
/* The end of a lab, once nothing runs: remove its runtime dir (this side
 * alone does, under the lab's lock, after rundir_remove()'s checks), then
 * answer the client of `down` through sv_reply() with what it needs: the
 * nodes that had to be killed and the lab's LANs. */
void sv_down_finish(struct sv *sv);

/* sv_life.c: `vacmlab node OP` (control method "node"). */
/* Begin @op on @n for control client @fd, which the reply goes to (now,
 * or when the node is stopped, ready or failed). */
void sv_life_request(struct sv *sv, int fd, struct sv_node *n, enum node_op op, int timeout_ms);
/* Answer the clients whose node operation is done, start the second half
 * of a restart (called every loop turn, after the events). */
void sv_life_tick(struct sv *sv);

/* sv_rewire.c: what apply changes on serial ports without a restart. */
struct sv_rewire;
/* Console, cable, device and pty are one chardev to QEMU. */
bool sv_rewire_relayed(enum serial_kind k);
/* Does QEMU see ports @a and @b alike (no restart to go from one to the
 * other)? */
bool sv_rewire_same_qemu(const struct serial_port *a, const struct serial_port *b);
/* Devices added, removed, restarted, kept; cables kept nodes pull or plug:
 * entries appended to @plan. @node_from, @node_restart: the apply's map of
 * new nodes to running ones, borrowed. */
struct sv_rewire *sv_rewire_plan(struct sv *sv, struct topo *nt, struct sv_node **node_from,
				 const bool *node_restart, json_t *plan);
/* Node @n goes (@removed, or restarted by apply): out of its cables, each
 * log saying why. */
void sv_rewire_node_goes(struct sv *sv, struct sv_node *n, bool removed);
/* Before the switch: changed ports pulled, removed devices stopped. */
void sv_rewire_pull(struct sv *sv, struct sv_rewire *w);
/* After it: the devices follow the new topology, changed ones restart,
 * changed ports are plugged. 0, or -1 with @e. */
int sv_rewire_switch(struct sv *sv, struct sv_rewire *w, struct vl_err *e);
void sv_rewire_free(struct sv_rewire *w);

/* sv_apply.c: `vacmlab apply`, a new topology for the running lab.
 * Begin: load @path, plan, refuse or (unless @dry_run) start the change;
 * the reply to @fd comes from sv_apply_tick() (every loop turn) once the
 * new nodes are ready. */
void sv_apply_begin(struct sv *sv, int fd, const char *path, const char *name, bool dry_run,
		    int timeout_ms);
void sv_apply_tick(struct sv *sv);

/* sv_ctl.c */
int sv_ctl_listen(struct sv *sv, struct vl_err *e);
void sv_ctl_accept(struct sv *sv);
void sv_ctl_client(struct sv *sv, int fd);

/*
 * The control protocol as a table (after systemd's varlink dispatch
 * tables): each method declares its fields, and one reader checks a
 * request against them and answers a precise error before the method
 * runs. docs/control.md lists the same table; tests/unit/test_ctl.c fails
 * when they disagree.
 */
enum ctl_type {
	CT_STRING, /* const char * (NULL when absent) */
	CT_ENUM,   /* a string of @one_of: int, its index + @base */
	CT_INT,	   /* int in min..max */
	CT_NUMBER, /* double in min..max (an integer or a real) */
	CT_BOOL,   /* bool */
	CT_OBJECT, /* json_t * (borrowed) */
};

struct ctl_field {
	const char *name;
	enum ctl_type type;
	bool required; /* an optional field keeps the method's default */
	long long min, max;
	const char *const *one_of; /* CT_ENUM: NULL-terminated */
	int base;
	size_t offset; /* in the method's parameter struct */
};

struct ctl_method {
	const char *name;
	void (*fn)(struct sv *sv, int fd, const void *params, int *passed);
	const struct ctl_field *fields; /* ends with a field without a name */
	const void *defaults;		/* the parameters before the request's */
	size_t size;
};

/* ---- sv_usb.c: the control method "usb", a USB key in a running node
 * (`vacmlab usb`): {"cmd":"usb","node":N,"op":"insert","path":P} or
 * "eject", answered once QEMU has answered. Its entry in the method
 * table (sv_ctl.c) names these. */
struct sv_usb_params {
	const char *node, *path;
	int op; /* 0 insert, 1 eject */
};
extern const struct ctl_field sv_usb_fields[];
extern const struct sv_usb_params sv_usb_defaults;
void sv_usb_method(struct sv *sv, int fd, const void *params, int *passed);

/* ---- sv_break.c: the control method "break", a serial BREAK on a
 * node's port (`vacmlab send --break`): {"cmd":"break","node":N,"port":P},
 * answered once QEMU has answered chardev-send-break. */
struct sv_break_params {
	const char *node;
	int port; /* ttySN; 0 when absent */
};
extern const struct ctl_field sv_break_fields[];
extern const struct sv_break_params sv_break_defaults;
void sv_break_method(struct sv *sv, int fd, const void *params, int *passed);

/* The method table (for the tests: every method, every field). */
const struct ctl_method *sv_ctl_methods(size_t *n);
/* Decode one request: its method, or NULL with a reason in @why. */
const struct ctl_method *sv_ctl_method(json_t *req, const char **why);
/* Check @req against @m's fields and fill @params (m->size bytes). 0, or
 * -1 with @e (EXIT_CONFIG: "method 'node': missing field 'op'"). */
int sv_ctl_read(const struct ctl_method *m, json_t *req, void *params, struct vl_err *e);

#endif
