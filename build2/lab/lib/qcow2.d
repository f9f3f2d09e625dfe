build2/lab/lib/qcow2.o: lab/lib/qcow2.c lab/lib/qcow2.h \
 lab/lib/qcow2_int.h lab/lib/util.h
lab/lib/qcow2.h:
lab/lib/qcow2_int.h:
lab/lib/util.h:
