// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_console.c - `vacmlab console [--ro] LAB NODE [PORT]`: attach to a
 * console port's socket in the runtime dir (no namespace entry needed).
 * On a terminal: raw mode; Ctrl-] then b sends a serial BREAK, Ctrl-] then
 * any other key leaves. On pipes (scripts, expect): copy
 * stdin to the port until EOF, then keep printing output for --linger
 * seconds. The supervisor does the fan-out and the replay for late joiners.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/error.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] as in telnet */

static struct termios saved_tio;
static bool tio_saved;

static void tty_restore(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = false;
}

static void on_fatal_signal(int sig)
{
	/* Leave the user's terminal usable, whatever ends us. */
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int tty_raw(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	t = saved_tio;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
		return -errno;
	tio_saved = true;
	atexit(tty_restore);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGQUIT, on_fatal_signal);
	return 0;
}

static void console_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab console [--ro] [--linger S] [--timeout S] [-q] LAB NODE [PORT]\n"
		   "Attach to a console port (default ttyS0; PORT is 0..15 or ttySN).\n"
		   "On a terminal the line is raw (keys go to the guest, ^C included). Ctrl-]\n"
		   "(shown on attach) then b sends a serial BREAK to the port (on a Linux\n"
		   "console the key after it is a magic SysRq command); Ctrl-] then any other\n"
		   "key leaves. Recent output (16 KiB) is replayed first.\n"
		   "Any number of clients can attach at once; all see the output and the input\n"
		   "of every read-write client reaches the guest.\n"
		   "  --ro          read-only watcher: input is never sent\n"
		   "  --linger S    stdin not a terminal: after stdin's EOF keep printing output\n"
		   "                for S seconds (default 0.5), then leave\n"
		   "  --timeout S   leave after S seconds in any case\n"
		   "  -q, --quiet   no attach/detach messages on stderr\n"
		   "Scripts: `printf 'root\\n' | vacmlab console LAB NODE` works (or use\n"
		   "`vacmlab send --expect` and `vacmlab wait`). With --ro and stdin not a\n"
		   "terminal, stdin is not read: the watcher runs until the lab goes down,\n"
		   "--timeout, or a signal.\n"
		   "Other port kinds: tcp -> telnet 127.0.0.1 PORT; unix -> socat; log ->\n"
		   "vacmlab logs.\n");
}

/* The key after Ctrl-]: b sends a break (a read-write client only: a
 * watcher sends no input); 1 to stay, 0 to leave. */
static int escape_key(char key, const char *lab, const char *node, int port, bool ro, bool quiet)
{
	struct vl_err e = {0};

	if (key != 'b')
		return 0;
	if (ro) {
		fprintf(stderr, "[vacmlab: read-only: no break sent (vacmlab send --break)]\r\n");
		return 1;
	}
	if (console_break(lab, node, port, &e) < 0)
		fprintf(stderr, "[vacmlab: %s]\r\n", e.msg);
	else if (!quiet)
		fprintf(stderr, "[vacmlab: break sent to %s ttyS%d]\r\n", node, port);
	return 1;
}

int cmd_console(int argc, char **argv)
{
	static const struct option lo[] = {
		{"ro", no_argument, NULL, 'r'},
		{"linger", required_argument, NULL, 'l'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *lab, *node;
	double linger = 0.5, timeout = 0;
	bool ro = false, quiet = false, tty, stdin_open, esc = false;
	int port = 0, c, code, fd;
	long long deadline = -1;
	struct port_info pi;
	bool cable;
	struct vl_err e = {0};
	char buf[65536];

	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		switch (c) {
		case 'r': ro = true; break;
		case 'l':
		case 't':
			if (duration_arg(c == 'l' ? "--linger" : "--timeout", optarg,
					 DURATION_MAX_S, c == 'l' ? &linger : &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'q': quiet = true; break;
		case 'h': console_usage(stdout); return EXIT_OK;
		default: console_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (console_target_args(argc, argv, optind, &lab, &node, &port) < 0) {
		if (argc - optind < 2 || argc - optind > 3)
			console_usage(stderr);
		return EXIT_CONFIG;
	}
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	if (console_lookup(lab, node, port, &pi, &e) < 0)
		return vl_report(&e);
	/* A cable end (to a node or a device) is watched read-only: its two
	 * ends talk on it. */
	cable = !strcmp(pi.kind, SKV_PORT_CABLE) || !strcmp(pi.kind, SKV_PORT_DEVICE) ||
		!strcmp(pi.kind, SKV_PORT_PTY);
	if (cable && pi.socket_ro && !ro) {
		msg_err("%s ttyS%d is a serial cable%s: watch it with `vacmlab console --ro`", node,
			port, strcmp(pi.kind, SKV_PORT_DEVICE) ? "" : " to a device");
		port_info_free(&pi);
		return EXIT_CONFIG;
	}
	if (!cable && (strcmp(pi.kind, "console") || !pi.socket || !pi.socket_ro)) {
		char hint[512];

		msg_err("%s ttyS%d is a '%s' port, not a console: %s", node, port, pi.kind,
			console_hint(&pi, hint, sizeof(hint)));
		port_info_free(&pi);
		return EXIT_CONFIG;
	}
	fd = console_connect(ro ? pi.socket_ro : pi.socket);
	if (fd < 0) {
		msg_err("connecting to %s: %s", ro ? pi.socket_ro : pi.socket, strerror(-fd));
		port_info_free(&pi);
		return EXIT_STATE;
	}
	port_info_free(&pi);
	signal(SIGPIPE, SIG_IGN);
	tty = isatty(STDIN_FILENO);
	stdin_open = tty || !ro;
	/* Raw mode first, then the banner: a script (or a person) that types
	 * as soon as it sees the banner must not have its bytes flushed by
	 * tcsetattr(TCSAFLUSH). */
	if (tty && tty_raw() < 0) {
		msg_warn("cannot put the terminal in raw mode: %s", strerror(errno));
		tty = false;
	}
	if (!quiet)
		fprintf(stderr, "Connected to %s ttyS%d%s; escape is Ctrl-]%s", node, port,
			ro ? " (read-only)" : "", tty ? "\r\n" : "\n");
	if (timeout > 0)
		deadline = now_ms() + (long long)(timeout * 1000);
	code = EXIT_OK;
	for (;;) {
		struct pollfd p[2] = {
			{.fd = fd, .events = POLLIN},
			{.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		int wait = -1, n;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0)
				break;
			wait = (int)left;
		}
		n = poll(p, 2, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			msg_err("poll: %s", strerror(errno));
			code = EXIT_STATE;
			break;
		}
		if (p[0].revents) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (!quiet) {
					tty_restore();
					fprintf(stderr,
						"\n[vacmlab: %s ttyS%d closed: the lab went "
						"down]\n",
						node, port);
				}
				break;
			}
			/* stdout going away (a closed pipe) ends the session */
			if (write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
				break;
		}
		if (p[1].revents) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof(buf)), out = 0;
			bool leave = false;

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* EOF (or error) on stdin: let the answer come,
				 * bounded by --linger. */
				stdin_open = false;
				if (tty)
					break;
				long long d = now_ms() + (long long)(linger * 1000);

				if (deadline < 0 || d < deadline)
					deadline = d;
				continue;
			}
			/* On a terminal, Ctrl-] and the key after it are ours;
			 * what came before a break goes before it. */
			for (ssize_t i = 0; i < r && !leave; i++) {
				if (esc) {
					esc = false;
					if (!ro && out > 0 && write_all(fd, buf, (size_t)out) < 0)
						break;
					out = 0;
					leave = !escape_key(buf[i], lab, node, port, ro, quiet);
				} else if (tty && buf[i] == ESCAPE_CHAR) {
					esc = true;
					if (!quiet)
						fprintf(stderr,
							"\r\n[vacmlab: b: send a break; any "
							"other key: leave]\r\n");
				} else {
					buf[out++] = buf[i];
				}
			}
			if (!ro && out > 0 && write_all(fd, buf, (size_t)out) < 0) {
				if (!quiet) {
					tty_restore();
					fprintf(stderr, "\n[vacmlab: writing to %s ttyS%d: %s]\n",
						node, port, strerror(errno));
				}
				code = EXIT_STATE;
				break;
			}
			if (leave) {
				tty_restore();
				if (!quiet)
					fprintf(stderr, "\n[vacmlab: left %s ttyS%d]\n", node,
						port);
				break;
			}
		}
	}
	tty_restore();
	close(fd);
	return code;
}
