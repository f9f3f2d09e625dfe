build2/lab/lib/part.o: lab/lib/part.c lab/lib/image.h lab/lib/part.h \
 lab/lib/error.h lab/lib/util.h lab/lib/spawn.h lab/lib/tar.h
lab/lib/image.h:
lab/lib/part.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/spawn.h:
lab/lib/tar.h:
