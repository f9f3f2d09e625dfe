// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_cable.c - serial cables between nodes: the supervisor relays them.
 *
 * DOC: Theory of operation
 * Each end of a cable is a port like a console (sv_port.c makes it: a
 * socketpair whose other end QEMU gets as its chardev, and a read-only
 * listener), but its QEMU-side fd is registered as EV_CABLE and read here.
 * A chunk read from one end is, in this order, written to the cable's log
 * (one line per chunk: time, direction, the bytes escaped), sent to the
 * read-only watchers of both ends (the same line), and queued to the other
 * end's QEMU. A pulled cable, or an end whose QEMU is not running, carries
 * nothing: the bytes are logged as lost, as a real cable would drop them.
 *
 * Flow control: when the far end has CABLE_HIGH bytes queued (its guest
 * reads slower than ours writes), this end is no longer read, so QEMU's
 * chardev stops taking bytes from the guest's UART and nothing is lost
 * in the relay. A paced cable (cable:NODE@BAUD) hands the far end at most
 * BAUD/10 bytes a second, on a 10 ms timer.
 *
 * The cable outlives either node's QEMU: a restarted node gets a fresh
 * socketpair for its end (sv_port_reopen) and sv_cable_plug() joins it to
 * the same cable. The log is the cable's, named after the declaring end
 * (LOGDIR/NODE.ttySN.log, rotated like a console log); the far end's
 * name is a symlink to it, so `vacmlab logs` works from either end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

#define CABLE_HIGH (256 * 1024) /* queued to one end: stop reading the other */
#define CABLE_TICK_NS 10000000L /* pacing timer: 10 ms */

static struct sv_port *far_end(const struct sv_port *p)
{
	struct sv_cable *c = p->cable;

	return c->end[0] == p ? c->end[1] : c->end[0];
}

/* What to wait for on end @p: input unless the far end is full (or the
 * cable is pulled: then we read and drop), output while we have some. */
static void arm(struct sv *sv, struct sv_port *p)
{
	struct sv_port *o = p->cable ? far_end(p) : NULL;
	uint32_t ev = 0;

	if (p->fd < 0)
		return;
	if (!o || o->in_len < CABLE_HIGH)
		ev |= EPOLLIN;
	if (p->in_len && !(p->cable && p->cable->baud))
		ev |= EPOLLOUT;
	loop_rearm(&sv->loop, p->fd, ev, EV_CABLE, p);
}

/* "2026-01-02T03:04:05.123456Z " */
static size_t stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%06ldZ ", ts.tv_nsec / 1000);
	return n;
}

/* End @e of @c as the log names it: NODE:ttySN, or device:NAME. */
static const char *end_name(const struct sv_cable *c, int e, char *buf, size_t len)
{
	if (c->port[e] < 0)
		snprintf(buf, len, "%s", c->name[e]); /* device:NAME, pty */
	else
		snprintf(buf, len, "%s:ttyS%d", c->name[e], c->port[e]);
	return buf;
}

/* One log line: TIME FROM>TO [lost ]"BYTES", the bytes C-escaped; from
 * end @e of @c to the other. */
static char *format_chunk(const struct sv_cable *c, int e, const char *what, const char *buf,
			  size_t len, size_t *out_len)
{
	char *s = xmalloc(len * 4 + 256), *q, a[80], b[80];
	static const char hex[] = "0123456789abcdef";

	q = s + stamp(s, 64);
	q += sprintf(q, "%s>%s %s\"", end_name(c, e, a, sizeof(a)), end_name(c, !e, b, sizeof(b)),
		     what);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n')
			q += sprintf(q, "\\n");
		else if (ch == '\r')
			q += sprintf(q, "\\r");
		else if (ch == '\t')
			q += sprintf(q, "\\t");
		else if (ch == '"' || ch == '\\')
			*q++ = '\\', *q++ = (char)ch;
		else if (ch < 0x20 || ch >= 0x7f)
			*q++ = '\\', *q++ = 'x', *q++ = hex[ch >> 4], *q++ = hex[ch & 15];
		else
			*q++ = (char)ch;
	}
	*q++ = '"';
	*q++ = '\n';
	*out_len = (size_t)(q - s);
	return s;
}

/* A line to the log and to the watchers of both ends (a terminal wants
 * \r\n). */
