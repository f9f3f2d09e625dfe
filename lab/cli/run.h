/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - `vacmlab run`'s state, shared by its verb (cmd_run.c) and its
 * reports (run_report.c: JUnit XML and the artifacts folder).
 */
#ifndef VACMLAB_RUN_H
#define VACMLAB_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RUN_TAIL 8192	       /* bytes of CMD's output kept for the report */
#define RUN_KILL_GRACE_MS 5000 /* SIGTERM -> SIGKILL for CMD's process group */
#define RUN_TIMEOUT_STATUS 124 /* like timeout(1) */
#define RUN_UPLOG 65536	       /* what `up` said, kept for the artifacts */

struct run {
	const char *topo_path, *name_opt, *artifacts_opt, *junit, *accel;
	bool keep_on_failure, capture, quiet;
	double timeout_s;
	char **cmd;
	char *lab, *toponame, *cmdline, *rundir, *statedir, *logdir;
	json_t *status;
	pid_t cap_pids[64];
	int n_cap;
	char tail[RUN_TAIL];
	size_t tail_len, tail_head;
	int outlog;
	double elapsed_s;
	bool infra, timed_out;
	char infra_msg[600];
	char uplog[RUN_UPLOG];
	size_t uplog_len;
};

/* run_report.c */
int copy_file(const char *src, const char *dst);
void copy_dir_files(const char *src, const char *dst);
void write_junit(struct run *r, int status, const char *artifacts);
char *artifacts_dir(struct run *r, bool failed);
void artifacts_before_down(struct run *r, const char *dir);
void print_artifacts(const char *dir);

#endif
