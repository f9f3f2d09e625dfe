// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_web.c - `vacmlab web [--listen ADDR:PORT] [LAB...]`: a local page
 * with this user's labs drawn, their states live, consoles and actions
 * (docs/web.md). The server is libmicrohttpd, a thread per connection
 * (status and console streams block in their own thread); this file holds
 * the options, the routes and the one gate every request passes
 * (web_auth.c's rules); web_api.c and web_console.c do the work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/cli/console.h"
#include "lab/cli/web.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

#ifndef VACMLAB_DATADIR
#define VACMLAB_DATADIR "/usr/local/share/vacmlab"
#endif

#define BODY_MAX (64 * 1024)

static struct web_auth auth;
static char webdir[PATH_MAX];
static char exe[PATH_MAX];

/* The page's files: a fixed list, so no request names a path. */
static const struct {
	const char *url, *file, *type;
} statics[] = {
	{"/", "index.html", "text/html; charset=utf-8"},
	{"/app.js", "app.js", "text/javascript"},
	{"/app.css", "app.css", "text/css"},
	{"/xterm/xterm.js", "xterm/xterm.js", "text/javascript"},
	{"/xterm/xterm.css", "xterm/xterm.css", "text/css"},
};

static void web_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab web [--listen ADDR:PORT] [LAB...]\n"
		   "Serve a page with the labs (every running one without LAB): drawn, live,\n"
		   "with consoles and actions. Loopback only unless --listen says otherwise\n"
		   "(default 127.0.0.1:0, a free port); open the URL printed, which carries\n"
		   "the access token (also in the runtime dir's web-PORT.url, 0600).\n");
}

/* Where the page's files are: $VACMLAB_WEB_DIR, else web/ beside the build
 * dir of a binary run from the source tree, else DATADIR/web. */
static int find_webdir(void)
{
	const char *env = getenv("VACMLAB_WEB_DIR");
	char probe[PATH_MAX + 32], dir[PATH_MAX];
	ssize_t n;

	/* This program, which the page's actions run as their verb. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if (env && *env) {
		snprintf(webdir, sizeof(webdir), "%s", env);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", exe);
	snprintf(probe, sizeof(probe), "%s/../web/index.html", dirname(dir));
	if (access(probe, R_OK) == 0) {
		probe[strlen(probe) - strlen("/index.html")] = '\0';
		snprintf(webdir, sizeof(webdir), "%s", probe);
	} else {
		snprintf(webdir, sizeof(webdir), "%s/web", VACMLAB_DATADIR);
	}
	return 0;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
				 const char *type)
{
	enum MHD_Result ret;

	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; style-src 'self' 'unsafe-inline'; "
				"frame-ancestors 'none'");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

	return send_resp(c, status, r, "text/plain; charset=utf-8");
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);

	json_decref(j);
	return send_resp(c, status, r, "application/json");
}

static enum MHD_Result send_file(struct MHD_Connection *c, const char *file, const char *type)
{
	char path[PATH_MAX + 64];
	struct MHD_Response *r;
	struct stat sb;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", webdir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	return send_resp(c, MHD_HTTP_OK, r, type);
}

/* The gate: our Host, no foreign Origin, the token (query) or its cookie.
 * *@by_query: the token came in the URL (the page then trades it for the
 * cookie). */
static bool allowed(struct MHD_Connection *c, bool *by_query)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	const char *ck = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_COOKIE);

	*by_query = web_token_ok(&auth, q);
	return web_host_ok(&auth, host) && web_origin_ok(&auth, origin) &&
	       (*by_query || web_token_ok(&auth, ck));
}

struct body {
	char *buf;
	size_t len;
	bool too_big;
};

static enum MHD_Result route_post(struct MHD_Connection *c, const char *url, struct body *b)
{
	struct vl_err e = {0};

	if (b->too_big)
		return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n");
	if (!strcmp(url, "/api/action")) {
		json_error_t je;
		json_t *req = json_loadb(b->buf ?: "", b->len, 0, &je), *rep;

		if (!json_is_object(req)) {
			json_decref(req);
			return send_json(c, MHD_HTTP_BAD_REQUEST,
					 json_pack("{s:b,s:s}", "ok", 0, "error", "bad JSON"));
		}
		rep = web_action(exe, req, &e);
		json_decref(req);
		if (!rep)
			return send_json(c, MHD_HTTP_BAD_REQUEST,
					 json_pack("{s:b,s:s}", "ok", 0, "error", e.msg));
		return send_json(c, MHD_HTTP_OK, rep);
	}
	if (!strcmp(url, "/api/console")) {
		const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");

		if (web_console_input(id, b->buf ?: "", b->len, &e) < 0)
			return send_text(c, MHD_HTTP_NOT_FOUND, e.msg);
		return send_text(c, MHD_HTTP_OK, "ok\n");
	}
	return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static enum MHD_Result route_get(struct MHD_Connection *c, const char *url, bool by_query)
{
	struct vl_err e = {0};

	if (!strcmp(url, "/") && by_query) {
		/* Trade the token in the URL for the cookie, and take it out of
		 * the address bar and the history. */
		struct MHD_Response *r =
			MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		char cookie[160];

		web_cookie(&auth, cookie, sizeof(cookie));
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/");
		return send_resp(c, MHD_HTTP_SEE_OTHER, r, NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(statics); i++)
		if (!strcmp(url, statics[i].url))
			return send_file(c, statics[i].file, statics[i].type);
	if (!strcmp(url, "/api/status"))
		return send_json(c, MHD_HTTP_OK, web_status_all());
	if (!strcmp(url, "/api/events"))
		return send_resp(c, MHD_HTTP_OK, web_events_response(), "text/event-stream");
	if (!strcmp(url, "/api/console")) {
		const char *lab = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lab");
		const char *node = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "node");
		const char *port = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "port");
		int idx = port ? console_port_parse(port) : 0;
		struct MHD_Response *r;

		if (!web_lab_allowed(lab) || !node || idx < 0)
			return send_text(c, MHD_HTTP_BAD_REQUEST, "bad lab, node or port\n");
		r = web_console_response(lab, node, idx, &e);
		if (!r)
			return send_text(c, MHD_HTTP_NOT_FOUND, e.msg);
		return send_resp(c, MHD_HTTP_OK, r, "text/event-stream");
	}
	return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct body *b = *con_cls;
	bool by_query;

	if (!b) {
		/* First call, headers only: the gate before any body is read. */
		if (!allowed(c, &by_query)) {
			msg_debug("web: refused %s %s", method, url);
			return send_text(c, MHD_HTTP_FORBIDDEN,
					 "forbidden: open the URL `vacmlab web` printed\n");
		}
		if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
			return route_get(c, url, by_query);
		if (strcmp(method, "POST"))
			return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST\n");
		*con_cls = xcalloc(1, sizeof(struct body));
		return MHD_YES;
	}
	if (*upload_size) {
		if (b->len + *upload_size > BODY_MAX) {
			b->too_big = true;
		} else {
			b->buf = xrealloc(b->buf, b->len + *upload_size + 1);
			memcpy(b->buf + b->len, upload_data, *upload_size);
			b->len += *upload_size;
			b->buf[b->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return route_post(c, url, b);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	if (b)
		free(b->buf);
	free(b);
	*con_cls = NULL;
}

/* Bind ADDR:PORT ("[v6]:PORT" too). The socket, or -1 after a message;
 * @addr gets the address as a Host header spells it. */
static int listen_on(const char *spec, char *addr, size_t addrlen, unsigned *port, bool *v6)
{
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	char host[64];
	char *end;
	long p;
	int fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535)
		goto bad;
	*v6 = host[0] == '[';
	if (*v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		size_t hl = strlen(host);

		if (hl < 3 || host[hl - 1] != ']')
			goto bad;
		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		host[hl - 1] = ']';
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		msg_err("listening on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(addr, addrlen, "%s", host);
	return fd;
bad:
	msg_err("bad --listen '%s': expected ADDR:PORT (127.0.0.1:8080, [::1]:8080; port 0: any)",
		spec);
	return -1;
}

static bool is_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "[::1]");
}

int cmd_web(int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *spec = "127.0.0.1:0";
	char addr[64], url[256];
	_cleanup_free_ char *base = NULL, *tokfile = NULL;
	struct MHD_Daemon *d;
	unsigned port = 0;
	bool v6 = false;
	sigset_t ss;
	int c, fd, sig;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'l': spec = optarg; break;
		case 'h': web_usage(stdout); return EXIT_OK;
		default: web_usage(stderr); return EXIT_CONFIG;
		}
	}
	for (int i = optind; i < argc; i++)
		if (lab_arg(argv[i]) != EXIT_OK)
			return EXIT_CONFIG;
	web_labs_set(argc > optind ? argv + optind : NULL, argc - optind);
	if (find_webdir() < 0) {
		msg_err("cannot find this program (/proc/self/exe): %s", strerror(errno));
		return EXIT_ENV;
	}
	if (web_token_new(&auth) < 0) {
		msg_err("getrandom: %s", strerror(errno));
		return EXIT_ENV;
	}
	fd = listen_on(spec, addr, sizeof(addr), &port, &v6);
	if (fd < 0)
		return EXIT_CONFIG;
	if (!is_loopback(addr))
		msg_warn("listening on %s: other machines can reach this page; plain HTTP, the "
			 "token alone guards it",
			 addr);
	web_hosts_set(&auth, addr, port);
	base = rundir_base();
	{
		struct vl_err e = {0};

		if (rundir_make(base, &e) < 0) {
			close(fd);
			return vl_report(&e);
		}
	}
	snprintf(url, sizeof(url), "http://%s:%u/?token=%s", is_loopback(addr) ? "127.0.0.1" : addr,
		 port, auth.token);
	if (!strcmp(addr, "[::1]"))
		snprintf(url, sizeof(url), "http://[::1]:%u/?token=%s", port, auth.token);
	tokfile = web_token_file(base, port, url);
	if (!tokfile) {
		close(fd);
		return EXIT_ENV;
	}
	/* The signals are taken by sigwait() below: blocked before MHD's
	 * threads start, so they inherit the mask. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				     (v6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
			     MHD_OPTION_END);
	if (!d) {
		msg_err("starting the web server on %s:%u failed", addr, port);
		unlink(tokfile);
		close(fd);
		return EXIT_ENV;
	}
	printf("vacmlab web: serving %s on %s\n", argc > optind ? "the labs named" : "every lab",
	       url);
	printf("(the URL is also in %s; Ctrl-C stops)\n", tokfile);
	fflush(stdout);
	while (sigwait(&ss, &sig) == 0 && sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
		;
	web_stop();
	MHD_stop_daemon(d);
	close(fd);
	unlink(tokfile);
	return EXIT_OK;
}
