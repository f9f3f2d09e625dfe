build2/lab/lib/machine.o: lab/lib/machine.c lab/lib/machine.h \
 lab/lib/util.h
lab/lib/machine.h:
lab/lib/util.h:
