build2/lab/lib/usbkey.o: lab/lib/usbkey.c lab/lib/spawn.h \
 lab/lib/usbkey.h lab/lib/error.h lab/lib/util.h
lab/lib/spawn.h:
lab/lib/usbkey.h:
lab/lib/error.h:
lab/lib/util.h:
