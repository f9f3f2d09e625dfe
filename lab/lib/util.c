// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * util.c - messages, allocation, small file helpers, a host-side listening
 * socket for lab/.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "lab/lib/util.h"

const char *prog_name = "vacmlab";
int verbose;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", prog_name, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

static void oom(void)
{
	fprintf(stderr, "%s: out of memory\n", prog_name);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

int pread_full(int fd, void *buf, size_t len, unsigned long long off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (unsigned long long)n;
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove everything in the open directory @dfd, never following a
 * symlink and never leaving its file system (@dev): a mount point met on
 * the way is skipped, as `rm --one-file-system` does. */
static int rm_contents(int dfd, dev_t dev)
{
	DIR *d;
	struct dirent *de;
	int r = 0, fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int e = 0, sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			e = errno == ENOENT ? 0 : -errno;
		} else if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT)
				e = -errno;
		} else if (st.st_dev != dev) {
			e = -EXDEV;
		} else if ((sub = openat(dfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			e = -errno;
		} else {
			e = rm_contents(sub, dev);
			close(sub);
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && !e)
				e = -errno;
		}
		if (e && !r)
			r = e;
	}
	closedir(d);
	return r;
}

int rm_tree_at(int at, const char *name, int dfd)
{
	_cleanup_close_ int own = -1;
	struct stat st, now;
	int r;

	if (dfd < 0) {
		own = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (own < 0) {
			if (errno == ENOENT)
				return 0;
			/* Not a directory (or a symlink): a plain unlink, which
			 * removes a symlink itself, never what it names. */
			if (errno == ENOTDIR || errno == ELOOP)
				return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -errno : 0;
			return -errno;
		}
		dfd = own;
	}
	if (fstat(dfd, &st) < 0)
		return -errno;
	r = rm_contents(dfd, st.st_dev);
	/* The name must still be the directory we emptied. */
	if (fstatat(at, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? r : -errno;
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		return r ? r : -ESTALE;
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !r)
		r = -errno;
	return r;
}

int rm_rf(const char *path)
{
	return rm_tree_at(AT_FDCWD, path, -1);
}

const char *parse_duration(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}};
	size_t digits = 0, dots = 0, i = 0;
	char *end;
	double v;

	for (; s[i] == '.' || (s[i] >= '0' && s[i] <= '9'); i++) {
		if (s[i] == '.')
			dots++;
		else
			digits++;
	}
	if (!s[0])
		return "is empty";
	/* By hand, not strtod() alone: no sign, exponent, hex, inf or nan. */
	if (!digits || dots > 1)
		return "is not a duration";
	for (size_t u = 0; u < ARRAY_SIZE(units); u++) {
		if (strcmp(s + i, units[u].unit))
			continue;
		errno = 0;
		v = strtod(s, &end);
		if (end != s + i)
			break;
		v *= units[u].mult;
		if (errno == ERANGE || !(v <= DURATION_MAX_S))
			return "is too long";
		*out = v;
		return NULL;
	}
	return "is not a duration";
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int str_split(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			*s++ = '\0';
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
	}
}

void utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		int len = *p < 0x80		? 1
			  : (*p & 0xe0) == 0xc0 ? 2
			  : (*p & 0xf0) == 0xe0 ? 3
			  : (*p & 0xf8) == 0xf0 ? 4
						: 0;
		unsigned cp = len == 1	 ? *p
			      : len == 2 ? *p & 0x1fu
			      : len == 3 ? *p & 0x0fu
					 : *p & 0x07u;
		int i = 1;

		for (; i < len && (p[i] & 0xc0) == 0x80; i++)
			cp = cp << 6 | (p[i] & 0x3fu);
		if (len && i == len &&
		    (len == 1 || (len == 2 && cp >= 0x80) ||
		     (len == 3 && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) ||
		     (len == 4 && cp >= 0x10000 && cp <= 0x10ffff))) {
			p += len;
			continue;
		}
		*p++ = '?';
	}
}

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int host_listen(const char *addr, int port, bool udp, int backlog)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (!udp && listen(fd, backlog) < 0)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}
