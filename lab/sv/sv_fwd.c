// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_fwd.c - rootless TCP port forwards (UDP: sv_udp.c).
 *
 * DOC: Theory of operation
 * A process can hold sockets in two network namespaces at once. The
 * listening socket is made in the host namespace (by `up` before the
 * supervisor unshares, or by `vacmlab forward` which passes it over the
 * control socket); the supervisor, living in the lab namespace, accepts on
 * it and connects to the guest from inside the lab. The two are spliced
 * with 64 KiB buffers in the epoll loop: no root, no extra daemon.
 * A half-close is passed on with shutdown(SHUT_WR). A guest that is not
 * running gives the client an immediate reset (SO_LINGER 0), and a
 * refused or unreachable guest port a reset as soon as connect() fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/status_keys.h"
#include "lab/sv/sv.h"
#include "lab/lib/util.h"

#define FWD_BUF 65536

struct sv_fwd {
	int lfd;
	struct sv_node *node;
	int guest_port;
	char desc[80];
	unsigned long long conns, bytes;
	int active;
	struct fwd_conn *list; /* open connections */
	struct sv_fwd *next;
};

struct pipe_dir {
	char buf[FWD_BUF];
	size_t len, off;
	bool eof;  /* source said EOF */
	bool shut; /* passed on to the destination */
};

struct fwd_conn {
	struct sv_fwd *f;
	int a; /* accepted, host side */
	int b; /* to the guest, lab side */
	bool connecting;
	struct pipe_dir ab, ba;
	struct fwd_conn *prev, *next;
};

int sv_fwd_add(struct sv *sv, int listen_fd, struct sv_node *n, int guest_port, const char *desc)
{
	struct sv_fwd *f = xcalloc(1, sizeof(*f));

	f->lfd = listen_fd;
	f->node = n;
	f->guest_port = guest_port;
	snprintf(f->desc, sizeof(f->desc), "%s", desc);
	f->next = sv->fwds;
	sv->fwds = f;
	loop_watch(&sv->loop, listen_fd, EPOLLIN, EV_FWD_LISTEN, f);
	return 0;
}

static void reset_close(int fd)
{
	struct linger l = {1, 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void conn_free(struct sv *sv, struct fwd_conn *c, bool reset)
{
	loop_unwatch(&sv->loop, c->a);
	loop_unwatch(&sv->loop, c->b);
	if (reset) {
		reset_close(c->a);
		reset_close(c->b);
	} else {
		close(c->a);
		close(c->b);
	}
	c->f->active--;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->f->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

void sv_fwd_node_exited(struct sv *sv, struct sv_node *n)
{
	for (struct sv_fwd *f = sv->fwds; f; f = f->next)
		while (f->node == n && f->list)
			conn_free(sv, f->list, true);
}

static void update(struct sv *sv, struct fwd_conn *c)
{
	uint32_t ea = 0, eb = 0;

	if (c->connecting) {
		loop_watch(&sv->loop, c->b, EPOLLOUT, EV_FWD_CONN, c);
		loop_watch(&sv->loop, c->a, 0, EV_FWD_CONN, c);
		return;
	}
	if (!c->ab.eof && c->ab.len < FWD_BUF)
		ea |= EPOLLIN;
	if (!c->ba.eof && c->ba.len < FWD_BUF)
		eb |= EPOLLIN;
	if (c->ab.len)
		eb |= EPOLLOUT;
	if (c->ba.len)
		ea |= EPOLLOUT;
	loop_watch(&sv->loop, c->a, ea, EV_FWD_CONN, c);
	loop_watch(&sv->loop, c->b, eb, EV_FWD_CONN, c);
}

/*
 * A guest that dies (QEMU exits, or hangs) sends no reset: bound how long a
 * connection to it can sit. SYN retries end after ~7 s (1+2+4), data left
 * unacknowledged for 10 s ends the connection, and an idle one is probed
 * after 10 s and given up after 3 missed probes 2 s apart. A live guest
 * answers the probes, so long idle sessions (ssh) are unaffected.
 */
static void guest_sockopts(int b)
{
	setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	setsockopt(b, IPPROTO_TCP, TCP_SYNCNT, &(int){2}, sizeof(int));
	setsockopt(b, IPPROTO_TCP, TCP_USER_TIMEOUT, &(int){10000}, sizeof(int));
	setsockopt(b, SOL_SOCKET, SO_KEEPALIVE, &(int){1}, sizeof(int));
	setsockopt(b, IPPROTO_TCP, TCP_KEEPIDLE, &(int){10}, sizeof(int));
	setsockopt(b, IPPROTO_TCP, TCP_KEEPINTVL, &(int){2}, sizeof(int));
	setsockopt(b, IPPROTO_TCP, TCP_KEEPCNT, &(int){3}, sizeof(int));
}

void sv_fwd_accept(struct sv *sv, struct sv_fwd *f)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct fwd_conn *c;
	int a = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), b;

	if (a < 0)
		return;
	f->conns++;
	sa.sin_addr = sv_node_addr(sv, f->node);
	sa.sin_port = htons((uint16_t)f->guest_port);
	if ((f->node->state != NODE_READY && f->node->state != NODE_BOOTING) ||
	    !sa.sin_addr.s_addr) {
		reset_close(a); /* guest not running: prompt reset, no hang */
		return;
	}
	b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (b < 0) {
		reset_close(a);
		return;
	}
	guest_sockopts(b);
	if (connect(b, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		reset_close(a);
		close(b);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->f = f;
	c->a = a;
	c->b = b;
	c->connecting = true;
	c->next = f->list;
	if (f->list)
		f->list->prev = c;
	f->list = c;
	f->active++;
	update(sv, c);
}

/* Move data from @src into @d's buffer, and from the buffer to @dst. */
static int pump(int src, int dst, struct pipe_dir *d, unsigned long long *bytes, bool can_read)
{
	if (can_read && !d->eof && d->len < FWD_BUF) {
		ssize_t n = read(src, d->buf + d->len, FWD_BUF - d->len);

		if (n == 0)
			d->eof = true;
		else if (n > 0)
			d->len += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	while (d->len > d->off) {
		ssize_t n =
			send(dst, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		d->off += (size_t)n;
		*bytes += (unsigned long long)n;
	}
	if (d->off == d->len)
		d->off = d->len = 0;
	if (d->eof && !d->len && !d->shut) {
		shutdown(dst, SHUT_WR); /* pass the half-close on */
		d->shut = true;
	}
	return 0;
}

void sv_fwd_io(struct sv *sv, void *ptr, int fd, uint32_t events)
{
	struct fwd_conn *c = ptr;

	if (c->connecting) {
		int e = 0;
		socklen_t l = sizeof(e);

		/* The client gave up (or reset) before the guest answered. */
		if (fd == c->a) {
			if (events & (EPOLLHUP | EPOLLERR))
				conn_free(sv, c, true);
			return;
		}
		getsockopt(c->b, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e || (events & (EPOLLHUP | EPOLLERR))) {
			conn_free(sv, c, true);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		c->connecting = false;
		update(sv, c);
		return;
	}
	if (pump(c->a, c->b, &c->ab, &c->f->bytes, fd == c->a) < 0 ||
	    pump(c->b, c->a, &c->ba, &c->f->bytes, fd == c->b) < 0) {
		conn_free(sv, c, true);
		return;
	}
	if ((events & (EPOLLERR)) && !(events & EPOLLIN)) {
		conn_free(sv, c, true);
		return;
	}
	if (c->ab.shut && c->ba.shut) {
		conn_free(sv, c, false);
		return;
	}
	update(sv, c);
}

json_t *sv_fwd_json(struct sv *sv, struct sv_node *n)
{
	json_t *arr = json_array();

	for (struct sv_fwd *f = sv->fwds; f; f = f->next) {
		if (f->node != n)
			continue;
		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:I,s:i,s:I}", SK_PROTO,
						     SKV_PROTO_TCP, SK_LISTEN, f->desc,
						     SK_GUEST_PORT, f->guest_port, SK_CONNECTIONS,
						     (json_int_t)f->conns, SK_ACTIVE, f->active,
						     SK_BYTES, (json_int_t)f->bytes));
	}
	return arr;
}

void sv_fwd_node_removed(struct sv *sv, struct sv_node *n)
{
	for (struct sv_fwd **pp = &sv->fwds; *pp;) {
		struct sv_fwd *f = *pp;

		if (f->node != n) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		while (f->list)
			conn_free(sv, f->list, true);
		loop_unwatch(&sv->loop, f->lfd);
		close(f->lfd);
		free(f);
	}
}

void sv_fwd_close_all(struct sv *sv)
{
	while (sv->fwds) {
		struct sv_fwd *f = sv->fwds;

		sv->fwds = f->next;
		while (f->list)
			conn_free(sv, f->list, true);
		loop_unwatch(&sv->loop, f->lfd);
		close(f->lfd);
		free(f);
	}
}
