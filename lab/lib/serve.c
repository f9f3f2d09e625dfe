// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * serve.c - the static file server of a [host] (`serve = DIR`).
 *
 * Python's http.server, not busybox httpd: it serves files only (GET and
 * HEAD; busybox httpd runs anything under cgi-bin/ of the served tree),
 * takes its root and address as arguments (no config file to write), and
 * logs every request to stderr in the common log format, which lands in
 * the host's log (`vacmlab logs LAB HOST`). python3 is already one of
 * vacmlab's dependencies (the pytest plugin, the test helpers). -u keeps
 * the log unbuffered so a test sees a request as it happens.
 */
#include <string.h>

#include "lab/lib/serve.h"
#include "lab/lib/util.h"

/* @s in single quotes for sh: ' becomes '\'' */
static char *sh_quote(const char *s)
{
	size_t n = 2;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	out = o = xmalloc(n + 1);
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = 0;
	return out;
}

char *host_shell_command(const struct host *h, const char *python)
{
	_cleanup_free_ char *py = NULL, *dir = NULL, *server = NULL;

	if (!h->serve_dir)
		return h->command ? xstrdup(h->command) : NULL;
	py = sh_quote(python);
	dir = sh_quote(h->serve_dir);
	server = xasprintf("%s -u -m http.server --bind 0.0.0.0 --directory %s %d", py, dir,
			   h->serve_port);
	if (!h->command)
		return xasprintf("exec %s", server);
	return xasprintf("%s &\n%s\nwait", server, h->command);
}
