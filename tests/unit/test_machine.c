// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_machine.c - the machine model helpers (qemu_args split like a shell
 * and checked against vacmlab's own options) and the accelerator decision
 * (accel.c) with a stand-in /dev/kvm (VACMLAB_KVM_DEVICE) and a private
 * state dir for the remembered-broken file.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/accel.h"
#include "lab/lib/error.h"
#include "lab/lib/machine.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

/* @s split and joined with '|', or "ERR: message". Static buffer. */
static const char *split(const char *s)
{
	static char out[VL_ERR_MAX + 16];
	struct vl_err e = {0};
	char **v = qemu_args_split(s, &e);
	size_t o = 0;

	if (!v) {
		snprintf(out, sizeof(out), "ERR%s: %s", e.code == EXIT_CONFIG ? "" : "(code?)",
			 e.msg);
		return out;
	}
	out[0] = '\0';
	for (char **p = v; *p; p++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", p == v ? "" : "|", *p);
	qemu_args_free(v);
	return out;
}

static void test_split(void)
{
	is_str(split("-device virtio-rng-pci"), "-device|virtio-rng-pci", "blanks separate words");
	is_str(split("  a \t b  "), "a|b", "runs of blanks, leading and trailing");
	is_str(split("-smbios 'type=1,serial=A B'"), "-smbios|type=1,serial=A B",
	       "'...' keeps blanks");
	is_str(split("\"a \\\"b\\\" \\\\ \\$ \\x\""), "a \"b\" \\ $ \\x",
	       "\"...\": \\\" \\\\ \\$ escape, other backslashes stay");
	is_str(split("a\\ b c\\'d"), "a b|c'd", "backslash outside quotes");
	is_str(split("x'' '' \"\""), "x||", "empty quoted words are words");
	is_str(split("pre'mid'\"post\""), "premidpost", "adjacent quoted parts join");
	is_str(split("'$HOME' \"*\" *"), "$HOME|*|*", "no expansion, no globbing");
	ok(strstr(split("$HOME"), "ERR: qemu_args: '$': vacmlab never runs a shell") != NULL,
	   "unquoted $ refused: %s", split("$HOME"));
	ok(strstr(split("\"`id`\""), "ERR: qemu_args: '`' inside") != NULL,
	   "` inside \"...\" refused: %s", split("\"`id`\""));
	ok(strstr(split("-device a;reboot"), "shell operator") != NULL, "; is an operator: %s",
	   split("-device a;reboot"));
	ok(strstr(split("a | b"), "shell operator") && strstr(split("a>b"), "shell operator") &&
		   strstr(split("(a)"), "shell operator") && strstr(split("a&"), "shell operator"),
	   "| > ( ) & are operators");
	is_str(split("'a;b|c>d'"), "a;b|c>d", "operators quoted are characters");
	is_str(split("'abc"), "ERR: qemu_args: unterminated ' quote", "unterminated '");
	is_str(split("\"abc"), "ERR: qemu_args: unterminated \" quote", "unterminated \"");
	is_str(split("abc\\"), "ERR: qemu_args ends in a lone backslash", "trailing backslash");
	is_str(split("   "), "ERR: qemu_args has no words", "no words");
}

/* NULL if accepted, else the message. */
static const char *owned(const char *s)
{
	static struct vl_err e;
	char **v = qemu_args_split(s, &e);
	int r;

	if (!v)
		return "split failed";
	vl_clear(&e);
	r = qemu_args_owned(v, &e);
	qemu_args_free(v);
	return r < 0 ? e.msg : NULL;
}

static void test_owned(void)
{
	static const char *const refused[] = {
		"-netdev",    "-nic",	     "-net",	 "-serial",   "-chardev", "-mon",
		"-monitor",   "-qmp",	     "-drive",	 "-hda",      "-hdb",	  "-hdc",
		"-hdd",	      "-daemonize",  "-pidfile", "-display",  "-accel",	  "-enable-kvm",
		"-machine",   "-M",	     "-loadvm",	 "-incoming", "-runas",	  "-chroot",
		"-sandbox",   "-m",	     "-smp",	 "-cpu",      "-name",	  "-snapshot",
		"-nographic", "-readconfig",
	};
	static const char *const allowed[] = {
		"-device virtio-rng-pci",
		"-global isa-fdc.driveA=",
		"-smbios type=1",
		"-object rng-random,id=r0",
		"-mem-path /dev/hugepages",
		"-blockdev driver=null-co",
		"-no-reboot",
		"-rtc base=utc",
		"-boot menu=off",

		"-machinex",
		"-",
		"--",
	};
	int bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		char a[64], b[64], c[64];

		snprintf(a, sizeof(a), "-device x %s y", refused[i]);
		snprintf(b, sizeof(b), "-%s y", refused[i]);
		snprintf(c, sizeof(c), "%s=y", refused[i]);
		if (!owned(a) || !owned(b) || !owned(c)) {
			ok(0, "%s refused as -opt, --opt and -opt=v", refused[i]);
			bad++;
		}
	}
	ok(!bad, "%zu options vacmlab owns refused as -opt, --opt and -opt=v", ARRAY_SIZE(refused));
	bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (owned(allowed[i])) {
			ok(0, "'%s' accepted: %s", allowed[i], owned(allowed[i]));
			bad++;
		}
	ok(!bad, "options vacmlab does not own pass (-device, -global, -smbios, ...)");
	is_str(owned("-device e1000 --netdev user,id=x"),
	       "qemu_args: --netdev is set by vacmlab: vacmlab makes the NICs: use nic = LAN "
	       "[ADDRESS] and nic_model",
	       "the message names the option and what to use instead");
	is_str(owned("-m 512"), "qemu_args: -m is set by vacmlab: use memory = MiB",
	       "-m: memory =");
}

static void test_models(void)
{
	enum machine_type m;
	enum disk_bus d;
	struct vl_err e = {0};

	ok((vl_clear(&e), machine_parse("pc", &m, &e)) == 0 && m == MACHINE_PC &&
		   (vl_clear(&e), machine_parse("q35", &m, &e)) == 0 && m == MACHINE_Q35,
	   "machine pc, q35");
	ok((vl_clear(&e), machine_parse("pc-i440fx-7.2", &m, &e)) < 0 &&
		   strstr(e.msg, "pc-i440fx") && e.code == EXIT_CONFIG,
	   "other machines refused, a usage error: %s", e.msg);
	ok((vl_clear(&e), disk_bus_parse("virtio", &d, &e)) == 0 && d == DISK_VIRTIO &&
		   (vl_clear(&e), disk_bus_parse("auto", &d, &e)) < 0,
	   "disk buses; auto is not a value");
	ok(disk_bus_default(MACHINE_PC) == DISK_IDE && disk_bus_default(MACHINE_Q35) == DISK_AHCI,
	   "-hda's bus: IDE on pc, AHCI on q35");
	ok(disk_bus_problem(MACHINE_Q35, DISK_IDE) && !disk_bus_problem(MACHINE_PC, DISK_AHCI),
	   "ide on q35 refused, ahci on pc allowed");
	ok((vl_clear(&e), cpu_model_check("Skylake-Client-v4,+ssse3,-avx,x=1", &e)) == 0 &&
		   (vl_clear(&e), cpu_model_check("max;id", &e)) < 0 &&
		   (vl_clear(&e), cpu_model_check("-cpu", &e)) < 0,
	   "cpu models with flags; odd characters refused");
	ok(cpu_needs_kvm("host") && cpu_needs_kvm("host,+x") && !cpu_needs_kvm("hostx") &&
		   !cpu_needs_kvm("max"),
	   "host needs KVM");
}

static const char *decide(const char *flag, bool topo_set, enum accel_mode topo_mode,
			  struct vl_err *e)
{
	static struct accel_choice c;

	vl_clear(e);
	if (accel_request(flag, topo_set, topo_mode, &c, e) < 0 || accel_decide(&c, e) < 0)
		return e->msg;
	return c.reason;
}

/* accel_kvm_check() as uid 65534 with no groups (run only as root). */
static void problem_as_nobody(char *buf, size_t len)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	buf[0] = '\0';
	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct vl_err ke = {0};
		const char *r;

		close(p[0]);
		if (setgroups(0, NULL) < 0 || setresgid(65533, 65533, 65533) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		r = accel_kvm_check(&ke) < 0 ? ke.msg : "usable";
		if (write(p[1], r, strlen(r)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void test_accel(const char *tmp)
{
	_cleanup_free_ char *dev = xasprintf("%s/kvm", tmp);
	_cleanup_free_ char *missing = xasprintf("%s/no-kvm", tmp);
	_cleanup_free_ char *path = NULL, *text = NULL;
	char *want;
	struct vl_err e = {0};
	char *reason, buf[512];
	enum accel_mode m;

	ok(accel_parse("auto", &m, &e) == 0 && m == ACCEL_AUTO && accel_parse("kvm", &m, &e) == 0 &&
		   m == ACCEL_KVM && accel_parse("tcg", &m, &e) == 0 && m == ACCEL_TCG &&
		   accel_parse("hvf", &m, &e) < 0 && e.code == EXIT_CONFIG &&
		   !strcmp(e.msg, "unknown accel 'hvf': expected auto, kvm or tcg"),
	   "accel auto, kvm, tcg; others refused: %s", e.msg);

	setenv("VACMLAB_KVM_DEVICE", missing, 1);
	unsetenv("VACMLAB_ACCEL");
	want = xasprintf("tcg: no %s", missing);
	is_str(decide(NULL, false, ACCEL_AUTO, &e), want, "auto without a KVM device: TCG, why");
	free(want);
	is_str(decide(NULL, true, ACCEL_TCG, &e), "tcg: asked for ([lab] accel)",
	       "[lab] accel = tcg");
	setenv("VACMLAB_ACCEL", "tcg", 1);
	is_str(decide(NULL, true, ACCEL_KVM, &e), "tcg: asked for (VACMLAB_ACCEL)",
	       "VACMLAB_ACCEL beats [lab] accel");
	is_str(decide("tcg", true, ACCEL_KVM, &e), "tcg: asked for (--accel)",
	       "--accel beats VACMLAB_ACCEL");
	setenv("VACMLAB_ACCEL", "kvm", 1);
	decide(NULL, false, ACCEL_AUTO, &e);
	ok(e.code == EXIT_ENV &&
		   strstr(e.msg, "accel kvm (VACMLAB_ACCEL), but KVM is not usable here: no ") !=
			   NULL,
	   "forced kvm without KVM: an environment error: %s", e.msg);
	setenv("VACMLAB_ACCEL", "fast", 1);
	decide(NULL, false, ACCEL_AUTO, &e);
	ok(e.code == EXIT_CONFIG, "bad VACMLAB_ACCEL is a usage error");
	is_str(e.msg, "VACMLAB_ACCEL: unknown accel 'fast': expected auto, kvm or tcg",
	       "... naming the variable");
	decide("x", false, ACCEL_AUTO, &e);
	is_str(e.msg, "--accel: unknown accel 'x': expected auto, kvm or tcg", "bad --accel");
	unsetenv("VACMLAB_ACCEL");

	/* A file that is not a KVM device: opens, the first ioctl fails. */
	write_file(dev, "");
	chmod(dev, 0666);
	setenv("VACMLAB_KVM_DEVICE", dev, 1);
	ok(!strncmp(decide(NULL, false, ACCEL_AUTO, &e), "tcg: ", 5) &&
		   strstr(decide(NULL, false, ACCEL_AUTO, &e), ": KVM_GET_API_VERSION: "),
	   "a device that is not KVM: %s", decide(NULL, false, ACCEL_AUTO, &e));
	if (geteuid() == 0) {
		chmod(dev, 0600);
		problem_as_nobody(buf, sizeof(buf));
		want = xasprintf("%s is 0600 root:root; make it 0660 root:kvm and add yourself to "
				 "group kvm",
				 dev);
		is_str(buf, want, "0600 root:root, as another user: mode, owner and the fix");
		free(want);
		if (chown(dev, 0, 65534) == 0 && chmod(dev, 0660) == 0) {
			struct group *g = getgrgid(65534);

			problem_as_nobody(buf, sizeof(buf));
			want = xasprintf("%s is 0660 root:%s; add yourself to group %s", dev,
					 g ? g->gr_name : "?", g ? g->gr_name : "?");
			is_str(buf, want, "a device the group may use: join the group");
			free(want);
		} else {
			ok(0, "chown %s", dev);
		}
	} else {
		ok(1, "# SKIP permission messages need root to play another user");
		ok(1, "# SKIP permission messages need root to play another user");
	}

	/* The remembered fact, in VACMLAB_STATE_DIR (as tests' lab_env). */
	setenv("VACMLAB_STATE_DIR", tmp, 1);
	path = accel_broken_path();
	want = xasprintf("%s/kvm-broken", tmp);
	is_str(path, want, "remembered in the state dir: kvm-broken");
	free(want);
	reason = accel_known_broken();
	ok(!reason, "nothing remembered yet");
	write_file(path, "0.0-other\tSome CPU\told reason\n");
	reason = accel_known_broken();
	ok(!reason, "another machine's line does not count");
	free(reason);
	ok(accel_remember_broken("KVM internal error.\tSuberror: 1", &e) == 0, "remember");
	reason = accel_known_broken();
	ok(reason != NULL, "known broken now");
	is_str(reason ? reason : "", "KVM internal error. Suberror: 1",
	       "the reason, tabs made blanks");
	free(reason);
	accel_remember_broken("second", &e);
	text = read_file(path, NULL);
	{
		const char *mine = text ? text + 30 : "";
		const char *nl = strchr(mine, '\n');
		int tabs = 0;

		ok(text && !strncmp(text, "0.0-other\tSome CPU\told reason\n", 30) && nl && !nl[1],
		   "other lines kept, this machine's line replaced, not added");
		for (const char *c = mine; *c; c++)
			tabs += *c == '\t';
		ok(tabs == 2 && strstr(mine, "\tsecond\n"), "KERNEL<TAB>CPU<TAB>reason");
	}
	reason = accel_known_broken();
	is_str(reason ? reason : "", "second", "the newest reason");
	free(reason);
	unlink(path);
	reason = accel_known_broken();
	ok(!reason, "rm the file: forgotten");
	free(reason);
	unsetenv("VACMLAB_KVM_DEVICE");
	unsetenv("VACMLAB_STATE_DIR");
	unlink(dev);
}

int main(void)
{
	char tmp[] = "/tmp/test_machine.XXXXXX";

	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	chmod(tmp, 0755);
	test_split();
	test_owned();
	test_models();
	test_accel(tmp);
	rm_rf(tmp);
	return done_testing();
}
