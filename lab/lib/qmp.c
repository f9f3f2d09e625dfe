// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp.c - QMP client: line-delimited JSON over a unix socket, every read
 * bounded by a deadline. qmp_parse_msg() is the one place a line from QEMU
 * is interpreted (tests/fuzz/fuzz_qmp.c).
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

enum qmp_msg_kind qmp_parse_msg(const char *buf, size_t len, struct qmp_msg *m)
{
	json_error_t je;
	json_t *v;

	memset(m, 0, sizeof(*m));
	m->root = json_loadb(buf, len, 0, &je);
	if (!m->root) {
		snprintf(m->text, sizeof(m->text), "bad JSON from QEMU: %s", je.text);
		return m->kind = QMP_MSG_BAD;
	}
	if (!json_is_object(m->root)) {
		snprintf(m->text, sizeof(m->text), "bad message from QEMU: not a JSON object");
		json_decref(m->root);
		m->root = NULL;
		return m->kind = QMP_MSG_BAD;
	}
	v = json_object_get(m->root, "id");
	if (json_is_integer(v)) {
		m->has_id = true;
		m->id = json_integer_value(v);
	}
	/* The order the supervisor dispatched in before this was shared. */
	if (json_object_get(m->root, "QMP"))
		return m->kind = QMP_MSG_GREETING;
	if ((m->event = json_string_value(json_object_get(m->root, "event")))) {
		m->value = json_object_get(m->root, "data");
		return m->kind = QMP_MSG_EVENT;
	}
	if ((v = json_object_get(m->root, "return"))) {
		m->value = v;
		return m->kind = QMP_MSG_RETURN;
	}
	if ((v = json_object_get(m->root, "error"))) {
		const char *d = json_string_value(json_object_get(v, "desc"));
		const char *c = json_string_value(json_object_get(v, "class"));

		/* Never an empty reason (fuzz_qmp found {"desc": ""}). */
		if (!d || !d[0])
			d = c && c[0] ? c : "QMP error without a description";
		snprintf(m->text, sizeof(m->text), "%s", d);
		return m->kind = QMP_MSG_ERROR;
	}
	return m->kind = QMP_MSG_OTHER;
}

void qmp_msg_free(struct qmp_msg *m)
{
	json_decref(m->root);
	m->root = m->value = NULL;
	m->event = NULL;
}

bool qmp_msg_is_event(const struct qmp_msg *m, const char *event, const char *key,
		      const char *value)
{
	const char *v;

	if (m->kind != QMP_MSG_EVENT || strcmp(m->event, event))
		return false;
	if (!key)
		return true;
	v = json_string_value(json_object_get(m->value, key));
	return v && !strcmp(v, value);
}

/* Read one message within the deadline. 0, or -1 with the reason. */
static int read_msg(struct qmp *q, struct qmp_msg *m, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;

			qmp_parse_msg(q->buf, n, m);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (m->kind == QMP_MSG_BAD) {
				snprintf(err, errlen, "QMP: %s", m->text);
				return -1;
			}
			return 0;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(err, errlen, "QMP: message too long");
			return -1;
		}
		long long left = q->deadline - now_ms();
		struct pollfd p = {.fd = q->fd, .events = POLLIN};

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "QMP: timed out waiting for QEMU");
			return -1;
		}
		ssize_t r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "QMP: connection closed by QEMU");
			return -1;
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
	struct qmp_msg greet;
	struct qmp *q;

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
	if (read_msg(q, &greet, err, errlen) < 0) {
		qmp_close(q);
		return NULL;
	}
	if (greet.kind != QMP_MSG_GREETING) {
		snprintf(err, errlen, "QMP: no greeting from %s", path);
		qmp_msg_free(&greet);
		qmp_close(q);
		return NULL;
	}
	qmp_msg_free(&greet);
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
		struct qmp_msg m;

		if (read_msg(q, &m, err, errlen) < 0)
			return -1;
		switch (m.kind) {
		case QMP_MSG_RETURN:
			if (ret)
				*ret = json_incref(m.value);
			qmp_msg_free(&m);
			return 0;
		case QMP_MSG_ERROR:
			snprintf(err, errlen, "QMP %s: %s", cmd, m.text);
			qmp_msg_free(&m);
			return -1;
		case QMP_MSG_BAD:
		case QMP_MSG_GREETING:
		case QMP_MSG_EVENT:
		case QMP_MSG_OTHER: qmp_msg_free(&m); break; /* events: skipped */
		}
	}
}

int qmp_wait_event(struct qmp *q, const char *event, const char *key, const char *value,
		   json_t **data, int timeout_ms)
{
	char err[256];

	q->deadline = now_ms() + timeout_ms;
	for (;;) {
		struct qmp_msg m;

		if (read_msg(q, &m, err, sizeof(err)) < 0)
			return -1;
		if (qmp_msg_is_event(&m, event, key, value)) {
			if (data)
				*data = json_incref(m.value);
			qmp_msg_free(&m);
			return 0;
		}
		qmp_msg_free(&m);
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
