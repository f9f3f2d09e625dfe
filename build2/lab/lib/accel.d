build2/lab/lib/accel.o: lab/lib/accel.c lab/lib/accel.h lab/lib/error.h \
 lab/lib/util.h lab/lib/rundir.h
lab/lib/accel.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/rundir.h:
