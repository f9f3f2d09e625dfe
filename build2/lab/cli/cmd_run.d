build2/lab/cli/cmd_run.o: lab/cli/cmd_run.c lab/cli/cmds.h lab/cli/run.h \
 lab/cli/client.h lab/lib/warm.h lab/lib/error.h lab/lib/util.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/spawn.h lab/lib/rundir.h \
 lab/lib/status_keys.h
lab/cli/cmds.h:
lab/cli/run.h:
lab/cli/client.h:
lab/lib/warm.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/spawn.h:
lab/lib/rundir.h:
lab/lib/status_keys.h:
