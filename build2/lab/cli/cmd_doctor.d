build2/lab/cli/cmd_doctor.o: lab/cli/cmd_doctor.c lab/cli/cmds.h \
 lab/lib/env.h lab/lib/landlock.h lab/lib/rundir.h lab/lib/spawn.h \
 lab/lib/util.h
lab/cli/cmds.h:
lab/lib/env.h:
lab/lib/landlock.h:
lab/lib/rundir.h:
lab/lib/spawn.h:
lab/lib/util.h:
