build2/lab/cli/cmd_image.o: lab/cli/cmd_image.c lab/cli/cmds.h \
 lab/lib/error.h lab/lib/util.h lab/lib/image.h lab/lib/part.h
lab/cli/cmds.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/image.h:
lab/lib/part.h:
