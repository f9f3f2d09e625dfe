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
/* Resolve a required program; NULL and a message if missing. */
char *need_program(const char *prog, const char *package, char *msg, size_t len);

/* Probes that do the real thing in a short-lived child (vacmlab doctor). */
/* 0 if unshare(CLONE_NEWUSER|CLONE_NEWNET) works, else the positive errno. */
int userns_probe(void);
/* Add a netem and a tbf qdisc to a veth in a throwaway user+net namespace:
 * 0 and *@netem, *@tbf set to 0 or -errno each; -1 and a message if the
 * namespace itself could not be made. */
int qdisc_probe(int *netem, int *tbf, char *msg, size_t len);
/* Run a tiny guest with the KVM API: 0 if it ran to its hlt, else -1 and
 * the reason (no /dev/kvm, an internal error such as emulation failure). */
int kvm_probe(char *msg, size_t len);

/* 1 and a warning in @msg if @rundir lies in a logind-managed
 * /run/user/UID (its own mount, or logind's /run/systemd/users/UID) and
 * lingering is off for this user (no /var/lib/systemd/linger/USER):
 * logind removes the dir at the last logout, and the lab with it. */
int linger_warning(const char *rundir, char *msg, size_t len);

#endif
