/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp.h - a small QMP client (QEMU Machine Protocol) over a unix socket,
 * JSON through jansson. Connections are short-lived: QEMU's monitor serves
 * one client at a time, so nobody may sit on it.
 */
#ifndef VACMLAB_QMP_H
#define VACMLAB_QMP_H

#include <jansson.h>
#include <stddef.h>

struct qmp;

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
