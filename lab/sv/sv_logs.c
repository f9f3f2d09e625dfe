// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_logs.c - bounds on the logs the supervisor does not write byte by
 * byte (consoles are bounded as they are written, in sv_port.c): each is
 * measured at most once a second and, past [lab] log_max, rotated to
 * LOG.1 (lib/logfile.h has the names). How depends on who holds the file:
 *  - the supervisor's own log (its stdout and stderr): renamed, a fresh
 *    file dup'ed over fds 1 and 2;
 *  - dnsmasq's log-facility file: renamed, then SIGUSR2, on which dnsmasq
 *    closes and reopens its log file (dnsmasq(8)), so no line is lost;
 *  - QEMU's stderr, QEMU `log` serial ports and host commands' output:
 *    their writers hold an O_APPEND fd they cannot reopen, so the file is
 *    copied to LOG.1 and truncated (logrotate's copytruncate). A pipe the
 *    supervisor drains would be exact, but QEMU's last words when the
 *    supervisor dies ("terminating on signal 15", tests/50-disks.t) would
 *    then go nowhere; these logs are small and rarely rotate.
 * A file can pass log_max by what its writer wrote in the last second.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/logfile.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

static void copytruncate(const char *path, long long max)
{
	int r = logfile_copytruncate(path, max);

	if (r < 0)
		fprintf(stderr, "rotating %s: %s\n", path, strerror(-r));
	else if (r > 0)
		fprintf(stderr, "rotated %s (over %lld bytes) to %s.1\n", path, max, path);
}

static bool over(const char *path, long long max)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > max;
}

/* Our stdout and stderr, if they are still the supervisor's log. */
static void own_log(struct sv *sv, long long max)
{
	_cleanup_free_ char *path = path_in(sv->logdir, LF_SUPERVISOR_LOG);
	struct stat a, b;
	int fd;

	if (fstat(2, &a) < 0 || !S_ISREG(a.st_mode) || a.st_size <= max)
		return;
	if (stat(path, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return;
	fflush(stdout);
	fflush(stderr);
	fd = logfile_rotate(path);
	if (fd < 0) {
		fprintf(stderr, "rotating %s: %s\n", path, strerror(-fd));
		return;
	}
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	fprintf(stderr, "[%.3f] log rotated: the older part is %s.1\n",
		(double)(now_ms() - sv->t0) / 1000.0, path);
}

static void dns_log(struct sv *sv, long long max)
{
	struct sv_dns *d = &sv->dns;
	int fd;

	if (d->pidfd < 0 || !d->log || !over(d->log, max))
		return;
	fd = logfile_rotate(d->log);
	if (fd < 0) {
		fprintf(stderr, "rotating %s: %s\n", d->log, strerror(-fd));
		return;
	}
	close(fd);
	/* dnsmasq reopens its log file on SIGUSR2; until then it appends
	 * to the renamed file, LOG.1. */
	pidfd_kill(d->pidfd, SIGUSR2);
	fprintf(stderr, "rotated %s (over %lld bytes) to %s.1\n", d->log, max, d->log);
}

void sv_logs_tick(struct sv *sv)
{
	long long max = sv->t->log_max;

	if (!max || now_ms() < sv->next_log_check)
		return;
	sv->next_log_check = now_ms() + 1000;
	own_log(sv, max);
	dns_log(sv, max);
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (n->pidfd < 0)
			continue;
		if (n->qemu_log)
			copytruncate(n->qemu_log, max);
		for (int j = 0; j < n->cfg->n_serial; j++)
			if (n->ports[j].kind == SERIAL_LOG && n->ports[j].log_path)
				copytruncate(n->ports[j].log_path, max);
	}
	for (int i = 0; i < sv->t->n_hosts; i++)
		if (sv->hosts[i]->cmd_pidfd >= 0 && sv->hosts[i]->log)
			copytruncate(sv->hosts[i]->log, max);
}
