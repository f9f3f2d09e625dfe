build2/lab/cli/web_console.o: lab/cli/web_console.c \
 lab/cli/client_status.h lab/lib/status_keys.h lab/cli/console.h \
 lab/lib/match.h lab/cli/web.h lab/lib/util.h
lab/cli/client_status.h:
lab/lib/status_keys.h:
lab/cli/console.h:
lab/lib/match.h:
lab/cli/web.h:
lab/lib/util.h:
