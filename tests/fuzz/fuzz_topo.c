// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_topo.c - libFuzzer target for the topology parser: any bytes, as a
 * topology text, must give a topology or a list of errors in line order,
 * never a crash, a leak or undefined behaviour; the same bytes as a regex
 * must pass or fail the guard in bounded time. Built and run by `make
 * fuzz` (clang, ASan, UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/rx.h"
#include "lab/lib/topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct topo *t = NULL;
	struct topo_err err;
	struct impair im;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the text ends at the first NUL, like a C string */
	if (topo_load_string(text, "fuzz/fuzz.conf", &t, &err) == 0) {
		/* A success must be a consistent model. */
		for (int i = 0; i < t->n_nodes; i++)
			for (int j = 0; j < t->nodes[i].n_nics; j++)
				if (!t->nodes[i].nics[j].lan || !t->nodes[i].nics[j].ifname[0])
					abort();
		topo_free(t);
	} else {
		/* A failure says why, once per line at most, in line order. */
		int lines = 1;

		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		if (err.n < 1 || err.n > TOPO_ERRORS_MAX || !err.msg[0] ||
		    err.line != err.list[0].line)
			abort();
		for (int i = 0; i < err.n; i++)
			if (!err.list[i].msg[0] || err.list[i].line < 0 ||
			    err.list[i].line > lines ||
			    (i && err.list[i].line < err.list[i - 1].line))
				abort();
	}
	{
		struct vl_err e = {0};

		/* A refusal says why, with a code. */
		if (impair_parse(text, &im, &e) < 0 && (e.code != EXIT_CONFIG || !e.msg[0]))
			abort();
	}
	{
		struct vl_err e = {0};

		/* -timeout catches a pattern that slips past the guard. */
		if (rx_compile(NULL, text, "regex", &e) < 0 && !e.msg[0])
			abort();
	}
	free(text);
	return 0;
}
