build2/lab/cli/main.o: lab/cli/main.c lab/cli/cmds.h lab/lib/util.h
lab/cli/cmds.h:
lab/lib/util.h:
