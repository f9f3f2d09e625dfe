build2/lab/lib/tree.o: lab/lib/tree.c lab/lib/tar.h lab/lib/error.h \
 lab/lib/util.h
lab/lib/tar.h:
lab/lib/error.h:
lab/lib/util.h:
