/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervisor.h - the process that owns a running lab (see DESIGN.md).
 */
#ifndef VACMLAB_SUPERVISOR_H
#define VACMLAB_SUPERVISOR_H

#include "lab/sv/sv.h"

/* Runs in the forked child of `up`; never returns. Reports progress and
 * the outcome on sv->sync_fd: lines "S NODE STATE SECONDS", then "OK" or
 * "E CODE" followed by the message. */
void supervisor_run(struct sv *sv) __attribute__((noreturn));

#endif
