build2/lab/lib/tar.o: lab/lib/tar.c lab/lib/tar.h lab/lib/error.h \
 lab/lib/util.h
lab/lib/tar.h:
lab/lib/error.h:
lab/lib/util.h:
