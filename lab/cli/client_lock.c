// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_lock.c - hold the lock of a lab that is down while a verb works
 * on its disks (config import/export, upgrade), so that an `up` of the same
 * lab meanwhile is refused instead of opening a disk being rewritten.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

int lab_hold_down(const char *lab, const char *verb, struct lab_hold *h)
{
	struct vl_err e = {0};
	_cleanup_free_ char *dir = rundir_lab(lab, &e);

	h->fd = -1;
	h->dir = NULL;
	if (!dir)
		return vl_report(&e); /* EXIT_CONFIG: the name rule */
	h->made = access(dir, F_OK) < 0;
	h->dir = rundir_lab_make(lab, &e);
	if (!h->dir)
		return vl_report(&e); /* EXIT_ENV */
	h->fd = lab_lock(h->dir);
	if (h->fd == -EWOULDBLOCK) {
		msg_err("lab '%s' is up: `vacmlab down %s` first, then `vacmlab %s`", lab, lab,
			verb);
		return EXIT_STATE;
	}
	if (h->fd < 0) {
		msg_err("locking %s/lock: %s", h->dir, strerror(-h->fd));
		return EXIT_ENV;
	}
	return EXIT_OK;
}

void lab_release(struct lab_hold *h)
{
	if (h->fd >= 0 && h->made) {
		/* Still locked: nobody else can be using the dir. */
		_cleanup_free_ char *l = path_in(h->dir, LF_LOCK);
		_cleanup_free_ char *m = path_in(h->dir, LF_MARKER);

		unlink(m);
		unlink(l);
		rmdir(h->dir);
	}
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->dir);
	h->dir = NULL;
}

int lab_nodes_have_disks(const char *lab, const char *dir, char **have, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		bool found = false;

		for (char **p = have; *p; p++)
			found |= !strcmp(*p, names[i]);
		if (!found) {
			_cleanup_free_ char *list = strv_join(have);

			msg_err("lab '%s' has no disk for node '%s' in %s (nodes with a disk: %s)",
				lab, names[i], dir, *have ? list : "none");
			return EXIT_CONFIG;
		}
	}
	return EXIT_OK;
}
