/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * serve.h - `serve = DIR [port=N]` of a [host]: the shell command that runs
 * a static HTTP server (Python's http.server) in the host's namespace,
 * beside the host's own command if it has one.
 */
#ifndef VACMLAB_SERVE_H
#define VACMLAB_SERVE_H

#include "lab/lib/topo.h"

/**
 * host_shell_command() - what `/bin/sh -c` runs for host @h
 * @python:	absolute path of python3 (only used with serve)
 *
 * Without serve: the host's command, copied. With serve and no command:
 * `exec PYTHON -m http.server ...`. With both: the server in the
 * background, then the command, then a wait (so the host lives as long
 * as either does). Paths are single-quoted for the shell.
 * Return: malloc'd, or NULL when the host has neither.
 */
char *host_shell_command(const struct host *h, const char *python);

#endif
