build2/lab/lib/spawn.o: lab/lib/spawn.c lab/lib/error.h lab/lib/util.h \
 lab/lib/landlock.h lab/lib/spawn.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/landlock.h:
lab/lib/spawn.h:
