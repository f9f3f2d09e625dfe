/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client.h - the client side of a running lab, for any verb: control calls
 * (client_ctl.c), entering its namespaces (client_enter.c), bringing it up
 * (client_up.c) and down (client_down.c). Verbs call these, never another
 * verb's file.
 */
#ifndef VACMLAB_CLIENT_H
#define VACMLAB_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct sv_launch;

/* A LAB argument (client_args.c): EXIT_OK, or EXIT_CONFIG after printing
 * "bad lab name 'X': why (the rule)". Every verb that takes LAB calls it. */
int lab_arg(const char *lab);
/* A time value given to option @opt ("--timeout"): 0 and *@out in seconds,
 * or -1 after an error naming @opt (parse_duration(), at most @max_s). */
int duration_arg(const char *opt, const char *s, double max_s, double *out);

struct vl_err;

/* Send @req (reference stolen) to lab @lab, optionally passing @fd
 * (SCM_RIGHTS; -1 for none), and wait up to @timeout_ms for the reply.
 * NULL with @e set on failure (EXIT_STATE: not up, no answer; a bad LAB's
 * own code); a reply with "ok": false is returned as is. */
json_t *ctl_call(const char *lab, json_t *req, int fd, int timeout_ms, struct vl_err *e);

/* Status of a running lab, or NULL with @e set (as ctl_call()). */
json_t *ctl_status(const char *lab, struct vl_err *e);
/* The status of the whole lab (client_peers.c): ctl_status() and, for a
 * lab spread over machines, every other machine's part asked over the
 * underlay and merged in (each node and host with its machine). */
json_t *ctl_status_all(const char *lab, struct vl_err *e);
/* If @name is a node or host on another machine of status @st: -1 and an
 * error in @e that says where; else 0. */
int where_is(json_t *st, const char *name, struct vl_err *e);

/*
 * ctl_ask() - one control request, the way every verb reads the reply:
 * ctl_call(), then "ok" checked and an error reply turned into @e with the
 * exit status it carries ("code"; EXIT_CHILD if none). Without a reply
 * (the lab not up, no answer in @timeout_ms) @e says why, EXIT_STATE.
 * Return: 0 with *@rep the reply (if @rep; caller decrefs), or -1 with @e
 * set and *@rep the error reply if there was one (apply reads its plan).
 */
int ctl_ask(const char *lab, json_t *req, int fd, int timeout_ms, json_t **rep, struct vl_err *e);

/* Run QMP command @cmd (@args stolen, may be NULL) on node @node of lab
 * @lab, through its supervisor (the only QMP client QEMU has). 0 and
 * *@ret (if non-NULL; caller decrefs) holds the "return" value, or -1 with
 * QEMU's or the supervisor's message in @e (as ctl_ask()). */
int ctl_qmp(const char *lab, const char *node, const char *cmd, json_t *args, json_t **ret,
	    int timeout_ms, struct vl_err *e);

/* Run QMP snapshot job @cmd (snapshot-save, snapshot-load, snapshot-delete)
 * with tag @tag on nodes @nodes[0..n) of lab @lab, all at once, and wait
 * for every one to conclude (client_snap.c). 0, or an exit code after a
 * message naming the node; @what says what is done ("saving ..."). */
int snap_jobs(const char *lab, const char *const *nodes, int n, const char *cmd, const char *tag,
	      const char *what, int timeout_ms);

/* Print the node table (used by up and status). */
void print_status_table(json_t *st, FILE *f);

/* ---- entering and taking down a lab (client_enter.c, client_down.c) */

/* Join lab @lab's user namespace and its (or host @host's) network
 * namespace, with the lab's resolv.conf. 0, or -1 with @e set (EXIT_STATE). */
int lab_enter(const char *lab, const char *host, struct vl_err *e);
/* `vacmlab down` as a function (also used by run). */
int lab_down(const char *lab, double timeout_s, bool quiet);
/* The same; @kill: SIGKILL every QEMU at once, no power button, no flush
 * (a lab whose disks are deleted next). */
int lab_down_how(const char *lab, double timeout_s, bool kill, bool quiet);

/* The host-side interface name vacmlab-attach derives for LAB/LAN. */
void attach_host_ifname(uid_t uid, const char *lab, const char *lan, char out[16]);

/* ---- holding a lab that is down (client_lock.c) */

struct lab_hold {
	int fd;
	char *dir;
	bool made; /* the runtime dir was made just for the lock */
};

/* Take the lock of lab @lab, which must be down, so no `up` opens its
 * disks meanwhile. EXIT_OK, or an exit code after a message naming @verb
 * (EXIT_STATE when the lab is up). Release with lab_release() either way. */
int lab_hold_down(const char *lab, const char *verb, struct lab_hold *h);
/* Every one of @names (@n) is in @have (disk_nodes() of state dir @dir):
 * EXIT_OK, or EXIT_CONFIG after a message naming the first missing one. */
int lab_nodes_have_disks(const char *lab, const char *dir, char **have, char **names, int n);
void lab_release(struct lab_hold *h);
/* Wait (bounded, then SIGKILL) for the processes of a previous run of
 * @lab whose supervisor died (client_stale.c). */
void lab_wait_stale(const char *lab, const char *rundir);

/* ---- what `up` shows while a lab comes up (client_progress.c) */
struct topo;
struct progress;
struct progress *progress_new(const struct topo *t, const char *logdir, bool tty, bool quiet);
/* One supervisor progress line; "D" lines only if @show_down. */
void progress_event(struct progress *p, const char *line, bool show_down);
/* Redraw if due; the ms until the next redraw (-1: none, not a terminal). */
int progress_tick(struct progress *p);
void progress_end(struct progress *p);
void progress_free(struct progress *p);

/* ---- bringing a lab up (client_up.c) */

struct up_opts {
	const char *topo_path;
	const char *name; /* override the lab name */
	bool keep_domain;
	bool no_boot, foreground, fresh, json, quiet;
	bool any_image; /* boot images that are not VACM-shaped */
	bool upgrade;	/* rebuild changed nodes' disks on their new image */
	bool force;	/* boot even if guest memory exceeds MemAvailable */
	int parallel;	/* --parallel: nodes booting at once; 0: topology/default */
	const char *snapshot;
	const char *state_dir;
	bool warm;	     /* start from the warm cache; make it when missing */
	const char *machine; /* --machine: this machine's part of the lab */
	const char *accel;   /* --accel, or NULL */
	/* out */
	const char *lab;
	pid_t supervisor;
};

struct accel_choice;
struct topo;
struct vl_err;
/* The accelerator for @t's nodes (--accel @flag, or NULL): precedence,
 * decision and reason (accel.h), and a node with cpu = host under TCG
 * refused. 0 or -1 with @err. */
int up_decide_accel(const struct topo *t, const char *flag, struct accel_choice *c,
		    struct vl_err *err);
/* --parallel N (1..1024): N, or -1 after a message. */
int parse_parallel(const char *s);
/* Guest memory of @t against MemAvailable: 0, or -1 after a message
 * (a warning only with @force). */
int up_check_memory(const struct topo *t, bool force);
/* apply: @more_mb more guest memory for @n_nodes starting nodes; 0, or -1
 * after a message unless @force. */
int apply_check_memory(long more_mb, int n_nodes, bool force);
/* Returns an exit code (EXIT_OK when the lab is up and ready). */
int up_lab(struct up_opts *o);

/* ---- warm starts (client_warm.c, used by up_lab) */

#include "lab/lib/warm.h"

struct warm_up {
	struct warm_key key;
	bool hit;	  /* nodes start from the cached snapshot */
	char *leases;	  /* STATEDIR/warm.leases on a hit, if any */
	const char *qemu; /* for the key again, should the accel change */
	bool kvm;	  /* the key's accel */
};

/* A warm start replaces the nodes' disks. EXIT_OK if @statedir holds none,
 * or only ones a warm start made (STATEDIR/warm); else EXIT_STATE after a
 * message naming a disk: they are the lab's own (`up` keeps what a guest
 * writes), and only --fresh may drop them. */
int warm_check_disks(const struct topo *t, const char *statedir);
/* Look @t up in the warm cache; on a hit install the nodes' warm disks in
 * @statedir. EXIT_OK (a miss is printed: "booting cold: WHY") or an exit
 * code after a message. */
int warm_up_prepare(struct warm_up *w, const struct topo *t, const char *qemu, bool kvm,
		    const char *statedir, bool quiet);
/* Save the ready lab @lab into the cache. 0, or -1 after a warning (the
 * lab keeps running either way). */
int warm_up_save(struct warm_up *w, const char *lab, const struct topo *t, const char *rundir,
		 const char *statedir);

/* ---- sd_notify for `up --foreground` (client_notify.c) */

struct topo;
struct notify {
	bool on;
	bool stopping;
	const struct topo *t;
	char (*state)[32]; /* per node, as the events said */
};

/* @on only in the foreground with NOTIFY_SOCKET set. */
void notify_init(struct notify *nt, const struct topo *t, bool foreground);
/* Send @head (READY=1\n, STOPPING=1\n or "") and a STATUS= line. */
void notify_send(struct notify *nt, const char *head, const char *what);
/* A progress line of the supervisor, as systemd should see it. */
void notify_event(struct notify *nt, const char *line);

#endif
