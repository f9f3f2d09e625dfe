/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * console.h - the CLI's side of serial ports, shared by console, logs, wait
 * and send: finding a port of a running lab, connecting to its socket,
 * and watching its log for a regex.
 */
#ifndef VACMLAB_CONSOLE_H
#define VACMLAB_CONSOLE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct port_info {
	int idx;
	char kind[16];	 /* console, loop, ringbuf, tcp, unix, log, none */
	char *socket;	 /* console, unix */
	char *socket_ro; /* console */
	char *log;	 /* console, log */
	char *tcp;	 /* tcp: "127.0.0.1:PORT" */
};

/* "3", "ttyS3" or "/dev/ttyS3" -> 3; -1 if not a port name. */
int console_port_parse(const char *s);
/* The same for a command-line argument: prints the error, returns -1. */
int console_port_arg(const char *s);
/* The positional "LAB NODE [PORT]" of console/logs from argv[optind..]:
 * 0, or -1 on a usage error (the caller prints its usage; a bad PORT has
 * already been reported). */
int console_target_args(int argc, char **argv, int optind, const char **lab, const char **node,
			int *port);

struct vl_err;

/* Port @idx of @node in running lab @lab. 0, or -1 with @e set (EXIT_STATE:
 * not running; EXIT_CONFIG: no such node or port). */
int console_lookup(const char *lab, const char *node, int idx, struct port_info *pi,
		   struct vl_err *e);
void port_info_free(struct port_info *pi);

/* A serial BREAK on @node's ttyS@port in lab @lab (the supervisor's
 * "break" method: QMP chardev-send-break). 0, or -1 with @e set (the
 * supervisor's message and code: EXIT_CONFIG no such node or port,
 * EXIT_STATE the node is not running). */
int console_break(const char *lab, const char *node, int port, struct vl_err *e);

/* What to use instead of `console`/`send` for a port of another kind. */
const char *console_hint(const struct port_info *pi, char *buf, size_t len);

/* Connect to a unix stream socket; a CLOEXEC fd or -errno. */
int console_connect(const char *path);

#include "lab/lib/match.h"

/*
 * Watch @path from byte @offset until @re matches a line (the partial last
 * line included: prompts end without a newline) or @timeout_ms passes
 * (<0: forever) or lab @lab goes down (if @lab is not NULL), with a
 * line_matcher (so @echo is as there).
 * Returns 0 on a match, -ETIMEDOUT, -ESRCH (lab down) or another -errno.
 */
int log_wait_regex(const char *path, off_t offset, const regex_t *re, long long timeout_ms,
		   const char *lab, FILE *echo);

/* Print the last @lines lines of @path to stderr, indented, for a failure. */
void log_print_tail(const char *path, int lines);

#endif
