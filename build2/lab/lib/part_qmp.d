build2/lab/lib/part_qmp.o: lab/lib/part_qmp.c lab/lib/part.h \
 lab/lib/error.h lab/lib/util.h
lab/lib/part.h:
lab/lib/error.h:
lab/lib/util.h:
