build2/lab/lib/error.o: lab/lib/error.c lab/lib/error.h lab/lib/util.h
lab/lib/error.h:
lab/lib/util.h:
