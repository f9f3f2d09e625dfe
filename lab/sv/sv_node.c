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

#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/usbkey.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

/* A guest that resets this often before it is ready is in a reset loop. */
#define BOOT_RESET_LOOP 5

int sv_node_init(struct sv *sv, struct sv_node *n, struct node *cfg, struct vl_err *e)
{
	n->cfg = cfg;
	n->launch_idx = -1;
	n->pidfd = -1;
	n->probe_fd = -1;
	n->op_client = -1;
	free(n->dir);
	n->dir = path_node_dir(sv->rundir, cfg->name);
	n->qmp.fd = -1;
	free(n->qmp_path);
	n->qmp_path = path_qmp(n->dir);
	free(n->qemu_log);
	n->qemu_log = path_log(sv->logdir, "qemu", cfg->name);
	if (!n->disk)
		n->disk = path_disk(sv->statedir, cfg->name, "qcow2");
	if (!n->boots && cfg->usb && !n->usb_src)
		n->usb_src = xstrdup(cfg->usb);
	for (int j = 0; j < TOPO_MAX_SERIAL; j++) {
		n->ports[j].fd = n->ports[j].qemu_fd = -1;
		n->ports[j].lfd_rw = n->ports[j].lfd_ro = n->ports[j].log.fd = -1;
	}
	return rundir_make(n->dir, e);
}
int sv_node_start(struct sv *sv, struct sv_node *n, struct vl_err *e)
{
	struct node *c = n->cfg;
	int port_fds[TOPO_MAX_SERIAL], keep[TOPO_MAX_SERIAL + TOPO_MAX_NICS], nkeep = 0;
	char name[64];
	int logfd;
	char **argv;

	if (!sv->qemu) /* `up --no-boot` on a machine without QEMU */
		return vl_fail(e, EXIT_ENV,
			       "node %s: qemu-system-x86_64 was not found when the lab came up",
			       c->name);
	if (!n->attempt)
		n->attempt = 1;
	n->boots++;
	memset(n->nic_down, 0, sizeof(n->nic_down)); /* a new QEMU: links up */
	for (int i = 0; i < c->n_serial; i++) {
		if ((n->boots == 1 ? sv_port_prepare(sv, n, i, e)
				   : sv_port_reopen(sv, n, i, n->boots - 1, e)) < 0)
			return vl_wrap(e, "node %s", c->name);
		if (c->serial[i].kind == SERIAL_CABLE && sv_cable_plug(sv, n, i, e) < 0)
			return vl_wrap(e, "node %s", c->name);
		if (c->serial[i].kind == SERIAL_DEVICE && sv_device_plug(sv, n, i, e) < 0)
			return vl_wrap(e, "node %s", c->name);
		if (c->serial[i].kind == SERIAL_PTY && sv_pty_plug(sv, n, i, e) < 0)
			return vl_wrap(e, "node %s", c->name);
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
		.kvm = n->use_kvm,
		/* Only the lab's first start of the node loads the snapshot
		 * (apply's nodes start fresh): a retry, `node start` or
		 * `restart` boots the disk as the guest left it. */
		.loadvm = n->launch_idx >= 0 && n->boots == 1 ? sv->loadvm : NULL,
	};
	n->from_snapshot = ql.loadvm != NULL;
	_cleanup_free_ char *usb_img = NULL;
	if (n->usb_src) {
		_cleanup_free_ char *out = path_usb_key(n->dir);

		usb_img = usbkey_image(n->usb_src, out, e);
		if (!usb_img)
			return vl_wrap(e, "node %s", c->name);
		ql.usb_image = usb_img;
	}
	argv = qemu_argv(sv->qemu, &ql);
	{
		_cleanup_free_ char *line = strv_join(argv);

		fprintf(stderr, "node %s: %s\n", c->name, line);
	}
	/* O_APPEND: sv_logs.c bounds it by copy and truncate. A restart of
	 * the node appends to this run's log; a new run starts one. */
	logfd = n->boots == 1 ? logfile_open_run(n->qemu_log)
			      : open(n->qemu_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		logfd = -1;
	snprintf(name, sizeof(name), "QEMU for node %s", c->name);
	/* Confined to what it was given (landlock.c, qemu_confine_rules()). */
	struct ll_rules rules = {0};

	if (sv->confine) {
		qemu_confine_rules(&ql, &rules);
		/* The QEMU it runs, wherever it was found: a QEMU built in the
		 * user's home, or a wrapper script, is outside the system
		 * directories (its interpreter is inside). */
		ll_rules_add(&rules, sv->qemu, LL_READ | LL_EXEC);
	}
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
		/* Its own session, so its own autogroup (sv_node_yield). */
		.new_session = true,
		.confine = sv->confine ? &rules : NULL,
	};
	n->pid = spawn(&o, &n->pidfd, e);
	ll_rules_free(&rules);
	n->yield_nice = 0;
	strv_free(argv);
	if (logfd >= 0)
		close(logfd);
	if (n->pid < 0)
		return -1;
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
	n->restart_pending = false;
	n->killed = false;
	n->stop = SP_NONE;
	n->nics_answered = 0;
	n->ready_met = 0;
	n->next_ping = 0;
	n->kill_at = 0;
	line_matcher_free(&n->ready_lm);
	sv_qmp_tick(sv, n);
	/* QEMU holds its own copies now. */
	for (int i = 0; i < c->n_serial; i++)
		sv_port_after_spawn(sv, &n->ports[i]);
	if (n->attempt > 1)
		sv_event(sv, "S %s booting 0.0 attempt %d (%s)", c->name, n->attempt,
			 n->restart_why);
	else
		sv_event(sv, "S %s booting 0.0", c->name);
	return 0;
}

/* Stop this attempt's QEMU; sv_node_exited() starts the next one. SIGTERM
 * lets QEMU flush the overlay; SIGKILL after 3 s if it does not exit. */
static void node_restart(struct sv *sv, struct sv_node *n, const char *why, bool retry)
{
	snprintf(n->restart_why, sizeof(n->restart_why), "%s", why);
	n->restart_pending = true;
	n->restart_is_retry = retry;
	n->kill_at = now_ms() + 3000;
	pidfd_kill(n->pidfd, SIGTERM);
}

/* On a running lab a node that fails is its own business: the lab keeps
 * running, the reason is the node's (sv_life.c answers its client). */
static void node_failed_running(struct sv *sv, struct sv_node *n)
{
	n->state = NODE_FAILED;
	sv_event(sv, "S %s failed %.1f %s", n->cfg->name, (double)(now_ms() - n->t_start) / 1000.0,
		 n->fail.msg);
}

/* sv_node_start() failed with @e: while `up` runs, the lab's failure (the
 * first one is kept); later, the node's own. The error object itself is
 * kept, not its text re-formatted. */
static void start_failed(struct sv *sv, struct sv_node *n, struct vl_err *e)
{
	if (sv->phase == PH_STARTING) {
		vl_keep(&sv->fail, e);
		return;
	}
	n->fail = *e;
	node_failed_running(sv, n);
}

void sv_node_failed(struct sv *sv, struct sv_node *n, int code, const char *why)
{
	if (n->restart_pending)
		return;
	if (n->attempt <= n->cfg->retries && sv->phase < PH_POWERDOWN && n->pidfd >= 0) {
		char line[300];

		snprintf(line, sizeof(line), "attempt %d failed: %.200s", n->attempt, why);
		sv_event(sv, "W node %s: %s; retrying (retries = %d)", n->cfg->name, line,
			 n->cfg->retries);
		node_restart(sv, n, line, true);
		return;
	}
	if (sv->phase == PH_STARTING) {
		sv_node_fail(sv, n, code, why);
		return;
	}
	/* A running lab keeps running: only this node failed (node start). */
	vl_clear(&n->fail);
	vl_fail(&n->fail, code, "%s", why);
	node_failed_running(sv, n);
	if (n->pidfd >= 0)
		pidfd_kill(n->pidfd, SIGTERM);
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
	n->state = was == NODE_FAILED ? NODE_FAILED : NODE_EXITED;
	sv_describe_status(n->status, how, sizeof(how));
	sv_qmp_close(sv, n);
	/* Connections forwarded to it end now, not on TCP timeouts. */
	sv_fwd_node_exited(sv, n);
	sv_udp_node_exited(sv, n);
	sv_event(sv, "S %s exited %.1f %s", n->cfg->name, (double)(n->t_exit - n->t_start) / 1000.0,
		 how);
	if (n->restart_pending && sv->phase < PH_POWERDOWN) {
		struct vl_err e = {0};

		if (n->restart_is_retry)
			n->attempt++;
		if (sv_node_start(sv, n, &e) < 0)
			start_failed(sv, n, &e);
		return;
	}
	/* A client waiting for this node is answered by sv_life_tick(). */
	n->stop = SP_NONE;
	if (was == NODE_BOOTING && sv->phase == PH_STARTING) {
		char what[160];

		snprintf(what, sizeof(what), "QEMU %s before the node was ready", how);
		sv_node_failed(sv, n, EXIT_CHILD, what);
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

/* May queued node @n start now: every node it waits for (after =) ready? */
static bool deps_ready(struct sv *sv, struct sv_node *n)
{
	for (int j = 0; j < n->cfg->n_after; j++)
		if (sv->nodes[n->cfg->after_idx[j]]->state != NODE_READY)
			return false;
	return true;
}

/* Start queued nodes, in topology order, while fewer than boot_parallel
 * boot. A boot storm makes every TCG boot slower at once (CPU-bound): 24
 * guests on 2 CPUs all missed a 120 s deadline together, where a queue
 * brings each up in its single-boot time. Each node's readiness timeout
 * counts from its own start. */
static void schedule(struct sv *sv)
{
	int booting = 0;

	if (sv->phase != PH_STARTING && sv->phase != PH_RUNNING)
		return;
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->state == NODE_BOOTING)
			booting++;
	for (int i = 0; i < sv->t->n_nodes && booting < sv->boot_parallel; i++) {
		struct sv_node *n = sv->nodes[i];

		if (n->state != NODE_QUEUED || !deps_ready(sv, n))
			continue;
		struct vl_err e = {0};

		if (sv_node_start(sv, n, &e) < 0) {
			start_failed(sv, n, &e);
			return;
		}
		booting++;
	}
}

/* Under accel = auto a KVM internal error is this machine's KVM failing
 * (here: "emulation failure" at the first instruction): the node boots
 * again under TCG, the lab carries on, and the machine remembers it. */
static bool kvm_fallback(struct sv *sv, struct sv_node *n)
{
	if (!n->use_kvm || sv->accel.asked != ACCEL_AUTO || strcmp(n->runstate, "internal-error"))
		return false;
	sv_event(sv,
		 "W node %s: KVM stopped the VM with an internal error; booting it again "
		 "under TCG (accel = auto)",
		 n->cfg->name);
	sv_accel_broken(sv, "a KVM internal error stopped a guest");
	n->use_kvm = false;
	/* The rest of the lab need not meet the same error one by one: the
	 * nodes still queued boot under TCG, with TCG's default boot queue. */
	if (sv->kvm) {
		sv->kvm = false;
		for (int i = 0; i < sv->t->n_nodes; i++)
			if (sv->nodes[i]->state == NODE_QUEUED)
				sv->nodes[i]->use_kvm = false;
		if (sv->boot_parallel_auto)
			sv->boot_parallel = sv_default_boot_parallel(false);
	}
	node_restart(sv, n, "KVM internal error: falling back to TCG", false);
	return true;
}

/* The kernel groups a session's threads (an autogroup, sched(7)) when
 * kernel.sched_autogroup_enabled is 1, Debian's default. */
static bool autogroups_on(struct sv *sv)
{
	if (sv->autogroups < 0) {
		size_t len;
		_cleanup_free_ char *v =
			read_file("/proc/sys/kernel/sched_autogroup_enabled", &len);

		sv->autogroups = v && v[0] == '1';
		if (!sv->autogroups)
			fprintf(stderr,
				"autogroups off: ready nodes do not yield to booting ones\n");
	}
	return sv->autogroups;
}

/* TCG boots are CPU-bound, and ready guests are not free. Two stand-ins
 * booting beside a lab of 46 ready ones took 18.0 s, and 14.2 s with the
 * 46 stopped: the ready ones used 4.5-5.3 s of CPU meanwhile. With their
 * autogroup at nice 19 they used 1.3 s (timer work that waits is done in
 * one go) and the two took 14.3-17.2 s. So while `up` still has nodes
 * queued, ready nodes run at nice 19. Each QEMU is a session of its own
 * (sv_node_start), and an autogroup's nice goes to 19 and back to 0
 * without privilege, where a thread's nice cannot come back down.
 *
 * The kernel takes one autogroup change per 100 ms from an unprivileged
 * caller (EAGAIN otherwise: tried again next turn). So nodes go back to 0
 * from the moment the queue is empty, while the last boots run, and `up`
 * says the lab is up once all are back (supervisor_run). A lab that is up
 * never yields (apply, node start). Returns how many nodes still wait for
 * their change. */
int sv_node_yield(struct sv *sv)
{
	bool queued = false;
	int pending = 0;

	if (sv->phase == PH_STARTING && !sv->t->no_boot_yield)
		for (int i = 0; i < sv->t->n_nodes && !queued; i++)
			queued = sv->nodes[i]->state == NODE_QUEUED;
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];
		int want = queued && n->state == NODE_READY ? 19 : 0;
		char path[64];
		int r;

		if (n->pidfd < 0 || n->yield_nice == want || (want && !autogroups_on(sv)))
			continue;
		if (pending) {
			pending++;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/autogroup", (int)n->pid);
		r = write_file(path, want ? "19" : "0");
		if (r == -EAGAIN) {
			pending++;
		} else if (r < 0) {
			/* No more yielding; a node that cannot go back stays. */
			fprintf(stderr, "node %s: %s: %s\n", n->cfg->name, path, strerror(-r));
			sv->autogroups = 0;
			if (!want)
				n->yield_nice = 0;
		} else {
			n->yield_nice = want;
		}
	}
	return pending;
}

void sv_node_tick(struct sv *sv)
{
	schedule(sv);
	sv_node_yield(sv);
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];
		char why[256];

		if (n->pidfd < 0)
			continue;
		sv_qmp_tick(sv, n);
		if (n->restart_pending) {
			if (n->kill_at && now_ms() > n->kill_at) {
				pidfd_kill(n->pidfd, SIGKILL);
				n->kill_at = 0;
			}
			continue;
		}
		if (n->state != NODE_BOOTING && n->state != NODE_READY)
			continue;
		if (!vm_dead_reason(n, why, sizeof(why)))
			continue;
		if (n->state == NODE_BOOTING && kvm_fallback(sv, n))
			continue;
		if (n->state == NODE_BOOTING && n->attempt <= n->cfg->retries &&
		    sv->phase == PH_STARTING) {
			sv_node_failed(sv, n, EXIT_CHILD, why);
			continue;
		}
		n->state = !strcmp(n->runstate, "guest-panicked")   ? NODE_PANICKED
			   : !strcmp(n->runstate, "internal-error") ? NODE_INTERNAL_ERROR
								    : NODE_VM_STOPPED;
		sv_event(sv, "S %s %s %.1f %s", n->cfg->name, node_state_name(n->state),
			 (double)(now_ms() - n->t_start) / 1000.0, why);
		if (sv->phase == PH_STARTING)
			sv_node_fail(sv, n, EXIT_CHILD, why);
	}
}
