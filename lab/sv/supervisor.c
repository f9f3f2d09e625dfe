// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * supervisor.c - the process that owns a running lab.
 *
 * DOC: Theory of operation
 * `up` forks the supervisor and waits on a sync pipe. The supervisor
 * unshares a user and a network namespace, builds every bridge and tap with
 * netlink, starts one dnsmasq per LAN and one QEMU per node, waits for each
 * node to be ready (bounded), then says "OK" and runs an epoll loop over
 * child exits (pidfds), the control socket, consoles and forwards.
 *
 * The namespaces live exactly as long as the supervisor and its children:
 * every child gets PR_SET_PDEATHSIG(SIGTERM), so a SIGKILLed supervisor
 * takes its lab with it and QEMU still flushes its overlay (QEMU exits
 * cleanly on SIGTERM). No link is ever deleted one by one: the kernel
 * removes them all with the namespace.
 *
 * Going down is a phase machine (enum sv_phase): system_powerdown to every
 * node and wait, then QMP quit, then SIGTERM, then SIGKILL, each bounded;
 * nodes that needed the last two are reported as killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/qemu.h"
#include "lab/lib/env.h"
#include "lab/lib/qmp.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/sv/supervisor.h"
#include "lab/lib/match.h"
#include "lab/lib/util.h"
#include "netns/nl.h"
#include "netns/ns.h"

struct watch {
	enum sv_tag tag;
	void *ptr;
};
static struct watch *watches;
static int n_watches;

void sv_watch(struct sv *sv, int fd, uint32_t events, enum sv_tag tag, void *ptr)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (fd >= n_watches) {
		int n = fd * 2 + 64;

		watches = xrealloc(watches, (size_t)n * sizeof(*watches));
		memset(watches + n_watches, 0, (size_t)(n - n_watches) * sizeof(*watches));
		n_watches = n;
	}
	watches[fd].tag = tag;
	watches[fd].ptr = ptr;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
		epoll_ctl(sv->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void sv_unwatch(struct sv *sv, int fd)
{
	epoll_ctl(sv->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (fd < n_watches)
		watches[fd].tag = 0;
}

/* A progress line for `up` (and for --foreground, every state change). */
void sv_event(struct sv *sv, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	fprintf(stderr, "[%.3f] %.*s", (double)(now_ms() - sv->t0) / 1000.0, n, buf);
	if (sv->sync_fd >= 0 && write_all(sv->sync_fd, buf, (size_t)n) < 0) {
		close(sv->sync_fd);
		sv->sync_fd = -1;
	}
}

const char *node_state_name(enum node_state s)
{
	switch (s) {
	case NODE_PENDING: return "stopped";
	case NODE_BOOTING: return "booting";
	case NODE_READY: return "ready";
	case NODE_STOPPING: return "stopping";
	case NODE_EXITED: return "exited";
	}
	return "?";
}

/* The address tests and probes use: first fixed address, else a lease. */
struct in_addr sv_node_addr(struct sv *sv, struct sv_node *n)
{
	struct in_addr a = {0};

	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];

		if (nic->addr.s_addr)
			return nic->addr;
	}
	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];

		if (lease_lookup(l->leases, nic->mac, &a, NULL, 0))
			return a;
	}
	return a;
}

#define fail sv_fail
void sv_fail(struct sv *sv, int code, const char *fmt, ...)
{
	va_list ap;

	if (sv->exit_code)
		return; /* the first failure is the one to report */
	va_start(ap, fmt);
	vsnprintf(sv->failure, sizeof(sv->failure), fmt, ap);
	va_end(ap);
	sv->exit_code = code;
	fprintf(stderr, "failure: %s\n", sv->failure);
}

/* ---- building the network ---------------------------------------------- */

static int hostns_configure(struct sv *sv, struct sv_host *h);

static int build_network(struct sv *sv)
{
	struct topo *t = sv->t;
	int r;

	r = ns_lo_up();
	if (r) {
		fail(sv, EXIT_ENV, "bringing up lo in the lab: %s", strerror(-r));
		return -1;
	}
	/* ping(8) as the lab's root without raw sockets; harmless if absent. */
	ns_sysctl("net/ipv4/ping_group_range", "0 2147483647");
	/* The lab is IPv4: no IPv6 link-local set-up on every bridge and tap
	 * (measured: 15% of the time to build 1200 links). */
	ns_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
	r = nlx_open(&sv->nl);
	if (r) {
		fail(sv, EXIT_ENV, "opening netlink in the lab: %s", strerror(-r));
		return -1;
	}
	for (int i = 0; i < t->n_lans; i++) {
		struct lan *l = &t->lans[i];

		if ((r = nlx_bridge_add(sv->nl, l->name))) {
			fail(sv, EXIT_ENV, "creating bridge %s: %s", l->name, strerror(-r));
			return -1;
		}
		if ((r = nlx_addr_add(sv->nl, l->name, l->addr, l->prefix))) {
			fail(sv, EXIT_ENV, "adding address %s/%d to bridge %s: %s",
			     inet_ntoa(l->addr), l->prefix, l->name, strerror(-r));
			return -1;
		}
		if ((r = nlx_link_up(sv->nl, l->name, NULL))) {
			fail(sv, EXIT_ENV, "bringing up bridge %s: %s", l->name, strerror(-r));
			return -1;
		}
	}
	for (int i = 0; i < t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];

		n->tap_fds = xcalloc((size_t)n->cfg->n_nics + 1, sizeof(int));
		for (int j = 0; j < n->cfg->n_nics; j++) {
			struct nic *nic = &n->cfg->nics[j];
			int fd = tap_open(nic->ifname);

			if (fd < 0) {
				fail(sv, EXIT_ENV, "creating tap %s on bridge %s: %s%s",
				     nic->ifname, nic->lan->name, strerror(-fd),
				     fd == -EACCES || fd == -EPERM
					     ? " (is /dev/net/tun accessible? see README)"
					     : "");
				return -1;
			}
			n->tap_fds[j] = fd;
			if ((r = nlx_link_up(sv->nl, nic->ifname, nic->lan->name))) {
				fail(sv, EXIT_ENV, "enslaving tap %s to bridge %s: %s", nic->ifname,
				     nic->lan->name, strerror(-r));
				return -1;
			}
		}
	}
	for (int i = 0; i < t->n_hosts; i++)
		if (hostns_configure(sv, &sv->hosts[i]) < 0)
			return -1;
	return 0;
}

static void apply_impairments(struct sv *sv)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct node *n = &sv->t->nodes[i];

		for (int j = 0; j < n->n_nics; j++) {
			struct impair *im = &n->nics[j].impair;
			struct nlx_netem ne = {im->delay_us, im->jitter_us, im->loss_pct,
					       im->rate_bps};
			int r;

			if (!im->set)
				continue;
			r = nlx_netem_set(sv->nl, n->nics[j].ifname, &ne);
			if (r)
				fail(sv, EXIT_ENV, "%s:%d: impairing %s of node %s: %s%s",
				     sv->topo_path, n->nics[j].line, n->nics[j].ifname, n->name,
				     strerror(-r),
				     r == -ENOENT ? " (does the kernel have the netem qdisc? "
						    "CONFIG_NET_SCH_NETEM, module sch_netem)"
						  : "");
		}
	}
}

/* ---- test-service hosts ------------------------------------------------- */

/*
 * A host is a network namespace held by a forked child that only waits
 * for its parent to die. Its veth is created from the lab namespace with
 * the peer placed in the holder's namespace; the inside is configured by a
 * short-lived child that joins it, so the supervisor itself never leaves
 * the lab namespace.
 */
static pid_t fork_holder(void)
{
	int p[2];
	pid_t parent = getpid(), pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		ns_lo_up();
		if (write(p[1], "x", 1) < 0)
			_exit(1);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* The temporary name of a host's NIC @idx inner veth end, created in the
 * host's namespace and renamed ethN there. */
static void host_peer_name(int idx, char peer[16])
{
	snprintf(peer, 16, "vacmlab-p%u", (unsigned)idx % 100);
}

static int host_inside(struct sv_host *h, char *err, size_t errlen)
{
	struct nlx *nl;
	int r;

	if ((r = ns_join(getpid(), h->holder)) || (r = nlx_open(&nl))) {
		snprintf(err, errlen, "entering host %s: %s", h->cfg->name, strerror(-r));
		return r;
	}
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct nic *nic = &h->cfg->nics[j];
		char in[16];

		snprintf(in, sizeof(in), "eth%d", j);
		char peer[16];

		host_peer_name(j, peer);
		if ((r = nlx_link_rename(nl, peer, in)) ||
		    (nic->addr.s_addr && (r = nlx_addr_add(nl, in, nic->addr, nic->lan->prefix))) ||
		    (r = nlx_link_up(nl, in, NULL))) {
			snprintf(err, errlen, "configuring %s of host %s: %s", in, h->cfg->name,
				 strerror(-r));
			return r;
		}
	}
	if (h->cfg->n_nics && h->cfg->nics[0].addr.s_addr &&
	    (r = nlx_route_default(nl, h->cfg->nics[0].lan->addr))) {
		snprintf(err, errlen, "default route of host %s: %s", h->cfg->name, strerror(-r));
		return r;
	}
	nlx_close(nl);
	return 0;
}

static int hostns_configure(struct sv *sv, struct sv_host *h)
{
	int r, st, p[2];
	pid_t pid;
	char err[512] = "";

	h->holder = fork_holder();
	if (h->holder < 0) {
		fail(sv, EXIT_ENV, "creating the namespace of host %s: %s", h->cfg->name,
		     strerror(errno));
		return -1;
	}
	h->holder_pidfd = pidfd_open_pid(h->holder);
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct nic *nic = &h->cfg->nics[j];
		char peer[16];

		host_peer_name(j, peer);
		/* The lab end keeps the NIC's name; the host end is renamed
		 * ethN inside. Create with the inner end's temporary name. */
		if ((r = nlx_veth_add(sv->nl, nic->ifname, peer, h->holder))) {
			fail(sv, EXIT_ENV, "creating veth %s for host %s: %s", nic->ifname,
			     h->cfg->name, strerror(-r));
			return -1;
		}
		if ((r = nlx_link_up(sv->nl, nic->ifname, nic->lan->name))) {
			fail(sv, EXIT_ENV, "enslaving %s to bridge %s: %s", nic->ifname,
			     nic->lan->name, strerror(-r));
			return -1;
		}
	}
	/* Configure the inside from a short-lived child, which renames the
	 * veth peers ethN. */
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		r = host_inside(h, err, sizeof(err));
		if (r && write(p[1], err, strlen(err)) < 0)
			_exit(2);
		_exit(r ? 1 : 0);
	}
	close(p[1]);
	ssize_t n = read(p[0], err, sizeof(err) - 1);

	close(p[0]);
	if (n > 0)
		err[n] = '\0';
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fail(sv, EXIT_ENV, "%s", err[0] ? err : "configuring a host namespace failed");
		return -1;
	}
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct impair *im = &h->cfg->nics[j].impair;
		struct nlx_netem ne = {im->delay_us, im->jitter_us, im->loss_pct, im->rate_bps};

		if (im->set && (r = nlx_netem_set(sv->nl, h->cfg->nics[j].ifname, &ne))) {
			fail(sv, EXIT_ENV, "impairing %s of host %s: %s%s", h->cfg->nics[j].ifname,
			     h->cfg->name, strerror(-r),
			     r == -ENOENT ? " (does the kernel have the netem qdisc? "
					    "CONFIG_NET_SCH_NETEM, module sch_netem)"
					  : "");
			return -1;
		}
	}
	return 0;
}

/*
 * A host's command may fork (sh -c "a; b" does), and PDEATHSIG reaches
 * only our direct child. So the command runs as the init of a PID
 * namespace of its own, under `unshare --pid --fork --kill-child`: when
 * unshare dies (SIGKILL at `down`, or PDEATHSIG when the supervisor is
 * killed; it ignores SIGTERM while it waits) its child, the namespace's
 * init, gets SIGKILL, and the kernel then kills every process of that
 * namespace. Nothing a host started can outlive the lab.
 */
static int start_host_command(struct sv *sv, struct sv_host *h)
{
	char err[512], path[64], name[64];
	_cleanup_free_ char *unshare = find_program("unshare");
	char *argv[] = {
		unshare,	   (char *)"--pid", (char *)"--fork", (char *)"--kill-child",
		(char *)"/bin/sh", (char *)"-c",    h->cfg->command,  NULL};
	int logfd, nsfd;

	if (!h->cfg->command)
		return 0;
	if (!unshare) {
		fail(sv, EXIT_ENV, "host %s: unshare(1) not found: install util-linux",
		     h->cfg->name);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)h->holder);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		fail(sv, EXIT_ENV, "host %s: opening %s: %s", h->cfg->name, path, strerror(errno));
		return -1;
	}
	logfd = open(h->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	snprintf(name, sizeof(name), "command of host %s", h->cfg->name);
	/* unshare is our direct child (so PDEATHSIG ties it to us) and joins
	 * the host's network namespace between fork and exec. */
	struct spawn_opts o = {
		.name = name,
		.path = unshare,
		.argv = argv,
		.stdin_fd = -1,
		.stdout_fd = logfd,
		.stderr_fd = logfd,
		.pdeathsig = SIGKILL, /* unshare ignores SIGTERM while it waits */
		.cwd = sv->statedir,
		.netns_fd = nsfd,
	};
	h->cmd_pid = spawn(&o, &h->cmd_pidfd, err, sizeof(err));
	close(nsfd);
	if (logfd >= 0)
		close(logfd);
	if (h->cmd_pid < 0) {
		fail(sv, EXIT_CHILD, "%s", err);
		return -1;
	}
	sv_watch(sv, h->cmd_pidfd, EPOLLIN, TAG_HOST_PIDFD, h);
	return 0;
}

/* ---- children ----------------------------------------------------------- */

static int start_dnsmasq(struct sv *sv, struct sv_lan *l)
{
	struct dnsmasq_paths p = {l->conf, l->leases, l->pidfile, l->log};
	_cleanup_free_ char *conf = dnsmasq_config(sv->t, l->cfg, &p);
	char **argv = dnsmasq_argv(sv->dnsmasq, &p);
	char err[512];
	int r = write_file(l->conf, conf);
	struct spawn_opts o = {
		.name = NULL,
		.path = sv->dnsmasq,
		.argv = argv,
		.stdin_fd = -1,
		.stdout_fd = 2,
		.stderr_fd = 2,
		.pdeathsig = SIGTERM,
		.cwd = "/",
	};
	char name[64];

	if (r) {
		fail(sv, EXIT_ENV, "writing %s: %s", l->conf, strerror(-r));
		strv_free(argv);
		return -1;
	}
	snprintf(name, sizeof(name), "dnsmasq for LAN %s", l->cfg->name);
	o.name = name;
	l->dns_pid = spawn(&o, &l->dns_pidfd, err, sizeof(err));
	strv_free(argv);
	if (l->dns_pid < 0) {
		fail(sv, EXIT_CHILD, "%s", err);
		return -1;
	}
	sv_watch(sv, l->dns_pidfd, EPOLLIN, TAG_LAN_PIDFD, l);
	return 0;
}

static int start_qemu(struct sv *sv, struct sv_node *n)
{
	struct node *c = n->cfg;
	int port_fds[TOPO_MAX_SERIAL], keep[TOPO_MAX_SERIAL + TOPO_MAX_NICS], nkeep = 0;
	char err[512], name[64];
	int logfd;
	char **argv;

	for (int i = 0; i < c->n_serial; i++) {
		if (sv_port_prepare(sv, n, i, err, sizeof(err)) < 0) {
			fail(sv, EXIT_ENV, "node %s: %s", c->name, err);
			return -1;
		}
		port_fds[i] = n->ports[i].qemu_fd;
		if (port_fds[i] >= 0)
			keep[nkeep++] = port_fds[i];
	}
	for (int i = 0; i < c->n_nics; i++)
		keep[nkeep++] = n->tap_fds[i];
	struct qemu_launch ql = {
		.lab = sv->t->name,
		.node = c,
		.disk = n->disk,
		.qmp_path = n->qmp,
		.port_dir = n->dir,
		.log_dir = sv->logdir,
		.tap_fds = n->tap_fds,
		.port_fds = port_fds,
		.kvm = sv->kvm,
		.loadvm = sv->loadvm,
	};
	argv = qemu_argv(sv->qemu, &ql);
	{
		_cleanup_free_ char *line = strv_join(argv);

		fprintf(stderr, "node %s: %s\n", c->name, line);
	}
	logfd = open(n->qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	snprintf(name, sizeof(name), "QEMU for node %s", c->name);
	struct spawn_opts o = {
		.name = name,
		.path = sv->qemu,
		.argv = argv,
		.keep_fds = keep,
		.n_keep = nkeep,
		.stdin_fd = -1,
		.stdout_fd = logfd,
		.stderr_fd = logfd,
		.pdeathsig = SIGTERM,
		.cwd = n->dir,
	};
	n->pid = spawn(&o, &n->pidfd, err, sizeof(err));
	strv_free(argv);
	if (logfd >= 0)
		close(logfd);
	if (n->pid < 0) {
		fail(sv, EXIT_CHILD, "%s", err);
		return -1;
	}
	n->t_start = now_ms();
	n->state = NODE_BOOTING;
	n->probe_fd = -1;
	sv_watch(sv, n->pidfd, EPOLLIN, TAG_NODE_PIDFD, n);
	/* QEMU holds its own copies now. */
	for (int i = 0; i < c->n_serial; i++)
		sv_port_after_spawn(sv, &n->ports[i]);
	sv_event(sv, "S %s booting 0.0", c->name);
	return 0;
}

void sv_node_set_ready(struct sv *sv, struct sv_node *n)
{
	if (n->state != NODE_BOOTING)
		return;
	n->state = NODE_READY;
	n->t_ready = now_ms();
	sv_event(sv, "S %s ready %.1f", n->cfg->name, (double)(n->t_ready - n->t_start) / 1000.0);
}

/* ---- readiness ------------------------------------------------------------ */

static void probe_dhcp(struct sv *sv, struct sv_node *n)
{
	int want = 0, have = 0;

	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];
		struct in_addr a;

		want++;
		if (lease_lookup(l->leases, nic->mac, &a, NULL, 0))
			have++;
	}
	if (want && have == want)
		sv_node_set_ready(sv, n);
}

static void probe_tcp_start(struct sv *sv, struct sv_node *n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd;

	sa.sin_addr = sv_node_addr(sv, n);
	sa.sin_port = htons((uint16_t)n->cfg->ready.port);
	if (!sa.sin_addr.s_addr)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		sv_node_set_ready(sv, n);
		return;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return;
	}
	n->probe_fd = fd;
	sv_watch(sv, fd, EPOLLOUT, TAG_PROBE, n);
}

static void probe_tcp_done(struct sv *sv, struct sv_node *n)
{
	int e = 0;
	socklen_t l = sizeof(e);

	getsockopt(n->probe_fd, SOL_SOCKET, SO_ERROR, &e, &l);
	sv_unwatch(sv, n->probe_fd);
	close(n->probe_fd);
	n->probe_fd = -1;
	if (e == 0)
		sv_node_set_ready(sv, n);
}

static void node_failure_text(struct sv *sv, struct sv_node *n, const char *what)
{
	_cleanup_free_ char *serial = sv_port_tail(n, 20);
	_cleanup_free_ char *qlog = tail_file(n->qemu_log, 20);

	fail(sv, strstr(what, "not ready") ? EXIT_TIMEOUT : EXIT_CHILD,
	     "node %s: %s\n--- last lines of its serial console (%s/%s.ttyS0.log) ---\n%s"
	     "--- QEMU stderr (%s) ---\n%s",
	     n->cfg->name, what, sv->logdir, n->cfg->name, serial && *serial ? serial : "(empty)\n",
	     n->qemu_log, qlog && *qlog ? qlog : "(empty)\n");
}

/* A node started with -loadvm resumes exactly where it was saved (and
 * `vacmlab snapshot save` only saves a ready node), but it prints nothing
 * new on its console and sends no DHCP request (its lease lives in its
 * restored RAM; this run's dnsmasq has none on file). So for console and
 * dhcp readiness a restored node is ready once QEMU has loaded the
 * snapshot and runs it: query-status says "running" only after -loadvm
 * completed and the VM started. tcp probes are kept as they are: they test
 * the guest itself. This blocks the loop while QEMU is still loading (QMP
 * commands are served by its main loop): a fraction of a second, once. */
static void probe_loadvm(struct sv *sv, struct sv_node *n, long long now)
{
	json_t *ret = NULL;
	char err[256];

	if (now < n->next_probe)
		return;
	n->next_probe = now + 200;
	if (qmp_oneshot(n->qmp, "query-status", NULL, &ret, err, sizeof(err), 500) == 0 &&
	    json_is_true(json_object_get(ret, "running")))
		sv_node_set_ready(sv, n);
	json_decref(ret);
}

static void check_readiness(struct sv *sv)
{
	long long now = now_ms();

	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];

		if (n->state != NODE_BOOTING)
			continue;
		if (sv->loadvm &&
		    (n->cfg->ready.kind == READY_DHCP || n->cfg->ready.kind == READY_CONSOLE))
			probe_loadvm(sv, n, now);
		switch (n->cfg->ready.kind) {
		case READY_DHCP: probe_dhcp(sv, n); break;
		case READY_TCP:
			if (n->probe_fd < 0 && now >= n->next_probe) {
				n->next_probe = now + 500;
				probe_tcp_start(sv, n);
			}
			break;
		case READY_CONSOLE: /* matched as output arrives (sv_port.c) */ break;
		case READY_NONE: sv_node_set_ready(sv, n); break;
		}
		if (n->state == NODE_BOOTING &&
		    now - n->t_start > (long long)n->cfg->ready.timeout_s * 1000) {
			char what[128];

			snprintf(what, sizeof(what), "not ready after %d s (ready = %s)",
				 n->cfg->ready.timeout_s, ready_kind_name(n->cfg->ready.kind));
			node_failure_text(sv, n, what);
		}
	}
}

static bool all_ready(struct sv *sv)
{
	if (sv->no_boot)
		return true;
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i].state != NODE_READY)
			return false;
	return true;
}

/* ---- child exits ---------------------------------------------------------- */

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "stopped");
}

static void node_exited(struct sv *sv, struct sv_node *n)
{
	char how[128];
	enum node_state was = n->state;

	if (waitpid(n->pid, &n->status, WNOHANG) <= 0)
		return;
	sv_unwatch(sv, n->pidfd);
	close(n->pidfd);
	n->pidfd = -1;
	n->t_exit = now_ms();
	n->state = NODE_EXITED;
	describe_status(n->status, how, sizeof(how));
	/* Connections forwarded to it end now, not on TCP timeouts. */
	sv_fwd_node_exited(sv, n);
	sv_event(sv, "S %s exited %.1f %s", n->cfg->name, (double)(n->t_exit - n->t_start) / 1000.0,
		 how);
	if (was == NODE_BOOTING && sv->phase == PH_STARTING) {
		char what[160];

		snprintf(what, sizeof(what), "QEMU %s before the node was ready", how);
		node_failure_text(sv, n, what);
	}
}

static void lan_dns_exited(struct sv *sv, struct sv_lan *l)
{
	int st = 0;
	char how[128];

	waitpid(l->dns_pid, &st, WNOHANG);
	sv_unwatch(sv, l->dns_pidfd);
	close(l->dns_pidfd);
	l->dns_pidfd = -1;
	l->dns_pid = 0;
	describe_status(st, how, sizeof(how));
	if (sv->phase < PH_POWERDOWN) {
		_cleanup_free_ char *tail = tail_file(l->log, 10);

		sv_event(sv, "W dnsmasq for LAN %s %s", l->cfg->name, how);
		if (sv->phase == PH_STARTING)
			fail(sv, EXIT_CHILD, "dnsmasq for LAN %s %s\n--- %s ---\n%s", l->cfg->name,
			     how, l->log, tail ? tail : "");
	}
}

static void host_cmd_exited(struct sv *sv, struct sv_host *h)
{
	char how[128];

	waitpid(h->cmd_pid, &h->cmd_status, WNOHANG);
	sv_unwatch(sv, h->cmd_pidfd);
	close(h->cmd_pidfd);
	h->cmd_pidfd = -1;
	h->cmd_exited = true;
	describe_status(h->cmd_status, how, sizeof(how));
	if (sv->phase < PH_POWERDOWN)
		sv_event(sv, "W host %s: command %s", h->cfg->name, how);
}

/* Reap anything else (intermediate children, re-parented host commands). */
static void reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

/* ---- going down -------------------------------------------------------------- */

static int nodes_running(struct sv *sv)
{
	int n = 0;

	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i].pidfd >= 0)
			n++;
	return n;
}

static void signal_nodes(struct sv *sv, int sig, bool mark_killed)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];

		if (n->pidfd < 0)
			continue;
		pidfd_kill(n->pidfd, sig);
		if (mark_killed)
			n->killed = true;
	}
}

static void qmp_all(struct sv *sv, const char *cmd)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];
		char err[256];

		if (n->pidfd < 0)
			continue;
		n->state = NODE_STOPPING;
		if (qmp_oneshot(n->qmp, cmd, NULL, NULL, err, sizeof(err), 2000) < 0)
			fprintf(stderr, "node %s: %s\n", n->cfg->name, err);
	}
}

void sv_begin_down(struct sv *sv, int timeout_ms)
{
	if (sv->phase >= PH_POWERDOWN)
		return;
	sv->down_timeout_ms = timeout_ms;
	if (!nodes_running(sv)) {
		sv->phase = PH_DONE;
		return;
	}
	sv_event(sv, "D powerdown");
	qmp_all(sv, "system_powerdown");
	sv->phase = PH_POWERDOWN;
	sv->phase_deadline = now_ms() + timeout_ms;
	sv->next_press = now_ms() + 2000;
}

static void advance_down(struct sv *sv)
{
	if (sv->phase < PH_POWERDOWN || sv->phase == PH_DONE)
		return;
	if (!nodes_running(sv)) {
		sv->phase = PH_DONE;
		return;
	}
	if (now_ms() < sv->phase_deadline) {
		/* The power button is an edge: a guest that was still booting
		 * when it was pressed (its ACPI handler not yet running)
		 * never sees it. Press again every 2 s until the deadline. */
		if (sv->phase == PH_POWERDOWN && now_ms() >= sv->next_press) {
			qmp_all(sv, "system_powerdown");
			sv->next_press = now_ms() + 2000;
		}
		return;
	}
	switch (sv->phase) {
	case PH_POWERDOWN:
		sv_event(sv, "D quit");
		for (int i = 0; i < sv->t->n_nodes; i++)
			if (sv->nodes[i].pidfd >= 0)
				sv->nodes[i].killed = true;
		qmp_all(sv, "quit");
		sv->phase = PH_QUIT;
		sv->phase_deadline = now_ms() + 3000;
		break;
	case PH_QUIT:
		sv_event(sv, "D sigterm");
		signal_nodes(sv, SIGTERM, true);
		sv->phase = PH_TERM;
		sv->phase_deadline = now_ms() + 3000;
		break;
	case PH_TERM:
		sv_event(sv, "D sigkill");
		signal_nodes(sv, SIGKILL, true);
		sv->phase = PH_KILL;
		sv->phase_deadline = now_ms() + 5000;
		break;
	case PH_KILL:
		/* Unkillable (D state): give up waiting; the namespace will
		 * go when it does. */
		sv->phase = PH_DONE;
		break;
	case PH_STARTING:
	case PH_RUNNING:
	case PH_DONE: break;
	}
}

/* Stop the rest: dnsmasq, host commands, holders. Bounded. */
static void stop_others(struct sv *sv)
{
	long long deadline = now_ms() + 3000;

	for (int i = 0; i < sv->t->n_lans; i++)
		if (sv->lans[i].dns_pidfd >= 0)
			pidfd_kill(sv->lans[i].dns_pidfd, SIGTERM);
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct sv_lan *l = &sv->lans[i];

		while (l->dns_pid > 0 && now_ms() < deadline) {
			if (waitpid(l->dns_pid, NULL, WNOHANG) == l->dns_pid)
				break;
			usleep(10000);
		}
		if (l->dns_pid > 0 && waitpid(l->dns_pid, NULL, WNOHANG) == 0) {
			pidfd_kill(l->dns_pidfd, SIGKILL);
			waitpid(l->dns_pid, NULL, 0);
		}
	}
	for (int i = 0; i < sv->t->n_hosts; i++) {
		struct sv_host *h = &sv->hosts[i];

		/* unshare ignores SIGTERM; SIGKILL takes the command's whole
		 * PID namespace down (see start_host_command()). */
		if (h->cmd_pidfd >= 0) {
			pidfd_kill(h->cmd_pidfd, SIGKILL);
			waitpid(h->cmd_pid, NULL, 0);
		}
		if (h->holder_pidfd >= 0)
			pidfd_kill(h->holder_pidfd, SIGKILL);
	}
	reap_strays();
}

/* ---- main loop ------------------------------------------------------------------ */

static void handle_signal(struct sv *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
		case SIGHUP:
			if (sv->phase == PH_STARTING) {
				fail(sv, EXIT_CHILD, "interrupted by signal %u while coming up",
				     si.ssi_signo);
			} else {
				sv_begin_down(sv, sv->down_timeout_ms);
			}
			break;
		case SIGCHLD: break;
		default: break;
		}
	}
}

static void dispatch(struct sv *sv, struct epoll_event *ev)
{
	int fd = ev->data.fd;
	struct watch w;

	if (fd >= n_watches || !watches[fd].tag)
		return;
	w = watches[fd];
	switch ((enum sv_tag)w.tag) {
	case TAG_SIGNAL: handle_signal(sv); break;
	case TAG_CTL: sv_ctl_accept(sv); break;
	case TAG_CTL_CLIENT: sv_ctl_client(sv, fd); break;
	case TAG_NODE_PIDFD: node_exited(sv, w.ptr); break;
	case TAG_LAN_PIDFD: lan_dns_exited(sv, w.ptr); break;
	case TAG_HOST_PIDFD: host_cmd_exited(sv, w.ptr); break;
	case TAG_PORT:
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			sv_port_readable(sv, w.ptr);
		if (ev->events & EPOLLOUT)
			sv_port_writable(sv, w.ptr);
		break;
	case TAG_PORT_LISTEN_RW: sv_port_accept(sv, w.ptr, false); break;
	case TAG_PORT_LISTEN_RO: sv_port_accept(sv, w.ptr, true); break;
	case TAG_PORT_CLIENT: sv_port_client_io(sv, w.ptr, ev->events); break;
	case TAG_PROBE: probe_tcp_done(sv, w.ptr); break;
	case TAG_FWD_LISTEN: sv_fwd_accept(sv, w.ptr); break;
	case TAG_FWD_CONN: sv_fwd_io(sv, w.ptr, fd, ev->events); break;
	}
}

static void loop_once(struct sv *sv, int timeout)
{
	struct epoll_event evs[64];
	int n = epoll_wait(sv->epfd, evs, 64, timeout);

	for (int i = 0; i < n; i++)
		dispatch(sv, &evs[i]);
	reap_strays();
}

static void report_failure(struct sv *sv)
{
	char head[32];

	if (sv->sync_fd < 0)
		return;
	snprintf(head, sizeof(head), "E %d\n", sv->exit_code);
	write_all(sv->sync_fd, head, strlen(head));
	write_all(sv->sync_fd, sv->failure, strlen(sv->failure));
	close(sv->sync_fd);
	sv->sync_fd = -1;
}

static void teardown_and_exit(struct sv *sv) __attribute__((noreturn));
static void teardown_and_exit(struct sv *sv)
{
	json_t *reply;

	/* A failed `up` still ends gracefully, but does not wait long: the
	 * guests never finished booting, there is nothing to flush. */
	if (sv->phase < PH_POWERDOWN)
		sv_begin_down(sv, sv->exit_code ? 2000 : sv->down_timeout_ms);
	while (sv->phase != PH_DONE) {
		loop_once(sv, 100);
		advance_down(sv);
	}
	stop_others(sv);
	sv_uplink_stop(sv);
	sv_fwd_close_all(sv);
	if (sv->exit_code)
		report_failure(sv);
	if (sv->down_client >= 0) {
		json_t *killed = json_array();

		for (int i = 0; i < sv->t->n_nodes; i++)
			if (sv->nodes[i].killed)
				json_array_append_new(killed, json_string(sv->nodes[i].cfg->name));
		reply = json_pack("{s:b,s:o}", "ok", 1, "killed", killed);
		char *s = json_dumps(reply, JSON_COMPACT);

		write_all(sv->down_client, s, strlen(s));
		write_all(sv->down_client, "\n", 1);
		free(s);
		json_decref(reply);
	}
	sv_event(sv, "X %d", sv->exit_code);
	fprintf(stderr, "supervisor exiting (%d)\n", sv->exit_code);
	/* Remove the runtime dir while still holding the lock, so the next
	 * `up` never sees a half-removed dir as a running lab. */
	rm_rf(sv->rundir);
	_exit(sv->exit_code);
}

static int setup_fs(struct sv *sv)
{
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct sv_lan *l = &sv->lans[i];

		l->cfg = &sv->t->lans[i];
		l->dns_pidfd = -1;
		l->conf = xasprintf("%s/dnsmasq-%s.conf", sv->rundir, l->cfg->name);
		l->leases = xasprintf("%s/dnsmasq-%s.leases", sv->rundir, l->cfg->name);
		l->pidfile = xasprintf("%s/dnsmasq-%s.pid", sv->rundir, l->cfg->name);
		l->log = xasprintf("%s/dnsmasq-%s.log", sv->logdir, l->cfg->name);
	}
	for (int i = 0; i < sv->t->n_hosts; i++) {
		struct sv_host *h = &sv->hosts[i];

		h->cfg = &sv->t->hosts[i];
		h->holder_pidfd = h->cmd_pidfd = -1;
		h->log = xasprintf("%s/host-%s.log", sv->logdir, h->cfg->name);
	}
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];
		char err[256];

		n->pidfd = -1;
		n->probe_fd = -1;
		n->dir = xasprintf("%s/%s", sv->rundir, n->cfg->name);
		n->qmp = xasprintf("%s/qmp.sock", n->dir);
		n->qemu_log = xasprintf("%s/%s.qemu.log", sv->logdir, n->cfg->name);
		if (!n->disk)
			n->disk = xasprintf("%s/%s.qcow2", sv->statedir, n->cfg->name);
		if (rundir_make(n->dir, err, sizeof(err)) < 0) {
			fail(sv, EXIT_ENV, "%s", err);
			return -1;
		}
		for (int j = 0; j < TOPO_MAX_SERIAL; j++) {
			n->ports[j].fd = n->ports[j].qemu_fd = -1;
			n->ports[j].lfd_rw = n->ports[j].lfd_ro = n->ports[j].logfd = -1;
		}
	}
	return 0;
}

/* resolv.conf for `vacmlab exec`: lab names through the lab's dnsmasq. */
static void write_resolv(struct sv *sv)
{
	_cleanup_free_ char *p = xasprintf("%s/resolv.conf", sv->rundir);
	_cleanup_free_ char *txt = NULL;

	if (!sv->t->n_lans)
		return;
	txt = xasprintf(
		"# vacmlab lab %s\nsearch %s\nnameserver %s\noptions timeout:1 attempts:2\n",
		sv->t->name, sv->t->domain, inet_ntoa(sv->t->lans[0].addr));
	write_file(p, txt);
}

void supervisor_run(struct sv *sv)
{
	const char *step = "";
	char err[512];
	sigset_t mask;
	struct rlimit rl;
	int r;

	sv->t0 = now_ms();
	sv->phase = PH_STARTING;
	sv->down_client = -1;
	if (!sv->down_timeout_ms)
		sv->down_timeout_ms = 20000;
	prog_name = "vacmlab-supervisor";
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sv->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sv->epfd = epoll_create1(EPOLL_CLOEXEC);
	sv_watch(sv, sv->sigfd, EPOLLIN, TAG_SIGNAL, NULL);

	sv->nodes = xcalloc((size_t)sv->t->n_nodes + 1, sizeof(*sv->nodes));
	sv->lans = xcalloc((size_t)sv->t->n_lans + 1, sizeof(*sv->lans));
	sv->hosts = xcalloc((size_t)sv->t->n_hosts + 1, sizeof(*sv->hosts));
	for (int i = 0; i < sv->t->n_nodes; i++)
		sv->nodes[i].cfg = &sv->t->nodes[i];
	if (setup_fs(sv) < 0)
		teardown_and_exit(sv);

	if (sv_uplink_prefork(sv) < 0)
		teardown_and_exit(sv);
	r = ns_enter_new(getuid(), getgid(), &step);
	if (r) {
		if (!strcmp(step, "unshare"))
			fail(sv, EXIT_ENV, "%s", userns_explain(-r));
		else
			fail(sv, EXIT_ENV, "user namespace: writing %s: %s", step, strerror(-r));
		teardown_and_exit(sv);
	}
	{
		long long t1 = now_ms();
		int links = sv->t->n_lans;

		for (int i = 0; i < sv->t->n_nodes; i++)
			links += sv->t->nodes[i].n_nics;
		for (int i = 0; i < sv->t->n_hosts; i++)
			links += sv->t->hosts[i].n_nics;
		if (build_network(sv) < 0)
			teardown_and_exit(sv);
		/* Read by bench/netbuild.sh. */
		fprintf(stderr, "phase network: %lld ms for %d links\n", now_ms() - t1, links);
	}
	apply_impairments(sv);
	if (sv->exit_code)
		teardown_and_exit(sv);
	if (sv_uplink_start(sv) < 0)
		teardown_and_exit(sv);
	write_resolv(sv);
	if (sv_ctl_listen(sv, err, sizeof(err)) < 0) {
		fail(sv, EXIT_ENV, "%s", err);
		teardown_and_exit(sv);
	}
	{
		long long t1 = now_ms();

		for (int i = 0; i < sv->t->n_lans; i++)
			if (start_dnsmasq(sv, &sv->lans[i]) < 0)
				teardown_and_exit(sv);
		fprintf(stderr, "phase dnsmasq: %lld ms for %d LANs\n", now_ms() - t1,
			sv->t->n_lans);
	}
	for (int i = 0; i < sv->t->n_hosts; i++)
		if (start_host_command(sv, &sv->hosts[i]) < 0)
			teardown_and_exit(sv);
	/* Forwards declared in the topology: listeners made by `up`. */
	for (int i = 0, k = 0; i < sv->t->n_nodes; i++) {
		struct node *c = &sv->t->nodes[i];

		for (int j = 0; j < c->n_forwards && k < sv->n_fwd_listen; j++, k++) {
			char desc[128];

			snprintf(desc, sizeof(desc), "%s:%d", c->forwards[j].host_addr,
				 c->forwards[j].host_port);
			sv_fwd_add(sv, sv->fwd_listen[k], &sv->nodes[i], c->forwards[j].guest_port,
				   c->forwards[j].proto == FORWARD_UDP, desc);
		}
	}
	if (!sv->no_boot) {
		for (int i = 0; i < sv->t->n_nodes; i++)
			if (start_qemu(sv, &sv->nodes[i]) < 0)
				teardown_and_exit(sv);
	}

	while (!sv->exit_code && !all_ready(sv)) {
		loop_once(sv, 100);
		check_readiness(sv);
		if (sv->phase >= PH_POWERDOWN)
			break;
	}
	if (sv->exit_code)
		teardown_and_exit(sv);
	if (sv->phase == PH_STARTING)
		sv->phase = PH_RUNNING;
	sv_event(sv, "OK");
	if (!sv->foreground && sv->sync_fd >= 0) {
		close(sv->sync_fd);
		sv->sync_fd = -1;
	}
	while (sv->phase != PH_DONE) {
		loop_once(sv, sv->phase >= PH_POWERDOWN ? 100 : 1000);
		advance_down(sv);
	}
	teardown_and_exit(sv);
}
