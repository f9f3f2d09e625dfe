// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accel.c - KVM or TCG for a lab's QEMUs, with a one-line reason.
 *
 * "Can this user use KVM?" is answered by doing what QEMU does first:
 * open /dev/kvm read-write, KVM_GET_API_VERSION, KVM_CREATE_VM. That is
 * not enough on every machine: on some (nested or paravirtualised KVM)
 * all of it works and the guest still stops in its first second with
 * "KVM internal error ... emulation failure". The supervisor sees that and
 * calls accel_remember_broken(); the fact is kept per kernel release and
 * CPU model, in a small file in the user's state dir, so the next `auto`
 * goes straight to TCG until the user deletes the file (or the kernel or
 * CPU changes). File format, one line per machine:
 *   KERNEL-RELEASE <TAB> CPU-MODEL <TAB> reason
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lab/lib/accel.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

const char *accel_mode_name(enum accel_mode m)
{
	switch (m) {
	case ACCEL_AUTO: return "auto";
	case ACCEL_KVM: return "kvm";
	case ACCEL_TCG: return "tcg";
	}
	return "?";
}

int accel_parse(const char *s, enum accel_mode *out, struct vl_err *e)
{
	static const enum accel_mode all[] = {ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!strcmp(s, accel_mode_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return vl_fail(e, EXIT_CONFIG, "unknown accel '%s': expected auto, kvm or tcg", s);
}

int accel_request(const char *flag, bool topo_set, enum accel_mode topo_mode,
		  struct accel_choice *out, struct vl_err *err)
{
	const char *env = getenv("VACMLAB_ACCEL");

	memset(out, 0, sizeof(*out));
	if (flag) {
		out->source = "--accel";
		if (accel_parse(flag, &out->asked, err) < 0)
			return vl_wrap(err, "--accel");
	} else if (env && *env) {
		out->source = "VACMLAB_ACCEL";
		if (accel_parse(env, &out->asked, err) < 0)
			return vl_wrap(err, "VACMLAB_ACCEL");
	} else if (topo_set) {
		out->source = "[lab] accel";
		out->asked = topo_mode;
	} else {
		out->source = "default";
		out->asked = ACCEL_AUTO;
	}
	return 0;
}

static const char *kvm_device(void)
{
	const char *e = getenv("VACMLAB_KVM_DEVICE");

	return e && *e ? e : "/dev/kvm";
}

int accel_kvm_check(struct vl_err *e)
{
	const char *dev = kvm_device();
	struct stat st;
	int fd, v, vm, errnum;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errnum = errno;
		if (errnum == ENOENT)
			return vl_fail(e, EXIT_ENV, "no %s", dev);
		if ((errnum == EACCES || errnum == EPERM) && stat(dev, &st) == 0) {
			struct passwd *pw = getpwuid(st.st_uid);
			struct group *gr = getgrgid(st.st_gid);
			const char *g = gr ? gr->gr_name : "?";

			/* Group access helps only if the group may read and write. */
			if ((st.st_mode & 060) == 060 && st.st_gid != 0)
				return vl_fail(e, EXIT_ENV,
					       "%s is %04o %s:%s; add yourself to group %s", dev,
					       (unsigned)(st.st_mode & 07777),
					       pw ? pw->pw_name : "?", g, g);
			return vl_fail(e, EXIT_ENV,
				       "%s is %04o %s:%s; make it 0660 root:kvm and add yourself "
				       "to group kvm",
				       dev, (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "?",
				       g);
		}
		return vl_fail_errno(e, EXIT_ENV, errnum, "cannot open %s", dev);
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		errnum = errno;
		close(fd);
		if (v < 0)
			return vl_fail_errno(e, EXIT_ENV, errnum, "%s: KVM_GET_API_VERSION", dev);
		return vl_fail(e, EXIT_ENV, "%s speaks KVM API %d, QEMU needs %d", dev, v,
			       KVM_API_VERSION);
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		errnum = errno;
		close(fd);
		return vl_fail(e, EXIT_ENV, "%s opens but cannot create a VM (KVM_CREATE_VM: %s)",
			       dev, strerror(errnum));
	}
	close(vm);
	close(fd);
	return 0;
}

char *accel_broken_path(void)
{
	_cleanup_free_ char *base = statedir_base();

	return xasprintf("%s/kvm-broken", base);
}

/* "KERNEL\tCPU" of this machine; tabs and newlines in either become ' '. */
static char *machine_key(void)
{
	struct utsname u;
	char cpu[256] = "unknown CPU";
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	char *k;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !c)
			continue;
		c++;
		c += strspn(c, " \t");
		c[strcspn(c, "\n")] = '\0';
		snprintf(cpu, sizeof(cpu), "%s", c);
		break;
	}
	k = xasprintf("%s\t%s", u.release, cpu);
	for (char *c = strchr(k, '\t') + 1; *c; c++)
		if (*c == '\t' || *c == '\n')
			*c = ' ';
	return k;
}

/* The line of @text for @key (start of line; NUL-terminated copy), or NULL. */
static const char *find_key(const char *text, const char *key, size_t *linelen)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == '\t') {
			*linelen = strcspn(l, "\n");
			return l;
		}
	}
	return NULL;
}

char *accel_known_broken(void)
{
	_cleanup_free_ char *path = accel_broken_path();
	_cleanup_free_ char *key = machine_key();
	_cleanup_free_ char *text = read_file(path, NULL);
	const char *l;
	size_t ll, kl = strlen(key);

	if (!text)
		return NULL;
	l = find_key(text, key, &ll);
	if (!l)
		return NULL;
	return xasprintf("%.*s", (int)(ll - kl - 1), l + kl + 1);
}

int accel_remember_broken(const char *reason, struct vl_err *err)
{
	_cleanup_free_ char *path = accel_broken_path();
	_cleanup_free_ char *base = statedir_base();
	_cleanup_free_ char *key = machine_key();
	_cleanup_free_ char *text = read_file(path, NULL);
	_cleanup_free_ char *why = xstrdup(reason ? reason : "KVM failed to run a guest");
	_cleanup_free_ char *tmp = xasprintf("%s.%d", path, (int)getpid());
	_cleanup_free_ char *out = NULL;
	size_t ol = 0, kl = strlen(key);
	int r;

	for (char *c = why; *c; c++)
		if (*c == '\t' || *c == '\n')
			*c = ' ';
	out = xstrdup("");
	/* Keep every other machine's line (a home dir shared between hosts). */
	for (char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");

		if (n && !(!strncmp(l, key, kl) && l[kl] == '\t')) {
			out = xrealloc(out, ol + n + 2);
			memcpy(out + ol, l, n);
			ol += n;
			out[ol++] = '\n';
			out[ol] = '\0';
		}
		l += n;
		if (*l)
			l++;
	}
	{
		_cleanup_free_ char *line = xasprintf("%s\t%s\n", key, why);

		out = xrealloc(out, ol + strlen(line) + 1);
		strcpy(out + ol, line);
	}
	r = mkdir_p(base, 0700);
	if (r)
		return vl_fail_errno(err, EXIT_ENV, r, "creating %s", base);
	r = write_file(tmp, out);
	if (r)
		return vl_fail_errno(err, EXIT_ENV, r, "writing %s", tmp);
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return vl_fail_errno(err, EXIT_ENV, r, "renaming %s to %s", tmp, path);
	}
	return 0;
}

int accel_decide(struct accel_choice *c, struct vl_err *err)
{
	struct vl_err why = {0};
	_cleanup_free_ char *old = NULL;

	switch (c->asked) {
	case ACCEL_TCG:
		c->kvm = false;
		snprintf(c->reason, sizeof(c->reason), "tcg: asked for (%s)", c->source);
		return 0;
	case ACCEL_KVM:
		if (accel_kvm_check(&why) < 0)
			return vl_fail(err, EXIT_ENV,
				       "accel kvm (%s), but KVM is not usable here: %s; use "
				       "accel auto or tcg",
				       c->source, why.msg);
		c->kvm = true;
		snprintf(c->reason, sizeof(c->reason), "kvm: asked for (%s)", c->source);
		return 0;
	case ACCEL_AUTO:
		/* Not an error under auto: the reason TCG was chosen. */
		if (accel_kvm_check(&why) < 0) {
			c->kvm = false;
			snprintf(c->reason, sizeof(c->reason), "tcg: %.500s", why.msg);
			return 0;
		}
		old = accel_known_broken();
		if (old) {
			_cleanup_free_ char *path = accel_broken_path();

			c->kvm = false;
			snprintf(c->reason, sizeof(c->reason),
				 "tcg: KVM failed to run a guest on this machine before "
				 "(remembered in %s; rm it to retry)",
				 path);
			return 0;
		}
		c->kvm = true;
		snprintf(c->reason, sizeof(c->reason), "kvm: %s usable", kvm_device());
		return 0;
	}
	return vl_fail(err, EXIT_CONFIG, "bad accel mode");
}
