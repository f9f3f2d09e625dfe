build2/lab/lib/impair.o: lab/lib/impair.c lab/lib/impair.h netns/nl.h \
 lab/lib/util.h
lab/lib/impair.h:
netns/nl.h:
lab/lib/util.h:
