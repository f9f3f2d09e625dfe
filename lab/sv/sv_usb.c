// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_usb.c - a USB key in a running node (`vacmlab usb LAB NODE insert
 * DIR|IMAGE`, `eject`): the image made (lab/lib/usbkey.c), then QMP
 * blockdev-add and device_add of a usb-storage on the node's xhci
 * controller (an image is copied into the node's runtime dir first, where
 * a confined QEMU may read); eject is device_del (a USB device leaves at once, the guest
 * is not asked) and blockdev-del of its image. The key stays in the node
 * across its restarts, as a key left in the port would (sv_node_start()).
 */
#include <jansson.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/lib/part.h"
#include "lab/lib/rundir.h"
#include "lab/lib/usbkey.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"

static void usb_insert(struct sv *sv, int fd, struct sv_node *n, const char *path)
{
	_cleanup_free_ char *out = NULL, *img = NULL, *node_name = NULL;
	struct vl_err e = {0};
	struct stat st;

	if (!path || path[0] != '/') {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "usb insert needs an absolute path");
		return;
	}
	if (n->pidfd < 0) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "node %s is not running", n->cfg->name);
		return;
	}
	if (n->usb_src) {
		sv_reply_errc(sv, fd, EXIT_CONFIG,
			      "node %s already has a USB key (%s): eject it "
			      "first",
			      n->cfg->name, n->usb_src);
		return;
	}
	if (stat(path, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "usb key %s: not a directory nor an image",
			      path);
		return;
	}
	out = xasprintf("%s/usb-%d.img", n->dir, n->usb_inserts + 1);
	/* An image is copied into the node's runtime dir: a confined QEMU
	 * (landlock.c) reads only the files it was started with and that
	 * dir. A key is small; the copy blocks the loop for its time. */
	if (S_ISREG(st.st_mode))
		img = part_copy_file(path, out, &e) < 0 ? NULL : xstrdup(out);
	else
		img = usbkey_image(path, out, &e);
	if (!img) {
		sv_reply_errc(sv, fd, e.code, "%s", e.msg);
		return;
	}
	n->usb_inserts++;
	node_name = xasprintf("usbkey%d", n->usb_inserts);
	sv_qmp_send(sv, n, "blockdev-add",
		    json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:b}}", "driver", "raw", "node-name",
			      node_name, "read-only", 1, "file", "driver", "file", "filename", img,
			      "read-only", 1),
		    QW_IGNORE, -1);
	sv_qmp_send(sv, n, "device_add",
		    json_pack("{s:s, s:s, s:s, s:s, s:b}", "driver", "usb-storage", "bus", "usb.0",
			      "drive", node_name, "id", USBKEY_ID, "removable", 1),
		    QW_CLIENT, fd);
	n->usb_src = xstrdup(path);
}

static void usb_eject(struct sv *sv, int fd, struct sv_node *n)
{
	if (!n->usb_src) {
		sv_reply_errc(sv, fd, EXIT_CONFIG, "node %s has no USB key", n->cfg->name);
		return;
	}
	sv_qmp_send(sv, n, "device_del", json_pack("{s:s}", "id", USBKEY_ID), QW_CLIENT, fd);
	if (n->usb_inserts) {
		_cleanup_free_ char *node_name = xasprintf("usbkey%d", n->usb_inserts);

		sv_qmp_send(sv, n, "blockdev-del", json_pack("{s:s}", "node-name", node_name),
			    QW_IGNORE, -1);
	}
	free(n->usb_src);
	n->usb_src = NULL;
}

static const char *const usb_ops[] = {"insert", "eject", NULL};
const struct sv_usb_params sv_usb_defaults;
const struct ctl_field sv_usb_fields[] = {
	{.name = "op",
	 .type = CT_ENUM,
	 .required = true,
	 .one_of = usb_ops,
	 .offset = offsetof(struct sv_usb_params, op)},
	{.name = "node",
	 .type = CT_STRING,
	 .required = true,
	 .offset = offsetof(struct sv_usb_params, node)},
	{.name = "path", .type = CT_STRING, .offset = offsetof(struct sv_usb_params, path)},
	{0},
};

void sv_usb_method(struct sv *sv, int fd, const void *params, int *passed)
{
	const struct sv_usb_params *p = params;
	struct sv_node *n = sv_find_node(sv, p->node);

	(void)passed;
	if (!n)
		sv_reply_errc(sv, fd, EXIT_CONFIG, "no such node '%s'", p->node);
	else if (p->op == 0)
		usb_insert(sv, fd, n, p->path);
	else
		usb_eject(sv, fd, n);
}
