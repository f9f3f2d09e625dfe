build2/netns/ns.o: netns/ns.c netns/ns.h
netns/ns.h:
