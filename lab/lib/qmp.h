/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp.h - QEMU Machine Protocol messages, parsed with jansson. QEMU's
 * monitor serves one client at a time: the lab's supervisor is that client
 * (lab/sv/sv_qmp.c), and everything else goes through it.
 */
#ifndef VACMLAB_QMP_H
#define VACMLAB_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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
 * supervisor (sv_qmp.c) reads QEMU through it
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

#endif
