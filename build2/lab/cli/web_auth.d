build2/lab/cli/web_auth.o: lab/cli/web_auth.c lab/cli/web.h \
 lab/lib/util.h
lab/cli/web.h:
lab/lib/util.h:
