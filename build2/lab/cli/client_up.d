build2/lab/cli/client_up.o: lab/cli/client_up.c lab/cli/client.h \
 lab/lib/warm.h lab/lib/error.h lab/lib/util.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/lib/disk.h lab/lib/landlock.h lab/lib/env.h \
 lab/lib/image.h lab/lib/logfile.h lab/lib/part.h lab/lib/rundir.h \
 lab/lib/sdnotify.h lab/lib/spawn.h lab/lib/status_keys.h \
 lab/sv/supervisor.h
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
lab/lib/disk.h:
lab/lib/landlock.h:
lab/lib/env.h:
lab/lib/image.h:
lab/lib/logfile.h:
lab/lib/part.h:
lab/lib/rundir.h:
lab/lib/sdnotify.h:
lab/lib/spawn.h:
lab/lib/status_keys.h:
lab/sv/supervisor.h:
