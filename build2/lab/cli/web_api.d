build2/lab/cli/web_api.o: lab/cli/web_api.c lab/cli/client.h \
 lab/lib/warm.h lab/lib/error.h lab/lib/util.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/cli/web.h lab/lib/rundir.h lab/lib/spawn.h \
 lab/lib/status_keys.h
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
lab/cli/web.h:
lab/lib/rundir.h:
lab/lib/spawn.h:
lab/lib/status_keys.h:
