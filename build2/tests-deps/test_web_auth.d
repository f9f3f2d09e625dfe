build2/tests/test_web_auth: tests/unit/test_web_auth.c lab/cli/web.h \
 lab/lib/util.h tests/unit/tap.h
lab/cli/web.h:
lab/lib/util.h:
tests/unit/tap.h:
