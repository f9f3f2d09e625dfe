build2/lab/lib/image.o: lab/lib/image.c lab/lib/error.h lab/lib/util.h \
 lab/lib/image.h lab/lib/qcow2.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/image.h:
lab/lib/qcow2.h:
