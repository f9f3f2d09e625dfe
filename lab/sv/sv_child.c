// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_child.c - the lab's children other than QEMU: its one dnsmasq for
 * every LAN (generated config, fixed MAC -> address, lab DNS names), the commands of
 * test-service hosts, their exits, and stopping them all on the way down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/dnsmasq.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/serve.h"
#include "lab/lib/match.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
/*
 * A host's command may fork (sh -c "a; b" does), and PDEATHSIG reaches
 * only our direct child. So the command runs as the init of a PID
 * namespace of its own, under `unshare --pid --fork --kill-child`: when
 * unshare dies (SIGKILL at `down`, or PDEATHSIG when the supervisor is
 * killed; it ignores SIGTERM while it waits) its child, the namespace's
 * init, gets SIGKILL, and the kernel then kills every process of that
 * namespace. Nothing a host started can outlive the lab.
 */
void sv_host_init(struct sv *sv, struct sv_host *h, struct host *cfg)
{
	h->cfg = cfg;
	h->holder_pidfd = h->cmd_pidfd = -1;
	h->log = path_log(sv->logdir, "host", cfg->name);
}

int sv_host_start(struct sv *sv, struct sv_host *h, struct vl_err *e)
{
	char path[64], name[64];
	_cleanup_free_ char *unshare = find_program("unshare");
	_cleanup_free_ char *python = h->cfg->serve_dir ? find_program("python3") : NULL;
	_cleanup_free_ char *cmd = NULL;
	int logfd, nsfd;

	if (h->cfg->serve_dir && !python) {
		sv_fail(sv, EXIT_ENV,
			"host %s: serve needs python3 (its http.server): install "
			"python3",
			h->cfg->name);
		return -1;
	}
	cmd = host_shell_command(h->cfg, python);
	if (!cmd)
		return 0;
	char *argv[] = {unshare,
			(char *)"--pid",
			(char *)"--fork",
			(char *)"--kill-child",
			(char *)"/bin/sh",
			(char *)"-c",
			cmd,
			NULL};

	if (!unshare) {
		return vl_fail(e, EXIT_ENV, "host %s: unshare(1) not found: install util-linux",
			       h->cfg->name);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)h->holder);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		return vl_fail_errno(e, EXIT_ENV, errno, "host %s: opening %s", h->cfg->name, path);
	}
	logfd = logfile_open_run(h->log); /* O_APPEND: sv_logs.c bounds it */
	if (logfd < 0)
		logfd = -1;
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
	h->cmd_pid = spawn(&o, &h->cmd_pidfd, e);
	close(nsfd);
	if (logfd >= 0)
		close(logfd);
	if (h->cmd_pid < 0)
		return -1;
	loop_watch(&sv->loop, h->cmd_pidfd, EPOLLIN, EV_HOST_PIDFD, h);
	return 0;
}

/*
 * Copy a saved lease file @src to the lab's lease file: dnsmasq reads it
 * when it starts, so the addresses restored guests believe they hold are
 * theirs again at once (and status shows them). Each lease keeps the time
 * it had left when saved (its expiry minus the file's mtime): a lease
 * that had expired by then would be dropped by dnsmasq anyway.
 */
static int dns_preload(struct sv_dns *d, const char *src)
{
	FILE *in = fopen(src, "re"), *out;
	struct stat st;
	char line[1024];
	time_t now = time(NULL);

	if (!in)
		return -errno;
	if (fstat(fileno(in), &st) < 0) {
		fclose(in);
		return -errno;
	}
	out = fopen(d->leases, "we");
	if (!out) {
		int e = -errno;

		fclose(in);
		return e;
	}
	while (fgets(line, sizeof(line), in)) {
		char *rest = NULL;
		long long exp = strtoll(line, &rest, 10);

		if (rest == line || exp <= 0) {
			fputs(line, out); /* "duid ..." lines, infinite leases */
			continue;
		}
		exp -= (long long)st.st_mtime;
		if (exp <= 0)
			continue;
		fprintf(out, "%lld%s", (long long)now + exp, rest);
	}
	fclose(in);
	return fclose(out) ? -errno : 0;
}

int sv_dns_start(struct sv *sv, struct vl_err *e)
{
	struct sv_dns *d = &sv->dns;
	struct dnsmasq_paths p = {d->conf, d->leases, d->pidfile, d->log, sv->uplink_gw};
	_cleanup_free_ char *conf = dnsmasq_config(sv->t, &p);
	char **argv = dnsmasq_argv(sv->dnsmasq, &p);
	int r = write_file(d->conf, conf);
	struct spawn_opts o = {
		.name = "dnsmasq",
		.path = sv->dnsmasq,
		.argv = argv,
		.stdin_fd = -1,
		.stdout_fd = 2,
		.stderr_fd = 2,
		.pdeathsig = SIGTERM,
		.cwd = "/",
	};

	struct ll_rules rules = {0};

	if (sv->confine) {
		dnsmasq_confine_rules(sv->t, &p, &rules);
		o.confine = &rules;
	}
	if (r) {
		ll_rules_free(&rules);
		strv_free(argv);
		return vl_fail_errno(e, EXIT_ENV, r, "writing %s", d->conf);
	}
	/* dnsmasq opens its log-facility file itself, appending; the last
	 * run's becomes .prev. sv_logs.c rotates it (rename + SIGUSR2). */
	logfile_new_run(d->log);
	if (sv->leases && (r = dns_preload(d, sv->leases)))
		sv_event(sv, "W restoring the saved DHCP leases %s: %s", sv->leases, strerror(-r));
	d->pid = spawn(&o, &d->pidfd, e);
	ll_rules_free(&rules);
	strv_free(argv);
	if (d->pid < 0)
		return -1;
	loop_watch(&sv->loop, d->pidfd, EPOLLIN, EV_DNS_PIDFD, NULL);
	return 0;
}

int sv_dns_reload(struct sv *sv, const char *leases, struct vl_err *e)
{
	struct sv_dns *d = &sv->dns;
	long long deadline = now_ms() + 3000;
	int r;

	if (d->pidfd >= 0) {
		/* Stopped on purpose: not an exit to report (sv_dns_exited). */
		loop_unwatch(&sv->loop, d->pidfd);
		pidfd_kill(d->pidfd, SIGTERM);
		while (now_ms() < deadline && waitpid(d->pid, NULL, WNOHANG) == 0)
			usleep(5000);
		if (waitpid(d->pid, NULL, WNOHANG) == 0) {
			pidfd_kill(d->pidfd, SIGKILL);
			waitpid(d->pid, NULL, 0);
		}
		close(d->pidfd);
		d->pidfd = -1;
		d->pid = 0;
	}
	if (leases && (r = dns_preload(d, leases)))
		return vl_fail_errno(e, EXIT_ENV, r, "restoring leases %s", leases);
	{
		const char *keep = sv->leases;

		sv->leases = NULL; /* in place already */
		r = sv_dns_start(sv, e);
		sv->leases = keep;
	}
	return r < 0 ? vl_wrap(e, "restarting dnsmasq") : 0;
}

void sv_dns_exited(struct sv *sv)
{
	struct sv_dns *d = &sv->dns;
	int st = 0;
	char how[128];

	waitpid(d->pid, &st, WNOHANG);
	loop_unwatch(&sv->loop, d->pidfd);
	close(d->pidfd);
	d->pidfd = -1;
	d->pid = 0;
	sv_describe_status(st, how, sizeof(how));
	if (sv->phase < PH_POWERDOWN) {
		_cleanup_free_ char *tail = tail_file(d->log, 10);

		sv_event(sv, "W dnsmasq %s", how);
		if (sv->phase == PH_STARTING)
			sv_fail(sv, EXIT_CHILD, "dnsmasq %s\n--- %s ---\n%s", how, d->log,
				tail ? tail : "");
	}
}

void sv_host_kill_cmd(struct sv *sv, struct sv_host *h)
{
	/* SIGKILL to unshare takes the command's whole PID namespace down
	 * (see sv_host_start()). */
	if (h->cmd_pidfd >= 0) {
		loop_unwatch(&sv->loop, h->cmd_pidfd);
		pidfd_kill(h->cmd_pidfd, SIGKILL);
		waitpid(h->cmd_pid, NULL, 0);
		close(h->cmd_pidfd);
		h->cmd_pidfd = -1;
	}
}

int sv_host_restart(struct sv *sv, struct sv_host *h, struct vl_err *e)
{
	sv_host_kill_cmd(sv, h);
	h->cmd_exited = false;
	sv_event(sv, "W host %s: command restarted", h->cfg->name);
	return sv_host_start(sv, h, e);
}

void sv_host_exited(struct sv *sv, struct sv_host *h)
{
	char how[128];

	waitpid(h->cmd_pid, &h->cmd_status, WNOHANG);
	loop_unwatch(&sv->loop, h->cmd_pidfd);
	close(h->cmd_pidfd);
	h->cmd_pidfd = -1;
	h->cmd_exited = true;
	sv_describe_status(h->cmd_status, how, sizeof(how));
	if (sv->phase < PH_POWERDOWN)
		sv_event(sv, "W host %s: command %s", h->cfg->name, how);
}

/* A child whose own pidfd handler reaps it and reads its status. */
static bool child_watched(const struct sv *sv, pid_t pid)
{
	if (sv->dns.pidfd >= 0 && sv->dns.pid == pid)
		return true;
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->pidfd >= 0 && sv->nodes[i]->pid == pid)
			return true;
	for (int i = 0; i < sv->t->n_hosts; i++)
		if (sv->hosts[i]->cmd_pidfd >= 0 && sv->hosts[i]->cmd_pid == pid)
			return true;
	for (int i = 0; sv->devices && i < sv->t->n_devices; i++)
		if (sv->devices[i]->pidfd >= 0 && sv->devices[i]->pid == pid)
			return true;
	return false;
}

/* Reap anything else (intermediate children, re-parented host commands),
 * looking before reaping: a node's QEMU (or dnsmasq, or a host's command)
 * that exits in the same loop turn as another child must be left to its
 * pidfd handler. Reaped here, its handler's waitpid() found nothing, its
 * pidfd stayed readable and its exit was never seen: on the way down that
 * node counted as unkillable for 5 s, its exit status lost. A watched
 * child first in line stops the sweep; its handler runs on the next turn
 * (its pidfd is readable) and the sweep goes on after it. */
void sv_reap_strays(struct sv *sv)
{
	for (;;) {
		siginfo_t si = {0};

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 || !si.si_pid)
			return;
		if (child_watched(sv, si.si_pid))
			return;
		waitpid(si.si_pid, NULL, WNOHANG | __WALL);
	}
}

/* Stop the rest: dnsmasq, host commands, holders. Bounded. */
void sv_stop_others(struct sv *sv)
{
	long long deadline = now_ms() + 3000;

	struct sv_dns *d = &sv->dns;

	if (d->pidfd >= 0)
		pidfd_kill(d->pidfd, SIGTERM);
	while (d->pid > 0 && now_ms() < deadline) {
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
			break;
		usleep(10000);
	}
	if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == 0) {
		pidfd_kill(d->pidfd, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	for (int i = 0; i < sv->t->n_hosts; i++) {
		struct sv_host *h = sv->hosts[i];

		/* unshare ignores SIGTERM; SIGKILL takes the command's whole
		 * PID namespace down (see start_host_command()). */
		if (h->cmd_pidfd >= 0) {
			pidfd_kill(h->cmd_pidfd, SIGKILL);
			waitpid(h->cmd_pid, NULL, 0);
		}
		if (h->holder_pidfd >= 0)
			pidfd_kill(h->holder_pidfd, SIGKILL);
	}
	sv_reap_strays(sv);
}
