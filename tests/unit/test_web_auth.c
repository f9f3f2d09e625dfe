// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_web_auth.c - the gate of `vacmlab web` (lab/cli/web_auth.c): the
 * token (fresh, 128 bits, compared whole), the Host values a request may
 * carry (DNS rebinding), the origins, the cookie's attributes and the
 * token file's mode.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/web.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

int main(void)
{
	struct web_auth a = {0}, b = {0};
	char tok[WEB_TOKEN_LEN + 1], cookie[200], dir[] = "/tmp/test_web_auth.XXXXXX";
	char *path;
	struct stat st;

	ok(web_token_new(&a) == 0 && strlen(a.token) == 32 &&
		   strspn(a.token, "0123456789abcdef") == 32,
	   "token: 32 hex digits (128 bits)");
	ok(web_token_new(&b) == 0 && strcmp(a.token, b.token), "two tokens differ");
	ok(web_token_ok(&a, a.token), "the token itself is accepted");
	memcpy(tok, a.token, sizeof(tok));
	tok[WEB_TOKEN_LEN - 1] ^= 1;
	ok(!web_token_ok(&a, tok), "one bit off: refused");
	tok[WEB_TOKEN_LEN - 1] = '\0';
	ok(!web_token_ok(&a, tok), "a prefix: refused");
	ok(!web_token_ok(&a, NULL) && !web_token_ok(&a, ""), "none or empty: refused");
	{
		struct web_auth z = {0};

		ok(!web_token_ok(&z, ""), "a server without a token accepts nothing");
	}

	web_hosts_set(&a, "127.0.0.1", 8080);
	ok(web_host_ok(&a, "127.0.0.1:8080") && web_host_ok(&a, "localhost:8080") &&
		   web_host_ok(&a, "LOCALHOST:8080") && web_host_ok(&a, "[::1]:8080"),
	   "Host: the loopback names with our port");
	ok(!web_host_ok(&a, "127.0.0.1:8081"), "Host: another port refused");
	ok(!web_host_ok(&a, "evil.example:8080") && !web_host_ok(&a, "127.0.0.1.evil.example:8080"),
	   "Host: another name (DNS rebinding) refused");
	ok(!web_host_ok(&a, "127.0.0.1") && !web_host_ok(&a, NULL),
	   "Host: no port, or none: refused");
	web_hosts_set(&a, "192.0.2.7", 9000);
	ok(web_host_ok(&a, "192.0.2.7:9000"), "Host: the --listen address itself");

	web_hosts_set(&a, "127.0.0.1", 8080);
	ok(web_origin_ok(&a, NULL), "Origin: absent is not cross-origin");
	ok(web_origin_ok(&a, "http://127.0.0.1:8080") && web_origin_ok(&a, "http://localhost:8080"),
	   "Origin: our own");
	ok(!web_origin_ok(&a, "http://evil.example") && !web_origin_ok(&a, "null") &&
		   !web_origin_ok(&a, "https://127.0.0.1:8080") &&
		   !web_origin_ok(&a, "http://127.0.0.1:8081") && !web_origin_ok(&a, ""),
	   "Origin: another site, null, another scheme or port: refused");

	web_cookie(&a, cookie, sizeof(cookie));
	ok(strstr(cookie, "vacmlab_token=") == cookie && strstr(cookie, a.token) &&
		   strstr(cookie, "; HttpOnly") && strstr(cookie, "; SameSite=Strict"),
	   "cookie: the token, HttpOnly, SameSite=Strict (%s)", cookie);

	if (!mkdtemp(dir))
		return 1;
	path = web_token_file(dir, 8080, "http://127.0.0.1:8080/?token=x");
	ok(path && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "token file: mode 0600");
	if (path) {
		/* A planted symlink in its place is not written through. */
		char target[300];

		unlink(path);
		snprintf(target, sizeof(target), "%s/target", dir);
		symlink(target, path);
		free(web_token_file(dir, 8080, "u"));
		ok(access(target, F_OK) != 0,
		   "token file: a planted symlink is replaced, not followed");
		unlink(path);
		free(path);
	}
	rmdir(dir);
	return done_testing();
}
