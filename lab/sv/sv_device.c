// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_device.c - devices on serial ports: `[device NAME] command = ...` and
 * `serial = ... device:NAME` in a [node].
 *
 * DOC: Theory of operation
 * A device is a program on a pseudo-terminal: the supervisor opens a pty
 * (posix_openpt, grantpt, unlockpt), and the program runs, as a host's
 * command does (the user's, in the lab's namespaces, under `unshare
 * --pid --fork --kill-child` so nothing it forks outlives the lab), with
 * the slave as its stdin, stdout, stderr and controlling terminal (setsid,
 * TIOCSCTTY): an ordinary interactive program (a shell, a login prompt,
 * one that sets raw mode with tcsetattr) works as on a real serial line.
 * Unlike a host's command it runs unconfined by Landlock, like any
 * program of the user's, in the topology file's directory (a relative
 * path in the command reads as in image = ...). The master is the far end of a cable from the
 * node's port (sv_cable.c): logged both ways, watched with `console --ro`,
 * pulled and plugged with `link`, counted in status.
 *
 * The device starts when its node's port is first plugged and outlives the
 * node's restarts, as a real UPS stays on while the console server
 * reboots. When the program exits its state says how; with restart = yes
 * it is started again a second later on a fresh pty.
 *
 * A `pty` port is the same without a program: the pty's slave is for a
 * tool on the host (picocom, pyserial, a NUT driver), linked at
 * RUNDIR/NODE/ttySN.pty. The supervisor holds the slave open, raw, so the
 * line lives while no tool has it open (the master would read EIO): what
 * the guest writes meanwhile waits in the line (4 KiB, then the relay's
 * buffer, then the guest's UART waits), as on a port nobody reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/spawn.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

#define DEVICE_RESTART_MS 1000

void sv_device_init(struct sv *sv, struct sv_device *d, struct device *cfg)
{
	(void)sv;
	d->cfg = cfg;
	d->pidfd = -1;
	d->port.fd = d->port.qemu_fd = d->port.lfd_rw = d->port.lfd_ro = -1;
	d->port.log.fd = -1;
	d->port.kind = SERIAL_DEVICE;
	d->port.idx = -1;
}

static struct sv_device *find(struct sv *sv, const char *name)
{
	for (int i = 0; i < sv->t->n_devices; i++)
		if (!strcmp(sv->devices[i]->cfg->name, name))
			return sv->devices[i];
	return NULL;
}

/* A fresh pty, the program on its slave. 0, or -1 with @e. */
static int start(struct sv *sv, struct sv_device *d, struct vl_err *e)
{
	_cleanup_free_ char *unshare = find_program("unshare");
	char *argv[] = {
		unshare,	   (char *)"--pid", (char *)"--fork", (char *)"--kill-child",
		(char *)"/bin/sh", (char *)"-c",    d->cfg->command,  NULL};
	char name[96];
	const char *slave_name;
	int master, slave;

	if (!unshare) {
		return vl_fail(e, EXIT_ENV, "device %s: unshare(1) not found: install util-linux",
			       d->cfg->name);
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    !(slave_name = ptsname(master))) {
		vl_fail_errno(e, EXIT_ENV, errno, "device %s: opening a pseudo-terminal",
			      d->cfg->name);
		if (master >= 0)
			close(master);
		return -1;
	}
	free(d->pty);
	d->pty = xstrdup(slave_name);
	slave = open(d->pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		vl_fail_errno(e, EXIT_ENV, errno, "device %s: opening %s", d->cfg->name, d->pty);
		close(master);
		return -1;
	}
	snprintf(name, sizeof(name), "device %s", d->cfg->name);
	struct spawn_opts o = {
		.name = name,
		.path = unshare,
		.argv = argv,
		.stdin_fd = slave,
		.stdout_fd = slave,
		.stderr_fd = slave,
		.pdeathsig = SIGKILL, /* unshare ignores SIGTERM while it waits */
		.new_session = true,
		.ctty = true,
		/* Relative paths in the command read as image = ... does. */
		.cwd = sv->t->dir,
	};
	d->pid = spawn(&o, &d->pidfd, e);
	/* Only the program holds the slave: when it exits, the master reads
	 * EIO (the line is dead) instead of waiting for ever. */
	close(slave);
	if (d->pid < 0) {
		close(master);
		return -1;
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	d->port.fd = master;
	d->started = true;
	d->exited = false;
	d->restart_at = 0;
	loop_watch(&sv->loop, d->pidfd, EPOLLIN, EV_DEVICE_PIDFD, d);
	return 0;
}

int sv_device_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e)
{
	struct sv_device *d = find(sv, n->cfg->serial[idx].peer);

	if (!d)
		return vl_fail(e, EXIT_CONFIG, "ttyS%d: no device %s", idx,
			       n->cfg->serial[idx].peer);
	if (!d->started && start(sv, d, e) < 0)
		return -1;
	return sv_cable_plug(sv, n, idx, e);
}

int sv_pty_plug(struct sv *sv, struct sv_node *n, int idx, struct vl_err *e)
{
	struct sv_port *p = &n->ports[idx];
	struct sv_device *d = p->pty;
	_cleanup_free_ char *link = NULL;
	struct termios tio;
	int master;

	if (d)
		return sv_cable_plug(sv, n, idx, e); /* a restart: same pty */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !ptsname(master)) {
		vl_fail_errno(e, EXIT_ENV, errno, "ttyS%d: opening a pseudo-terminal", idx);
		if (master >= 0)
			close(master);
		return -1;
	}
	d = xcalloc(1, sizeof(*d));
	d->pidfd = d->port.lfd_rw = d->port.lfd_ro = d->port.qemu_fd = d->port.log.fd = -1;
	d->port.kind = SERIAL_PTY;
	d->port.idx = -1;
	d->pty = xstrdup(ptsname(master));
	d->slave_fd = open(d->pty, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (d->slave_fd < 0 || tcgetattr(d->slave_fd, &tio) < 0) {
		vl_fail_errno(e, EXIT_ENV, errno, "ttyS%d: opening %s", idx, d->pty);
		close(master);
		return -1;
	}
	cfmakeraw(&tio);
	tcsetattr(d->slave_fd, TCSANOW, &tio);
	fcntl(master, F_SETFL, O_NONBLOCK);
	d->port.fd = master;
	d->started = true;
	p->pty = d;
	link = xasprintf("%s/ttyS%d.pty", n->dir, idx);
	unlink(link);
	if (symlink(d->pty, link) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "ttyS%d: linking %s", idx, link);
	return sv_cable_plug(sv, n, idx, e);
}

void sv_device_exited(struct sv *sv, struct sv_device *d)
{
	char how[128], what[192];

	waitpid(d->pid, &d->status, WNOHANG);
	loop_unwatch(&sv->loop, d->pidfd);
	close(d->pidfd);
	d->pidfd = -1;
	d->pid = 0;
	d->exited = true;
	/* What it wrote last is still in the master: relay it first. */
	if (d->port.fd >= 0 && d->port.cable)
		sv_cable_readable(sv, &d->port);
	if (d->port.fd >= 0) {
		loop_unwatch(&sv->loop, d->port.fd);
		close(d->port.fd);
		d->port.fd = -1;
	}
	sv_describe_status(d->status, how, sizeof(how));
	snprintf(what, sizeof(what), "device %s %s", d->cfg->name, how);
	if (d->port.cable)
		sv_cable_note(sv, d->port.cable, what);
	if (sv->phase >= PH_POWERDOWN)
		return;
	sv_event(sv, "W %s%s", what, d->cfg->restart ? ": restarting it" : "");
	if (d->cfg->restart)
		d->restart_at = now_ms() + DEVICE_RESTART_MS;
}

void sv_device_tick(struct sv *sv)
{
	long long now = 0;

	for (int i = 0; sv->devices && i < sv->t->n_devices; i++) {
		struct sv_device *d = sv->devices[i];
		struct vl_err e = {0};

		if (!d->restart_at || sv->phase >= PH_POWERDOWN)
			continue;
		if (!now)
			now = now_ms();
		if (now < d->restart_at)
			continue;
		if (start(sv, d, &e) < 0) {
			sv_event(sv, "W %s", e.msg);
			d->restart_at = now + DEVICE_RESTART_MS * 5;
			continue;
		}
		d->restarts++;
		sv_cable_end_back(sv, &d->port, "device restarted");
	}
}

void sv_device_stop(struct sv *sv, struct sv_device *d)
{
	d->restart_at = 0;
	if (d->pidfd < 0)
		return;
	/* SIGKILL to unshare takes the program's PID namespace down. */
	loop_unwatch(&sv->loop, d->pidfd);
	pidfd_kill(d->pidfd, SIGKILL);
	waitpid(d->pid, &d->status, 0);
	close(d->pidfd);
	d->pidfd = -1;
	d->pid = 0;
	if (d->port.fd >= 0) {
		loop_unwatch(&sv->loop, d->port.fd);
		close(d->port.fd);
		d->port.fd = -1;
	}
}

void sv_device_stop_all(struct sv *sv)
{
	for (int i = 0; sv->devices && i < sv->t->n_devices; i++)
		sv_device_stop(sv, sv->devices[i]);
}

int sv_device_restart(struct sv *sv, struct sv_device *d, const char *why, struct vl_err *e)
{
	if (!d->started)
		return 0; /* not on a running port yet: it starts when plugged */
	sv_device_stop(sv, d);
	if (start(sv, d, e) < 0)
		return -1;
	d->restarts++;
	sv_cable_end_back(sv, &d->port, why);
	return 0;
}

void sv_pty_drop(struct sv *sv, struct sv_port *p)
{
	struct sv_device *d = p->pty;
	_cleanup_free_ char *link = NULL;

	if (!d || !p->node)
		return;
	link = xasprintf("%s/ttyS%d.pty", p->node->dir, p->idx);
	unlink(link);
	if (d->port.fd >= 0) {
		loop_unwatch(&sv->loop, d->port.fd);
		close(d->port.fd);
	}
	if (d->slave_fd >= 0)
		close(d->slave_fd);
	free(d->port.in);
	free(d->pty);
	free(d);
	p->pty = NULL;
}

json_t *sv_device_json(struct sv_device *d)
{
	char how[128] = "";
	const char *state = !d->started ? SKV_DEVICE_PENDING
			    : d->exited ? SKV_DEVICE_EXITED
					: SKV_DEVICE_RUNNING;

	if (d->status || d->exited || d->restarts)
		sv_describe_status(d->status, how, sizeof(how));
	return json_pack("{s:s,s:s,s:s?,s:i,s:o}", SK_DEVICE, d->cfg->name, SK_DEVICE_STATE, state,
			 SK_DEVICE_EXIT, how[0] ? how : NULL, SK_DEVICE_RESTARTS, d->restarts,
			 SK_DEVICE_PID, d->pid > 0 ? json_integer(d->pid) : json_null());
}
