/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the CLI's side of the control socket (see sv_ctl.c).
 */
#ifndef VACMLAB_CTL_H
#define VACMLAB_CTL_H

#include <jansson.h>
#include <stddef.h>

/* Send @req (reference stolen) to lab @lab, optionally passing @fd
 * (SCM_RIGHTS; -1 for none), and wait up to @timeout_ms for the reply.
 * NULL + message on failure; a reply with "ok": false is returned as is. */
json_t *ctl_call(const char *lab, json_t *req, int fd, int timeout_ms, char *err, size_t errlen);

/* Status of a running lab, or NULL + message. */
json_t *ctl_status(const char *lab, char *err, size_t errlen);

/* Print the node table (used by up and status). */
void print_status_table(json_t *st, FILE *f);

#endif
