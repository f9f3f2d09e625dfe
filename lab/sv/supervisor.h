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

/*
 * A node's lifecycle operations on a running lab: one table for the CLI's
 * parser and help (`vacmlab node OP`, lab/cli/cmd_node.c), the control
 * method "node" (its field "op", lab/sv/sv_ctl.c) and the supervisor's
 * state machine (lab/sv/sv_life.c). X(ENUM, NAME, HELP).
 */
#define NODE_OPS(X)                                                                                \
	X(OP_STOP, "stop",                                                                         \
	  "graceful power-off (the ACPI button; after S seconds, default 20,\n"                    \
	  "           QMP quit, SIGTERM, SIGKILL, as `down` does); disks keep what was\n"          \
	  "           written. Returns when QEMU is gone.")                                        \
	X(OP_START, "start",                                                                       \
	  "boot the node again on its disk, NICs and serial ports; returns\n"                      \
	  "           when it is ready (the node's ready = conditions, its timeout)")              \
	X(OP_RESTART, "restart", "stop, then start")                                               \
	X(OP_RESET, "reset", "the reset button: the guest reboots at once (no shutdown)")          \
	X(OP_KILL, "kill", "SIGKILL to QEMU, for crash tests (the disk may be inconsistent)")

#define NODE_OP_ENUM_(e, name, help) e,
/* What a control client waits for on a node; OP_NONE: nothing. */
enum node_op {
	OP_NONE,
	NODE_OPS(NODE_OP_ENUM_) N_NODE_OPS
};
#undef NODE_OP_ENUM_

/* The operations' names in enum order from OP_STOP, NULL-terminated:
 * node_op_names[op - OP_STOP]. */
extern const char *const node_op_names[];
/* @op's name ("stop", ...), "" for OP_NONE. */
const char *node_op_name(enum node_op op);
/* @op's one-paragraph help for usage texts. */
const char *node_op_help(enum node_op op);
/* The operation called @name, or OP_NONE. */
enum node_op node_op_parse(const char *name);

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
	/* dnsmasq leases saved with that snapshot (or NULL): put into the
	 * lab's lease file before dnsmasq starts, so restored nodes have
	 * their dynamic addresses at once. */
	const char *leases;
	int lock_fd; /* the lab's lock, held for the supervisor's life */
	int sync_fd; /* progress lines and the outcome, to `up` */
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
