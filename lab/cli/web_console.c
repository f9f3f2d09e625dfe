// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web_console.c - a node's serial console in the browser: the console
 * socket the status names (ports[].socket, the one `vacmlab console`
 * connects to) is read into server-sent events, base64 bytes in "data"
 * events (the supervisor's replay first, as for any late joiner), and
 * what the user types comes back as a POST naming the stream's session.
 *
 * Why SSE + POST rather than a WebSocket: MHD 0.9.75 upgrades a
 * connection but leaves the WebSocket framing (masking, fragments, ping,
 * close) to the application, i.e. hand-written protocol code; SSE down and
 * POST up are plain HTTP, pass the same checks as every request, and a
 * console's input is small (keystrokes and pastes). Each stream is one
 * connection to the console socket, so several consoles are open at once.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <nettle/base64.h>

#include "lab/cli/client_status.h"
#include "lab/cli/console.h"
#include "lab/cli/web.h"
#include "lab/lib/error.h"
#include "lab/lib/util.h"

#define MAX_SESSIONS 64
#define CHUNK 3072 /* bytes per event: 4096 in base64 */

struct session {
	char id[WEB_TOKEN_LEN + 1];
	int fd;
	bool open;   /* the "open" event was sent */
	bool closed; /* the guest side closed: one last event */
	char *pend;
	size_t off, len;
};

static struct session *sessions[MAX_SESSIONS];
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;

static ssize_t console_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct session *s = cls;
	size_t k;

	while (s->off >= s->len) {
		unsigned char in[CHUNK];
		struct pollfd p = {s->fd, POLLIN, 0};
		ssize_t n;
		char *b64;

		if (web_stopping() || s->closed)
			return MHD_CONTENT_READER_END_OF_STREAM;
		free(s->pend);
		s->pend = NULL;
		s->off = 0;
		if (!s->open) {
			s->open = true;
			s->pend = xasprintf("event: open\ndata: %s\n\n", s->id);
			s->len = strlen(s->pend);
			continue;
		}
		/* Thread per connection: blocking a second at most. */
		if (poll(&p, 1, 1000) <= 0) {
			s->pend = xstrdup(":\n\n");
			s->len = 3;
			continue;
		}
		n = read(s->fd, in, sizeof(in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			s->closed = true;
			s->pend = xstrdup("event: closed\ndata: \n\n");
			s->len = strlen(s->pend);
			break;
		}
		b64 = xmalloc(BASE64_ENCODE_RAW_LENGTH((size_t)n) + 1);
		base64_encode_raw((char *)b64, (size_t)n, in);
		b64[BASE64_ENCODE_RAW_LENGTH((size_t)n)] = '\0';
		s->pend = xasprintf("event: data\ndata: %s\n\n", b64);
		s->len = strlen(s->pend);
		free(b64);
	}
	k = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->pend + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static void console_free(void *cls)
{
	struct session *s = cls;

	pthread_mutex_lock(&sessions_lock);
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i] == s)
			sessions[i] = NULL;
	close(s->fd); /* under the lock: no input is written to a reused fd */
	pthread_mutex_unlock(&sessions_lock);
	free(s->pend);
	free(s);
}

/* The console socket of ttyS@port of @node, malloc'd, or NULL with @err. */
static char *console_socket(const char *lab, const char *node, int port, struct vl_err *e)
{
	json_t *st = web_status(lab, e);
	struct st_lab l;
	struct st_owner o;
	struct st_port p;
	char *path = NULL;

	if (!st)
		return NULL;
	if (!st_lab_get(st, &l) || !st_find_node(&l, node, &o))
		vl_fail(e, EXIT_STATE, "lab '%s' has no node '%s'", lab, node);
	else if (port < 0 || !st_port(&o, (size_t)port, &p))
		vl_fail(e, EXIT_STATE, "node %s has no ttyS%d", node, port);
	else if (!p.kind || strcmp(p.kind, SKV_PORT_CONSOLE) || !p.socket)
		vl_fail(e, EXIT_STATE, "%s ttyS%d is not a console port (%s)", node, port,
			p.kind ?: "?");
	else
		path = xstrdup(p.socket);
	json_decref(st);
	return path;
}

struct MHD_Response *web_console_response(const char *lab, const char *node, int port,
					  struct vl_err *e)
{
	_cleanup_free_ char *path = console_socket(lab, node, port, e);
	struct web_auth idgen = {0};
	struct MHD_Response *r;
	struct session *s;
	int fd, slot = -1;

	if (!path)
		return NULL;
	if (web_token_new(&idgen) < 0) {
		vl_fail(e, EXIT_STATE, "getrandom failed");
		return NULL;
	}
	fd = console_connect(path);
	if (fd < 0) {
		vl_fail(e, EXIT_STATE, "connecting to %s: %s", path, strerror(-fd));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	memcpy(s->id, idgen.token, sizeof(s->id));
	pthread_mutex_lock(&sessions_lock);
	for (int i = 0; i < MAX_SESSIONS && slot < 0; i++)
		if (!sessions[i])
			sessions[slot = i] = s;
	pthread_mutex_unlock(&sessions_lock);
	if (slot < 0) {
		vl_fail(e, EXIT_STATE, "too many consoles open (%d)", MAX_SESSIONS);
		close(fd);
		free(s);
		return NULL;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, console_read, s,
					      console_free);
	if (!r)
		console_free(s);
	return r;
}

int web_console_input(const char *id, const char *data, size_t len, struct vl_err *e)
{
	int rc = -1;

	if (!id || strlen(id) != WEB_TOKEN_LEN) {
		vl_fail(e, EXIT_STATE, "no such console session");
		return -1;
	}
	pthread_mutex_lock(&sessions_lock);
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = sessions[i];
		size_t off = 0;

		if (!s || strcmp(s->id, id))
			continue;
		while (off < len) {
			ssize_t n = send(s->fd, data + off, len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				vl_fail(e, EXIT_STATE, "writing to the console: %s",
					strerror(errno));
				break;
			}
			off += (size_t)n;
		}
		rc = off == len ? 0 : -1;
		goto out;
	}
	vl_fail(e, EXIT_STATE, "no such console session");
out:
	pthread_mutex_unlock(&sessions_lock);
	return rc;
}
