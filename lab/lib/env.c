// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * env.c - environment checks with precise diagnostics (bubblewrap style):
 * user namespaces, /dev/net/tun, KVM, required programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/env.h"
#include "lab/lib/spawn.h"

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

int tun_check(char *msg, size_t len)
{
	struct stat st;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct passwd *pw;
	struct group *gr;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (stat("/dev/net/tun", &st) < 0) {
		snprintf(msg, len,
			 "/dev/net/tun does not exist: load the tun module (sudo modprobe tun)");
		return -1;
	}
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	snprintf(msg, len,
		 "/dev/net/tun is not accessible to uid %u (%s): it is owned by %s:%s with mode "
		 "%04o.\n"
		 "  vacmlab opens taps on it inside the lab's user namespace, which needs the\n"
		 "  device to be readable and writable by you, as most distributions ship it.\n"
		 "  Fix (until reboot): sudo chmod 0666 /dev/net/tun\n"
		 "  Fix (permanent):    echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee "
		 "/etc/udev/rules.d/60-tun.rules",
		 (unsigned)getuid(), strerror(errno), pw ? pw->pw_name : "?",
		 gr ? gr->gr_name : "?", (unsigned)(st.st_mode & 07777));
	return -1;
}

bool kvm_usable(void)
{
	const char *e = getenv("VACMLAB_ACCEL");
	int fd;

	/* KVM only on request: on the machines this was built on /dev/kvm
	 * opens but guests die with "emulation failure" (nested virt), and
	 * TCG boots the stand-in in seconds anyway. */
	if (!e || strcmp(e, "kvm"))
		return false;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

char *need_program(const char *prog, const char *package, char *msg, size_t len)
{
	char *p = find_program(prog);

	if (!p)
		snprintf(msg, len,
			 "%s not found in PATH or /usr/sbin: install the Debian package %s", prog,
			 package);
	return p;
}

int linger_warning(const char *rundir, char *msg, size_t len)
{
	char base[64], users[64], linger[320];
	struct passwd *pw = getpwuid(getuid());
	struct stat a, b;
	size_t bl;

	snprintf(base, sizeof(base), "/run/user/%u", (unsigned)getuid());
	bl = strlen(base);
	if (strncmp(rundir, base, bl) || (rundir[bl] && rundir[bl] != '/'))
		return 0;
	/* logind's: it mounts a tmpfs of its own there and keeps state on
	 * the user in /run/systemd/users/UID. */
	snprintf(users, sizeof(users), "/run/systemd/users/%u", (unsigned)getuid());
	if (stat(base, &a) < 0 || stat("/run/user", &b) < 0)
		return 0;
	if (a.st_dev == b.st_dev && access(users, F_OK) < 0)
		return 0;
	if (!pw)
		return 0;
	snprintf(linger, sizeof(linger), "/var/lib/systemd/linger/%s", pw->pw_name);
	if (access(linger, F_OK) == 0)
		return 0;
	snprintf(msg, len,
		 "the lab's runtime dir is in %s, which systemd-logind removes at %s's last "
		 "logout (lingering is off: no %s); the lab then shuts itself down. To keep "
		 "it running after you log out: `loginctl enable-linger %s`",
		 base, pw->pw_name, linger, pw->pw_name);
	return 1;
}
