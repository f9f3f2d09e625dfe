// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_up.c - bringing a lab up from the CLI (up_lab, used by `up` and
 * `run`): validate, lock, prepare disks and host-side sockets, fork the
 * supervisor and follow its progress.
 *
 * Everything that can fail because of the user's input or machine is
 * checked here, before the fork, so a bad topology, a taken port, a missing
 * program or a bad image changes nothing. Sockets that must live in the
 * host namespace (forwards, tcp: serial ports) are made here too: the
 * supervisor inherits them before it unshares.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include "lab/cli/client.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/env.h"
#include "lab/lib/image.h"
#include "lab/lib/logfile.h"
#include "lab/lib/part.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/status_keys.h"
#include "lab/sv/supervisor.h"
#include "lab/lib/util.h"

static volatile sig_atomic_t got_signal;

struct ready_ctx {
	const char *lab;
	bool json, quiet;
	struct warm_up *warm; /* save the warm snapshot once ready, or NULL */
	const struct topo *t;
	const char *rundir, *statedir;
};

static int up_host_sockets(struct sv_launch *sv, const char *topo_path)
{
	struct topo *t = sv->t;
	int total = 0, k = 0;

	for (int i = 0; i < t->n_nodes; i++)
		total += t->nodes[i].n_forwards;
	sv->fwd_listen = xcalloc((size_t)total + 1, sizeof(int));
	sv->tcp_serial_fds = xcalloc((size_t)t->n_nodes + 1, sizeof(int *));
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *n = &t->nodes[i];

		for (int j = 0; j < n->n_forwards; j++) {
			struct forward *f = &n->forwards[j];
			int fd;

			fd = host_listen(f->host_addr, f->host_port, f->proto == FORWARD_UDP, 64);
			if (fd < 0) {
				fprintf(stderr,
					"%s:%d: forward %s%s:%d -> %s:%d: cannot listen: %s\n",
					topo_path, f->line, f->proto == FORWARD_UDP ? "udp " : "",
					f->host_addr, f->host_port, n->name, f->guest_port,
					strerror(-fd));
				return -1;
			}
			sv->fwd_listen[k++] = fd;
		}
		sv->tcp_serial_fds[i] = xcalloc(TOPO_MAX_SERIAL, sizeof(int));
		for (int j = 0; j < TOPO_MAX_SERIAL; j++)
			sv->tcp_serial_fds[i][j] = -1;
		for (int j = 0; j < n->n_serial; j++) {
			int fd;

			if (n->serial[j].kind != SERIAL_TCP)
				continue;
			fd = host_listen("127.0.0.1", n->serial[j].tcp_port, false, 64);
			if (fd < 0) {
				fprintf(stderr,
					"%s:%d: serial port ttyS%d of node %s: tcp:%d: cannot "
					"listen: %s\n",
					topo_path, n->serial[j].line, j, n->name,
					n->serial[j].tcp_port, strerror(-fd));
				return -1;
			}
			/* QEMU accepts on it itself: blocking is what it expects. */
			fcntl(fd, F_SETFL, 0);
			sv->tcp_serial_fds[i][j] = fd;
		}
	}
	sv->n_fwd_listen = k;
	return 0;
}

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Read the supervisor's sync pipe until "OK" (returns 0) or "E CODE"
 * (returns CODE, message printed). In foreground mode keep reading after
 * OK until EOF, forwarding Ctrl-C as SIGTERM. */
static int follow_supervisor(int rfd, pid_t sup, bool foreground, bool *ok_seen,
			     struct progress *prog, void (*on_ready)(void *), void *arg,
			     struct notify *nt)
{
	char buf[16384];
	size_t len = 0;
	bool tty = isatty(2);
	bool sent_term = false;

	*ok_seen = false;
	for (;;) {
		ssize_t n;
		char *nl;
		struct pollfd pfd = {rfd, POLLIN, 0};
		int wait = *ok_seen ? -1 : progress_tick(prog), pr;

		if (got_signal && !sent_term) {
			if (!nt->stopping) {
				nt->stopping = true;
				notify_send(nt, "STOPPING=1\n", "stopping (signal)");
			}
			kill(sup, SIGTERM);
			sent_term = true;
			fprintf(stderr, "vacmlab: stopping the lab (graceful power-off)...\n");
		}
		/* Redraw the progress block while nothing arrives. A signal
		 * (EINTR) goes round too, so that it is forwarded at once:
		 * read() below would block until the supervisor writes. */
		pr = poll(&pfd, 1, wait);
		if (pr == 0 || (pr < 0 && errno == EINTR))
			continue;
		n = read(rfd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			notify_event(nt, buf);
			if (!strncmp(buf, "E ", 2)) {
				int code = atoi(buf + 2);
				char rest[16384];
				size_t rl = len - (size_t)(nl + 1 - buf);

				/* The rest of the stream is the message. */
				memcpy(rest, nl + 1, rl);
				for (;;) {
					n = read(rfd, rest + rl, sizeof(rest) - 1 - rl);
					if (n < 0 && errno == EINTR)
						continue;
					if (n <= 0)
						break;
					rl += (size_t)n;
				}
				rest[rl] = '\0';
				progress_end(prog);
				msg_err("%s", rest);
				return code ? code : EXIT_CHILD;
			}
			if (!strcmp(buf, "OK")) {
				*ok_seen = true;
				progress_end(prog);
				if (on_ready)
					on_ready(arg);
				if (!foreground)
					return 0;
			} else if (buf[0] == 'X') {
				/* supervisor exit */
			} else {
				progress_event(prog, buf, tty || foreground);
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	return *ok_seen ? 0 : -1;
}

static void print_ready(void *arg)
{
	struct ready_ctx *c = arg;
	struct vl_err e = {0};
	json_t *st;

	if (c->warm)
		warm_up_save(c->warm, c->lab, c->t, c->rundir, c->statedir);
	if (c->quiet)
		return;
	st = ctl_status(c->lab, &e);

	if (!st) {
		msg_warn("lab is up but status failed: %s", e.msg);
		return;
	}
	if (c->json) {
		json_dumpf(st, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		printf("lab %s is up (%s)\n", c->lab,
		       json_string_value(json_object_get(st, SK_RUNDIR)));
		print_status_table(st, stdout);
	}
	fflush(stdout);
	json_decref(st);
}

/* A node that boots for the first time gets its config = / nvlog = seeds
 * written into sda3 / sda4 (disk_prepare()): check now, before anything
 * starts, that those partitions hold a filesystem vacmlab can write. */
static int up_check_seeds(const struct up_opts *o, const struct topo *t)
{
	struct vl_err ne = {0};
	_cleanup_free_ char *sd = statedir_lab(t->name, o->state_dir, &ne);
	_cleanup_free_ char *wd = NULL;
	int rc = EXIT_OK;

	if (!sd)
		return vl_report(&ne);

	for (int i = 0; rc == EXIT_OK && i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		const char *src[2] = {n->config_seed, n->nvlog_seed};
		_cleanup_free_ char *ov = disk_overlay_path(sd, n->name);

		if ((!src[0] && !src[1]) || (!o->fresh && access(ov, F_OK) == 0))
			continue;
		for (unsigned int k = 0; rc == EXIT_OK && k < 2; k++) {
			struct vl_err e = {0};
			struct part_loc loc;
			struct part_fs fs;
			const char *tmp = getenv("TMPDIR");

			if (!src[k])
				continue;
			if (!wd && !(wd = part_workdir(tmp && tmp[0] ? tmp : "/tmp", &e))) {
				rc = vl_report(&e);
				break;
			}
			if (part_locate(n->image, PART_CONFIG + k, &loc, &e) < 0 ||
			    part_probe(n->image, &loc, wd, &fs, &e) < 0) {
				vl_wrap(&e, "node %s: %s = %s", n->name, k ? "nvlog" : "config",
					src[k]);
				rc = vl_report(&e);
			}
		}
	}
	if (wd)
		rm_rf(wd);
	return rc;
}

/* `up --upgrade`: a node whose base image changed gets its disk rebuilt
 * on the new one (disk_upgrade()). 0, or -1 with *@rc set. */
static int up_upgrade_node(const char *statedir, const struct node *n, int *rc)
{
	struct vl_err e = {0};
	char what[1024];
	long long t0 = now_ms();

	if (disk_base_changed(statedir, n, what, sizeof(what), NULL) != 1)
		return 0; /* unchanged, new, or unreadable: disk_prepare() says */
	fprintf(stderr, "  %-13s upgrading its disk to %s (%s)\n", n->name, n->image, what);
	if (disk_upgrade(statedir, n->name, n->image, &e) < 0) {
		*rc = vl_report(&e);
		return -1;
	}
	fprintf(stderr, "  %-13s upgraded in %.1f s (sda3, sda4 kept)\n", n->name,
		(double)(now_ms() - t0) / 1000.0);
	return 0;
}

int up_decide_accel(const struct topo *t, const char *flag, struct accel_choice *c,
		    struct vl_err *err)
{
	if (accel_request(flag, t->accel_set, t->accel, c, err) < 0 || accel_decide(c, err) < 0)
		return -1;
	/* The topology refuses cpu = host with accel = tcg at its line; a
	 * TCG chosen by auto, the flag or the environment is known only now. */
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];

		if (c->kvm || !nd->cpu || !cpu_needs_kvm(nd->cpu))
			continue;
		return vl_fail(err, c->asked == ACCEL_AUTO ? EXIT_ENV : EXIT_CONFIG,
			       "node %s: cpu = %s needs KVM, but this lab runs under TCG (%s); use "
			       "a CPU model such as max",
			       nd->name, nd->cpu, c->reason);
	}
	return 0;
}

int up_lab(struct up_opts *o)
{
	struct topo_err te;
	struct topo *t = NULL;
	struct sv_launch *sv = xcalloc(1, sizeof(*sv));
	char warn[1024];
	int lock, p[2], r;
	pid_t pid;
	bool ok;
	struct progress *prog;
	struct warm_up warm = {0};

	if (topo_load(o->topo_path, &t, &te) < 0) {
		topo_err_print(&te);
		return te.env ? EXIT_ENV : EXIT_CONFIG;
	}
	if (o->name && lab_arg(o->name) != EXIT_OK) {
		topo_free(t);
		return EXIT_CONFIG;
	}
	if (o->name) {
		free(t->name);
		t->name = xstrdup(o->name);
		if (!o->keep_domain) {
			free(t->domain);
			t->domain = xstrdup(o->name);
		}
	}
	{
		struct vl_err pe = {0};

		if (topo_place(t, o->machine, &pe) < 0) {
			topo_free(t);
			return vl_report(&pe); /* EXIT_CONFIG */
		}
	}
	o->lab = t->name;
	sv->t = t;
	sv->topo_path = o->topo_path;
	sv->no_boot = o->no_boot;
	sv->foreground = o->foreground;
	sv->loadvm = o->snapshot;

	sv->boot_parallel = o->parallel ? o->parallel : t->boot_parallel;
	if (!o->no_boot && up_check_memory(t, o->force) < 0)
		return EXIT_ENV;

	/* The machine: programs, devices, images. Nothing is touched yet. */
	{
		struct vl_err me = {0};

		if (t->n_lans && !(sv->dnsmasq = need_program("dnsmasq", "dnsmasq-base", &me)))
			return vl_report(&me); /* EXIT_ENV */
		/* Under --no-boot too: `node start` boots the nodes later
		 * (and says then that QEMU is missing). */
		if (t->n_nodes &&
		    !(sv->qemu = need_program("qemu-system-x86_64", "qemu-system-x86", &me)) &&
		    !o->no_boot)
			return vl_report(&me);
		vl_clear(&me);
		for (int i = 0; i < t->n_nodes; i++)
			if (t->nodes[i].n_nics && tun_check(&me) < 0)
				return vl_report(&me);
	}
	for (int i = 0; !o->no_boot && i < t->n_nodes; i++) {
		warn[0] = '\0';
		struct vl_err ie = {0};

		if (image_check_warn(t->nodes[i].image, &ie, warn, sizeof(warn)) < 0) {
			vl_wrap(&ie, "node %s", t->nodes[i].name);
			return vl_report(&ie); /* EXIT_ENV */
		}
		/* vacmlab is for VACM appliances: an image of another shape is
		 * almost always the wrong file. --any-image boots it anyway. */
		if (warn[0] && !o->any_image) {
			msg_err("node %s: %s\n  (`vacmlab image info` shows the details; "
				"`up --any-image` boots it anyway)",
				t->nodes[i].name, warn);
			return EXIT_ENV;
		}
		if (warn[0])
			msg_warn("node %s: %s", t->nodes[i].name, warn);
	}

	r = up_check_seeds(o, t);
	if (r)
		return r;

	/* The accelerator, decided once for the lab, said in one line. */
	if (!o->no_boot && t->n_nodes) {
		struct vl_err ae = {0};

		if (up_decide_accel(t, o->accel, &sv->accel, &ae) < 0)
			return vl_report(&ae);
		sv->kvm = sv->accel.kvm;
		if (!o->quiet)
			fprintf(stderr, "vacmlab: accel %s\n", sv->accel.reason);
	}
	/* Confinement: said in one line only when it is less than full. */
	if (!o->no_boot && t->n_nodes) {
		char ll[256];

		if (!landlock_wanted() || t->no_confine)
			msg_warn("confinement off (%s): QEMU and dnsmasq may use any file you can",
				 t->no_confine ? "[lab] confine = no" : "VACMLAB_CONFINE");
		else if (!landlock_describe(ll, sizeof(ll)))
			msg_warn("%s", ll);
	}

	/* The lab's directories and its lock. */
	{
		struct vl_err se = {0};
		_cleanup_free_ char *rd = rundir_lab(t->name, &se);

		if (!rd)
			return vl_report(&se);
		/* A socket path too long for bind() is refused now, not cut. */
		if (rundir_check_socks(rd, NULL, 0, &se) < 0)
			return vl_report(&se);
		for (int i = 0; i < t->n_nodes; i++)
			if (rundir_check_socks(rd, t->nodes[i].name, t->nodes[i].n_serial, &se) < 0)
				return vl_report(&se);
		sv->rundir = rundir_lab_make(t->name, &se);
		if (!sv->rundir)
			return vl_report(&se); /* EXIT_ENV */
	}
	{
		_cleanup_free_ char *lw = linger_warning(sv->rundir);

		if (lw)
			msg_warn("%s", lw);
	}
	lock = lab_lock(sv->rundir);
	if (lock == -EWOULDBLOCK) {
		pid_t sp = lab_supervisor(t->name, NULL);

		msg_err("lab '%s' is already up (supervisor pid %d, %s); `vacmlab apply %s` "
			"changes it live, `vacmlab down %s` first, or give this one another "
			"name with --name",
			t->name, (int)sp, sv->rundir, o->topo_path, t->name);
		return EXIT_STATE;
	}
	if (lock < 0) {
		msg_err("locking %s/lock: %s", sv->rundir, strerror(-lock));
		return EXIT_ENV;
	}
	sv->lock_fd = lock;
	/* Anything else in the dir is left from a supervisor that died. */
	{
		_cleanup_free_ char *pf = path_in(sv->rundir, LF_PID);

		if (access(pf, F_OK) == 0) {
			msg_info("cleaning up after a previous run of lab '%s' that did not exit "
				 "cleanly",
				 t->name);
			lab_wait_stale(t->name, sv->rundir);
		}
		DIR *d = opendir(sv->rundir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, "lock") || !strcmp(de->d_name, LAB_MARKER))
				continue;
			rm_tree_at(dirfd(d), de->d_name, -1);
		}
		if (d)
			closedir(d);
	}
	/* Host listeners (forwards, serial tcp:PORT) before the state dir:
	 * a taken port is a config error that must leave nothing behind. */
	if (up_host_sockets(sv, o->topo_path) < 0) {
		r = EXIT_CONFIG;
		goto undo_lock_r;
	}
	{
		struct vl_err e = {0};

		/* The name was checked with the topology: this cannot fail. */
		sv->statedir = statedir_lab(t->name, o->state_dir, &e);
		if (!sv->statedir) {
			msg_err("%s", e.msg);
			goto undo_lock;
		}
		sv->logdir = path_in(sv->statedir, LF_LOGS);
		if (rundir_make(sv->statedir, &e) < 0 || rundir_make(sv->logdir, &e) < 0) {
			msg_err("%s", e.msg);
			goto undo_lock;
		}
	}
	if (o->warm && !o->no_boot && t->n_nodes) {
		r = o->fresh ? EXIT_OK : warm_check_disks(t, sv->statedir);
		if (r != EXIT_OK)
			goto undo_lock_r;
		r = warm_up_prepare(&warm, t, sv->qemu, sv->kvm, sv->statedir, o->quiet);
		if (r != EXIT_OK)
			goto undo_lock_r;
		if (warm.hit) {
			sv->loadvm = WARM_SNAPSHOT;
			sv->leases = warm.leases;
		} else {
			o->fresh = true; /* the snapshot of a clean lab */
		}
	}
	/* Booted without --warm, the disks are the lab's own from now on: a
	 * later warm start must not replace what its guests write. */
	if (!o->warm && !o->no_boot) {
		_cleanup_free_ char *mark = xasprintf("%s/warm", sv->statedir);

		unlink(mark);
	}
	for (int i = 0; !o->no_boot && !warm.hit && i < t->n_nodes; i++) {
		if (o->upgrade && up_upgrade_node(sv->statedir, &t->nodes[i], &r) < 0)
			goto undo_lock_r;
		struct vl_err de = {0};

		if (disk_prepare(sv->statedir, &t->nodes[i], o->fresh, &de) < 0) {
			r = de.code == EXIT_CONFIG ? EXIT_CONFIG : EXIT_STATE;
			msg_err("%s", de.msg);
			goto undo_lock_r;
		}
		/* Else QEMU fails later with a less helpful message. */
		if (o->snapshot) {
			json_t *sn = disk_snapshots(sv->statedir, t->nodes[i].name, &de);
			bool has = sn && snapshot_list_has(sn, o->snapshot);

			json_decref(sn);
			if (!has) {
				if (sn)
					msg_err("node %s has no snapshot '%s' (`vacmlab snapshot "
						"%s %s list`)",
						t->nodes[i].name, o->snapshot, t->name,
						t->nodes[i].name);
				else
					msg_err("%s", de.msg);
				r = EXIT_STATE;
				goto undo_lock_r;
			}
		}
	}

	if (pipe2(p, O_CLOEXEC) < 0) {
		msg_err("pipe: %s", strerror(errno));
		goto undo_lock;
	}
	/* No PDEATHSIG: the supervisor outlives `up`. */
	pid = fork_child(0);
	if (pid < 0) {
		msg_err("fork: %s", strerror(errno));
		goto undo_lock;
	}
	if (pid == 0) {
		_cleanup_free_ char *logp = path_in(sv->logdir, LF_SUPERVISOR_LOG);
		_cleanup_free_ char *pidp = path_in(sv->rundir, LF_PID);
		_cleanup_free_ char *pidtxt = xasprintf("%d\n", (int)getpid());
		int fd;

		close(p[0]);
		setsid();
		/* The last run's log becomes supervisor.log.prev (lib/logfile.h). */
		fd = logfile_open_run(logp);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		setvbuf(stderr, NULL, _IOLBF, 0);
		write_file(pidp, pidtxt);
		sv->sync_fd = p[1];
		supervisor_run(sv);
	}
	close(p[1]);
	close(lock); /* the supervisor holds it now */
	for (int i = 0; i < sv->n_fwd_listen; i++)
		close(sv->fwd_listen[i]);
	for (int i = 0; i < t->n_nodes; i++)
		for (int j = 0; j < TOPO_MAX_SERIAL; j++)
			if (sv->tcp_serial_fds[i][j] >= 0)
				close(sv->tcp_serial_fds[i][j]);
	o->supervisor = pid;

	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!o->quiet)
		fprintf(stderr, "vacmlab: bringing up lab %s (%d node%s, %d LAN%s%s)\n", t->name,
			t->n_nodes, t->n_nodes == 1 ? "" : "s", t->n_lans,
			t->n_lans == 1 ? "" : "s", o->no_boot ? ", --no-boot" : "");
	struct ready_ctx rc = {
		.lab = t->name,
		.json = o->json,
		.quiet = o->quiet,
		.warm = o->warm && !warm.hit && !o->no_boot && t->n_nodes ? &warm : NULL,
		.t = t,
		.rundir = sv->rundir,
		.statedir = sv->statedir,
	};

	struct notify nt;

	notify_init(&nt, t, o->foreground);
	prog = progress_new(t, sv->logdir, isatty(2) && !o->foreground, o->quiet);
	r = follow_supervisor(p[0], pid, o->foreground, &ok, prog,
			      o->quiet && !rc.warm ? NULL : print_ready, &rc, &nt);
	progress_free(prog);
	free(nt.state);
	close(p[0]);
	if (r == 0 && o->foreground) {
		int st;

		waitpid(pid, &st, 0);
		fprintf(stderr, "vacmlab: lab %s is down\n", t->name);
		return EXIT_OK;
	}
	if (r == 0)
		return EXIT_OK;
	/* Failure: the supervisor tears down and exits; wait for it so that
	 * nothing is left when we return. */
	waitpid(pid, NULL, 0);
	if (r < 0) {
		msg_err("the supervisor of lab '%s' died unexpectedly; see %s/supervisor.log",
			t->name, sv->logdir);
		return EXIT_CHILD;
	}
	return r;

undo_lock:
	r = EXIT_ENV;
undo_lock_r:
	/* Still holding the lock: nobody else uses the dir. */
	rundir_remove(sv->rundir, true, NULL);
	close(lock);
	return r;
}
