// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * env.c - environment checks with precise diagnostics (bubblewrap style):
 * user namespaces, /dev/net/tun, required programs (KVM: accel.c); and the probes
 * `vacmlab doctor` runs (a real unshare, a real qdisc, a real KVM guest).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/env.h"
#include "lab/lib/error.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "netns/nl.h"
#include "netns/ns.h"

const char *userns_explain(int err)
{
	static char buf[640];

	switch (err) {
	case EPERM:
		snprintf(buf, sizeof(buf),
			 "cannot create a user namespace: Operation not permitted.\n"
			 "  Unprivileged user namespaces are disabled here. Check:\n"
			 "    sysctl kernel.unprivileged_userns_clone   (Debian: must be 1)\n"
			 "    sysctl kernel.apparmor_restrict_unprivileged_userns (Ubuntu: 0, or "
			 "an AppArmor profile allowing userns)\n"
			 "  or whether you already run inside a chroot or a seccomp sandbox that "
			 "forbids unshare.");
		break;
	case ENOSPC:
		snprintf(buf, sizeof(buf),
			 "cannot create a user namespace: the limit is reached.\n"
			 "  Check sysctl user.max_user_namespaces and user.max_net_namespaces (0 "
			 "disables them).");
		break;
	case EINVAL:
		snprintf(buf, sizeof(buf),
			 "cannot create a user namespace: Invalid argument.\n"
			 "  The kernel lacks CONFIG_USER_NS or CONFIG_NET_NS, or this process is\n"
			 "  multi-threaded or in a chroot.");
		break;
	case EUSERS:
		snprintf(buf, sizeof(buf),
			 "cannot create a user namespace: too deeply nested (EUSERS).");
		break;
	default:
		snprintf(buf, sizeof(buf), "cannot create a user namespace: %s", strerror(err));
		break;
	}
	return buf;
}

int tun_check(struct vl_err *e)
{
	struct stat st;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct passwd *pw;
	struct group *gr;
	int errnum = errno;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (stat("/dev/net/tun", &st) < 0)
		return vl_fail(
			e, EXIT_ENV,
			"/dev/net/tun does not exist: load the tun module (sudo modprobe tun)");
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	return vl_fail(
		e, EXIT_ENV,
		"/dev/net/tun is not accessible to uid %u (%s): it is owned by %s:%s with mode "
		"%04o.\n"
		"  vacmlab opens taps on it inside the lab's user namespace, which needs the\n"
		"  device to be readable and writable by you, as most distributions ship it.\n"
		"  Fix (until reboot): sudo chmod 0666 /dev/net/tun\n"
		"  Fix (permanent):    echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee "
		"/etc/udev/rules.d/60-tun.rules",
		(unsigned)getuid(), strerror(errnum), pw ? pw->pw_name : "?",
		gr ? gr->gr_name : "?", (unsigned)(st.st_mode & 07777));
}

char *need_program(const char *prog, const char *package, struct vl_err *e)
{
	char *p = find_program(prog);

	if (!p)
		vl_fail(e, EXIT_ENV,
			"%s not found in PATH or /usr/sbin: install the Debian package %s", prog,
			package);
	return p;
}

char *linger_warning(const char *rundir)
{
	char base[64], users[64], linger[320];
	struct passwd *pw = getpwuid(getuid());
	struct stat a, b;
	size_t bl;

	snprintf(base, sizeof(base), "/run/user/%u", (unsigned)getuid());
	bl = strlen(base);
	if (strncmp(rundir, base, bl) || (rundir[bl] && rundir[bl] != '/'))
		return NULL;
	/* logind's: it mounts a tmpfs of its own there and keeps state on
	 * the user in /run/systemd/users/UID. */
	snprintf(users, sizeof(users), "/run/systemd/users/%u", (unsigned)getuid());
	if (stat(base, &a) < 0 || stat("/run/user", &b) < 0)
		return NULL;
	if (a.st_dev == b.st_dev && access(users, F_OK) < 0)
		return NULL;
	if (!pw)
		return NULL;
	snprintf(linger, sizeof(linger), "/var/lib/systemd/linger/%s", pw->pw_name);
	if (access(linger, F_OK) == 0)
		return NULL;
	return xasprintf(
		"the lab's runtime dir is in %s, which systemd-logind removes at %s's last "
		"logout (lingering is off: no %s); the lab then shuts itself down. To keep "
		"it running after you log out: `loginctl enable-linger %s`",
		base, pw->pw_name, linger, pw->pw_name);
}

/*
 * Probes for `vacmlab doctor`. Each runs the real thing in a short-lived
 * child (so the caller never sits in a foreign namespace and a hung ioctl
 * cannot hang it) and reports what the kernel answered.
 */

/* Fork @fn in a child and read up to @len bytes it writes to the pipe,
 * waiting at most @timeout_ms. Returns the bytes read, or -errno. */
static ssize_t probe_child(void (*fn)(int wfd, void *arg), void *arg, void *buf, size_t len,
			   int timeout_ms)
{
	int p[2], status;
	struct pollfd pfd;
	ssize_t n = 0, r;
	pid_t pid;
	long long end;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	end = now_ms() + timeout_ms;
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	while ((size_t)n < len) {
		long long left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			n = n ? n : -ETIMEDOUT;
			break;
		}
		r = read(p[0], (char *)buf + n, len - (size_t)n);
		if (r <= 0)
			break;
		n += r;
	}
	close(p[0]);
	kill(pid, SIGKILL); /* our own child, by pid; reaped at once below */
	waitpid(pid, &status, 0);
	return n;
}

static void userns_child(int wfd, void *arg)
{
	int e = unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? errno : 0;

	(void)arg;
	write_all(wfd, &e, sizeof(e));
}

int userns_probe(void)
{
	int e = 0;
	ssize_t n = probe_child(userns_child, NULL, &e, sizeof(e), 5000);

	return n == sizeof(e) ? e : (n < 0 ? (int)-n : EIO);
}

struct qdisc_res {
	int ns, netem, tbf;
	char step[16];
};

static void qdisc_child(int wfd, void *arg)
{
	struct qdisc_res res = {0};
	const char *step = "";
	struct nlx *nl = NULL;
	struct nlx_netem delay = {.delay_us = 1000}, rate = {.rate_bps = 1000000};
	int r;

	(void)arg;
	r = ns_enter_new(getuid(), getgid(), &step);
	if (!r)
		r = nlx_open(&nl);
	if (!r)
		r = nlx_veth_add(nl, "dq0", "dq1", 0);
	if (r) {
		res.ns = r;
		snprintf(res.step, sizeof(res.step), "%s", *step ? step : "veth");
	} else {
		res.netem = nlx_netem_set(nl, "dq0", &delay);
		res.tbf = nlx_netem_set(nl, "dq1", &rate);
	}
	write_all(wfd, &res, sizeof(res));
}

int qdisc_probe(int *netem, int *tbf, struct vl_err *e)
{
	struct qdisc_res res;
	ssize_t n = probe_child(qdisc_child, NULL, &res, sizeof(res), 10000);

	if (n != sizeof(res))
		return vl_fail_errno(e, EXIT_ENV, n < 0 ? (int)n : EIO,
				     "the probe child did not answer");
	if (res.ns)
		return vl_fail_errno(e, EXIT_ENV, res.ns,
				     "a throwaway user+net namespace failed at %s", res.step);
	*netem = res.netem;
	*tbf = res.tbf;
	return 0;
}

/*
 * A 5-byte real-mode guest: mov $0x2a,%al; out %al,$0x10; hlt. KVM is
 * usable only if it runs it to the end: /dev/kvm may open (nested
 * virtualisation, a host without EPT) while every guest stops with an
 * internal error (emulation failure), which is what QEMU would hit too.
 */
static void kvm_child(int wfd, void *arg)
{
	static const unsigned char code[] = {0xb0, 0x2a, 0xe6, 0x10, 0xf4};
	char msg[256] = "";
	struct kvm_userspace_memory_region region = {0};
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu, sz, step;
	bool io_seen = false;

	(void)arg;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(msg, sizeof(msg), "opening /dev/kvm: %s", strerror(errno));
		goto out;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(msg, sizeof(msg), "KVM_CREATE_VM: %s", strerror(errno));
		goto out;
	}
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(msg, sizeof(msg), "mmap: %s", strerror(errno));
		goto out;
	}
	memcpy(mem, code, sizeof(code));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	vcpu = -1;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s",
			 vcpu < 0 ? "KVM_CREATE_VCPU" : "KVM_SET_USER_MEMORY_REGION",
			 strerror(errno));
		goto out;
	}
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = sz > 0 ? mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0)
		     : MAP_FAILED;
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(msg, sizeof(msg), "setting up the vcpu: %s", strerror(errno));
		goto out;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		snprintf(msg, sizeof(msg), "setting the vcpu's registers: %s", strerror(errno));
		goto out;
	}
	for (step = 0; step < 4; step++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			snprintf(msg, sizeof(msg), "KVM_RUN: %s", strerror(errno));
			goto out;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 &&
		    ((unsigned char *)run)[run->io.data_offset] == 0x2a) {
			io_seen = true;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT && io_seen)
			goto out; /* msg stays empty: usable */
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			snprintf(msg, sizeof(msg),
				 "a test guest stopped with a KVM internal error (suberror %u%s), "
				 "as QEMU guests do here",
				 run->internal.suberror,
				 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
					 ? ": emulation failure"
					 : "");
		else
			snprintf(msg, sizeof(msg), "a test guest exited unexpectedly (reason %u)",
				 run->exit_reason);
		goto out;
	}
	snprintf(msg, sizeof(msg), "a test guest did not halt");
out:
	write_all(wfd, msg, strlen(msg) + 1);
}

int kvm_probe(struct vl_err *e)
{
	char buf[256];
	ssize_t n = probe_child(kvm_child, NULL, buf, sizeof(buf) - 1, 5000);

	if (n <= 0)
		return vl_fail_errno(e, EXIT_ENV, n < 0 ? (int)n : EIO,
				     "the KVM test guest did not finish");
	buf[n] = '\0';
	/* The child's own words (over its pipe): empty when the guest ran. */
	return buf[0] ? vl_fail(e, EXIT_ENV, "%s", buf) : 0;
}
