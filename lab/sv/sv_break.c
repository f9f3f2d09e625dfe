// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_break.c - a serial BREAK on a node's port (`vacmlab send --break`,
 * the console's Ctrl-] b): QMP chardev-send-break on the port's chardev
 * (sN, lib/qemu.c), which QEMU's UART models take as a break on the line
 * (the 16550 sets LSR BI; Linux counts it, and on its console starts a
 * magic SysRq). A note goes in the port's log: a console's, or the cable's
 * for a cable, device or pty end. What cannot be carried the other way (a
 * guest's own break is an ioctl on the chardev, which a socket ignores):
 * docs/console-server.md.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lab/lib/logfile.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

/* Where the supervisor keeps the port's log, a line that says a break was
 * sent; ports whose log is QEMU's own file (log, tcp, ...) get none. */
static void break_note(struct sv *sv, struct sv_node *n, int idx)
{
	struct sv_port *p = &n->ports[idx];
	char what[128];

	switch (n->cfg->serial[idx].kind) {
	case SERIAL_CONSOLE:
		/* On a line of its own, whatever the guest's last line was. */
		if (p->log.fd >= 0) {
			static const char note[] = "\r\n[vacmlab: break sent]\r\n";

			logfile_write(&p->log, note, sizeof(note) - 1);
		}
		break;
	case SERIAL_CABLE:
	case SERIAL_DEVICE:
	case SERIAL_PTY:
		if (p->cable) {
			snprintf(what, sizeof(what), "break -> %s:ttyS%d", n->cfg->name, idx);
			sv_cable_note(sv, p->cable, what);
		}
		break;
	case SERIAL_LOOP:
	case SERIAL_RINGBUF:
	case SERIAL_TCP:
	case SERIAL_UNIX:
	case SERIAL_LOG:
	case SERIAL_NONE: break;
	}
}

const struct sv_break_params sv_break_defaults;
const struct ctl_field sv_break_fields[] = {
	{.name = "node",
	 .type = CT_STRING,
	 .required = true,
	 .offset = offsetof(struct sv_break_params, node)},
	{.name = "port",
	 .type = CT_INT,
	 .max = TOPO_MAX_SERIAL - 1,
	 .offset = offsetof(struct sv_break_params, port)},
	{0},
};

void sv_break_method(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct sv_break_params *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);
	char id[16];

	(void)passed;
	if (!n) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "no such node '%s'", p->node);
		return;
	}
	if (p->port >= n->cfg->n_serial) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "%s has no ttyS%d (its ports: ttyS0..ttyS%d)",
			      n->cfg->name, p->port, n->cfg->n_serial - 1);
		return;
	}
	if (n->pidfd < 0) {
		sv_reply_errc(sv, fd, EXIT_STATE, "node %s is not running (%s)", n->cfg->name,
			      node_state_name(n->state));
		return;
	}
	break_note(sv, n, p->port);
	snprintf(id, sizeof(id), "s%d", p->port);
	sv_qmp_send(sv, n, "chardev-send-break", json_pack("{s:s}", "id", id), QW_CLIENT, fd);
}