static void record(struct sv *sv, struct sv_cable *c, char *line, size_t len)
{
	int r;

	if (c->log.fd >= 0 && (r = logfile_write(&c->log, line, len)) < 0)
		fprintf(stderr, "writing %s: %s\n", c->log_path, strerror(-r));
	line[len - 1] = '\r';
	for (int i = 0; i < 2; i++) {
		if (!c->end[i])
			continue;
		sv_port_broadcast(sv, c->end[i], line, len);
		sv_port_broadcast(sv, c->end[i], "\n", 1);
	}
}

void sv_cable_note(struct sv *sv, struct sv_cable *c, const char *what)
{
	char line[512], a[80], b[80];
	size_t n = stamp(line, sizeof(line));

	n += (size_t)snprintf(line + n, sizeof(line) - n, "cable %s-%s %s\n",
			      end_name(c, 0, a, sizeof(a)), end_name(c, 1, b, sizeof(b)), what);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	record(sv, c, line, n);
}

void sv_cable_readable(struct sv *sv, struct sv_port *p)
{
	struct sv_cable *c = p->cable;
	char buf[16384];

	for (int turns = 0; turns < 16; turns++) {
		struct sv_port *o = far_end(p);
		ssize_t n = read(p->fd, buf, sizeof(buf));
		bool carried;
		size_t len;
		char *line;
		int e = p == c->end[0] ? 0 : 1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* QEMU exited: the end is unplugged until it is back */
			loop_unwatch(&sv->loop, p->fd);
			close(p->fd);
			p->fd = -1;
			p->in_len = 0;
			return;
		}
		/* The far guest first, then the log and the watchers: the
		 * relay's latency is the far end's, not the log's. */
		carried = !c->pulled && o && o->fd >= 0;
		if (carried) {
			c->bytes[e] += (unsigned long long)n;
			o->in = xrealloc(o->in, o->in_len + (size_t)n);
			memcpy(o->in + o->in_len, buf, (size_t)n);
			o->in_len += (size_t)n;
			if (!c->baud) /* else the timer hands it over */
				sv_cable_writable(sv, o);
		} else {
			c->lost[e] += (unsigned long long)n;
		}
		line = format_chunk(c, e, carried ? "" : "lost ", buf, (size_t)n, &len);
		record(sv, c, line, len);
		free(line);
		if (p->node && p->node->have_re && p->idx == 0)
			sv_port_match_ready(sv, p, buf, (size_t)n);
		/* A short read emptied the socket: no second read for EAGAIN. */
		if ((size_t)n < sizeof(buf) || (carried && o->in_len >= CABLE_HIGH))
			break;
	}
	arm(sv, p);
}

/* Write up to @max queued bytes to end @p's QEMU. */
static void flush(struct sv *sv, struct sv_port *p, size_t max)
{
	while (p->in_len && p->fd >= 0 && max) {
		size_t want = p->in_len < max ? p->in_len : max;
		ssize_t n = write(p->fd, p->in, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				p->in_len = 0;
			break;
		}
		memmove(p->in, p->in + n, p->in_len - (size_t)n);
		p->in_len -= (size_t)n;
		max -= (size_t)n;
		if (p->cable)
			p->cable->credit -= (long long)n;
	}
}

void sv_cable_writable(struct sv *sv, struct sv_port *p)
{
	bool was_full = p->in_len >= CABLE_HIGH;

	if (!p->cable->baud)
		flush(sv, p, (size_t)-1);
	arm(sv, p);
	if (was_full && p->in_len < CABLE_HIGH)
		arm(sv, far_end(p)); /* read the other end again */
}

void sv_cable_tick(struct sv *sv, struct sv_cable *c)
{
	uint64_t ticks = 0;
	long long rate = c->baud / 10; /* 8N1: ten bits a byte */

	if (read(c->timer_fd, &ticks, sizeof(ticks)) < 0)
		ticks = 1;
	/* At most one tick's worth of burst after a quiet spell. */
	c->credit += rate * (long long)ticks * CABLE_TICK_NS / 1000000000LL;
	if (c->credit > rate * CABLE_TICK_NS / 1000000000LL + 1)
		c->credit = rate * CABLE_TICK_NS / 1000000000LL + 1;
	for (int i = 0; i < 2; i++) {
		struct sv_port *p = c->end[i];
		bool was_full;

		if (!p || c->credit <= 0)
			continue;
		was_full = p->in_len >= CABLE_HIGH;
		flush(sv, p, (size_t)c->credit);
		if (was_full && p->in_len < CABLE_HIGH)
			arm(sv, far_end(p));
	}
}

/* The cable of node @n's port @idx, made when its first end starts. */
static struct sv_cable *cable_get(struct sv *sv, struct sv_node *n, int idx)
{
	const struct serial_port *sp = &n->cfg->serial[idx];
	struct sv_node *peer = sv_find_node(sv, sp->peer);
	struct sv_cable *c;
	struct sv_port *sp_far = NULL; /* a device's end */
	int d = sp->cable_far ? 1 : 0; /* our end's index: 0 declared */

	if (n->ports[idx].cable)
		return n->ports[idx].cable;
	if (sp->kind == SERIAL_DEVICE) {
		struct sv_device *dev = NULL;

		for (int i = 0; i < sv->t->n_devices; i++)
			if (!strcmp(sv->devices[i]->cfg->name, sp->peer))
				dev = sv->devices[i];
		peer = NULL;
		d = 0;
		sp_far = dev ? &dev->port : NULL;
	}
	if (sp->kind == SERIAL_PTY) {
		peer = NULL;
		d = 0;
		sp_far = n->ports[idx].pty ? &n->ports[idx].pty->port : NULL;
	}
	if (peer && peer->ports[sp->peer_port].cable) {
		c = peer->ports[sp->peer_port].cable;
		c->end[d] = &n->ports[idx];
		return c;
	}
	c = xcalloc(1, sizeof(*c));
	c->name[d] = xstrdup(n->cfg->name);
	c->port[d] = idx;
	c->name[!d] = sp->kind == SERIAL_DEVICE ? xasprintf("device:%s", sp->peer)
		      : sp->kind == SERIAL_PTY	? xstrdup("pty")
						: xstrdup(sp->peer);
	c->port[!d] = sp->kind == SERIAL_DEVICE || sp->kind == SERIAL_PTY ? -1 : sp->peer_port;
	c->baud = sp->baud;
	c->end[d] = &n->ports[idx];
	if (sp_far) {
		c->end[1] = sp_far;
		sp_far->cable = c;
	}
	c->log.fd = c->timer_fd = -1;
	c->next = sv->cables;
	sv->cables = c;
	return c;
}

/* The log's line for end @p plugged: the cable connected (both ends now
 * there), one end waiting for the other, or an end back after its QEMU
 * started again. */
static void plug_note(struct sv *sv, struct sv_cable *c, struct sv_port *p)
{
	int d = c->end[0] == p ? 0 : 1;
	char what[128], me[80];

	end_name(c, d, me, sizeof(me));
	if (c->plugs[d]++)
		snprintf(what, sizeof(what), "%s end back", me);
	else if (c->end[!d])
		snprintf(what, sizeof(what), "connected");
	else
		snprintf(what, sizeof(what), "%s plugged, the far end not up yet", me);
	sv_cable_note(sv, c, what);
}

int sv_cable_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e)
{
	struct sv_port *p = &n->ports[idx];
	struct sv_cable *c = cable_get(sv, n, idx);
	int r;

	p->cable = c;
	if (!c->log_path) {
		_cleanup_free_ char *far =
			port_log_path(sv->logdir, c->name[1], c->port[1] < 0 ? 0 : c->port[1]);
		_cleanup_free_ char *base = port_log_path(".", c->name[0], c->port[0]);

		c->log_path = port_log_path(sv->logdir, c->name[0], c->port[0]);
		r = logfile_start(&c->log, c->log_path, sv->t->log_max);
		if (r < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: opening %s: %s", idx, c->log_path,
				strerror(-r));
			return -1;
		}
		if (c->port[1] >= 0)
			unlink(far);
		if (c->port[1] >= 0 && symlink(base + 2, far) < 0)
			fprintf(stderr, "linking %s to %s: %s\n", far, c->log_path,
				strerror(errno));
	}
	if (c->baud && c->timer_fd < 0) {
		struct itimerspec its = {{0, CABLE_TICK_NS}, {0, CABLE_TICK_NS}};

		c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->timer_fd < 0 || timerfd_settime(c->timer_fd, 0, &its, NULL) < 0) {
			vl_fail(e, EXIT_ENV, "ttyS%d: pacing timer: %s", idx, strerror(errno));
			return -1;
		}
		loop_watch(&sv->loop, c->timer_fd, EPOLLIN, EV_CABLE_TIMER, c);
	}
	free(p->log_path);
	p->log_path = port_log_path(sv->logdir, n->cfg->name, idx);
	p->in_len = 0; /* what was queued for the last boot is lost */
	plug_note(sv, c, p);
	arm(sv, p);
	if (c->end[1] && !c->end[1]->node)
		arm(sv, c->end[1]); /* a device's pty */
	return 0;
}

void sv_cable_end_back(struct sv *sv, struct sv_port *p, const char *what)
{
	p->in_len = 0;
	if (!p->cable)
		return;
	sv_cable_note(sv, p->cable, what);
	arm(sv, p);
}

int sv_cable_set(struct sv *sv, struct sv_node *n, int idx, bool up, struct vl_err *e)
{
	struct sv_cable *c;
	size_t inflight;
	char what[80];

	if (idx >= n->cfg->n_serial ||
	    (n->cfg->serial[idx].kind != SERIAL_CABLE &&
	     n->cfg->serial[idx].kind != SERIAL_DEVICE && n->cfg->serial[idx].kind != SERIAL_PTY)) {
		vl_fail(e, EXIT_CONFIG, "%s:ttyS%d is not a cable", n->cfg->name, idx);
		return -1;
	}
	c = n->ports[idx].cable;
	if (!c) {
		vl_fail(e, EXIT_CONFIG,
			"%s:ttyS%d: the cable is not connected yet (node not started)",
			n->cfg->name, idx);
		return -1;
	}
	if (c->pulled == !up)
		return 0;
	c->pulled = !up;
	/* Bytes in flight on a pulled cable are lost, and counted: what was
	 * queued to end i came from the other end. */
	inflight = 0;
	for (int i = 0; i < 2 && !up; i++)
		if (c->end[i]) {
			c->lost[!i] += c->end[i]->in_len;
			inflight += c->end[i]->in_len;
			c->end[i]->in_len = 0;
		}
	if (up)
		snprintf(what, sizeof(what), "plugged");
	else
		snprintf(what, sizeof(what), "pulled (in flight, lost: %zu bytes)", inflight);
	sv_cable_note(sv, c, what);
	for (int i = 0; i < 2; i++)
		if (c->end[i])
			arm(sv, c->end[i]);
	return 0;
}

void sv_cable_unplug(struct sv *sv, struct sv_port *p)
{
	struct sv_cable *c = p->cable;

	if (!c)
		return;
	for (int i = 0; i < 2; i++)
		if (c->end[i] == p)
			c->end[i] = NULL;
	p->cable = NULL;
	/* A device's end goes with its node's (the device stays, unplugged). */
	for (int i = 0; i < 2; i++)
		if (c->end[i] && !c->end[i]->node) {
			if (c->end[i]->fd >= 0)
				loop_unwatch(&sv->loop, c->end[i]->fd);
			c->end[i]->cable = NULL;
			c->end[i] = NULL;
		}
	if (c->end[0] || c->end[1])
		return;
	/* Neither end left: the cable goes (lab down, or apply removed both). */
	for (struct sv_cable **pp = &sv->cables; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->timer_fd >= 0) {
		loop_unwatch(&sv->loop, c->timer_fd);
		close(c->timer_fd);
	}
	logfile_close(&c->log);
	free(c->log_path);
	free(c->name[0]);
	free(c->name[1]);
	free(c);
}

json_t *sv_cable_json(struct sv_port *p)
{
	struct sv_cable *c = p->cable;
	char peer[80];
	int e;

	if (!c)
		return json_object();
	e = c->end[1] == p ? 1 : 0;
	return json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:i}", SK_PEER,
			 end_name(c, !e, peer, sizeof(peer)), SK_PLUGGED, !c->pulled, SK_BYTES_SENT,
			 (json_int_t)c->bytes[e], SK_BYTES_RECEIVED, (json_int_t)c->bytes[!e],
			 SK_LOST_SENT, (json_int_t)c->lost[e], SK_LOST_RECEIVED,
			 (json_int_t)c->lost[!e], SK_BAUD, c->baud);
}

void sv_cable_pull(struct sv *sv, struct sv_port *p, const char *why)
{
	struct sv_cable *c = p->cable;
	struct sv_port *dev;
	size_t inflight;
	char what[256];
	int e;

	if (!c)
		return;
	e = c->end[0] == p ? 0 : 1;
	dev = c->end[!e] && !c->end[!e]->node ? c->end[!e] : NULL; /* leaves with @p */
	/* What was on its way to @p came from the other end, and what was on
	 * its way to a device or pty that leaves with @p came from @p: lost. */
	inflight = p->in_len + (dev ? dev->in_len : 0);
	c->lost[!e] += p->in_len;
	p->in_len = 0;
	if (dev) {
		c->lost[e] += dev->in_len;
		dev->in_len = 0;
	}
	snprintf(what, sizeof(what), "%s (in flight, lost: %zu bytes)", why, inflight);
	sv_cable_note(sv, c, what);
	sv_cable_unplug(sv, p);
}
