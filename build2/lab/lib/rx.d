build2/lab/lib/rx.o: lab/lib/rx.c lab/lib/rx.h lab/lib/error.h \
 lab/lib/util.h
lab/lib/rx.h:
lab/lib/error.h:
lab/lib/util.h:
