// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * console.c - the CLI's side of serial ports: port lookup through the
 * control socket, unix socket connect, and the log watcher that `wait`,
 * `send --expect` and `logs -f` share.
 *
 * Why watch the log rather than a console socket: the supervisor writes
 * every byte to the log before anything else (sv_port.c), so the log is
 * the one complete record; a socket client only gets a 16 KiB replay and
 * may be dropped if slow. Following the file also works for `log` ports,
 * which have no socket at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/cli/console.h"
#include "lab/cli/client.h"
#include "lab/cli/client_status.h"
#include "lab/lib/error.h"
#include "lab/lib/logfile.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

int console_port_parse(const char *s)
{
	char *end;
	long v;

	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (!strncmp(s, "ttyS", 4))
		s += 4;
	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v >= TOPO_MAX_SERIAL)
		return -1;
	return (int)v;
}

static char *sdup(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

int console_lookup(const char *lab, const char *node, int idx, struct port_info *pi,
		   struct vl_err *e)
{
	json_t *st = ctl_status(lab, e);
	struct st_lab l;
	struct st_owner n;
	struct st_port p;

	memset(pi, 0, sizeof(*pi));
	pi->idx = idx;
	if (!st)
		return -1;
	st_lab_get(st, &l);
	if (!st_find_node(&l, node, &n)) {
		/* A lab spread over machines: a node elsewhere says where. */
		if (where_is(st, node, e) == 0)
			vl_fail(e, EXIT_CONFIG, "lab '%s' has no node '%s'", lab, node);
		json_decref(st);
		return -1;
	}
	if (idx < 0 || !st_port(&n, (size_t)idx, &p)) {
		vl_fail(e, EXIT_CONFIG,
			"node %s has no ttyS%d (it has %zu serial port%s: ttyS0..ttyS%zu)", node,
			idx, n.n_ports, n.n_ports == 1 ? "" : "s", n.n_ports ? n.n_ports - 1 : 0);
		json_decref(st);
		return -1;
	}
	snprintf(pi->kind, sizeof(pi->kind), "%s", p.kind ?: "?");
	pi->socket = sdup(p.socket);
	pi->socket_ro = sdup(p.socket_ro);
	pi->log = sdup(p.log);
	pi->tcp = sdup(p.tcp);
	json_decref(st);
	return 0;
}

void port_info_free(struct port_info *pi)
{
	free(pi->socket);
	free(pi->socket_ro);
	free(pi->log);
	free(pi->tcp);
	memset(pi, 0, sizeof(*pi));
}

const char *console_hint(const struct port_info *pi, char *buf, size_t len)
{
	if (!strcmp(pi->kind, SKV_PORT_TCP)) {
		const char *colon = pi->tcp ? strrchr(pi->tcp, ':') : NULL;

		snprintf(buf, len, "it is a telnet listener: use `telnet 127.0.0.1 %s` (or nc)",
			 colon ? colon + 1 : "PORT");
	} else if (!strcmp(pi->kind, SKV_PORT_UNIX))
		snprintf(buf, len,
			 "it is QEMU's own socket (one client at a time): use `socat - "
			 "UNIX-CONNECT:%s`",
			 pi->socket ? pi->socket : "?");
	else if (!strcmp(pi->kind, SKV_PORT_LOG))
		snprintf(buf, len, "it is output-only: use `vacmlab logs` (or wait) on it");
	else if (!strcmp(pi->kind, SKV_PORT_LOOP))
		snprintf(buf, len,
			 "it is a loopback plug: what the guest writes comes back to the guest; "
			 "nothing to attach to");
	else if (!strcmp(pi->kind, SKV_PORT_RINGBUF))
		snprintf(buf, len,
			 "it is a QEMU ring buffer: read it over QMP (ringbuf-read on chardev s%d)",
			 pi->idx);
	else if (!strcmp(pi->kind, SKV_PORT_CABLE) || !strcmp(pi->kind, SKV_PORT_DEVICE))
		snprintf(buf, len,
			 "it is a serial cable: watch it with `vacmlab console --ro`, read it with "
			 "`vacmlab logs`");
	else
		snprintf(buf, len, "nothing is attached to it");
	return buf;
}

int console_break(const char *lab, const char *node, int port, struct vl_err *e)
{
	json_t *req = json_pack("{s:s,s:s,s:i}", "cmd", "break", "node", node, "port", port);

	if (ctl_ask(lab, req, -1, 10000, NULL, e) < 0)
		return vl_wrap(e, "sending a break to %s ttyS%d", node, port);
	return 0;
}

int console_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (path_sockaddr(&sa, path, NULL) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Whether @fd is @path's rotated part now (lib/logfile.h). */
static bool is_older(const char *path, int fd)
{
	_cleanup_free_ char *older = logfile_older(path);
	struct stat a, b;

	return stat(older, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Feed LOG.1 (this run's older part) unless it is @cur itself; the
 * matcher's answer to its last piece (LINE_NONE, _MATCH or _PARTIAL). */
static int feed_older(const char *path, int cur, struct line_matcher *l, const regex_t *re,
		      FILE *echo)
{
	_cleanup_free_ char *older = logfile_older(path);
	_cleanup_close_ int fd = open(older, O_RDONLY | O_CLOEXEC);
	struct stat a, b;
	char buf[65536];
	int m = LINE_NONE;
	ssize_t n;

	if (fd < 0 || fstat(fd, &a) < 0 || fstat(cur, &b) < 0 ||
	    (a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		return LINE_NONE;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if ((m = line_matcher_feed(l, buf, (size_t)n, re, echo)) == LINE_MATCH)
			break;
	return m;
}

int log_wait_regex(const char *path, off_t offset, const regex_t *re, long long timeout_ms,
		   const char *lab, FILE *echo)
{
	_cleanup_close_ int fd = -1, ino = -1;
	_cleanup_free_ char *rundir = lab ? rundir_lab(lab, NULL) : NULL;
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	long long next_check = now_ms() + 500;
	/* A partial line that matched is taken once the output has paused
	 * (match.h): until then, -1 when none is pending. */
	long long settle = -1;
	struct line_matcher l = {.settle = true};
	char buf[65536];
	int r = -ETIMEDOUT, m;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* inotify only saves polling; a failure to watch is not fatal. */
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0)
		inotify_add_watch(ino, path, IN_MODIFY);
	/* The whole run: its rotated part (LOG.1) comes first. */
	m = offset == 0 ? feed_older(path, fd, &l, re, echo) : LINE_NONE;
	if (m == LINE_MATCH) {
		r = 0;
		goto out;
	}
	if (m == LINE_PARTIAL)
		settle = now_ms() + LINE_SETTLE_MS;
	if (lseek(fd, offset, SEEK_SET) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		long long now;
		int wait;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		/* At the end of a file that rotated to LOG.1: its writer has
		 * moved on to a new LOG; go on there. */
		if (n == 0 && is_older(path, fd)) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd >= 0) {
				n = read(fd, buf, sizeof(buf));
				if (n <= 0) {
					dup3(nfd, fd, O_CLOEXEC);
					if (ino >= 0)
						inotify_add_watch(ino, path, IN_MODIFY);
				}
				close(nfd);
				if (n <= 0)
					continue;
			}
		}
		if (n > 0) {
			m = line_matcher_feed(&l, buf, (size_t)n, re, echo);
			if (m == LINE_MATCH) {
				r = 0;
				break;
			}
			settle = m == LINE_PARTIAL ? now_ms() + LINE_SETTLE_MS : -1;
			continue;
		}
		now = now_ms();
		/* A pending match stands at the deadline too. */
		if (settle >= 0 && (now >= settle || (deadline >= 0 && now >= deadline))) {
			line_matcher_accept(&l, echo);
			r = 0;
			break;
		}
		if (deadline >= 0 && now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (rundir && now >= next_check) {
			/* Nothing more will come once the lab is down; one
			 * last read above already drained the file. */
			if (!lab_is_up(rundir)) {
				n = read(fd, buf, sizeof(buf));
				if (n > 0) {
					lseek(fd, -n, SEEK_CUR);
					continue;
				}
				if (settle >= 0) {
					line_matcher_accept(&l, echo);
					r = 0;
					break;
				}
				r = -ESRCH;
				break;
			}
			next_check = now + 500;
		}
		wait = 500;
		if (deadline >= 0 && deadline - now < wait)
			wait = (int)(deadline - now);
		if (settle >= 0 && settle - now < wait)
			wait = (int)(settle - now);
		if (ino >= 0) {
			struct pollfd pfd = {.fd = ino, .events = POLLIN};

			if (poll(&pfd, 1, wait) > 0) {
				char ev[4096];

				while (read(ino, ev, sizeof(ev)) > 0)
					;
			}
		} else {
			usleep(20000);
		}
	}
out:
	if (echo)
		fflush(echo);
	line_matcher_free(&l);
	return r;
}

void log_print_tail(const char *path, int lines)
{
	_cleanup_free_ char *t = tail_file(path, lines);

	if (!t) {
		fprintf(stderr, "  (cannot read %s: %s)\n", path, strerror(errno));
		return;
	}
	fprintf(stderr, "last lines of %s:\n", path);
	for (char *s = t, *nl; *s; s = nl + 1) {
		nl = strchrnul(s, '\n');
		fprintf(stderr, "  | %.*s\n", (int)(nl - s), s);
		if (!*nl)
			break;
	}
}

int console_port_arg(const char *s)
{
	int port = console_port_parse(s);

	if (port < 0)
		msg_err("bad port '%s': expected 0..15 or ttySN", s);
	return port;
}

int console_target_args(int argc, char **argv, int optind, const char **lab, const char **node,
			int *port)
{
	if (argc - optind < 2 || argc - optind > 3)
		return -1;
	*lab = argv[optind];
	*node = argv[optind + 1];
	*port = 0;
	if (argc - optind == 3 && (*port = console_port_arg(argv[optind + 2])) < 0)
		return -1;
	return 0;
}
