// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop.c - epoll registration with type tags (see loop.h).
 *
 * The epoll data is the fd; the type and pointer live in a table indexed by
 * fd, so an fd unwatched by one handler in the middle of a batch of events
 * (a client that closed while another event for it was pending) is skipped
 * instead of dispatched to freed memory; a generation per slot, bumped by
 * each unwatch, keeps a stale event from reaching a new fd that reuses
 * the number.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lab/lib/util.h"
#include "lab/sv/loop.h"

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_watch(struct loop *l, int fd, uint32_t events, enum ev_type type, void *ptr)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (fd < 0)
		return;
	if (fd >= l->n_slots) {
		int n = fd * 2 + 64;

		l->slots = xrealloc(l->slots, (size_t)n * sizeof(*l->slots));
		memset(l->slots + l->n_slots, 0, (size_t)(n - l->n_slots) * sizeof(*l->slots));
		l->n_slots = n;
	}
	l->slots[fd].type = type;
	l->slots[fd].ptr = ptr;
	l->slots[fd].events = events;
	/* One call when we know which: a fd closed without an unwatch has
	 * left the set (ENOENT), a fd we never saw may be in it (EEXIST). */
	if (l->slots[fd].registered) {
		if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
			epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
	} else if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST) {
		epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	l->slots[fd].registered = true;
}

void loop_rearm(struct loop *l, int fd, uint32_t events, enum ev_type type, void *ptr)
{
	if (fd >= 0 && fd < l->n_slots && l->slots[fd].registered && l->slots[fd].type == type &&
	    l->slots[fd].ptr == ptr && l->slots[fd].events == events)
		return;
	loop_watch(l, fd, events, type, ptr);
}

void loop_unwatch(struct loop *l, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (fd < l->n_slots) {
		l->slots[fd].type = EV_NONE;
		l->slots[fd].registered = false;
		l->slots[fd].gen++;
	}
}

int loop_wait(struct loop *l, struct loop_event *evs, int max, int timeout_ms)
{
	struct epoll_event ee[64];
	int n, k = 0;

	if (max > 64)
		max = 64;
	n = epoll_wait(l->epfd, ee, max, timeout_ms);
	for (int i = 0; i < n; i++) {
		int fd = ee[i].data.fd;

		if (fd < 0 || fd >= l->n_slots || l->slots[fd].type == EV_NONE)
			continue;
		evs[k].type = l->slots[fd].type;
		evs[k].ptr = l->slots[fd].ptr;
		evs[k].fd = fd;
		evs[k].events = ee[i].events;
		evs[k].gen = l->slots[fd].gen;
		k++;
	}
	return k;
}

bool loop_live(const struct loop *l, const struct loop_event *ev)
{
	return ev->fd < l->n_slots && l->slots[ev->fd].type == ev->type &&
	       l->slots[ev->fd].ptr == ev->ptr && l->slots[ev->fd].gen == ev->gen;
}
