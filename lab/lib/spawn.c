// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spawn.c - start children safely (see spawn.h). A child that fails before
 * exec writes "errno message" to a CLOEXEC pipe; a successful exec closes it,
 * so the parent reads EOF. The parent then names the child in the error
 * (crun's approach), instead of the message being lost on a detached stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

int pidfd_open_pid(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

int pidfd_kill(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

char *find_program(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *dir;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? realpath(prog, NULL) : NULL;
	copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", dir, prog);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	/* Debian keeps dnsmasq in /usr/sbin, often not in a user's PATH. */
	for (const char *d = "/usr/sbin"; d; d = NULL) {
		char *p = xasprintf("%s/%s", d, prog);

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static void child_fail(int errfd, const char *what)
{
	char buf[512];
	int e = errno;

	snprintf(buf, sizeof(buf), "%d %s", e, what);
	if (write(errfd, buf, strlen(buf)) < 0) {
		/* nothing more to do: the parent sees a short message */
	}
	_exit(127);
}

static int move_fd_to(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
static char env_lang[] = "LANG=C.UTF-8";
static char *const default_env[] = {env_path, env_lang, NULL};

pid_t fork_child(int pdeathsig)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	if (pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, pdeathsig) < 0)
			_exit(127);
		if (getppid() != parent)
			_exit(127);
	}
	return 0;
}

pid_t spawn(const struct spawn_opts *o, int *pidfd, struct vl_err *err)
{
	int pfd[2];
	pid_t parent = getpid(), pid;
	char buf[512];
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		return vl_fail_errno(err, EXIT_CHILD, errno, "starting %s: pipe", o->name);
	}
	pid = fork();
	if (pid < 0) {
		vl_fail_errno(err, EXIT_CHILD, errno, "starting %s: fork", o->name);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int nullfd;

		close(pfd[0]);
		if (o->pdeathsig) {
			if (prctl(PR_SET_PDEATHSIG, o->pdeathsig) < 0)
				child_fail(pfd[1], "prctl(PR_SET_PDEATHSIG)");
			/* The parent may have died before prctl: then nobody
			 * would ever signal us. */
			if (getppid() != parent)
				_exit(127);
		}
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (o->new_session && setsid() < 0)
			child_fail(pfd[1], "setsid");
		if (o->netns_fd > 0 && setns(o->netns_fd, CLONE_NEWNET) < 0)
			child_fail(pfd[1], "setns(CLONE_NEWNET)");
		if (o->new_netns && unshare(CLONE_NEWNET) < 0)
			child_fail(pfd[1], "unshare(CLONE_NEWNET)");
		nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nullfd < 0)
			child_fail(pfd[1], "open /dev/null");
		if (move_fd_to(o->stdin_fd >= 0 ? o->stdin_fd : nullfd, 0) < 0 ||
		    move_fd_to(o->stdout_fd >= 0 ? o->stdout_fd : nullfd, 1) < 0 ||
		    move_fd_to(o->stderr_fd >= 0 ? o->stderr_fd : nullfd, 2) < 0)
			child_fail(pfd[1], "dup2 stdio");
		if (o->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
			child_fail(pfd[1], "ioctl(TIOCSCTTY)");
		/* Everything else is closed on exec, except the fds the child
		 * must receive, whose numbers are already in its argv. */
		if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
			for (int fd = 3; fd < 65536; fd++)
				if (fd != pfd[1])
					fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
		fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
		for (int i = 0; i < o->n_keep; i++)
			if (fcntl(o->keep_fds[i], F_SETFD, 0) < 0)
				child_fail(pfd[1], "keeping a passed fd");
		if (o->cwd && chdir(o->cwd) < 0)
			child_fail(pfd[1], "chdir");
		/* Last: the rules open their paths, and nothing after this
		 * but the exec itself (which the rules must allow). */
		if (o->confine) {
			const char *what = NULL;

			if (landlock_confine(o->confine, &what) < 0)
				child_fail(pfd[1], what);
		}
		execve(o->path, o->argv, o->envp ? o->envp : default_env);
		child_fail(pfd[1], o->path);
	}
	close(pfd[1]);
	if (pidfd)
		*pidfd = pidfd_open_pid(pid);
	do
		n = read(pfd[0], buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n > 0) {
		int e = atoi(buf);
		const char *what = strchr(buf, ' ');

		buf[n] = '\0';
		vl_fail(err, EXIT_CHILD, "starting %s: %s: %s", o->name, what ? what + 1 : "?",
			strerror(e));
		waitpid(pid, NULL, 0);
		if (pidfd && *pidfd >= 0) {
			close(*pidfd);
			*pidfd = -1;
		}
		return -1;
	}
	return pid;
}

int run_capture(const char *name, char *const *argv, char *out, size_t outlen)
{
	int p[2], st;
	size_t len = 0;
	pid_t pid;
	struct spawn_opts o = {.name = name, .path = argv[0], .argv = argv, .stdin_fd = -1};
	struct vl_err se = {0};

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		return -1;
	}
	o.stdout_fd = o.stderr_fd = p[1];
	pid = spawn(&o, NULL, &se);
	close(p[1]);
	if (pid < 0) {
		snprintf(out, outlen, "%s", se.msg);
		close(p[0]);
		return -1;
	}
	for (;;) {
		char buf[4096];
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - len ? (size_t)n : outlen - 1 - len;

			memcpy(out + len, buf, k);
			len += k;
			out[len] = '\0';
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	snprintf(out + len, outlen - len, "%s killed by signal %d", name, WTERMSIG(st));
	return -1;
}
