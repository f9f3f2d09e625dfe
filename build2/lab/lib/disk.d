build2/lab/lib/disk.o: lab/lib/disk.c lab/lib/disk.h lab/lib/error.h \
 lab/lib/util.h lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h \
 lab/lib/impair.h netns/nl.h lab/lib/machine.h lab/lib/image.h \
 lab/lib/part.h lab/lib/rundir.h lab/lib/spawn.h
lab/lib/disk.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/image.h:
lab/lib/part.h:
lab/lib/rundir.h:
lab/lib/spawn.h:
