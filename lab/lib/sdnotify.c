// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sdnotify.c - sd_notify(3) by hand: the protocol is one datagram on an
 * AF_UNIX SOCK_DGRAM socket, a few lines; libsystemd would be a dependency
 * for nothing else.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lab/lib/sdnotify.h"

int sd_notify_send(const char *state)
{
	const char *e = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len;
	socklen_t salen;
	int fd, r = 1;

	if (!e || !*e)
		return 0;
	len = strlen(e);
	/* A path, or '@' for the abstract namespace (a leading NUL). */
	if ((e[0] != '/' && e[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, e, len);
	if (e[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (e[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		r = -errno;
	close(fd);
	return r;
}
