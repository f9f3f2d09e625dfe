// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_node.c - one QEMU per node: starting it (its serial ports, taps and
 * QMP socket passed as file descriptors), its exit, and what its VM events
 * mean for the node.
 *
 * A guest that dies is seen at once, not at the readiness timeout: QEMU's
 * exit (pidfd), and for a VM that stops while QEMU lives on, its QMP
 * events (sv_qmp.c) followed by query-status: "internal-error" (e.g. KVM
 * could not emulate an instruction), "guest-panicked" (a pvpanic device),
 * or a reset loop while booting.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/qemu.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

/* A guest that resets this often before it is ready is in a reset loop. */
#define BOOT_RESET_LOOP 5
int sv_node_start(struct sv *sv, struct sv_node *n)
{
	struct node *c = n->cfg;
	int port_fds[TOPO_MAX_SERIAL], keep[TOPO_MAX_SERIAL + TOPO_MAX_NICS], nkeep = 0;
	char err[512], name[64];
	int logfd;
	char **argv;

	for (int i = 0; i < c->n_serial; i++) {
		if (sv_port_prepare(sv, n, i, err, sizeof(err)) < 0) {
			sv_fail(sv, EXIT_ENV, "node %s: %s", c->name, err);
			return -1;
		}
		port_fds[i] = n->ports[i].qemu_fd;
		if (port_fds[i] >= 0)
			keep[nkeep++] = port_fds[i];
	}
	for (int i = 0; i < c->n_nics; i++)
		keep[nkeep++] = n->tap_fds[i];
	struct qemu_launch ql = {
		.lab = sv->t->name,
		.node = c,
		.disk = n->disk,
		.qmp_path = n->qmp_path,
		.port_dir = n->dir,
		.log_dir = sv->logdir,
		.tap_fds = n->tap_fds,
		.port_fds = port_fds,
		.kvm = sv->kvm,
		.loadvm = sv->loadvm,
	};
	argv = qemu_argv(sv->qemu, &ql);
	{
		_cleanup_free_ char *line = strv_join(argv);

		fprintf(stderr, "node %s: %s\n", c->name, line);
	}
	/* O_APPEND: sv_logs.c bounds it by copy and truncate. */
	logfd = logfile_open_run(n->qemu_log);
	if (logfd < 0)
		logfd = -1;
	snprintf(name, sizeof(name), "QEMU for node %s", c->name);
	struct spawn_opts o = {
		.name = name,
		.path = sv->qemu,
		.argv = argv,
		.keep_fds = keep,
		.n_keep = nkeep,
		.stdin_fd = -1,
		.stdout_fd = logfd,
		.stderr_fd = logfd,
		.pdeathsig = SIGTERM,
		.cwd = n->dir,
	};
	n->pid = spawn(&o, &n->pidfd, err, sizeof(err));
	strv_free(argv);
	if (logfd >= 0)
		close(logfd);
	if (n->pid < 0) {
		sv_fail(sv, EXIT_CHILD, "%s", err);
		return -1;
	}
	n->t_start = now_ms();
	n->state = NODE_BOOTING;
	n->probe_fd = -1;
	loop_watch(&sv->loop, n->pidfd, EPOLLIN, EV_NODE_PIDFD, n);
	n->qmp.fd = -1;
	n->qmp.next_connect = 0;
	n->vm_running = false;
	n->vm_status_seen = false;
	n->runstate[0] = n->vm_event[0] = '\0';
	n->resets = 0;
	sv_qmp_tick(sv, n);
	/* QEMU holds its own copies now. */
	for (int i = 0; i < c->n_serial; i++)
		sv_port_after_spawn(sv, &n->ports[i]);
	sv_event(sv, "S %s booting 0.0", c->name);
	return 0;
}

void sv_node_exited(struct sv *sv, struct sv_node *n)
{
	char how[128];
	enum node_state was = n->state;

	if (waitpid(n->pid, &n->status, WNOHANG) <= 0)
		return;
	loop_unwatch(&sv->loop, n->pidfd);
	close(n->pidfd);
	n->pidfd = -1;
	n->t_exit = now_ms();
	n->state = NODE_EXITED;
	sv_describe_status(n->status, how, sizeof(how));
	sv_qmp_close(sv, n);
	/* Connections forwarded to it end now, not on TCP timeouts. */
	sv_fwd_node_exited(sv, n);
	sv_event(sv, "S %s exited %.1f %s", n->cfg->name, (double)(n->t_exit - n->t_start) / 1000.0,
		 how);
	if (was == NODE_BOOTING && sv->phase == PH_STARTING) {
		char what[160];

		snprintf(what, sizeof(what), "QEMU %s before the node was ready", how);
		sv_node_fail(sv, n, EXIT_CHILD, what);
	}
}

/* Why a VM that QEMU keeps alive is not going to become ready, or NULL. */
static const char *vm_dead_reason(struct sv_node *n, char *buf, size_t len)
{
	if (!strcmp(n->runstate, "internal-error")) {
		snprintf(buf, len,
			 "the VM stopped with an internal error (query-status: internal-error; "
			 "under KVM usually \"KVM internal error ... emulation failure\")");
		return buf;
	}
	if (!strcmp(n->runstate, "guest-panicked")) {
		snprintf(buf, len, "%s",
			 n->vm_event[0] ? n->vm_event : "the guest kernel panicked");
		return buf;
	}
	if (!strcmp(n->runstate, "shutdown")) {
		snprintf(buf, len, "the guest shut down (%s)", n->vm_event);
		return buf;
	}
	if (n->state == NODE_BOOTING && n->resets >= BOOT_RESET_LOOP) {
		snprintf(buf, len, "the guest reset %d times while booting: a reset loop (%s)",
			 n->resets, n->vm_event);
		return buf;
	}
	return NULL;
}

void sv_node_tick(struct sv *sv)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];
		char why[256];

		if (n->pidfd < 0)
			continue;
		sv_qmp_tick(sv, n);
		if (n->state != NODE_BOOTING && n->state != NODE_READY)
			continue;
		if (!vm_dead_reason(n, why, sizeof(why)))
			continue;
		n->state = !strcmp(n->runstate, "guest-panicked")   ? NODE_PANICKED
			   : !strcmp(n->runstate, "internal-error") ? NODE_INTERNAL_ERROR
								    : NODE_VM_STOPPED;
		sv_event(sv, "S %s %s %.1f %s", n->cfg->name, node_state_name(n->state),
			 (double)(now_ms() - n->t_start) / 1000.0, why);
		if (sv->phase == PH_STARTING)
			sv_node_fail(sv, n, EXIT_CHILD, why);
	}
}
