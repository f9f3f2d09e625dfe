/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rundir.h - where a lab lives on the host.
 *
 * Runtime dir (sockets, pid, lock; gone after `down`):
 *   $VACMLAB_RUNTIME_DIR/LAB, else $XDG_RUNTIME_DIR/vacmlab/LAB, else
 *   /run/user/UID/vacmlab/LAB if that session dir exists, else
 *   /tmp/vacmlab-UID/LAB; every level we create is 0700. vacmlab-attach
 *   finds labs only in the last two (it trusts no environment).
 * State dir (disk overlays, logs; kept across `down`):
 *   --state DIR, else $VACMLAB_STATE_DIR/LAB, else
 *   $XDG_STATE_HOME/vacmlab/LAB, else ~/.local/state/vacmlab/LAB.
 */
#ifndef VACMLAB_RUNDIR_H
#define VACMLAB_RUNDIR_H

#include <stdbool.h>
#include <sys/types.h>

char *rundir_base(void);
char *rundir_lab(const char *lab);
char *statedir_base(void);
char *statedir_lab(const char *lab, const char *override);

/* Make @dir (and parents) 0700 and check it is ours and not a symlink. */
int rundir_make(const char *dir, char *err, size_t errlen);

/* Take the lab's lock (flock on DIR/lock), non-blocking. Returns the fd,
 * -EWOULDBLOCK if the lab is up, or another -errno. */
int lab_lock(const char *dir);
/* true if a supervisor holds DIR/lock. */
bool lab_is_up(const char *dir);

/* The supervisor of a running lab: reads DIR/supervisor.pid, checks the
 * lock is held. Returns the pid or -1 with a message in err. */
pid_t lab_supervisor(const char *lab, char *err, size_t errlen);

/* Names of the labs under rundir_base(), NULL-terminated, malloc'd. */
char **lab_list(void);

#endif
