// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_logs.c - `vacmlab logs [-f] LAB NODE [PORT]`: print (or follow) a
 * serial port's log. Logs live in the lab's state dir (logs/NODE.ttySN.log,
 * the previous run's in .log.1), so they outlive `down`: a failed CI run
 * still has them. Following ends when the lab goes down.
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
#include "lab/cli/console.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

static void logs_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab logs [-f] [--previous] [--state DIR] LAB NODE [PORT]\n"
		   "Print a serial port's log (PORT 0..15 or ttySN, default the console ttyS0):\n"
		   "everything the guest wrote to it in this run, byte for byte. Console and\n"
		   "log ports have logs; they are kept in the lab's state dir after `down`.\n"
		   "  -f, --follow   keep printing new output until Ctrl-C or the lab goes down\n"
		   "  -1, --previous the previous run's log (NODE.ttySN.log.1)\n"
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

static int follow(const char *path, int fd, const char *lab)
{
	_cleanup_free_ char *rundir = rundir_lab(lab);
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
		/* A new `up` of the same lab moves the log to .1 and starts a
		 * new one: follow the new run. */
		if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino != b.st_ino) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd >= 0) {
				drain(fd);
				dup3(nfd, fd, O_CLOEXEC);
				close(nfd);
				if (ino >= 0)
					inotify_add_watch(ino, path, IN_MODIFY);
				fprintf(stderr, "[vacmlab: %s: a new run started]\n", path);
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
	int port = 0, c, code;
	_cleanup_free_ char *path = NULL, *rundir = NULL;
	_cleanup_close_ int fd = -1;
	struct port_info pi;
	char err[512];

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
	rundir = rundir_lab(lab);
	if (!state && lab_is_up(rundir)) {
		/* Running: the supervisor knows the port's kind and log. */
		if (console_lookup(lab, node, port, &pi, &code, err, sizeof(err)) < 0) {
			msg_err("%s", err);
			return code;
		}
		if (!pi.log) {
			char hint[512];

			msg_err("%s ttyS%d is a '%s' port: it has no log (%s)", node, port, pi.kind,
				console_hint(&pi, hint, sizeof(hint)));
			port_info_free(&pi);
			return EXIT_CONFIG;
		}
		path = prev ? xasprintf("%s.1", pi.log) : xstrdup(pi.log);
		port_info_free(&pi);
	} else {
		_cleanup_free_ char *sd = statedir_lab(lab, state);
		_cleanup_free_ char *ld = path_in(sd, LF_LOGS);
		_cleanup_free_ char *cur = port_log_path(ld, node, port);

		path = prev ? xasprintf("%s.1", cur) : xstrdup(cur);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg_err("no log for %s ttyS%d of lab '%s': %s: %s", node, port, lab, path,
			strerror(errno));
		return EXIT_STATE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (drain(fd) < 0)
		return EXIT_OK;
	if (fol && !prev)
		follow(path, fd, lab);
	return EXIT_OK;
}
