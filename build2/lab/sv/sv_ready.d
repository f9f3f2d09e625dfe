build2/lab/sv/sv_ready.o: lab/sv/sv_ready.c lab/lib/dnsmasq.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/util.h lab/sv/sv.h \
 lab/lib/logfile.h lab/lib/match.h lab/sv/loop.h lab/sv/supervisor.h
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/util.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
