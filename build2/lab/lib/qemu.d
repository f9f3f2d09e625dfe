build2/lab/lib/qemu.o: lab/lib/qemu.c lab/lib/disk.h lab/lib/error.h \
 lab/lib/util.h lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h \
 lab/lib/impair.h netns/nl.h lab/lib/machine.h lab/lib/image.h \
 lab/lib/landlock.h lab/lib/qcow2.h lab/lib/qemu.h lab/lib/rundir.h \
 lab/lib/usbkey.h
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
lab/lib/landlock.h:
lab/lib/qcow2.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/usbkey.h:
