// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_run.c - `vacmlab run TOPO [options] -- CMD...`: one integration test
 * as one step. Bring a throwaway lab up under a unique name, run CMD inside
 * its namespaces with the lab described in the environment, tear the lab
 * down and return CMD's status. On failure (or always with --artifacts) the
 * logs that explain it are copied into one folder; --junit writes a report.
 *
 * DOC: Theory of operation
 * `up` runs in a forked child (up_lab() installs its own signal handlers
 * and forwards them to the supervisor), so this process keeps one simple
 * handler for the whole run: a signal sets a flag, and every step checks
 * it. CMD runs in its own process group (so the whole test tree can be
 * signalled and nothing is left in the lab's namespaces), its stdout and
 * stderr go through pipes: streamed through at once, kept in a log and a
 * tail for the report. Order at the end: stop captures, take status.json
 * and the DHCP leases (they live in the runtime dir), down, then copy the
 * logs (they live in the state dir and survive down).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/run.h"
#include "lab/cli/client.h"
#include "lab/lib/spawn.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static volatile sig_atomic_t run_sig;

static void run_on_signal(int sig)
{
	if (!run_sig)
		run_sig = sig;
}

static void run_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab run TOPO [--name NAME] [--keep-on-failure] [--artifacts DIR]\n"
		   "                   [--junit FILE] [--capture] [--timeout S] [--quiet]\n"
		   "                   [--accel auto|kvm|tcg] [--warm] -- CMD...\n"
		   "Bring a lab up under a unique name (TOPONAME-PID-RANDOM unless --name), wait\n"
		   "until every node is ready, run CMD inside the lab's namespaces, bring the\n"
		   "lab down and return CMD's exit status (128+N if killed by signal N, 124 on\n"
		   "--timeout). CMD's environment: VACMLAB_LAB, VACMLAB_DOMAIN, VACMLAB_TOPOLOGY,\n"
		   "VACMLAB_RUNTIME_DIR (base dir, so nested `vacmlab` calls find the lab),\n"
		   "VACMLAB_LAB_DIR (the lab's runtime dir), VACMLAB_NODES, VACMLAB_HOSTS and\n"
		   "VACMLAB_NODE_<name>_ADDR for every node and host ('-' becomes '_').\n"
		   "  --artifacts DIR    always copy the logs there (default on failure:\n"
		   "                     ./vacmlab-artifacts/LAB)\n"
		   "  --keep-on-failure  leave the lab up when CMD fails, and say how to reach it\n"
		   "  --junit FILE       write a JUnit XML report (one test case)\n"
		   "  --capture          capture every LAN into the artifacts (LAN.pcap)\n"
		   "  --timeout S        stop CMD after S seconds (SIGTERM, then SIGKILL)\n"
		   "  --accel MODE       auto (default: KVM if usable, else TCG), kvm or tcg;\n"
		   "                     overrides VACMLAB_ACCEL and the topology's [lab] accel\n"
		   "  --warm             start from the topology's warm snapshot (the first run\n"
		   "                     boots cold and saves it; see `vacmlab up --warm`)\n"
		   "Exit status: CMD's, or 125 if the lab could not come up (or run itself\n"
		   "failed: usage, topology); the artifacts explain why.\n");
}

/* ---- small file helpers ------------------------------------------------- */

/* ---- the lab's name and environment ----------------------------------- */

static char *unique_name(const char *toponame)
{
	unsigned short rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (unsigned short)(now_ms() ^ getpid());
	/* <= 12 + 1 + 7 + 1 + 4 = 25 characters of [a-z0-9-]. */
	return xasprintf("%s-%d-%04x", toponame, (int)getpid(), rnd);
}

static void env_name(char *dst, size_t len, const char *name)
{
	snprintf(dst, len, "VACMLAB_NODE_%s_ADDR", name);
	for (char *s = dst; *s; s++)
		if (*s == '-')
			*s = '_';
}

static void set_lab_env(struct run *r)
{
	_cleanup_free_ char *base = rundir_base();
	char *nodes = xstrdup(""), *hosts = xstrdup("");
	json_t *o;
	size_t i;

	setenv("VACMLAB_LAB", r->lab, 1);
	setenv("VACMLAB_RUNTIME_DIR", base, 1);
	setenv("VACMLAB_LAB_DIR", r->rundir, 1);
	setenv("VACMLAB_TOPOLOGY", r->topo_path, 1);
	if (json_string_value(json_object_get(r->status, SK_DOMAIN)))
		setenv("VACMLAB_DOMAIN", json_string_value(json_object_get(r->status, SK_DOMAIN)),
		       1);
	for (int k = 0; k < 2; k++) {
		json_array_foreach (json_object_get(r->status, k ? "hosts" : "nodes"), i, o) {
			const char *name = json_string_value(json_object_get(o, SK_NAME));
			json_t *nic;
			size_t j;
			char var[64];
			char **list = k ? &hosts : &nodes;
			char *nl = xasprintf("%s%s%s", *list, **list ? " " : "", name);

			free(*list);
			*list = nl;
			json_array_foreach (json_object_get(o, SK_NICS), j, nic) {
				const char *a = json_string_value(json_object_get(nic, SK_ADDRESS));

				if (a) {
					env_name(var, sizeof(var), name);
					setenv(var, a, 1);
					break;
				}
			}
		}
	}
	setenv("VACMLAB_NODES", nodes, 1);
	setenv("VACMLAB_HOSTS", hosts, 1);
	free(nodes);
	free(hosts);
}

/* ---- bringing up --------------------------------------------------------- */

/* up_lab() in a child, its stderr passed through and kept in r->uplog
 * (when up fails before the supervisor has a log, that is all there is).
 * Returns up's exit code. */
static int run_up(struct run *r)
{
	struct up_opts o = {.topo_path = r->topo_path,
			    .name = r->lab,
			    .keep_domain = true,
			    .quiet = r->quiet,
			    .warm = r->warm,
			    .accel = r->accel,
			    .fresh = true};
	bool sent = false, exited = false;
	int st = 0, p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		msg_err("pipe: %s", strerror(errno));
		return EXIT_RUN_INFRA;
	}
	pid = fork_child(SIGTERM);
	if (pid < 0) {
		msg_err("fork: %s", strerror(errno));
		return EXIT_RUN_INFRA;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* Only fd 2 may point at the pipe: the supervisor forked by
		 * up_lab() never execs, and a stray copy of the write end
		 * would keep us waiting for EOF for the lab's lifetime. */
		dup2(p[1], 2);
		close(p[1]);
		close(p[0]);
		setvbuf(stderr, NULL, _IOLBF, 0);
		_exit(up_lab(&o));
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (!exited || p[0] >= 0) {
		struct pollfd pf = {p[0], POLLIN, 0};

		if (!exited) {
			pid_t w = waitpid(pid, &st, WNOHANG);

			if (w == pid)
				exited = true;
			else if (w < 0 && errno != EINTR)
				break;
		}
		if (run_sig && !sent && !exited) {
			kill(pid, SIGTERM);
			sent = true;
		}
		if (p[0] >= 0 && poll(&pf, 1, 100) > 0) {
			char buf[4096];
			ssize_t n = read(p[0], buf, sizeof(buf));

			if (n > 0) {
				write_all(2, buf, (size_t)n);
				if (r->uplog_len + (size_t)n < RUN_UPLOG) {
					memcpy(r->uplog + r->uplog_len, buf, (size_t)n);
					r->uplog_len += (size_t)n;
				}
			} else if (n == 0 || errno != EAGAIN) {
				close(p[0]);
				p[0] = -1;
			}
		} else if (p[0] < 0) {
			usleep(50000);
		}
	}
	if (p[0] >= 0)
		close(p[0]);
	if (exited && WIFEXITED(st))
		return WEXITSTATUS(st);
	return EXIT_RUN_INFRA;
}

/* ---- captures ----------------------------------------------------------- */

static void start_captures(struct run *r)
{
	json_t *o;
	size_t i;

	json_array_foreach (json_object_get(r->status, SK_LANS), i, o) {
		const char *lan = json_string_value(json_object_get(o, SK_NAME));
		_cleanup_free_ char *path = xasprintf("%s/%s.pcap", r->logdir, lan);
		long long deadline;
		pid_t pid;

		if (r->n_cap >= (int)ARRAY_SIZE(r->cap_pids))
			break;
		unlink(path);
		pid = fork_child(SIGTERM);
		if (pid == 0) {
			char *argv[] = {(char *)"vacmlab", (char *)"capture", (char *)"-q", r->lab,
					(char *)lan,	   (char *)"-w",      path,	    NULL};

			signal(SIGINT, SIG_IGN); /* stopped by us, after CMD */
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			setpgid(0, 0);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		if (pid < 0) {
			msg_warn("capture of LAN %s: fork: %s", lan, strerror(errno));
			continue;
		}
		r->cap_pids[r->n_cap++] = pid;
		/* Wait (bounded) until the pcap header is written: from then on
		 * the capture is live and CMD's first packet is in it. */
		deadline = now_ms() + 5000;
		for (;;) {
			struct stat st;

			if (stat(path, &st) == 0 && st.st_size >= 24)
				break;
			if (now_ms() > deadline || waitpid(pid, NULL, WNOHANG) == pid) {
				msg_warn("capture of LAN %s did not start", lan);
				break;
			}
			usleep(20000);
		}
	}
}

static void stop_captures(struct run *r)
{
	long long deadline = now_ms() + 5000;

	for (int i = 0; i < r->n_cap; i++)
		kill(r->cap_pids[i], SIGTERM);
	for (int i = 0; i < r->n_cap; i++) {
		while (waitpid(r->cap_pids[i], NULL, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(r->cap_pids[i], SIGKILL);
				waitpid(r->cap_pids[i], NULL, 0);
				break;
			}
			usleep(20000);
		}
	}
	r->n_cap = 0;
}

/* ---- running CMD --------------------------------------------------------- */

static void keep_tail(struct run *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->tail[r->tail_head] = buf[i];
		r->tail_head = (r->tail_head + 1) % RUN_TAIL;
		if (r->tail_len < RUN_TAIL)
			r->tail_len++;
	}
}

/* Forward one chunk of CMD's output; false at EOF. */
static bool pump(struct run *r, int *fd, int to)
{
	char buf[16384];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return false;
	}
	write_all(to, buf, (size_t)n);
	if (r->outlog >= 0)
		write_all(r->outlog, buf, (size_t)n);
	keep_tail(r, buf, (size_t)n);
	return true;
}

/* Returns CMD's status as a shell would (0..255), or -1 if it could not
 * be started (r->infra_msg says why). */
static int run_cmd(struct run *r)
{
	int out[2], err[2], ep[2], st = 0;
	int sent = 0;
	long long t0 = now_ms(), term_at = 0;
	long long deadline = r->timeout_s > 0 ? t0 + (long long)(r->timeout_s * 1000) : 0;
	char emsg[256];
	ssize_t n;
	pid_t pid;
	bool exited = false;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(r->infra_msg, sizeof(r->infra_msg), "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork_child(SIGTERM);
	if (pid == 0) {
		struct vl_err e = {0};

		close(ep[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* Its own process group: the whole test tree is signalled
		 * together, and nothing of it outlives the run. */
		setpgid(0, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (lab_enter(r->lab, NULL, &e) == 0) {
			set_lab_env(r);
			execvp(r->cmd[0], r->cmd);
			vl_fail_errno(&e, EXIT_CHILD, errno, "cannot run %s", r->cmd[0]);
		}
		/* The parent reads the message over the CLOEXEC pipe. */
		write_all(ep[1], e.msg, strlen(e.msg));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	close(ep[1]);
	if (pid < 0) {
		snprintf(r->infra_msg, sizeof(r->infra_msg), "fork: %s", strerror(errno));
		close(out[0]);
		close(err[0]);
		close(ep[0]);
		return -1;
	}
	setpgid(pid, pid); /* also here: no race with our first kill() */
	n = read(ep[0], emsg, sizeof(emsg) - 1);
	close(ep[0]);
	if (n > 0) {
		emsg[n] = '\0';
		snprintf(r->infra_msg, sizeof(r->infra_msg), "%s", emsg);
		waitpid(pid, NULL, 0);
		close(out[0]);
		close(err[0]);
		return -1;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	while (!exited || out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
		long long now = now_ms();

		if (!exited) {
			if (waitpid(pid, &st, WNOHANG) == pid) {
				exited = true;
				/* Stragglers of the test (background jobs) must
				 * not keep the lab's namespaces alive. */
				kill(-pid, SIGTERM);
				term_at = now;
			}
		}
		if (!exited && !sent && (run_sig || (deadline && now >= deadline))) {
			if (!run_sig) {
				r->timed_out = true;
				fprintf(stderr,
					"vacmlab: run: CMD timed out after %.0f s, stopping it\n",
					r->timeout_s);
			}
			kill(-pid, SIGTERM);
			sent = 1;
			term_at = now;
		}
		if (term_at && now - term_at > RUN_KILL_GRACE_MS) {
			kill(-pid, SIGKILL);
			if (exited)
				break; /* something holds the pipes open; stop reading */
			term_at = now;
		}
		if (exited && term_at && now - term_at > 1000 && sent != 2) {
			/* Give output a second after exit, then make sure. */
			kill(-pid, SIGKILL);
			sent = 2;
		}
		if (poll(p, 2, 100) > 0) {
			if (out[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(r, &out[0], 1);
			if (err[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(r, &err[0], 2);
		}
	}
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	if (r->timed_out)
		return RUN_TIMEOUT_STATUS;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* ---- reports ------------------------------------------------------------- */

/* ---- artifacts ------------------------------------------------------------ */

/* ---- the verb -------------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{"name", required_argument, NULL, 'N'},
		{"keep-on-failure", no_argument, NULL, 'k'},
		{"artifacts", required_argument, NULL, 'a'},
		{"junit", required_argument, NULL, 'j'},
		{"capture", no_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"warm", no_argument, NULL, 'W'},
		{"accel", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct run *r = xcalloc(1, sizeof(*r));
	struct topo *t = NULL;
	struct topo_err te;
	_cleanup_free_ char *adir = NULL;
	struct vl_err e = {0};
	int c, status, up;
	bool failed, keep = false, generated;
	long long t_start;
	size_t len = 0;

	r->outlog = -1;
	t_start = now_ms();
	/* Options before or after TOPO; nothing after `--` (or after the
	 * first word past TOPO) is an option: two "+" passes, as in exec. */
	for (int pass = 0; pass < 2; pass++) {
		while ((c = getopt_long(argc, argv, "+hq", lo, NULL)) != -1) {
			switch (c) {
			case 'N': r->name_opt = optarg; break;
			case 'k': r->keep_on_failure = true; break;
			case 'a': r->artifacts_opt = optarg; break;
			case 'j': r->junit = optarg; break;
			case 'c': r->capture = true; break;
			case 't':
				if (duration_arg("--timeout", optarg, DURATION_MAX_S,
						 &r->timeout_s) < 0)
					return EXIT_RUN_INFRA;
				if (r->timeout_s <= 0) {
					msg_err("--timeout '%s': must be more than 0", optarg);
					return EXIT_RUN_INFRA;
				}
				break;
			case 'q': r->quiet = true; break;
			case 'W': r->warm = true; break;
			case 'X': r->accel = optarg; break;
			case 'h': run_usage(stdout); return EXIT_OK;
			default: run_usage(stderr); return EXIT_RUN_INFRA;
			}
		}
		if (pass == 0) {
			if (optind >= argc)
				break;
			r->topo_path = argv[optind];
			argv += optind;
			argc -= optind;
			optind = 0;
		}
	}
	if (!r->topo_path || optind >= argc) {
		run_usage(stderr);
		return EXIT_RUN_INFRA;
	}
	r->cmd = argv + optind;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	r->cmdline = xcalloc(1, len + 1);
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(r->cmdline, " ");
		strcat(r->cmdline, argv[i]);
	}

	if (topo_load(r->topo_path, &t, &te) < 0) {
		topo_err_print(&te);
		return EXIT_RUN_INFRA;
	}
	r->toponame = xstrdup(t->name);
	topo_free(t);
	generated = !r->name_opt;
	r->lab = r->name_opt ? xstrdup(r->name_opt) : unique_name(r->toponame);
	if (lab_arg(r->lab) != EXIT_OK)
		return EXIT_RUN_INFRA;
	r->rundir = rundir_lab(r->lab, NULL);
	r->statedir = statedir_lab(r->lab, NULL, NULL);
	r->logdir = path_in(r->statedir, LF_LOGS);

	struct sigaction sa = {.sa_handler = run_on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!r->quiet)
		fprintf(stderr, "vacmlab: run: lab %s from %s\n", r->lab, r->topo_path);
	up = run_up(r);
	if (up != EXIT_OK || run_sig) {
		/* The lab is not (or no longer) up; the state dir has the logs.
		 * A signal in a narrow window may still have left it up. */
		if (lab_supervisor(r->lab, NULL) > 0)
			lab_down(r->lab, 5, true);
		if (run_sig) {
			fprintf(stderr,
				"vacmlab: run: interrupted by signal %d while bringing lab %s up\n",
				run_sig, r->lab);
			if (generated)
				rm_rf(r->statedir);
			return 128 + run_sig;
		}
		r->infra = true;
		snprintf(r->infra_msg, sizeof(r->infra_msg),
			 "`vacmlab up` of %s failed with exit status %d", r->topo_path, up);
		r->uplog[r->uplog_len] = '\0';
		{
			/* up's first error line is the best one-line summary. */
			char *el = strstr(r->uplog, "error: ");

			if (el) {
				size_t l = strcspn(el, "\n");

				snprintf(r->infra_msg, sizeof(r->infra_msg), "%.*s", (int)l - 7,
					 el + 7);
			}
		}
		status = EXIT_RUN_INFRA;
		adir = artifacts_dir(r, true);
		if (adir) {
			_cleanup_free_ char *up_log = xasprintf("%s/up.log", adir);

			copy_dir_files(r->logdir, adir);
			r->uplog[r->uplog_len] = '\0';
			write_file(up_log, r->uplog);
			/* infra_msg: up's last error line is the best summary. */
		}
		if (generated)
			rm_rf(r->statedir);
		goto report;
	}
	r->status = ctl_status(r->lab, &e);
	if (!r->status) {
		r->infra = true;
		snprintf(r->infra_msg, sizeof(r->infra_msg), "%.*s", (int)sizeof(r->infra_msg) - 1,
			 e.msg);
		status = EXIT_RUN_INFRA;
		goto down;
	}
	{
		_cleanup_free_ char *p = xasprintf("%s/run-output.log", r->logdir);

		r->outlog = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (r->capture)
		start_captures(r);
	if (!r->quiet)
		fprintf(stderr, "vacmlab: run: lab %s is ready; running: %s\n", r->lab, r->cmdline);
	status = run_cmd(r);
	if (status < 0) {
		r->infra = true;
		status = EXIT_RUN_INFRA;
		msg_err("run: %s", r->infra_msg);
	}
	if (r->outlog >= 0)
		close(r->outlog);
	stop_captures(r);
	if (run_sig && !r->infra)
		status = 128 + run_sig;
down:
	failed = status != 0;
	keep = r->keep_on_failure && failed && !run_sig;
	adir = artifacts_dir(r, failed);
	if (adir)
		artifacts_before_down(r, adir);
	if (keep) {
		_cleanup_free_ char *base = rundir_base();

		if (adir)
			copy_dir_files(r->logdir, adir);
		fprintf(stderr,
			"vacmlab: run: CMD failed (status %d); lab %s is left up "
			"(--keep-on-failure):\n"
			"  export VACMLAB_RUNTIME_DIR=%s\n"
			"  vacmlab status %s\n"
			"  vacmlab exec %s -- sh          # a shell inside the lab\n"
			"  vacmlab console %s NODE        # a node's serial console\n"
			"  vacmlab down %s                # when done\n",
			status, r->lab, base, r->lab, r->lab, r->lab, r->lab);
	} else {
		/* A throwaway warm lab's disks are deleted below, and its next
		 * run starts from the snapshot: no graceful power-off, and no
		 * flush of disks about to go (lab_down_how()). */
		if (lab_down_how(r->lab, 20, r->warm && generated, true) != EXIT_OK)
			msg_warn("bringing lab %s down failed", r->lab);
		if (adir)
			copy_dir_files(r->logdir, adir);
		/* A throwaway lab leaves nothing behind but its artifacts. */
		if (generated)
			rm_rf(r->statedir);
	}
report:
	r->elapsed_s = (double)(now_ms() - t_start) / 1000.0;
	if (adir)
		print_artifacts(adir);
	if (r->junit)
		write_junit(r, status, adir);
	/* A TAP line, so a log reader (or a TAP harness reading stderr) sees
	 * the verdict at the end. */
	fprintf(stderr, "%s 1 - %s (%s, lab %s) # %s%d, %.1f s%s%s\n", status ? "not ok" : "ok",
		r->cmdline, r->toponame, r->lab,
		r->infra ? "infrastructure failure, exit " : "exit ", status, r->elapsed_s,
		adir ? ", artifacts: " : "", adir ? adir : "");
	json_decref(r->status);
	return status;
}
