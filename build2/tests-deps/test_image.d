build2/tests/test_image: tests/unit/test_image.c lab/lib/error.h \
 lab/lib/util.h lab/lib/image.h tests/unit/tap.h
lab/lib/error.h:
lab/lib/util.h:
lab/lib/image.h:
tests/unit/tap.h:
