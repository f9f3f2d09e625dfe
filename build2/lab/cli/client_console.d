build2/lab/cli/client_console.o: lab/cli/client_console.c \
 lab/cli/console.h lab/lib/match.h lab/cli/client.h lab/lib/warm.h \
 lab/lib/error.h lab/lib/util.h lab/lib/topo.h lab/lib/accel.h \
 lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h lab/lib/machine.h \
 lab/cli/client_status.h lab/lib/status_keys.h lab/lib/logfile.h \
 lab/lib/rundir.h lab/sv/sv.h lab/sv/loop.h lab/sv/supervisor.h
lab/cli/console.h:
lab/lib/match.h:
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
lab/cli/client_status.h:
lab/lib/status_keys.h:
lab/lib/logfile.h:
lab/lib/rundir.h:
lab/sv/sv.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
