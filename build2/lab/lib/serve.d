build2/lab/lib/serve.o: lab/lib/serve.c lab/lib/serve.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/lib/util.h
lab/lib/serve.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/lib/util.h:
