build2/lab/cli/client_status.o: lab/cli/client_status.c \
 lab/cli/client_status.h lab/lib/status_keys.h
lab/cli/client_status.h:
lab/lib/status_keys.h:
