build2/lab/lib/match.o: lab/lib/match.c lab/lib/logfile.h lab/lib/match.h \
 lab/lib/util.h
lab/lib/logfile.h:
lab/lib/match.h:
lab/lib/util.h:
