/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accel.h - which accelerator a lab's QEMUs run under, and why.
 *
 * `auto` takes KVM when this user can open /dev/kvm read-write and create
 * a VM on it, and when KVM has not failed to run a guest on this machine
 * before (the supervisor remembers that with accel_remember_broken(), in
 * the user's state dir, keyed by kernel release and CPU model); else TCG.
 * Precedence of the request: --accel > VACMLAB_ACCEL > [lab] accel > auto.
 */
#ifndef VACMLAB_ACCEL_H
#define VACMLAB_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

struct vl_err;

enum accel_mode {
	ACCEL_AUTO,
	ACCEL_KVM,
	ACCEL_TCG,
};

const char *accel_mode_name(enum accel_mode m);
/* 0, or -1 with @e (EXIT_CONFIG) naming the value. */
int accel_parse(const char *s, enum accel_mode *out, struct vl_err *e);

struct accel_choice {
	enum accel_mode asked; /* what was asked for */
	const char *source;    /* "--accel", "VACMLAB_ACCEL", "[lab] accel", "default" */
	bool kvm;	       /* the decision: KVM, else TCG */
	char reason[512];      /* one line: "kvm: /dev/kvm usable", "tcg: no /dev/kvm" */
};

/*
 * accel_request - the request after precedence: @flag (--accel, or NULL),
 * then VACMLAB_ACCEL, then @topo_mode if @topo_set, then auto. -1 with
 * @err (EXIT_CONFIG) if --accel or VACMLAB_ACCEL is not a mode.
 */
int accel_request(const char *flag, bool topo_set, enum accel_mode topo_mode,
		  struct accel_choice *out, struct vl_err *err);
/*
 * accel_decide - fill @c->kvm and @c->reason for @c->asked. A forced
 * `kvm` this machine cannot give is an error (EXIT_ENV) naming why.
 */
int accel_decide(struct accel_choice *c, struct vl_err *err);

/* 0 if KVM is usable by this user, else -1 with @e (EXIT_ENV) saying why
 * in one line (no "tcg: " prefix): under `auto` that line is the reason
 * for TCG, under a forced `kvm` the error. Tries KVM_GET_API_VERSION and
 * KVM_CREATE_VM. The device is $VACMLAB_KVM_DEVICE when set (tests), else
 * /dev/kvm. */
int accel_kvm_check(struct vl_err *e);

/* The remembered-broken file: statedir_base()/kvm-broken. malloc'd. */
char *accel_broken_path(void);
/* The remembered reason (malloc'd) if KVM failed on this kernel + CPU
 * before, else NULL. A lookup, not an error. */
char *accel_known_broken(void);
/* Remember that KVM failed here (kernel release, CPU model, @reason);
 * replaces an older line for the same key. 0 or -1 with @err. */
int accel_remember_broken(const char *reason, struct vl_err *err);

#endif
