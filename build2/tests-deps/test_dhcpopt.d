build2/tests/test_dhcpopt: tests/unit/test_dhcpopt.c lab/lib/dhcpopt.h \
 lab/lib/dnsmasq.h lab/lib/topo.h lab/lib/accel.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/util.h tests/unit/tap.h
lab/lib/dhcpopt.h:
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/util.h:
tests/unit/tap.h:
