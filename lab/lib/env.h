/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * env.h - checks of the machine vacmlab runs on, each with a message that
 * says what is wrong and how to fix it (exit code EXIT_ENV).
 */
#ifndef VACMLAB_ENV_H
#define VACMLAB_ENV_H

#include <stdbool.h>
#include <stddef.h>

struct vl_err;

/* Why unshare(CLONE_NEWUSER|CLONE_NEWNET) failed with @err (positive). */
const char *userns_explain(int err);
/* 0 if this user can open /dev/net/tun read-write, else -1 with @e
 * (EXIT_ENV): the device's owner and mode, then the fix on further lines. */
int tun_check(struct vl_err *e);
/* Resolve a required program (malloc'd path); NULL with @e (EXIT_ENV)
 * naming the Debian package if missing. */
char *need_program(const char *prog, const char *package, struct vl_err *e);

/* Probes that do the real thing in a short-lived child (vacmlab doctor). */
/* 0 if unshare(CLONE_NEWUSER|CLONE_NEWNET) works, else the positive errno. */
int userns_probe(void);
/* Add a netem and a tbf qdisc to a veth in a throwaway user+net namespace:
 * 0 and *@netem, *@tbf set to 0 or -errno each; -1 with @e (EXIT_ENV) if
 * the namespace itself could not be made. */
int qdisc_probe(int *netem, int *tbf, struct vl_err *e);
/* Run a tiny guest with the KVM API: 0 if it ran to its hlt, else -1 with
 * @e (EXIT_ENV) saying why (no /dev/kvm, an internal error such as an
 * emulation failure); doctor shows it as a warning. */
int kvm_probe(struct vl_err *e);

/* A warning (malloc'd; NULL if none) if @rundir lies in a logind-managed
 * /run/user/UID (its own mount, or logind's /run/systemd/users/UID) and
 * lingering is off for this user (no /var/lib/systemd/linger/USER):
 * logind removes the dir at the last logout, and the lab with it. Not an
 * error: the lab starts. */
char *linger_warning(const char *rundir);

#endif
