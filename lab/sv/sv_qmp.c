// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_qmp.c - one QMP connection per node, owned by the supervisor and
 * driven by its event loop: nothing ever blocks on QEMU.
 *
 * DOC: Theory of operation
 * QEMU's monitor serves one client at a time, so the supervisor is the only
 * client: everything else that needs QMP (`vacmlab snapshot`, `config
 * export` of a running node, `down`) asks the supervisor over the control
 * socket, which queues the command here and answers the client when QEMU's
 * reply arrives. The connection is made as soon as QEMU has created its
 * socket (-qmp unix:...,server=on,wait=off), retried every 50 ms until it
 * is; commands queued before the capabilities handshake wait for it.
 *
 * Each command carries an "id"; replies are matched by id, not by order, so
 * events in between are never mistaken for replies. Events are recorded on
 * the node (stopped, reset count, panic, the last one that matters) and a
 * STOP is followed by query-status, whose answer (running, internal-error,
 * guest-panicked, shutdown, ...) is the authority; sv_node.c decides what
 * a run state means for the node. This file calls nothing above it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/lib/qmp.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

#define QMP_RBUF_MAX (4 << 20) /* a reply larger than this is not QEMU's */

static void qmp_want_io(struct sv *sv, struct sv_node *n)
{
	struct sv_qmp *q = &n->qmp;

	loop_watch(&sv->loop, q->fd, EPOLLIN | (q->wlen || !q->connected ? EPOLLOUT : 0),
		   EV_NODE_QMP, n);
}

static void qmp_append(struct sv_qmp *q, const char *line)
{
	size_t l = strlen(line);

	q->wbuf = xrealloc(q->wbuf, q->wlen + l + 1);
	memcpy(q->wbuf + q->wlen, line, l);
	q->wlen += l;
}

/* Move the lines of every request not yet sent into the write buffer. */
static void qmp_flush_queue(struct sv_qmp *q)
{
	if (!q->ready)
		return;
	for (struct sv_qmp_req *r = q->reqs; r; r = r->next) {
		if (!r->line)
			continue;
		qmp_append(q, r->line);
		free(r->line);
		r->line = NULL;
	}
}

static void qmp_write(struct sv *sv, struct sv_node *n)
{
	struct sv_qmp *q = &n->qmp;

	while (q->wlen) {
		ssize_t w = send(q->fd, q->wbuf, q->wlen, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			sv_qmp_close(sv, n);
			return;
		}
		memmove(q->wbuf, q->wbuf + w, q->wlen - (size_t)w);
		q->wlen -= (size_t)w;
	}
	qmp_want_io(sv, n);
}

static struct sv_qmp_req *req_add(struct sv_qmp *q, enum qmp_want want, int client_fd)
{
	struct sv_qmp_req *r = xcalloc(1, sizeof(*r)), **pp = &q->reqs;

	r->id = ++q->next_id;
	r->want = want;
	r->client_fd = client_fd;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
	return r;
}

void sv_qmp_send(struct sv *sv, struct sv_node *n, const char *cmd, json_t *args,
		 enum qmp_want want, int client_fd)
{
	struct sv_qmp *q = &n->qmp;
	struct sv_qmp_req *r;
	json_t *j;
	char *s;

	if (n->pidfd < 0) {
		json_decref(args);
		if (want == QW_CLIENT)
			sv_reply_err(sv, client_fd, "node %s is not running", n->cfg->name);
		return;
	}
	/* `link down|up NODE:ethN` is set_link on netdev nN: the link state
	 * QEMU cannot be asked for, kept for status (nics[].link). */
	if (!strcmp(cmd, "set_link") && args) {
		const char *id = json_string_value(json_object_get(args, "name" /* not status */));
		json_t *up = json_object_get(args, "up");
		int i = id && id[0] == 'n' ? atoi(id + 1) : -1;

		if (i >= 0 && i < n->cfg->n_nics && json_is_boolean(up))
			n->nic_down[i] = !json_is_true(up);
	}
	r = req_add(q, want, client_fd);
	j = json_pack("{s:s,s:I}", "execute", cmd, "id", (json_int_t)r->id);
	if (args)
		json_object_set_new(j, "arguments", args);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	r->line = xasprintf("%s\n", s);
	free(s);
	if (q->ready) {
		qmp_flush_queue(q);
		qmp_write(sv, n);
	}
}

void sv_qmp_tick(struct sv *sv, struct sv_node *n)
{
	struct sv_qmp *q = &n->qmp;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (q->fd >= 0 || n->pidfd < 0 || now_ms() < q->next_connect)
		return;
	q->next_connect = now_ms() + 50;
	if (path_sockaddr(&sa, n->qmp_path, NULL) < 0)
		return; /* refused at up (rundir_check_socks) */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* A unix connect completes at once or fails (ENOENT before QEMU made
	 * the socket, ECONNREFUSED before it listens): retry on the timer. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		close(fd);
		return;
	}
	q->fd = fd;
	q->connected = true;
	q->ready = false;
	q->rlen = 0;
	qmp_want_io(sv, n);
}

/* RESET events closer than this are one guest reboot (below). */
#define RESET_BURST_MS 2000

/* The fields of a STOP's follow-up and of the events that matter. */

static void qmp_event(struct sv *sv, struct sv_node *n, const struct qmp_msg *m)
{
	const char *ev = m->event;
	json_t *data = m->value;

	if (!strcmp(ev, "STOP")) {
		n->vm_running = false;
		/* Why it stopped: the run state says (internal-error, ...). */
		sv_qmp_send(sv, n, "query-status", NULL, QW_STATUS, -1);
	} else if (!strcmp(ev, "RESUME")) {
		n->vm_running = true;
		snprintf(n->runstate, sizeof(n->runstate), "running");
	} else if (!strcmp(ev, "RESET")) {
		/* One guest reboot can be several RESET events: the kernel tries
		 * its reset methods in turn (ACPI, keyboard controller, ...) and
		 * under TCG the vCPU runs on until QEMU acts on the first. Count
		 * a burst once: a real reset loop goes through the BIOS each
		 * time, far slower than this. */
		if (now_ms() - n->last_reset_ms > RESET_BURST_MS)
			n->resets++;
		n->last_reset_ms = now_ms();
		snprintf(n->vm_event, sizeof(n->vm_event), "reset (%s)",
			 json_string_value(json_object_get(data, "reason")) ?: "?");
	} else if (!strcmp(ev, "SHUTDOWN")) {
		snprintf(n->vm_event, sizeof(n->vm_event), "shut down (%s)",
			 json_string_value(json_object_get(data, "reason")) ?: "?");
	} else if (!strcmp(ev, "GUEST_PANICKED")) {
		json_t *info = json_object_get(data, "info");

		snprintf(n->runstate, sizeof(n->runstate), "guest-panicked");
		snprintf(n->vm_event, sizeof(n->vm_event), "the guest kernel panicked%s%s",
			 info ? ": " : "",
			 info ? json_string_value(json_object_get(info, "type")) ?: "" : "");
	}
}

static void qmp_reply(struct sv *sv, struct sv_node *n, const struct qmp_msg *m)
{
	struct sv_qmp *q = &n->qmp;
	struct sv_qmp_req **pp = &q->reqs, *r;
	json_t *ret = m->kind == QMP_MSG_RETURN ? m->value : NULL;

	if (!m->has_id)
		return; /* the capabilities reply carries no id */
	while (*pp && (*pp)->id != (unsigned)m->id)
		pp = &(*pp)->next;
	if (!(r = *pp))
		return;
	*pp = r->next;
	switch (r->want) {
	case QW_IGNORE: break;
	case QW_STATUS:
		if (ret) {
			const char *st = json_string_value(json_object_get(ret, "status"));

			n->vm_status_seen = true;
			n->vm_running = json_is_true(json_object_get(ret, "running"));
			snprintf(n->runstate, sizeof(n->runstate), "%s", st ? st : "?");
		}
		break;
	case QW_CLIENT:
		if (ret)
			sv_reply(sv, r->client_fd, json_pack("{s:b,s:O}", "ok", 1, "return", ret));
		else
			sv_reply_err(sv, r->client_fd, "%s",
				     m->kind == QMP_MSG_ERROR ? m->text
							      : "QMP error without a description");
		break;
	}
	free(r->line);
	free(r);
}

static void qmp_line(struct sv *sv, struct sv_node *n, const char *line, size_t len)
{
	struct sv_qmp *q = &n->qmp;
	struct qmp_msg m;

	/* One parser for what QEMU sends (lib/qmp.c, fuzzed). */
	switch (qmp_parse_msg(line, len, &m)) {
	case QMP_MSG_BAD: break;
	case QMP_MSG_GREETING:
		/* The greeting: negotiate, then everything queued may go. */
		qmp_append(q, "{\"execute\":\"qmp_capabilities\"}\n");
		q->ready = true;
		qmp_flush_queue(q);
		break;
	case QMP_MSG_EVENT: qmp_event(sv, n, &m); break;
	case QMP_MSG_RETURN:
	case QMP_MSG_ERROR:
	case QMP_MSG_OTHER: qmp_reply(sv, n, &m); break;
	}
	qmp_msg_free(&m);
}

void sv_qmp_io(struct sv *sv, struct sv_node *n, uint32_t events)
{
	struct sv_qmp *q = &n->qmp;

	if (events & EPOLLIN) {
		for (;;) {
			ssize_t r;
			char *nl;

			if (q->rcap - q->rlen < 4096) {
				if (q->rcap >= QMP_RBUF_MAX) {
					sv_qmp_close(sv, n);
					return;
				}
				q->rcap = q->rcap ? q->rcap * 2 : 8192;
				q->rbuf = xrealloc(q->rbuf, q->rcap);
			}
			r = recv(q->fd, q->rbuf + q->rlen, q->rcap - q->rlen, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			if (r <= 0) {
				/* QEMU closed the monitor: it is exiting. */
				sv_qmp_close(sv, n);
				return;
			}
			q->rlen += (size_t)r;
			while ((nl = memchr(q->rbuf, '\n', q->rlen))) {
				size_t l = (size_t)(nl - q->rbuf);

				qmp_line(sv, n, q->rbuf, l);
				if (q->fd < 0)
					return;
				memmove(q->rbuf, nl + 1, q->rlen - l - 1);
				q->rlen -= l + 1;
			}
		}
	}
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		sv_qmp_close(sv, n);
		return;
	}
	qmp_write(sv, n);
}

void sv_qmp_close(struct sv *sv, struct sv_node *n)
{
	struct sv_qmp *q = &n->qmp;

	if (q->fd >= 0) {
		loop_unwatch(&sv->loop, q->fd);
		close(q->fd);
	}
	q->fd = -1;
	q->connected = q->ready = false;
	q->rlen = q->wlen = 0;
	/* A QEMU that is still running gets a new connection on the next
	 * tick; what was in flight is answered as lost, never re-sent (a
	 * command may have taken effect). */
	while (q->reqs) {
		struct sv_qmp_req *r = q->reqs;

		q->reqs = r->next;
		if (r->want == QW_CLIENT)
			sv_reply_err(sv, r->client_fd, "node %s: QMP connection lost (QEMU %s)",
				     n->cfg->name, n->pidfd >= 0 ? "closed it" : "exited");
		free(r->line);
		free(r);
	}
}
