// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_down.c - taking a running lab down from the CLI (lab_down, used by
 * `down` and `run`), and the host-side name vacmlab-attach derives for a
 * LAN, which `down` checks is gone afterwards.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

/* Must match attach_names in attach/attach_check.c: "vl" and base32 (a-z2-7)
 * of the first 65 bits of SHA-256("UID\0LAB\0LAN\0"). */
void attach_host_ifname(uid_t uid, const char *lab, const char *lan, char out[16])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char d[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	unsigned int i, j, v;
	char id[16];

	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(id) + 1, (const uint8_t *)id);
	sha256_update(&ctx, strlen(lab) + 1, (const uint8_t *)lab);
	sha256_update(&ctx, strlen(lan) + 1, (const uint8_t *)lan);
	sha256_digest(&ctx, sizeof(d), d);
	out[0] = 'v', out[1] = 'l';
	for (i = 0; i < 13; i++) {
		for (v = 0, j = 5 * i; j < 5 * i + 5; j++)
			v = v << 1 | ((d[j / 8] >> (7 - j % 8)) & 1);
		out[2 + i] = b32[v];
	}
	out[15] = 0;
}

int lab_down(const char *lab, double timeout_s, bool quiet)
{
	return lab_down_how(lab, timeout_s, false, quiet);
}

/* A lab whose supervisor is gone left its runtime dir: remove it, if it
 * is verifiably a lab's (rundir_remove()). */
static int down_stale(const char *lab, const char *dir, struct vl_err *e, bool quiet)
{
	struct vl_err re = {0};

	if (access(dir, F_OK) < 0 || lab_is_up(dir))
		return vl_report(e); /* EXIT_STATE: not up */
	if (rundir_remove(dir, false, &re) < 0) {
		vl_wrap(&re, "lab '%s' is not running; its runtime dir is not removed", lab);
		return vl_report(&re);
	}
	if (!quiet)
		msg_info("lab '%s' was not running; removed its stale runtime dir %s", lab, dir);
	return EXIT_OK;
}

/* The kernel removes an attached veth pair when the lab's namespace dies,
 * asynchronously: check (bounded) that the host end of each LAN in @lans
 * (the supervisor's down reply) went too. */
static int down_check_attached(const char *lab, json_t *lans)
{
	size_t i;
	json_t *l;
	int rc = EXIT_OK;

	json_array_foreach (lans, i, l) {
		const char *lan = json_string_value(l);
		char ifn[16];

		if (!lan)
			continue;
		attach_host_ifname(getuid(), lab, lan, ifn);
		for (int k = 0; k < 100 && if_nametoindex(ifn); k++)
			usleep(20000);
		if (if_nametoindex(ifn)) {
			msg_warn("host interface %s (vacmlab-attach of LAN %s) is still present; "
				 "remove it with: sudo vacmlab-attach --detach %s %s",
				 ifn, lan, lab, lan);
			rc = EXIT_STATE;
		}
	}
	return rc;
}

int lab_down_how(const char *lab, double timeout_s, bool kill, bool quiet)
{
	struct vl_err e = {0};
	_cleanup_free_ char *dir = rundir_lab(lab, &e);
	pid_t sup;
	int pidfd = -1, rc = EXIT_OK;
	json_t *rep, *killed, *k;
	size_t i;

	if (!dir)
		return vl_report(&e); /* EXIT_CONFIG: the name rule */
	sup = lab_supervisor(lab, &e);
	if (sup < 0)
		return down_stale(lab, dir, &e, quiet);
	pidfd = pidfd_open_pid(sup);
	/* The reply says which nodes had to be killed and the lab's LANs;
	 * it comes when the supervisor has removed the runtime dir (it alone
	 * does, under the lab's lock), just before it exits. */
	if (ctl_ask(lab,
		    json_pack("{s:s,s:f,s:b}", "cmd", "down", "timeout", timeout_s, "kill", kill),
		    -1, (int)(timeout_s * 1000) + 30000, &rep, &e) < 0) {
		/* No reply at all: the supervisor went away mid-way. */
		if (!rep)
			e.code = EXIT_CHILD;
		vl_wrap(&e, "down of lab '%s'", lab);
		rc = vl_report(&e);
	} else {
		killed = json_object_get(rep, "killed");
		json_array_foreach (killed, i, k) {
			msg_warn("node %s did not power off within %.0f s and was killed",
				 json_string_value(k), timeout_s);
		}
	}
	/* Wait for the supervisor's exit, so that when we return, no process
	 * of the lab is left. */
	if (pidfd >= 0) {
		struct pollfd p = {pidfd, POLLIN, 0};

		if (poll(&p, 1, 15000) <= 0) {
			msg_err("the supervisor of lab '%s' (pid %d) did not exit", lab, (int)sup);
			rc = EXIT_CHILD;
		}
		close(pidfd);
	}
	if (access(dir, F_OK) == 0 && !lab_is_up(dir)) {
		msg_warn("lab '%s' is down but its runtime dir %s is left (see the supervisor's "
			 "log); "
			 "`vacmlab down %s` removes it",
			 lab, dir, lab);
	}
	if (rep && rc == EXIT_OK) {
		int r = down_check_attached(lab, json_object_get(rep, "lans"));

		rc = rc ? rc : r;
	}
	json_decref(rep);
	if (!quiet && rc == EXIT_OK)
		msg_info("lab %s is down", lab);
	return rc;
}
