// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_topo.c - libFuzzer target for the topology parser: any bytes, as a
 * topology text, must give a topology or one error, never a crash, a leak
 * or undefined behaviour. Built and run by `make fuzz` (clang, ASan, UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct topo *t = NULL;
	struct topo_err err;
	struct impair im;
	char msg[200];

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
	} else if (!err.msg[0]) {
		abort(); /* a failure must say why */
	}
	impair_parse(text, &im, msg, sizeof(msg));
	free(text);
	return 0;
}
