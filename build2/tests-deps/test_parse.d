build2/tests/test_parse: tests/unit/test_parse.c lab/lib/dnsmasq.h \
 lab/lib/topo.h lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h \
 netns/nl.h lab/lib/machine.h lab/lib/qmp.h tests/unit/tap.h
lab/lib/dnsmasq.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/qmp.h:
tests/unit/tap.h:
