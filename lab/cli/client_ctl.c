// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl.c - talk to a lab's supervisor over RUNDIR/ctl.sock.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

json_t *ctl_call(const char *lab, json_t *req, int fd, int timeout_ms, struct vl_err *e)
{
	_cleanup_free_ char *dir = rundir_lab(lab, e);
	_cleanup_free_ char *path = dir ? path_in(dir, LF_CTL) : NULL;
	_cleanup_free_ char *msg = json_dumps(req, JSON_COMPACT);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	_cleanup_close_ int s = -1;
	_cleanup_free_ char *buf = xmalloc(1 << 16);
	size_t len = 0, cap = 1 << 16;
	long long deadline = now_ms() + timeout_ms;
	json_error_t je;
	json_t *rep;

	json_decref(req);
	if (!dir)
		return NULL;
	if (!lab_is_up(dir)) {
		vl_fail(e, EXIT_STATE, "lab '%s' is not up (`vacmlab ls` lists running labs)", lab);
		return NULL;
	}
	if (path_sockaddr(&sa, path, e) < 0)
		return NULL;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vl_fail(e, EXIT_STATE, "lab '%s': connecting to %s: %s", lab, path,
			strerror(errno));
		return NULL;
	}
	msg = xrealloc(msg, strlen(msg) + 2);
	strcat(msg, "\n");
	iov.iov_base = msg;
	iov.iov_len = strlen(msg);
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0) {
		vl_fail(e, EXIT_STATE, "lab '%s': sending request: %s", lab, strerror(errno));
		return NULL;
	}
	for (;;) {
		struct pollfd p = {s, POLLIN, 0};
		long long left = deadline - now_ms();
		ssize_t n;

		if (len && memchr(buf, '\n', len))
			break;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			vl_fail(e, EXIT_STATE, "lab '%s': no answer from the supervisor in %d s",
				lab, timeout_ms / 1000);
			return NULL;
		}
		if (cap - len < 4096) {
			/* A big lab's status is large: grow, bounded. */
			if (cap >= (64u << 20)) {
				vl_fail(e, EXIT_STATE, "lab '%s': reply too large", lab);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(s, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (len)
				break;
			vl_fail(e, EXIT_STATE, "lab '%s': the supervisor closed the connection",
				lab);
			return NULL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	rep = json_loads(buf, JSON_DISABLE_EOF_CHECK, &je);
	if (!rep)
		vl_fail(e, EXIT_STATE, "lab '%s': bad reply: %s", lab, je.text);
	return rep;
}

/* Each node's firmware, as recorded in the state dir when its disk was
 * made or upgraded (NODE.firmware, lib/disk.c): {"version", "sha256",
 * "image"}. The supervisor does not know it; the status reader adds it. */
static void add_firmware(json_t *st)
{
	const char *sd = json_string_value(json_object_get(st, SK_STATEDIR));
	size_t i;
	json_t *n;

	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		const char *name = json_string_value(json_object_get(n, SK_NAME));
		_cleanup_free_ char *path = NULL, *text = NULL;
		json_t *fw;
		size_t len;

		if (!sd || !name)
			continue;
		path = disk_firmware_path(sd, name);
		text = read_file(path, &len);
		if (!text)
			continue;
		fw = json_object();
		for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
			char *eq = strchr(l, '=');

			if (!eq)
				continue;
			*eq = '\0';
			if (!strcmp(l, "version") || !strcmp(l, "sha256") || !strcmp(l, "image"))
				json_object_set_new(fw, l,
						    eq[1] ? json_string(eq + 1) : json_null());
		}
		json_object_set_new(n, SK_FIRMWARE, fw);
	}
}

json_t *ctl_status(const char *lab, struct vl_err *e)
{
	json_t *st = ctl_call(lab, json_pack("{s:s}", "cmd", "status"), -1, 5000, e);

	if (st)
		add_firmware(st);
	return st;
}

/* The exit status an error reply carries ("code"), EXIT_CHILD if none. */
static int ctl_error_code(json_t *rep)
{
	json_t *c = json_object_get(rep, "code");
	int v = json_is_integer(c) ? (int)json_integer_value(c) : 0;

	return v > 0 && v < 126 ? v : EXIT_CHILD;
}

int ctl_ask(const char *lab, json_t *req, int fd, int timeout_ms, json_t **rep, struct vl_err *e)
{
	json_t *r = ctl_call(lab, req, fd, timeout_ms, e);

	if (rep)
		*rep = NULL;
	if (!r)
		return -1;
	if (!json_is_true(json_object_get(r, "ok"))) {
		vl_fail(e, ctl_error_code(r), "%s",
			json_string_value(json_object_get(r, "error"))
				?: "failed (no reason given)");
		if (rep)
			*rep = r;
		else
			json_decref(r);
		return -1;
	}
	if (rep)
		*rep = r;
	else
		json_decref(r);
	return 0;
}

int ctl_qmp(const char *lab, const char *node, const char *cmd, json_t *args, json_t **ret,
	    int timeout_ms, struct vl_err *e)
{
	json_t *req = json_pack("{s:s,s:s,s:s}", "cmd", "qmp", "node", node, "execute", cmd);
	json_t *rep;

	if (args)
		json_object_set_new(req, "arguments", args);
	if (ctl_ask(lab, req, -1, timeout_ms, &rep, e) < 0) {
		json_decref(rep);
		return -1;
	}
	if (ret)
		*ret = json_incref(json_object_get(rep, "return"));
	json_decref(rep);
	return 0;
}

static void nic_addrs(json_t *nics, char *buf, size_t len)
{
	size_t off = 0;
	size_t i;
	json_t *nic;

	buf[0] = '\0';
	json_array_foreach (nics, i, nic) {
		const char *a = json_string_value(json_object_get(nic, SK_ADDRESS));
		const char *a6 = json_string_value(json_object_get(nic, SK_ADDRESS6));

		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", a ? a : "-");
		if (off < len && a6) /* IPv6 (subnet6): after the NIC's IPv4 address */
			off += (size_t)snprintf(buf + off, len - off, ",%s", a6);
		if (off >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

void print_status_table(json_t *st, FILE *f)
{
	json_t *nodes = json_object_get(st, SK_NODES), *hosts = json_object_get(st, SK_HOSTS);
	const char *lab = json_string_value(json_object_get(st, SK_LAB));
	const char *here = json_string_value(json_object_get(st, SK_MACHINE));
	size_t i;
	json_t *n;
	char addrs[256], state[64];
	bool accel = false; /* an ACCEL column once the supervisor says it per node */

	json_array_foreach (nodes, i, n)
		accel |= json_is_string(json_object_get(n, SK_ACCEL));
	fprintf(f, "%-13s %-9s ", "NODE", "STATE");
	if (accel)
		fprintf(f, "%-5s ", "ACCEL");
	fprintf(f, "%-8s %-31s %-26s %-12s %s\n", "UPTIME", "ADDRESSES", "DNS", "FIRMWARE",
		"CONSOLE");
	json_array_foreach (nodes, i, n) {
		const char *s = json_string_value(json_object_get(n, SK_STATE));
		json_t *up = json_object_get(n, SK_UPTIME_S);
		char upt[32] = "-";

		nic_addrs(json_object_get(n, SK_NICS), addrs, sizeof(addrs));
		snprintf(state, sizeof(state), "%s", s ? s : "?");
		if (json_object_get(n, SK_EXIT_STATUS))
			snprintf(state, sizeof(state), "exited(%lld)",
				 json_integer_value(json_object_get(n, SK_EXIT_STATUS)));
		else if (json_object_get(n, SK_EXIT_SIGNAL))
			snprintf(state, sizeof(state), "killed(%lld)",
				 json_integer_value(json_object_get(n, SK_EXIT_SIGNAL)));
		json_t *fwj = json_object_get(n, SK_FIRMWARE);
		const char *fwv = json_string_value(json_object_get(fwj, SK_FW_VERSION));
		const char *fws = json_string_value(json_object_get(fwj, SK_FW_SHA256));
		char fw[32] = "-";

		if (up)
			snprintf(upt, sizeof(upt), "%.0fs", json_number_value(up));
		/* The version string of sda2, else the start of its sha256. */
		if (fwv)
			snprintf(fw, sizeof(fw), "v%s", fwv);
		else if (fws)
			snprintf(fw, sizeof(fw), "%.8s", fws);
		fprintf(f, "%-13s %-9s ", json_string_value(json_object_get(n, SK_NAME)), state);
		if (accel) {
			const char *a = json_string_value(json_object_get(n, SK_ACCEL));

			fprintf(f, "%-5s ", a ? a : "-");
		}
		/* A node on another machine (a lab spread over machines):
		 * its console is there. */
		const char *on = json_string_value(json_object_get(n, SK_MACHINE));
		char where[64] = "";

		if (on && here && strcmp(on, here))
			snprintf(where, sizeof(where), "on %s: ", on);
		fprintf(f, "%-8s %-31s %-26s %-12s %svacmlab console %s %s\n", upt, addrs,
			json_string_value(json_object_get(n, SK_DNS)) ?: "-", fw, where, lab,
			json_string_value(json_object_get(n, SK_NAME)));
	}
	json_array_foreach (hosts, i, n) {
		nic_addrs(json_object_get(n, SK_NICS), addrs, sizeof(addrs));
		fprintf(f, "%-13s %-9s ", json_string_value(json_object_get(n, SK_NAME)),
			json_string_value(json_object_get(n, SK_STATE)));
		if (accel)
			fprintf(f, "%-5s ", "-");
		const char *on = json_string_value(json_object_get(n, SK_MACHINE));
		char where[64] = "";

		if (on && here && strcmp(on, here))
			snprintf(where, sizeof(where), "on %s: ", on);
		fprintf(f, "%-8s %-31s %-26s %-12s (host) %svacmlab exec %s --host %s -- CMD\n",
			"-", addrs, json_string_value(json_object_get(n, SK_DNS)) ?: "-", "-",
			where, lab, json_string_value(json_object_get(n, SK_NAME)));
	}
	/* Uplinked LANs: how their guests reach the host. */
	json_array_foreach (json_object_get(st, SK_LANS), i, n) {
		const char *hn = json_string_value(json_object_get(n, SK_HOST_NAME));

		if (hn)
			fprintf(f,
				"LAN %s: uplink %s; the host's loopback is %s (%s) from its "
				"guests\n",
				json_string_value(json_object_get(n, SK_NAME)),
				json_string_value(json_object_get(n, SK_UPLINK)), hn,
				json_string_value(json_object_get(n, SK_HOST_ADDRESS)));
	}
}
