build2/tests/test_match: tests/unit/test_match.c lab/cli/console.h \
 lab/lib/match.h lab/lib/logfile.h lab/lib/util.h tests/unit/tap.h
lab/cli/console.h:
lab/lib/match.h:
lab/lib/logfile.h:
lab/lib/util.h:
tests/unit/tap.h:
