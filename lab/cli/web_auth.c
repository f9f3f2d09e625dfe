// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web_auth.c - who `vacmlab web` serves: the holder of its token (in the
 * URL printed at start, then in an HttpOnly, SameSite=Strict cookie), on
 * a Host name that is ours, from no other origin. The rules are pure
 * functions of the request's headers, so tests/unit/test_web_auth.c
 * checks them without a server.
 *
 * Why each check: the token keeps out other local users and any page the
 * browser runs (it cannot read our cookie nor guess 128 bits); the Host
 * check keeps out DNS rebinding (a hostile name resolved to 127.0.0.1
 * would make us same-origin with the attacker's page, but its requests
 * carry the attacker's Host); the Origin check refuses a request a page
 * of another origin makes even where a browser would send the cookie.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/web.h"
#include "lab/lib/util.h"

int web_token_new(struct web_auth *a)
{
	unsigned char b[WEB_TOKEN_BYTES];
	ssize_t n;

	/* Blocking until the pool is ready: a token must not be guessable. */
	while ((n = getrandom(b, sizeof(b), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(b))
		return n < 0 ? -errno : -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(a->token + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static void add_host(struct web_auth *a, const char *addr, unsigned port)
{
	char h[80];

	if (a->n_hosts >= (int)(sizeof(a->hosts) / sizeof(a->hosts[0])))
		return;
	snprintf(h, sizeof(h), "%s:%u", addr, port);
	for (int i = 0; i < a->n_hosts; i++)
		if (!strcmp(a->hosts[i], h))
			return;
	snprintf(a->hosts[a->n_hosts++], sizeof(a->hosts[0]), "%s", h);
}

void web_hosts_set(struct web_auth *a, const char *addr, unsigned port)
{
	a->n_hosts = 0;
	add_host(a, "127.0.0.1", port);
	add_host(a, "localhost", port);
	add_host(a, "[::1]", port);
	add_host(a, addr, port);
}

bool web_host_ok(const struct web_auth *a, const char *host)
{
	if (!host)
		return false;
	for (int i = 0; i < a->n_hosts; i++)
		if (!strcasecmp(host, a->hosts[i]))
			return true;
	return false;
}

bool web_origin_ok(const struct web_auth *a, const char *origin)
{
	if (!origin)
		return true; /* not a cross-origin request of a browser */
	if (strncmp(origin, "http://", 7))
		return false; /* "null", https:, file:, another scheme */
	return web_host_ok(a, origin + 7);
}

bool web_token_ok(const struct web_auth *a, const char *given)
{
	unsigned char d = 0;

	if (!given || strlen(given) != WEB_TOKEN_LEN || !a->token[0])
		return false;
	/* Constant time: every byte compared whatever the first difference. */
	for (size_t i = 0; i < WEB_TOKEN_LEN; i++)
		d |= (unsigned char)(given[i] ^ a->token[i]);
	return d == 0;
}

void web_cookie(const struct web_auth *a, char *out, size_t len)
{
	snprintf(out, len, "%s=%s; Path=/; HttpOnly; SameSite=Strict", WEB_COOKIE, a->token);
}

char *web_token_file(const char *dir, unsigned port, const char *url)
{
	char *path = xasprintf("%s/web-%u.url", dir, port);
	int fd;

	/* A file left by a server that died on this port is stale: the port
	 * is ours now. O_EXCL|O_NOFOLLOW: never write through a planted link. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_err("creating %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	if (dprintf(fd, "%s\n", url) < 0 || fchmod(fd, 0600) < 0) {
		msg_err("writing %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}
