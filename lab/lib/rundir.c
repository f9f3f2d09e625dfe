// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rundir.c - runtime and state directories, the per-lab lock.
 *
 * The lock is an flock() on RUNDIR/lock taken by `up` and inherited by the
 * supervisor (the open file description is shared across fork), never by
 * QEMU or dnsmasq (CLOEXEC). So "locked" means "a supervisor is alive",
 * and a stale dir left by a SIGKILLed supervisor is unlocked.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

char *rundir_base(void)
{
	const char *e = getenv("VACMLAB_RUNTIME_DIR");

	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_RUNTIME_DIR");
	if (e && *e)
		return xasprintf("%s/vacmlab", e);
	/* No XDG_RUNTIME_DIR (su, cron, CI): use the login session's dir if
	 * there is one, the same place vacmlab-attach looks. */
	char run[64];
	struct stat st;

	snprintf(run, sizeof(run), "/run/user/%u", (unsigned)getuid());
	if (lstat(run, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
		return xasprintf("%s/vacmlab", run);
	return xasprintf("/tmp/vacmlab-%u", (unsigned)getuid());
}

/* ---- the one lab-name rule ------------------------------------------ */

const char *lab_name_check(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > LAB_NAME_MAX)
		return "is too long: at most 32 characters";
	if (!islower((unsigned char)s[0]))
		return "must start with a letter (a-z)";
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return "may only hold a-z, 0-9 and '-'";
	/* It is also the default DNS domain, whose labels cannot end in '-'. */
	if (s[n - 1] == '-')
		return "must not end with '-'";
	return NULL;
}

/* @s for a message: printable ASCII as is, other bytes as \xNN (a name
 * may hold a newline or bytes that are not UTF-8), cut after 40. */
static void name_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; s[i] && o + 8 < len; i++) {
		if (i == 40) {
			o += snprintf(buf + o, len - o, "...");
			break;
		}
		if (isprint((unsigned char)s[i]) && s[i] != '\\')
			buf[o++] = s[i];
		else
			o += snprintf(buf + o, len - o, "\\x%02x", (unsigned char)s[i]);
	}
	buf[o] = '\0';
}

int lab_name_valid(const char *lab, struct vl_err *e)
{
	const char *why = lab ? lab_name_check(lab) : "is missing";
	char q[200];

	if (!why)
		return 0;
	name_quote(lab ? lab : "", q, sizeof(q));
	return vl_fail(e, EXIT_CONFIG, "bad lab name '%s': %s (%s)", q, why, LAB_NAME_RULE);
}

char *rundir_lab(const char *lab, struct vl_err *e)
{
	_cleanup_free_ char *base = NULL;

	if (lab_name_valid(lab, e) < 0)
		return NULL;
	base = rundir_base();
	return xasprintf("%s/%s", base, lab);
}

char *statedir_base(void)
{
	const char *e = getenv("VACMLAB_STATE_DIR");

	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_STATE_HOME");
	if (e && *e)
		return xasprintf("%s/vacmlab", e);
	e = getenv("HOME");
	if (!e || !*e) {
		struct passwd *pw = getpwuid(getuid());

		e = pw ? pw->pw_dir : "/tmp";
	}
	return xasprintf("%s/.local/state/vacmlab", e);
}

char *statedir_lab(const char *lab, const char *override, struct vl_err *e)
{
	_cleanup_free_ char *base = NULL;

	/* Checked even with --state DIR: the name also names the runtime
	 * dir and the lock. */
	if (lab_name_valid(lab, e) < 0)
		return NULL;
	if (override)
		return xstrdup(override);
	base = statedir_base();
	return xasprintf("%s/%s", base, lab);
}

int rundir_make(const char *dir, struct vl_err *e)
{
	struct stat st;
	int r = mkdir_p(dir, 0700);

	if (r)
		return vl_fail_errno(e, EXIT_ENV, r, "creating %s", dir);
	if (lstat(dir, &st) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "%s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return vl_fail(e, EXIT_ENV,
			       "%s is not a directory owned by uid %u (symlink or another user's?)",
			       dir, (unsigned)getuid());
	if (st.st_mode & 077)
		chmod(dir, 0700);
	return 0;
}

char *rundir_lab_make(const char *lab, struct vl_err *e)
{
	_cleanup_free_ char *base = rundir_base();
	_cleanup_free_ char *dir = rundir_lab(lab, e);
	_cleanup_free_ char *mark = NULL;
	_cleanup_free_ char *txt = NULL;
	_cleanup_free_ char *have = NULL;
	int r;

	if (!dir || rundir_make(base, e) < 0 || rundir_make(dir, e) < 0)
		return NULL;
	/* The marker says "a lab's runtime dir, of this lab": nothing
	 * without it is ever removed as one (rundir_remove()). */
	mark = path_in(dir, LF_MARKER);
	txt = xasprintf("%s\n", lab);
	have = read_file(mark, NULL);
	if (!have || strcmp(have, txt)) {
		r = write_file(mark, txt);
		if (r) {
			vl_fail_errno(e, EXIT_ENV, r, "writing %s", mark);
			return NULL;
		}
	}
	{
		char *out = dir;

		dir = NULL;
		return out;
	}
}

/* Open @lab's dir under the open base @bfd and check it is a lab's runtime
 * dir: a directory (not a symlink: O_NOFOLLOW), ours, with the marker
 * naming @lab. The fd, or -1 with @e set. */
static int lab_dir_open(int bfd, const char *base, const char *lab, struct vl_err *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int mfd = -1;
	char buf[LAB_NAME_MAX + 2] = "";
	struct stat st, mst;
	ssize_t n;

	fd = openat(bfd, lab, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vl_fail_errno(e, EXIT_STATE, errno, "%s/%s is not a directory%s", base, lab,
				     errno == ELOOP || errno == ENOTDIR ? " (a symlink?)" : "");
	if (fstat(fd, &st) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", base, lab);
	if (st.st_uid != getuid())
		return vl_fail(e, EXIT_ENV, "%s/%s belongs to uid %u, not to you", base, lab,
			       (unsigned)st.st_uid);
	mfd = openat(fd, LAB_MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd < 0 || fstat(mfd, &mst) < 0 || !S_ISREG(mst.st_mode) || mst.st_uid != getuid() ||
	    (n = read(mfd, buf, sizeof(buf) - 1)) < 0 || strncmp(buf, lab, strlen(lab)) ||
	    strcmp(buf + strlen(lab), "\n"))
		return vl_fail(e, EXIT_STATE,
			       "%s/%s has no vacmlab marker (%s naming lab '%s'): not a lab's "
			       "runtime dir",
			       base, lab, LAB_MARKER, lab);
	n = fd;
	fd = -1;
	return (int)n;
}

int rundir_remove(const char *rundir, bool held, struct vl_err *e)
{
	_cleanup_free_ char *base = xstrdup(rundir);
	_cleanup_close_ int bfd = -1;
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int lk = -1;
	char *lab = strrchr(base, '/');
	int r;

	if (!lab)
		return vl_fail(e, EXIT_CONFIG, "%s: not a lab's runtime dir", rundir);
	*lab++ = '\0';
	if (lab_name_valid(lab, e) < 0)
		return -1;
	/* A CLI's removal is only ever of a lab under this user's base. The
	 * supervisor (@held) removes the dir it was given, which `up` made
	 * there: inside its user namespace, rundir_base() may differ. */
	if (!held) {
		_cleanup_free_ char *want = rundir_base();

		if (strcmp(base, want))
			return vl_fail(e, EXIT_CONFIG, "%s is not under the runtime dir %s", rundir,
				       want);
	}
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return vl_fail_errno(e, EXIT_STATE, errno, "%s", base);
	fd = lab_dir_open(bfd, base, lab, e);
	if (fd < 0)
		return -1;
	/* A lab that is up is not stale: its supervisor alone removes its
	 * dir (@held), under its lock. Otherwise hold the lock meanwhile,
	 * so an `up` of the lab waits for us instead of seeing half a dir. */
	if (!held) {
		lk = openat(fd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (lk >= 0 && flock(lk, LOCK_EX | LOCK_NB) < 0)
			return vl_fail(e, EXIT_STATE, "lab '%s' is up: its runtime dir %s stays",
				       lab, rundir);
	}
	r = rm_tree_at(bfd, lab, fd);
	if (r)
		return vl_fail_errno(e, EXIT_ENV, r, "removing %s", rundir);
	return 0;
}

int lab_lock(const char *dir)
{
	_cleanup_free_ char *p = path_in(dir, LF_LOCK);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

bool lab_is_up(const char *dir)
{
	_cleanup_free_ char *p = path_in(dir, LF_LOCK);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool up = false;

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		up = true;
	close(fd);
	return up;
}

pid_t lab_supervisor(const char *lab, struct vl_err *e)
{
	_cleanup_free_ char *dir = rundir_lab(lab, e);
	_cleanup_free_ char *pf = NULL;
	_cleanup_free_ char *txt = NULL;
	long pid;

	if (!dir)
		return -1;
	pf = path_in(dir, LF_PID);
	if (!lab_is_up(dir))
		return vl_fail(e, EXIT_STATE, "lab '%s' is not up (no supervisor holds %s/lock)",
			       lab, dir);
	txt = read_file(pf, NULL);
	if (!txt || (pid = strtol(txt, NULL, 10)) <= 1)
		return vl_fail(e, EXIT_STATE, "lab '%s': cannot read %s", lab, pf);
	return (pid_t)pid;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **lab_list(void)
{
	_cleanup_free_ char *base = rundir_base();
	DIR *d = opendir(base);
	struct dirent *de;
	char **v = xcalloc(1, sizeof(char *));
	size_t n = 0;

	if (!d)
		return v;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	return v;
}

/* ---- every file of a lab: one place spells them -------------------- */

char *port_fifo_path(const char *port_dir, int idx)
{
	return xasprintf("%s/ttyS%d", port_dir, idx);
}

char *port_unix_path(const char *port_dir, int idx)
{
	return xasprintf("%s/ttyS%d.sock", port_dir, idx);
}

char *port_log_path(const char *log_dir, const char *node, int idx)
{
	return xasprintf("%s/%s.ttyS%d.log", log_dir, node, idx);
}

char *port_attempt_log_path(const char *log_dir, const char *node, int idx, int attempt)
{
	return xasprintf("%s/%s.ttyS%d.attempt%d.log", log_dir, node, idx, attempt);
}

char *port_sock_path(const char *node_dir, int idx, bool ro)
{
	return xasprintf("%s/ttyS%d%s.sock", node_dir, idx, ro ? ".ro" : "");
}

char *path_in(const char *dir, enum lab_file f)
{
	static const char *const names[] = {
		[LF_LOCK] = "lock",
		[LF_MARKER] = LAB_MARKER,
		[LF_PID] = "supervisor.pid",
		[LF_CTL] = "ctl.sock",
		[LF_RESOLV] = "resolv.conf",
		[LF_UPLINK_NFT] = "uplink.nft",
		[LF_HOST_PORTS] = "host-ports",
		[LF_LOGS] = "logs",
		[LF_SUPERVISOR_LOG] = "supervisor.log",
		[LF_PASTA_LOG] = "pasta.log",
		[LF_STATUS_JSON] = "status.json",
		[LF_WARM] = "warm",
		[LF_WARM_LEASES] = "warm.leases",
		[LF_WARM_KEY] = "key",
		[LF_WARM_ENTRY_LEASES] = "leases",
	};

	return xasprintf("%s/%s", dir, names[f]);
}

char *path_node_dir(const char *rundir, const char *node)
{
	return xasprintf("%s/%s", rundir, node);
}

char *path_qmp(const char *node_dir)
{
	return xasprintf("%s/qmp.sock", node_dir);
}

char *path_usb_key(const char *node_dir)
{
	return xasprintf("%s/usb.img", node_dir);
}

char *path_dns(const char *rundir, const char *what)
{
	return xasprintf("%s/dnsmasq.%s", rundir, what);
}

char *path_log(const char *logdir, const char *kind, const char *name)
{
	if (!name)
		return xasprintf("%s/%s.log", logdir, kind);
	if (!strcmp(kind, "qemu"))
		return xasprintf("%s/%s.qemu.log", logdir, name);
	return xasprintf("%s/%s-%s.log", logdir, kind, name);
}

char *path_disk(const char *statedir, const char *node, const char *ext)
{
	return xasprintf("%s/%s.%s", statedir, node, ext);
}

char *path_warm_cache(void)
{
	_cleanup_free_ char *base = statedir_base();

	return xasprintf("%s/.warm", base);
}

char *path_warm_entry(const char *hash)
{
	_cleanup_free_ char *d = path_warm_cache();

	return xasprintf("%s/%s", d, hash);
}

char *path_warm_topo_record(const char *topo_hash)
{
	_cleanup_free_ char *d = path_warm_cache();

	return xasprintf("%s/topo-%.16s.key", d, topo_hash);
}

char *path_warm_lock(const char *hash)
{
	_cleanup_free_ char *d = path_warm_cache();

	return xasprintf("%s/%s.lock", d, hash);
}

char *path_warm_tmp(const char *hash)
{
	_cleanup_free_ char *d = path_warm_cache();

	return xasprintf("%s/.tmp-%s-%d", d, hash, (int)getpid());
}

int path_sockaddr(struct sockaddr_un *sa, const char *path, struct vl_err *e)
{
	size_t len = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len > (size_t)PATH_SOCK_MAX)
		return vl_fail(e, EXIT_ENV,
			       "socket path %s is %zu bytes, longer than the %d a unix socket "
			       "allows",
			       path, len, PATH_SOCK_MAX);
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

/* Keep the longest of the lab's socket paths in *@worst. */
static void keep_longest(char **worst, char *p)
{
	if (!*worst || strlen(p) > strlen(*worst)) {
		free(*worst);
		*worst = p;
	} else {
		free(p);
	}
}

int rundir_check_socks(const char *rundir, const char *node, int n_ports, struct vl_err *e)
{
	_cleanup_free_ char *worst = path_in(rundir, LF_CTL);
	struct sockaddr_un sa;

	if (node) {
		_cleanup_free_ char *nd = path_node_dir(rundir, node);

		keep_longest(&worst, path_qmp(nd));
		if (n_ports > 0) {
			keep_longest(&worst, port_unix_path(nd, n_ports - 1));
			keep_longest(&worst, port_sock_path(nd, n_ports - 1, true));
		}
	}
	if (path_sockaddr(&sa, worst, e) < 0)
		return vl_wrap(e,
			       "the lab's runtime dir %s is too deep for its sockets (set "
			       "VACMLAB_RUNTIME_DIR to a shorter directory, or shorten the "
			       "lab or node name)",
			       rundir);
	return 0;
}
