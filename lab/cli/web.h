/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * web.h - `vacmlab web`'s parts (docs/web.md): the request's right to be
 * served (web_auth.c), the status stream and the actions (web_api.c), the
 * consoles (web_console.c); cmd_web.c holds the server and the routes.
 * Every part talks to a lab as the CLI does: its control socket and its
 * console sockets, never anything else.
 */
#ifndef VACMLAB_WEB_H
#define VACMLAB_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct vl_err;

struct MHD_Connection;
struct MHD_Response;

/* 128 bits of getrandom(), as 32 hex digits. */
#define WEB_TOKEN_BYTES 16
#define WEB_TOKEN_LEN (2 * WEB_TOKEN_BYTES)
#define WEB_COOKIE "vacmlab_token"

/* What every request is checked against, set once before the server runs. */
struct web_auth {
	char token[WEB_TOKEN_LEN + 1];
	/* The Host values a request may carry (and the origins, "http://" +
	 * each): 127.0.0.1:PORT, localhost:PORT, [::1]:PORT and the --listen
	 * address itself. */
	char hosts[4][80];
	int n_hosts;
};

/* ---- web_auth.c: no I/O but getrandom(), so unit tests reach all of it */

/* A fresh token in @a->token. 0, or -errno. */
int web_token_new(struct web_auth *a);
/* The allowed Host values for listening address @addr (as given, IPv6 in
 * brackets) and port @port. */
void web_hosts_set(struct web_auth *a, const char *addr, unsigned port);
/* Whether @host (the Host header) is one of them: not a name some other
 * site's DNS points at us (DNS rebinding). NULL is refused. */
bool web_host_ok(const struct web_auth *a, const char *host);
/* Whether @origin (the Origin header) is absent or "http://" + an allowed
 * host: a page of another origin is refused even with the cookie. */
bool web_origin_ok(const struct web_auth *a, const char *origin);
/* Whether @given is the token, compared in constant time. NULL is not. */
bool web_token_ok(const struct web_auth *a, const char *given);
/* The Set-Cookie value that carries the token (HttpOnly, SameSite=Strict). */
void web_cookie(const struct web_auth *a, char *out, size_t len);
/* Write @url to DIR/web-PORT.url, 0600, ours: the file a script reads the
 * URL (token) from. Its malloc'd path, or NULL after a message. */
char *web_token_file(const char *dir, unsigned port, const char *url);

/* ---- web_api.c */

/* The labs the page shows: @labs (checked names) or, if @n is 0, every
 * running lab of this user at each look. */
void web_labs_set(char **labs, int n);
/* Whether @lab obeys the name rule and is one the page shows. */
bool web_lab_allowed(const char *lab);
/* This user's labs' status, {"labs":[STATUS...],"links":{...}}; a lab that
 * cannot answer is {"lab":NAME,"error":WHY}. */
json_t *web_status_all(void);
/* The status of one lab, or NULL with @e set (ctl_status(), serialised:
 * its reader is not thread-safe). */
json_t *web_status(const char *lab, struct vl_err *e);
/* Every stream ends at its next turn (the server is stopping). */
void web_stop(void);
bool web_stopping(void);
/* A response that streams the status as server-sent events ("status"
 * events, once a second when it changed). */
struct MHD_Response *web_events_response(void);
/* Run the action described by @req (JSON: lab, verb, op, target,
 * snapshot) as the vacmlab verb it names, @exe being this program.
 * Returns the reply {"ok","code","output"} (HTTP 200), or NULL with
 * @e for a request that is refused before anything runs (HTTP 400). */
json_t *web_action(const char *exe, json_t *req, struct vl_err *e);

/* ---- web_console.c */

/* A response streaming ttyS@port of @node of @lab as server-sent events
 * ("open" with the session id, then "data" events of base64 bytes: the
 * supervisor's replay first), or NULL with @e set. */
struct MHD_Response *web_console_response(const char *lab, const char *node, int port,
					  struct vl_err *e);
/* Write @len bytes to console session @id. 0, or -1 with @e set. */
int web_console_input(const char *id, const char *data, size_t len, struct vl_err *e);

#endif
