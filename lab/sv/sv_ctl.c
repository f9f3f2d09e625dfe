// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_ctl.c - the supervisor's control socket, RUNDIR/ctl.sock.
 *
 * One JSON request per connection, one JSON reply (the client is
 * lab/cli/client_ctl.c). The methods are a table below; requests and
 * replies are documented in docs/control.md. The socket is in a 0700
 * directory: only the lab's user can reach it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/error.h"
#include "lab/lib/impair.h"
#include "lab/lib/rundir.h"
#include "lab/sv/sv.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "netns/nl.h"

int sv_ctl_listen(struct sv *sv, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_free_ char *path = path_in(sv->rundir, LF_CTL);

	{
		struct vl_err pe = {0};

		if (path_sockaddr(&sa, path, &pe) < 0) {
			snprintf(err, errlen, "control socket: %s", pe.msg);
			return -1;
		}
	}
	unlink(path);
	sv->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sv->ctl_fd < 0 || bind(sv->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sv->ctl_fd, 16) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	loop_watch(&sv->loop, sv->ctl_fd, EPOLLIN, EV_CTL, NULL);
	return 0;
}

void sv_ctl_accept(struct sv *sv)
{
	int fd = accept4(sv->ctl_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* A client that connects and says nothing must not wedge the lab. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){2, 0}, sizeof(struct timeval));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){2, 0}, sizeof(struct timeval));
	loop_watch(&sv->loop, fd, EPOLLIN, EV_CTL_CLIENT, NULL);
}

static struct nic *find_nic(struct sv *sv, const char *owner, int idx, const char **err)
{
	struct node *n = topo_find_node(sv->t, owner);
	struct host *h = topo_find_host(sv->t, owner);
	struct nic *nics = n ? n->nics : h ? h->nics : NULL;
	int cnt = n ? n->n_nics : h ? h->n_nics : 0;

	if (!n && !h) {
		*err = "no such node or host";
		return NULL;
	}
	if (idx < 0 || idx >= cnt) {
		*err = "no such NIC";
		return NULL;
	}
	return &nics[idx];
}

static void m_impair(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *owner = json_string_value(json_object_get(req, "node"));
	const char *spec = json_string_value(json_object_get(req, "spec"));
	json_t *jn = json_object_get(req, "nic");
	const char *e = NULL;
	char msg[256];
	int first = jn ? (int)json_integer_value(jn) : 0, r = 0;
	struct node *n = owner ? topo_find_node(sv->t, owner) : NULL;
	struct host *h = owner ? topo_find_host(sv->t, owner) : NULL;
	int last = jn ? first : (n ? n->n_nics : h ? h->n_nics : 1) - 1;
	struct impair im = {0};

	if (!spec || (strcmp(spec, "clear") && impair_parse(spec, &im, msg, sizeof(msg)) < 0)) {
		sv_reply_err(sv, fd, "bad impairment '%s': %s", spec ? spec : "",
			     spec ? msg : "missing");
		return;
	}
	for (int i = first; i <= last; i++) {
		struct nic *nic = find_nic(sv, owner, i, &e);

		if (!nic) {
			sv_reply_err(sv, fd, "%s:%d: %s", owner ? owner : "?", i, e);
			return;
		}
		if (!strcmp(spec, "clear")) {
			r = sv_net_impair_nic(sv, nic->ifname, NULL);
			nic->impair.set = false;
		} else {
			r = sv_net_impair_nic(sv, nic->ifname, &im);
			nic->impair = im;
			nic->impair.set = r == 0;
		}
		if (r) {
			sv_reply_err(sv, fd, "impairing %s: %s%s", nic->ifname, strerror(-r),
				     impair_hint(r));
			return;
		}
	}
	sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
}

