build2/tests/test_status: tests/unit/test_status.c \
 lab/cli/client_status.h lab/lib/status_keys.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/sv/sv.h lab/lib/logfile.h lab/lib/match.h \
 lab/sv/loop.h lab/sv/supervisor.h tests/unit/tap.h
lab/cli/client_status.h:
lab/lib/status_keys.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
tests/unit/tap.h:
