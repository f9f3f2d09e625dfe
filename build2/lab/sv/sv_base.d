build2/lab/sv/sv_base.o: lab/sv/sv_base.c lab/lib/accel.h \
 lab/lib/dnsmasq.h lab/lib/topo.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/error.h lab/lib/util.h \
 lab/lib/match.h lab/lib/qemu.h lab/lib/rundir.h lab/lib/status_keys.h \
 lab/sv/sv.h lab/lib/logfile.h lab/sv/loop.h lab/sv/supervisor.h
lab/lib/accel.h:
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/match.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/status_keys.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
