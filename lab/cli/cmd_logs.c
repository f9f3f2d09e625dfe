// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_logs.c - `vacmlab logs [-f] LAB NODE [PORT]`: print (or follow) a
 * serial port's log. Logs live in the lab's state dir, so they outlive
 * `down`: a failed CI run still has them. This run's output is
 * NODE.ttySN.log.1 (once the log passed [lab] log_max) then NODE.ttySN.log;
 * the previous run's last part is NODE.ttySN.log.prev (lib/logfile.h).
 * Printing goes oldest first; following goes on across a rotation (the
 * file it reads became .1: finish it, go on with the new LOG) and ends
 * when the lab goes down.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/error.h"
#include "lab/lib/logfile.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

static void logs_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab logs [-f] [--previous] [--state DIR] LAB NODE [PORT]\n"
		   "Print a serial port's log (PORT 0..15 or ttySN, default the console ttyS0):\n"
		   "everything the guest wrote to it in this run, byte for byte, up to the\n"
		   "lab's log_max per file: the rotated part (.1) first, then the current log.\n"
		   "Console and log ports have logs; they are kept in the state dir after `down`.\n"
		   "  -f, --follow   keep printing new output until Ctrl-C or the lab goes down\n"
		   "  -1, --previous the previous run's log (NODE.ttySN.log.prev)\n"
		   "  --state DIR    the lab's state dir, if `up` was given --state\n"
		   "Other logs of the lab (QEMU, dnsmasq, supervisor) are in the same dir.\n");
}

/* Copy what @fd has from its offset to stdout; -errno on a write error. */
static int drain(int fd)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			return -errno;
	}
}

/* Whether the file open as @fd is now @path's rotated part (LOG.1). */
static bool rotated_away(const char *path, int fd)
{
	_cleanup_free_ char *older = logfile_older(path);
	struct stat a, b;

	return stat(older, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int follow(const char *path, int fd, const char *lab)
{
	_cleanup_free_ char *rundir = rundir_lab(lab, NULL);
	_cleanup_close_ int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (ino >= 0)
		inotify_add_watch(ino, path, IN_MODIFY);
	for (;;) {
		struct pollfd p = {.fd = ino, .events = POLLIN};
		struct stat a, b;

		if (drain(fd) < 0)
			return 0; /* stdout closed */
		if (!lab_is_up(rundir)) {
			drain(fd);
			return 0;
		}
		/* LOG is another file: it rotated (ours is LOG.1 now, whose
		 * writer has moved on: finish it, go on with LOG from its
		 * start), or a new `up` of the lab began a new run. */
		if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino != b.st_ino) {
			bool rotated = rotated_away(path, fd);
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd >= 0) {
				if (drain(fd) < 0) {
					close(nfd);
					return 0;
				}
				dup3(nfd, fd, O_CLOEXEC);
				close(nfd);
				if (ino >= 0)
					inotify_add_watch(ino, path, IN_MODIFY);
				if (!rotated)
					fprintf(stderr, "[vacmlab: %s: a new run started]\n", path);
				continue;
			}
		}
		if (ino >= 0) {
			if (poll(&p, 1, 500) > 0) {
				char ev[4096];

				while (read(ino, ev, sizeof(ev)) > 0)
					;
			}
		} else {
			usleep(100000);
		}
	}
}

/* Print this run's rotated part, if any, before LOG is read. Opened
 * after LOG: if LOG rotated in between, that .1 is the file already open
 * as @cur, and printing it here would print it twice. */
static int print_older(const char *path, int cur)
{
	_cleanup_free_ char *older = logfile_older(path);
	_cleanup_close_ int fd = open(older, O_RDONLY | O_CLOEXEC);
	struct stat a, b;

	if (fd < 0)
		return 0;
	if (fstat(fd, &a) == 0 && fstat(cur, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return 0;
	return drain(fd);
}

int cmd_logs(int argc, char **argv)
{
	static const struct option lo[] = {
		{"follow", no_argument, NULL, 'f'},
		{"previous", no_argument, NULL, '1'},
		{"state", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *lab, *node, *state = NULL;
	bool fol = false, prev = false;
	int port = 0, c;
	_cleanup_free_ char *path = NULL, *rundir = NULL;
	_cleanup_close_ int fd = -1;
	struct port_info pi;
	struct vl_err e = {0};

	while ((c = getopt_long(argc, argv, "hf1", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fol = true; break;
		case '1': prev = true; break;
		case 'S': state = optarg; break;
		case 'h': logs_usage(stdout); return EXIT_OK;
		default: logs_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (console_target_args(argc, argv, optind, &lab, &node, &port) < 0) {
		if (argc - optind < 2 || argc - optind > 3)
			logs_usage(stderr);
		return EXIT_CONFIG;
	}
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	rundir = rundir_lab(lab, NULL);
	if (!state && lab_is_up(rundir)) {
		/* Running: the supervisor knows the port's kind and log. */
		if (console_lookup(lab, node, port, &pi, &e) < 0)
			return vl_report(&e);
		if (!pi.log) {
			char hint[512];

			msg_err("%s ttyS%d is a '%s' port: it has no log (%s)", node, port, pi.kind,
				console_hint(&pi, hint, sizeof(hint)));
			port_info_free(&pi);
			return EXIT_CONFIG;
		}
		path = prev ? logfile_prev(pi.log) : xstrdup(pi.log);
		port_info_free(&pi);
	} else {
		_cleanup_free_ char *sd = statedir_lab(lab, state, NULL);
		_cleanup_free_ char *ld = path_in(sd, LF_LOGS);
		_cleanup_free_ char *cur = port_log_path(ld, node, port);

		path = prev ? logfile_prev(cur) : xstrdup(cur);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg_err("no log for %s ttyS%d of lab '%s': %s: %s", node, port, lab, path,
			strerror(errno));
		return EXIT_STATE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!prev && print_older(path, fd) < 0)
		return EXIT_OK;
	if (drain(fd) < 0)
		return EXIT_OK;
	if (fol && !prev)
		follow(path, fd, lab);
	return EXIT_OK;
}
