// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_stale.c - the leftovers of a lab whose supervisor died: `up`
 * waits for them before a new QEMU opens the same overlay.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/util.h"

/* Processes of a lab whose supervisor died (SIGKILL): they got SIGTERM
 * from PDEATHSIG and are on their way out; QEMU may still be flushing its
 * overlay, which it keeps locked. Wait for them, bounded, before the new
 * QEMU opens the same overlay. Identified by their command lines, which
 * name this lab's run dir or QEMU's "process=vacmlab:LAB:" tag. */
void lab_wait_stale(const char *lab, const char *rundir)
{
	_cleanup_free_ char *tag = xasprintf("process=vacmlab:%s:", lab);
	long long deadline = now_ms() + 15000;
	bool killed = false;

	for (;;) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int found = 0;

		if (!d)
			return;
		while ((de = readdir(d))) {
			char path[64];
			size_t len;
			_cleanup_free_ char *cmd = NULL;
			struct stat st;
			pid_t pid = (pid_t)atoi(de->d_name);

			if (pid <= 1 || pid == getpid())
				continue;
			snprintf(path, sizeof(path), "/proc/%d", (int)pid);
			if (stat(path, &st) < 0 || st.st_uid != getuid())
				continue;
			snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
			cmd = read_file(path, &len);
			if (!cmd || !len)
				continue;
			for (size_t i = 0; i + 1 < len; i++)
				if (!cmd[i])
					cmd[i] = ' ';
			if (!strstr(cmd, tag) && !strstr(cmd, rundir))
				continue;
			found++;
			if (now_ms() > deadline - 5000 && !killed) {
				msg_warn("process %d of the previous run of lab '%s' is still "
					 "alive; killing it",
					 (int)pid, lab);
				kill(pid, SIGKILL);
			}
		}
		closedir(d);
		if (!found || now_ms() > deadline)
			return;
		if (now_ms() > deadline - 5000)
			killed = true;
		usleep(50000);
	}
}
