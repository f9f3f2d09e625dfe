build2/tests/test_launch: tests/unit/test_launch.c lab/lib/disk.h \
 lab/lib/error.h lab/lib/util.h lab/lib/topo.h lab/lib/accel.h \
 lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h lab/lib/machine.h \
 lab/lib/dnsmasq.h lab/lib/qemu.h lab/lib/rundir.h tests/unit/tap.h
lab/lib/disk.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/dnsmasq.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
tests/unit/tap.h:
