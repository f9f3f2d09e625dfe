build2/lab/cli/cmd_apply.o: lab/cli/cmd_apply.c lab/cli/cmds.h \
 lab/cli/client.h lab/lib/warm.h lab/lib/error.h lab/lib/util.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/cli/console.h lab/lib/match.h \
 lab/lib/disk.h lab/lib/env.h lab/lib/image.h lab/lib/status_keys.h
lab/cli/cmds.h:
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
lab/cli/console.h:
lab/lib/match.h:
lab/lib/disk.h:
lab/lib/env.h:
lab/lib/image.h:
lab/lib/status_keys.h:
