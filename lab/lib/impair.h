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

struct vl_err;

/* Which traffic of a NIC an impairment shapes: what reaches the node
 * (the egress of its tap), what the node sends (the tap's ingress), or
 * both. A spec without a direction word means IMPAIR_TO. */
enum impair_dir {
	IMPAIR_TO = 1,
	IMPAIR_FROM = 2,
	IMPAIR_BOTH = IMPAIR_TO | IMPAIR_FROM,
};

/* Link impairment (netem); zero values mean "not set". */
struct impair {
	bool set;
	enum impair_dir dir;
	uint32_t delay_us;
	uint32_t jitter_us;
	double loss_pct;      /* 0..100 */
	double duplicate_pct; /* 0..100 */
	double corrupt_pct;   /* 0..100 */
	double reorder_pct;   /* 0..100, needs a delay */
	uint64_t rate_bps;    /* bits per second */
};

/*
 * impair_parse() - parse an impairment spec such as "delay 50ms jitter 5ms
 * loss 1% rate 10mbit" (items in any order, each at most once), optionally
 * led by a direction: "to" (the default), "from" or "both". Items: delay
 * TIME, jitter TIME (needs delay), loss PCT%, duplicate PCT%, corrupt PCT%,
 * reorder PCT% (needs delay), rate RATE.
 * Return: 0 with @out set, or -1 with @e (EXIT_CONFIG) naming the bad word.
 */
int impair_parse(const char *spec, struct impair *out, struct vl_err *e);

/* impair_netem() - the qdisc request for @im, for nlx_netem_set() and
 * nlx_ingress_netem_set(). */
struct nlx_netem impair_netem(const struct impair *im);

/*
 * impair_format() - @im written back as a spec impair_parse() accepts
 * ("from delay 50ms loss 1%"; the direction only when not "to"), or "" when
 * not set.
 */
void impair_format(const struct impair *im, char *buf, size_t len);

/*
 * impair_hint() - text to append to the error of nlx_netem_set() @r:
 * for -ENOENT (the kernel's answer to an unknown qdisc kind) the hint
 * that sch_netem is missing, "" otherwise.
 */
const char *impair_hint(int r);

#endif
