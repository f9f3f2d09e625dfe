/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervisor.h - the one header of the supervisor that the CLI may include:
 * what `up` hands over when it forks the supervisor (everything checked and
 * prepared in the host namespace), and supervisor_run(). The supervisor's
 * own state (sv.h) is private to lab/sv/. See docs/architecture.md.
 */
#ifndef VACMLAB_SUPERVISOR_H
#define VACMLAB_SUPERVISOR_H

#include <stdbool.h>

#include "lab/lib/accel.h"

struct topo;

struct sv_launch {
	struct topo *t;
	const char *topo_path;
	char *rundir, *statedir, *logdir; /* made by `up` */
	char *qemu, *dnsmasq;		  /* absolute paths, checked by `up` */
	bool no_boot, foreground;
	struct accel_choice accel; /* asked, decided and why (client_up.c) */
	bool kvm;		   /* boot under KVM: accel.kvm */
	int boot_parallel;	   /* nodes booting at once; 0: CPUs under TCG, 4x KVM */
	const char *loadvm;	   /* start every node from this snapshot */
	int lock_fd;		   /* the lab's lock, held for the supervisor's life */
	int sync_fd;		   /* progress lines and the outcome, to `up` */
	/* Host-namespace sockets made by `up` before the fork: one listener
	 * per topology forward (in order), and [node][port] tcp: serial
	 * listeners (-1 where none). */
	int *fwd_listen;
	int n_fwd_listen;
	int **tcp_serial_fds;
};

/*
 * supervisor_run() - own the lab until it goes down; never returns.
 * Runs in the forked child of `up`. Reports progress and the outcome on
 * @l->sync_fd: lines "S NODE STATE SECONDS [DETAIL]", "W TEXT", "D PHASE",
 * then "OK", or "E CODE" followed by the message.
 */
void supervisor_run(const struct sv_launch *l) __attribute__((noreturn));

#endif
