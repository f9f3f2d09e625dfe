build2/lab/lib/rundir.o: lab/lib/rundir.c lab/lib/error.h lab/lib/util.h \
 lab/lib/rundir.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/rundir.h:
