build2/lab/lib/qmp.o: lab/lib/qmp.c lab/lib/qmp.h lab/lib/util.h
lab/lib/qmp.h:
lab/lib/util.h:
