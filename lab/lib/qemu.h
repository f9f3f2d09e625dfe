/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu.h - build a node's qemu-system-x86_64 command line. Pure: no I/O,
 * unit-tested. The supervisor makes the fds and FIFOs it refers to.
 */
#ifndef VACMLAB_QEMU_H
#define VACMLAB_QEMU_H

#include "lab/lib/rundir.h"
#include "lab/lib/topo.h"

struct qemu_launch {
	const char *lab;
	const struct node *node;
	const char *disk;      /* the node's qcow2 overlay */
	const char *qmp_path;  /* QMP unix socket (QEMU listens) */
	const char *port_dir;  /* loop FIFOs and unix ports live here */
	const char *log_dir;   /* `log` ports write here */
	const int *tap_fds;    /* one per NIC */
	const int *port_fds;   /* one per serial port: console socketpair end,
				 * tcp listening socket, or -1 */
	bool kvm;	       /* -accel kvm, else -accel tcg */
	const char *loadvm;    /* snapshot to start from, or NULL */
	bool symbolic_fds;     /* `check --qemu`: fds as <tap:NODE:N>, <console:NODE:ttySn> */
	const char *usb_image; /* a USB key at boot (lab/lib/usbkey.c), or NULL */
};

/* NULL-terminated, malloc'd; free with strv_free(). The node's own
 * qemu_args come last, so they can add to what vacmlab builds. */
char **qemu_argv(const char *qemu_path, const struct qemu_launch *l);
void strv_free(char **v);
/* Join for logs and messages: "a b 'c d'". */
char *strv_join(char *const *v);

/* The -sandbox QEMU always runs with (needs QEMU built with libseccomp). */
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

struct ll_rules;
/*
 * qemu_confine_rules() - the Landlock rules of the QEMU that @l describes,
 * derived from what it was given: system files read-only, the overlay
 * read-write, the base image read-only, the node's runtime dir, its log
 * ports, /dev/kvm with KVM, the files its qemu_args name. Pure: adds to @r.
 */
void qemu_confine_rules(const struct qemu_launch *l, struct ll_rules *r);

/* Paths of a port's FIFO / unix socket / log file. */

/* The number of ttyS ports the guest sees on ISA (the rest are on
 * pci-serial-4x cards). */
#define QEMU_ISA_SERIAL 4

#endif
