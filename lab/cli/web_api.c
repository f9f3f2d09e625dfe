// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web_api.c - what the page reads and does: every shown lab's status (a
 * control call "status" per lab, as `vacmlab status --json`), streamed as
 * server-sent events, and the actions, each run as the vacmlab verb it is
 * (`node stop|start|restart`, `link down|up`, `restore`), so the page
 * answers with exactly the verb's message and exit status and no rule of
 * a verb is written twice.
 *
 * Why SSE for the status: one direction is all it needs, it is plain
 * HTTP (the same token/cookie/origin checks as any request), and the
 * browser reconnects by itself. The stream sends the whole status when it
 * changed, checked once a second (a lab's status is a few KiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lab/cli/client.h"
#include "lab/cli/web.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

extern char **environ;

static char **shown; /* NULL: every running lab */
static int n_shown;
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
/* The NIC link states this page set ("LAB/NODE[:ethN]" -> "down"|"up"):
 * the page prefers the status's nics[].link, which the supervisor keeps
 * (this machine's NICs); these cover another machine's. */
static json_t *links;
static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;

void web_labs_set(char **labs, int n)
{
	shown = labs;
	n_shown = n;
	links = json_object();
}

bool web_lab_allowed(const char *lab)
{
	if (!lab || lab_name_check(lab))
		return false;
	if (!shown)
		return true; /* any of this user's labs: ctl_call() says if it is up */
	for (int i = 0; i < n_shown; i++)
		if (!strcmp(shown[i], lab))
			return true;
	return false;
}

json_t *web_status(const char *lab, struct vl_err *e)
{
	json_t *st;

	/* ctl_status() adds each node's firmware with strtok(): one at a time. */
	pthread_mutex_lock(&status_lock);
	st = ctl_status(lab, e);
	pthread_mutex_unlock(&status_lock);
	return st;
}

json_t *web_status_all(void)
{
	json_t *out = json_object(), *arr = json_array();
	char **all = shown ? NULL : lab_list();
	char **v = shown ? shown : all;
	int n = shown ? n_shown : 0;

	if (!shown)
		while (all[n])
			n++;
	for (int i = 0; i < n; i++) {
		struct vl_err e = {0};
		json_t *st;

		if (lab_name_check(v[i]))
			continue;
		st = web_status(v[i], &e);
		/* A lab in the list that is down says so, unless it was only a
		 * leftover directory in the runtime base. */
		if (!st && !shown)
			continue;
		if (!st)
			st = json_pack("{s:s,s:s}", SK_LAB, v[i], "error", e.msg);
		json_array_append_new(arr, st);
	}
	for (int i = 0; all && all[i]; i++)
		free(all[i]);
	free(all);
	json_object_set_new(out, "labs", arr);
	pthread_mutex_lock(&links_lock);
	json_object_set_new(out, "links", json_deep_copy(links));
	pthread_mutex_unlock(&links_lock);
	return out;
}

/* ---- the status stream */

static atomic_bool stopping;

void web_stop(void)
{
	atomic_store(&stopping, true);
}

bool web_stopping(void)
{
	return atomic_load(&stopping);
}

struct events {
	char *last; /* the status last sent */
	char *pend; /* what is left to send */
	size_t off, len;
	long long next; /* when to look again */
};

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct events *ev = cls;
	size_t k;

	while (ev->off >= ev->len) {
		long long wait = ev->next - now_ms();
		json_t *st;
		char *s;

		if (atomic_load(&stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Thread per connection: this thread may sleep (MHD's rule). */
		if (wait > 0)
			nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000}, NULL);
		ev->next = now_ms() + 1000;
		st = web_status_all();
		s = json_dumps(st, JSON_COMPACT);
		json_decref(st);
		free(ev->pend);
		ev->off = 0;
		if (ev->last && !strcmp(ev->last, s)) {
			/* Unchanged: a comment, which also finds a closed peer. */
			free(s);
			ev->pend = xstrdup(":\n\n");
		} else {
			free(ev->last);
			ev->last = s;
			ev->pend = xasprintf("event: status\ndata: %s\n\n", s);
		}
		ev->len = strlen(ev->pend);
	}
	k = ev->len - ev->off < max ? ev->len - ev->off : max;
	memcpy(buf, ev->pend + ev->off, k);
	ev->off += k;
	return (ssize_t)k;
}

static void events_free(void *cls)
{
	struct events *ev = cls;

	free(ev->last);
	free(ev->pend);
	free(ev);
}

struct MHD_Response *web_events_response(void)
{
	struct events *ev = xcalloc(1, sizeof(*ev));

	return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, events_read, ev,
						 events_free);
}

/* ---- actions */

/* A node, host or NODE:ethN as a verb's argument: letters, digits and
 * "_.:-", not starting with '-' (never an option). The verb checks the
 * rest (does the node exist). */
static bool target_ok(const char *s)
{
	if (!s || !*s || *s == '-' || strlen(s) > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") ==
	       strlen(s);
}

/* Run @argv (@argv[0] this program) with the server's environment (the
 * runtime dir variables say where the labs are); its stdout and stderr in
 * *@out. Its exit status, or -1 with the reason in *@out. */
static int run_verb(char *const *argv, char **out)
{
	struct spawn_opts o = {
		.name = "vacmlab", .path = argv[0], .argv = argv, .envp = environ, .stdin_fd = -1};
	struct vl_err e = {0};
	size_t len = 0, cap = 4096;
	int p[2], st;
	pid_t pid;

	*out = xcalloc(1, cap);
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(*out);
		*out = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	o.stdout_fd = o.stderr_fd = p[1];
	pid = spawn(&o, NULL, &e);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		free(*out);
		*out = xstrdup(e.msg);
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 1024 && cap < (1 << 20)) {
			cap *= 2;
			*out = xrealloc(*out, cap);
		}
		n = read(p[0], *out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	(*out)[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void link_record(const char *lab, const char *target, const char *op)
{
	char *key = xasprintf("%s/%s", lab, target);

	pthread_mutex_lock(&links_lock);
	if (!strchr(target, ':')) {
		/* Every NIC of the node: what was said of one NIC is past. */
		char *pre = xasprintf("%s:", key);
		const char *k;
		void *tmp;
		json_t *v;

		json_object_foreach_safe(links, tmp, k, v) if (!strncmp(k, pre, strlen(pre)))
			json_object_del(links, k);
		free(pre);
	}
	json_object_set_new(links, key, json_string(op));
	pthread_mutex_unlock(&links_lock);
	free(key);
}

json_t *web_action(const char *exe, json_t *req, struct vl_err *e)
{
	const char *lab = json_string_value(json_object_get(req, "lab" /* not status */));
	const char *verb = json_string_value(json_object_get(req, "verb"));
	const char *op = json_string_value(json_object_get(req, "op"));
	const char *target = json_string_value(json_object_get(req, "target"));
	const char *snap = json_string_value(json_object_get(req, "snapshot"));
	const char *argv[10] = {exe};
	char *out = NULL;
	int n = 1, rc;
	json_t *rep;

	if (!web_lab_allowed(lab)) {
		vl_fail(e, EXIT_CONFIG, "bad or unknown lab");
		return NULL;
	}
	if (verb && !strcmp(verb, "node")) {
		if (!op || (strcmp(op, "stop") && strcmp(op, "start") && strcmp(op, "restart"))) {
			vl_fail(e, EXIT_CONFIG, "node: op must be stop, start or restart");
			return NULL;
		}
	} else if (verb && !strcmp(verb, "link")) {
		if (!op || (strcmp(op, "down") && strcmp(op, "up"))) {
			vl_fail(e, EXIT_CONFIG, "link: op must be down or up");
			return NULL;
		}
	} else if (verb && !strcmp(verb, "restore")) {
		if (snap && !target_ok(snap)) {
			vl_fail(e, EXIT_CONFIG, "restore: bad snapshot name");
			return NULL;
		}
	} else {
		vl_fail(e, EXIT_CONFIG, "verb must be node, link or restore");
		return NULL;
	}
	if (strcmp(verb, "restore") && !target_ok(target)) {
		vl_fail(e, EXIT_CONFIG, "%s: bad target", verb);
		return NULL;
	}
	/* "--": nothing after it is an option, whatever it holds. */
	argv[n++] = verb;
	argv[n++] = "--";
	if (strcmp(verb, "restore")) {
		argv[n++] = op;
		argv[n++] = lab;
		argv[n++] = target;
	} else {
		argv[n++] = lab;
		if (snap)
			argv[n++] = snap;
	}
	rc = run_verb((char *const *)argv, &out);
	if (rc == 0 && !strcmp(verb, "link"))
		link_record(lab, target, op);
	rep = json_pack("{s:b,s:i,s:s}", "ok", rc == 0, "code", rc, "output", out);
	free(out);
	return rep;
}
