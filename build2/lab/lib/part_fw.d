build2/lab/lib/part_fw.o: lab/lib/part_fw.c lab/lib/part.h \
 lab/lib/error.h lab/lib/util.h
lab/lib/part.h:
lab/lib/error.h:
lab/lib/util.h:
