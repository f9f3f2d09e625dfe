build2/lab/sv/sv_net.o: lab/sv/sv_net.c lab/lib/env.h lab/lib/impair.h \
 netns/nl.h lab/lib/spawn.h lab/lib/util.h lab/sv/sv.h lab/lib/logfile.h \
 lab/lib/match.h lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h \
 lab/lib/machine.h lab/sv/loop.h lab/sv/supervisor.h netns/ns.h
lab/lib/env.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/spawn.h:
lab/lib/util.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/machine.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
netns/ns.h:
