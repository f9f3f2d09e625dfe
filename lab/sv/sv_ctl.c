// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_ctl.c - the supervisor's control socket, RUNDIR/ctl.sock.
 *
 * One JSON request per connection, one JSON reply (the client is
 * lab/cli/client_ctl.c). The methods are a table below, each with the
 * fields it takes: sv_ctl_read() checks a request against them and answers
 * a precise error before the method runs, so no handler reads a field by
 * hand. Requests and replies are documented in docs/control.md.
 *
 * Who may talk to it: the socket is 0600 in a 0700 directory, and a peer
 * whose uid is not the lab's (SO_PEERCRED) is refused at accept and the
 * refusal logged: the methods include QMP passthrough, and QEMU's monitor
 * runs commands (migrate exec:).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

int sv_ctl_listen(struct sv *sv, struct vl_err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_free_ char *path = path_in(sv->rundir, LF_CTL);
	struct stat st;
	mode_t old;
	int r;

	if (path_sockaddr(&sa, path, e) < 0)
		return vl_wrap(e, "control socket");
	unlink(path);
	sv->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sv->ctl_fd < 0) {
		vl_fail(e, EXIT_ENV, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	/* The socket file is made 0600 by bind itself (no window in which
	 * the user's umask decides), then checked before anyone may connect. */
	old = umask(0177);
	r = bind(sv->ctl_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || lstat(path, &st) < 0) {
		vl_fail(e, EXIT_ENV, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0600) {
		vl_fail(e, EXIT_ENV, "control socket %s: mode %04o, not 0600", path,
			(unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (listen(sv->ctl_fd, 16) < 0) {
		vl_fail(e, EXIT_ENV, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	loop_watch(&sv->loop, sv->ctl_fd, EPOLLIN, EV_CTL, NULL);
	return 0;
}

void sv_ctl_accept(struct sv *sv)
{
	int fd = accept4(sv->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cr = {.pid = 0, .uid = (uid_t)-1};

	if (fd < 0)
		return;
	/* Only the lab's user (our own uid, as this namespace sees it; a uid
	 * not mapped here reads as the overflow uid). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &(socklen_t){sizeof(cr)}) < 0 ||
	    cr.uid != geteuid()) {
		fprintf(stderr,
			"control: refused a connection from pid %d uid %u: not the lab's user\n",
			(int)cr.pid, (unsigned)cr.uid);
		close(fd);
		return;
	}
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

/* A request's "timeout" (seconds, checked to be in 0..86400) as
 * milliseconds; @dflt when absent (< 0). */
static int timeout_ms(double s, int dflt)
{
	return s < 0 ? dflt : (int)(s * 1000);
}

#define F(st, fname, ...)                                                                          \
	{                                                                                          \
		.name = #fname, .offset = offsetof(struct st, fname), __VA_ARGS__                  \
	}
#define TIMEOUT_MAX 86400 /* seconds: a day */

static void reply_ok(struct sv *sv, int fd)
{
	sv_reply(sv, fd, json_pack("{s:b}", "ok", 1));
}

/* {"cmd":"status"} */
struct p_status {
	int unused;
};
static const struct ctl_field f_status[] = {{0}};

static void m_status(struct sv *sv, int fd, const void *params, int *passed)
{
	json_t *st = sv_status_json(sv);

	json_object_set_new(st, "ok", json_true()); /* every reply says ok */
	sv_reply(sv, fd, st);
}

/* {"cmd":"down","timeout":S,"kill":B}: the reply comes at the very end,
 * when the lab is gone (supervisor.c). */
struct p_down {
	double timeout;
	bool kill;
};
static const struct p_down d_down = {.timeout = -1};
static const struct ctl_field f_down[] = {
	F(p_down, timeout, .type = CT_NUMBER, .max = TIMEOUT_MAX),
	F(p_down, kill, .type = CT_BOOL),
	{0},
};

static void m_down(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_down *p = params;

	if (sv->down_client >= 0)
		close(sv->down_client);
	sv->down_client = fd;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	if (p->kill)
		sv_down_kill(sv);
	else
		sv_down_begin(sv, timeout_ms(p->timeout, sv->down_timeout_ms));
}

/* {"cmd":"forward","node":N,"guest_port":P,"listen":D,"proto":tcp|udp,
 * "idle":S} with the host-side socket passed (SCM_RIGHTS). */
struct p_forward {
	const char *node, *listen;
	int guest_port, proto, idle;
};
static const char *const protos[] = {"tcp", "udp", NULL};
static const struct p_forward d_forward = {.listen = "?"};
static const struct ctl_field f_forward[] = {
	F(p_forward, node, .type = CT_STRING, .required = true),
	F(p_forward, guest_port, .type = CT_INT, .required = true, .min = 1, .max = 65535),
	F(p_forward, listen, .type = CT_STRING),
	F(p_forward, proto, .type = CT_ENUM, .one_of = protos),
	F(p_forward, idle, .type = CT_INT, .max = TIMEOUT_MAX),
	{0},
};

static void m_forward(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_forward *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);
	bool udp = p->proto == 1;
	int passed_fd = *passed, type = 0;

	if (!n || passed_fd < 0) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "%s",
			      !n ? "no such node" : "no listening socket passed");
		return;
	}
	if (getsockopt(passed_fd, SOL_SOCKET, SO_TYPE, &type, &(socklen_t){sizeof(type)}) < 0 ||
	    type != (udp ? SOCK_DGRAM : SOCK_STREAM)) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "the passed socket is not a %s socket",
			      udp ? "UDP" : "TCP");
		return;
	}
	*passed = -1; /* ours now */
	if (udp)
		sv_udp_add(sv, passed_fd, n, p->guest_port, p->idle, p->listen);
	else
		sv_fwd_add(sv, passed_fd, n, p->guest_port, p->listen);
	sv_uplink_ports_tick(sv, true); /* out of the guests' reach at once */
	reply_ok(sv, fd);
}

/* {"cmd":"impair","node":N,"nic":I,"spec":SPEC|"clear"}: no nic, every
 * NIC of the node or host. */
struct p_impair {
	const char *node, *spec;
	int nic;
};
static const struct p_impair d_impair = {.nic = -1};
static const struct ctl_field f_impair[] = {
	F(p_impair, node, .type = CT_STRING, .required = true),
	F(p_impair, nic, .type = CT_INT, .max = TOPO_MAX_NICS - 1),
	F(p_impair, spec, .type = CT_STRING, .required = true),
	{0},
};

static void m_impair(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_impair *p = params;
	struct node *n = topo_find_node(sv->t, p->node);
	struct host *h = topo_find_host(sv->t, p->node);
	int first = p->nic >= 0 ? p->nic : 0, r = 0;
	int last = p->nic >= 0 ? p->nic : (n ? n->n_nics : h ? h->n_nics : 1) - 1;
	bool clear = !strcmp(p->spec, "clear");
	struct impair im = {0};
	const char *e = NULL;
	struct vl_err ie = {0};

	if (!clear && impair_parse(p->spec, &im, &ie) < 0) {
		/* Answered as before: code EXIT_CHILD (test_ctl.c) */
		vl_wrap(&ie, "bad impairment '%s'", p->spec);
		sv_reply_err(sv, fd, "%s", ie.msg);
		return;
	}
	for (int i = first; i <= last; i++) {
		struct nic *nic = find_nic(sv, p->node, i, &e);

		if (!nic) {
			sv_reply_err(sv, fd, "%s:%d: %s", p->node, i, e);
			return;
		}
		r = sv_net_impair_nic(sv, nic->ifname, clear ? NULL : &im);
		if (clear)
			nic->impair.set = false;
		else {
			nic->impair = im;
			nic->impair.set = r == 0;
		}
		if (r) {
			sv_reply_err(sv, fd, "impairing %s: %s%s", nic->ifname, strerror(-r),
				     impair_hint(r));
			return;
		}
	}
	reply_ok(sv, fd);
}

/* {"cmd":"qmp","node":N,"execute":C,"arguments":{...}}: one QMP command
 * on a node's connection, answered when QEMU answers:
 * {"ok":true,"return":...} or {"ok":false,"error":DESC}. */
struct p_qmp {
	const char *node, *execute;
	json_t *arguments;
};
static const struct p_qmp d_qmp;
static const struct ctl_field f_qmp[] = {
	F(p_qmp, node, .type = CT_STRING, .required = true),
	F(p_qmp, execute, .type = CT_STRING, .required = true),
	F(p_qmp, arguments, .type = CT_OBJECT),
	{0},
};

static void m_qmp(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_qmp *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);

	if (!n) {
		sv_reply_err(sv, fd, "no such node");
		return;
	}
	/* QEMU may take a while (snapshot jobs): no send timeout on the reply. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	sv_qmp_send(sv, n, p->execute, json_incref(p->arguments), QW_CLIENT, fd);
}

/* {"cmd":"link","node":HOST,"nic":N,"up":BOOL}: a [host]'s cable. The lab
 * end of the host's veth goes down or up; the host's end then loses or
 * regains its carrier. (A node's cable is QEMU's set_link, over QMP.) */
struct p_link {
	const char *node;
	int nic;
	bool up;
};
static const struct p_link d_link;
static const struct ctl_field f_link[] = {
	F(p_link, node, .type = CT_STRING, .required = true),
	F(p_link, nic, .type = CT_INT, .required = true, .max = TOPO_MAX_NICS - 1),
	F(p_link, up, .type = CT_BOOL, .required = true),
	{0},
};

static void m_link(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_link *p = params;
	const char *e = NULL;
	struct nic *nic;
	int r;

	if (!topo_find_host(sv->t, p->node)) {
		sv_reply_err(sv, fd, "no such host '%s'", p->node);
		return;
	}
	nic = find_nic(sv, p->node, p->nic, &e);
	if (!nic) {
		sv_reply_err(sv, fd, "%s:eth%d: %s", p->node, p->nic, e);
		return;
	}
	/* The bridge keeps the port enslaved while it is down. */
	r = p->up ? nlx_link_up(sv->nl, nic->ifname, NULL) : nlx_link_down(sv->nl, nic->ifname);
	if (r) {
		sv_reply_err(sv, fd, "setting %s %s: %s", nic->ifname, p->up ? "up" : "down",
			     strerror(-r));
		return;
	}
	for (int i = 0; i < sv->t->n_hosts; i++)
		if (!strcmp(sv->hosts[i]->cfg->name, p->node))
			sv->hosts[i]->nic_down[p->nic] = !p->up;
	reply_ok(sv, fd);
}

/* {"cmd":"cable","node":N,"port":P,"up":BOOL}: pull or plug the serial
 * cable on a node's ttySP (sv_cable.c); either end names the cable. */
struct p_cable {
	const char *node;
	int port;
	bool up;
};
static const struct p_cable d_cable;
static const struct ctl_field f_cable[] = {
	F(p_cable, node, .type = CT_STRING, .required = true),
	F(p_cable, port, .type = CT_INT, .required = true, .max = TOPO_MAX_SERIAL - 1),
	F(p_cable, up, .type = CT_BOOL, .required = true),
	{0},
};

static void m_cable(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_cable *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);
	struct vl_err e = {0};

	if (!n)
		sv_reply_err(sv, fd, "no such node '%s'", p->node);
	else if (sv_cable_set(sv, n, p->port, p->up, &e) < 0)
		sv_reply_errc(sv, fd, e.code, "%s", e.msg);
	else
		reply_ok(sv, fd);
}

/* {"cmd":"dns-reload","leases":PATH|null}: restart the lab's dnsmasq with
 * a saved lease file in place (`vacmlab restore`). */
struct p_dns_reload {
	const char *leases;
};
static const struct p_dns_reload d_dns_reload;
static const struct ctl_field f_dns_reload[] = {
	F(p_dns_reload, leases, .type = CT_STRING),
	{0},
};

static void m_dns_reload(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_dns_reload *p = params;
	struct vl_err e = {0};

	/* The request's own result, not the lab's first failure. */
	if (sv->t->n_lans && sv_dns_reload(sv, p->leases, &e) < 0) {
		sv_reply_errc(sv, fd, e.code, "%s", e.msg);
		return;
	}
	reply_ok(sv, fd);
}

/* {"cmd":"node","op":OP,"node":N,"timeout":S}: a node's lifecycle on a
 * running lab (sv_life.c); the ops are supervisor.h's table. */
struct p_node {
	const char *node;
	int op;
	double timeout;
};
static const struct p_node d_node = {.timeout = -1};
static const struct ctl_field f_node[] = {
	F(p_node, op, .type = CT_ENUM, .required = true, .one_of = node_op_names, .base = OP_STOP),
	F(p_node, node, .type = CT_STRING, .required = true),
	F(p_node, timeout, .type = CT_NUMBER, .max = TIMEOUT_MAX),
	{0},
};

static void m_node(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_node *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);

	if (!n) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "no such node '%s'", p->node);
		return;
	}
	sv_life_request(sv, fd, n, (enum node_op)p->op,
			timeout_ms(p->timeout, sv->down_timeout_ms));
}

/* {"cmd":"host","op":"restart","host":H}: restart a [host]'s command. */
struct p_host {
	const char *host;
	int op;
};
static const char *const host_ops[] = {"restart", NULL};
static const struct p_host d_host;
static const struct ctl_field f_host[] = {
	F(p_host, op, .type = CT_ENUM, .required = true, .one_of = host_ops),
	F(p_host, host, .type = CT_STRING, .required = true),
	{0},
};

static void m_host(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_host *p = params;
	struct sv_host *h = NULL;
	struct vl_err e = {0};

	for (int i = 0; i < sv->t->n_hosts; i++)
		if (!strcmp(sv->hosts[i]->cfg->name, p->host))
			h = sv->hosts[i];
	if (!h) {
		sv_reply_err(sv, fd, "no such host");
		return;
	}
	if (!h->cfg->command && !h->cfg->serve_dir) {
		sv_reply_err(sv, fd, "host %s has no command", h->cfg->name);
		return;
	}
	if (sv_host_restart(sv, h, &e) < 0) {
		vl_wrap(&e, "host %s", h->cfg->name);
		sv_reply_errc(sv, fd, e.code, "%s", e.msg);
		return;
	}
	sv_reply(sv, fd, json_pack("{s:b,s:i}", "ok", 1, "pid", (int)h->cmd_pid));
}

/* {"cmd":"apply","topo":PATH,"name":LAB|null,"dry_run":B,"timeout":S}:
 * change the running lab to the topology at PATH (sv_apply.c). */
struct p_apply {
	const char *topo, *name;
	bool dry_run;
	double timeout;
};
static const struct p_apply d_apply = {.timeout = -1};
static const struct ctl_field f_apply[] = {
	F(p_apply, topo, .type = CT_STRING, .required = true),
	F(p_apply, name, .type = CT_STRING),
	F(p_apply, dry_run, .type = CT_BOOL),
	F(p_apply, timeout, .type = CT_NUMBER, .max = TIMEOUT_MAX),
	{0},
};

static void m_apply(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct p_apply *p = params;

	sv_apply_begin(sv, fd, p->topo, p->name, p->dry_run,
		       timeout_ms(p->timeout, sv->down_timeout_ms));
}

/*
 * The control methods, after systemd's varlink method tables: each handler
 * owns its reply (sv_reply/sv_reply_err close the client) or keeps the
 * client for a reply that comes later (down, qmp, node). @passed is an fd
 * sent with the request (SCM_RIGHTS), -1 if none; a handler that keeps it
 * sets it to -1. Requests and replies: docs/control.md.
 */
#define M(mname, fname, st)                                                                        \
	{                                                                                          \
		.name = mname, .fn = m_##fname, .fields = f_##fname, .defaults = &d_##fname,       \
		.size = sizeof(struct st)                                                          \
	}

static const struct p_status d_status;
static const struct ctl_method methods[] = {
	M("status", status, p_status),
	M("down", down, p_down),
	M("forward", forward, p_forward),
	M("impair", impair, p_impair),
	M("qmp", qmp, p_qmp),
	M("node", node, p_node),
	M("host", host, p_host),
	M("dns-reload", dns_reload, p_dns_reload),
	M("link", link, p_link),
	M("cable", cable, p_cable),
	M("apply", apply, p_apply),
	{.name = "usb",
	 .fn = sv_usb_method,
	 .fields = sv_usb_fields,
	 .defaults = &sv_usb_defaults,
	 .size = sizeof(struct sv_usb_params)},
	{.name = "break",
	 .fn = sv_break_method,
	 .fields = sv_break_fields,
	 .defaults = &sv_break_defaults,
	 .size = sizeof(struct sv_break_params)},
};

const struct ctl_method *sv_ctl_methods(size_t *n)
{
	*n = ARRAY_SIZE(methods);
	return methods;
}

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

/* "a, b, c" of a NULL-terminated list. */
static void join_names(const char *const *names, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

/* One field: 0, or -1 with what is wrong with it in @e. */
static int read_field(const struct ctl_field *f, json_t *v, void *params, struct vl_err *e)
{
	char *dst = (char *)params + f->offset;
	char names[256];

	switch (f->type) {
	case CT_STRING:
		if (!json_is_string(v))
			break;
		*(const char **)dst = json_string_value(v);
		return 0;
	case CT_ENUM:
		for (int i = 0; json_is_string(v) && f->one_of[i]; i++)
			if (!strcmp(f->one_of[i], json_string_value(v))) {
				*(int *)dst = f->base + i;
				return 0;
			}
		join_names(f->one_of, names, sizeof(names));
		return vl_fail(e, EXIT_CONFIG, "field '%s' must be one of %s", f->name, names);
	case CT_INT:
		if (json_is_integer(v) && json_integer_value(v) >= f->min &&
		    json_integer_value(v) <= f->max) {
			*(int *)dst = (int)json_integer_value(v);
			return 0;
		}
		return vl_fail(e, EXIT_CONFIG, "field '%s' must be an integer in %lld..%lld",
			       f->name, f->min, f->max);
	case CT_NUMBER: {
		double d = json_number_value(v);

		if (json_is_number(v) && isfinite(d) && d >= (double)f->min &&
		    d <= (double)f->max) {
			*(double *)dst = d;
			return 0;
		}
		return vl_fail(e, EXIT_CONFIG, "field '%s' must be a number in %lld..%lld", f->name,
			       f->min, f->max);
	}
	case CT_BOOL:
		if (!json_is_boolean(v))
			return vl_fail(e, EXIT_CONFIG, "field '%s' must be true or false", f->name);
		*(bool *)dst = json_is_true(v);
		return 0;
	case CT_OBJECT:
		if (!json_is_object(v))
			break;
		*(json_t **)dst = v;
		return 0;
	}
	return vl_fail(e, EXIT_CONFIG, "field '%s' must be %s", f->name,
		       f->type == CT_STRING ? "a string" : "an object");
}

int sv_ctl_read(const struct ctl_method *m, json_t *req, void *params, struct vl_err *e)
{
	const char *key;
	json_t *v;
	int r = 0;

	memcpy(params, m->defaults, m->size);
	for (const struct ctl_field *f = m->fields; f->name && !r; f++) {
		v = json_object_get(req, f->name);
		/* null is "not given" (an optional name, say) */
		if (!v || json_is_null(v)) {
			if (f->required)
				r = vl_fail(e, EXIT_CONFIG, "missing field '%s'", f->name);
			continue;
		}
		r = read_field(f, v, params, e);
	}
	json_object_foreach (req, key, v) {
		const struct ctl_field *f = m->fields;

		if (r || !strcmp(key, "cmd"))
			continue;
		while (f->name && strcmp(f->name, key))
			f++;
		if (!f->name)
			r = vl_fail(e, EXIT_CONFIG, "unknown field '%s'", key);
	}
	return r ? vl_wrap(e, "method '%s'", m->name) : 0;
}

void sv_ctl_client(struct sv *sv, int fd)
{
	char buf[8192], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	_Alignas(max_align_t) char params[128];
	const struct ctl_method *m;
	const char *bad = NULL;
	ssize_t n;
	int passed = -1;
	json_t *req;
	json_error_t je;
	struct vl_err e = {0};

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
	m = req ? sv_ctl_method(req, &bad) : NULL;
	/* A request this supervisor cannot read is a usage error (a client of
	 * another version, say): EXIT_CONFIG, nothing was done. */
	if (!req)
		sv_reply_errc(sv, fd, EXIT_CONFIG, "bad request: %s", je.text);
	else if (!m)
		sv_reply_errc(sv, fd, EXIT_CONFIG, "%s '%s'", bad,
			      json_string_value(json_object_get(req, "cmd")) ?: "");
	else if (m->size > sizeof(params))
		sv_reply_errc(sv, fd, EXIT_CONFIG, "the method's parameters are too big");
	else if (sv_ctl_read(m, req, params, &e) < 0)
		sv_reply_errc(sv, fd, e.code, "%s", e.msg);
	else
		m->fn(sv, fd, params, &passed);
	if (passed >= 0)
		close(passed);
	json_decref(req);
}
