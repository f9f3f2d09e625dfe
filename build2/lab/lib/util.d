build2/lab/lib/util.o: lab/lib/util.c lab/lib/util.h
lab/lib/util.h:
