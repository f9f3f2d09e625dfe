/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - the supervisor's event loop, at the bottom (after passt's
 * epoll_type.h): every fd the supervisor waits on is registered with a type
 * tag and a pointer by the module that owns it; loop_wait() hands back
 * (type, pointer, events), and only supervisor.c's dispatch switches on the
 * type and calls the owning module's handler. Nothing here calls up.
 */
#ifndef VACMLAB_SV_LOOP_H
#define VACMLAB_SV_LOOP_H

#include <stdbool.h>
#include <stdint.h>

enum ev_type {
	EV_NONE = 0,
	EV_SIGNAL,	   /* supervisor.c: signalfd */
	EV_CTL,		   /* sv_ctl.c: the control socket's listener */
	EV_CTL_CLIENT,	   /* sv_ctl.c: a request */
	EV_NODE_PIDFD,	   /* sv_node.c: a QEMU exited */
	EV_NODE_QMP,	   /* sv_qmp.c: a node's QMP connection */
	EV_DNS_PIDFD,	   /* sv_child.c: the lab's dnsmasq exited */
	EV_HOST_PIDFD,	   /* sv_child.c: a host's command exited */
	EV_DEVICE_PIDFD,   /* sv_device.c: a device's program exited */
	EV_PORT,	   /* sv_port.c: QEMU's end of a console */
	EV_PORT_LISTEN_RW, /* sv_port.c: console listener */
	EV_PORT_LISTEN_RO, /* sv_port.c: read-only console listener */
	EV_PORT_CLIENT,	   /* sv_port.c: a console client */
	EV_CABLE,	   /* sv_cable.c: QEMU's end of a cable */
	EV_CABLE_TIMER,	   /* sv_cable.c: a paced cable's timer */
	EV_PROBE,	   /* sv_ready.c: a tcp readiness probe */
	EV_FWD_LISTEN,	   /* sv_fwd.c: a forward's listener */
	EV_FWD_CONN,	   /* sv_fwd.c: a forwarded connection */
	EV_UDP_HOST,	   /* sv_udp.c: a UDP forward's host-side socket */
	EV_UDP_GUEST,	   /* sv_udp.c: a UDP forward's socket for one client */
	EV_PING,	   /* sv_ready.c: ICMP echo replies (ready = dhcp) */
	EV_PEER,	   /* sv_peer.c: the status endpoint for other machines */
	EV_RUNDIR,	   /* supervisor.c: inotify on the runtime dir */
};

struct loop_slot {
	enum ev_type type;
	void *ptr;
	unsigned gen;	 /* bumped by each unwatch: tells a reused fd number apart */
	uint32_t events; /* what is watched, while registered */
	bool registered; /* in the epoll set: from loop_watch to loop_unwatch */
};

struct loop {
	int epfd;
	struct loop_slot *slots; /* indexed by fd */
	int n_slots;
};

struct loop_event {
	enum ev_type type;
	void *ptr;
	int fd;
	uint32_t events;
	unsigned gen;
};

/* 0 or -errno. */
int loop_init(struct loop *l);
/* Watch @fd for @events (EPOLLIN...), or change what is watched. */
void loop_watch(struct loop *l, int fd, uint32_t events, enum ev_type type, void *ptr);
/* As loop_watch, but no system call when @fd is already watched for
 * exactly @events with this type and pointer: for a relay that re-arms
 * after every chunk. The owner must loop_unwatch() before closing @fd,
 * or a new fd given the same number would be taken for watched. */
void loop_rearm(struct loop *l, int fd, uint32_t events, enum ev_type type, void *ptr);
void loop_unwatch(struct loop *l, int fd);
/* Wait up to @timeout_ms; fills up to @max events of fds still watched.
 * Returns how many (0 on timeout or EINTR). */
int loop_wait(struct loop *l, struct loop_event *evs, int max, int timeout_ms);
/* Whether the fd of @ev is still watched as it was when the batch was
 * read: a handler earlier in the same batch may have closed it, and even
 * registered a new fd that got the same number with the same type and
 * pointer (a connection freed and another accepted into the same memory):
 * an event read before an unwatch is never live after it. */
bool loop_live(const struct loop *l, const struct loop_event *ev);

#endif
