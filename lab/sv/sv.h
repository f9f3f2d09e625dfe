/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sv.h - the supervisor's state, shared by its parts:
 *   supervisor.c  namespaces, network, children, event loop, teardown
 *   sv_port.c     serial ports: console fan-out, logs, ring buffer, readiness regex
 *   sv_ctl.c      the control socket: status, down, forward
 *   sv_fwd.c      rootless port forwards (host loopback -> guest port)
 */
#ifndef VACMLAB_SV_H
#define VACMLAB_SV_H

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "lab/lib/topo.h"

#define SV_RING 16384 /* recent console output replayed to late joiners */

enum node_state {
	NODE_PENDING, /* not started (--no-boot, or before launch) */
	NODE_BOOTING,
	NODE_READY,
	NODE_STOPPING,
	NODE_EXITED, /* QEMU exited; see status */
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

struct sv_port {
	struct sv_node *node;
	int idx;
	enum serial_kind kind;
	int fd;		    /* console: our end of the socketpair */
	int qemu_fd;	    /* console: QEMU's end; tcp: the listener */
	int lfd_rw, lfd_ro; /* console: listening sockets in the run dir */
	int logfd;
	char ring[SV_RING];
	size_t ring_len, ring_head;
	struct sv_client *clients;
	char line[4096]; /* current line, for the readiness regex */
	size_t line_len;
	char *in; /* pending input to the guest */
	size_t in_len;
	unsigned long long bytes_out;
	char *log_path;
};

struct sv_node {
	struct node *cfg;
	enum node_state state;
	pid_t pid;
	int pidfd;
	int status; /* wait status once exited */
	long long t_start, t_ready, t_exit;
	int *tap_fds;
	struct sv_port ports[TOPO_MAX_SERIAL];
	regex_t re;
	bool have_re;
	int probe_fd; /* READY_TCP connect in flight */
	long long next_probe;
	bool killed; /* had to be killed on the way down */
	char *dir, *qmp, *disk, *qemu_log;
};

struct sv_lan {
	struct lan *cfg;
	pid_t dns_pid;
	int dns_pidfd;
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
};

struct sv_fwd;

enum sv_phase {
	PH_STARTING,
	PH_RUNNING,
	PH_POWERDOWN, /* QMP system_powerdown sent, waiting */
	PH_QUIT,      /* QMP quit sent */
	PH_TERM,      /* SIGTERM sent */
	PH_KILL,      /* SIGKILL sent */
	PH_DONE,
};

struct sv {
	struct topo *t;
	const char *topo_path;
	char *rundir, *statedir, *logdir;
	char *qemu, *dnsmasq;
	bool no_boot, foreground, kvm;
	struct accel_choice accel; /* asked, decided and why (client_up.c) */
	const char *loadvm;
	int lock_fd;
	int sync_fd; /* to `up`; -1 once released (unless foreground) */
	int epfd;
	int sigfd;
	int ctl_fd;
	struct nlx *nl;
	struct sv_node *nodes;
	struct sv_lan *lans;
	struct sv_host *hosts;
	struct sv_fwd *fwds;
	int *fwd_listen; /* one per topology forward, opened by `up` in the host ns */
	int n_fwd_listen;
	int **tcp_serial_fds; /* [node][port] listeners made by `up` */
	enum sv_phase phase;
	long long phase_deadline;
	long long next_press; /* next system_powerdown while powering down */
	int down_timeout_ms;
	int down_client; /* ctl client waiting for the end of `down` */
	int exit_code;
	long long t0;
	char failure[8192];
	void *uplink; /* sv_uplink.c's state */
};

/* epoll tags: the low bits of the 64-bit data say what an fd is. */
enum sv_tag {
	TAG_SIGNAL = 1,
	TAG_CTL,
	TAG_CTL_CLIENT,
	TAG_NODE_PIDFD,
	TAG_LAN_PIDFD,
	TAG_HOST_PIDFD,
	TAG_PORT,
	TAG_PORT_LISTEN_RW,
	TAG_PORT_LISTEN_RO,
	TAG_PORT_CLIENT,
	TAG_PROBE,
	TAG_FWD_LISTEN,
	TAG_FWD_CONN,
};

void sv_watch(struct sv *sv, int fd, uint32_t events, enum sv_tag tag, void *ptr);
void sv_unwatch(struct sv *sv, int fd);
void sv_event(struct sv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sv_port.c */
int sv_port_prepare(struct sv *sv, struct sv_node *n, int idx, char *err, size_t errlen);
void sv_port_after_spawn(struct sv *sv, struct sv_port *p);
void sv_port_readable(struct sv *sv, struct sv_port *p);
void sv_port_writable(struct sv *sv, struct sv_port *p);
void sv_port_accept(struct sv *sv, struct sv_port *p, bool ro);
void sv_port_client_io(struct sv *sv, struct sv_client *c, uint32_t events);
void sv_port_close(struct sv *sv, struct sv_port *p);
/* The last @n lines of a node's console log, malloc'd. */
char *sv_port_tail(struct sv_node *n, int lines);
void sv_node_set_ready(struct sv *sv, struct sv_node *n);

/* sv_ctl.c */
int sv_ctl_listen(struct sv *sv, char *err, size_t errlen);
void sv_ctl_accept(struct sv *sv);
void sv_ctl_client(struct sv *sv, int fd);
json_t *sv_status_json(struct sv *sv);
void sv_begin_down(struct sv *sv, int timeout_ms);

/* sv_fwd.c */
int sv_fwd_add(struct sv *sv, int listen_fd, struct sv_node *n, int guest_port, bool udp,
	       const char *desc);
void sv_fwd_accept(struct sv *sv, struct sv_fwd *f);
void sv_fwd_io(struct sv *sv, void *conn, int fd, uint32_t events);
json_t *sv_fwd_json(struct sv *sv, struct sv_node *n);
void sv_fwd_close_all(struct sv *sv);
/* Reset every forwarded connection to @n (its QEMU exited). */
void sv_fwd_node_exited(struct sv *sv, struct sv_node *n);

/* sv_uplink.c (rootless uplink, e.g. pasta). prefork runs before the
 * supervisor unshares (it may fork a helper that stays in the host
 * namespace); start runs once the lab's bridges exist. Both return 0 or -1
 * after calling sv_fail(); both do nothing for a lab without an uplink. */
int sv_uplink_prefork(struct sv *sv);
int sv_uplink_start(struct sv *sv);
void sv_uplink_stop(struct sv *sv);
void sv_fail(struct sv *sv, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* supervisor.c */
const char *node_state_name(enum node_state s);
struct in_addr sv_node_addr(struct sv *sv, struct sv_node *n);

#endif
