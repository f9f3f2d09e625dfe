// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine.c - a node's machine model: names and checks of the machine,
 * disk bus and CPU keys, and qemu_args (split like a shell, never run by
 * one, and checked against the options vacmlab owns).
 *
 * Why pc by default: the seed's own command, `qemu-system-x86_64 -display
 * none -serial stdio -hda image.bin`, boots QEMU's default machine, pc
 * (i440FX, PIIX IDE). A kernel built for that command may lack AHCI, and
 * on q35 -hda lands on AHCI: such an appliance boots but cannot find its
 * config partition (see docs/appliance.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/machine.h"
#include "lab/lib/util.h"

const char *machine_name(enum machine_type m)
{
	switch (m) {
	case MACHINE_PC: return "pc";
	case MACHINE_Q35: return "q35";
	}
	return "?";
}

const char *disk_bus_name(enum disk_bus d)
{
	switch (d) {
	case DISK_AUTO: return "auto";
	case DISK_IDE: return "ide";
	case DISK_AHCI: return "ahci";
	case DISK_VIRTIO: return "virtio";
	case DISK_SCSI: return "scsi";
	}
	return "?";
}

int machine_parse(const char *s, enum machine_type *out, struct vl_err *e)
{
	if (!strcmp(s, "pc")) {
		*out = MACHINE_PC;
		return 0;
	}
	if (!strcmp(s, "q35")) {
		*out = MACHINE_Q35;
		return 0;
	}
	return vl_fail(e, EXIT_CONFIG,
		       "unknown machine '%s': expected pc (QEMU's default, what -hda boots) or q35",
		       s);
}

int disk_bus_parse(const char *s, enum disk_bus *out, struct vl_err *e)
{
	static const enum disk_bus all[] = {DISK_IDE, DISK_AHCI, DISK_VIRTIO, DISK_SCSI};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, disk_bus_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return vl_fail(e, EXIT_CONFIG, "unknown disk '%s': expected ide, ahci, virtio or scsi", s);
}

enum disk_bus disk_bus_default(enum machine_type m)
{
	switch (m) {
	case MACHINE_PC: return DISK_IDE;
	case MACHINE_Q35: return DISK_AHCI;
	}
	return DISK_IDE;
}

const char *disk_bus_problem(enum machine_type m, enum disk_bus d)
{
	if (m == MACHINE_Q35 && d == DISK_IDE)
		return "q35 has no IDE controller (its -hda is AHCI): use disk = ahci, or "
		       "machine = pc";
	return NULL;
}

int cpu_model_check(const char *s, struct vl_err *e)
{
	if (!*s || *s == '-' || *s == ',')
		return vl_fail(e, EXIT_CONFIG,
			       "bad cpu '%s': expected a QEMU CPU model such as host, max or "
			       "Skylake-Client (qemu-system-x86_64 -cpu help lists them)",
			       s);
	for (const char *c = s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-_.,+=", *c))
			continue;
		return vl_fail(e, EXIT_CONFIG,
			       "bad cpu '%s': character '%c' is not allowed (a model name, then "
			       ",+flag or ,-flag or ,key=value)",
			       s, *c);
	}
	return 0;
}

bool cpu_needs_kvm(const char *s)
{
	size_t n = strcspn(s, ",");

	return n == 4 && !strncmp(s, "host", 4);
}

/* ------------------------------------------------------------ qemu_args */

struct words {
	char **v;
	size_t n;
	char *cur;
	size_t cur_len, cur_cap;
	bool in_word;
};

static void wput(struct words *w, char c)
{
	if (w->cur_len + 2 > w->cur_cap) {
		w->cur_cap = w->cur_cap ? w->cur_cap * 2 : 32;
		w->cur = xrealloc(w->cur, w->cur_cap);
	}
	w->cur[w->cur_len++] = c;
	w->cur[w->cur_len] = '\0';
	w->in_word = true;
}

static void wend(struct words *w)
{
	if (!w->in_word)
		return;
	w->v = xrealloc(w->v, (w->n + 2) * sizeof(char *));
	w->v[w->n++] = w->cur ? w->cur : xstrdup("");
	w->v[w->n] = NULL;
	w->cur = NULL;
	w->cur_len = w->cur_cap = 0;
	w->in_word = false;
}

void qemu_args_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char **wfail(struct words *w)
{
	free(w->cur);
	qemu_args_free(w->v);
	return NULL;
}

char **qemu_args_split(const char *s, struct vl_err *e)
{
	struct words w = {0};

	for (const char *c = s; *c; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n') {
			wend(&w);
		} else if (*c == '\\') {
			if (!c[1]) {
				vl_fail(e, EXIT_CONFIG, "qemu_args ends in a lone backslash");
				return wfail(&w);
			}
			wput(&w, *++c);
		} else if (*c == '\'') {
			const char *q = strchr(c + 1, '\'');

			if (!q) {
				vl_fail(e, EXIT_CONFIG, "qemu_args: unterminated ' quote");
				return wfail(&w);
			}
			w.in_word = true; /* '' is an empty word */
			for (c++; c < q; c++)
				wput(&w, *c);
		} else if (*c == '"') {
			w.in_word = true;
			for (c++; *c != '"'; c++) {
				if (!*c) {
					vl_fail(e, EXIT_CONFIG, "qemu_args: unterminated \" quote");
					return wfail(&w);
				}
				if (*c == '\\' && c[1] && strchr("\"\\$`", c[1])) {
					wput(&w, *++c);
				} else if (*c == '$' || *c == '`') {
					vl_fail(e, EXIT_CONFIG,
						"qemu_args: '%c' inside \"...\": vacmlab never "
						"runs a shell, so nothing is expanded; write "
						"'...' or \\%c for the character itself",
						*c, *c);
					return wfail(&w);
				} else {
					wput(&w, *c);
				}
			}
		} else if (*c == '$' || *c == '`') {
			vl_fail(e, EXIT_CONFIG,
				"qemu_args: '%c': vacmlab never runs a shell, so nothing is "
				"expanded; write '...' or \\%c for the character itself",
				*c, *c);
			return wfail(&w);
		} else if (strchr(";&|<>()", *c)) {
			vl_fail(e, EXIT_CONFIG,
				"qemu_args: '%c' is a shell operator, but vacmlab never runs a "
				"shell: quote it ('...') to pass it to QEMU",
				*c);
			return wfail(&w);
		} else {
			wput(&w, *c);
		}
	}
	wend(&w);
	if (!w.v) {
		vl_fail(e, EXIT_CONFIG, "qemu_args has no words");
		return NULL;
	}
	return w.v;
}

struct owned {
	const char *name; /* without the dash */
	const char *why;
};

static const char why_nic[] = "vacmlab makes the NICs: use nic = LAN [ADDRESS] and nic_model";
static const char why_ser[] =
	"vacmlab owns the serial ports and the monitor: use serial = ...; QMP is NODE/qmp.sock in "
	"the runtime dir";
static const char why_disk[] =
	"vacmlab attaches the boot disk (the node's overlay): use disk = ide|ahci|virtio|scsi; "
	"add other disks with -blockdev and -device";
static const char why_proc[] = "vacmlab starts and supervises QEMU itself";
static const char why_priv[] =
	"vacmlab runs QEMU as you inside the lab's namespaces: no privilege or confinement "
	"options";

static const struct owned owned[] = {
	{"netdev", why_nic},
	{"nic", why_nic},
	{"net", why_nic},
	{"serial", why_ser},
	{"chardev", why_ser},
	{"mon", why_ser},
	{"monitor", why_ser},
	{"qmp", why_ser},
	{"qmp-pretty", why_ser},
	{"drive", why_disk},
	{"hda", why_disk},
	{"hdb", why_disk},
	{"hdc", why_disk},
	{"hdd", why_disk},
	{"snapshot",
	 "vacmlab keeps the node's disk in its overlay: use up --fresh or vacmlab snapshot"},
	{"daemonize", why_proc},
	{"pidfile", why_proc},
	{"name", "vacmlab names the process (vacmlab:LAB:NODE) to find it again"},
	{"readconfig", "a QEMU config file could set what vacmlab owns: give its options here"},
	{"display", "vacmlab runs QEMU with -display none: the consoles are serial ports"},
	{"nographic", "vacmlab runs QEMU with -display none: the consoles are serial ports"},
	{"curses", "vacmlab runs QEMU with -display none: the consoles are serial ports"},
	{"accel", "use accel = auto|kvm|tcg in [lab], --accel or VACMLAB_ACCEL"},
	{"enable-kvm", "use accel = auto|kvm|tcg in [lab], --accel or VACMLAB_ACCEL"},
	{"machine", "use machine = pc|q35"},
	{"M", "use machine = pc|q35"},
	{"cpu", "use cpu = MODEL"},
	{"m", "use memory = MiB"},
	{"smp", "use cpus = N"},
	{"loadvm", "use vacmlab up --snapshot NAME"},
	{"incoming", "vacmlab does not migrate nodes"},
	{"runas", why_priv},
	{"chroot", why_priv},
	{"sandbox", why_priv},
};

int qemu_args_owned(char *const *v, struct vl_err *e)
{
	for (; *v; v++) {
		const char *a = *v;
		size_t n;

		if (a[0] != '-' || !a[1])
			continue;
		a += a[1] == '-' ? 2 : 1;
		n = strcspn(a, "=");
		for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
			if (strlen(owned[i].name) == n && !strncmp(a, owned[i].name, n))
				return vl_fail(e, EXIT_CONFIG,
					       "qemu_args: %s is set by vacmlab: %s", *v,
					       owned[i].why);
	}
	return 0;
}
