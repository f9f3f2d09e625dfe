build2/lab/sv/loop.o: lab/sv/loop.c lab/lib/util.h lab/sv/loop.h
lab/lib/util.h:
lab/sv/loop.h:
