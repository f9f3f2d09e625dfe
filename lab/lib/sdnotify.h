/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdnotify.h - the sd_notify(3) protocol without libsystemd: one datagram
 * of "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or an abstract name written with a leading '@'). What a service of
 * Type=notify tells systemd: READY=1, STATUS=..., STOPPING=1.
 */
#ifndef VACMLAB_SDNOTIFY_H
#define VACMLAB_SDNOTIFY_H

/* Send @state. 0 if NOTIFY_SOCKET is unset (nothing to do), 1 if sent,
 * -errno on failure (a bad address, a socket nobody listens on). */
int sd_notify_send(const char *state);

#endif
