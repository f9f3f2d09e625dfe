/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec.h - entering a running lab's namespaces (exec, capture, run).
 */
#ifndef VACMLAB_EXEC_H
#define VACMLAB_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Join lab @lab's user namespace and its (or host @host's) network
 * namespace, with the lab's resolv.conf. 0, or -1 with a message. */
int lab_enter(const char *lab, const char *host, char *err, size_t errlen);
/* `vacmlab down` as a function (also used by run). */
int lab_down(const char *lab, double timeout_s, bool quiet);

/* The host-side interface name vacmlab-attach derives for LAB/LAN. */
void attach_host_ifname(uid_t uid, const char *lab, const char *lan, char out[16]);

#endif
