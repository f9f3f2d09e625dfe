build2/lab/lib/sdnotify.o: lab/lib/sdnotify.c lab/lib/sdnotify.h
lab/lib/sdnotify.h:
