// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ctl.c - libFuzzer target for the supervisor's control requests: the
 * input is one request as a client would send it. It goes through the real
 * path, sv_ctl_client() (recvmsg, json_loadb, the method table, the
 * handler), on a supervisor of an empty lab, and every request must get
 * exactly one well-formed reply line (or, for down, be kept for the end)
 * without a crash, a leak or undefined behaviour. Built by `make fuzz`.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/topo.h"
#include "lab/sv/sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct topo t = {.name = (char *)"fz", .domain = (char *)"fz", .path = (char *)"f"};
	struct sv sv = {0};
	char reply[65536];
	int sp[2];
	ssize_t n;

	(void)n;

	if (size > 8000 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return 0;
	sv.t = &t;
	sv.topo_path = "f.conf";
	sv.rundir = sv.statedir = sv.logdir = (char *)"/nonexistent";
	sv.down_client = -1;
	sv.sync_fd = -1;
	sv.phase = PH_RUNNING;
	sv.dns.pidfd = -1;
	if (loop_init(&sv.loop) < 0) {
		close(sp[0]);
		close(sp[1]);
		return 0;
	}
	if (size && write(sp[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sp[1], SHUT_WR);
	sv_ctl_client(&sv, sp[0]); /* owns sp[0]: replies and closes it */
	if (sv.down_client >= 0) {
		/* down keeps its client for the reply at the very end */
		if (sv.phase < PH_POWERDOWN)
			abort();
		close(sv.down_client);
	} else if (size) {
		n = read(sp[1], reply, sizeof(reply) - 1);
		json_t *j;

		if (n <= 0 || reply[n - 1] != '\n')
			abort(); /* every request gets one reply line */
		reply[n] = '\0';
		j = json_loads(reply, 0, NULL);
		if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok")))
			abort();
		json_decref(j);
	}
	close(sp[1]);
	close(sv.loop.epfd);
	free(sv.loop.slots);
	return 0;
}
