build2/lab/lib/topo_load.o: lab/lib/topo_load.c lab/lib/logfile.h \
 lab/lib/topo_int.h lab/lib/rundir.h lab/lib/topo.h lab/lib/accel.h \
 lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h lab/lib/machine.h \
 lab/lib/util.h
lab/lib/logfile.h:
lab/lib/topo_int.h:
lab/lib/rundir.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/util.h:
