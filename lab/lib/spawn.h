/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn.h - the one way vacmlab starts a child: pipe2(O_CLOEXEC) for errors
 * before exec, fork, PR_SET_PDEATHSIG with the getppid race check,
 * close_range, an absolute path and a controlled environment.
 */
#ifndef VACMLAB_SPAWN_H
#define VACMLAB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vl_err;
struct ll_rules;

struct spawn_opts {
	const char *name; /* for messages: "dnsmasq for lan" */
	const char *path; /* absolute */
	char *const *argv;
	char *const *envp;   /* NULL: a minimal PATH/HOME/LANG environment */
	const int *keep_fds; /* passed to the child at the same numbers */
	int n_keep;
	int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null */
	int pdeathsig;			    /* 0: none */
	bool new_session;		    /* setsid() in the child */
	/* With new_session: stdin (a terminal) becomes the controlling
	 * terminal of the new session (TIOCSCTTY). */
	bool ctty;
	bool new_netns; /* unshare(CLONE_NEWNET) before exec */
	int netns_fd;	/* > 0: setns() into this network namespace */
	const char *cwd;
	/* Non-NULL: PR_SET_NO_NEW_PRIVS and these Landlock rules, applied
	 * last before exec (landlock.c). */
	const struct ll_rules *confine;
};

/* Start a child. Returns its pid (and a pidfd in *pidfd if non-NULL), or
 * -1 with @e set (EXIT_CHILD), its message naming the child. */
pid_t spawn(const struct spawn_opts *o, int *pidfd, struct vl_err *e);

/*
 * fork_child() - fork() for children that do not exec at once (namespace
 * holders, the supervisor, `run`'s command and captures). In the child:
 * PR_SET_PDEATHSIG(@pdeathsig) when non-zero, then the race check: if the
 * parent died before prctl took effect, the child exits at once. Returns
 * as fork() does (stdio flushed first, so nothing is written twice).
 * Every fork of lab/ goes through here or through spawn().
 */
pid_t fork_child(int pdeathsig);

/* Run a short command to completion, its stdout+stderr captured into
 * @out (truncated to @outlen). Returns its exit status (0..255), or -1 with
 * the reason in @out if it could not run or was killed. */
int run_capture(const char *name, char *const *argv, char *out, size_t outlen);

/* Find @prog in PATH; returns a malloc'd absolute path or NULL. */
char *find_program(const char *prog);

/* pidfd_open(2), -errno on failure. */
int pidfd_open_pid(pid_t pid);
/* Send @sig through a pidfd: no race with pid reuse. */
int pidfd_kill(int pidfd, int sig);

#endif
