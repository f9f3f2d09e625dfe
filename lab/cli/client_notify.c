// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_notify.c - `up --foreground` under systemd (Type=notify,
 * contrib/systemd/vacmlab@.service): the service's main process speaks
 * sd_notify from the supervisor's progress events: STATUS= as nodes change
 * state, READY=1 once every node is ready ("OK"), STOPPING=1 as soon as
 * the lab starts going down (SIGTERM from systemd, `vacmlab down` from
 * elsewhere, its runtime dir gone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/client.h"
#include "lab/lib/sdnotify.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

void notify_init(struct notify *nt, const struct topo *t, bool foreground)
{
	nt->on = foreground && getenv("NOTIFY_SOCKET");
	nt->stopping = false;
	nt->t = t;
	nt->state = xcalloc((size_t)t->n_nodes + 1, sizeof(*nt->state));
	for (int i = 0; i < t->n_nodes; i++)
		snprintf(nt->state[i], sizeof(nt->state[i]), "pending");
}

void notify_send(struct notify *nt, const char *head, const char *what)
{
	char buf[1024];
	int ready = 0, len;

	if (!nt->on)
		return;
	for (int i = 0; i < nt->t->n_nodes; i++)
		ready += !strcmp(nt->state[i], SKV_READY);
	len = snprintf(buf, sizeof(buf), "%sSTATUS=lab %s: %d/%d nodes ready", head, nt->t->name,
		       ready, nt->t->n_nodes);
	if (what && len < (int)sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "; %s", what);
	if ((len = sd_notify_send(buf)) < 0) {
		msg_warn("NOTIFY_SOCKET=%s: cannot notify: %s", getenv("NOTIFY_SOCKET"),
			 strerror(-len));
		nt->on = false;
	}
}

/* A progress line, as systemd should see it. */
void notify_event(struct notify *nt, const char *line)
{
	char node[64], state[32], what[256];
	double secs;

	if (!nt->on)
		return;
	if (sscanf(line, "S %63s %31s %lf", node, state, &secs) == 3) {
		for (int i = 0; i < nt->t->n_nodes; i++)
			if (!strcmp(nt->t->nodes[i].name, node))
				snprintf(nt->state[i], sizeof(nt->state[i]), "%s", state);
		snprintf(what, sizeof(what), "%s %s", node, state);
		notify_send(nt, "", what);
	} else if (!strcmp(line, "OK")) {
		notify_send(nt, "READY=1\n", "up");
	} else if (line[0] == 'D' && !nt->stopping) {
		nt->stopping = true;
		notify_send(nt, "STOPPING=1\n", "going down");
	} else if (line[0] == 'W') {
		snprintf(what, sizeof(what), "warning: %.200s", line + 2);
		notify_send(nt, "", what);
	}
}
