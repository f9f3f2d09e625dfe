build2/lab/lib/logfile.o: lab/lib/logfile.c lab/lib/logfile.h \
 lab/lib/util.h
lab/lib/logfile.h:
lab/lib/util.h:
