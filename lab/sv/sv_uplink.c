// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_uplink.c - the rootless uplink: `uplink = pasta` on a LAN gives its
 * guests a route to the host's network through pasta (Debian package passt)
 * attached to the lab's namespaces, with forwarding and NAT in the lab.
 *
 * DOC: Theory of operation
 *
 * pasta must live in the HOST's network namespace (it opens ordinary host
 * sockets on the guests' behalf) and also join the lab's user and network
 * namespaces (to make its tap there). Once the supervisor has unshared, it
 * has no capability over the host namespace and can never get back into
 * it. So sv_uplink_prefork(), run before the unshare, forks a helper that
 * stays in the host namespaces, blocked on a CLOEXEC pipe. When the lab's
 * bridges exist, sv_uplink_start() writes one byte and the helper execs
 *
 *   pasta -f -q -4 -l LOGDIR/pasta.log --log-size LOG_MAX --config-net -I vl-pasta
 *         -t none -u none -T none -U none
 *         --userns /proc/SUPERVISOR/ns/user --netns /proc/SUPERVISOR/ns/net
 *
 * -f keeps it our child (reapable; PR_SET_PDEATHSIG from the helper holds
 * across exec, so it dies with the supervisor), -l keeps it off syslog.
 * --config-net copies the host's IPv4 address, prefix and default gateway
 * onto the tap `vl-pasta` in the lab and makes it the lab's default route.
 * All four port-forwarding directions are off: pasta's default ("auto")
 * would mirror ports listening in the lab (dnsmasq's 53, ...) onto the host
 * and host ports into the lab, neither of which an uplink should do.
 * Running as root (CI), pasta would drop to "nobody", which may not enter
 * the supervisor's user namespace: --runas keeps our own uid.
 *
 * Reaching the host: pasta maps the gateway address it hands out to the
 * host itself. A TCP connection from the lab to GATEWAY:PORT arrives at
 * the host's 127.0.0.1:PORT (see "Handling of traffic with local
 * destination and source addresses" in pasta(1); --no-map-gw turns that
 * off, we keep it). That is how a guest fetches from a server on the
 * host's loopback, and the only thing the tests do with the uplink.
 *
 * Forwarding and NAT, inside the lab where we are root:
 *  - net.ipv4.ip_forward = 1 (the kernel's own switch), then
 *    net.ipv4.conf.BRIDGE.forwarding = 0 again for every LAN without an
 *    uplink: the check is made on the input device, so those LANs stay
 *    unrouted, as they are in a lab without an uplink.
 *  - NAT with nftables (the `nft` program, Debian package nftables): a
 *    masquerade rule for each uplink LAN's subnet leaving by vl-pasta.
 *    NAT is needed, not just routing: pasta (this version) tracks a single
 *    address for its namespace side ("addr_seen") and sends its replies to
 *    it, so every connection must leave the lab from the tap's own address.
 *    The kernel's sysctls alone cannot NAT, and nftables works unprivileged
 *    in a namespace of our own (CAP_NET_ADMIN over it is enough); writing
 *    the nf_tables netlink messages ourselves would be a library's worth of
 *    code for three rules.
 *  - the same table drops anything coming in from vl-pasta that is not a
 *    reply (ct state established,related), and anything routed between two
 *    uplink LANs (they stay as separate as LANs without an uplink).
 *    Bridged traffic, if br_netfilter is loaded, never matches these rules:
 *    it is never from/to vl-pasta and never crosses subnets.
 *
 * What guests may not reach on the host: vacmlab's own listeners on the
 * host (tcp: serial consoles, forwards) are on the host's loopback too,
 * without authentication, so a guest could type into its own console or
 * another lab's through GATEWAY:PORT. pasta (this version) cannot map only
 * some ports, so the lab refuses them itself: the forward chain drops what
 * an uplink LAN sends to GATEWAY on a port in the sets host_tcp / host_udp
 * (a TCP reset, so the guest's connect fails at once). Every supervisor
 * publishes its lab's host ports in RUNDIR/host-ports ("tcp PORT" lines,
 * sv_uplink_ports_tick(), once a second when they changed), and every
 * uplinked lab reads all the user's labs' files once a second and loads
 * the union into its sets when it changed (one nft transaction). A port
 * that a new forward takes is out of reach within about 2 s; the labs of
 * other users are not readable and stay reachable, as they are for any
 * local user (docs/consoles.md).
 *
 * DNS: the LAN's dnsmasq stays `no-resolv` (it answers the lab's names and
 * nothing else); guests that need outside names can be given the host's
 * resolver explicitly. One pasta serves every uplink LAN of a lab.
 *
 * The VXLAN underlay (docs/multi-machine.md): a lab spread over machines
 * whose LANs cross to other machines needs pasta too, uplink or not. Then
 * `-u PORT` (this machine's VXLAN port) replaces `-u none`: pasta binds
 * that UDP port on the host and forwards what arrives to the same port in
 * the lab, where the VXLAN devices listen; outbound, the VXLAN devices'
 * datagrams to a peer's underlay address leave by vl-pasta (the default
 * route --config-net made) and pasta sends them from a host UDP socket.
 * Forwarding and NAT are set up only for LANs with an uplink, as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/sv/sv.h"
#include "lab/lib/match.h"
#include "lab/lib/qemu.h"
#include "lab/lib/util.h"
#include "netns/ns.h"

#define UPLINK_IF "vl-pasta"
#define UPLINK_WAIT_MS 10000

struct uplink {
	pid_t pid; /* the helper, later pasta itself */
	int pidfd;
	int go_fd; /* write end: one byte = exec pasta; closed = give up */
	char *log;
	char *nft;
	bool started;
};

static bool lab_has_uplink(struct sv *sv)
{
	for (int i = 0; i < sv->t->n_lans; i++)
		if (sv->t->lans[i].uplink)
			return true;
	return false;
}

/* Does a LAN cross from this machine to another (the VXLAN underlay)? */
static bool lab_has_vxlan(struct sv *sv)
{
	struct topo *t = sv->t;

	for (int i = 0; t->here && i < t->n_lans; i++)
		if (topo_lan_crosses(t, &t->lans[i]) &&
		    (t->lans[i].machines & (1u << (t->here - t->machines))))
			return true;
	return false;
}

/* The helper: host namespaces, waits for the go byte, becomes pasta. */
static void helper_main(int go, pid_t parent, char **argv)
{
	sigset_t none;
	char c;
	ssize_t n;
	int null;

	/* The supervisor blocks SIGTERM & co for its signalfd and ignores
	 * SIGPIPE: neither must reach pasta, or it could not be stopped. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (go != 3) {
		dup2(go, 3);
		go = 3;
	}
	syscall(SYS_close_range, 4, ~0U, 0);
	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(0); /* the lab failed before the uplink: nothing to do */
	close(go);
	execv(argv[0], argv);
	_exit(127);
}

/**
 * sv_uplink_prefork() - fork the pasta helper while still in the host's
 * namespaces, if any LAN has an uplink.
 * @sv: supervisor
 *
 * Return: 0, or -1 after sv_fail().
 */
int sv_uplink_prefork(struct sv *sv)
{
	_cleanup_free_ char *pasta = NULL;
	struct uplink *u;
	char users[32] = "", ns_user[64], ns_net[64], udp[16] = "none", logsize[24];
	char ifn[16] = "", gw[16] = "";
	int go[2];
	pid_t parent = getpid();
	const char *what = lab_has_uplink(sv) ? "uplink = pasta" : "the VXLAN underlay";

	if (!lab_has_uplink(sv) && !lab_has_vxlan(sv))
		return 0;
	if (lab_has_vxlan(sv)) {
		snprintf(udp, sizeof(udp), "%d", sv->t->here->port);
		if (sv_peer_route(sv, ifn, gw) < 0)
			return -1;
	}
	for (int i = 0; i < sv->t->n_lans; i++)
		if (!strcmp(sv->t->lans[i].name, UPLINK_IF)) {
			sv_fail(sv, EXIT_CONFIG,
				"LAN %s: the name is taken by the uplink's interface", UPLINK_IF);
			return -1;
		}
	pasta = find_program("pasta");
	if (!pasta) {
		sv_fail(sv, EXIT_ENV, "%s: pasta not found in PATH (Debian package passt)", what);
		return -1;
	}
	u = xcalloc(1, sizeof(*u));
	u->pidfd = u->go_fd = -1;
	u->nft = find_program("nft");
	if (!u->nft) {
		free(u);
		sv_fail(sv, EXIT_ENV, "%s: nft not found in PATH (Debian package nftables)", what);
		return -1;
	}
	u->log = path_in(sv->logdir, LF_PASTA_LOG);
	sv->uplink = u;
	snprintf(ns_user, sizeof(ns_user), "/proc/%d/ns/user", (int)parent);
	snprintf(ns_net, sizeof(ns_net), "/proc/%d/ns/net", (int)parent);
	if (getuid() == 0)
		snprintf(users, sizeof(users), "%u:%u", getuid(), getgid());
	snprintf(logsize, sizeof(logsize), "%lld", sv->t->log_max ? sv->t->log_max : 1LL << 20);
	const char *argv[] = {
		pasta,
		"-f",
		"-q",
		"-4",
		"-l",
		u->log,
		"--config-net",
		"-I",
		UPLINK_IF,
		"-t",
		"none",
		"-u",
		udp,
		"-T",
		"none",
		"-U",
		"none",
		"--userns",
		ns_user,
		"--netns",
		ns_net,
		/* pasta bounds its own log (it drops the oldest lines in place;
		 * default 1 MiB): the lab's log_max when one is set. */
		"--log-size",
		logsize,
		"-i", /* dropped with the next 3 unless sv_peer_route() chose one */
		ifn,
		"-g",
		gw,
		users[0] ? "--runas" : NULL,
		users,
		NULL,
	};

	if (!ifn[0]) { /* pasta's own choice: the default route's interface */
		size_t k = 0, n = sizeof(argv) / sizeof(argv[0]);

		while (argv[k + 1] != ifn)
			k++;
		memmove(&argv[k], &argv[k + 4], (n - k - 4) * sizeof(argv[0]));
	}
	unlink(u->log); /* pasta appends; this run's log only */
	if (pipe2(go, O_CLOEXEC) < 0) {
		sv_fail(sv, EXIT_ENV, "uplink: pipe: %s", strerror(errno));
		return -1;
	}
	/* PDEATHSIG is set in helper_main() after the signal mask is reset. */
	u->pid = fork_child(0);
	if (u->pid < 0) {
		sv_fail(sv, EXIT_ENV, "uplink: fork: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	if (u->pid == 0) {
		close(go[1]);
		helper_main(go[0], parent, (char **)argv);
	}
	close(go[0]);
	u->go_fd = go[1];
	u->pidfd = pidfd_open_pid(u->pid);
	return 0;
}

/* Does the lab have a default route through the uplink yet? Its gateway
 * (pasta's: the address that reaches the host's loopback) into @gw. */
static bool uplink_routed(struct in_addr *gw)
{
	_cleanup_free_ char *rt = read_file("/proc/net/route", NULL);
	char *line, *save = NULL;

	if (!rt)
		return false;
	for (line = strtok_r(rt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifn[IFNAMSIZ + 1];
		unsigned dst, via, mask;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%16s %x %x %*x %*d %*d %*d %x", ifn, &dst, &via, &mask) == 4 &&
		    !strcmp(ifn, UPLINK_IF) && dst == 0 && mask == 0) {
			gw->s_addr = via; /* already in network order */
			return true;
		}
	}
	return false;
}

static bool helper_exited(struct uplink *u)
{
	struct pollfd p = {u->pidfd, POLLIN, 0};

	if (u->pidfd >= 0)
		return poll(&p, 1, 0) > 0;
	return kill(u->pid, 0) < 0;
}

static char *nft_ruleset(struct sv *sv)
{
	size_t cap = 4096, len = 0;
	char *s = xmalloc(cap);

#define ADD(...)                                                                                   \
	do {                                                                                       \
		int k_ = snprintf(s + len, cap - len, __VA_ARGS__);                                \
		while ((size_t)k_ >= cap - len) {                                                  \
			cap *= 2;                                                                  \
			s = xrealloc(s, cap);                                                      \
			k_ = snprintf(s + len, cap - len, __VA_ARGS__);                            \
		}                                                                                  \
		len += (size_t)k_;                                                                 \
	} while (0)

	ADD("table ip vacmlab_uplink {\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct lan *l = &sv->t->lans[i];

		if (l->uplink)
			ADD("\t\toifname \"%s\" ip saddr %s/%d masquerade\n", UPLINK_IF,
			    inet_ntoa(l->net), l->prefix);
	}
	ADD("\t}\n"
	    "\tset host_tcp {\n\t\ttype inet_service;\n\t}\n"
	    "\tset host_udp {\n\t\ttype inet_service;\n\t}\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tiifname \"%s\" ct state established,related accept\n"
	    "\t\tiifname \"%s\" drop\n",
	    UPLINK_IF, UPLINK_IF);
	/* vacmlab's own listeners on the host's loopback (see DOC) */
	ADD("\t\toifname \"%s\" ip daddr %s tcp dport @host_tcp reject with tcp reset\n"
	    "\t\toifname \"%s\" ip daddr %s udp dport @host_udp drop\n",
	    UPLINK_IF, inet_ntoa(sv->uplink_gw), UPLINK_IF, inet_ntoa(sv->uplink_gw));
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct lan *a = &sv->t->lans[i];
		char as[INET_ADDRSTRLEN];

		if (!a->uplink)
			continue;
		inet_ntop(AF_INET, &a->net, as, sizeof(as));
		for (int j = 0; j < sv->t->n_lans; j++) {
			struct lan *b = &sv->t->lans[j];

			if (j != i && b->uplink)
				ADD("\t\tip saddr %s/%d ip daddr %s/%d drop\n", as, a->prefix,
				    inet_ntoa(b->net), b->prefix);
		}
	}
	ADD("\t}\n}\n");
#undef ADD
	return s;
}

/**
 * sv_uplink_start() - start pasta on the lab's namespaces and route the
 * uplink LANs out through it. Runs in the lab's namespaces, after the
 * bridges exist and before the guests boot.
 * @sv: supervisor
 *
 * Return: 0, or -1 after sv_fail() (the message includes pasta's log).
 */
int sv_uplink_start(struct sv *sv)
{
	struct uplink *u = sv->uplink;
	_cleanup_free_ char *rules = NULL, *rpath = NULL;
	long long deadline;
	char out[2048];
	int r;

	if (!u)
		return 0;
	if (write_all(u->go_fd, "g", 1) < 0) {
		sv_fail(sv, EXIT_CHILD, "uplink: starting pasta: %s", strerror(errno));
		return -1;
	}
	close(u->go_fd);
	u->go_fd = -1;
	u->started = true;
	sv_event(sv, "uplink: pasta %d", (int)u->pid);
	deadline = now_ms() + UPLINK_WAIT_MS;
	while (!uplink_routed(&sv->uplink_gw)) {
		if (helper_exited(u) || now_ms() > deadline) {
			_cleanup_free_ char *tail = tail_file(u->log, 10);

			sv_fail(sv, EXIT_CHILD, "uplink: pasta %s (log %s):\n%s",
				helper_exited(u) ? "exited before configuring the lab"
						 : "did not configure the lab within 10 s",
				u->log, tail ? tail : "(empty)\n");
			return -1;
		}
		usleep(20000);
	}
	if (!lab_has_uplink(sv))
		return 0; /* the VXLAN underlay only: no forwarding, no NAT */
	/* Forwarding on everywhere, then off again on LANs without an uplink
	 * (per input device; see DOC). */
	r = ns_sysctl("net/ipv4/ip_forward", "1");
	for (int i = 0; !r && i < sv->t->n_lans; i++) {
		_cleanup_free_ char *k = NULL;

		if (sv->t->lans[i].uplink)
			continue;
		k = xasprintf("net/ipv4/conf/%s/forwarding", sv->t->lans[i].name);
		r = ns_sysctl(k, "0");
	}
	if (r) {
		sv_fail(sv, EXIT_ENV, "uplink: setting IPv4 forwarding in the lab: %s",
			strerror(-r));
		return -1;
	}
	rules = nft_ruleset(sv);
	rpath = path_in(sv->rundir, LF_UPLINK_NFT);
	if ((r = write_file(rpath, rules)) < 0) {
		sv_fail(sv, EXIT_ENV, "uplink: writing %s: %s", rpath, strerror(-r));
		return -1;
	}
	const char *argv[] = {u->nft, "-f", rpath, NULL};

	r = run_capture("nft", (char *const *)argv, out, sizeof(out));
	if (r != 0) {
		sv_fail(sv, EXIT_ENV, "uplink: loading the NAT rules (%s) with nft: %s", rpath,
			out);
		return -1;
	}
	return 0;
}

/* This lab's host ports, "tcp PORT\n" / "udp PORT\n" lines, malloc'd. */
static char *own_ports(struct sv *sv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];
		json_t *fw = sv_fwd_json(sv, n), *o;
		size_t k;

		for (int j = 0; j < n->cfg->n_serial; j++)
			if (n->cfg->serial[j].kind == SERIAL_TCP)
				fprintf(f, "tcp %d\n", n->cfg->serial[j].tcp_port);
		sv_udp_json(sv, n, fw);
		json_array_foreach (fw, k, o) {
			const char *l = json_string_value(json_object_get(o, "listen"));
			const char *p = json_string_value(json_object_get(o, "proto"));
			const char *c = l ? strrchr(l, ':') : NULL;

			if (c && p)
				fprintf(f, "%s %d\n", p, atoi(c + 1));
		}
		json_decref(fw);
	}
	fclose(f);
	return buf;
}

/* Every lab's published ports (this user's), as an nft set body each:
 * "1, 2, 3" in @tcp and @udp; returns the whole text to compare. */
static char *all_ports(char **tcp, char **udp)
{
	char **labs = lab_list();
	char *all = NULL, *t = NULL, *u = NULL;
	size_t alen = 0, tlen = 0, ulen = 0;
	FILE *fa = open_memstream(&all, &alen), *ft = open_memstream(&t, &tlen),
	     *fu = open_memstream(&u, &ulen);

	for (char **l = labs; *l; l++) {
		_cleanup_free_ char *dir = rundir_lab(*l, NULL);
		_cleanup_free_ char *path = dir ? path_in(dir, LF_HOST_PORTS) : NULL;
		_cleanup_free_ char *text = path ? read_file(path, NULL) : NULL;
		char *save = NULL;

		for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			char proto[4];
			int port;

			if (sscanf(line, "%3s %d", proto, &port) != 2 || port < 1 || port > 65535)
				continue;
			fprintf(fa, "%s %d\n", proto, port);
			if (!strcmp(proto, "tcp"))
				fprintf(ft, "%s%d", ftell(ft) ? ", " : "", port);
			else if (!strcmp(proto, "udp"))
				fprintf(fu, "%s%d", ftell(fu) ? ", " : "", port);
		}
	}
	strv_free(labs);
	fclose(fa);
	fclose(ft);
	fclose(fu);
	*tcp = t;
	*udp = u;
	return all;
}

void sv_uplink_ports_tick(struct sv *sv, bool now)
{
	struct uplink *u = sv->uplink;
	_cleanup_free_ char *mine = NULL, *tcp = NULL, *udp = NULL, *cmd = NULL;
	char *all, out[1024];

	if (!now && now_ms() < sv->next_host_ports)
		return;
	sv->next_host_ports = now_ms() + 1000;
	mine = own_ports(sv);
	if (!sv->host_ports || strcmp(mine, sv->host_ports)) {
		_cleanup_free_ char *path = path_in(sv->rundir, LF_HOST_PORTS);
		int r = write_file(path, mine);

		if (r < 0)
			fprintf(stderr, "uplink: writing %s: %s\n", path, strerror(-r));
		free(sv->host_ports);
		sv->host_ports = xstrdup(mine);
	}
	if (!u || !u->started || !lab_has_uplink(sv))
		return;
	all = all_ports(&tcp, &udp);
	if (sv->host_ports_all && !strcmp(all, sv->host_ports_all)) {
		free(all);
		return;
	}
	cmd = xasprintf("flush set ip vacmlab_uplink host_tcp; flush set ip vacmlab_uplink "
			"host_udp%s%s%s%s%s%s",
			*tcp ? "; add element ip vacmlab_uplink host_tcp { " : "", tcp,
			*tcp ? " }" : "", *udp ? "; add element ip vacmlab_uplink host_udp { " : "",
			udp, *udp ? " }" : "");
	const char *argv[] = {u->nft, cmd, NULL};

	if (run_capture("nft", (char *const *)argv, out, sizeof(out)) != 0) {
		fprintf(stderr, "uplink: loading the host ports guests may not reach: %s\n", out);
		free(all); /* tried again next time */
		return;
	}
	fprintf(stderr, "uplink: host ports out of the guests' reach: tcp {%s} udp {%s}\n", tcp,
		udp);
	free(sv->host_ports_all);
	sv->host_ports_all = all;
}

/**
 * sv_uplink_stop() - end pasta (or the waiting helper); bounded.
 * @sv: supervisor
 */
void sv_uplink_stop(struct sv *sv)
{
	struct uplink *u = sv->uplink;
	long long deadline;

	if (!u)
		return;
	if (u->go_fd >= 0) {
		close(u->go_fd); /* a helper still waiting exits on EOF */
		u->go_fd = -1;
	}
	if (u->pidfd >= 0)
		pidfd_kill(u->pidfd, SIGTERM);
	else
		kill(u->pid, SIGTERM);
	deadline = now_ms() + 2000;
	while (!helper_exited(u) && now_ms() < deadline)
		usleep(10000);
	if (!helper_exited(u)) {
		if (u->pidfd >= 0)
			pidfd_kill(u->pidfd, SIGKILL);
		else
			kill(u->pid, SIGKILL);
	}
	waitpid(u->pid, NULL, 0); /* ECHILD if the main loop reaped it */
	if (u->pidfd >= 0)
		close(u->pidfd);
	free(u->log);
	free(u->nft);
	free(u);
	sv->uplink = NULL;
}
