build2/lab/lib/dhcpopt.o: lab/lib/dhcpopt.c lab/lib/dhcpopt.h \
 lab/lib/util.h
lab/lib/dhcpopt.h:
lab/lib/util.h:
