build2/lab/lib/qcow2_hdr.o: lab/lib/qcow2_hdr.c lab/lib/qcow2_int.h \
 lab/lib/qcow2.h lab/lib/util.h
lab/lib/qcow2_int.h:
lab/lib/qcow2.h:
lab/lib/util.h:
