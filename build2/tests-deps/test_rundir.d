build2/tests/test_rundir: tests/unit/test_rundir.c lab/lib/error.h \
 lab/lib/util.h lab/lib/rundir.h tests/unit/tap.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/rundir.h:
tests/unit/tap.h:
