// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_udp.c - rootless UDP port forwards: a datagram relay in the loop.
 *
 * DOC: Theory of operation
 * As for TCP (sv_fwd.c), the host-side socket is bound in the host's
 * namespace (by `up` before the supervisor unshares, or by `vacmlab
 * forward`, which passes it over the control socket) and the supervisor,
 * living in the lab's namespace, holds it beside sockets of its own.
 * UDP has no connections, so the relay makes them: the first datagram
 * from a client address (ADDR:PORT as the host side saw it) opens a UDP
 * socket in the lab, connect()ed to GUESTADDR:GUESTPORT; what the client
 * sends goes out on it, and what comes back on it goes to that client
 * from the host-side socket. The guest sees one source port per client,
 * so its replies find their way back without any table on its side.
 *
 *  - udp_host_io(): datagrams from clients, at most UDP_BATCH a wakeup so
 *    that one busy forward does not starve the rest of the loop;
 *  - udp_guest_io(): replies from the guest to one client;
 *  - sv_udp_tick(): closes a client's socket after idle_ms without a
 *    datagram either way (`idle=SECONDS`, default
 *    FORWARD_UDP_IDLE_DEFAULT);
 *  - at most UDP_MAX_CLIENTS clients per forward: a datagram from a new
 *    client past that is dropped and counted, and the first one says so
 *    in the supervisor's log, until a client's socket has gone idle.
 *
 * Nothing is queued: a datagram the next socket cannot take at once is
 * dropped and counted, as a router would drop it. Every socket has
 * SO_RXQ_OVFL on, so datagrams the kernel dropped because the relay was
 * slow to read are counted too (`dropped_to_guest`, `dropped_from_guest`):
 * status accounts for every datagram that reached the forward. A guest port that answers with ICMP
 * port unreachable counts as `refused`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lab/lib/status_keys.h"
#include "lab/sv/sv.h"
#include "lab/lib/util.h"

#define UDP_MAX_CLIENTS 256
#define UDP_BATCH 64
#define UDP_SOCKBUF (1 << 20) /* asked for; the kernel caps it at rmem_max */
#define UDP_TICK_MS 250

struct sv_udp {
	int lfd;
	struct sv_node *node;
	int guest_port;
	int idle_ms;
	char desc[80];
	uint32_t ovfl; /* SO_RXQ_OVFL of lfd last seen */
	unsigned long long clients, expired;
	unsigned long long to_guest, from_guest, bytes_to_guest, bytes_from_guest;
	unsigned long long dropped_to_guest, dropped_from_guest, refused;
	int active;
	bool capped;		 /* said so in the log; again once below the cap */
	struct udp_client *list; /* most recently used first */
	struct sv_udp *next;
};

struct udp_client {
	struct sv_udp *u;
	int fd; /* connected to the guest, lab side */
	struct sockaddr_in peer;
	uint32_t ovfl;
	long long last_ms;
	struct udp_client *prev, *next;
};

static char udp_buf[65536];

static void sockbufs(int fd)
{
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){UDP_SOCKBUF}, sizeof(int));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){UDP_SOCKBUF}, sizeof(int));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &(int){1}, sizeof(int));
}

int sv_udp_add(struct sv *sv, int host_fd, struct sv_node *n, int guest_port, int idle_s,
	       const char *desc)
{
	struct sv_udp *u = xcalloc(1, sizeof(*u));

	u->lfd = host_fd;
	u->node = n;
	u->guest_port = guest_port;
	u->idle_ms = (idle_s > 0 ? idle_s : FORWARD_UDP_IDLE_DEFAULT) * 1000;
	snprintf(u->desc, sizeof(u->desc), "%s", desc);
	sockbufs(host_fd);
	u->next = sv->udps;
	sv->udps = u;
	loop_watch(&sv->loop, host_fd, EPOLLIN, EV_UDP_HOST, u);
	return 0;
}

static void client_free(struct sv *sv, struct udp_client *c)
{
	struct sv_udp *u = c->u;

	loop_unwatch(&sv->loop, c->fd);
	close(c->fd);
	u->active--;
	if (u->active < UDP_MAX_CLIENTS)
		u->capped = false;
	if (c->prev)
		c->prev->next = c->next;
	else
		u->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void to_front(struct sv_udp *u, struct udp_client *c)
{
	if (!c->prev)
		return;
	c->prev->next = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = u->list;
	u->list->prev = c;
	u->list = c;
}

/* The client socket for @from, made on its first datagram; NULL: drop. */
static struct udp_client *client_get(struct sv *sv, struct sv_udp *u,
				     const struct sockaddr_in *from)
{
	struct sockaddr_in ga = {.sin_family = AF_INET, .sin_port = htons((uint16_t)u->guest_port)};
	struct udp_client *c;
	int fd;

	for (c = u->list; c; c = c->next)
		if (c->peer.sin_port == from->sin_port &&
		    c->peer.sin_addr.s_addr == from->sin_addr.s_addr) {
			to_front(u, c);
			return c;
		}
	if (u->node->state != NODE_READY && u->node->state != NODE_BOOTING)
		return NULL; /* guest not running */
	ga.sin_addr = sv_node_addr(sv, u->node);
	if (!ga.sin_addr.s_addr)
		return NULL;
	if (u->active >= UDP_MAX_CLIENTS) {
		if (!u->capped) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
			fprintf(stderr,
				"forward udp %s -> %s:%d: %d clients, the most one forward "
				"serves: datagrams from new clients (first %s:%d) are dropped "
				"until a client has been idle for %d s\n",
				u->desc, u->node->cfg->name, u->guest_port, UDP_MAX_CLIENTS, a,
				ntohs(from->sin_port), u->idle_ms / 1000);
			u->capped = true;
		}
		return NULL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	sockbufs(fd);
	if (connect(fd, (struct sockaddr *)&ga, sizeof(ga)) < 0) {
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->u = u;
	c->fd = fd;
	c->peer = *from;
	c->next = u->list;
	if (u->list)
		u->list->prev = c;
	u->list = c;
	u->active++;
	u->clients++;
	loop_watch(&sv->loop, fd, EPOLLIN, EV_UDP_GUEST, c);
	return c;
}

/* One datagram into udp_buf: its length, or -1 (errno set). Kernel drops
 * on @fd since the last call are added to @dropped. */
static ssize_t udp_recv(int fd, struct sockaddr_in *from, uint32_t *ovfl,
			unsigned long long *dropped)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = {udp_buf, sizeof(udp_buf)};
	struct msghdr m = {
		.msg_name = from,
		.msg_namelen = from ? sizeof(*from) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t v;

			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			*dropped += (uint32_t)(v - *ovfl);
			*ovfl = v;
		}
	if (from && (m.msg_namelen != sizeof(*from) || from->sin_family != AF_INET)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return n;
}

/* A refusal (ICMP) for an earlier datagram is reported by the next send,
 * which then sends nothing: count it and send again. 0 or -1. */
static int send_guest(struct udp_client *c, size_t n)
{
	if (send(c->fd, udp_buf, n, MSG_DONTWAIT) >= 0)
		return 0;
	if (errno != ECONNREFUSED)
		return -1;
	c->u->refused++;
	return send(c->fd, udp_buf, n, MSG_DONTWAIT) < 0 ? -1 : 0;
}

void sv_udp_host_io(struct sv *sv, struct sv_udp *u)
{
	long long now = now_ms();

	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_in from;
		struct udp_client *c;
		ssize_t n = udp_recv(u->lfd, &from, &u->ovfl, &u->dropped_to_guest);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue; /* a pending error (ICMP for a reply we sent) */
		}
		c = client_get(sv, u, &from);
		if (!c) {
			u->dropped_to_guest++;
			continue;
		}
		c->last_ms = now;
		if (send_guest(c, (size_t)n) < 0) {
			u->dropped_to_guest++;
			continue;
		}
		u->to_guest++;
		u->bytes_to_guest += (unsigned long long)n;
	}
}

void sv_udp_guest_io(struct sv *sv, struct udp_client *c)
{
	struct sv_udp *u = c->u;

	for (int i = 0; i < UDP_BATCH; i++) {
		ssize_t n = udp_recv(c->fd, NULL, &c->ovfl, &u->dropped_from_guest);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ECONNREFUSED)
				u->refused++; /* nothing listens on the guest port */
			continue;
		}
		c->last_ms = now_ms();
		if (sendto(u->lfd, udp_buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&c->peer,
			   sizeof(c->peer)) < 0) {
			u->dropped_from_guest++;
			continue;
		}
		u->from_guest++;
		u->bytes_from_guest += (unsigned long long)n;
	}
	(void)sv;
}

void sv_udp_tick(struct sv *sv)
{
	static long long next;
	long long now = now_ms();

	if (now < next)
		return;
	next = now + UDP_TICK_MS;
	for (struct sv_udp *u = sv->udps; u; u = u->next)
		for (struct udp_client *c = u->list, *nx; c; c = nx) {
			nx = c->next;
			if (now - c->last_ms >= u->idle_ms) {
				u->expired++;
				client_free(sv, c);
			}
		}
}

void sv_udp_node_exited(struct sv *sv, struct sv_node *n)
{
	for (struct sv_udp *u = sv->udps; u; u = u->next)
		while (u->node == n && u->list)
			client_free(sv, u->list);
}

void sv_udp_json(struct sv *sv, struct sv_node *n, json_t *arr)
{
	for (struct sv_udp *u = sv->udps; u; u = u->next) {
		json_t *o;

		if (u->node != n)
			continue;
		o = json_pack("{s:s,s:s,s:i,s:i,s:I,s:i,s:I}", SK_PROTO, SKV_PROTO_UDP, SK_LISTEN,
			      u->desc, SK_GUEST_PORT, u->guest_port, SK_IDLE_S, u->idle_ms / 1000,
			      SK_CONNECTIONS, (json_int_t)u->clients, SK_ACTIVE, u->active,
			      SK_BYTES, (json_int_t)(u->bytes_to_guest + u->bytes_from_guest));
		json_object_set_new(o, SK_DATAGRAMS_TO_GUEST,
				    json_integer((json_int_t)u->to_guest));
		json_object_set_new(o, SK_DATAGRAMS_FROM_GUEST,
				    json_integer((json_int_t)u->from_guest));
		json_object_set_new(o, SK_BYTES_TO_GUEST,
				    json_integer((json_int_t)u->bytes_to_guest));
		json_object_set_new(o, SK_BYTES_FROM_GUEST,
				    json_integer((json_int_t)u->bytes_from_guest));
		json_object_set_new(o, SK_DROPPED_TO_GUEST,
				    json_integer((json_int_t)u->dropped_to_guest));
		json_object_set_new(o, SK_DROPPED_FROM_GUEST,
				    json_integer((json_int_t)u->dropped_from_guest));
		json_object_set_new(o, SK_REFUSED, json_integer((json_int_t)u->refused));
		json_object_set_new(o, SK_EXPIRED, json_integer((json_int_t)u->expired));
		json_array_append_new(arr, o);
	}
}

void sv_udp_close_all(struct sv *sv)
{
	while (sv->udps) {
		struct sv_udp *u = sv->udps;

		sv->udps = u->next;
		while (u->list)
			client_free(sv, u->list);
		loop_unwatch(&sv->loop, u->lfd);
		close(u->lfd);
		free(u);
	}
}
