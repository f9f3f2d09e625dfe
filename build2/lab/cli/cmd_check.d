build2/lab/cli/cmd_check.o: lab/cli/cmd_check.c lab/cli/client.h \
 lab/lib/warm.h lab/lib/error.h lab/lib/util.h lab/lib/topo.h \
 lab/lib/accel.h lab/lib/dhcpopt.h lab/lib/impair.h netns/nl.h \
 lab/lib/machine.h lab/cli/cmds.h lab/lib/disk.h lab/lib/image.h \
 lab/lib/qemu.h lab/lib/rundir.h lab/lib/spawn.h
lab/cli/client.h:
lab/lib/warm.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/topo.h:
lab/lib/accel.h:
lab/lib/dhcpopt.h:
lab/lib/impair.h:
netns/nl.h:
lab/lib/machine.h:
lab/cli/cmds.h:
lab/lib/disk.h:
lab/lib/image.h:
lab/lib/qemu.h:
lab/lib/rundir.h:
lab/lib/spawn.h:
