// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * impair.c - the impairment spec parser (impair_parse) and its one
 * translation to a netns/ qdisc request (impair_netem, impair_hint), shared
 * by the topology parser, `vacmlab impair` and the supervisor.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/impair.h"
#include "lab/lib/util.h"

#define IMPAIR_TIME_MAX_US 3600000000.0 /* 1 h fits uint32 microseconds */
#define IMPAIR_RATE_MAX_BPS 100e9	/* 100gbit */

/* Round a non-negative value (kept free of libm for the fuzz build). */
static uint64_t round_u64(double x)
{
	return (uint64_t)(x + 0.5);
}

/* A non-negative decimal such as "12" or "0.5"; returns the end or NULL. */
static const char *parse_decimal(const char *s, double *v)
{
	const char *c = s;
	int digits = 0;

	while (isdigit((unsigned char)*c)) {
		c++;
		digits++;
	}
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			return NULL;
		while (isdigit((unsigned char)*c)) {
			c++;
			digits++;
		}
	}
	if (digits == 0 || digits > 15)
		return NULL;
	*v = strtod(s, NULL);
	return c;
}

static int parse_time_us(const char *s, double *us)
{
	double v;
	const char *u = parse_decimal(s, &v);

	if (!u)
		return -1;
	if (!strcmp(u, "us"))
		*us = v;
	else if (!strcmp(u, "ms"))
		*us = v * 1e3;
	else if (!strcmp(u, "s"))
		*us = v * 1e6;
	else
		return -1;
	return 0;
}

/* A percentage "1%" or "0.5%" in 0..100; -1 with a message for @k. */
static int parse_pct(const char *k, const char *v, double *out, struct vl_err *e)
{
	double x;
	const char *end = parse_decimal(v, &x);

	if (!end || strcmp(end, "%"))
		return vl_fail(e, EXIT_CONFIG, "bad %s '%s': expected a percentage such as 1%%", k,
			       v);
	if (x > 100)
		return vl_fail(e, EXIT_CONFIG, "%s '%s' out of range: 0%%..100%%", k, v);
	*out = x;
	return 0;
}

static int parse_rate(const char *v, uint64_t *out, struct vl_err *e)
{
	static const char *const units[] = {"bit", "kbit", "mbit", "gbit"};
	static const double mult[] = {1, 1e3, 1e6, 1e9};
	double x;
	const char *end = parse_decimal(v, &x);
	int u = -1;

	for (int i = 0; end && i < 4; i++)
		if (!strcmp(end, units[i]))
			u = i;
	if (u < 0)
		return vl_fail(
			e, EXIT_CONFIG,
			"bad rate '%s': expected a rate such as 10mbit (units bit, kbit, mbit, "
			"gbit)",
			v);
	x *= mult[u];
	if (x > IMPAIR_RATE_MAX_BPS)
		return vl_fail(e, EXIT_CONFIG, "rate '%s' out of range: at most 100gbit", v);
	if (round_u64(x) < 1)
		return vl_fail(e, EXIT_CONFIG, "rate '%s' must be greater than 0", v);
	*out = round_u64(x);
	return 0;
}

/* The items of a spec, each given at most once. */
enum item {
	I_DELAY,
	I_JITTER,
	I_LOSS,
	I_DUPLICATE,
	I_CORRUPT,
	I_REORDER,
	I_RATE,
	I_N
};
static const char *const item_names[I_N] = {"delay",   "jitter",  "loss", "duplicate",
					    "corrupt", "reorder", "rate"};

int impair_parse(const char *spec, struct impair *out, struct vl_err *e)
{
	_cleanup_free_ char *buf = xstrdup(spec ? spec : "");
	char *tok[2 * I_N + 2];
	int n = str_split(buf, tok, 2 * I_N + 1), i = 0;
	bool seen[I_N] = {0};

	memset(out, 0, sizeof(*out));
	out->dir = IMPAIR_TO;
	if (n > 0 &&
	    (!strcmp(tok[0], "to") || !strcmp(tok[0], "from") || !strcmp(tok[0], "both"))) {
		out->dir = tok[0][0] == 't'   ? IMPAIR_TO
			   : tok[0][0] == 'f' ? IMPAIR_FROM
					      : IMPAIR_BOTH;
		i = 1;
	}
	if (n == i)
		return vl_fail(
			e, EXIT_CONFIG,
			"empty impairment: expected delay TIME, jitter TIME, loss PCT%%, duplicate "
			"PCT%%, corrupt PCT%%, reorder PCT%% or rate RATE");
	if (n > 2 * I_N + 1)
		return vl_fail(e, EXIT_CONFIG, "too many words in impairment '%s'", spec);
	for (; i < n; i += 2) {
		const char *k = tok[i], *v = i + 1 < n ? tok[i + 1] : NULL;
		int it = -1;
		double x;

		for (int j = 0; j < I_N; j++)
			if (!strcmp(k, item_names[j]))
				it = j;
		if (it < 0)
			return vl_fail(
				e, EXIT_CONFIG,
				"unknown impairment '%s': expected delay, jitter, loss, duplicate, "
				"corrupt, reorder or rate (a direction, to, from or both, comes "
				"first)",
				k);
		if (!v)
			return vl_fail(e, EXIT_CONFIG, "impairment '%s' needs a value", k);
		if (seen[it])
			return vl_fail(e, EXIT_CONFIG, "impairment '%s' given twice", k);
		seen[it] = true;
		switch (it) {
		case I_DELAY:
		case I_JITTER:
			if (parse_time_us(v, &x) < 0)
				return vl_fail(
					e, EXIT_CONFIG,
					"bad %s '%s': expected a time such as 50ms (units us, ms, "
					"s)",
					k, v);
			if (x > IMPAIR_TIME_MAX_US)
				return vl_fail(e, EXIT_CONFIG,
					       "%s '%s' out of range: at most 3600s", k, v);
			*(it == I_DELAY ? &out->delay_us : &out->jitter_us) =
				(uint32_t)round_u64(x);
			break;
		case I_LOSS:
			if (parse_pct(k, v, &out->loss_pct, e))
				return -1;
			break;
		case I_DUPLICATE:
			if (parse_pct(k, v, &out->duplicate_pct, e))
				return -1;
			break;
		case I_CORRUPT:
			if (parse_pct(k, v, &out->corrupt_pct, e))
				return -1;
			break;
		case I_REORDER:
			if (parse_pct(k, v, &out->reorder_pct, e))
				return -1;
			break;
		default:
			if (parse_rate(v, &out->rate_bps, e))
				return -1;
		}
	}
	if (seen[I_JITTER] && out->delay_us == 0)
		return vl_fail(e, EXIT_CONFIG, "jitter needs a delay greater than 0");
	if (seen[I_REORDER] && out->delay_us == 0)
		return vl_fail(e, EXIT_CONFIG,
			       "reorder needs a delay greater than 0 (packets that are not "
			       "reordered are delayed)");
	out->set = true;
	return 0;
}

struct nlx_netem impair_netem(const struct impair *im)
{
	struct nlx_netem ne = {
		.delay_us = im->delay_us,
		.jitter_us = im->jitter_us,
		.loss_pct = im->loss_pct,
		.duplicate_pct = im->duplicate_pct,
		.corrupt_pct = im->corrupt_pct,
		.reorder_pct = im->reorder_pct,
		.rate_bps = im->rate_bps,
	};

	return ne;
}

const char *impair_hint(int r)
{
	/* The kernel answers an unknown qdisc kind with ENOENT. */
	return r == -ENOENT ? " (does the kernel have the netem qdisc? CONFIG_NET_SCH_NETEM, "
			      "module sch_netem)"
			    : "";
}

/* Largest unit that divides @v exactly: 1500us -> "1500us", 2000000us -> "2s". */
static void fmt_unit(char *buf, size_t len, uint64_t v, const char *const units[],
		     const uint64_t mult[], int n)
{
	int u = 0;

	for (int i = 1; i < n; i++)
		if (v % mult[i] == 0)
			u = i;
	snprintf(buf, len, "%llu%s", (unsigned long long)(v / mult[u]), units[u]);
}

void impair_format(const struct impair *im, char *buf, size_t len)
{
	static const char *const tu[] = {"us", "ms", "s"}, *const ru[] = {"bit", "kbit", "mbit",
									  "gbit"};
	static const uint64_t tm[] = {1, 1000, 1000000}, rm[] = {1, 1000, 1000000, 1000000000};
	const double pct[] = {im->loss_pct, im->duplicate_pct, im->corrupt_pct, im->reorder_pct};
	static const char *const pname[] = {"loss", "duplicate", "corrupt", "reorder"};
	char v[32];
	size_t o = 0;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		if (o < len)                                                                       \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);                      \
	} while (0)
	buf[0] = '\0';
	if (!im->set || !len)
		return;
	if (im->dir == IMPAIR_FROM)
		PUT(" from");
	else if (im->dir == IMPAIR_BOTH)
		PUT(" both");
	if (im->delay_us ||
	    (!im->loss_pct && !im->duplicate_pct && !im->corrupt_pct && !im->rate_bps)) {
		fmt_unit(v, sizeof(v), im->delay_us, tu, tm, 3);
		PUT(" delay %s", v);
	}
	if (im->jitter_us) {
		fmt_unit(v, sizeof(v), im->jitter_us, tu, tm, 3);
		PUT(" jitter %s", v);
	}
	for (int i = 0; i < 4; i++)
		if (pct[i] > 0)
			PUT(" %s %g%%", pname[i], pct[i]);
	if (im->rate_bps) {
		fmt_unit(v, sizeof(v), im->rate_bps, ru, rm, 4);
		PUT(" rate %s", v);
	}
#undef PUT
	if (o >= len)
		o = len - 1;
	memmove(buf, buf + 1, strlen(buf)); /* drop the leading space */
}
