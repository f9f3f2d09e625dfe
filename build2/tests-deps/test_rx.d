build2/tests/test_rx: tests/unit/test_rx.c lab/lib/rx.h lab/lib/error.h \
 lab/lib/util.h tests/unit/tap.h
lab/lib/rx.h:
lab/lib/error.h:
lab/lib/util.h:
tests/unit/tap.h:
