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
#include "lab/lib/image.h"
#include "lab/lib/landlock.h"
#include "lab/lib/qcow2.h"
#include "lab/lib/qemu.h"
#include "lab/lib/usbkey.h"
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

/* "fd=N", or for `check --qemu` a name saying what the fd will be. */
static char *fdarg(const struct qemu_launch *l, const char *what, int idx, int fd)
{
	if (l->symbolic_fds)
		return xasprintf("fd=<%s:%s:%s%d>", what, l->node->name,
				 strcmp(what, "tap") ? "ttyS" : "", idx);
	return xasprintf("fd=%d", fd);
}

static char *chardev(const struct qemu_launch *l, int i)
{
	const struct serial_port *p = &l->node->serial[i];
	_cleanup_free_ char *path = NULL, *fd = NULL;

	switch (p->kind) {
	case SERIAL_CONSOLE:
	case SERIAL_CABLE: /* relayed by the supervisor, as a console is */
	case SERIAL_DEVICE:
	case SERIAL_PTY:
		fd = fdarg(l, "console", i, l->port_fds ? l->port_fds[i] : -1);
		return xasprintf("socket,id=s%d,%s,server=off", i, fd);
	case SERIAL_TCP:
		fd = fdarg(l, "tcp", i, l->port_fds ? l->port_fds[i] : -1);
		return xasprintf("socket,id=s%d,%s,server=on,wait=off,telnet=on", i, fd);
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

/*
 * The boot disk, named DISK_NODE so QMP snapshot commands can address it
 * (cmd_snapshot.c). On the machine's own bus (ide on pc, ahci on q35) it
 * is exactly what -hda gives: if=ide,index=0. Other buses get an explicit
 * controller and device; bootindex makes SeaBIOS boot from it first.
 */
static void add_disk(struct strv *s, const struct qemu_launch *l)
{
	const struct node *n = l->node;
	const char *file = l->disk;

	if (n->disk == disk_bus_default(n->machine) || n->disk == DISK_AUTO) {
		add2(s, "-drive",
		     xasprintf("file=%s,format=qcow2,if=ide,index=0,media=disk,node-name=%s", file,
			       DISK_NODE));
		return;
	}
	add2(s, "-drive",
	     xasprintf("file=%s,format=qcow2,if=none,id=hd0,media=disk,node-name=%s", file,
		       DISK_NODE));
	switch (n->disk) {
	case DISK_AUTO:
	case DISK_IDE:
		/* Only reached on pc with a non-default bus: unreachable today
		 * (topo refuses ide on q35), kept for completeness. */
		add2(s, "-device", xstrdup("ide-hd,drive=hd0,bus=ide.0,bootindex=0"));
		break;
	case DISK_AHCI:
		/* pc has no AHCI: add an ICH9 AHCI controller, disk on port 0. */
		add2(s, "-device", xstrdup("ahci,id=ahci0"));
		add2(s, "-device", xstrdup("ide-hd,drive=hd0,bus=ahci0.0,bootindex=0"));
		break;
	case DISK_VIRTIO:
		add2(s, "-device", xstrdup("virtio-blk-pci,drive=hd0,bootindex=0"));
		break;
	case DISK_SCSI:
		add2(s, "-device", xstrdup("virtio-scsi-pci,id=scsi0"));
		add2(s, "-device", xstrdup("scsi-hd,drive=hd0,bus=scsi0.0,bootindex=0"));
		break;
	}
}

/* A path for a QEMU option value: ',' doubled. */
static char *comma_escape(const char *p)
{
	char *out = xmalloc(2 * strlen(p) + 1), *o = out;

	for (; *p; p++) {
		*o++ = *p;
		if (*p == ',')
			*o++ = ',';
	}
	*o = 0;
	return out;
}

char **qemu_argv(const char *qemu_path, const struct qemu_launch *l)
{
	const struct node *n = l->node;
	struct strv s = {0};

	add(&s, xstrdup(qemu_path));
	add2(&s, "-name", xasprintf("guest=%s,process=vacmlab:%s:%s", n->name, l->lab, n->name));
	add2(&s, "-machine", xstrdup(machine_name(n->machine)));
	add2(&s, "-accel", xstrdup(l->kvm ? "kvm" : "tcg"));
	if (n->cpu)
		add2(&s, "-cpu", xstrdup(n->cpu));
	add(&s, xstrdup("-nodefaults"));
	add2(&s, "-display", xstrdup("none"));
	/* A guest kernel with a pvpanic driver reports its panic (QMP
	 * GUEST_PANICKED); QEMU then keeps the VM paused instead of exiting,
	 * so the supervisor names the panic (sv_node.c) and the console
	 * keeps the kernel's last words. */
	add2(&s, "-device", xstrdup("pvpanic"));
	add2(&s, "-action", xstrdup("panic=pause"));
	/* QEMU's own seccomp filter: no exec (the monitor's `migrate exec:`,
	 * a netdev script), no setuid, no scheduler or affinity changes, no
	 * obsolete system calls. Landlock (landlock.c) covers the files. */
	add2(&s, "-sandbox", xstrdup(QEMU_SANDBOX));
	add2(&s, "-m", xasprintf("%d", n->memory_mb));
	add2(&s, "-smp", xasprintf("%d", n->cpus));
	add_disk(&s, l);
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
		_cleanup_free_ char *fd = fdarg(l, "tap", i, l->tap_fds ? l->tap_fds[i] : -1);

		add2(&s, "-netdev", xasprintf("tap,id=n%d,%s", i, fd));
		add2(&s, "-device",
		     xasprintf("%s,netdev=n%d,mac=%02x:%02x:%02x:%02x:%02x:%02x",
			       nic->model ? nic->model : n->nic_model, i, m[0], m[1], m[2], m[3],
			       m[4], m[5]));
	}
	/* Every node has a USB controller, as the appliance has USB ports:
	 * `vacmlab usb insert` plugs a key into it on a running node. */
	add2(&s, "-device", xstrdup("qemu-xhci,id=usb"));
	if (l->usb_image) {
		_cleanup_free_ char *file = comma_escape(l->usb_image);

		add2(&s, "-drive",
		     xasprintf("if=none,id=" USBKEY_ID ",format=raw,readonly=on,file=%s", file));
		add2(&s, "-device",
		     xstrdup("usb-storage,bus=usb.0,drive=" USBKEY_ID ",id=" USBKEY_ID
			     ",removable=on"));
	}
	if (l->loadvm)
		add2(&s, "-loadvm", xstrdup(l->loadvm));
	for (char **a = n->qemu_args; a && *a; a++)
		add(&s, xstrdup(*a));
	return s.v;
}

/* A layer's external data file, resolved as QEMU does (beside the layer). */
static void add_data_file(struct ll_rules *r, const struct qcow2 *q)
{
	const char *slash = strrchr(q->path, '/');
	_cleanup_free_ char *p = NULL;

	if (!q->data_file[0])
		return;
	p = q->data_file[0] == '/' || !slash
		    ? xstrdup(q->data_file)
		    : xasprintf("%.*s/%s", (int)(slash - q->path), q->path, q->data_file);
	ll_rules_add(r, p, LL_READ);
}

/*
 * The files a base image names (backing chain, external data files), read
 * only: only when the user allowed such images (VACMLAB_ALLOW_BACKING,
 * image.h); otherwise image.c refused the image before QEMU was started,
 * and QEMU may open nothing but the image itself.
 */
static void add_image_chain(struct ll_rules *r, const char *image)
{
	struct qcow2 *top;

	if (!image_backing_allowed())
		return;
	top = qcow2_open(image, NULL); /* image.c judged it: a failure here adds nothing */
	for (const struct qcow2 *q = top; q; q = q->backing) {
		if (q != top)
			ll_rules_add(r, q->path, LL_READ);
		add_data_file(r, q);
	}
	if (top)
		qcow2_close(top);
}

void qemu_confine_rules(const struct qemu_launch *l, struct ll_rules *r)
{
	const struct node *n = l->node;

	ll_rules_add_system(r);
	/* The boot disk: the overlay is written (savevm writes its internal
	 * snapshots into it), the base image only read. Its directory, the
	 * lab's state dir, read-write but nothing made there: `config
	 * export` of a running node has QEMU write a point-in-time copy into
	 * a work dir there that qemu-img made (part_qmp.c). */
	_cleanup_free_ char *statedir = xstrdup(l->disk);

	if (strrchr(statedir, '/'))
		*strrchr(statedir, '/') = '\0';
	ll_rules_add(r, statedir, LL_READ | LL_WRITE);
	ll_rules_add(r, l->disk, LL_READ | LL_WRITE);
	ll_rules_add(r, n->image, LL_READ);
	add_image_chain(r, n->image);
	/* The node's own runtime dir: QMP and unix port sockets, loop FIFOs. */
	ll_rules_add(r, l->port_dir, LL_READ | LL_WRITE | LL_CREATE);
	for (int i = 0; i < n->n_serial; i++)
		if (n->serial[i].kind == SERIAL_LOG) {
			/* made by the supervisor first (sv_port.c): the file
			 * only, not the lab's log dir */
			_cleanup_free_ char *log = port_log_path(l->log_dir, n->name, i);

			ll_rules_add(r, log, LL_WRITE);
		}
	if (l->kvm)
		ll_rules_add(r, "/dev/kvm", LL_READ | LL_WRITE | LL_DEVICE);
	/* A USB key at boot: an image of the topology's, read only (a key
	 * made of a directory is in port_dir already). */
	if (l->usb_image)
		ll_rules_add(r, l->usb_image, LL_READ);
	/* What qemu_args names (topo_qemu.c allows only the topology's own
	 * directory, and QEMU's data files by bare name, under /usr). */
	if (n->qemu_args) {
		char **files = qemu_args_files(n->qemu_args);

		for (char **f = files; *f; f++)
			ll_rules_add(r, *f, LL_READ | LL_WRITE);
		qemu_args_free(files);
	}
	/* TCP: none. tcp: serial ports are listening sockets made by `up`;
	 * the monitor is a unix socket. */
}
