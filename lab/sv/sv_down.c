// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_down.c - going down, a phase machine (enum sv_phase): the ACPI power
 * button (QMP system_powerdown) to every node, pressed again every 2 s
 * until the deadline (a guest still booting misses the first press), then
 * QMP quit, then SIGTERM, then SIGKILL, each bounded; nodes that needed
 * the last three are reported as killed. QMP commands are queued on each
 * node's connection (sv_qmp.c): the loop never waits for QEMU, so consoles
 * and forwards keep flowing while nodes power off.
 */
#include <signal.h>
#include <stdio.h>

#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
static int nodes_running(struct sv *sv)
{
	int n = 0;

	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i].pidfd >= 0)
			n++;
	return n;
}

static void signal_nodes(struct sv *sv, int sig, bool mark_killed)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];

		if (n->pidfd < 0)
			continue;
		pidfd_kill(n->pidfd, sig);
		if (mark_killed)
			n->killed = true;
	}
}

static void qmp_all(struct sv *sv, const char *cmd)
{
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = &sv->nodes[i];
		if (n->pidfd < 0)
			continue;
		n->state = NODE_STOPPING;
		sv_qmp_send(sv, n, cmd, NULL, QW_IGNORE, -1);
	}
}

void sv_down_begin(struct sv *sv, int timeout_ms)
{
	if (sv->phase >= PH_POWERDOWN)
		return;
	sv->down_timeout_ms = timeout_ms;
	if (!nodes_running(sv)) {
		sv->phase = PH_DONE;
		return;
	}
	sv_event(sv, "D powerdown");
	qmp_all(sv, "system_powerdown");
	sv->phase = PH_POWERDOWN;
	sv->phase_deadline = now_ms() + timeout_ms;
	sv->next_press = now_ms() + 2000;
}

void sv_down_advance(struct sv *sv)
{
	if (sv->phase < PH_POWERDOWN || sv->phase == PH_DONE)
		return;
	if (!nodes_running(sv)) {
		sv->phase = PH_DONE;
		return;
	}
	if (now_ms() < sv->phase_deadline) {
		/* The power button is an edge: a guest that was still booting
		 * when it was pressed (its ACPI handler not yet running)
		 * never sees it. Press again every 2 s until the deadline. */
		if (sv->phase == PH_POWERDOWN && now_ms() >= sv->next_press) {
			qmp_all(sv, "system_powerdown");
			sv->next_press = now_ms() + 2000;
		}
		return;
	}
	switch (sv->phase) {
	case PH_POWERDOWN:
		sv_event(sv, "D quit");
		for (int i = 0; i < sv->t->n_nodes; i++)
			if (sv->nodes[i].pidfd >= 0)
				sv->nodes[i].killed = true;
		qmp_all(sv, "quit");
		sv->phase = PH_QUIT;
		sv->phase_deadline = now_ms() + 3000;
		break;
	case PH_QUIT:
		sv_event(sv, "D sigterm");
		signal_nodes(sv, SIGTERM, true);
		sv->phase = PH_TERM;
		sv->phase_deadline = now_ms() + 3000;
		break;
	case PH_TERM:
		sv_event(sv, "D sigkill");
		signal_nodes(sv, SIGKILL, true);
		sv->phase = PH_KILL;
		sv->phase_deadline = now_ms() + 5000;
		break;
	case PH_KILL:
		/* Unkillable (D state): give up waiting; the namespace will
		 * go when it does. */
		sv->phase = PH_DONE;
		break;
	case PH_STARTING:
	case PH_RUNNING:
	case PH_DONE: break;
	}
}
