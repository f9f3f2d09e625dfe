// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_qmp.c - libFuzzer target for QMP message parsing: the input is what
 * QEMU's monitor sent, split into lines as qmp.c splits it; every line must
 * classify as one kind with the fields that kind promises, never crash,
 * leak or hit undefined behaviour. Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *line, size_t len)
{
	struct qmp_msg m;

	switch (qmp_parse_msg(line, len, &m)) {
	case QMP_MSG_BAD:
		if (m.root || !m.text[0])
			abort();
		break;
	case QMP_MSG_RETURN:
		if (!m.root || !m.value)
			abort();
		break;
	case QMP_MSG_ERROR:
		if (!m.root || !m.text[0])
			abort();
		break;
	case QMP_MSG_EVENT:
		if (!m.root || !m.event)
			abort();
		/* What the supervisor and `snapshot` wait for. */
		qmp_msg_is_event(&m, "JOB_STATUS_CHANGE", "id", "vacmlab-snap");
		qmp_msg_is_event(&m, m.event, NULL, NULL);
		break;
	case QMP_MSG_GREETING:
	case QMP_MSG_OTHER:
		if (!m.root)
			abort();
		break;
	}
	if (!memchr(m.text, 0, sizeof(m.text)))
		abort();
	qmp_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		one(p, n);
		p += n;
	}
	return 0;
}
