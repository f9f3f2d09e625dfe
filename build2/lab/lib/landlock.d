build2/lab/lib/landlock.o: lab/lib/landlock.c lab/lib/landlock.h \
 lab/lib/util.h
lab/lib/landlock.h:
lab/lib/util.h:
