/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine.h - a node's virtual machine model: the QEMU machine, the bus of
 * its boot disk, its CPU model, and the extra QEMU arguments a topology may
 * give (qemu_args), split like a shell would split them and checked
 * against the options vacmlab owns. Pure: no I/O, unit-tested.
 */
#ifndef VACMLAB_MACHINE_H
#define VACMLAB_MACHINE_H

#include <stdbool.h>
#include <stddef.h>

struct vl_err;

/* The QEMU machine. pc is what plain `qemu-system-x86_64 -hda image.bin`
 * (the seed's command) boots: i440FX + PIIX IDE. */
enum machine_type {
	MACHINE_PC,
	MACHINE_Q35,
};

/* How the boot disk is attached. DISK_AUTO is the way -hda attaches on
 * the machine (PIIX IDE on pc, AHCI on q35); resolved at validation. */
enum disk_bus {
	DISK_AUTO,
	DISK_IDE,
	DISK_AHCI,
	DISK_VIRTIO,
	DISK_SCSI,
};

const char *machine_name(enum machine_type m);
const char *disk_bus_name(enum disk_bus d);
/* 0, or -1 with @e (EXIT_CONFIG) naming the value and the choices. */
int machine_parse(const char *s, enum machine_type *out, struct vl_err *e);
int disk_bus_parse(const char *s, enum disk_bus *out, struct vl_err *e);
/* The bus -hda gives on @m. */
enum disk_bus disk_bus_default(enum machine_type m);
/* NULL if @d can be used on @m, else why not. */
const char *disk_bus_problem(enum machine_type m, enum disk_bus d);
/* A QEMU -cpu value: a model name with optional ,+flag/,-flag/,k=v. */
int cpu_model_check(const char *s, struct vl_err *e);
/* true if the -cpu value @s needs KVM (host). */
bool cpu_needs_kvm(const char *s);

/* Split @s into words the way a POSIX shell splits them (blanks; '...';
 * "..." with \" \\ \$ \`; backslash escapes outside quotes) without ever
 * running one: no expansion, so unquoted $ and ` and the shell's operators
 * (; & | < > ( )) are refused. Returns a malloc'd NULL-terminated vector
 * (free with qemu_args_free) or NULL with @e (EXIT_CONFIG). */
char **qemu_args_split(const char *s, struct vl_err *e);
void qemu_args_free(char **v);
/* 0 if no word of @v is an option vacmlab sets itself; else -1 with @e
 * (EXIT_CONFIG) naming the option and what to use instead. Both -opt and
 * --opt, and -opt=value, are recognised. */
int qemu_args_owned(char *const *v, struct vl_err *e);

#endif
