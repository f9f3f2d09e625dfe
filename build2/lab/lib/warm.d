build2/lab/lib/warm.o: lab/lib/warm.c lab/lib/disk.h lab/lib/error.h \
 lab/lib/util.h lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h \
 lab/lib/impair.h netns/nl.h lab/lib/machine.h lab/lib/image.h \
 lab/lib/qemu.h lab/lib/rundir.h lab/lib/warm.h
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
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/warm.h:
