// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_doctor.c - `vacmlab doctor [--json]`: one screen that says whether a
 * lab can come up on this machine, and how to fix each miss.
 *
 * Every check does the real thing where it can (unshare in a child, a qdisc
 * on a veth in a throwaway namespace, a tiny KVM guest, the programs'
 * --version) rather than guessing from file modes. A check is "ok", "warn"
 * (a feature some labs use is missing: KVM, pasta, netem) or "fail" (a lab
 * with nodes cannot come up); any fail makes the exit status EXIT_ENV.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "lab/cli/cmds.h"
#include "lab/lib/env.h"
#include "lab/lib/error.h"
#include "lab/lib/landlock.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

enum doc_status {
	DOC_OK,
	DOC_WARN,
	DOC_FAIL,
};

struct doc {
	json_t *checks;
	int n_fail, n_warn;
};

static const char *status_name(enum doc_status s)
{
	switch (s) {
	case DOC_OK: return "ok";
	case DOC_WARN: return "warn";
	case DOC_FAIL: return "fail";
	}
	return "?";
}

/* Record one finding; @fix may be NULL (nothing to do). */
static void add(struct doc *d, const char *name, enum doc_status s, const char *fix,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct doc *d, const char *name, enum doc_status s, const char *fix,
		const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	d->n_fail += s == DOC_FAIL;
	d->n_warn += s == DOC_WARN;
	json_array_append_new(d->checks, json_pack("{s:s,s:s,s:s,s:s?}", "check", name, "status",
						   status_name(s), "detail", detail, "fix", fix));
}

/* A sysctl's value as text ("" if it does not exist on this kernel). */
static void sysctl_read(const char *key, char *out, size_t len)
{
	_cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
	_cleanup_free_ char *v = read_file(path, NULL);

	snprintf(out, len, "%s", v ? v : "");
	out[strcspn(out, "\n")] = '\0';
}

static void check_userns(struct doc *d)
{
	char clone[16], max[16], aa[16], sys[160];
	int e = userns_probe();

	sysctl_read("kernel/unprivileged_userns_clone", clone, sizeof(clone));
	sysctl_read("user/max_user_namespaces", max, sizeof(max));
	sysctl_read("kernel/apparmor_restrict_unprivileged_userns", aa, sizeof(aa));
	snprintf(sys, sizeof(sys),
		 "kernel.unprivileged_userns_clone=%s user.max_user_namespaces=%s "
		 "kernel.apparmor_restrict_unprivileged_userns=%s",
		 *clone ? clone : "(absent)", *max ? max : "(absent)", *aa ? aa : "(absent)");
	if (!e) {
		add(d, "user namespaces", DOC_OK, NULL,
		    "unshare(CLONE_NEWUSER|CLONE_NEWNET) works; %s", sys);
		return;
	}
	if (!strcmp(clone, "0"))
		add(d, "user namespaces", DOC_FAIL,
		    "sudo sysctl -w kernel.unprivileged_userns_clone=1", "unshare failed (%s); %s",
		    strerror(e), sys);
	else if (!strcmp(max, "0"))
		add(d, "user namespaces", DOC_FAIL, "sudo sysctl -w user.max_user_namespaces=10000",
		    "unshare failed (%s); %s", strerror(e), sys);
	else if (!strcmp(aa, "1"))
		add(d, "user namespaces", DOC_FAIL,
		    "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor "
		    "profile for vacmlab with 'userns,'",
		    "unshare failed (%s); %s", strerror(e), sys);
	else
		add(d, "user namespaces", DOC_FAIL, userns_explain(e), "unshare failed (%s); %s",
		    strerror(e), sys);
}

static void check_tun(struct doc *d)
{
	struct vl_err e = {0};
	struct stat st;

	if (tun_check(&e) == 0) {
		stat("/dev/net/tun", &st);
		add(d, "/dev/net/tun", DOC_OK, NULL, "read-write for uid %u (mode %04o)",
		    (unsigned)getuid(), (unsigned)(st.st_mode & 07777));
		return;
	}
	/* First line is the finding, the rest the fix. */
	char *nl = strchr(e.msg, '\n');

	if (nl)
		*nl = '\0';
	if (nl && nl > e.msg && nl[-1] == '.')
		nl[-1] = '\0';
	add(d, "/dev/net/tun", DOC_FAIL,
	    "sudo chmod 0666 /dev/net/tun (until reboot); permanent: echo 'KERNEL==\"tun\", "
	    "MODE=\"0666\"' | sudo tee /etc/udev/rules.d/60-tun.rules",
	    "%s; nodes need a tap (labs of LANs and [host]s only still work)", e.msg);
}

static void check_kvm(struct doc *d)
{
	struct vl_err e = {0};

	/* Not a failure of doctor: labs then run under TCG (a warning). */
	if (kvm_probe(&e) == 0)
		add(d, "kvm", DOC_OK, NULL,
		    "a test guest ran under KVM; labs use it with VACMLAB_ACCEL=kvm");
	else
		add(d, "kvm", DOC_WARN,
		    "none needed: labs run under TCG (slower); for KVM enable virtualisation "
		    "(nested: kvm_intel nested=1 / kvm_amd nested=1 on the host) and make "
		    "/dev/kvm read-write for you (group kvm)",
		    "KVM is not usable: %s", e.msg);
}

/* @prog with its version (first line of @flag's output). */
static void check_program(struct doc *d, const char *prog, const char *package, const char *flag,
			  enum doc_status missing, const char *why)
{
	_cleanup_free_ char *path = find_program(prog);
	char out[512], fix[128];

	snprintf(fix, sizeof(fix), "sudo apt-get install %s", package);
	if (!path) {
		add(d, prog, missing, fix, "not found in PATH or /usr/sbin; %s", why);
		return;
	}
	char *argv[] = {path, (char *)flag, NULL};
	int st = run_capture(prog, argv, out, sizeof(out));

	out[strcspn(out, "\n")] = '\0';
	if (st != 0)
		add(d, prog, missing, fix, "%s does not run (%s %s: status %d, %s)", path, prog,
		    flag, st, out);
	else
		add(d, prog, DOC_OK, NULL, "%s: %s", path, out);
}

/* Landlock confines QEMU and dnsmasq (lab/lib/landlock.c); without it
 * the lab runs, less contained: a warning, never a failure. */
static void check_landlock(struct doc *d)
{
	char line[256];
	bool full = landlock_describe(line, sizeof(line));

	if (!landlock_wanted())
		add(d, "landlock", DOC_WARN, "unset VACMLAB_CONFINE",
		    "confinement switched off (VACMLAB_CONFINE); %s", line);
	else if (full)
		add(d, "landlock", DOC_OK, NULL, "%s", line);
	else
		add(d, "landlock", DOC_WARN,
		    "a kernel with Landlock ABI 4 or later (Linux 6.7), lsm= including landlock",
		    "%s", line);
}

static void check_qdiscs(struct doc *d)
{
	struct vl_err e = {0};
	int netem = 0, tbf = 0;

	if (qdisc_probe(&netem, &tbf, &e) < 0) {
		add(d, "netem", DOC_WARN, NULL, "not checked: %s", e.msg);
		add(d, "tbf", DOC_WARN, NULL, "not checked: %s", e.msg);
		return;
	}
	if (!netem)
		add(d, "netem", DOC_OK, NULL,
		    "a netem qdisc was added to a veth in a test namespace");
	else
		add(d, "netem", DOC_WARN,
		    "load it: sudo modprobe sch_netem (Debian cloud kernels lack it: install "
		    "linux-image-amd64)",
		    "the kernel refused a netem qdisc (%s%s): impair delay/jitter/loss fail; "
		    "rate alone still works through tbf",
		    strerror(-netem), netem == -ENOENT ? ": no sch_netem in this kernel" : "");
	if (!tbf)
		add(d, "tbf", DOC_OK, NULL, "a tbf qdisc was added to a veth in a test namespace");
	else
		add(d, "tbf", DOC_WARN, "load it: sudo modprobe sch_tbf",
		    "the kernel refused a tbf qdisc (%s): impair rate fails", strerror(-tbf));
}

static void check_resources(struct doc *d)
{
	_cleanup_free_ char *mi = read_file("/proc/meminfo", NULL);
	const char *p = mi ? strstr(mi, "MemAvailable:") : NULL;
	long long avail_kb = p ? atoll(p + strlen("MemAvailable:")) : -1;
	cpu_set_t set;
	int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (avail_kb < 0)
		add(d, "memory", DOC_WARN, NULL, "MemAvailable not found in /proc/meminfo");
	else if (avail_kb < 512 * 1024)
		add(d, "memory", DOC_WARN,
		    "stop other work, or give nodes less (memory = in [node], MiB)",
		    "%lld MiB available: less than two nodes of the default 256 MiB",
		    avail_kb / 1024);
	else
		add(d, "memory", DOC_OK, NULL,
		    "%lld MiB available (%lld nodes of the default 256 MiB)", avail_kb / 1024,
		    avail_kb / 1024 / 256);
	add(d, "cpus", cpus >= 1 ? DOC_OK : DOC_WARN, NULL,
	    "%d usable by this process (%ld online); QEMU under TCG takes about one per "
	    "booting node",
	    cpus, online);
}

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case TMPFS_MAGIC: return "tmpfs";
	case EXT4_SUPER_MAGIC: return "ext4";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case XFS_SUPER_MAGIC: return "xfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlay";
	case NFS_SUPER_MAGIC: return "nfs";
	case 0x65735546: return "fuse";
	case 0x2fc12fc1: return "zfs";
	default: return "other";
	}
}

/* The nearest existing directory at or above @path (modified in place). */
static void existing_parent(char *path)
{
	struct stat st;
	char *s;

	while (stat(path, &st) < 0 && (s = strrchr(path, '/')) && s != path)
		*s = '\0';
	if (stat(path, &st) < 0)
		strcpy(path, "/");
}

static void check_dir(struct doc *d, const char *name, const char *dir, bool runtime)
{
	char probe[PATH_MAX], note[512] = "";
	struct statfs sfs;
	struct statvfs svfs;
	struct stat st;
	bool exists = stat(dir, &st) == 0;

	snprintf(probe, sizeof(probe), "%s", dir);
	existing_parent(probe);
	if (access(probe, W_OK | X_OK) < 0) {
		add(d, name, DOC_FAIL,
		    runtime ? "set VACMLAB_RUNTIME_DIR (or XDG_RUNTIME_DIR) to a directory of yours"
			    : "set VACMLAB_STATE_DIR (or XDG_STATE_HOME), or pass up --state DIR",
		    "%s: %s is not writable by uid %u (%s)", dir, probe, (unsigned)getuid(),
		    strerror(errno));
		return;
	}
	if (statfs(probe, &sfs) < 0 || statvfs(probe, &svfs) < 0) {
		add(d, name, DOC_WARN, NULL, "%s: statfs %s: %s", dir, probe, strerror(errno));
		return;
	}
	if (runtime) {
		char linger[128];
		struct passwd *pw = getpwuid(getuid());

		if (!strncmp(dir, "/run/user/", 10)) {
			snprintf(linger, sizeof(linger), "/var/lib/systemd/linger/%s",
				 pw ? pw->pw_name : "?");
			snprintf(note, sizeof(note),
				 access(linger, F_OK) == 0
					 ? "; lingering is on: labs survive logout"
					 : "; logind removes /run/user/%u at your last logout, "
					   "taking running labs' sockets with it: `loginctl "
					   "enable-linger` keeps it",
				 (unsigned)getuid());
		} else if (!strncmp(dir, "/tmp/", 5)) {
			snprintf(
				note, sizeof(note),
				"; no XDG_RUNTIME_DIR or /run/user/%u session dir, so /tmp is used",
				(unsigned)getuid());
		}
	} else {
		unsigned long long free_mb =
			(unsigned long long)svfs.f_bavail * svfs.f_frsize / (1024 * 1024);

		snprintf(note, sizeof(note), "; %llu MiB free for disk overlays and logs", free_mb);
		if (free_mb < 512) {
			add(d, name, DOC_WARN,
			    "free some space, or point VACMLAB_STATE_DIR elsewhere", "%s on %s%s",
			    dir, fs_name(sfs.f_type), note);
			return;
		}
	}
	add(d, name, DOC_OK, NULL, "%s %s, on %s%s", dir,
	    exists ? "exists and is writable" : "can be created", fs_name(sfs.f_type), note);
}

static void print_text(const struct doc *d)
{
	size_t i;
	json_t *c;

	printf("vacmlab doctor: can this machine run labs? (uid %u)\n", (unsigned)getuid());
	json_array_foreach (d->checks, i, c) {
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *fix = json_string_value(json_object_get(c, "fix"));

		printf("  %-5s %-19s %s\n",
		       !strcmp(st, "ok")     ? "ok"
		       : !strcmp(st, "warn") ? "WARN"
					     : "FAIL",
		       json_string_value(json_object_get(c, "check")),
		       json_string_value(json_object_get(c, "detail")));
		if (fix && strcmp(st, "ok"))
			printf("  %-5s %-19s fix: %s\n", "", "", fix);
	}
	if (d->n_fail)
		printf("verdict: a lab with nodes cannot come up here (%d failed, %d warnings)\n",
		       d->n_fail, d->n_warn);
	else
		printf("verdict: labs can come up here (%d warnings)\n", d->n_warn);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vacmlab doctor [--json]\n"
		   "\n"
		   "Check everything a lab needs on this machine, for this user: user\n"
		   "namespaces, /dev/net/tun, KVM (a real test guest), qemu-system-x86_64,\n"
		   "dnsmasq and pasta with their versions, the netem and tbf qdiscs, free\n"
		   "memory and CPUs, Landlock (QEMU's confinement), the runtime and state dirs. "
		   "Each miss says how to fix\n"
		   "it. Exit 0 if a lab can come up, 2 if not.\n"
		   "\n"
		   "  --json    the findings as JSON\n"
		   "  --help    this text\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct doc d = {.checks = json_array()};
	_cleanup_free_ char *run = NULL, *state = NULL;
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	check_userns(&d);
	check_tun(&d);
	check_kvm(&d);
	check_program(&d, "qemu-system-x86_64", "qemu-system-x86", "--version", DOC_FAIL,
		      "every node is a QEMU guest");
	check_program(&d, "qemu-img", "qemu-utils", "--version", DOC_FAIL,
		      "node disk overlays are made with it");
	check_program(&d, "dnsmasq", "dnsmasq-base", "--version", DOC_FAIL,
		      "each LAN's DHCP and DNS");
	check_program(&d, "pasta", "passt", "--version", DOC_WARN,
		      "needed only for uplink = pasta");
	check_landlock(&d);
	check_qdiscs(&d);
	check_resources(&d);
	run = rundir_base();
	state = statedir_base();
	check_dir(&d, "runtime dir", run, true);
	check_dir(&d, "state dir", state, false);
	if (json) {
		json_t *root = json_pack("{s:b,s:i,s:i,s:i,s:O}", "ok", d.n_fail == 0, "uid",
					 (int)getuid(), "failed", d.n_fail, "warnings", d.n_warn,
					 "checks", d.checks);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		print_text(&d);
	}
	json_decref(d.checks);
	return d.n_fail ? EXIT_ENV : EXIT_OK;
}
