// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_peers.c - the whole of a lab spread over machines, seen from any
 * of them (docs/multi-machine.md, "Every machine sees the whole lab").
 *
 * This machine's supervisor answers for its part (ctl_status()). Every
 * other machine's supervisor answers for its own on a read-only TCP
 * endpoint on the machine's underlay address and [machine] port
 * (lab/sv/sv_peer.c): connect, read one JSON status, done. The merge:
 *  - every node and host gets "machine": the one it runs on;
 *  - the other machines' nodes and hosts join nodes[] and hosts[];
 *  - an address a machine's status lacks (a lease taken on the LAN's
 *    home, elsewhere) comes from the home's away[] entry of that node,
 *    whichever of the two is the home;
 *  - machines[] says which machines answered (reached) and why not
 *    (error); the nodes and hosts of a machine that did not answer are
 *    listed with state "unreachable".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

#define PEER_TIMEOUT_MS 3000

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* One machine's status over the underlay; NULL with a reason in @why. */
static json_t *peer_fetch(const char *addr, int port, char *why, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	long long deadline = now_ms() + PEER_TIMEOUT_MS;
	size_t n = 0, cap = 1 << 16;
	_cleanup_free_ char *buf = NULL;
	json_error_t je;
	json_t *j;
	int fd, e = 0;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(why, len, "bad address %s", addr);
		return NULL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS))
		e = errno;
	buf = xmalloc(cap);
	while (!e) {
		struct pollfd p = {fd, POLLIN, 0};
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			e = ETIMEDOUT;
			break;
		}
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		r = read(fd, buf + n, cap - n - 1);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				e = errno;
			continue;
		}
		n += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (e) {
		snprintf(why, len, "%s:%d: %s", addr, port, strerror(e));
		return NULL;
	}
	j = json_loadb(buf, n, 0, &je);
	if (!json_is_object(j)) {
		snprintf(why, len, "%s:%d: not a status (%s)", addr, port,
			 j ? "no object" : je.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *find_named(json_t *arr, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach (arr, i, o)
		if (name && jstr(o, SK_NAME) && !strcmp(jstr(o, SK_NAME), name))
			return o;
	return NULL;
}

/* Addresses of this machine's nodes and hosts that the LAN's home knows. */
static void fill_addrs(json_t *mine, json_t *their_away)
{
	size_t i, k;
	json_t *o, *nic;

	json_array_foreach (mine, i, o) {
		json_t *a = find_named(their_away, jstr(o, SK_NAME));
		json_t *their = json_object_get(a, SK_NICS);

		json_array_foreach (json_object_get(o, SK_NICS), k, nic) {
			json_t *t = json_array_get(their, k);

			if (!json_is_string(json_object_get(nic, SK_ADDRESS)) &&
			    json_is_string(json_object_get(t, SK_ADDRESS))) {
				json_object_set(nic, SK_ADDRESS, json_object_get(t, SK_ADDRESS));
				json_object_set(nic, SK_LEASE, json_object_get(t, SK_LEASE));
			}
		}
	}
}

static void mark(json_t *arr, const char *machine)
{
	size_t i;
	json_t *o;

	json_array_foreach (arr, i, o)
		if (!json_object_get(o, SK_MACHINE))
			json_object_set_new(o, SK_MACHINE, json_string(machine));
}

/* Merge machine @m's answer @r (stolen) into @st. */
static void merge(json_t *st, json_t *m, json_t *r)
{
	const char *name = jstr(m, SK_NAME), *here = jstr(st, SK_MACHINE);
	const char *keys[] = {SK_NODES, SK_HOSTS};
	size_t i;
	json_t *o;

	if (!jstr(r, SK_LAB) || strcmp(jstr(r, SK_LAB), jstr(st, SK_LAB) ?: "") ||
	    !jstr(r, SK_MACHINE) || strcmp(jstr(r, SK_MACHINE), name)) {
		json_object_set_new(m, SK_MACHINE_ERROR,
				    json_sprintf("answers for lab %s machine %s",
						 jstr(r, SK_LAB) ?: "?",
						 jstr(r, SK_MACHINE) ?: "?"));
		json_decref(r);
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		json_t *theirs = json_object_get(r, keys[k]), *mine = json_object_get(st, keys[k]);

		mark(theirs, name);
		/* Addresses @m lacks that this machine knows (it is the home). */
		fill_addrs(theirs, json_object_get(st, SK_AWAY));
		json_array_foreach (theirs, i, o)
			if (!find_named(mine, jstr(o, SK_NAME)))
				json_array_append(mine, o);
	}
	/* The leases of the LANs whose home @m is: this machine's nodes'. */
	{
		json_t *here_away = json_array();

		json_array_foreach (json_object_get(r, SK_AWAY), i, o)
			if (here && jstr(o, SK_MACHINE) && !strcmp(jstr(o, SK_MACHINE), here))
				json_array_append(here_away, o);
		fill_addrs(json_object_get(st, SK_NODES), here_away);
		fill_addrs(json_object_get(st, SK_HOSTS), here_away);
		json_decref(here_away);
	}
	json_object_set_new(m, SK_REACHED, json_true());
	json_decref(r);
}

/* The nodes and hosts of a machine that did not answer: named, unreachable. */
static void stubs(json_t *st, const char *machine)
{
	size_t i;
	json_t *o;

	json_array_foreach (json_object_get(st, SK_AWAY), i, o) {
		const char *kind = jstr(o, SK_KIND);
		json_t *arr =
			json_object_get(st, kind && !strcmp(kind, SKV_HOST) ? SK_HOSTS : SK_NODES);

		if (!jstr(o, SK_MACHINE) || strcmp(jstr(o, SK_MACHINE), machine) ||
		    find_named(arr, jstr(o, SK_NAME)))
			continue;
		json_array_append_new(arr, json_pack("{s:O,s:s,s:s,s:o,s:o,s:O?}", SK_NAME,
						     json_object_get(o, SK_NAME), SK_MACHINE,
						     machine, SK_STATE, SKV_UNREACHABLE, SK_DNS,
						     json_sprintf("%s.%s", jstr(o, SK_NAME),
								  jstr(st, SK_DOMAIN) ?: ""),
						     SK_CONSOLE, json_null(), SK_NICS,
						     json_object_get(o, SK_NICS)));
	}
}

json_t *ctl_status_all(const char *lab, struct vl_err *e)
{
	json_t *st = ctl_status(lab, e), *m;
	const char *here;
	size_t i;

	if (!st || !(here = jstr(st, SK_MACHINE)))
		return st;
	mark(json_object_get(st, SK_NODES), here);
	mark(json_object_get(st, SK_HOSTS), here);
	json_array_foreach (json_object_get(st, SK_MACHINES), i, m) {
		char why[256];
		json_t *r;

		if (json_is_true(json_object_get(m, SK_HERE)))
			continue;
		json_object_set_new(m, SK_REACHED, json_false());
		r = peer_fetch(jstr(m, SK_ADDRESS) ?: "",
			       (int)json_integer_value(json_object_get(m, SK_PORT)), why,
			       sizeof(why));
		if (r)
			merge(st, m, r);
		else
			json_object_set_new(m, SK_MACHINE_ERROR, json_string(why));
		if (!json_is_true(json_object_get(m, SK_REACHED)))
			stubs(st, jstr(m, SK_NAME));
	}
	return st;
}

int where_is(json_t *st, const char *name, struct vl_err *e)
{
	size_t i;
	json_t *o, *m;

	json_array_foreach (json_object_get(st, SK_AWAY), i, o) {
		if (!jstr(o, SK_NAME) || strcmp(jstr(o, SK_NAME), name))
			continue;
		m = find_named(json_object_get(st, SK_MACHINES), jstr(o, SK_MACHINE));
		return vl_fail(e, EXIT_STATE,
			       "%s %s is on machine %s (%s), not on this one (%s): run this there",
			       jstr(o, SK_KIND) ?: "node", name, jstr(o, SK_MACHINE) ?: "?",
			       jstr(m, SK_ADDRESS) ?: "?", jstr(st, SK_MACHINE) ?: "?");
	}
	return 0;
}
