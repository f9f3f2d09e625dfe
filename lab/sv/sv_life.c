// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_life.c - a node's lifecycle on a running lab: `vacmlab node
 * stop|start|restart|reset|kill` (control method "node"), from the request
 * to its reply.
 *
 * DOC: Theory of operation
 *
 * The operations are one table, NODE_OPS in supervisor.h, shared with the
 * CLI's parser and help. A request is checked here (the lab running, the
 * node not busy, running or not as the op needs), then begun:
 *   stop     sv_node_stop_begin() (sv_down.c: the power button, then quit,
 *            SIGTERM, SIGKILL, as `down` does);
 *   kill     SIGKILL;
 *   start    sv_node_start() (sv_node.c), readiness as at `up`;
 *   restart  stop, then start;
 *   reset    QMP system_reset, answered when QEMU answers (sv_qmp.c).
 * The client waits in the node (n->op, n->op_client). sv_life_tick(), every
 * loop turn after the events, answers it once the node is where the op
 * leads: QEMU gone (stop, kill), ready or failed (start), and begins the
 * start half of a restart. Each request has its own result: a start that
 * cannot spawn QEMU, or a node that fails to become ready, is answered with
 * that node's own error (n->fail), never with the lab's first failure
 * (sv->fail.msg), which belongs to `up`.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lab/lib/error.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

#define NODE_OP_NAME_(e, name, help) name,
#define NODE_OP_HELP_(e, name, help) help,
const char *const node_op_names[] = {NODE_OPS(NODE_OP_NAME_) NULL};
static const char *const node_op_helps[] = {NODE_OPS(NODE_OP_HELP_) NULL};

const char *node_op_name(enum node_op op)
{
	return op > OP_NONE && op < N_NODE_OPS ? node_op_names[op - OP_STOP] : "";
}

const char *node_op_help(enum node_op op)
{
	return op > OP_NONE && op < N_NODE_OPS ? node_op_helps[op - OP_STOP] : "";
}

enum node_op node_op_parse(const char *name)
{
	for (int i = 0; name && node_op_names[i]; i++)
		if (!strcmp(node_op_names[i], name))
			return (enum node_op)(OP_STOP + i);
	return OP_NONE;
}

/* The client of @n's op gets @j (stolen); the node waits for nothing. */
static void answer(struct sv *sv, struct sv_node *n, json_t *j)
{
	sv_reply(sv, n->op_client, j);
	n->op_client = -1;
	n->op = OP_NONE;
}

static void answer_err(struct sv *sv, struct sv_node *n, int code, const char *why)
{
	sv_reply_errc(sv, n->op_client, code, "node %s: %s", n->cfg->name, why);
	n->op_client = -1;
	n->op = OP_NONE;
}

/* A node op's client waits (no send timeout): the reply comes when the
 * node is stopped, ready, or has failed. */
static void keep_client(struct sv_node *n, int fd, enum node_op op)
{
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	n->op = op;
	n->op_client = fd;
}

/* Start @n for its waiting client; a spawn that fails is answered now. */
static void start(struct sv *sv, struct sv_node *n)
{
	n->op = OP_START;
	n->attempt = 1;
	/* The error is made in the node's own slot: this request's result. */
	vl_clear(&n->fail);
	if (sv_node_start(sv, n, &n->fail) < 0) {
		n->state = NODE_FAILED;
		sv_event(sv, "S %s failed 0.0 %s", n->cfg->name, n->fail.msg);
		answer_err(sv, n, n->fail.code, n->fail.msg);
	}
}

/* The reset button: the node boots again and counts as booting until ready
 * (console, dhcp), as at up. Answered when QEMU took it. */
static void reset(struct sv *sv, struct sv_node *n, int fd)
{
	n->state = NODE_BOOTING;
	n->t_start = now_ms();
	n->t_ready = 0;
	n->nics_answered = 0;
	n->ready_met = 0;
	n->resets = 0;
	line_matcher_free(&n->ready_lm);
	sv_event(sv, "S %s booting 0.0 (reset button)", n->cfg->name);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	sv_qmp_send(sv, n, "system_reset", NULL, QW_CLIENT, fd);
}

void sv_life_request(struct sv *sv, int fd, struct sv_node *n, enum node_op op, int timeout_ms)
{
	bool running = n->pidfd >= 0;

	if (sv->phase != PH_RUNNING) {
		sv_reply_errc(sv, fd, EXIT_STATE, "the lab is %s",
			      sv->phase == PH_STARTING ? "still coming up" : "going down");
		return;
	}
	if (n->op != OP_NONE || n->restart_pending || n->stop != SP_NONE) {
		sv_reply_errc(sv, fd, EXIT_STATE, "node %s is busy (%s)", n->cfg->name,
			      node_state_name(n->state));
		return;
	}
	if (!running && (op == OP_STOP || op == OP_KILL || op == OP_RESET)) {
		sv_reply_errc(sv, fd, EXIT_STATE, "node %s is not running (%s)", n->cfg->name,
			      node_state_name(n->state));
		return;
	}
	if (running && op == OP_START) {
		sv_reply_errc(sv, fd, EXIT_STATE, "node %s is already running (%s)", n->cfg->name,
			      node_state_name(n->state));
		return;
	}
	switch (op) {
	case OP_STOP:
		keep_client(n, fd, OP_STOP);
		sv_node_stop_begin(sv, n, timeout_ms);
		return;
	case OP_RESTART:
		keep_client(n, fd, OP_RESTART);
		if (running)
			sv_node_stop_begin(sv, n, timeout_ms);
		else
			start(sv, n);
		return;
	case OP_START:
		keep_client(n, fd, OP_START);
		start(sv, n);
		return;
	case OP_RESET: reset(sv, n, fd); return;
	case OP_KILL:
		keep_client(n, fd, OP_KILL);
		n->killed = true;
		pidfd_kill(n->pidfd, SIGKILL);
		return;
	case OP_NONE:
	case N_NODE_OPS: break;
	}
	sv_reply_errc(sv, fd, EXIT_CONFIG, "unknown node op");
}

/* One node's waiting client: answered once the op is done. */
static void life_tick(struct sv *sv, struct sv_node *n)
{
	char how[128];

	sv_describe_status(n->status, how, sizeof(how));
	switch (n->op) {
	case OP_NONE:
	case OP_RESET:
	case N_NODE_OPS: return;
	case OP_STOP:
	case OP_KILL:
		if (n->pidfd >= 0)
			return;
		if (n->op == OP_STOP)
			n->state = NODE_PENDING; /* "stopped": on purpose, disks flushed */
		answer(sv, n, json_pack("{s:b,s:s,s:b}", "ok", 1, "how", how, "killed", n->killed));
		return;
	case OP_RESTART:
		if (n->pidfd >= 0)
			return;
		if (sv->phase < PH_POWERDOWN)
			start(sv, n);
		else
			answer_err(sv, n, EXIT_CHILD, "the lab is going down");
		return;
	case OP_START:
		if (n->state == NODE_READY) {
			answer(sv, n,
			       json_pack("{s:b,s:s,s:f}", "ok", 1, "state", "ready", "boot_s",
					 (double)(n->t_ready - n->t_start) / 1000.0));
		} else if (n->state == NODE_FAILED) {
			answer_err(sv, n, n->fail.code ? n->fail.code : EXIT_CHILD,
				   n->fail.msg[0] ? n->fail.msg : "failed");
		} else if (n->pidfd < 0 && !n->restart_pending) {
			char why[160];

			snprintf(why, sizeof(why), "QEMU %s", how);
			answer_err(sv, n, EXIT_CHILD, why);
		}
		return;
	}
}

void sv_life_tick(struct sv *sv)
{
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->op_client >= 0)
			life_tick(sv, sv->nodes[i]);
}
