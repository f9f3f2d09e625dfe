build2/lab/sv/sv_uplink.o: lab/sv/sv_uplink.c lab/lib/rundir.h \
 lab/lib/spawn.h lab/sv/sv.h lab/lib/logfile.h lab/lib/match.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/sv/loop.h lab/sv/supervisor.h \
 lab/lib/qemu.h lab/lib/util.h netns/ns.h
lab/lib/rundir.h:
lab/lib/spawn.h:
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
lab/lib/qemu.h:
lab/lib/util.h:
netns/ns.h:
