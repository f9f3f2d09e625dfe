// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_args.c - the command-line convention every verb shares: a LAB
 * argument (the one lab-name rule, lab_name_valid()) and a time value (the
 * one duration parser, parse_duration()). Options come before or after
 * the positional arguments (GNU getopt order); `--` ends them.
 */
#include <stdio.h>

#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

int lab_arg(const char *lab)
{
	struct vl_err e = {0};

	if (lab_name_valid(lab, &e) < 0)
		return vl_report(&e); /* EXIT_CONFIG */
	return EXIT_OK;
}

int duration_arg(const char *opt, const char *s, double max_s, double *out)
{
	const char *why = parse_duration(s, out);

	if (!why && *out > max_s)
		why = "is too long";
	if (why) {
		msg_err("%s '%s' %s: give seconds (90, 1.5) or a number with a unit (500ms, "
			"90s, 2m, 1h), at most %g s",
			opt, s, why, max_s);
		return -1;
	}
	return 0;
}
