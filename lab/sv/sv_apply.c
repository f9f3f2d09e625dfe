// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_apply.c - changing a running lab to a new topology (`vacmlab apply`).
 *
 * DOC: Theory of operation
 * The supervisor loads the new topology itself and compares it with the
 * one it runs, by name: each LAN, node and host is kept, added, removed or
 * (a node or host whose definition differs) restarted; devices and the
 * serial ports of kept nodes are sv_rewire.c's (no restart).
 *  1. apply_plan(): the plan, or a refusal with the reason (what cannot
 *     change live: the lab's name or domain, a LAN's subnet or DHCP range or
 *     uplink, the accelerator, a lab over machines, tcp: serial ports of
 *     a node that (re)starts, the forwards of a restarted node). A refusal
 *     and a dry run change nothing.
 *  2. sv_apply_begin(): removed and changed nodes get the power button
 *     (sv_node_stop_begin(), as `down` does, bounded by the timeout).
 *  3. apply_switch(), once they are gone: removed nodes' ports, taps and
 *     forwards closed, removed hosts killed, removed bridges deleted; the
 *     new topology becomes the lab's (kept nodes keep their struct sv_node,
 *     so their QEMU, consoles, forwards and captures never notice); new
 *     bridges, taps, host namespaces; dnsmasq restarted on the new config
 *     (its lease file stays); new and changed nodes queued for the boot
 *     path of `up` (sv_node_tick(), boot_parallel, after =).
 *  4. sv_apply_tick(): the reply once every started node is ready, or
 *     has failed (the lab keeps running; the reply says which).
 * A topology once applied is never freed: a retired node may still point
 * into it (a dry run's or a refused one is).
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
#include "netns/nl.h"

enum apply_step {
	AS_STOPPING, /* removed and changed nodes are powering off */
	AS_STARTING, /* new and changed nodes are booting */
};

struct apply {
	int client;
	enum apply_step step;
	struct topo *nt;
	const char *path;
	/* Per new node / host: the running one it continues, or NULL. */
	struct sv_node **node_from;
	bool *node_restart;
	struct sv_host **host_from;
	bool *host_restart;
	int *lan_from; /* index into the old lans, or -1 */
	json_t *plan;
	struct sv_rewire *rw; /* devices, re-cabled ports (sv_rewire.c) */
	int changes;	      /* plan entries other than keep */
	long long t0;
};

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool strv_eq(char **a, char **b)
{
	for (; a && b && *a && *b; a++, b++)
		if (strcmp(*a, *b))
			return false;
	return (!a || !*a) == (!b || !*b);
}

static bool impair_eq(const struct impair *a, const struct impair *b)
{
	if (!a->set || !b->set)
		return a->set == b->set;
	return a->dir == b->dir && a->delay_us == b->delay_us && a->jitter_us == b->jitter_us &&
	       a->loss_pct == b->loss_pct && a->duplicate_pct == b->duplicate_pct &&
	       a->corrupt_pct == b->corrupt_pct && a->reorder_pct == b->reorder_pct &&
	       a->rate_bps == b->rate_bps;
}

static const char *nic_diff(const struct nic *a, const struct nic *b)
{
	if (!str_eq(a->lan_name, b->lan_name))
		return "lan";
	if (a->addr.s_addr != b->addr.s_addr)
		return "address";
	if (memcmp(&a->addr6, &b->addr6, sizeof(a->addr6)))
		return "address6";
	if (memcmp(a->mac, b->mac, 6) || strcmp(a->ifname, b->ifname))
		return "mac";
	if (!str_eq(a->model, b->model))
		return "model";
	if (!impair_eq(&a->impair, &b->impair))
		return "impair";
	return NULL;
}

static const char *nics_diff(const struct nic *a, int na, const struct nic *b, int nb)
{
	const char *d;

	if (na != nb)
		return "nic";
	for (int i = 0; i < na; i++)
		if ((d = nic_diff(&a[i], &b[i])))
			return d;
	return NULL;
}

/* The first key in which @a and @b differ, or NULL if they are the same. */
static const char *node_diff(const struct node *a, const struct node *b)
{
	const char *d;

	if (strcmp(a->image, b->image))
		return "image";
	if (a->memory_mb != b->memory_mb)
		return "memory";
	if (a->cpus != b->cpus)
		return "cpus";
	if ((d = nics_diff(a->nics, a->n_nics, b->nics, b->n_nics)))
		return d;
	if (a->n_serial != b->n_serial)
		return "serial";
	/* A port moved between console, cable, device and pty is re-cabled
	 * live (sv_rewire.c): QEMU sees the same socket. */
	for (int i = 0; i < a->n_serial; i++)
		if (!sv_rewire_same_qemu(&a->serial[i], &b->serial[i]))
			return "serial";
	if (a->ready.conds != b->ready.conds || a->ready.none != b->ready.none ||
	    !str_eq(a->ready.regex, b->ready.regex) || a->ready.port != b->ready.port ||
	    a->ready.timeout_s != b->ready.timeout_s)
		return "ready";
	if (a->n_forwards != b->n_forwards)
		return "forward";
	for (int i = 0; i < a->n_forwards; i++) {
		const struct forward *x = &a->forwards[i], *y = &b->forwards[i];

		if (x->proto != y->proto || strcmp(x->host_addr, y->host_addr) ||
		    x->host_port != y->host_port || x->guest_port != y->guest_port)
			return "forward";
	}
	if (a->machine != b->machine || a->disk != b->disk)
		return "machine";
	if (!str_eq(a->cpu, b->cpu))
		return "cpu";
	if (!strv_eq(a->qemu_args, b->qemu_args))
		return "qemu_args";
	if (!str_eq(a->config_seed, b->config_seed))
		return "config";
	if (!str_eq(a->nvlog_seed, b->nvlog_seed))
		return "nvlog";
	if (a->retries != b->retries)
		return "retries";
	if (a->n_after != b->n_after)
		return "after";
	for (int i = 0; i < a->n_after; i++)
		if (strcmp(a->after[i], b->after[i]))
			return "after";
	return NULL;
}

static const char *host_diff(const struct host *a, const struct host *b)
{
	const char *d = nics_diff(a->nics, a->n_nics, b->nics, b->n_nics);

	if (d)
		return d;
	return str_eq(a->command, b->command) ? NULL : "command";
}

static void lan_text(const struct lan *l, char *buf, size_t len)
{
	char net[16], lo[16], hi[16], net6[INET6_ADDRSTRLEN + 16] = "";

	snprintf(net, sizeof(net), "%s", inet_ntoa(l->net));
	snprintf(lo, sizeof(lo), "%s", inet_ntoa(l->dhcp_lo));
	snprintf(hi, sizeof(hi), "%s", inet_ntoa(l->dhcp_hi));
	if (l->has6) {
		char a6[INET6_ADDRSTRLEN];

		snprintf(net6, sizeof(net6), ", subnet6 %s/64",
			 inet_ntop(AF_INET6, &l->net6, a6, sizeof(a6)));
	}
	snprintf(buf, len, "subnet %s/%d, address %s, dhcp %s-%s%s%s%s", net, l->prefix,
		 inet_ntoa(l->addr), lo, hi, l->uplink ? ", uplink " : "",
		 l->uplink ? l->uplink : "", net6);
}

static bool lan_same(const struct lan *a, const struct lan *b)
{
	return a->net.s_addr == b->net.s_addr && a->prefix == b->prefix &&
	       a->addr.s_addr == b->addr.s_addr && a->dhcp_lo.s_addr == b->dhcp_lo.s_addr &&
	       a->dhcp_hi.s_addr == b->dhcp_hi.s_addr && str_eq(a->uplink, b->uplink) &&
	       a->has6 == b->has6 && (!a->has6 || !memcmp(&a->net6, &b->net6, sizeof(a->net6)));
}

static void plan_add(struct apply *a, const char *kind, const char *name, const char *action,
		     const char *why)
{
	json_t *plan = a->plan;

	a->changes += strcmp(action, "keep") != 0;
	json_t *o = json_pack("{s:s,s:s,s:s}", "kind", kind, "name", name, "action", action);

	if (why)
		json_object_set_new(o, "why", json_string(why));
	json_array_append_new(plan, o);
}

/* Refusals: why the change cannot be made live, one reason per line. */
static void refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(char *why, size_t len, const char *fmt, ...)
{
	size_t n = strlen(why);
	va_list ap;

	if (n && n + 2 < len) {
		strcat(why, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + n, len - n, fmt, ap);
	va_end(ap);
}

static bool has_tcp_serial(const struct node *n)
{
	for (int i = 0; i < n->n_serial; i++)
		if (n->serial[i].kind == SERIAL_TCP)
			return true;
	return false;
}

/* Compare the running lab with @a->nt: fill @a's maps and plan, or say
 * in @why what cannot change live. */
static void apply_plan(struct sv *sv, struct apply *a, char *why, size_t len)
{
	struct topo *ot = sv->t, *nt = a->nt;
	char x[200], y[200];

	why[0] = '\0';
	a->plan = json_array();
	if (strcmp(ot->name, nt->name))
		refuse(why, len, "the lab's name would change (%s -> %s)", ot->name, nt->name);
	else if (strcmp(ot->domain, nt->domain))
		refuse(why, len, "the lab's domain would change (%s -> %s)", ot->domain,
		       nt->domain);
	if (ot->n_machines || nt->n_machines)
		refuse(why, len, "a lab spread over machines cannot be changed live");
	if (ot->accel != nt->accel)
		refuse(why, len, "[lab] accel would change (decided at up)");
	if (ot->dhcp_ping != nt->dhcp_ping)
		refuse(why, len, "[lab] dhcp_ping would change (dnsmasq's, set at up)");
	a->lan_from = xcalloc((size_t)nt->n_lans + 1, sizeof(int));
	for (int i = 0; i < nt->n_lans; i++) {
		struct lan *l = &nt->lans[i], *o = topo_find_lan(ot, l->name);

		a->lan_from[i] = o ? (int)(o - ot->lans) : -1;
		if (o && !lan_same(o, l)) {
			lan_text(o, x, sizeof(x));
			lan_text(l, y, sizeof(y));
			refuse(why, len,
			       "%s:%d: lan %s would change (%s -> %s): a LAN is rebuilt "
			       "only by down and up",
			       nt->path, l->line, l->name, x, y);
		} else if (!o && l->uplink) {
			refuse(why, len,
			       "%s:%d: new lan %s has an uplink: uplinks start only at up",
			       nt->path, l->line, l->name);
		}
		plan_add(a, "lan", l->name, o ? "keep" : "add", NULL);
	}
	for (int i = 0; i < ot->n_lans; i++) {
		if (topo_find_lan(nt, ot->lans[i].name))
			continue;
		if (ot->lans[i].uplink)
			refuse(why, len, "lan %s has an uplink: it goes only at down",
			       ot->lans[i].name);
		plan_add(a, "lan", ot->lans[i].name, "remove", NULL);
	}
	a->node_from = xcalloc((size_t)nt->n_nodes + 1, sizeof(*a->node_from));
	a->node_restart = xcalloc((size_t)nt->n_nodes + 1, sizeof(bool));
	for (int i = 0; i < nt->n_nodes; i++) {
		struct node *c = &nt->nodes[i];
		struct sv_node *o = sv_find_node(sv, c->name);
		const char *d = o ? node_diff(o->cfg, c) : NULL;

		a->node_from[i] = o;
		a->node_restart[i] = o && d;
		if (o && d && !strcmp(d, "forward"))
			refuse(why, len,
			       "%s:%d: the forwards of node %s would change: add or drop "
			       "forwards with `vacmlab forward`, or down and up",
			       nt->path, c->line, c->name);
		if ((!o || d) && has_tcp_serial(c))
			refuse(why, len,
			       "%s:%d: node %s would %s with a tcp: serial port, whose "
			       "listener only up makes",
			       nt->path, c->line, c->name, o ? "restart" : "start");
		plan_add(a, "node", c->name, !o ? "add" : d ? "restart" : "keep", d);
		/* For the client's check against MemAvailable: the guest
		 * memory this node needs beyond what it holds now. */
		if (!o || d)
			json_object_set_new(
				json_array_get(a->plan, json_array_size(a->plan) - 1),
				"memory_more_mb",
				json_integer(c->memory_mb - (o ? o->cfg->memory_mb : 0)));
	}
	for (int i = 0; i < ot->n_nodes; i++)
		if (!topo_find_node(nt, ot->nodes[i].name))
			plan_add(a, "node", ot->nodes[i].name, "remove", NULL);
	a->host_from = xcalloc((size_t)nt->n_hosts + 1, sizeof(*a->host_from));
	a->host_restart = xcalloc((size_t)nt->n_hosts + 1, sizeof(bool));
	for (int i = 0; i < nt->n_hosts; i++) {
		struct host *c = &nt->hosts[i];
		const char *d = NULL;

		for (int j = 0; j < ot->n_hosts; j++)
			if (!strcmp(sv->hosts[j]->cfg->name, c->name)) {
				a->host_from[i] = sv->hosts[j];
				d = host_diff(sv->hosts[j]->cfg, c);
			}
		a->host_restart[i] = a->host_from[i] && d;
		plan_add(a, "host", c->name, !a->host_from[i] ? "add" : d ? "restart" : "keep", d);
	}
	for (int i = 0; i < ot->n_hosts; i++)
		if (!topo_find_host(nt, ot->hosts[i].name))
			plan_add(a, "host", ot->hosts[i].name, "remove", NULL);
	a->rw = sv_rewire_plan(sv, nt, a->node_from, a->node_restart, a->plan);
}

/* Is node @n of the running lab gone or restarted in the new topology? */
static bool node_goes(struct apply *a, struct sv_node *n)
{
	for (int i = 0; i < a->nt->n_nodes; i++)
		if (a->node_from[i] == n)
			return a->node_restart[i];
	return true;
}

static bool node_started(struct sv *sv, struct apply *a, struct sv_node *n)
{
	if (sv->no_boot)
		return false;
	for (int i = 0; i < a->nt->n_nodes; i++)
		if (a->node_from[i] == n || (!a->node_from[i] && n->cfg == &a->nt->nodes[i]))
			return !a->node_from[i] || a->node_restart[i];
	return false;
}

static void host_stop(struct sv *sv, struct sv_host *h)
{
	/* SIGKILL to unshare takes the command's PID namespace (sv_child.c);
	 * the holder's end takes its network namespace. The veths go first,
	 * from the lab's end: a namespace is dismantled asynchronously, and a
	 * host restarted at once makes veths of the same names. */
	for (int j = 0; j < h->cfg->n_nics; j++)
		nlx_link_del(sv->nl, h->cfg->nics[j].ifname);
	sv_host_kill_cmd(sv, h);
	if (h->holder_pidfd >= 0) {
		pidfd_kill(h->holder_pidfd, SIGKILL);
		waitpid(h->holder, NULL, 0);
		close(h->holder_pidfd);
		h->holder_pidfd = -1;
	}
}

/* Retire @n for good (removed), or make it ready for a fresh start as
 * @cfg (restarted): its ports and taps closed. */
static void node_retire(struct sv *sv, struct sv_node *n, bool removed)
{
	sv_rewire_node_goes(sv, n, removed); /* its cables say so */
	for (int j = 0; j < TOPO_MAX_SERIAL; j++) {
		sv_cable_unplug(sv, &n->ports[j]);
		sv_port_release(sv, &n->ports[j]);
	}
	if (n->have_re) {
		regfree(&n->re);
		n->have_re = false;
	}
	line_matcher_free(&n->ready_lm);
	sv_net_node_untap(n);
	n->boots = 0;
	n->attempt = 0;
}

static int apply_switch(struct sv *sv, struct apply *a, struct vl_err *e)
{
	struct topo *ot = sv->t, *nt = a->nt;
	struct sv_node **nodes = xcalloc((size_t)nt->n_nodes + 1, sizeof(*nodes));
	struct sv_host **hosts = xcalloc((size_t)nt->n_hosts + 1, sizeof(*hosts));
	struct sv_lan *lans = xcalloc((size_t)nt->n_lans + 1, sizeof(*lans));
	int r;

	/* 1. What goes: removed nodes, changed nodes' old selves, hosts, LANs. */
	for (int i = 0; i < ot->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (!node_goes(a, n))
			continue;
		node_retire(sv, n, !topo_find_node(nt, n->cfg->name));
		if (!topo_find_node(nt, n->cfg->name)) {
			sv_fwd_node_removed(sv, n);
			rm_rf(n->dir);
			sv_event(sv, "S %s removed 0.0", n->cfg->name);
		}
	}
	for (int i = 0; i < ot->n_hosts; i++) {
		struct sv_host *h = sv->hosts[i];
		struct host *c = topo_find_host(nt, h->cfg->name);

		if (!c || host_diff(h->cfg, c))
			host_stop(sv, h);
	}
	for (int i = 0; i < ot->n_lans; i++)
		if (!topo_find_lan(nt, ot->lans[i].name) &&
		    (r = nlx_link_del(sv->nl, ot->lans[i].name)))
			fprintf(stderr, "apply: deleting bridge %s: %s\n", ot->lans[i].name,
				strerror(-r));
	sv_rewire_pull(sv, a->rw);

	/* 2. The new topology is the lab's. */
	for (int i = 0; i < nt->n_nodes; i++) {
		struct sv_node *n = a->node_from[i];

		if (!n) {
			n = xcalloc(1, sizeof(*n));
			if (sv_node_init(sv, n, &nt->nodes[i], e) < 0) {
				free(n);
				return -1;
			}
		}
		n->cfg = &nt->nodes[i];
		nodes[i] = n;
	}
	for (int i = 0; i < nt->n_hosts; i++) {
		struct sv_host *h = a->host_from[i];

		if (!h || a->host_restart[i]) {
			h = xcalloc(1, sizeof(*h));
			sv_host_init(sv, h, &nt->hosts[i]);
		}
		h->cfg = &nt->hosts[i];
		hosts[i] = h;
	}
	for (int i = 0; i < nt->n_lans; i++) {
		lans[i].cfg = &nt->lans[i];
		lans[i].leases = sv->dns.leases;
		lans[i].log = sv->dns.log;
	}
	sv->t = nt;
	sv->topo_path = a->path;
	sv->nodes = nodes;
	sv->hosts = hosts;
	sv->lans = lans;

	/* 3. What comes: devices and re-cabled ports, bridges, taps, hosts,
	 * dnsmasq, then the boots. */
	if (sv_rewire_switch(sv, a->rw, e) < 0)
		return -1;
	for (int i = 0; i < nt->n_lans; i++)
		if (a->lan_from[i] < 0 && sv_net_lan_add(sv, &nt->lans[i], e) < 0)
			return -1;
	for (int i = 0; i < nt->n_nodes; i++) {
		struct sv_node *n = nodes[i];

		if (a->node_from[i] && !a->node_restart[i])
			continue;
		if (sv_net_node_taps(sv, n, e) < 0)
			return -1;
		sv_net_node_impair(sv, n->cfg, e);
		if (sv->no_boot)
			continue; /* `up --no-boot`: nodes are started by `node start` */
		n->state = NODE_QUEUED;
		n->use_kvm = sv->kvm;
		n->t_start = now_ms();
		n->t_ready = 0;
		sv_event(sv, "S %s queued 0.0", n->cfg->name);
	}
	for (int i = 0; i < nt->n_hosts; i++) {
		if (a->host_from[i] && !a->host_restart[i])
			continue;
		if (sv_net_host_add(sv, hosts[i], e) < 0 || sv_host_start(sv, hosts[i], e) < 0)
			return -1;
	}
	if (nt->n_lans && a->changes && sv_dns_reload(sv, NULL, e) < 0)
		return -1;
	return vl_failed(e) ? -1 : 0;
}

static struct apply *cur; /* the one apply in progress */

/* Free @a; its topology too when nothing runs from it (a dry run, a
 * refusal). */
static void apply_free(struct apply *a, bool with_topo)
{
	free(a->lan_from);
	free(a->node_from);
	free(a->node_restart);
	free(a->host_from);
	free(a->host_restart);
	sv_rewire_free(a->rw);
	if (with_topo) {
		topo_free(a->nt);
		free((char *)a->path);
	}
	free(a);
}

static void apply_done(struct sv *sv, bool ok, int code, const char *msg)
{
	struct apply *a = cur;
	json_t *failed = json_array();

	cur = NULL;
	if (ok) {
		for (int i = 0; i < sv->t->n_nodes; i++) {
			struct sv_node *n = sv->nodes[i];

			if (node_started(sv, a, n) && n->state != NODE_READY)
				json_array_append_new(failed, json_pack("{s:s,s:s}", "node",
									n->cfg->name, "state",
									node_state_name(n->state)));
		}
	}
	if (!ok || json_array_size(failed)) {
		char text[1024] = "";

		for (size_t i = 0; i < json_array_size(failed); i++) {
			json_t *f = json_array_get(failed, i);

			refuse(text, sizeof(text), "node %s %s",
			       json_string_value(json_object_get(f, "node")),
			       json_string_value(json_object_get(f, "state")));
		}
		json_t *rep = json_pack("{s:b,s:s,s:i,s:O,s:o}", "ok", 0, "error", msg ? msg : text,
					"code", code ? code : EXIT_CHILD, "plan", a->plan, "failed",
					failed);

		sv_reply(sv, a->client, rep);
	} else {
		json_decref(failed);
		sv_reply(sv, a->client,
			 json_pack("{s:b,s:O,s:f}", "ok", 1, "plan", a->plan, "seconds",
				   (double)(now_ms() - a->t0) / 1000.0));
	}
	json_decref(a->plan);
	apply_free(a, false);
}

void sv_apply_begin(struct sv *sv, int fd, const char *path, const char *name, bool dry_run,
		    int timeout_ms)
{
	struct topo_err te;
	struct apply *a;
	char why[2048];
	bool stopping = false;
	int code = EXIT_CONFIG;

	if (cur || sv->phase != PH_RUNNING) {
		sv_reply_errc(sv, fd, EXIT_STATE, "the lab is %s",
			      cur			 ? "being changed by another apply"
			      : sv->phase == PH_STARTING ? "still coming up"
							 : "going down");
		return;
	}
	a = xcalloc(1, sizeof(*a));
	if (topo_load(path, &a->nt, &te) < 0) {
		if (te.line)
			sv_reply_errc(sv, fd, te.env ? EXIT_ENV : EXIT_CONFIG, "%s:%d: %s", te.file,
				      te.line, te.msg);
		else
			sv_reply_errc(sv, fd, te.env ? EXIT_ENV : EXIT_CONFIG, "%s: %s", te.file,
				      te.msg);
		free(a);
		return;
	}
	if (name) {
		free(a->nt->name);
		free(a->nt->domain);
		a->nt->name = xstrdup(name);
		a->nt->domain = xstrdup(name);
	}
	a->path = xstrdup(path);
	apply_plan(sv, a, why, sizeof(why));
	for (int i = 0; !why[0] && i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (node_goes(a, n) &&
		    (n->op != OP_NONE || n->restart_pending || n->stop != SP_NONE)) {
			snprintf(why, sizeof(why), "node %s is busy (%s)", n->cfg->name,
				 node_state_name(n->state));
			code = EXIT_STATE;
		}
	}
	if (why[0] || dry_run) {
		json_t *rep =
			why[0] ? json_pack("{s:b,s:s,s:i,s:o}", "ok", 0, "error", why, "code", code,
					   "plan", a->plan)
			       : json_pack("{s:b,s:b,s:o}", "ok", 1, "dry_run", 1, "plan", a->plan);

		sv_reply(sv, fd, rep);
		apply_free(a, true);
		return;
	}
	a->client = fd;
	a->t0 = now_ms();
	/* The reply comes when the new nodes are ready: no send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	cur = a;
	fprintf(stderr, "apply: %s\n", path);
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (!node_goes(a, n) || n->pidfd < 0)
			continue;
		sv_node_stop_begin(sv, n, timeout_ms);
		stopping = true;
	}
	a->step = AS_STOPPING;
	if (!stopping)
		sv_apply_tick(sv);
}

void sv_apply_tick(struct sv *sv)
{
	struct apply *a = cur;

	if (!a)
		return;
	if (sv->phase != PH_RUNNING) {
		apply_done(sv, false, EXIT_STATE, "the lab went down during apply");
		return;
	}
	switch (a->step) {
	case AS_STOPPING:
		for (int i = 0; i < sv->t->n_nodes; i++) {
			struct sv_node *n = sv->nodes[i];

			if (node_goes(a, n) && n->pidfd >= 0 && n->stop != SP_GAVE_UP)
				return;
		}
		{
			struct vl_err e = {0};

			if (apply_switch(sv, a, &e) < 0) {
				apply_done(sv, false, e.code, e.msg);
				return;
			}
		}
		a->step = AS_STARTING;
		break;
	case AS_STARTING:
		for (int i = 0; i < sv->t->n_nodes; i++) {
			struct sv_node *n = sv->nodes[i];

			if (node_started(sv, a, n) &&
			    (n->state == NODE_QUEUED || n->state == NODE_BOOTING))
				return;
		}
		apply_done(sv, true, 0, NULL);
		break;
	}
}
