/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp.h - a small QMP client (QEMU Machine Protocol) over a unix socket,
 * JSON through jansson. Connections are short-lived: QEMU's monitor serves
 * one client at a time, so nobody may sit on it.
 */
#ifndef VACMLAB_QMP_H
#define VACMLAB_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct qmp;

/* What one line from QEMU's monitor is. */
enum qmp_msg_kind {
	QMP_MSG_BAD,	  /* not JSON, not an object: @text says why */
	QMP_MSG_GREETING, /* {"QMP": {...}} */
	QMP_MSG_EVENT,	  /* {"event": NAME, "data": D}: @event, @value (D or NULL) */
	QMP_MSG_RETURN,	  /* {"return": V, "id": N}: @value is V */
	QMP_MSG_ERROR,	  /* {"error": {"class", "desc"}, "id": N}: @text is desc */
	QMP_MSG_OTHER,	  /* an object of none of these shapes */
};

struct qmp_msg {
	enum qmp_msg_kind kind;
	json_t *root;	   /* the whole message (owned), NULL for BAD */
	json_t *value;	   /* borrowed from @root */
	const char *event; /* borrowed from @root */
	bool has_id;	   /* an integer "id" member (the supervisor's commands) */
	long long id;
	char text[256];
};

/**
 * qmp_parse_msg() - classify one message from QEMU (no I/O: fuzzed); the
 * supervisor (sv_qmp.c) and the client below both read QEMU through it
 * @buf, @len:	one line, with or without its newline; need not be
 *		NUL-terminated
 * @m:		filled in; release with qmp_msg_free()
 *
 * Returns @m->kind.
 */
enum qmp_msg_kind qmp_parse_msg(const char *buf, size_t len, struct qmp_msg *m);
void qmp_msg_free(struct qmp_msg *m);
/* true if @m is event @event whose data has string @key == @value (any
 * data when @key is NULL). */
bool qmp_msg_is_event(const struct qmp_msg *m, const char *event, const char *key,
		      const char *value);

/* Connect, read the greeting, negotiate capabilities. NULL + err on error. */
struct qmp *qmp_open(const char *path, int timeout_ms, char *err, size_t errlen);
void qmp_close(struct qmp *q);
/* Run @cmd with @args (may be NULL; reference stolen). On success returns
 * 0 and *@ret (if non-NULL) holds the "return" value (caller decrefs).
 * QMP errors give -1 with the "desc" text in @err. Events are skipped. */
int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, char *err, size_t errlen);
/* Wait for an event named @event (e.g. "JOB_STATUS_CHANGE") whose data
 * matches @key=@value if @key is non-NULL; 0 when seen, -1 on timeout. */
int qmp_wait_event(struct qmp *q, const char *event, const char *key, const char *value,
		   json_t **data, int timeout_ms);
/* open + exec + close. */
int qmp_oneshot(const char *path, const char *cmd, json_t *args, json_t **ret, char *err,
		size_t errlen, int timeout_ms);

#endif
