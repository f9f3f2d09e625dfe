build2/tests/test_topo: tests/unit/test_topo.c lab/lib/dnsmasq.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/topo_int.h lab/lib/rundir.h \
 lab/lib/util.h tests/unit/tap.h
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/topo_int.h:
lab/lib/rundir.h:
lab/lib/util.h:
tests/unit/tap.h:
