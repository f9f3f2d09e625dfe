build2/lab/sv/sv_usb.o: lab/sv/sv_usb.c lab/lib/part.h lab/lib/error.h \
 lab/lib/util.h lab/lib/rundir.h lab/lib/usbkey.h lab/sv/sv.h \
 lab/lib/logfile.h lab/lib/match.h lab/lib/topo.h lab/lib/accel.h \
 lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h lab/lib/machine.h \
 lab/sv/loop.h lab/sv/supervisor.h
lab/lib/part.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/rundir.h:
lab/lib/usbkey.h:
lab/sv/sv.h:
lab/lib/logfile.h:
lab/lib/match.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/sv/loop.h:
lab/sv/supervisor.h:
