build2/lab/lib/env.o: lab/lib/env.c lab/lib/env.h lab/lib/spawn.h \
 lab/lib/util.h netns/nl.h netns/ns.h
lab/lib/env.h:
lab/lib/spawn.h:
lab/lib/util.h:
netns/nl.h:
netns/ns.h:
