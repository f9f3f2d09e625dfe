/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * up.h - bringing a lab up, shared by `up` and `run`.
 */
#ifndef VACMLAB_UP_H
#define VACMLAB_UP_H

#include <stdbool.h>
#include <sys/types.h>

#include "lab/sv.h"

struct up_opts {
	const char *topo_path;
	const char *name; /* override the lab name */
	bool keep_domain;
	bool no_boot, foreground, fresh, json, quiet;
	bool any_image; /* boot images that are not VACM-shaped */
	const char *snapshot;
	const char *state_dir;
	/* out */
	const char *lab;
	pid_t supervisor;
};

/* Returns an exit code (EXIT_OK when the lab is up and ready). */
int up_lab(struct up_opts *o);
int up_host_sockets(struct sv *sv, const char *topo_path);

/* true if @name is a valid lab name (1..32 of [a-z0-9-], a letter first). */
bool lab_name_ok(const char *name);

#endif
