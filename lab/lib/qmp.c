// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp.c - QMP client: line-delimited JSON over a unix socket, every read
 * bounded by a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/lib/qmp.h"
#include "lab/lib/util.h"

struct qmp {
	int fd;
	char buf[65536];
	size_t len;
	long long deadline;
};

static json_t *read_msg(struct qmp *q, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			json_error_t je;
			size_t n = (size_t)(nl - q->buf) + 1;
			json_t *j = json_loadb(q->buf, n, 0, &je);

			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (!j) {
				snprintf(err, errlen, "QMP: bad JSON from QEMU: %s", je.text);
				return NULL;
			}
			return j;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(err, errlen, "QMP: message too long");
			return NULL;
		}
		long long left = q->deadline - now_ms();
		struct pollfd p = {.fd = q->fd, .events = POLLIN};

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "QMP: timed out waiting for QEMU");
			return NULL;
		}
		ssize_t r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "QMP: connection closed by QEMU");
			return NULL;
		}
		q->len += (size_t)r;
	}
}

static int send_json(struct qmp *q, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	int r;

	if (!s)
		return -ENOMEM;
	r = write_all(q->fd, s, strlen(s));
	if (!r)
		r = write_all(q->fd, "\n", 1);
	free(s);
	return r;
}

struct qmp *qmp_open(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct qmp *q;
	json_t *greet;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "QMP socket path too long: %s", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	q = xcalloc(1, sizeof(*q));
	q->deadline = now_ms() + timeout_ms;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "QMP: connecting to %s: %s", path, strerror(errno));
		qmp_close(q);
		return NULL;
	}
	greet = read_msg(q, err, errlen);
	if (!greet || !json_object_get(greet, "QMP")) {
		if (greet)
			snprintf(err, errlen, "QMP: no greeting from %s", path);
		json_decref(greet);
		qmp_close(q);
		return NULL;
	}
	json_decref(greet);
	if (qmp_exec(q, "qmp_capabilities", NULL, NULL, err, errlen) < 0) {
		qmp_close(q);
		return NULL;
	}
	return q;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, char *err, size_t errlen)
{
	json_t *msg = json_pack("{s:s}", "execute", cmd);
	int r;

	if (args)
		json_object_set_new(msg, "arguments", args);
	if (q->deadline < now_ms() + 1000)
		q->deadline = now_ms() + 10000;
	r = send_json(q, msg);
	json_decref(msg);
	if (r) {
		snprintf(err, errlen, "QMP: sending %s: %s", cmd, strerror(-r));
		return -1;
	}
	for (;;) {
		json_t *m = read_msg(q, err, errlen), *v;

		if (!m)
			return -1;
		if ((v = json_object_get(m, "return"))) {
			if (ret)
				*ret = json_incref(v);
			json_decref(m);
			return 0;
		}
		if ((v = json_object_get(m, "error"))) {
			const char *d = json_string_value(json_object_get(v, "desc"));

			snprintf(err, errlen, "QMP %s: %s", cmd, d ? d : "error");
			json_decref(m);
			return -1;
		}
		json_decref(m); /* an event */
	}
}

int qmp_wait_event(struct qmp *q, const char *event, const char *key, const char *value,
		   json_t **data, int timeout_ms)
{
	char err[256];

	q->deadline = now_ms() + timeout_ms;
	for (;;) {
		json_t *m = read_msg(q, err, sizeof(err));
		const char *ev;
		json_t *d;

		if (!m)
			return -1;
		ev = json_string_value(json_object_get(m, "event"));
		d = json_object_get(m, "data");
		if (ev && !strcmp(ev, event) &&
		    (!key || (json_string_value(json_object_get(d, key)) &&
			      !strcmp(json_string_value(json_object_get(d, key)), value)))) {
			if (data)
				*data = json_incref(d);
			json_decref(m);
			return 0;
		}
		json_decref(m);
	}
}

int qmp_oneshot(const char *path, const char *cmd, json_t *args, json_t **ret, char *err,
		size_t errlen, int timeout_ms)
{
	struct qmp *q = qmp_open(path, timeout_ms, err, errlen);
	int r;

	if (!q) {
		json_decref(args);
		return -1;
	}
	r = qmp_exec(q, cmd, args, ret, err, errlen);
	qmp_close(q);
	return r;
}
