// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_send.c - `vacmlab send LAB NODE [--expect REGEX] TEXT`: write to a
 * console port, optionally waiting for a regex in the output that follows.
 * The log size is taken before the write, so the answer to this send (and
 * not an older prompt) is what --expect matches: the scriptable
 * login-and-command primitive. `send --break LAB NODE [PORT]` sends a
 * serial BREAK instead (the supervisor's "break" method).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/error.h"
#include "lab/lib/rx.h"
#include "lab/lib/util.h"

static void send_usage(FILE *f)
{
	fprintf(f,
		"usage: vacmlab send LAB NODE [--port N] [--expect REGEX [--timeout S]] [-q] TEXT\n"
		"       vacmlab send --break LAB NODE [PORT]\n"
		"Write TEXT to a console port. Escapes: \\n \\r \\t \\e (ESC) \\\\ \\xHH; TEXT "
		"'-'\n"
		"sends standard input as is.\n"
		"  --port N          serial port: 0..15 or ttySN (default 0)\n"
		"  --expect REGEX    then wait until REGEX (POSIX extended) matches a line of the\n"
		"                    output that arrives after the send (the partial last line\n"
		"                    counts: '# $' matches a shell prompt), and print that output\n"
		"  --timeout S       bound for --expect (default 30; exit 4 when it passes)\n"
		"  -q, --quiet       with --expect, do not print the output\n"
		"  --raw             no escape processing\n"
		"  --break           send a serial BREAK to the port (0..15 or ttySN, default\n"
		"                    0) instead of text: the guest's UART sees a break (Linux:\n"
		"                    brk:N in /proc/tty/driver/serial; on its console, the next\n"
		"                    key is a magic SysRq command)\n"
		"Example (log in and run a command):\n"
		"  vacmlab send LAB vacm1 --expect 'login: $' '\\n'\n"
		"  vacmlab send LAB vacm1 --expect '# $' 'root\\n'\n"
		"  vacmlab send LAB vacm1 --expect '# $' 'cat /proc/cmdline\\n'\n");
}

/* Interpret escapes in @s into @out (at least strlen(s) bytes); returns the
 * length, or -1 with a message for a bad escape. */
static ssize_t unescape(const char *s, char *out)
{
	char *o = out;

	for (; *s; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'e': *o++ = 0x1b; break;
		case '0': *o++ = '\0'; break;
		case '\\': *o++ = '\\'; break;
		case 'x': {
			int h = hexval(s[1]), l = h >= 0 ? hexval(s[2]) : -1;

			if (h < 0 || l < 0) {
				msg_err("bad escape '\\x%.2s': expected two hex digits", s + 1);
				return -1;
			}
			*o++ = (char)(h * 16 + l);
			s += 2;
			break;
		}
		case '\0': msg_err("TEXT ends with a lone backslash"); return -1;
		default:
			msg_err("unknown escape '\\%c' (known: \\n \\r \\t \\e \\0 \\\\ \\xHH)",
				*s);
			return -1;
		}
	}
	return o - out;
}

static char *read_stdin(size_t *len)
{
	size_t cap = 4096;
	char *buf = xmalloc(cap);

	*len = 0;
	for (;;) {
		ssize_t n;

		if (*len == cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(0, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	return buf;
}

/*
 * Write, then half-close and read until the supervisor closes: it reads
 * our input before it sees our EOF, so once it hangs up every byte has
 * been handed to the port. Bounded: a supervisor that never answers does
 * not hang a script.
 */
static int send_all(const char *path, const char *buf, size_t len, struct vl_err *e)
{
	_cleanup_close_ int fd = console_connect(path);
	long long deadline;
	char sink[65536];

	if (fd < 0)
		return vl_fail_errno(e, EXIT_STATE, fd, "connecting to %s", path);
	if (write_all(fd, buf, len) < 0)
		return vl_fail_errno(e, EXIT_STATE, errno, "writing to %s", path);
	shutdown(fd, SHUT_WR);
	deadline = now_ms() + 5000;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return vl_fail(e, EXIT_STATE,
				       "%s: the supervisor did not take the input within 5 s",
				       path);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return 0;
	}
}

/* send --break LAB NODE [PORT] (or --port N): no TEXT, no --expect. */
static int send_break(int argc, char **argv, int port_opt, bool expect)
{
	const char *lab, *node;
	struct vl_err e = {0};
	struct port_info pi;
	int port = 0;

	if (expect) {
		msg_err("--break sends no text: --expect has nothing to wait for");
		return EXIT_CONFIG;
	}
	if (console_target_args(argc, argv, optind, &lab, &node, &port) < 0) {
		if (argc - optind < 2 || argc - optind > 3)
			send_usage(stderr);
		return EXIT_CONFIG;
	}
	if (port_opt >= 0 && argc - optind == 3 && port_opt != port) {
		msg_err("--port %d and PORT %d disagree", port_opt, port);
		return EXIT_CONFIG;
	}
	if (port_opt >= 0)
		port = port_opt;
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	/* The node and port as every console verb checks them: a node on
	 * another machine of a spread lab says which. */
	if (console_lookup(lab, node, port, &pi, &e) < 0)
		return vl_report(&e);
	port_info_free(&pi);
	if (console_break(lab, node, port, &e) < 0)
		return vl_report(&e);
	msg_info("%s ttyS%d: break sent", node, port);
	return EXIT_OK;
}

int cmd_send(int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'P'},	   {"expect", required_argument, NULL, 'e'},
		{"timeout", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
		{"raw", no_argument, NULL, 'r'},	   {"break", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},	   {0},
	};
	const char *expect = NULL, *lab, *node, *text;
	double timeout = 30;
	int port = 0, c, code, r;
	bool quiet = false, raw = false, brk = false, port_opt = false;
	struct port_info pi;
	struct vl_err e = {0};
	_cleanup_free_ char *buf = NULL;
	ssize_t len;
	regex_t re;
	off_t off = 0;
	struct stat s;

	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		switch (c) {
		case 'P':
			port = console_port_arg(optarg);
			if (port < 0)
				return EXIT_CONFIG;
			port_opt = true;
			break;
		case 'b': brk = true; break;
		case 'e': expect = optarg; break;
		case 't':
			if (duration_arg("--timeout", optarg, DURATION_MAX_S, &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'q': quiet = true; break;
		case 'r': raw = true; break;
		case 'h': send_usage(stdout); return EXIT_OK;
		default: send_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (brk)
		return send_break(argc, argv, port_opt ? port : -1, expect != NULL);
	if (argc - optind != 3) {
		send_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	node = argv[optind + 1];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	text = argv[optind + 2];
	if (!strcmp(text, "-")) {
		size_t n;

		buf = read_stdin(&n);
		len = (ssize_t)n;
	} else if (raw) {
		buf = xstrdup(text);
		len = (ssize_t)strlen(text);
	} else {
		buf = xmalloc(strlen(text) + 1);
		len = unescape(text, buf);
		if (len < 0)
			return EXIT_CONFIG;
	}
	if (expect && rx_compile(&re, expect, "regex", &e) < 0)
		return vl_report(&e);
	if (console_lookup(lab, node, port, &pi, &e) < 0) {
		code = vl_report(&e);
		goto out;
	}
	if (strcmp(pi.kind, "console") || !pi.socket) {
		char hint[512];

		msg_err("%s ttyS%d is a '%s' port, not a console: %s", node, port, pi.kind,
			console_hint(&pi, hint, sizeof(hint)));
		code = EXIT_CONFIG;
		goto out;
	}
	/* Where the answer starts: output logged from here on. */
	if (pi.log && stat(pi.log, &s) == 0)
		off = s.st_size;
	if (send_all(pi.socket, buf, (size_t)len, &e) < 0) {
		code = vl_report(&e);
		goto out;
	}
	code = EXIT_OK;
	if (!expect)
		goto out;
	r = log_wait_regex(pi.log, off, &re, timeout > 0 ? (long long)(timeout * 1000) : -1, lab,
			   quiet ? NULL : stdout);
	if (r == -ETIMEDOUT) {
		if (!quiet)
			putchar('\n');
		msg_err("timed out after %g s waiting for /%s/ on %s ttyS%d", timeout, expect, node,
			port);
		log_print_tail(pi.log, 10);
		code = EXIT_TIMEOUT;
	} else if (r == -ESRCH) {
		msg_err("lab '%s' went down while waiting for /%s/", lab, expect);
		code = EXIT_STATE;
	} else if (r < 0) {
		msg_err("reading %s: %s", pi.log, strerror(-r));
		code = EXIT_STATE;
	} else if (!quiet) {
		putchar('\n');
	}
out:
	if (expect)
		regfree(&re);
	port_info_free(&pi);
	return code;
}
