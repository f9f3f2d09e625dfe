build2/tests/test_tar: tests/unit/test_tar.c lab/lib/tar.h \
 lab/lib/error.h lab/lib/util.h tests/unit/tap.h
lab/lib/tar.h:
lab/lib/error.h:
lab/lib/util.h:
tests/unit/tap.h:
