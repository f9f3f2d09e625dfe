build2/lab/sv/sv_udp.o: lab/sv/sv_udp.c lab/lib/status_keys.h lab/sv/sv.h \
 lab/lib/logfile.h lab/lib/match.h lab/lib/topo.h lab/lib/accel.h \
 lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h lab/lib/machine.h \
 lab/sv/loop.h lab/sv/supervisor.h lab/lib/util.h
lab/lib/status_keys.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
lab/lib/util.h:
