// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_port.c - the supervisor's side of serial ports.
 *
 * A `console` port is a socketpair: QEMU gets one end as a socket chardev
 * (fd=N), the supervisor reads the other. Every byte the guest writes goes,
 * in this order, to the port's log file (complete history; written before
 * anything else so a slow client can never cost a logged byte), to a ring
 * buffer replayed to clients that join late, and to every attached client.
 * Clients connect to RUNDIR/NODE/ttySN.sock (read-write) or ttySN.ro.sock
 * (read-only: their input is discarded). A client that falls more than
 * 1 MiB behind is disconnected rather than allowed to stall the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/lib/match.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/rx.h"
#include "lab/sv/sv.h"
#include "lab/lib/util.h"

#define CLIENT_MAX_BEHIND (1 << 20)

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (path_sockaddr(&sa, path, NULL) < 0)
		return -ENAMETOOLONG;
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* The previous run's log becomes LOG.prev: LOG (and LOG.1 once LOG grew
 * past log_max) hold this run only, so `wait` never matches an old boot's
 * output (lib/logfile.h has the names). */

/* ready = console on ttyS0 (a console or a cable end). */
static int compile_ready(struct sv_node *n, int idx, struct vl_err *e)
{
	if (!(n->cfg->ready.conds & READY_CONSOLE) || idx != 0 || n->have_re)
		return 0;
	if (rx_compile(&n->re, n->cfg->ready.regex, "ready regex", e) < 0)
		return -1;
	n->have_re = true;
	return 0;
}

/* A new socketpair between the supervisor (p->fd, non-blocking) and the
 * node's QEMU (p->qemu_fd, passed at exec), as every console and cable
 * end has. */
static int port_pair(struct sv_port *p, int idx, struct vl_err *e)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return vl_fail(e, EXIT_ENV, "ttyS%d: socketpair: %s", idx, strerror(errno));
	p->fd = sp[0];
	p->qemu_fd = sp[1];
	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* The same for a QEMU started again: the old pair's end is dropped. */
static int port_pair_again(struct sv *sv, struct sv_port *p, int idx, struct vl_err *e)
{
	if (p->fd >= 0) {
		loop_unwatch(&sv->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	return port_pair(p, idx, e);
}

int sv_port_prepare(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e)
{
	struct sv_port *p = &n->ports[idx];
	int r;

	p->node = n;
	p->idx = idx;
	p->kind = n->cfg->serial[idx].kind;
	p->log_path = port_log_path(sv->logdir, n->cfg->name, idx);
	switch (p->kind) {
	case SERIAL_CONSOLE: {
		_cleanup_free_ char *rw = port_sock_path(n->dir, idx, false);
		_cleanup_free_ char *ro = port_sock_path(n->dir, idx, true);

		if (port_pair(p, idx, e) < 0)
			return -1;
		/* A console flood must not be throttled by a small socket
		 * buffer between QEMU and us. */
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &(int){1 << 20}, sizeof(int));
		r = logfile_start(&p->log, p->log_path, sv->t->log_max);
		if (r < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: opening %s: %s", idx, p->log_path,
				strerror(-r));
			return -1;
		}
		p->lfd_rw = listen_unix(rw);
		p->lfd_ro = listen_unix(ro);
		if (p->lfd_rw < 0 || p->lfd_ro < 0) {
			r = p->lfd_rw < 0 ? p->lfd_rw : p->lfd_ro;
			vl_fail(e, EXIT_ENV, "ttyS%d: listening on %s: %s", idx, rw, strerror(-r));
			return -1;
		}
		loop_watch(&sv->loop, p->fd, EPOLLIN, EV_PORT, p);
		loop_watch(&sv->loop, p->lfd_rw, EPOLLIN, EV_PORT_LISTEN_RW, p);
		loop_watch(&sv->loop, p->lfd_ro, EPOLLIN, EV_PORT_LISTEN_RO, p);
		return compile_ready(n, idx, e);
	}
	case SERIAL_CABLE:
	case SERIAL_DEVICE:
	case SERIAL_PTY: {
		/* As a console, but read by sv_cable.c (EV_CABLE), which owns
		 * the log; watchers get the read-only socket only. */
		_cleanup_free_ char *ro = port_sock_path(n->dir, idx, true);

		if (port_pair(p, idx, e) < 0)
			return -1;
		p->lfd_ro = listen_unix(ro);
		if (p->lfd_ro < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: listening on %s: %s", idx, ro,
				strerror(-p->lfd_ro));
			return -1;
		}
		loop_watch(&sv->loop, p->lfd_ro, EPOLLIN, EV_PORT_LISTEN_RO, p);
		return compile_ready(n, idx, e);
	}
	case SERIAL_TCP:
		p->qemu_fd = sv->tcp_serial_fds && n->launch_idx >= 0
				     ? sv->tcp_serial_fds[n->launch_idx][idx]
				     : -1;
		if (p->qemu_fd < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: no listening socket for tcp:%d", idx,
				n->cfg->serial[idx].tcp_port);
			return -1;
		}
		return 0;
	case SERIAL_LOOP: {
		_cleanup_free_ char *base = port_fifo_path(n->dir, idx);
		_cleanup_free_ char *in = xasprintf("%s.in", base);
		_cleanup_free_ char *out = xasprintf("%s.out", base);
		_cleanup_free_ char *target = xasprintf("ttyS%d.in", idx);

		/* One FIFO for both directions: the guest reads what it wrote. */
		unlink(in);
		unlink(out);
		if (mkfifo(in, 0600) < 0 || symlink(target, out) < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: making loopback FIFO %s: %s", idx, in,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	case SERIAL_LOG: {
		int fd = logfile_open_run(p->log_path);

		if (fd < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: opening %s: %s", idx, p->log_path,
				strerror(-fd));
			return -1;
		}
		close(fd); /* QEMU appends to it (sv_logs.c bounds it) */
		return 0;
	}
	case SERIAL_RINGBUF:
	case SERIAL_UNIX:
	case SERIAL_NONE: return 0;
	}
	return 0;
}

int sv_port_reopen(struct sv *sv, struct sv_node *n, int idx, int attempt, struct vl_err *e)
{
	struct sv_port *p = &n->ports[idx];

	/* The finished attempt's log is kept under its attempt number. */
	if (p->log_path && (p->kind == SERIAL_CONSOLE || p->kind == SERIAL_LOG)) {
		_cleanup_free_ char *old =
			port_attempt_log_path(sv->logdir, n->cfg->name, idx, attempt);

		_cleanup_free_ char *older = logfile_older(p->log_path);
		_cleanup_free_ char *old1 = logfile_older(old);

		logfile_close(&p->log);
		rename(older, old1); /* the attempt's rotated part, if any */
		rename(p->log_path, old);
	}
	switch (p->kind) {
	case SERIAL_CONSOLE:
		/* Listeners and attached clients stay: they see the next boot. */
		if (port_pair_again(sv, p, idx, e) < 0)
			return -1;
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &(int){1 << 20}, sizeof(int));
		/* A fresh log for this boot (not logfile_start: the run's
		 * .prev is the previous run's, not the previous attempt's). */
		p->log.path = p->log_path;
		p->log.max = sv->t->log_max;
		p->log.size = 0;
		p->log.fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
				 0600);
		if (p->log.fd < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: opening %s: %s", idx, p->log_path,
				strerror(errno));
			return -1;
		}
		loop_watch(&sv->loop, p->fd, EPOLLIN, EV_PORT, p);
		return 0;
	case SERIAL_CABLE:
	case SERIAL_DEVICE:
	case SERIAL_PTY:
		/* The listener and the cable stay; a new pair for the new QEMU
		 * (sv_cable_plug() joins it). */
		if (port_pair_again(sv, p, idx, e) < 0)
			return -1;
		return 0;
	case SERIAL_TCP: /* the listener is ours and is passed again */
	case SERIAL_LOOP:
	case SERIAL_LOG:
	case SERIAL_RINGBUF:
	case SERIAL_UNIX:
	case SERIAL_NONE: return sv_port_prepare(sv, n, idx, e);
	}
	return 0;
}

void sv_port_after_spawn(struct sv *sv, struct sv_port *p)
{
	if ((p->kind == SERIAL_CONSOLE || p->kind == SERIAL_CABLE || p->kind == SERIAL_DEVICE ||
	     p->kind == SERIAL_PTY) &&
	    p->qemu_fd >= 0)
		close(p->qemu_fd);
	p->qemu_fd = -1;
}

static void client_drop(struct sv *sv, struct sv_client *c)
{
	struct sv_port *p = c->port;
	struct sv_client **pp;

	for (pp = &p->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_unwatch(&sv->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void client_send(struct sv *sv, struct sv_client *c, const char *buf, size_t len)
{
	ssize_t n = 0;

	if (!c->out_len) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN) {
				client_drop(sv, c);
				return;
			}
			n = 0;
		}
	}
	if ((size_t)n == len)
		return;
	if (c->out_len + len - (size_t)n > CLIENT_MAX_BEHIND) {
		const char msg[] = "\r\n[vacmlab: client too slow, disconnected]\r\n";

		send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		client_drop(sv, c);
		return;
	}
	c->out = xrealloc(c->out, c->out_len + len - (size_t)n);
	memcpy(c->out + c->out_len, buf + n, len - (size_t)n);
	c->out_len += len - (size_t)n;
	loop_watch(&sv->loop, c->fd, EPOLLIN | EPOLLOUT, EV_PORT_CLIENT, c);
}

static void ring_add(struct sv_port *p, const char *buf, size_t len)
{
	if (len >= SV_RING) {
		buf += len - SV_RING;
		len = SV_RING;
	}
	for (size_t i = 0; i < len; i++) {
		p->ring[(p->ring_head + p->ring_len) % SV_RING] = buf[i];
		if (p->ring_len < SV_RING)
			p->ring_len++;
		else
			p->ring_head = (p->ring_head + 1) % SV_RING;
	}
}

/* ready = console: the one line matcher (lib/match.c), as `wait` uses it. */
void sv_port_match_ready(struct sv *sv, struct sv_port *p, const char *buf, size_t len)
{
	struct sv_node *n = p->node;

	if (!n->have_re || n->state != NODE_BOOTING || (n->ready_met & READY_CONSOLE))
		return;
	if (line_matcher_feed(&n->ready_lm, buf, len, &n->re, NULL) == 1)
		sv_node_cond_met(sv, n, READY_CONSOLE);
}

void sv_port_readable(struct sv *sv, struct sv_port *p)
{
	char buf[65536];
	int r;

	for (;;) {
		ssize_t n = read(p->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* QEMU closed its end: it exited. Clients stay until
			 * the lab goes, so they can see the last output. */
			loop_unwatch(&sv->loop, p->fd);
			close(p->fd);
			p->fd = -1;
			return;
		}
		if (p->log.fd >= 0 && (r = logfile_write(&p->log, buf, (size_t)n)) < 0)
			fprintf(stderr, "writing %s: %s\n", p->log_path, strerror(-r));
		p->bytes_out += (unsigned long long)n;
		ring_add(p, buf, (size_t)n);
		for (struct sv_client *c = p->clients, *next; c; c = next) {
			next = c->next;
			client_send(sv, c, buf, (size_t)n);
		}
		sv_port_match_ready(sv, p, buf, (size_t)n);
	}
}

void sv_port_writable(struct sv *sv, struct sv_port *p)
{
	while (p->in_len && p->fd >= 0) {
		ssize_t n = write(p->fd, p->in, p->in_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				p->in_len = 0;
			}
			break;
		}
		memmove(p->in, p->in + n, p->in_len - (size_t)n);
		p->in_len -= (size_t)n;
	}
	if (p->fd >= 0)
		loop_watch(&sv->loop, p->fd, p->in_len ? EPOLLIN | EPOLLOUT : EPOLLIN, EV_PORT, p);
}

void sv_port_broadcast(struct sv *sv, struct sv_port *p, const char *buf, size_t len)
{
	ring_add(p, buf, len);
	for (struct sv_client *c = p->clients, *next; c; c = next) {
		next = c->next;
		client_send(sv, c, buf, len);
	}
}

void sv_port_accept(struct sv *sv, struct sv_port *p, bool ro)
{
	int fd = accept4(ro ? p->lfd_ro : p->lfd_rw, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct sv_client *c;
	char replay[SV_RING];

	if (fd < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->ro = ro;
	c->port = p;
	c->next = p->clients;
	p->clients = c;
	loop_watch(&sv->loop, fd, EPOLLIN, EV_PORT_CLIENT, c);
	/* A late joiner first sees the recent output. */
	for (size_t i = 0; i < p->ring_len; i++)
		replay[i] = p->ring[(p->ring_head + i) % SV_RING];
	if (p->ring_len)
		client_send(sv, c, replay, p->ring_len);
}

void sv_port_client_io(struct sv *sv, struct sv_client *c, uint32_t events)
{
	struct sv_port *p = c->port;

	if (events & EPOLLOUT) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN) {
			client_drop(sv, c);
			return;
		}
		if (n > 0) {
			memmove(c->out, c->out + n, c->out_len - (size_t)n);
			c->out_len -= (size_t)n;
		}
		if (!c->out_len)
			loop_watch(&sv->loop, c->fd, EPOLLIN, EV_PORT_CLIENT, c);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		char buf[4096];
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_drop(sv, c);
			return;
		}
		if (n < 0 || c->ro || p->fd < 0)
			return; /* read-only clients cannot write */
		if (p->in_len + (size_t)n > CLIENT_MAX_BEHIND)
			return; /* the guest is not reading: drop input, not output */
		p->in = xrealloc(p->in, p->in_len + (size_t)n);
		memcpy(p->in + p->in_len, buf, (size_t)n);
		p->in_len += (size_t)n;
		sv_port_writable(sv, p);
	}
}

void sv_port_close(struct sv *sv, struct sv_port *p)
{
	while (p->clients)
		client_drop(sv, p->clients);
	if (p->fd >= 0) {
		loop_unwatch(&sv->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	logfile_close(&p->log);
}

void sv_port_release(struct sv *sv, struct sv_port *p)
{
	sv_port_close(sv, p);
	if (p->lfd_rw >= 0 || p->lfd_ro >= 0) {
		loop_unwatch(&sv->loop, p->lfd_rw);
		loop_unwatch(&sv->loop, p->lfd_ro);
		close(p->lfd_rw);
		close(p->lfd_ro);
	}
	if ((p->kind == SERIAL_CONSOLE || p->kind == SERIAL_CABLE || p->kind == SERIAL_DEVICE ||
	     p->kind == SERIAL_PTY) &&
	    p->qemu_fd >= 0)
		close(p->qemu_fd);
	p->lfd_rw = p->lfd_ro = p->qemu_fd = -1;
	free(p->in);
	p->in = NULL;
	p->in_len = p->ring_len = p->ring_head = 0;
	free(p->log_path);
	p->log_path = NULL;
}

char *sv_port_tail(struct sv_node *n, int lines)
{
	if (!n->ports[0].log_path)
		return NULL;
	return tail_file(n->ports[0].log_path, lines);
}

int sv_port_rewire(struct sv *sv, struct sv_port *p, enum serial_kind kind, struct vl_err *e)
{
	struct sv_node *n = p->node;
	_cleanup_free_ char *rw = port_sock_path(n->dir, p->idx, false);
	int r;

	p->in_len = 0; /* queued for the old far end: lost with it */
	if (kind != SERIAL_CONSOLE) {
		const char msg[] = "\r\n[vacmlab: port re-cabled by apply: watch it with "
				   "`vacmlab console --ro`]\r\n";

		/* Writers go (a cable has no keyboard); watchers stay. */
		for (struct sv_client *c = p->clients, *next; c; c = next) {
			next = c->next;
			if (c->ro)
				continue;
			send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			client_drop(sv, c);
		}
		if (p->lfd_rw >= 0) {
			loop_unwatch(&sv->loop, p->lfd_rw);
			close(p->lfd_rw);
			p->lfd_rw = -1;
			unlink(rw);
		}
		/* The console's log becomes LOG.prev: the cable's takes its name
		 * (or links it to the declaring end's). */
		logfile_close(&p->log);
		if (p->kind == SERIAL_CONSOLE && p->log_path)
			logfile_new_run(p->log_path);
		p->kind = kind;
		return 0; /* the caller plugs the cable, which reads p->fd */
	}
	p->kind = SERIAL_CONSOLE;
	free(p->log_path);
	p->log_path = port_log_path(sv->logdir, n->cfg->name, p->idx);
	/* The cable's log (or the link to it) becomes LOG.prev. */
	r = logfile_start(&p->log, p->log_path, sv->t->log_max);
	if (r < 0)
		return vl_fail(e, EXIT_ENV, "ttyS%d: opening %s: %s", p->idx, p->log_path,
			       strerror(-r));
	if (p->lfd_rw < 0) {
		p->lfd_rw = listen_unix(rw);
		if (p->lfd_rw < 0)
			return vl_fail(e, EXIT_ENV, "ttyS%d: listening on %s: %s", p->idx, rw,
				       strerror(-p->lfd_rw));
		loop_watch(&sv->loop, p->lfd_rw, EPOLLIN, EV_PORT_LISTEN_RW, p);
	}
	if (p->fd >= 0) {
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &(int){1 << 20}, sizeof(int));
		loop_watch(&sv->loop, p->fd, EPOLLIN, EV_PORT, p);
	}
	return 0;
}
