build2/lab/cli/cmd_web.o: lab/cli/cmd_web.c lab/cli/client.h \
 lab/lib/warm.h lab/lib/error.h lab/lib/util.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/cli/cmds.h lab/cli/console.h lab/lib/match.h \
 lab/cli/web.h lab/lib/rundir.h
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
lab/cli/cmds.h:
lab/cli/console.h:
lab/lib/match.h:
lab/cli/web.h:
lab/lib/rundir.h:
