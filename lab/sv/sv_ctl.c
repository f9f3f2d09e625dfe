// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_ctl.c - the supervisor's control socket, RUNDIR/ctl.sock.
 *
 * One JSON request per connection, one JSON reply (see ctl.h for the
 * client). Requests: {"cmd":"status"}, {"cmd":"down","timeout":S} (the
 * reply comes when the lab is gone), {"cmd":"forward",...} with the
 * listening socket passed as SCM_RIGHTS (it was made by the CLI in the host
 * namespace), {"cmd":"impair",...}. The socket is in a 0700 directory:
 * only the lab's user can reach it.
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
#include "lab/lib/impair.h"
#include "lab/lib/qemu.h"
#include "lab/sv/sv.h"
#include "lab/lib/util.h"
#include "netns/nl.h"

int sv_ctl_listen(struct sv *sv, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_free_ char *path = xasprintf("%s/ctl.sock", sv->rundir);

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	sv->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sv->ctl_fd < 0 || bind(sv->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sv->ctl_fd, 16) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	sv_watch(sv, sv->ctl_fd, EPOLLIN, TAG_CTL, NULL);
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
	sv_watch(sv, fd, EPOLLIN, TAG_CTL_CLIENT, NULL);
}

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static json_t *nics_json(struct sv *sv, struct nic *nics, int n, bool tap)
{
	json_t *arr = json_array();
	char a[INET_ADDRSTRLEN], mac[18];

	for (int i = 0; i < n; i++) {
		struct nic *nic = &nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];
		struct in_addr lease = {0};
		bool leased = lease_lookup(l->leases, nic->mac, &lease, NULL, 0);
		json_t *o;

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nic->mac[0],
			 nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5]);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "ifname", nic->ifname, "guest_ifname",
			      "", "lan", nic->lan->name, "mac", mac, "kind", tap ? "tap" : "veth",
			      "lease", leased);
		json_object_set_new(o, "guest_ifname", json_sprintf("eth%d", i));
		if (nic->addr.s_addr)
			json_object_set_new(o, "address", json_string(ip(nic->addr, a)));
		else if (leased)
			json_object_set_new(o, "address", json_string(ip(lease, a)));
		else
			json_object_set_new(o, "address", json_null());
		json_object_set_new(o, "fixed", json_boolean(nic->addr.s_addr != 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *ports_json(struct sv *sv, struct sv_node *n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n->cfg->n_serial; i++) {
		const struct serial_port *sp = &n->cfg->serial[i];
		json_t *o = json_pack("{s:s,s:s}", "port", "", "kind", serial_kind_name(sp->kind));

		json_object_set_new(o, "port", json_sprintf("ttyS%d", i));
		json_object_set_new(o, "index", json_integer(i));
		switch (sp->kind) {
		case SERIAL_CONSOLE:
			json_object_set_new(o, "socket", json_sprintf("%s/ttyS%d.sock", n->dir, i));
			json_object_set_new(o, "socket_ro",
					    json_sprintf("%s/ttyS%d.ro.sock", n->dir, i));
			json_object_set_new(
				o, "log",
				json_string(n->ports[i].log_path ? n->ports[i].log_path : ""));
			json_object_set_new(o, "clients", json_integer(0));
			{
				int c = 0;

				for (struct sv_client *cl = n->ports[i].clients; cl; cl = cl->next)
					c++;
				json_object_set_new(o, "clients", json_integer(c));
			}
			json_object_set_new(o, "bytes",
					    json_integer((json_int_t)n->ports[i].bytes_out));
			break;
		case SERIAL_TCP:
			json_object_set_new(o, "tcp", json_sprintf("127.0.0.1:%d", sp->tcp_port));
			break;
		case SERIAL_UNIX:
			json_object_set_new(o, "socket", json_sprintf("%s/ttyS%d.sock", n->dir, i));
			break;
		case SERIAL_LOG:
			json_object_set_new(
				o, "log",
				json_string(n->ports[i].log_path ? n->ports[i].log_path : ""));
			break;
		case SERIAL_LOOP:
		case SERIAL_RINGBUF:
		case SERIAL_NONE: break;
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *sv_status_json(struct sv *sv)
{
	json_t *root = json_object(), *lans = json_array(), *nodes = json_array(),
	       *hosts = json_array();
	long long now = now_ms();
	char a[INET_ADDRSTRLEN];

	json_object_set_new(root, "lab", json_string(sv->t->name));
	json_object_set_new(root, "domain", json_string(sv->t->domain));
	json_object_set_new(root, "topology", json_string(sv->topo_path));
	json_object_set_new(root, "supervisor_pid", json_integer(getpid()));
	json_object_set_new(root, "rundir", json_string(sv->rundir));
	json_object_set_new(root, "statedir", json_string(sv->statedir));
	json_object_set_new(root, "logdir", json_string(sv->logdir));
	json_object_set_new(root, "uptime_s", json_real((double)(now - sv->t0) / 1000.0));
	json_object_set_new(root, "no_boot", json_boolean(sv->no_boot));
	json_object_set_new(root, "accel", json_string(sv->kvm ? "kvm" : "tcg"));
	json_object_set_new(root, "state",
			    json_string(sv->phase == PH_STARTING  ? "starting"
					: sv->phase == PH_RUNNING ? "running"
								  : "stopping"));
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct sv_lan *l = &sv->lans[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(l->cfg->name));
		json_object_set_new(o, "bridge", json_string(l->cfg->name));
		json_object_set_new(o, "subnet",
				    json_sprintf("%s/%d", ip(l->cfg->net, a), l->cfg->prefix));
		json_object_set_new(o, "address", json_string(ip(l->cfg->addr, a)));
		json_object_set_new(o, "dnsmasq_pid",
				    l->dns_pid > 0 ? json_integer(l->dns_pid) : json_null());
		json_object_set_new(o, "leases", json_string(l->leases));
		json_object_set_new(o, "uplink",
				    l->cfg->uplink ? json_string(l->cfg->uplink) : json_null());
		json_object_set_new(o, "log", json_string(l->log));
		json_array_append_new(lans, o);
	}
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(n->cfg->name));
		json_object_set_new(o, "state", json_string(node_state_name(n->state)));
		json_object_set_new(o, "pid", n->pidfd >= 0 ? json_integer(n->pid) : json_null());
		json_object_set_new(o, "dns", json_sprintf("%s.%s", n->cfg->name, sv->t->domain));
		json_object_set_new(o, "image", json_string(n->cfg->image));
		json_object_set_new(o, "disk", json_string(n->disk));
		json_object_set_new(o, "qmp", json_string(n->qmp));
		json_object_set_new(o, "console",
				    n->cfg->n_serial && n->cfg->serial[0].kind == SERIAL_CONSOLE
					    ? json_sprintf("%s/ttyS0.sock", n->dir)
					    : json_null());
		json_object_set_new(o, "qemu_log", json_string(n->qemu_log));
		if (n->t_start)
			json_object_set_new(
				o, "uptime_s",
				json_real((double)((n->state == NODE_EXITED ? n->t_exit : now) -
						   n->t_start) /
					  1000.0));
		if (n->t_ready)
			json_object_set_new(o, "boot_s",
					    json_real((double)(n->t_ready - n->t_start) / 1000.0));
		if (n->state == NODE_EXITED) {
			if (WIFEXITED(n->status))
				json_object_set_new(o, "exit_status",
						    json_integer(WEXITSTATUS(n->status)));
			else if (WIFSIGNALED(n->status))
				json_object_set_new(o, "exit_signal",
						    json_integer(WTERMSIG(n->status)));
		}
		json_object_set_new(o, "nics", nics_json(sv, n->cfg->nics, n->cfg->n_nics, true));
		json_object_set_new(o, "ports", ports_json(sv, n));
		json_object_set_new(o, "forwards", sv_fwd_json(sv, n));
		json_array_append_new(nodes, o);
	}
	for (int i = 0; i < sv->t->n_hosts; i++) {
		struct sv_host *h = &sv->hosts[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(h->cfg->name));
		json_object_set_new(o, "dns", json_sprintf("%s.%s", h->cfg->name, sv->t->domain));
		json_object_set_new(o, "holder_pid", json_integer(h->holder));
		json_object_set_new(o, "command",
				    h->cfg->command ? json_string(h->cfg->command) : json_null());
		json_object_set_new(o, "state",
				    json_string(!h->cfg->command ? "ready"
						: h->cmd_exited	 ? "exited"
								 : "running"));
		json_object_set_new(o, "pid",
				    h->cmd_pidfd >= 0 ? json_integer(h->cmd_pid) : json_null());
		json_object_set_new(o, "log", json_string(h->log));
		json_object_set_new(o, "nics", nics_json(sv, h->cfg->nics, h->cfg->n_nics, false));
		json_array_append_new(hosts, o);
	}
	json_object_set_new(root, "lans", lans);
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "hosts", hosts);
	return root;
}

static void reply(int fd, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s) {
		write_all(fd, s, strlen(s));
		write_all(fd, "\n", 1);
		free(s);
	}
	json_decref(j);
}

static void reply_err(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_err(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply(fd, json_pack("{s:b,s:s}", "ok", 0, "error", buf));
}

static struct sv_node *find_node(struct sv *sv, const char *name)
{
	for (int i = 0; name && i < sv->t->n_nodes; i++)
		if (!strcmp(sv->nodes[i].cfg->name, name))
			return &sv->nodes[i];
	return NULL;
}

static struct nic *find_nic(struct sv *sv, const char *owner, int idx, const char **err)
{
	struct node *n = topo_find_node(sv->t, owner);
	struct host *h = topo_find_host(sv->t, owner);
	struct nic *nics = n ? n->nics : h ? h->nics : NULL;
	int cnt = n ? n->n_nics : h ? h->n_nics : 0;

	if (!nics) {
		*err = "no such node or host";
		return NULL;
	}
	if (idx < 0 || idx >= cnt) {
		*err = "no such NIC";
		return NULL;
	}
	return &nics[idx];
}

static void do_impair(struct sv *sv, int fd, json_t *req)
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
		reply_err(fd, "bad impairment '%s': %s", spec ? spec : "", spec ? msg : "missing");
		return;
	}
	for (int i = first; i <= last; i++) {
		struct nic *nic = find_nic(sv, owner, i, &e);

		if (!nic) {
			reply_err(fd, "%s:%d: %s", owner ? owner : "?", i, e);
			return;
		}
		if (!strcmp(spec, "clear")) {
			r = nlx_qdisc_clear(sv->nl, nic->ifname);
			nic->impair.set = false;
		} else {
			struct nlx_netem ne = impair_netem(&im);

			r = nlx_netem_set(sv->nl, nic->ifname, &ne);
			nic->impair = im;
		}
		if (r) {
			reply_err(fd, "impairing %s: %s%s", nic->ifname, strerror(-r),
				  impair_hint(r));
			return;
		}
	}
	reply(fd, json_pack("{s:b}", "ok", 1));
}

static void do_forward(struct sv *sv, int fd, json_t *req, int passed_fd)
{
	struct sv_node *n = find_node(sv, json_string_value(json_object_get(req, "node")));
	int gport = (int)json_integer_value(json_object_get(req, "guest_port"));
	const char *desc = json_string_value(json_object_get(req, "listen"));
	const char *proto = json_string_value(json_object_get(req, "proto"));

	if (!n || passed_fd < 0 || gport < 1 || gport > 65535) {
		if (passed_fd >= 0)
			close(passed_fd);
		reply_err(fd, "%s",
			  !n		  ? "no such node"
			  : passed_fd < 0 ? "no listening socket passed"
					  : "guest port out of range");
		return;
	}
	if (sv_fwd_add(sv, passed_fd, n, gport, proto && !strcmp(proto, "udp"), desc ? desc : "?") <
	    0) {
		reply_err(fd, "adding the forward failed");
		return;
	}
	reply(fd, json_pack("{s:b}", "ok", 1));
}

void sv_ctl_client(struct sv *sv, int fd)
{
	char buf[8192], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	int passed = -1;
	json_t *req;
	json_error_t je;
	const char *cmd;

	sv_unwatch(sv, fd);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		close(fd);
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&passed, CMSG_DATA(c), sizeof(int));
	buf[n] = '\0';
	req = json_loads(buf, JSON_DISABLE_EOF_CHECK, &je);
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		reply_err(fd, "bad request: %s", req ? "no cmd" : je.text);
	} else if (!strcmp(cmd, "status")) {
		reply(fd, sv_status_json(sv));
	} else if (!strcmp(cmd, "down")) {
		json_t *t = json_object_get(req, "timeout");

		if (sv->down_client >= 0)
			close(sv->down_client);
		sv->down_client = fd;
		/* The reply comes at the very end; no timeout on it. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0},
			   sizeof(struct timeval));
		sv_begin_down(sv, t ? (int)(json_number_value(t) * 1000) : sv->down_timeout_ms);
		json_decref(req);
		return;
	} else if (!strcmp(cmd, "forward")) {
		do_forward(sv, fd, req, passed);
		passed = -1;
	} else if (!strcmp(cmd, "impair")) {
		do_impair(sv, fd, req);
	} else {
		reply_err(fd, "unknown command '%s'", cmd);
	}
	if (passed >= 0)
		close(passed);
	json_decref(req);
	close(fd);
}
