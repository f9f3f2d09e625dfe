// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_fwd.c - TAP tests of the forward splice (lab/sv/sv_fwd.c) on real
 * TCP sockets on 127.0.0.1: the "guest" is a listener of this test at the
 * node's fixed address, the forward listens on another port, and the test
 * drives the supervisor's loop itself (loop_wait, then sv_fwd_accept and
 * sv_fwd_io as supervisor.c's dispatch calls them). Data both ways; a
 * half-close in each direction is passed on while the other direction
 * goes on; a guest that does not read fills the buffers, the client is
 * held back (no unbounded buffering, no busy loop) and every byte arrives
 * in order once it reads; a guest that is not running or refuses gets
 * the client reset at once; a client's reset and the node's exit free the
 * connection. No timing asserts: each wait is "until, or give up".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/topo.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
#include "tests/unit/tap.h"

static struct topo topo = {.name = (char *)"tf", .domain = (char *)"tf", .path = (char *)"t"};
static struct nic nic;
static struct node node_cfg = {.name = (char *)"n1"};
static struct sv_node node, *node_p = &node;
static struct sv sv;
static int guest_lfd, guest_port, fwd_port;
static long dispatched;

static int tcp_listen(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &l) < 0)
		exit(2);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		exit(2);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* One turn of the supervisor's loop, forward events only. */
static int turn(int timeout_ms)
{
	struct loop_event evs[64];
	int n = loop_wait(&sv.loop, evs, 64, timeout_ms);

	for (int i = 0; i < n; i++) {
		if (!loop_live(&sv.loop, &evs[i]))
			continue;
		dispatched++;
		if (evs[i].type == EV_FWD_LISTEN)
			sv_fwd_accept(&sv, evs[i].ptr);
		else if (evs[i].type == EV_FWD_CONN)
			sv_fwd_io(&sv, evs[i].ptr, evs[i].fd, evs[i].events);
	}
	return n;
}

static json_t *fwd_stat(const char *key)
{
	json_t *a = sv_fwd_json(&sv, &node);
	json_t *v = json_incref(json_object_get(json_array_get(a, 0), key));

	json_decref(a);
	return v;
}

static long long stat_int(const char *key)
{
	json_t *v = fwd_stat(key);
	long long r = json_integer_value(v);

	json_decref(v);
	return r;
}

/* Drive the loop until @fd is readable (or 1000 turns); then read. */
static ssize_t drive_read(int fd, char *buf, size_t len)
{
	for (int i = 0; i < 1000; i++) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		turn(10);
	}
	errno = ETIMEDOUT;
	return -1;
}

static void drive_until_active(long long want)
{
	for (int i = 0; i < 1000 && stat_int("active") != want; i++)
		turn(10);
}

/* A client connected through the forward, and the guest's end. */
static void open_pair(int *cl, int *gu)
{
	struct pollfd p = {.fd = guest_lfd, .events = POLLIN};

	*cl = tcp_connect(fwd_port);
	*gu = -1;
	for (int i = 0; i < 1000; i++) {
		turn(10);
		if (poll(&p, 1, 0) == 1)
			break;
	}
	*gu = accept4(guest_lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	/* The supervisor's connect completes: drive until it splices. */
	for (int i = 0; i < 20; i++)
		turn(1);
}

static void setup(void)
{
	int lfd;

	nic.addr.s_addr = htonl(INADDR_LOOPBACK);
	node_cfg.nics = &nic;
	node_cfg.n_nics = 1;
	topo.nodes = &node_cfg;
	topo.n_nodes = 1;
	node.cfg = &node_cfg;
	node.state = NODE_READY;
	node.pidfd = -1;
	sv.t = &topo;
	sv.nodes = &node_p;
	sv.down_client = -1;
	if (loop_init(&sv.loop) < 0)
		exit(2);
	guest_lfd = tcp_listen(&guest_port);
	lfd = tcp_listen(&fwd_port);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	ok(sv_fwd_add(&sv, lfd, &node, guest_port, false, "127.0.0.1:fwd") == 0, "sv_fwd_add");
}

static void test_both_ways(void)
{
	int cl, gu;
	char buf[64] = "";
	ssize_t n;

	open_pair(&cl, &gu);
	ok(gu >= 0, "the guest got a connection from the forward");
	is_int(stat_int("active"), 1, "one active connection");
	ok(write(cl, "hello", 5) == 5, "the client writes");
	n = drive_read(gu, buf, sizeof(buf));
	ok(n == 5 && !memcmp(buf, "hello", 5), "the guest reads it (%zd)", n);
	ok(write(gu, "world!", 6) == 6, "the guest answers");
	n = drive_read(cl, buf, sizeof(buf));
	ok(n == 6 && !memcmp(buf, "world!", 6), "the client reads it (%zd)", n);
	close(cl);
	n = drive_read(gu, buf, sizeof(buf));
	is_int(n, 0, "the client's close reaches the guest as EOF");
	close(gu);
	drive_until_active(0);
	is_int(stat_int("active"), 0, "both ends closed: the connection is freed");
	is_int(stat_int("bytes"), 11, "11 bytes counted");
}

/* @first half-closes; the other direction still carries data; then the
 * other end closes too and the connection goes. */
static void test_half_close(bool client_first)
{
	int cl, gu, a, b;
	char buf[64];
	ssize_t n;
	const char *who = client_first ? "client" : "guest";

	open_pair(&cl, &gu);
	a = client_first ? cl : gu;
	b = client_first ? gu : cl;
	ok(write(a, "last", 4) == 4 && shutdown(a, SHUT_WR) == 0, "the %s writes and half-closes",
	   who);
	n = drive_read(b, buf, sizeof(buf));
	ok(n == 4 && !memcmp(buf, "last", 4), "%s half-close: the data arrives first", who);
	n = drive_read(b, buf, sizeof(buf));
	is_int(n, 0, "%s half-close: then EOF on the other end", who);
	is_int(stat_int("active"), 1, "%s half-close: the connection stays", who);
	for (int i = 0; i < 3; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "reply%d", i);
		ok(write(b, msg, strlen(msg)) == (ssize_t)strlen(msg),
		   "the other end still writes");
		n = drive_read(a, buf, sizeof(buf));
		ok(n == (ssize_t)strlen(msg) && !memcmp(buf, msg, (size_t)n),
		   "%s half-close: the other direction still flows (%d)", who, i);
	}
	shutdown(b, SHUT_WR);
	n = drive_read(a, buf, sizeof(buf));
	is_int(n, 0, "%s half-close: the second half-close arrives as EOF", who);
	drive_until_active(0);
	is_int(stat_int("active"), 0, "%s half-close: both shut: the connection is freed", who);
	close(a);
	close(b);
}

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

static void test_backpressure(void)
{
	static unsigned char buf[65536];
	size_t sent = 0, got = 0, cap = 64u << 20;
	int cl, gu, stuck = 0, bad = 0;
	long before;
	ssize_t n;

	open_pair(&cl, &gu);
	/* The guest does not read: write until the client is held back. */
	while (sent < cap && stuck < 50) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(sent + i);
		n = write(cl, buf, sizeof(buf));
		if (n > 0) {
			sent += (size_t)n;
			stuck = 0;
		} else {
			stuck++;
		}
		turn(stuck ? 5 : 0);
	}
	ok(sent < cap, "a guest that does not read holds the client back (after %zu bytes)", sent);
	before = dispatched;
	for (int i = 0; i < 20; i++)
		turn(5);
	ok(dispatched - before < 20, "and the forward waits quietly (%ld events in 20 turns)",
	   dispatched - before);
	shutdown(cl, SHUT_WR);
	/* Now the guest reads everything. */
	for (;;) {
		n = drive_read(gu, (char *)buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != pat(got + (size_t)i);
		got += (size_t)n;
	}
	is_int(n, 0, "the guest reads to EOF");
	is_int((long long)got, (long long)sent, "every byte arrives");
	is_int(bad, 0, "in order");
	close(gu);
	drive_until_active(0);
	is_int(stat_int("active"), 0, "the connection is freed");
	close(cl);
}

static void want_reset(const char *what)
{
	char c;
	ssize_t n;
	long long conns = stat_int("connections");
	int cl = tcp_connect(fwd_port);

	n = drive_read(cl, &c, 1);
	ok(n < 0 && errno == ECONNRESET, "%s: the client is reset (%s)", what,
	   n < 0 ? strerror(errno) : "no error");
	is_int(stat_int("connections"), conns + 1, "%s: counted", what);
	is_int(stat_int("active"), 0, "%s: nothing stays open", what);
	close(cl);
}

static void test_resets(void)
{
	int cl, gu, port;
	char buf[16];
	ssize_t n;

	node.state = NODE_EXITED;
	want_reset("a guest that is not running");
	node.state = NODE_READY;
	/* A port nobody listens on: the supervisor's connect is refused. */
	close(tcp_listen(&port));
	{
		struct sv_fwd *keep = sv.fwds;
		int lfd, p2;

		lfd = tcp_listen(&p2);
		fcntl(lfd, F_SETFL, O_NONBLOCK);
		sv.fwds = NULL;
		sv_fwd_add(&sv, lfd, &node, port, false, "refused");
		int save = fwd_port;

		fwd_port = p2;
		want_reset("a guest port that refuses");
		fwd_port = save;
		sv_fwd_close_all(&sv);
		sv.fwds = keep;
	}

	/* The client resets an open connection. */
	open_pair(&cl, &gu);
	setsockopt(cl, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
	close(cl);
	drive_until_active(0);
	is_int(stat_int("active"), 0, "a client's reset frees the connection");
	n = drive_read(gu, buf, sizeof(buf));
	ok(n <= 0, "and the guest's end is closed (%zd)", n);
	close(gu);

	/* The node exits under an open connection. */
	open_pair(&cl, &gu);
	is_int(stat_int("active"), 1, "an open connection");
	sv_fwd_node_exited(&sv, &node);
	is_int(stat_int("active"), 0, "the node's exit frees it at once");
	n = drive_read(cl, buf, sizeof(buf));
	ok(n < 0 && errno == ECONNRESET, "and resets the client");
	close(cl);
	close(gu);
}

int main(void)
{
	setup();
	test_both_ways();
	test_half_close(true);
	test_half_close(false);
	test_backpressure();
	test_resets();
	sv_fwd_close_all(&sv);
	close(guest_lfd);
	close(sv.loop.epfd);
	free(sv.loop.slots);
	return done_testing();
}
