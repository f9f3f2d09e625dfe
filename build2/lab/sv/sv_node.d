build2/lab/sv/sv_node.o: lab/sv/sv_node.c lab/lib/error.h lab/lib/util.h \
 lab/lib/landlock.h lab/lib/qemu.h lab/lib/rundir.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/lib/usbkey.h lab/lib/spawn.h lab/sv/sv.h \
 lab/lib/logfile.h lab/lib/match.h lab/sv/loop.h lab/sv/supervisor.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/landlock.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/usbkey.h:
lab/lib/spawn.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
