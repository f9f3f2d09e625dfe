// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * console-rtt.c - round-trip latency of one byte through serial port
 * sockets, for bench/console-latency.sh. Usage:
 *   console-rtt N LABEL=SOCKET [LABEL=SOCKET ...]
 * Connects to every socket, drains what is already there (the supervisor's
 * replay), then N times per socket, interleaved so drift hits all paths
 * alike: write one byte, time until that byte comes back (the guest echoes
 * it). Prints one line per path: label n median_us p90_us min_us max_us.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int conn(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "console-rtt: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void drain(int fd, int ms)
{
	char buf[65536];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (poll(&p, 1, ms) > 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* One round trip of byte @b; microseconds, or -1 after a 2 s timeout. */
static double rtt(int fd, unsigned char b)
{
	double t0 = now_us();
	unsigned char c;

	if (write(fd, &b, 1) != 1)
		return -1;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = 2e6 - (now_us() - t0);

		if (left <= 0 || poll(&p, 1, (int)(left / 1000) + 1) <= 0)
			return -1;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == b)
			return now_us() - t0;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0, k = argc - 2;

	if (n <= 0 || k < 1) {
		fprintf(stderr, "usage: console-rtt N LABEL=SOCKET...\n");
		return 1;
	}
	int fds[k];
	char *labels[k];
	double *t[k];
	int lost[k];

	for (int j = 0; j < k; j++) {
		char *eq = strchr(argv[j + 2], '=');

		if (!eq)
			return 1;
		*eq = '\0';
		labels[j] = argv[j + 2];
		fds[j] = conn(eq + 1);
		t[j] = calloc((size_t)n, sizeof(double));
		lost[j] = 0;
		drain(fds[j], 300);
	}
	/* Warm up every path (guest caches, QEMU's chardev state). */
	for (int j = 0; j < k; j++)
		for (int i = 0; i < 10; i++)
			rtt(fds[j], (unsigned char)('a' + i));
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < k; j++) {
			double r = rtt(fds[j], (unsigned char)('A' + i % 26));

			if (r < 0) {
				lost[j]++;
				drain(fds[j], 100);
				r = 2e6;
			}
			t[j][i] = r;
		}
	}
	for (int j = 0; j < k; j++) {
		qsort(t[j], (size_t)n, sizeof(double), cmp);
		printf("%s %d %.0f %.0f %.0f %.0f %d\n", labels[j], n, t[j][n / 2],
		       t[j][(n * 9) / 10], t[j][0], t[j][n - 1], lost[j]);
	}
	return 0;
}
