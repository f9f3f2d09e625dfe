// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp.c - reading QEMU's monitor: qmp_parse_msg() is the one place a line
 * from QEMU is interpreted (tests/fuzz/fuzz_qmp.c). The only client of
 * each QEMU's monitor is its lab's supervisor (lab/sv/sv_qmp.c); everything
 * else asks it over the control socket (method "qmp").
 */
#include <string.h>

#include "lab/lib/qmp.h"
#include "lab/lib/util.h"

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
