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
 * The stages of supervisor_run(), in order:
 *  1. sv_from_launch(), setup_fs(): state from `up`, per-node run dirs
 *  2. sv_uplink_prefork(): a pasta helper that stays in the host namespace
 *  3. ns_enter_new(): user namespace (uid_map, setgroups deny, gid_map), net
 *  4. sv_net_build(), sv_net_impair(): bridges, taps, hosts, qdiscs
 *  5. sv_uplink_start(), write_resolv(), sv_ctl_listen()
 *  6. sv_dns_start() per LAN, sv_host_start() per host, topology forwards
 *  7. sv_node_start() per node, then the loop until sv_ready_all()
 *  8. "OK" to `up`; the loop until `down` or a signal (`apply` changes
 *     the lab in between: sv_apply.c)
 *  9. teardown_and_exit(): sv_down_*() phase machine, sv_stop_others()
 * Every part is listed in sv.h; going down is sv_down.c's phase machine.
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
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/env.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/sv/sv.h"
#include "lab/lib/match.h"
#include "lab/lib/util.h"
#include "netns/nl.h"
#include "netns/ns.h"

static void handle_signal(struct sv *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
		case SIGHUP:
			if (sv->phase == PH_STARTING) {
				sv_fail(sv, EXIT_CHILD, "interrupted by signal %u while coming up",
					si.ssi_signo);
			} else {
				sv_down_begin(sv, sv->down_timeout_ms);
			}
			break;
		case SIGCHLD: break;
		default: break;
		}
	}
}

/*
 * The runtime dir is how everything finds the lab: `ls`, `down`, `status`,
 * consoles, the lock. When it is gone (logind removes /run/user/UID at the
 * last logout when lingering is off; a tmp cleaner; rm -rf) the lab is
 * alive but unreachable, an orphan only a kill by PID ends. So the
 * supervisor watches it: inotify on the dir (deleted, moved, its file
 * system unmounted; or one of the files that make it findable deleted),
 * and, as a fallback for what inotify cannot see (a parent renamed), a
 * stat once a second. Either way the lab goes down gracefully (disks
 * flushed) and the supervisor's log in the state dir says why.
 */
static bool rundir_key_file(const char *name)
{
	static const enum lab_file keys[] = {LF_LOCK, LF_PID, LF_CTL};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		_cleanup_free_ char *p = path_in("", keys[i]);

		if (!strcmp(name, p + 1))
			return true;
	}
	return false;
}

static void rundir_lost(struct sv *sv, const char *why)
{
	if (sv->rundir_gone)
		return;
	sv->rundir_gone = true;
	if (sv->rundir_ino_fd >= 0) {
		loop_unwatch(&sv->loop, sv->rundir_ino_fd);
		close(sv->rundir_ino_fd);
		sv->rundir_ino_fd = -1;
	}
	fprintf(stderr,
		"runtime dir %s %s: the lab can no longer be found (ls, status, down, "
		"consoles); shutting it down gracefully\n",
		sv->rundir, why);
	sv_event(sv, "W runtime dir %s %s: shutting the lab down", sv->rundir, why);
	if (sv->phase == PH_STARTING)
		sv_fail(sv, EXIT_ENV, "runtime dir %s %s while the lab was coming up", sv->rundir,
			why);
	else
		sv_down_begin(sv, sv->down_timeout_ms);
}

static void rundir_remember(struct sv *sv)
{
	struct stat st;

	if (stat(sv->rundir, &st) == 0) {
		sv->rundir_dev = st.st_dev;
		sv->rundir_ino = st.st_ino;
	}
}

static void rundir_watch(struct sv *sv)
{
	sv->rundir_ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sv->rundir_ino_fd < 0)
		return; /* the stat in the loop still sees it go */
	if (inotify_add_watch(sv->rundir_ino_fd, sv->rundir,
			      IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_DELETE |
				      IN_MOVED_FROM | IN_ONLYDIR) < 0) {
		close(sv->rundir_ino_fd);
		sv->rundir_ino_fd = -1;
		return;
	}
	loop_watch(&sv->loop, sv->rundir_ino_fd, EPOLLIN, EV_RUNDIR, NULL);
}

static void rundir_event(struct sv *sv)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(sv->rundir_ino_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			p += sizeof(*e) + e->len;
			if (e->mask & IN_UNMOUNT)
				return rundir_lost(sv, "was unmounted");
			if (e->mask & (IN_DELETE_SELF | IN_IGNORED))
				return rundir_lost(sv, "was removed");
			if (e->mask & IN_MOVE_SELF)
				return rundir_lost(sv, "was moved away");
			if ((e->mask & (IN_DELETE | IN_MOVED_FROM)) && e->len &&
			    rundir_key_file(e->name)) {
				char why[300];

				snprintf(why, sizeof(why), "lost its %s", e->name);
				return rundir_lost(sv, why);
			}
		}
	}
}

/* The fallback, once a second: the same dir still at its path. */
static void rundir_check(struct sv *sv)
{
	_cleanup_free_ char *lock = NULL;
	struct stat st;

	if (sv->rundir_gone || !sv->rundir_ino || now_ms() < sv->next_rundir_check)
		return;
	sv->next_rundir_check = now_ms() + 1000;
	if (stat(sv->rundir, &st) < 0)
		return rundir_lost(sv, "was removed");
	if (st.st_dev != sv->rundir_dev || st.st_ino != sv->rundir_ino)
		return rundir_lost(sv, "was replaced by another directory");
	lock = path_in(sv->rundir, LF_LOCK);
	if (access(lock, F_OK) < 0)
		return rundir_lost(sv, "lost its lock");
}

/* The one place that switches on an fd's type (passt's model): each case
 * calls the handler of the module that registered the fd. */
static void dispatch(struct sv *sv, const struct loop_event *ev)
{
	switch (ev->type) {
	case EV_NONE: break;
	case EV_SIGNAL: handle_signal(sv); break;
	case EV_CTL: sv_ctl_accept(sv); break;
	case EV_CTL_CLIENT: sv_ctl_client(sv, ev->fd); break;
	case EV_NODE_PIDFD: sv_node_exited(sv, ev->ptr); break;
	case EV_NODE_QMP: sv_qmp_io(sv, ev->ptr, ev->events); break;
	case EV_DNS_PIDFD: sv_dns_exited(sv); break;
	case EV_HOST_PIDFD: sv_host_exited(sv, ev->ptr); break;
	case EV_DEVICE_PIDFD: sv_device_exited(sv, ev->ptr); break;
	case EV_PORT:
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			sv_port_readable(sv, ev->ptr);
		if (ev->events & EPOLLOUT)
			sv_port_writable(sv, ev->ptr);
		break;
	case EV_PORT_LISTEN_RW: sv_port_accept(sv, ev->ptr, false); break;
	case EV_PORT_LISTEN_RO: sv_port_accept(sv, ev->ptr, true); break;
	case EV_PORT_CLIENT: sv_port_client_io(sv, ev->ptr, ev->events); break;
	case EV_CABLE:
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			sv_cable_readable(sv, ev->ptr);
		/* (the read may have closed it: QEMU gone) */
		if ((ev->events & EPOLLOUT) && ((struct sv_port *)ev->ptr)->fd >= 0)
			sv_cable_writable(sv, ev->ptr);
		break;
	case EV_CABLE_TIMER: sv_cable_tick(sv, ev->ptr); break;
	case EV_PROBE: sv_ready_probe_done(sv, ev->ptr); break;
	case EV_FWD_LISTEN: sv_fwd_accept(sv, ev->ptr); break;
	case EV_FWD_CONN: sv_fwd_io(sv, ev->ptr, ev->fd, ev->events); break;
	case EV_UDP_HOST: sv_udp_host_io(sv, ev->ptr); break;
	case EV_UDP_GUEST: sv_udp_guest_io(sv, ev->ptr); break;
	case EV_PING: sv_ready_ping_reply(sv); break;
	case EV_PEER: sv_peer_accept(sv); break;
	case EV_RUNDIR: rundir_event(sv); break;
	}
}

/* One turn of the loop: wait, dispatch, then the per-turn checks. */
static void loop_once(struct sv *sv, int timeout)
{
	struct loop_event evs[64];
	int n = loop_wait(&sv->loop, evs, 64, timeout);

	for (int i = 0; i < n; i++)
		if (loop_live(&sv->loop, &evs[i]))
			dispatch(sv, &evs[i]);
	sv_reap_strays(sv);
	sv_node_tick(sv);
	sv_life_tick(sv);
	sv_uplink_ports_tick(sv, false);
	rundir_check(sv);
	sv_logs_tick(sv);
	sv_udp_tick(sv);
	sv_device_tick(sv);
}

static void report_failure(struct sv *sv)
{
	char head[32];

	fprintf(stderr, "failure: %s\n", sv->fail.msg);
	if (sv->sync_fd < 0)
		return;
	snprintf(head, sizeof(head), "E %d\n", sv->fail.code);
	write_all(sv->sync_fd, head, strlen(head));
	write_all(sv->sync_fd, sv->fail.msg, strlen(sv->fail.msg));
	close(sv->sync_fd);
	sv->sync_fd = -1;
}

static void teardown_and_exit(struct sv *sv) __attribute__((noreturn));
static void teardown_and_exit(struct sv *sv)
{
	/* A failed `up` still ends gracefully, but does not wait long: the
	 * guests never finished booting, there is nothing to flush. */
	if (sv->phase < PH_POWERDOWN)
		sv_down_begin(sv, sv->fail.code ? 2000 : sv->down_timeout_ms);
	while (sv->phase != PH_DONE) {
		loop_once(sv, 100);
		sv_down_advance(sv);
	}
	sv_device_stop_all(sv);
	sv_stop_others(sv);
	sv_uplink_stop(sv);
	sv_fwd_close_all(sv);
	sv_udp_close_all(sv);
	if (sv->fail.code)
		report_failure(sv);
	sv_event(sv, "X %d", sv->fail.code);
	fprintf(stderr, "supervisor exiting (%d)\n", sv->fail.code);
	sv_down_finish(sv);
	_exit(sv->fail.code);
}

static int setup_fs(struct sv *sv)
{
	sv->dns.pidfd = -1;
	sv->dns.conf = path_dns(sv->rundir, "conf");
	sv->dns.leases = path_dns(sv->rundir, "leases");
	sv->dns.pidfile = path_dns(sv->rundir, "pid");
	sv->dns.log = path_log(sv->logdir, "dnsmasq", NULL);
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct sv_lan *l = &sv->lans[i];

		l->cfg = &sv->t->lans[i];
		l->leases = sv->dns.leases;
		l->log = sv->dns.log;
	}
	for (int i = 0; i < sv->t->n_hosts; i++)
		sv_host_init(sv, sv->hosts[i], &sv->t->hosts[i]);
	for (int i = 0; i < sv->t->n_nodes; i++) {
		if (sv_node_init(sv, sv->nodes[i], &sv->t->nodes[i], &sv->fail) < 0)
			return -1;
		sv->nodes[i]->launch_idx = i;
	}
	return 0;
}

/* resolv.conf for `vacmlab exec`: lab names through the lab's dnsmasq. */
static void write_resolv(struct sv *sv)
{
	_cleanup_free_ char *p = path_in(sv->rundir, LF_RESOLV);
	_cleanup_free_ char *txt = NULL;

	if (!sv->t->n_lans)
		return;
	txt = xasprintf(
		"# vacmlab lab %s\nsearch %s\nnameserver %s\noptions timeout:1 attempts:2\n",
		sv->t->name, sv->t->domain,
		/* Spread over machines: this machine's dnsmasq on lo knows every name. */
		sv->t->here ? "127.0.0.1" : inet_ntoa(sv->t->lans[0].addr));
	write_file(p, txt);
}

static struct sv *sv_from_launch(const struct sv_launch *l)
{
	struct sv *sv = xcalloc(1, sizeof(*sv));

	sv->t = l->t;
	sv->topo_path = l->topo_path;
	sv->rundir = l->rundir;
	sv->statedir = l->statedir;
	sv->logdir = l->logdir;
	sv->qemu = l->qemu;
	sv->dnsmasq = l->dnsmasq;
	sv->no_boot = l->no_boot;
	sv->kvm = l->kvm;
	sv->confine = landlock_wanted() && !l->t->no_confine;
	sv->accel = l->accel;
	sv->boot_parallel = l->boot_parallel;
	sv->autogroups = -1;
	sv->foreground = l->foreground;
	sv->loadvm = l->loadvm;
	sv->leases = l->leases;
	sv->lock_fd = l->lock_fd;
	sv->sync_fd = l->sync_fd;
	sv->fwd_listen = l->fwd_listen;
	sv->n_fwd_listen = l->n_fwd_listen;
	sv->tcp_serial_fds = l->tcp_serial_fds;
	return sv;
}

void supervisor_run(const struct sv_launch *l)
{
	struct sv *sv = sv_from_launch(l);
	const char *step = "";
	sigset_t mask;
	struct rlimit rl;
	int r;

	sv->t0 = now_ms();
	sv->phase = PH_STARTING;
	sv->down_client = -1;
	sv->rundir_ino_fd = -1;
	rundir_remember(sv);
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
	loop_init(&sv->loop);
	loop_watch(&sv->loop, sv->sigfd, EPOLLIN, EV_SIGNAL, NULL);

	/* Arrays of pointers: a node or host keeps its address (the loop, its
	 * ports and forwards point at it) when `apply` changes the topology. */
	sv->nodes = xcalloc((size_t)sv->t->n_nodes + 1, sizeof(*sv->nodes));
	sv->lans = xcalloc((size_t)sv->t->n_lans + 1, sizeof(*sv->lans));
	sv->hosts = xcalloc((size_t)sv->t->n_hosts + 1, sizeof(*sv->hosts));
	for (int i = 0; i < sv->t->n_nodes; i++)
		sv->nodes[i] = xcalloc(1, sizeof(struct sv_node));
	for (int i = 0; i < sv->t->n_hosts; i++)
		sv->hosts[i] = xcalloc(1, sizeof(struct sv_host));
	sv->devices = xcalloc((size_t)sv->t->n_devices + 1, sizeof(*sv->devices));
	for (int i = 0; i < sv->t->n_devices; i++) {
		sv->devices[i] = xcalloc(1, sizeof(struct sv_device));
		sv_device_init(sv, sv->devices[i], &sv->t->devices[i]);
	}
	if (setup_fs(sv) < 0)
		teardown_and_exit(sv);

	if (sv_uplink_prefork(sv) < 0 || sv_peer_listen(sv) < 0)
		teardown_and_exit(sv);
	r = ns_enter_new(getuid(), getgid(), &step);
	if (r) {
		if (!strcmp(step, "unshare"))
			sv_fail(sv, EXIT_ENV, "%s", userns_explain(-r));
		else
			sv_fail(sv, EXIT_ENV, "user namespace: writing %s: %s", step, strerror(-r));
		teardown_and_exit(sv);
	}
	{
		long long t1 = now_ms();
		int links = sv->t->n_lans;

		for (int i = 0; i < sv->t->n_nodes; i++)
			links += sv->t->nodes[i].n_nics;
		for (int i = 0; i < sv->t->n_hosts; i++)
			links += sv->t->hosts[i].n_nics;
		if (sv_net_build(sv, &sv->fail) < 0)
			teardown_and_exit(sv);
		/* Read by bench/netbuild.sh. */
		fprintf(stderr, "phase network: %lld ms for %d links\n", now_ms() - t1, links);
	}
	sv_net_impair(sv, &sv->fail);
	if (sv->fail.code)
		teardown_and_exit(sv);
	if (sv_uplink_start(sv) < 0)
		teardown_and_exit(sv);
	write_resolv(sv);
	if (sv_ctl_listen(sv, &sv->fail) < 0)
		teardown_and_exit(sv);
	rundir_watch(sv);
	{
		long long t1 = now_ms();

		if (sv->t->n_lans && sv_dns_start(sv, &sv->fail) < 0)
			teardown_and_exit(sv);
		fprintf(stderr, "phase dnsmasq: %lld ms for %d LANs\n", now_ms() - t1,
			sv->t->n_lans);
	}
	for (int i = 0; i < sv->t->n_hosts; i++)
		if (sv_host_start(sv, sv->hosts[i], &sv->fail) < 0)
			teardown_and_exit(sv);
	/* Forwards declared in the topology: listeners made by `up`. */
	for (int i = 0, k = 0; i < sv->t->n_nodes; i++) {
		struct node *c = &sv->t->nodes[i];

		for (int j = 0; j < c->n_forwards && k < sv->n_fwd_listen; j++, k++) {
			char desc[128];

			const struct forward *fw = &c->forwards[j];

			snprintf(desc, sizeof(desc), "%s:%d", fw->host_addr, fw->host_port);
			if (fw->proto == FORWARD_UDP)
				sv_udp_add(sv, sv->fwd_listen[k], sv->nodes[i], fw->guest_port,
					   fw->idle_s, desc);
			else
				sv_fwd_add(sv, sv->fwd_listen[k], sv->nodes[i], fw->guest_port,
					   desc);
		}
	}
	/* Out of the guests' reach before any boots (sv_uplink.c). */
	sv_uplink_ports_tick(sv, true);
	/* Nodes queue for a boot slot; sv_node_tick() starts them. */
	if (!sv->no_boot) {
		if (sv->boot_parallel <= 0) {
			sv->boot_parallel = sv_default_boot_parallel(sv->kvm);
			sv->boot_parallel_auto = true;
		}
		for (int i = 0; i < sv->t->n_nodes; i++) {
			sv->nodes[i]->use_kvm = sv->kvm;
			sv->nodes[i]->state = NODE_QUEUED;
		}
		sv_node_tick(sv);
		if (sv->fail.code)
			teardown_and_exit(sv);
		for (int i = 0; i < sv->t->n_nodes; i++)
			if (sv->nodes[i]->state == NODE_QUEUED)
				sv_event(sv, "S %s queued 0.0", sv->nodes[i]->cfg->name);
	}

	while (!sv->fail.code && !sv_ready_all(sv)) {
		loop_once(sv, 100);
		sv_ready_check(sv);
		if (sv->phase >= PH_POWERDOWN)
			break;
	}
	if (sv->fail.code)
		teardown_and_exit(sv);
	if (sv->phase == PH_STARTING)
		sv->phase = PH_RUNNING;
	/* The lab is up once every node has its full share again (the
	 * kernel takes one change per 100 ms: sv_node_yield). */
	for (long long until = now_ms() + 150LL * (sv->t->n_nodes + 1);
	     sv_node_yield(sv) && !sv->fail.code && now_ms() < until;)
		loop_once(sv, 100);
	sv_event(sv, "OK");
	if (!sv->foreground && sv->sync_fd >= 0) {
		close(sv->sync_fd);
		sv->sync_fd = -1;
	}
	while (sv->phase != PH_DONE) {
		loop_once(sv, sv->phase >= PH_POWERDOWN ? 100 : 250);
		/* Nodes started, reset or stopped on the running lab. */
		sv_ready_check(sv);
		sv_stop_advance(sv);
		sv_down_advance(sv);
		sv_apply_tick(sv);
	}
	teardown_and_exit(sv);
}
