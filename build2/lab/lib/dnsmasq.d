build2/lab/lib/dnsmasq.o: lab/lib/dnsmasq.c lab/lib/dnsmasq.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/landlock.h lab/lib/qemu.h \
 lab/lib/rundir.h lab/lib/util.h
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/landlock.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/util.h:
