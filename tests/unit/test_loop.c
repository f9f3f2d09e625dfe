// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_loop.c - TAP tests of the supervisor's event loop (lab/sv/loop.c)
 * on real pipes and epoll: an event carries the type and pointer its fd
 * was registered with; only ready fds are reported; changing the events
 * of a watched fd takes effect; an fd unwatched (and closed) by a handler
 * earlier in the same batch is no longer live, even when its number is
 * reused at once by a new fd registered with the same type and pointer;
 * high fd numbers grow the table; loop_rearm changes what changed and
 * nothing else; a fd closed without an unwatch and its number reused is
 * registered again by loop_watch. (The loop has no timers: the supervisor
 * passes a timeout to loop_wait and checks deadlines after each turn.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lab/sv/loop.h"
#include "tests/unit/tap.h"

static void loop_done(struct loop *l)
{
	close(l->epfd);
	free(l->slots);
}

static const struct loop_event *find_ev(const struct loop_event *evs, int n, int fd)
{
	for (int i = 0; i < n; i++)
		if (evs[i].fd == fd)
			return &evs[i];
	return NULL;
}

static void test_readiness(void)
{
	struct loop l;
	struct loop_event evs[8];
	int p1[2], p2[2], tag1, tag2, n;
	const struct loop_event *e;

	ok(loop_init(&l) == 0, "loop_init");
	ok(pipe2(p1, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(p2, O_CLOEXEC | O_NONBLOCK) == 0,
	   "two pipes");
	loop_watch(&l, p1[0], EPOLLIN, EV_PORT, &tag1);
	loop_watch(&l, p2[0], EPOLLIN, EV_FWD_CONN, &tag2);
	is_int(loop_wait(&l, evs, 8, 0), 0, "nothing ready: no event");

	ok(write(p2[1], "x", 1) == 1, "write to the second pipe");
	n = loop_wait(&l, evs, 8, 1000);
	is_int(n, 1, "one fd ready: one event");
	e = find_ev(evs, n, p2[0]);
	ok(e && e->type == EV_FWD_CONN && e->ptr == &tag2 && (e->events & EPOLLIN),
	   "the event carries the fd's type, pointer and EPOLLIN");
	ok(e && loop_live(&l, e), "and is live");

	ok(write(p1[1], "y", 1) == 1, "write to the first pipe too");
	n = loop_wait(&l, evs, 8, 1000);
	is_int(n, 2, "both ready (level-triggered: the unread byte still counts)");
	e = find_ev(evs, n, p1[0]);
	ok(e && e->type == EV_PORT && e->ptr == &tag1, "the first pipe's event is its own");

	/* Watch for nothing: a level-triggered fd with data is quiet. */
	loop_watch(&l, p1[0], 0, EV_PORT, &tag1);
	n = loop_wait(&l, evs, 8, 0);
	ok(n == 1 && evs[0].fd == p2[0], "events 0: the fd stays registered but quiet");
	/* Re-register with another type and pointer: the new ones are reported. */
	loop_watch(&l, p1[0], EPOLLIN, EV_PROBE, &tag2);
	n = loop_wait(&l, evs, 8, 0);
	e = find_ev(evs, n, p1[0]);
	ok(e && e->type == EV_PROBE && e->ptr == &tag2,
	   "loop_watch again changes type and pointer");

	/* max bounds the batch. */
	is_int(loop_wait(&l, evs, 1, 0), 1, "max = 1: one event of two ready");

	loop_unwatch(&l, p1[0]);
	loop_unwatch(&l, p2[0]);
	is_int(loop_wait(&l, evs, 8, 0), 0, "unwatched fds report nothing");
	loop_unwatch(&l, -1); /* harmless */
	loop_watch(&l, -1, EPOLLIN, EV_PORT, NULL);
	is_int(loop_wait(&l, evs, 8, 0), 0, "fd -1 is ignored");
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	loop_done(&l);
}

/*
 * A batch holds events for two fds; the handler of the first closes the
 * second and, as accept() would, gets the same fd number back at once and
 * registers it with the same type and the same pointer (a freed and
 * re-allocated connection). The batch's event for the old fd is stale:
 * dispatching it would hand the new fd the old one's events.
 */
static void test_unwatch_in_batch(void)
{
	struct loop l;
	struct loop_event evs[8];
	int p1[2], p2[2], p3[2], n, fd_b, tag;
	const struct loop_event *ea, *eb;

	ok(loop_init(&l) == 0, "loop_init");
	ok(pipe2(p1, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(p2, O_CLOEXEC | O_NONBLOCK) == 0,
	   "two pipes");
	loop_watch(&l, p1[0], EPOLLIN, EV_FWD_CONN, &tag);
	loop_watch(&l, p2[0], EPOLLIN, EV_FWD_CONN, &tag);
	ok(write(p1[1], "a", 1) == 1 && write(p2[1], "b", 1) == 1, "both pipes readable");
	n = loop_wait(&l, evs, 8, 1000);
	is_int(n, 2, "one batch of two events");
	ea = find_ev(evs, n, p1[0]);
	eb = find_ev(evs, n, p2[0]);
	ok(ea && eb && loop_live(&l, ea) && loop_live(&l, eb), "both live before any dispatch");
	if (!ea || !eb)
		return;

	/* The first handler: unwatch and close the other fd. */
	fd_b = p2[0];
	loop_unwatch(&l, fd_b);
	close(fd_b);
	ok(!loop_live(&l, eb), "an fd unwatched by an earlier handler is not live");
	ok(loop_live(&l, ea), "the handler's own event stays live");

	/* The number comes back at once for a new fd, same type and pointer. */
	ok(pipe2(p3, O_CLOEXEC | O_NONBLOCK) == 0, "a new pipe");
	if (p3[0] != fd_b) { /* make it reuse the number */
		ok(dup3(p3[0], fd_b, O_CLOEXEC) == fd_b, "dup3 onto the old number");
		close(p3[0]);
		p3[0] = fd_b;
	}
	is_int(p3[0], fd_b, "the new fd has the old fd's number");
	loop_watch(&l, p3[0], EPOLLIN, EV_FWD_CONN, &tag);
	ok(!loop_live(&l, eb), "a stale event is not live for a new fd that reuses its number");

	/* Unwatching the handler's own fd is safe too. */
	loop_unwatch(&l, p1[0]);
	ok(!loop_live(&l, ea), "after unwatching its own fd, the event is not live");

	/* The next batch sees the new fd (nothing written: quiet). */
	n = loop_wait(&l, evs, 8, 0);
	is_int(n, 0, "the new fd has nothing to read; the old ones are gone");
	ok(write(p3[1], "c", 1) == 1, "write to the new pipe");
	n = loop_wait(&l, evs, 8, 1000);
	ok(n == 1 && evs[0].fd == p3[0] && loop_live(&l, &evs[0]),
	   "the new fd's own event is live");

	close(p1[0]);
	close(p1[1]);
	close(p2[1]);
	close(p3[0]);
	close(p3[1]);
	loop_done(&l);
}

/* An fd number above the table's size grows it; the lower slots keep
 * their registrations. */
static void test_grow(void)
{
	struct loop l;
	struct loop_event evs[8];
	int p[2], hi, tag_lo, tag_hi, n;
	const struct loop_event *e;

	ok(loop_init(&l) == 0, "loop_init");
	ok(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "a pipe");
	loop_watch(&l, p[0], EPOLLIN, EV_PORT, &tag_lo);
	hi = fcntl(p[0], F_DUPFD_CLOEXEC, 900);
	ok(hi >= 900, "a dup at fd %d", hi);
	loop_watch(&l, hi, EPOLLIN, EV_PING, &tag_hi);
	ok(l.n_slots > hi, "the table grew past fd %d (%d slots)", hi, l.n_slots);
	ok(write(p[1], "z", 1) == 1, "write");
	n = loop_wait(&l, evs, 8, 1000);
	is_int(n, 2, "both fds of the pipe reported");
	e = find_ev(evs, n, p[0]);
	ok(e && e->type == EV_PORT && e->ptr == &tag_lo, "the low fd kept its registration");
	e = find_ev(evs, n, hi);
	ok(e && e->type == EV_PING && e->ptr == &tag_hi && loop_live(&l, e),
	   "the high fd has its own");
	close(hi);
	close(p[0]);
	close(p[1]);
	loop_done(&l);
}

/* loop_rearm, the relay's re-arm after each chunk: the same events keep
 * the fd watched as it was, other events or another pointer take effect,
 * and after an unwatch the fd is registered anew. */
static void test_rearm(void)
{
	struct loop l;
	struct loop_event evs[8];
	int p[2], tag, other, n, old;

	ok(loop_init(&l) == 0, "loop_init");
	ok(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "a pipe");
	loop_rearm(&l, p[1], EPOLLOUT, EV_CABLE, &tag);
	n = loop_wait(&l, evs, 8, 0);
	ok(n == 1 && evs[0].fd == p[1] && (evs[0].events & EPOLLOUT),
	   "rearm of an unwatched fd registers it (a pipe's write end is writable)");
	loop_rearm(&l, p[1], EPOLLOUT, EV_CABLE, &tag);
	n = loop_wait(&l, evs, 8, 0);
	ok(n == 1 && evs[0].type == EV_CABLE && evs[0].ptr == &tag,
	   "rearm with the same events: still watched, same type and pointer");
	loop_rearm(&l, p[1], 0, EV_CABLE, &tag);
	is_int(loop_wait(&l, evs, 8, 0), 0, "rearm with no events: quiet");
	loop_rearm(&l, p[1], EPOLLOUT, EV_CABLE, &other);
	n = loop_wait(&l, evs, 8, 0);
	ok(n == 1 && evs[0].ptr == &other, "rearm with another pointer takes effect");
	loop_unwatch(&l, p[1]);
	is_int(loop_wait(&l, evs, 8, 0), 0, "unwatched: nothing");
	loop_rearm(&l, p[1], EPOLLOUT, EV_CABLE, &other);
	is_int(loop_wait(&l, evs, 8, 0), 1, "rearm after an unwatch registers it again");

	/* A fd closed behind the loop's back leaves the epoll set; the next
	 * loop_watch of that number (another fd now) must add it, not only
	 * modify a registration the kernel has dropped. */
	old = p[1];
	close(p[0]);
	close(p[1]);
	ok(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0 && p[1] == old,
	   "a new pipe gets the closed one's numbers (lowest free)");
	loop_watch(&l, p[1], EPOLLOUT, EV_CABLE, &tag);
	n = loop_wait(&l, evs, 8, 0);
	ok(n >= 1 && find_ev(evs, n, p[1]) && find_ev(evs, n, p[1])->ptr == &tag,
	   "loop_watch of a reused number after a close without unwatch: registered");
	close(p[0]);
	close(p[1]);
	loop_done(&l);
}

int main(void)
{
	test_readiness();
	test_unwatch_in_batch();
	test_grow();
	test_rearm();
	return done_testing();
}
