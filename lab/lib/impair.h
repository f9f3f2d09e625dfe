/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * impair.h - link impairments: the spec a user writes ("delay 50ms jitter
 * 5ms loss 1% rate 10mbit", in a topology's impair = key or to `vacmlab
 * impair`), and its one translation to the netns/ qdisc request.
 */
#ifndef VACMLAB_IMPAIR_H
#define VACMLAB_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netns/nl.h"

/* Link impairment (netem); zero values mean "not set". */
struct impair {
	bool set;
	uint32_t delay_us;
	uint32_t jitter_us;
	double loss_pct;   /* 0..100 */
	uint64_t rate_bps; /* bits per second */
};

/*
 * impair_parse() - parse an impairment spec such as "delay 50ms jitter 5ms
 * loss 1% rate 10mbit" (items in any order, each at most once).
 * Return: 0 with @out set, or -1 with a message in @msg.
 */
int impair_parse(const char *spec, struct impair *out, char *msg, size_t msglen);

/* impair_netem() - the qdisc request for @im, for nlx_netem_set(). */
struct nlx_netem impair_netem(const struct impair *im);

/*
 * impair_hint() - text to append to the error of nlx_netem_set() @r:
 * for -ENOENT (the kernel's answer to an unknown qdisc kind) the hint
 * that sch_netem is missing, "" otherwise.
 */
const char *impair_hint(int r);

#endif
