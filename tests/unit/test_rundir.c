// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rundir.c - TAP tests of the path module (lab/lib/rundir.c): where a
 * lab's runtime and state dirs are for each environment, every fixed file
 * (LF_*), a node's sockets and port files, the lab lock on a real dir; and
 * that a unix socket path too long for sun_path is refused with a message
 * naming it (never cut: a cut path binds another file), checked for the
 * whole lab before `up` makes anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

#define IS_TAKE(expr, want, ...)                                                                   \
	do {                                                                                       \
		char *t_ = (expr);                                                                 \
		is_str(t_, want, __VA_ARGS__);                                                     \
		free(t_);                                                                          \
	} while (0)

static void test_dirs(void)
{
	setenv("VACMLAB_RUNTIME_DIR", "/r/vl", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	IS_TAKE(rundir_base(), "/r/vl", "VACMLAB_RUNTIME_DIR first");
	IS_TAKE(rundir_lab("lab1", NULL), "/r/vl/lab1", "a lab's runtime dir");
	unsetenv("VACMLAB_RUNTIME_DIR");
	IS_TAKE(rundir_base(), "/run/user/7/vacmlab", "then $XDG_RUNTIME_DIR/vacmlab");
	setenv("XDG_RUNTIME_DIR", "", 1);
	{
		char *b = rundir_base(), want[64];

		snprintf(want, sizeof(want), "/tmp/vacmlab-%u", (unsigned)getuid());
		ok(b && (!strcmp(b, want) || strstr(b, "/run/user/")),
		   "an empty XDG_RUNTIME_DIR counts as unset (%s)", b);
		free(b);
	}
	setenv("VACMLAB_STATE_DIR", "/s/vl", 1);
	IS_TAKE(statedir_lab("lab1", NULL, NULL), "/s/vl/lab1", "VACMLAB_STATE_DIR/LAB");
	IS_TAKE(statedir_lab("lab1", "/my/state", NULL), "/my/state", "--state wins");
	unsetenv("VACMLAB_STATE_DIR");
	setenv("XDG_STATE_HOME", "/x/state", 1);
	IS_TAKE(statedir_lab("l", NULL, NULL), "/x/state/vacmlab/l",
		"then $XDG_STATE_HOME/vacmlab/LAB");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	IS_TAKE(statedir_lab("l", NULL, NULL), "/home/u/.local/state/vacmlab/l",
		"then ~/.local/state/vacmlab/LAB");
}

static void test_files(void)
{
	static const struct {
		enum lab_file f;
		const char *want;
	} lf[] = {
		{LF_LOCK, "/d/lock"},
		{LF_PID, "/d/supervisor.pid"},
		{LF_CTL, "/d/ctl.sock"},
		{LF_RESOLV, "/d/resolv.conf"},
		{LF_UPLINK_NFT, "/d/uplink.nft"},
		{LF_LOGS, "/d/logs"},
		{LF_SUPERVISOR_LOG, "/d/supervisor.log"},
		{LF_PASTA_LOG, "/d/pasta.log"},
		{LF_STATUS_JSON, "/d/status.json"},
	};

	for (size_t i = 0; i < sizeof(lf) / sizeof(lf[0]); i++)
		IS_TAKE(path_in("/d", lf[i].f), lf[i].want, "path_in %s", lf[i].want);
	IS_TAKE(path_node_dir("/r/lab", "vacm1"), "/r/lab/vacm1", "path_node_dir");
	IS_TAKE(path_qmp("/r/lab/vacm1"), "/r/lab/vacm1/qmp.sock", "path_qmp");
	IS_TAKE(port_fifo_path("/n", 2), "/n/ttyS2", "port_fifo_path");
	IS_TAKE(port_unix_path("/n", 2), "/n/ttyS2.sock", "port_unix_path");
	IS_TAKE(port_sock_path("/n", 0, false), "/n/ttyS0.sock", "port_sock_path rw");
	IS_TAKE(port_sock_path("/n", 11, true), "/n/ttyS11.ro.sock", "port_sock_path ro");
	IS_TAKE(port_log_path("/l", "vacm1", 1), "/l/vacm1.ttyS1.log", "port_log_path");
	IS_TAKE(port_attempt_log_path("/l", "vacm1", 0, 2), "/l/vacm1.ttyS0.attempt2.log",
		"port_attempt_log_path");
	IS_TAKE(path_dns("/r", "leases"), "/r/dnsmasq.leases", "path_dns");
	IS_TAKE(path_log("/l", "qemu", "vacm1"), "/l/vacm1.qemu.log", "path_log qemu");
	IS_TAKE(path_log("/l", "host", "web"), "/l/host-web.log", "path_log host");
	IS_TAKE(path_log("/l", "dnsmasq", NULL), "/l/dnsmasq.log", "path_log without a name");
	IS_TAKE(path_disk("/s", "vacm1", "qcow2"), "/s/vacm1.qcow2", "path_disk");
}

static void test_sock_limits(const char *tmp)
{
	struct sockaddr_un sa;
	struct vl_err e = {0};
	char path[256];
	int fd;

	ok(PATH_SOCK_MAX == (int)sizeof(sa.sun_path) - 1,
	   "PATH_SOCK_MAX is sun_path less its NUL (%d)", PATH_SOCK_MAX);
	/* Exactly the longest: accepted, and bind() takes it. */
	snprintf(path, sizeof(path), "%s/", tmp);
	while ((int)strlen(path) < PATH_SOCK_MAX)
		strcat(path, "s");
	is_int(path_sockaddr(&sa, path, &e), 0, "a %zu-byte path is accepted", strlen(path));
	is_str(sa.sun_path, path, "and copied whole");
	ok(sa.sun_family == AF_UNIX, "AF_UNIX");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
	   "bind() at the longest path works");
	close(fd);
	unlink(path);
	/* One more byte: refused, nothing cut. */
	strcat(path, "t");
	is_int(path_sockaddr(&sa, path, &e), -1, "a %zu-byte path is refused", strlen(path));
	is_int(e.code, EXIT_ENV, "with EXIT_ENV");
	ok(strstr(e.msg, path) && strstr(e.msg, "108 bytes") && strstr(e.msg, "107"),
	   "the message names the path and both lengths: %s", e.msg);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "nothing was made");
	vl_clear(&e);
	is_int(path_sockaddr(&sa, path, NULL), -1, "refused without an error object too");

	/* The whole lab, before up makes anything. */
	is_int(rundir_check_socks("/run/user/1000/vacmlab/two-node", "vacm1", 16, &e), 0,
	       "a usual runtime dir fits");
	ok(!vl_failed(&e), "no error set");
	{
		char deep[128];

		/* 60 + "/" + 32 + "/ttyS0.ro.sock" is 107: fits; ttyS15 does not. */
		snprintf(deep, sizeof(deep), "/%059d", 0);
		is_int(rundir_check_socks(deep, NULL, 0, &e), 0, "ctl.sock alone fits (%zu bytes)",
		       strlen(deep) + 9);
		char node[33];

		memset(node, 'n', 32);
		node[32] = '\0';
		is_int(rundir_check_socks(deep, node, 1, &e), 0,
		       "a 32-character node with one port fits");
		is_int(rundir_check_socks(deep, node, 16, &e), -1,
		       "the same node with 16 ports does not (ttyS15.ro.sock)");
		ok(strstr(e.msg, "/ttyS15.ro.sock") && strstr(e.msg, "VACMLAB_RUNTIME_DIR") &&
			   strstr(e.msg, deep),
		   "the message names the longest socket, the dir and the fix: %s", e.msg);
		vl_clear(&e);
		snprintf(deep, sizeof(deep), "/%0100d", 0);
		is_int(rundir_check_socks(deep, NULL, 0, &e), -1, "a dir too deep for ctl.sock");
		ok(strstr(e.msg, "/ctl.sock") != NULL, "names ctl.sock");
		vl_clear(&e);
	}
}

static void test_lock(const char *tmp)
{
	_cleanup_free_ char *dir = xasprintf("%s/lab/sub", tmp);
	_cleanup_free_ char *pidf = path_in(dir, LF_PID);
	struct vl_err e = {0};
	struct stat st;
	int fd, fd2;

	is_int(rundir_make(dir, &e), 0, "rundir_make makes the parents too");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "0700");
	chmod(dir, 0755);
	is_int(rundir_make(dir, &e), 0, "again on an existing dir");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	   "a dir opened to others is made 0700");
	{
		_cleanup_free_ char *ln = xasprintf("%s/link", tmp);

		ok(symlink(dir, ln) == 0, "a symlink to it");
		ok(rundir_make(ln, &e) < 0 && strstr(e.msg, ln) && e.code == EXIT_ENV,
		   "rundir_make refuses a symlink, EXIT_ENV: %s", e.msg);
		vl_clear(&e);
		unlink(ln);
	}
	ok(!lab_is_up(dir), "no lock file: not up");
	fd = lab_lock(dir);
	ok(fd >= 0, "lab_lock");
	ok(lab_is_up(dir), "locked: up");
	fd2 = lab_lock(dir);
	is_int(fd2, -EWOULDBLOCK, "a second lock: -EWOULDBLOCK");
	close(fd);
	ok(!lab_is_up(dir), "unlocked on close: not up (a dead supervisor)");
	unlink(pidf);
}

/* The name rule lives where paths are made: a bad name gets no path. */
static void test_names(void)
{
	static const char *const bad[] = {
		"..", ".", "", "../x", "a/b", "-x", "a\nb", "l\xff\xfe", "Lab", "foo-", NULL,
	};
	char big[301];
	struct vl_err e = {0};

	setenv("VACMLAB_RUNTIME_DIR", "/r/vl", 1);
	setenv("VACMLAB_STATE_DIR", "/s/vl", 1);
	memset(big, 'a', 300);
	big[300] = '\0';
	for (int i = 0; bad[i]; i++) {
		char *r = rundir_lab(bad[i], &e);

		ok(!r && e.code == EXIT_CONFIG && strstr(e.msg, "bad lab name") &&
			   strstr(e.msg, LAB_NAME_RULE),
		   "rundir_lab refuses name %d: %s", i, e.msg);
		free(r);
		vl_clear(&e);
		r = statedir_lab(bad[i], "/my/state", &e);
		ok(!r && e.code == EXIT_CONFIG, "statedir_lab refuses it, even with --state");
		free(r);
		vl_clear(&e);
	}
	ok(!rundir_lab(big, &e) && strstr(e.msg, "too long") && strlen(e.msg) < 400,
	   "300 characters: refused, quoted short (%s)", e.msg);
	vl_clear(&e);
	ok(!rundir_lab("a\nb", &e) && !strchr(e.msg, '\n') && strstr(e.msg, "a\\x0ab"),
	   "a newline is quoted as \\x0a, never printed (%s)", e.msg);
	vl_clear(&e);
	ok(lab_name_check("two-node") == NULL, "a good name passes");
	unsetenv("VACMLAB_RUNTIME_DIR");
	unsetenv("VACMLAB_STATE_DIR");
}

/* Nothing that is not a lab's runtime dir is removed as one. */
static void test_remove(const char *tmp)
{
	_cleanup_free_ char *base = xasprintf("%s/rt", tmp);
	_cleanup_free_ char *other = xasprintf("%s/other", tmp);
	_cleanup_free_ char *canary = xasprintf("%s/other/canary", tmp);
	_cleanup_free_ char *ln = xasprintf("%s/rt/ln", tmp);
	_cleanup_free_ char *bare = xasprintf("%s/rt/bare", tmp);
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *inner = NULL;
	struct vl_err e = {0};
	struct stat st;
	int fd;

	setenv("VACMLAB_RUNTIME_DIR", base, 1);
	dir = rundir_lab_make("good", &e);
	ok(dir != NULL, "rundir_lab_make (%s)", e.msg);
	vl_clear(&e);
	mkdir(other, 0700);
	write_file(canary, "x");
	/* Inside the lab, a symlink out: removing the lab leaves its target. */
	inner = xasprintf("%s/out", dir);
	ok(symlink(other, inner) == 0, "a symlink inside the lab to a dir outside");
	ok(symlink(other, ln) == 0, "a symlink in the base named like a lab");
	mkdir(bare, 0700);
	ok(rundir_remove(ln, false, &e) < 0 && e.code == EXIT_STATE, "a symlink is refused: %s",
	   e.msg);
	vl_clear(&e);
	ok(rundir_remove(bare, false, &e) < 0 && strstr(e.msg, "marker"),
	   "a dir without the marker is refused: %s", e.msg);
	vl_clear(&e);
	ok(stat(bare, &st) == 0, "and kept");
	ok(rundir_remove(other, false, &e) < 0, "a dir outside the base is refused: %s", e.msg);
	vl_clear(&e);
	fd = lab_lock(dir);
	ok(rundir_remove(dir, false, &e) < 0 && strstr(e.msg, "is up"),
	   "a lab that is up is refused: %s", e.msg);
	vl_clear(&e);
	is_int(rundir_remove(dir, true, &e), 0, "its lock holder removes it (%s)", e.msg);
	close(fd);
	ok(stat(dir, &st) < 0 && errno == ENOENT, "gone");
	ok(stat(canary, &st) == 0, "the file behind the symlink inside it is kept");
	ok(lstat(ln, &st) == 0 && stat(canary, &st) == 0, "the symlink in the base too");
	unsetenv("VACMLAB_RUNTIME_DIR");
}

static void test_duration(void)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {{"90", 90},	  {"90s", 90}, {"2m", 120}, {"1.5", 1.5}, {"500ms", 0.5},
		    {"1h", 3600}, {"0", 0},    {".5", 0.5}, {"1.", 1},	  {"0.25m", 15}};
	static const char *const bad[] = {"junk",
					  "-1",
					  "2x",
					  "",
					  "1e3",
					  "inf",
					  "nan",
					  " 1",
					  "1 ",
					  "+1",
					  "1..2",
					  "0x10",
					  "s",
					  "ms",
					  "1sm",
					  "1d",
					  "99999999999999999999999",
					  "9000h"};
	double v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const char *why = parse_duration(good[i].s, &v);

		ok(!why && v == good[i].v, "duration '%s' = %g s (%s)", good[i].s, good[i].v,
		   why ? why : "ok");
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = parse_duration(bad[i], &v);

		ok(why != NULL, "duration '%s' refused: %s", bad[i], why ? why : "ACCEPTED");
	}
}

int main(void)
{
	char tmp[] = "/tmp/test_rundir.XXXXXX";

	if (!mkdtemp(tmp))
		return 1;
	test_dirs();
	test_files();
	test_sock_limits(tmp);
	test_lock(tmp);
	test_names();
	test_remove(tmp);
	test_duration();
	{
		_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", tmp);

		ok(system(cmd) == 0, "cleanup");
	}
	return done_testing();
}
