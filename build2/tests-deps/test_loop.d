build2/tests/test_loop: tests/unit/test_loop.c lab/sv/loop.h \
 tests/unit/tap.h
lab/sv/loop.h:
tests/unit/tap.h:
