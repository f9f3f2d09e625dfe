/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rundir.h - where a lab lives on the host, and every file in it: this
 * module is the only one that spells a lab's paths.
 *
 * Runtime dir (sockets, pid, lock; gone after `down`):
 *   $VACMLAB_RUNTIME_DIR/LAB, else $XDG_RUNTIME_DIR/vacmlab/LAB, else
 *   /run/user/UID/vacmlab/LAB if that session dir exists, else
 *   /tmp/vacmlab-UID/LAB; every level we create is 0700. vacmlab-attach
 *   finds labs only in the last two (it trusts no environment).
 * State dir (disk overlays, logs; kept across `down`):
 *   --state DIR, else $VACMLAB_STATE_DIR/LAB, else
 *   $XDG_STATE_HOME/vacmlab/LAB, else ~/.local/state/vacmlab/LAB.
 */
#ifndef VACMLAB_RUNDIR_H
#define VACMLAB_RUNDIR_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

struct vl_err;

/* The lab-name rule, said once (messages and docs quote it). */
#define LAB_NAME_MAX 32
#define LAB_NAME_RULE                                                                              \
	"a lab name is 1 to 32 of a-z, 0-9 and '-', starting with a letter, not ending "           \
	"with '-'"
/* The file that marks a directory as a lab's runtime dir: it holds the
 * lab's name and a newline. */
#define LAB_MARKER "vacmlab-lab"

/*
 * lab_name_check() - the one lab-name rule, for [lab] name, the topology's
 * file name, `up --name`, `run --name` and every verb that takes a lab:
 * LAB_NAME_RULE (the name is also the default DNS domain, and a path
 * component of the runtime and state dirs).
 * Return: NULL if @name is good, else why not ("must not end with '-'").
 */
const char *lab_name_check(const char *name);
/* 0, or -1 with @e set (EXIT_CONFIG): "bad lab name 'NAME': WHY (RULE)",
 * the name quoted safely (control bytes and non-ASCII as \xNN). */
int lab_name_valid(const char *lab, struct vl_err *e);

char *rundir_base(void);
/* BASE/LAB; NULL with @e set if @lab breaks the name rule: every path of
 * a lab comes through here or statedir_lab(), so no verb can forget. */
char *rundir_lab(const char *lab, struct vl_err *e);
char *statedir_base(void);
/* @override (--state DIR) else BASE/LAB; NULL with @e set for a bad @lab. */
char *statedir_lab(const char *lab, const char *override, struct vl_err *e);
/* Make the lab's runtime dir (and the base), 0700, ours, with its marker
 * (LAB_MARKER). Its path, or NULL with @e set. */
char *rundir_lab_make(const char *lab, struct vl_err *e);
/*
 * rundir_remove() - remove a lab's runtime dir @rundir (what rundir_lab()
 * returned), only if it is one: its last component obeys the name rule,
 * it is a directory (not a symlink), ours, holding the marker that names
 * the lab; unless @held, it is right under rundir_base(). The removal
 * starts from the fd of the verified directory and follows no symlink
 * (rm_tree_at()). Unless @held (the supervisor, holding the lab's lock),
 * the lock must be free and is held during the removal.
 * Return: 0, or -1 with @e set (EXIT_STATE: not a lab's dir, or up).
 */
int rundir_remove(const char *rundir, bool held, struct vl_err *e);

/* Make @dir (and parents) 0700 and check it is ours and not a symlink.
 * 0, or -1 with @e set (EXIT_ENV). */
int rundir_make(const char *dir, struct vl_err *e);

/* Take the lab's lock (flock on DIR/lock), non-blocking. Returns the fd,
 * -EWOULDBLOCK if the lab is up, or another -errno. */
int lab_lock(const char *dir);
/* true if a supervisor holds DIR/lock. */
bool lab_is_up(const char *dir);

/* The supervisor of a running lab: reads DIR/supervisor.pid, checks the
 * lock is held. Returns the pid or -1 with @e set (EXIT_STATE). */
pid_t lab_supervisor(const char *lab, struct vl_err *e);

/* The fixed files of a runtime dir (LF_LOCK .. LF_UPLINK_NFT) or of a
 * state dir (LF_LOGS) or its logs dir (LF_SUPERVISOR_LOG, LF_PASTA_LOG),
 * and of `run`'s artifacts (LF_STATUS_JSON). All malloc'd. */
enum lab_file {
	LF_LOCK,
	LF_MARKER,
	LF_PID,
	LF_CTL,
	LF_RESOLV,
	LF_UPLINK_NFT,
	LF_HOST_PORTS, /* the host ports the lab's listeners hold (sv_uplink.c) */
	LF_LOGS,
	LF_SUPERVISOR_LOG,
	LF_PASTA_LOG,
	LF_STATUS_JSON,
	LF_WARM,	      /* STATEDIR/warm: the warm entry the disks came from */
	LF_WARM_LEASES,	      /* STATEDIR/warm.leases */
	LF_WARM_KEY,	      /* ENTRY/key: a warm entry's key lines */
	LF_WARM_ENTRY_LEASES, /* ENTRY/leases */
};
char *path_in(const char *dir, enum lab_file f);
/* RUNDIR/NODE: a node's sockets. */
char *path_node_dir(const char *rundir, const char *node);
/* NODE_DIR/qmp.sock */
char *path_qmp(const char *node_dir);
/* The FAT image vacmlab makes of a `usb = DIR` (node dir, runtime). */
char *path_usb_key(const char *node_dir);
/* Port @idx of a node: NODE_DIR/ttySN (loop FIFO), NODE_DIR/ttySN.sock
 * (unix kind), NODE_DIR/ttySN[.ro].sock (console), LOGDIR/NODE.ttySN.log. */
char *port_fifo_path(const char *port_dir, int idx);
char *port_unix_path(const char *port_dir, int idx);
char *port_sock_path(const char *node_dir, int idx, bool ro);
char *port_log_path(const char *log_dir, const char *node, int idx);
/* LOGDIR/NODE.ttySN.attemptK.log: attempt K's log of a node that was
 * restarted before it became ready (retries =, the TCG fallback). */
char *port_attempt_log_path(const char *log_dir, const char *node, int idx, int attempt);
/* RUNDIR/dnsmasq.WHAT (conf, leases, pid): the lab's one dnsmasq. */
char *path_dns(const char *rundir, const char *what);
/* LOGDIR/NAME.qemu.log (kind "qemu"), else LOGDIR/KIND-NAME.log (host),
 * LOGDIR/dnsmasq.log for kind "dnsmasq" with a NULL name. */
char *path_log(const char *logdir, const char *kind, const char *name);
/* STATEDIR/NODE.EXT: the overlay (qcow2), its base identity (base). */
char *path_disk(const char *statedir, const char *node, const char *ext);

/* The warm-start cache (lib/warm.c): STATE_BASE/.warm; an entry
 * .warm/HASH (its disks: path_disk(ENTRY, NODE, "qcow2")); the record of
 * a topology's last key .warm/topo-HASH16.key; an entry's lock
 * .warm/HASH.lock and the entry being written .warm/.tmp-HASH-PID. */
char *path_warm_cache(void);
char *path_warm_entry(const char *hash);
char *path_warm_topo_record(const char *topo_hash);
char *path_warm_lock(const char *hash);
char *path_warm_tmp(const char *hash);

/* The longest path a unix socket can have (sun_path, less its NUL). */
#define PATH_SOCK_MAX ((int)sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* @sa for bind()/connect() at @path; a path too long is refused, never
 * cut (a cut path is another file). 0, or -1 with @e set (EXIT_ENV). */
int path_sockaddr(struct sockaddr_un *sa, const char *path, struct vl_err *e);
/* Before anything is made: every unix socket of a lab in @rundir fits:
 * ctl.sock, and if @node, its qmp.sock and its @n_ports ports (ttySN.sock,
 * ttySN.ro.sock). 0, or -1 with @e naming the longest path and how to
 * shorten it. */
int rundir_check_socks(const char *rundir, const char *node, int n_ports, struct vl_err *e);

/* Names of the labs under rundir_base(), NULL-terminated, malloc'd. */
char **lab_list(void);

#endif