static void m_forward(struct sv *sv, int fd, json_t *req, int *passed)
{
	int passed_fd = *passed;

	struct sv_node *n = sv_find_node(sv, json_string_value(json_object_get(req, "node")));
	int gport = (int)json_integer_value(json_object_get(req, "guest_port"));
	const char *desc = json_string_value(json_object_get(req, "listen"));
	const char *proto = json_string_value(json_object_get(req, "proto"));
	bool udp = proto && !strcmp(proto, "udp");
	int type = 0;

	*passed = -1; /* ours now */
	if (!n || passed_fd < 0 || gport < 1 || gport > 65535) {
		if (passed_fd >= 0)
			close(passed_fd);
		sv_reply_err(sv, fd, "%s",
			     !n		     ? "no such node"
			     : passed_fd < 0 ? "no listening socket passed"
					     : "guest port out of range");
		return;
	}
	if (getsockopt(passed_fd, SOL_SOCKET, SO_TYPE, &type, &(socklen_t){sizeof(type)}) < 0 ||
	    type != (udp ? SOCK_DGRAM : SOCK_STREAM)) {
		close(passed_fd);
		sv_reply_err(sv, fd, "the passed socket is not a %s socket", udp ? "UDP" : "TCP");
		return;
	}
	if (udp)
		sv_udp_add(sv, passed_fd, n, gport,
			   (int)json_integer_value(json_object_get(req, "idle")),
			   desc ? desc : "?");
	else
		sv_fwd_add(sv, passed_fd, n, gport, desc ? desc : "?");
	sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
}

/* A request's "timeout" in seconds as milliseconds: @dflt when absent or
 * not a number, clamped to 0..24 h (a double past INT_MAX / 1000 would
 * make the conversion undefined; fuzz_ctl found {"timeout":999999991}). */
static int req_timeout_ms(json_t *req, int dflt)
{
	json_t *t = json_object_get(req, "timeout");
	double s;

	if (!json_is_number(t))
		return dflt;
	s = json_number_value(t);
	if (!(s > 0)) /* negative, zero, NaN */
		return 0;
	return s > 86400 ? 86400 * 1000 : (int)(s * 1000);
}

static void m_status(struct sv *sv, int fd, json_t *req, int *passed)
{
	json_t *st = sv_status_json(sv);

	json_object_set_new(st, "ok", json_true()); /* every reply says ok */
	sv_reply(sv, fd, st);
}

/* The reply comes at the very end, when the lab is gone (supervisor.c). */
static void m_down(struct sv *sv, int fd, json_t *req, int *passed)
{
	if (sv->down_client >= 0)
		close(sv->down_client);
	sv->down_client = fd;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	if (json_is_true(json_object_get(req, "kill")))
		sv_down_kill(sv);
	else
		sv_down_begin(sv, req_timeout_ms(req, sv->down_timeout_ms));
}

/* One QMP command on a node's connection, answered when QEMU answers:
 * {"cmd":"qmp","node":N,"execute":C,"arguments":{...}} ->
 * {"ok":true,"return":...} or {"ok":false,"error":DESC}. */
static void m_qmp(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *node = json_string_value(json_object_get(req, "node"));
	const char *cmd = json_string_value(json_object_get(req, "execute"));
	json_t *args = json_object_get(req, "arguments");
	struct sv_node *n = sv_find_node(sv, node);

	if (!n || !cmd || (args && !json_is_object(args))) {
		sv_reply_err(sv, fd, "%s", !n ? "no such node" : "bad qmp request");
		return;
	}
	/* QEMU may take a while (snapshot jobs): no send timeout on the reply. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	sv_qmp_send(sv, n, cmd, json_incref(args), QW_CLIENT, fd);
}

/* {"cmd":"link","node":HOST,"nic":N,"up":BOOL}: a [host]'s cable. The lab
 * end of the host's veth goes down or up; the host's end then loses or
 * regains its carrier. (A node's cable is QEMU's set_link, over QMP.) */
static void m_link(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *owner = json_string_value(json_object_get(req, "node"));
	int idx = (int)json_integer_value(json_object_get(req, "nic"));
	bool up = json_is_true(json_object_get(req, "up"));
	struct host *h = owner ? topo_find_host(sv->t, owner) : NULL;
	const char *e = NULL;
	struct nic *nic;
	int r;

	if (!h) {
		sv_reply_err(sv, fd, "no such host '%s'", owner ? owner : "");
		return;
	}
	nic = find_nic(sv, owner, idx, &e);
	if (!nic) {
		sv_reply_err(sv, fd, "%s:eth%d: %s", owner, idx, e);
		return;
	}
	/* The bridge keeps the port enslaved while it is down. */
	r = up ? nlx_link_up(sv->nl, nic->ifname, NULL) : nlx_link_down(sv->nl, nic->ifname);
	if (r) {
		sv_reply_err(sv, fd, "setting %s %s: %s", nic->ifname, up ? "up" : "down",
			     strerror(-r));
		return;
	}
	sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
}

/* {"cmd":"dns-reload","leases":PATH|null}: restart the lab's dnsmasq with
 * a saved lease file in place (`vacmlab restore`). */
static void m_dns_reload(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *leases = json_string_value(json_object_get(req, "leases"));
	char err[1024];

	if (!sv->t->n_lans) {
		sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (sv_dns_reload(sv, leases, err, sizeof(err)) < 0) {
		sv_reply_err(sv, fd, "%s", err);
		return;
	}
	sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
}

/* A node op's client waits (no send timeout): the reply comes when the
 * node is stopped, ready, or has failed. */
static void keep_client(struct sv_node *n, int fd, enum node_op op)
{
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	n->op = op;
	n->op_client = fd;
}

static void start_node(struct sv *sv, struct sv_node *n, int fd)
{
	keep_client(n, fd, OP_START);
	n->attempt = 1;
	if (sv_node_start(sv, n) < 0) {
		sv_reply_err(sv, fd, "node %s: %s", n->cfg->name, sv->failure);
		n->op = OP_NONE;
		n->op_client = -1;
	}
}

/*
 * {"cmd":"node","op":"stop|start|restart|reset|kill","node":N,"timeout":S}:
 * a node's lifecycle on a running lab. stop is `down` for one node (the
 * power button, then quit/SIGTERM/SIGKILL after the timeout), answered
 * when QEMU is gone; start boots it again on its overlay, taps and ports,
 * answered when it is ready (or failed: readiness as at `up`); restart is
 * both; reset is the reset button (QMP system_reset: the node boots again
 * and counts as booting until ready); kill is SIGKILL, for crash tests.
 */
static void m_node(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	struct sv_node *n = sv_find_node(sv, json_string_value(json_object_get(req, "node")));
	int timeout_ms = req_timeout_ms(req, sv->down_timeout_ms);
	bool running;

	if (!n || !op) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "%s",
			      !n ? "no such node" : "bad node request: no op");
		return;
	}
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
	running = n->pidfd >= 0;
	if (!strcmp(op, "stop") || !strcmp(op, "kill") || !strcmp(op, "reset")) {
		if (!running) {
			sv_reply_errc(sv, fd, EXIT_STATE, "node %s is not running (%s)",
				      n->cfg->name, node_state_name(n->state));
			return;
		}
	}
	if (!strcmp(op, "stop")) {
		keep_client(n, fd, OP_STOP);
		sv_node_stop_begin(sv, n, timeout_ms);
	} else if (!strcmp(op, "restart")) {
		if (!running) {
			start_node(sv, n, fd);
			return;
		}
		keep_client(n, fd, OP_RESTART);
		sv_node_stop_begin(sv, n, timeout_ms);
	} else if (!strcmp(op, "start")) {
		if (running) {
			sv_reply_errc(sv, fd, EXIT_STATE, "node %s is already running (%s)",
				      n->cfg->name, node_state_name(n->state));
			return;
		}
		start_node(sv, n, fd);
	} else if (!strcmp(op, "reset")) {
		/* Booting again: readiness is watched as at up (console, dhcp). */
		n->state = NODE_BOOTING;
		n->t_start = now_ms();
		n->t_ready = 0;
		n->nics_answered = 0;
		n->ready_met = 0;
		n->resets = 0;
		line_matcher_free(&n->ready_lm);
		sv_event(sv, "S %s booting 0.0 (reset button)", n->cfg->name);
		sv_qmp_send(sv, n, "system_reset", NULL, QW_CLIENT, fd);
	} else if (!strcmp(op, "kill")) {
		keep_client(n, fd, OP_KILL);
		n->killed = true;
		pidfd_kill(n->pidfd, SIGKILL);
	} else {
		sv_reply_errc(sv, fd, EXIT_CONFIG,
			      "unknown node op '%s' (stop, start, restart, reset, kill)", op);
	}
}

/* {"cmd":"host","op":"restart","host":H}: restart a [host]'s command. */
static void m_host(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	const char *name = json_string_value(json_object_get(req, "host"));
	struct sv_host *h = NULL;

	for (int i = 0; name && i < sv->t->n_hosts; i++)
		if (!strcmp(sv->hosts[i]->cfg->name, name))
			h = sv->hosts[i];
	if (!h || !op || strcmp(op, "restart")) {
		sv_reply_err(sv, fd, "%s", !h ? "no such host" : "unknown host op (restart)");
		return;
	}
	if (!h->cfg->command) {
		sv_reply_err(sv, fd, "host %s has no command", h->cfg->name);
		return;
	}
	if (sv_host_restart(sv, h) < 0) {
		sv_reply_err(sv, fd, "host %s: %s", h->cfg->name, sv->failure);
		return;
	}
	sv_reply(sv, fd, json_pack("{s:b,s:i}", "ok", 1, "pid", (int)h->cmd_pid));
}

/* {"cmd":"apply","topo":PATH,"name":LAB|null,"dry_run":B,"timeout":S}:
 * change the running lab to the topology at PATH (sv_apply.c). */
static void m_apply(struct sv *sv, int fd, json_t *req, int *passed)
{
	const char *path = json_string_value(json_object_get(req, "topo"));
	const char *name = json_string_value(json_object_get(req, "name"));

	if (!path) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "bad apply request: no topo");
		return;
	}
	sv_apply_begin(sv, fd, path, name, json_is_true(json_object_get(req, "dry_run")),
		       req_timeout_ms(req, sv->down_timeout_ms));
}

/*
 * The control methods, after systemd's varlink method tables: each handler
 * owns its reply (sv_reply/sv_reply_err close the client) or keeps the
 * client for a reply that comes later (down, qmp). @passed is an fd sent
 * with the request (SCM_RIGHTS), -1 if none; a handler that keeps it sets
 * it to -1. Requests and replies: docs/control.md.
 */
struct ctl_method {
	const char *name;
	void (*fn)(struct sv *sv, int fd, json_t *req, int *passed);
};

static const struct ctl_method methods[] = {
	{"status", m_status},	{"down", m_down},
	{"forward", m_forward}, {"impair", m_impair},
	{"qmp", m_qmp},		{"node", m_node},
	{"host", m_host},	{"dns-reload", m_dns_reload},
	{"link", m_link},	{"apply", m_apply},
};

const struct ctl_method *sv_ctl_method(json_t *req, const char **why)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!json_is_object(req)) {
		*why = "bad request: not a JSON object";
		return NULL;
	}
	if (!cmd) {
		*why = "bad request: no cmd";
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (!strcmp(methods[i].name, cmd))
			return &methods[i];
	*why = "unknown command";
	return NULL;
}

void sv_ctl_client(struct sv *sv, int fd)
{
	char buf[8192], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	const struct ctl_method *m;
	const char *why = NULL;
	ssize_t n;
	int passed = -1;
	json_t *req;
	json_error_t je;

	loop_unwatch(&sv->loop, fd);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		close(fd);
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&passed, CMSG_DATA(c), sizeof(int));
	buf[n] = '\0';
	req = json_loadb(buf, (size_t)n, JSON_DISABLE_EOF_CHECK, &je);
	m = req ? sv_ctl_method(req, &why) : NULL;
	/* A request this supervisor cannot read is a usage error (a client of
	 * another version, say): EXIT_CONFIG, nothing was done. */
	if (!req)
		sv_reply_errc(sv, fd, EXIT_CONFIG, "bad request: %s", je.text);
	else if (!m)
		sv_reply_errc(sv, fd, EXIT_CONFIG, "%s '%s'", why,
			      json_string_value(json_object_get(req, "cmd")) ?: "");
	else
		m->fn(sv, fd, req, &passed);
	if (passed >= 0)
		close(passed);
	json_decref(req);
}
