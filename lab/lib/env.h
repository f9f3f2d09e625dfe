/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * env.h - checks of the machine vacmlab runs on, each with a message that
 * says what is wrong and how to fix it (exit code EXIT_ENV).
 */
#ifndef VACMLAB_ENV_H
#define VACMLAB_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* Why unshare(CLONE_NEWUSER|CLONE_NEWNET) failed with @err (positive). */
const char *userns_explain(int err);
/* 0 if this user can open /dev/net/tun read-write, else -1 and a message
 * with the device's owner and mode and the one-line fix. */
int tun_check(char *msg, size_t len);
/* true if VACMLAB_ACCEL=kvm and /dev/kvm opens read-write here. */
bool kvm_usable(void);
/* Resolve a required program; NULL and a message if missing. */
char *need_program(const char *prog, const char *package, char *msg, size_t len);

/* 1 and a warning in @msg if @rundir lies in a logind-managed
 * /run/user/UID (its own mount, or logind's /run/systemd/users/UID) and
 * lingering is off for this user (no /var/lib/systemd/linger/USER):
 * logind removes the dir at the last logout, and the lab with it. */
int linger_warning(const char *rundir, char *msg, size_t len);

#endif
