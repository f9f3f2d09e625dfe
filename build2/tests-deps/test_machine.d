build2/tests/test_machine: tests/unit/test_machine.c lab/lib/accel.h \
 lab/lib/error.h lab/lib/util.h lab/lib/machine.h tests/unit/tap.h
lab/lib/accel.h:
lab/lib/error.h:
lab/lib/util.h:
lab/lib/machine.h:
tests/unit/tap.h:
