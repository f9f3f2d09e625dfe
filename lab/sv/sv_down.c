// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_down.c - stopping nodes gracefully, one node (`vacmlab node stop`) or
 * all of them (`down`), with one phase machine per node (enum stop_phase):
 * the ACPI power button (QMP system_powerdown), pressed again every 2 s
 * until the node's deadline (a guest still booting misses the first
 * press), then QMP quit, then SIGTERM, then SIGKILL, each bounded; a node
 * that needed any of the last three is reported as killed. QMP commands
 * are queued on each node's connection (sv_qmp.c): the loop never waits
 * for QEMU, so consoles and forwards keep flowing while nodes power off.
 * The lab's own phase (enum sv_phase) only says that the lab is going down
 * and when it is done: when no QEMU is left.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

#define PRESS_EVERY_MS 2000
#define QUIT_MS 3000
#define TERM_MS 3000
#define KILL_MS 5000

static const char *const phase_names[] = {
	[SP_NONE] = "none",    [SP_POWERDOWN] = "powerdown", [SP_QUIT] = "quit",
	[SP_TERM] = "sigterm", [SP_KILL] = "sigkill",
};

void sv_node_stop_begin(struct sv *sv, struct sv_node *n, int timeout_ms)
{
	if (n->pidfd < 0 || n->stop != SP_NONE)
		return;
	n->state = NODE_STOPPING;
	n->stop = SP_POWERDOWN;
	n->stop_deadline = now_ms() + timeout_ms;
	n->next_press = now_ms() + PRESS_EVERY_MS;
	sv_qmp_send(sv, n, "system_powerdown", NULL, QW_IGNORE, -1);
}

/* One step of @n's phase machine; true if it escalated. */
static bool node_stop_advance(struct sv *sv, struct sv_node *n, long long now)
{
	if (n->pidfd < 0 || n->stop == SP_NONE)
		return false;
	if (now < n->stop_deadline) {
		if (n->stop == SP_POWERDOWN && now >= n->next_press) {
			sv_qmp_send(sv, n, "system_powerdown", NULL, QW_IGNORE, -1);
			n->next_press = now + PRESS_EVERY_MS;
		}
		return false;
	}
	switch (n->stop) {
	case SP_POWERDOWN:
		n->killed = true;
		sv_qmp_send(sv, n, "quit", NULL, QW_IGNORE, -1);
		n->stop = SP_QUIT;
		n->stop_deadline = now + QUIT_MS;
		break;
	case SP_QUIT:
		pidfd_kill(n->pidfd, SIGTERM);
		n->stop = SP_TERM;
		n->stop_deadline = now + TERM_MS;
		break;
	case SP_TERM:
		pidfd_kill(n->pidfd, SIGKILL);
		n->stop = SP_KILL;
		n->stop_deadline = now + KILL_MS;
		break;
	case SP_KILL:
		/* Unkillable (D state): give up waiting; the namespace will
		 * go when it does. */
		n->stop = SP_GAVE_UP;
		break;
	case SP_NONE:
	case SP_GAVE_UP: return false;
	}
	fprintf(stderr, "node %s: stop: %s\n", n->cfg->name,
		phase_names[n->stop < SP_GAVE_UP ? n->stop : SP_KILL]);
	return true;
}

void sv_stop_advance(struct sv *sv)
{
	long long now = now_ms();
	enum stop_phase worst = SP_NONE;

	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (node_stop_advance(sv, n, now) && n->stop > worst && n->stop < SP_GAVE_UP)
			worst = n->stop;
	}
	/* `down` shows how far it had to go (with --foreground). */
	if (sv->phase >= PH_POWERDOWN && worst > sv->down_shown) {
		sv_event(sv, "D %s", phase_names[worst]);
		sv->down_shown = worst;
	}
}

void sv_down_begin(struct sv *sv, int timeout_ms)
{
	if (sv->phase >= PH_POWERDOWN)
		return;
	sv->down_timeout_ms = timeout_ms;
	sv->phase = PH_POWERDOWN;
	sv->down_shown = SP_POWERDOWN;
	sv_event(sv, "D powerdown");
	for (int i = 0; i < sv->t->n_nodes; i++)
		sv_node_stop_begin(sv, sv->nodes[i], timeout_ms);
	sv_down_advance(sv);
}

/* `down` of a lab whose disks are thrown away next (`run --warm`): SIGKILL
 * at once. Not even QMP quit, which flushes every disk first: fsync of an
 * overlay just copied in from the warm cache waits for hundreds of MiB of
 * writeback (30 s seen here), for data about to be deleted. Not reported
 * as killed: it was asked for. */
void sv_down_kill(struct sv *sv)
{
	if (sv->phase >= PH_POWERDOWN)
		return;
	sv->phase = PH_POWERDOWN;
	sv->down_shown = SP_KILL;
	sv_event(sv, "D sigkill");
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];

		if (n->pidfd < 0 || n->stop != SP_NONE)
			continue;
		n->state = NODE_STOPPING;
		pidfd_kill(n->pidfd, SIGKILL);
		n->stop = SP_KILL;
		n->stop_deadline = now_ms() + KILL_MS;
	}
	sv_down_advance(sv);
}

void sv_down_advance(struct sv *sv)
{
	if (sv->phase < PH_POWERDOWN || sv->phase == PH_DONE)
		return;
	sv_stop_advance(sv);
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->pidfd >= 0 && sv->nodes[i]->stop != SP_GAVE_UP)
			return;
	sv->phase = PH_DONE;
}

void sv_down_finish(struct sv *sv)
{
	struct vl_err e = {0};
	struct stat st;
	json_t *killed, *lans;

	/* Only our own dir: after ours went away, a new `up` of the lab may
	 * have made another. The lock is still ours, so the next `up` never
	 * sees a half-removed dir as a running lab. */
	if (!sv->rundir_ino || (stat(sv->rundir, &st) == 0 && st.st_dev == sv->rundir_dev &&
				st.st_ino == sv->rundir_ino)) {
		if (rundir_remove(sv->rundir, true, &e) < 0)
			fprintf(stderr, "supervisor: %s\n", e.msg);
	}
	if (sv->down_client < 0)
		return;
	killed = json_array();
	lans = json_array();
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->killed)
			json_array_append_new(killed, json_string(sv->nodes[i]->cfg->name));
	for (int i = 0; i < sv->t->n_lans; i++)
		json_array_append_new(lans, json_string(sv->t->lans[i].name));
	sv_reply(sv, sv->down_client,
		 json_pack("{s:b,s:o,s:o}", "ok", 1, "killed", killed, "lans", lans));
	sv->down_client = -1;
}
