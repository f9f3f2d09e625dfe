build2/tests/test_logfile: tests/unit/test_logfile.c lab/lib/logfile.h \
 lab/lib/util.h tests/unit/tap.h
lab/lib/logfile.h:
lab/lib/util.h:
tests/unit/tap.h:
