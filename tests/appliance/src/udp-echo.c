// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp-echo.c - the stand-in's UDP echo service (RFC 862) on port 7: every
 * datagram goes back, unchanged, to the address it came from. busybox has
 * no UDP server (its nc has no -u, Debian's busybox-static no inetd), so
 * build.sh compiles this with `cc -static` into /sbin/standin-udp-echo.
 * One socket, dual-stack when the kernel has IPv6 (IPV6_V6ONLY off), else
 * IPv4 only. Usage: standin-udp-echo [PORT] (default 7); stays in the
 * foreground.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static int bind_any(int port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){0}, sizeof(int));
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0)
			return fd;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&s4, sizeof(s4)) == 0)
		return fd;
	return -1;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	int port = argc > 1 ? atoi(argv[1]) : 7;
	int fd = bind_any(port), rcvbuf = 4 << 20;

	if (fd < 0) {
		perror("standin-udp-echo: bind");
		return 1;
	}
	/* Under TCG the guest's vCPU can stall for tens of milliseconds; the
	 * default buffer (rmem_default, ~200 small datagrams) then overflows
	 * during a burst. As root, FORCE goes past rmem_max. What is dropped
	 * anyway shows in /proc/net/snmp (Udp RcvbufErrors). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("standin-udp-echo: recvfrom");
			return 1;
		}
		/* A full socket buffer drops the reply, as a real echo would. */
		sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
	}
}
