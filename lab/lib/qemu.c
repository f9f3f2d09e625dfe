// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu.c - a node's QEMU command line.
 *
 * Serial ports: ttyS0..3 are ISA UARTs (-serial chardev:sN); ports beyond
 * four go on pci-serial-4x cards, four per card, as on the real appliance's
 * documented set-up. `loop` is a pipe chardev whose .in is a FIFO and whose
 * .out is a symlink to that same FIFO: what the guest writes comes back to
 * it, like a loopback plug (QEMU's ringbuf is not a loopback, see
 * DESIGN.md). Taps arrive as already-open fds (opened inside the lab's
 * netns by the supervisor), so QEMU needs no privileges and no helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/disk.h"
#include "lab/lib/qemu.h"
#include "lab/lib/util.h"

struct strv {
	char **v;
	size_t n;
};

static void add(struct strv *s, char *arg)
{
	s->v = xrealloc(s->v, (s->n + 2) * sizeof(char *));
	s->v[s->n++] = arg;
	s->v[s->n] = NULL;
}

static void add2(struct strv *s, const char *opt, char *arg)
{
	add(s, xstrdup(opt));
	add(s, arg);
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char *strv_join(char *const *v)
{
	size_t len = 1;
	char *out, *o;

	for (char *const *p = v; *p; p++)
		len += strlen(*p) * 4 + 3;
	o = out = xmalloc(len);
	for (char *const *p = v; *p; p++) {
		bool q = strpbrk(*p, " \t'\"$\\") != NULL;

		if (p != v)
			*o++ = ' ';
		if (q)
			*o++ = '\'';
		for (const char *c = *p; *c; c++) {
			if (*c == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *c;
			}
		}
		if (q)
			*o++ = '\'';
	}
	*o = '\0';
	return out;
}

static char *chardev(const struct qemu_launch *l, int i)
{
	const struct serial_port *p = &l->node->serial[i];
	_cleanup_free_ char *path = NULL;

	switch (p->kind) {
	case SERIAL_CONSOLE: return xasprintf("socket,id=s%d,fd=%d,server=off", i, l->port_fds[i]);
	case SERIAL_TCP:
		return xasprintf("socket,id=s%d,fd=%d,server=on,wait=off,telnet=on", i,
				 l->port_fds[i]);
	case SERIAL_LOOP:
		path = port_fifo_path(l->port_dir, i);
		return xasprintf("pipe,id=s%d,path=%s", i, path);
	case SERIAL_RINGBUF: return xasprintf("ringbuf,id=s%d,size=65536", i);
	case SERIAL_UNIX:
		path = port_unix_path(l->port_dir, i);
		return xasprintf("socket,id=s%d,path=%s,server=on,wait=off", i, path);
	case SERIAL_LOG:
		path = port_log_path(l->log_dir, l->node->name, i);
		return xasprintf("file,id=s%d,path=%s,append=on", i, path);
	case SERIAL_NONE: return xasprintf("null,id=s%d", i);
	}
	return NULL;
}

char **qemu_argv(const char *qemu_path, const struct qemu_launch *l)
{
	const struct node *n = l->node;
	struct strv s = {0};

	add(&s, xstrdup(qemu_path));
	add2(&s, "-name", xasprintf("guest=%s,process=vacmlab:%s:%s", n->name, l->lab, n->name));
	add2(&s, "-machine", xstrdup("q35"));
	if (l->kvm)
		add2(&s, "-accel", xstrdup("kvm"));
	add2(&s, "-accel", xstrdup("tcg"));
	add(&s, xstrdup("-nodefaults"));
	add2(&s, "-display", xstrdup("none"));
	add2(&s, "-m", xasprintf("%d", n->memory_mb));
	add2(&s, "-smp", xasprintf("%d", n->cpus));
	/* Equivalent of -hda on q35 (AHCI port 0), on the node's overlay;
	 * named so QMP snapshot commands can address it (cmd_snapshot.c). */
	add2(&s, "-drive",
	     xasprintf("file=%s,format=qcow2,if=ide,index=0,media=disk,node-name=%s", l->disk,
		       DISK_NODE));
	add2(&s, "-qmp", xasprintf("unix:%s,server=on,wait=off", l->qmp_path));

	for (int i = 0; i < n->n_serial; i++)
		add2(&s, "-chardev", chardev(l, i));
	for (int i = 0; i < n->n_serial && i < QEMU_ISA_SERIAL; i++)
		add2(&s, "-serial", xasprintf("chardev:s%d", i));
	for (int card = QEMU_ISA_SERIAL; card < n->n_serial; card += 4) {
		char buf[256];
		int off = snprintf(buf, sizeof(buf), "pci-serial-4x,id=serialcard%d",
				   (card - QEMU_ISA_SERIAL) / 4);

		for (int j = 0; j < 4 && card + j < n->n_serial; j++)
			off += snprintf(buf + off, sizeof(buf) - (size_t)off, ",chardev%d=s%d",
					j + 1, card + j);
		add2(&s, "-device", xstrdup(buf));
	}

	for (int i = 0; i < n->n_nics; i++) {
		const struct nic *nic = &n->nics[i];
		const uint8_t *m = nic->mac;

		add2(&s, "-netdev", xasprintf("tap,id=n%d,fd=%d", i, l->tap_fds[i]));
		add2(&s, "-device",
		     xasprintf("%s,netdev=n%d,mac=%02x:%02x:%02x:%02x:%02x:%02x",
			       nic->model ? nic->model : n->nic_model, i, m[0], m[1], m[2], m[3],
			       m[4], m[5]));
	}
	if (l->loadvm)
		add2(&s, "-loadvm", xstrdup(l->loadvm));
	return s.v;
}
