// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_wait.c - `vacmlab wait LAB NODE --console REGEX`: block until a
 * serial port's output matches a POSIX extended regex, bounded. Matches are
 * line by line, the partial last line included (prompts have no newline),
 * the same rule as `ready = console "REGEX"` in the supervisor.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/error.h"
#include "lab/lib/rx.h"
#include "lab/lib/util.h"

static void wait_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab wait LAB NODE --console REGEX [--port N] [--timeout S] [--new]\n"
		   "Wait until REGEX (POSIX extended) matches a line of the port's output.\n"
		   "Lines are matched one at a time, carriage returns ignored; the partial last\n"
		   "line counts too, so a prompt such as '# $' or 'login: $' matches.\n"
		   "  --console REGEX  what to wait for\n"
		   "  --port N         serial port: 0..15 or ttySN (default 0, the console)\n"
		   "  --timeout S      give up after S seconds (default 60; 0: no limit)\n"
		   "  --new            only output that arrives after the call starts\n"
		   "                   (default: anywhere in this run's log)\n"
		   "  -p, --print      print the output read, up to the matching line\n"
		   "Works on console and log ports. Exit: 0 matched, 4 timed out (the last\n"
		   "lines are printed), 5 lab not running or went down, 1 usage.\n");
}

int cmd_wait(int argc, char **argv)
{
	static const struct option lo[] = {
		{"console", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'P'},
		{"timeout", required_argument, NULL, 't'},
		{"new", no_argument, NULL, 'n'},
		{"print", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *regex = NULL, *lab, *node;
	double timeout = 60;
	int port = 0, c, code, r;
	bool fresh = false, print = false;
	struct port_info pi;
	regex_t re;
	struct vl_err e = {0};
	off_t off = 0;

	while ((c = getopt_long(argc, argv, "hp", lo, NULL)) != -1) {
		switch (c) {
		case 'c': regex = optarg; break;
		case 'P':
			port = console_port_arg(optarg);
			if (port < 0)
				return EXIT_CONFIG;
			break;
		case 't':
			if (duration_arg("--timeout", optarg, DURATION_MAX_S, &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'n': fresh = true; break;
		case 'p': print = true; break;
		case 'h': wait_usage(stdout); return EXIT_OK;
		default: wait_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 2 || !regex) {
		wait_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	node = argv[optind + 1];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	/* Before the lab is asked anything: a bad regex is the user's. */
	if (rx_compile(&re, regex, "regex", &e) < 0)
		return vl_report(&e);
	if (console_lookup(lab, node, port, &pi, &e) < 0) {
		regfree(&re);
		return vl_report(&e);
	}
	if (!pi.log) {
		char hint[512];

		msg_err("%s ttyS%d is a '%s' port with no log: %s", node, port, pi.kind,
			console_hint(&pi, hint, sizeof(hint)));
		regfree(&re);
		port_info_free(&pi);
		return EXIT_CONFIG;
	}
	if (fresh) {
		struct stat s;

		if (stat(pi.log, &s) == 0)
			off = s.st_size;
	}
	r = log_wait_regex(pi.log, off, &re, timeout > 0 ? (long long)(timeout * 1000) : -1, lab,
			   print ? stdout : NULL);
	regfree(&re);
	if (r == 0) {
		port_info_free(&pi);
		return EXIT_OK;
	}
	if (r == -ETIMEDOUT) {
		msg_err("timed out after %g s waiting for /%s/ on %s ttyS%d", timeout, regex, node,
			port);
		code = EXIT_TIMEOUT;
	} else if (r == -ESRCH) {
		msg_err("lab '%s' went down while waiting for /%s/ on %s ttyS%d", lab, regex, node,
			port);
		code = EXIT_STATE;
	} else {
		msg_err("reading %s: %s", pi.log, strerror(-r));
		code = EXIT_STATE;
	}
	log_print_tail(pi.log, 10);
	port_info_free(&pi);
	return code;
}
