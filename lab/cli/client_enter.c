// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_enter.c - entering a running lab's namespaces from the CLI (lab_enter):
 * its user namespace, then its (or a test-service host's) network namespace,
 * with a private mount namespace carrying the lab's resolv.conf.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/cli/client_status.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"
#include "netns/ns.h"

int lab_enter(const char *lab, const char *host, struct vl_err *e)
{
	pid_t sup = lab_supervisor(lab, e), net = 0;
	_cleanup_free_ char *dir = rundir_lab(lab, NULL);
	_cleanup_free_ char *resolv = dir ? path_in(dir, LF_RESOLV) : NULL;
	int r;

	if (sup < 0) /* a bad name too */
		return -1;
	if (host) {
		json_t *st = ctl_status(lab, e);
		struct st_lab l;
		struct st_owner h;

		if (!st)
			return -1;
		if (st_lab_get(st, &l) && st_find_host(&l, host, &h))
			net = (pid_t)h.holder_pid;
		json_decref(st);
		if (!net)
			return vl_fail(e, EXIT_STATE, "lab '%s' has no host '%s'", lab, host);
	}
	r = ns_join(sup, net);
	if (r)
		return vl_fail_errno(e, EXIT_STATE, r, "entering lab '%s' (supervisor %d)", lab,
				     (int)sup);
	/* A private mount namespace (owned by the lab's user namespace) for
	 * the resolv.conf bind mount; failure only costs name resolution. */
	if (access(resolv, R_OK) == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
		if (mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
			msg_debug("bind-mounting %s: %s", resolv, strerror(errno));
	}
	setenv("VACMLAB_LAB", lab, 1);
	setenv("VACMLAB_RUNTIME_DIR_LAB", dir, 1);
	return 0;
}
