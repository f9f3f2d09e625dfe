// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_base.c - the floor of the supervisor, used by all its parts: progress
 * events for `up`, the lab's first failure, node state names, a node's
 * address and its failure text, and control replies.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/accel.h"
#include "lab/lib/dnsmasq.h"
#include "lab/lib/error.h"
#include "lab/lib/match.h"
#include "lab/lib/qemu.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
/* A progress line for `up` (and for --foreground, every state change). */
void sv_event(struct sv *sv, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	fprintf(stderr, "[%.3f] %.*s", (double)(now_ms() - sv->t0) / 1000.0, n, buf);
	if (sv->sync_fd >= 0 && write_all(sv->sync_fd, buf, (size_t)n) < 0) {
		close(sv->sync_fd);
		sv->sync_fd = -1;
	}
}

const char *node_state_name(enum node_state s)
{
	switch (s) {
	case NODE_PENDING: return SKV_STOPPED;
	case NODE_QUEUED: return SKV_QUEUED;
	case NODE_BOOTING: return SKV_BOOTING;
	case NODE_READY: return SKV_READY;
	case NODE_STOPPING: return SKV_STOPPING;
	case NODE_EXITED: return SKV_EXITED;
	case NODE_VM_STOPPED: return SKV_STOPPED;
	case NODE_PANICKED: return SKV_PANICKED;
	case NODE_INTERNAL_ERROR: return SKV_INTERNAL_ERROR;
	case NODE_FAILED: return SKV_FAILED;
	}
	return "?";
}

/* The address tests and probes use: first fixed address, else a lease. */
struct in_addr sv_node_addr(struct sv *sv, struct sv_node *n)
{
	struct in_addr a = {0};

	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];

		if (nic->addr.s_addr)
			return nic->addr;
	}
	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];

		if (lease_lookup(l->leases, nic->mac, &a, NULL, 0))
			return a;
	}
	return a;
}

void sv_fail(struct sv *sv, int code, const char *fmt, ...)
{
	va_list ap;

	if (sv->fail.code)
		return; /* the first failure is the one to report */
	va_start(ap, fmt);
	vsnprintf(sv->fail.msg, sizeof(sv->fail.msg), fmt, ap);
	va_end(ap);
	sv->fail.code = code ? code : EXIT_CHILD;
}

void sv_node_cond_met(struct sv *sv, struct sv_node *n, unsigned conds)
{
	if (n->state != NODE_BOOTING)
		return;
	n->ready_met |= conds & n->cfg->ready.conds;
	if ((n->ready_met & n->cfg->ready.conds) == n->cfg->ready.conds)
		sv_node_set_ready(sv, n);
}

void sv_node_set_ready(struct sv *sv, struct sv_node *n)
{
	if (n->state != NODE_BOOTING)
		return;
	n->state = NODE_READY;
	n->t_ready = now_ms();
	sv_event(sv, "S %s ready %.1f", n->cfg->name, (double)(n->t_ready - n->t_start) / 1000.0);
}

void sv_node_fail(struct sv *sv, struct sv_node *n, int code, const char *what)
{
	_cleanup_free_ char *cons = port_log_path(sv->logdir, n->cfg->name, 0);
	_cleanup_free_ char *serial = tail_file(cons, 20);
	_cleanup_free_ char *qlog = tail_file(n->qemu_log, 20);

	sv_fail(sv, code,
		"node %s: %s\n--- last lines of its serial console (%s) ---\n%s"
		"--- QEMU stderr (%s) ---\n%s",
		n->cfg->name, what, cons, serial && *serial ? serial : "(empty)\n", n->qemu_log,
		qlog && *qlog ? qlog : "(empty)\n");
}

void sv_describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "stopped");
}

void sv_reply(struct sv *sv, int fd, json_t *j)
{
	/* A reply json_pack() could not build (a string not UTF-8) is still
	 * a reply: the client must not wait for one that never comes. */
	if (!j)
		j = json_pack("{s:b,s:s,s:i}", "ok", 0, "error",
			      "the supervisor could not encode its reply", "code", EXIT_CHILD);
	char *s = json_dumps(j, JSON_COMPACT);

	if (s) {
		write_all(fd, s, strlen(s));
		write_all(fd, "\n", 1);
		free(s);
	}
	json_decref(j);
	loop_unwatch(&sv->loop, fd);
	close(fd);
}

static void reply_verr(struct sv *sv, int fd, int code, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* jansson's error text quotes the bytes near the error, perhaps half
	 * a character, and json_pack refuses a string that is not UTF-8:
	 * the client would get no reply at all. */
	utf8_scrub(buf);
	sv_reply(sv, fd, json_pack("{s:b,s:s,s:i}", "ok", 0, "error", buf, "code", code));
}

void sv_reply_err(struct sv *sv, int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_verr(sv, fd, EXIT_CHILD, fmt, ap);
	va_end(ap);
}

void sv_reply_errc(struct sv *sv, int fd, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_verr(sv, fd, code, fmt, ap);
	va_end(ap);
}

int sv_default_boot_parallel(bool kvm)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return (int)(cpus > 0 ? cpus : 1) * (kvm ? 4 : 1);
}

void sv_accel_broken(struct sv *sv, const char *reason)
{
	struct vl_err e = {0};

	if (accel_remember_broken(reason, &e) < 0)
		sv_event(sv, "W could not remember that KVM is broken here: %s", e.msg);
}

struct sv_node *sv_find_node(struct sv *sv, const char *name)
{
	for (int i = 0; name && i < sv->t->n_nodes; i++)
		if (!strcmp(sv->nodes[i]->cfg->name, name))
			return sv->nodes[i];
	return NULL;
}
