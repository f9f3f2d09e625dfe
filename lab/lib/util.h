/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - small helpers shared by lab/: exit codes, messages, allocation
 * that cannot fail silently, cleanup attributes.
 */
#ifndef VACMLAB_UTIL_H
#define VACMLAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Exit codes, documented in README.md and `vacmlab --help`. */
enum vacmlab_exit {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,      /* usage or topology error: nothing started */
	EXIT_ENV = 2,	      /* environment: no user namespaces, no tun, ... */
	EXIT_CHILD = 3,	      /* a child (QEMU, dnsmasq) failed */
	EXIT_TIMEOUT = 4,     /* readiness or wait timed out */
	EXIT_STATE = 5,	      /* lab not running / already running / busy */
	EXIT_RUN_INFRA = 125, /* `vacmlab run`: the lab could not come up */
};

extern const char *prog_name;
extern int verbose;

void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write all of @buf or return -errno. */
int write_all(int fd, const void *buf, size_t len);
/* pread exactly @len bytes at @off. 0, or -errno (-EIO when the file ends
 * first). */
int pread_full(int fd, void *buf, size_t len, unsigned long long off);
/* Write @text to @path (O_CREAT|O_TRUNC, mode 0600). Returns 0 or -errno. */
int write_file(const char *path, const char *text);
/* Read a whole small file; NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);
/* mkdir -p with @mode for each created component. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf, not following symlinks, not leaving the file system. 0 or
 * -errno. For a private temporary tree; a lab's directories are removed
 * through rundir_remove() / statedir_remove(), which verify them first. */
int rm_rf(const char *path);
/*
 * rm_tree_at() - remove the directory @name under the directory fd @at.
 * With @dfd >= 0 (an fd of that directory, verified by the caller) the
 * removal starts from @dfd, and @name is only removed at the end if it is
 * still that directory; with -1, @name is opened O_NOFOLLOW. Symlinks are
 * never followed at any depth, nothing on another file system is entered
 * (-EXDEV). A @name that is not a directory is unlinked (@dfd -1 only).
 * Return: 0 or -errno (the first failure).
 */
int rm_tree_at(int at, const char *name, int dfd);

/* The longest duration parse_duration() accepts: a year, in seconds. */
#define DURATION_MAX_S (365.0 * 86400)
/*
 * parse_duration() - the one parser of a time value on the command line:
 * a decimal number of seconds ("90", "1.5") or a number with a unit
 * ("500ms", "90s", "2m", "1h"). No sign, exponent, spaces or anything else.
 * Return: NULL with *@out set in seconds, else why @s is refused ("is
 * empty", "is not a duration", "is too long": over DURATION_MAX_S).
 */
const char *parse_duration(const char *s, double *out);

/* Split @s (modified) at whitespace into at most @max tokens; returns the
 * number of tokens, or @max + 1 if there are more. */
int str_split(char *s, char **tok, int max);

/* Replace each byte of @s that is not part of a valid UTF-8 sequence
 * (overlong, surrogate, beyond U+10FFFF, cut short) with '?', so that
 * JSON may carry it: a parser's error text can quote half a character. */
void utf8_scrub(char *s);

/* The value of hex digit @c (either case), or -1. */
int hexval(char c);

/* Bind a TCP listener (@backlog) or, @udp, a UDP socket to IPv4 @addr:@port
 * in the caller's (the host's) namespace, non-blocking and CLOEXEC; the fd
 * or -errno (-EINVAL: @addr is no IPv4 address). */
int host_listen(const char *addr, int port, bool udp, int backlog);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
