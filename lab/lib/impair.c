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

int impair_parse(const char *spec, struct impair *out, char *msg, size_t msglen)
{
	_cleanup_free_ char *buf = xstrdup(spec ? spec : "");
	char *tok[9];
	int n = str_split(buf, tok, 8);
	bool seen_delay = false, seen_jitter = false, seen_loss = false, seen_rate = false;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		snprintf(msg, msglen,
			 "empty impairment: expected delay TIME, jitter TIME, loss PCT%% or rate "
			 "RATE");
		return -1;
	}
	if (n > 8) {
		snprintf(msg, msglen, "too many words in impairment '%s'", spec);
		return -1;
	}
	for (int i = 0; i < n; i += 2) {
		const char *k = tok[i], *v = i + 1 < n ? tok[i + 1] : NULL;
		double x;

		if (strcmp(k, "delay") && strcmp(k, "jitter") && strcmp(k, "loss") &&
		    strcmp(k, "rate")) {
			snprintf(msg, msglen,
				 "unknown impairment '%s': expected delay, jitter, loss or rate",
				 k);
			return -1;
		}
		if (!v) {
			snprintf(msg, msglen, "impairment '%s' needs a value", k);
			return -1;
		}
		if (!strcmp(k, "delay") || !strcmp(k, "jitter")) {
			bool *seen = k[0] == 'd' ? &seen_delay : &seen_jitter;

			if (*seen)
				goto twice;
			*seen = true;
			if (parse_time_us(v, &x) < 0) {
				snprintf(msg, msglen,
					 "bad %s '%s': expected a time such as 50ms (units us, ms, "
					 "s)",
					 k, v);
				return -1;
			}
			if (x > IMPAIR_TIME_MAX_US) {
				snprintf(msg, msglen, "%s '%s' out of range: at most 3600s", k, v);
				return -1;
			}
			if (k[0] == 'd')
				out->delay_us = (uint32_t)round_u64(x);
			else
				out->jitter_us = (uint32_t)round_u64(x);
		} else if (!strcmp(k, "loss")) {
			const char *e;

			if (seen_loss)
				goto twice;
			seen_loss = true;
			e = parse_decimal(v, &x);
			if (!e || strcmp(e, "%")) {
				snprintf(msg, msglen,
					 "bad loss '%s': expected a percentage such as 1%%", v);
				return -1;
			}
			if (x > 100) {
				snprintf(msg, msglen, "loss '%s' out of range: 0%%..100%%", v);
				return -1;
			}
			out->loss_pct = x;
		} else {
			const char *e;
			double mult;

			if (seen_rate)
				goto twice;
			seen_rate = true;
			e = parse_decimal(v, &x);
			if (e && !strcmp(e, "bit"))
				mult = 1;
			else if (e && !strcmp(e, "kbit"))
				mult = 1e3;
			else if (e && !strcmp(e, "mbit"))
				mult = 1e6;
			else if (e && !strcmp(e, "gbit"))
				mult = 1e9;
			else {
				snprintf(msg, msglen,
					 "bad rate '%s': expected a rate such as 10mbit (units "
					 "bit, kbit, mbit, gbit)",
					 v);
				return -1;
			}
			x *= mult;
			if (x > IMPAIR_RATE_MAX_BPS) {
				snprintf(msg, msglen, "rate '%s' out of range: at most 100gbit", v);
				return -1;
			}
			if (round_u64(x) < 1) {
				snprintf(msg, msglen, "rate '%s' must be greater than 0", v);
				return -1;
			}
			out->rate_bps = (uint64_t)round_u64(x);
		}
		continue;
	twice:
		snprintf(msg, msglen, "impairment '%s' given twice", k);
		return -1;
	}
	if (seen_jitter && out->delay_us == 0) {
		snprintf(msg, msglen, "jitter needs a delay greater than 0");
		return -1;
	}
	out->set = true;
	return 0;
}

struct nlx_netem impair_netem(const struct impair *im)
{
	struct nlx_netem ne = {
		.delay_us = im->delay_us,
		.jitter_us = im->jitter_us,
		.loss_pct = im->loss_pct,
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
