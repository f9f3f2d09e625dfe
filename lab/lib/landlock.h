/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * landlock.h - confine a child to the files its configuration names
 * (Landlock, unprivileged), applied by spawn() between fork and exec.
 * The caller, who knows the child's files, builds the rules.
 */
#ifndef VACMLAB_LANDLOCK_H
#define VACMLAB_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* What a rule grants beneath a path (a directory) or on a file. */
enum ll_access {
	LL_READ = 1,	/* read files, list directories */
	LL_EXEC = 2,	/* execute files (and map libraries) */
	LL_WRITE = 4,	/* write and truncate files */
	LL_CREATE = 8,	/* directories: make and remove files, sockets, FIFOs, links */
	LL_DEVICE = 16, /* device ioctls (/dev/kvm) */
};

struct ll_path {
	char *path;
	unsigned access; /* enum ll_access bits */
};

/* A child's ruleset. TCP bind and connect are denied (ABI >= 4) except
 * to the ports listed; the filesystem is denied except for @paths. */
struct ll_rules {
	struct ll_path *paths;
	int n_paths;
	int *bind_ports, n_bind;
	int *connect_ports, n_connect;
};

/* Add a path rule (the path is copied). A path that does not exist when
 * the rules are applied is skipped: nothing there to grant. */
void ll_rules_add(struct ll_rules *r, const char *path, unsigned access);
void ll_rules_add_port(struct ll_rules *r, bool bind, int port);
void ll_rules_free(struct ll_rules *r);
/* The read-only system set every dynamically linked program needs
 * (/usr, libraries, the loader's cache, locale, /dev/null ...). */
void ll_rules_add_system(struct ll_rules *r);

/*
 * landlock_abi() - the Landlock ABI version this kernel offers.
 * Return: 1.. , or 0 if Landlock is missing or disabled (with the reason,
 * "not built into this kernel" / "disabled at boot", in *@why if non-NULL).
 */
int landlock_abi(const char **why);

/*
 * landlock_confine() - PR_SET_NO_NEW_PRIVS, then restrict the calling
 * process to @r for the rest of its life (and its exec'd program's).
 * Meant for a child between fork and exec: only system calls, no malloc.
 * Without Landlock in the kernel, returns 0 having done only
 * PR_SET_NO_NEW_PRIVS (the caller reports that once, not per child).
 * Return: 0, or -1 with errno set and *@what naming the step.
 */
int landlock_confine(const struct ll_rules *r, const char **what);

/* Is confinement wanted? false with VACMLAB_CONFINE=0 (or no/off/false):
 * a debugging switch; [lab] confine = no is the topology's. */
bool landlock_wanted(void);

/* One line for `doctor` and `up`: "Landlock ABI 7: QEMU and dnsmasq are
 * confined to the lab's files", or what is missing. Returns true when the
 * kernel confines fully (filesystem and TCP). */
bool landlock_describe(char *buf, size_t len);

#endif
