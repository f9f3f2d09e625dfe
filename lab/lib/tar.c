// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tar.c - a small, strict tar reader (ustar, GNU long names, pax path and
 * linkpath records; gzip through zlib, which reads plain files as they are)
 * and a directory scanner, both producing the seed list of lab/lib/part.c.
 *
 * Why not run tar(1): the archive comes from the user and is unpacked on
 * their machine. GNU tar strips a leading '/' and refuses "..", but it also
 * follows symlinks made earlier in the same archive, restores devices when
 * it can, and its listing is not a format to validate from. Reading the
 * headers here lets every member be judged before a byte of it is written,
 * with a message that names it; extraction goes through openat() from the
 * staging dir's fd with O_NOFOLLOW at every component, so even a check
 * that was missed cannot write outside the staging dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lab/lib/tar.h"
#include "lab/lib/util.h"

#define TAR_BLOCK 512
#define TAR_MAX_ENTRIES 100000
#define TAR_MAX_META (1u << 20) /* pax headers and GNU long names */

void seed_list_free(struct seed_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void list_add(struct seed_list *l, const char *path, mode_t mode, int64_t mtime)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path)) {
			l->v[i].mode = mode;
			l->v[i].mtime = mtime;
			return;
		}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct seed_ent){xstrdup(path), mode, mtime};
}

/* Names go into debugfs command lines inside double quotes. */
static bool name_quotable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Normalise a member name into @out: drop "./", "//" and a trailing '/'.
 * Returns NULL if fine, else why not. */
static const char *normalise(const char *name, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = name;

	if (name[0] == '/')
		return "is an absolute path";
	if (!name_quotable(name))
		return "has a control character, '\"' or '\\' in its name";
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && !strncmp(p, "..", 2))
			return "has a '..' component";
		if (len && !(len == 1 && p[0] == '.')) {
			if (o + len + 2 > outlen)
				return "has a name longer than 4095 bytes";
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	return NULL;
}

static uint64_t octal(const char *f, size_t len, bool *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	*ok = true;
	if ((unsigned char)f[0] & 0x80) { /* base-256 (GNU, big sizes) */
		for (i = 1; i < len; i++) {
			if (v >> 55)
				*ok = false;
			v = v << 8 | (unsigned char)f[i];
		}
		return v;
	}
	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			*ok = false;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			*ok = false;
	return v;
}

static bool header_ok(const unsigned char *h)
{
	unsigned long sum = 0;
	bool ok;
	uint64_t want = octal((const char *)h + 148, 8, &ok);

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return ok && want == sum;
}

static bool all_zero(const unsigned char *b)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

struct tin {
	gzFile gz;
	const char *path;
	uint64_t off;
};

static int tread(struct tin *t, void *buf, size_t len, struct vl_err *e)
{
	unsigned char *p = buf;

	while (len) {
		unsigned int chunk = len > (1u << 30) ? (1u << 30) : (unsigned int)len;
		int n = gzread(t->gz, p, chunk);
		int zerr;

		if (n < 0)
			return vl_fail(e, EXIT_CONFIG, "%s: unreadable at byte %" PRIu64 ": %s",
				       t->path, t->off, gzerror(t->gz, &zerr));
		if (n == 0)
			return vl_fail(e, EXIT_CONFIG,
				       "%s: truncated tar (ends inside a member at byte %" PRIu64
				       ")",
				       t->path, t->off);
		p += n;
		len -= (size_t)n;
		t->off += (uint64_t)n;
	}
	return 0;
}

/* Read @size bytes of member data plus padding; into @buf when non-NULL,
 * else into @fd when >= 0, else skipped. */
static int tdata(struct tin *t, uint64_t size, char *buf, int fd, struct vl_err *e)
{
	unsigned char blk[64 * TAR_BLOCK];
	uint64_t padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK, done = 0;

	while (done < padded) {
		size_t n = padded - done > sizeof(blk) ? sizeof(blk) : (size_t)(padded - done);
		size_t use = done >= size ? 0 : (size - done < n ? (size_t)(size - done) : n);

		if (tread(t, blk, n, e) < 0)
			return -1;
		if (buf)
			memcpy(buf + done, blk, use);
		else if (fd >= 0 && use && write_all(fd, blk, use) < 0)
			return vl_fail_errno(e, EXIT_ENV, errno, "writing the staging copy");
		done += n;
	}
	return 0;
}

/*
 * pax records "LEN key=value\n": take path and linkpath. LEN counts the
 * whole record, its own digits and the newline included. Every length is
 * checked against what is left of the buffer before it is used: a record
 * such as "01 " (shorter than its own "LEN ") once made a memchr() of
 * (size_t)-2 bytes. Returns NULL, or why the records are malformed.
 */
static const char *pax_parse(const char *rec, size_t len, char **path, char **link)
{
	size_t pos = 0;

	while (pos < len) {
		const char *r = rec + pos, *kv, *eq, *end;
		size_t left = len - pos, n = 0, d = 0;

		while (d < left && d < 8 && r[d] >= '0' && r[d] <= '9')
			n = n * 10 + (size_t)(r[d++] - '0');
		if (!d || d == left || r[d] != ' ')
			return "a pax record does not start with its length and a space";
		/* "LEN " + "k=" + "\n" at least, and within the buffer. */
		if (n < d + 4 || n > left)
			return "a pax record's length is out of range";
		if (r[n - 1] != '\n')
			return "a pax record does not end with a newline";
		kv = r + d + 1;
		end = r + n - 1; /* the newline */
		eq = memchr(kv, '=', (size_t)(end - kv));
		if (!eq || eq == kv)
			return "a pax record has no key=value";
		{
			size_t klen = (size_t)(eq - kv);
			const char *val = eq + 1;
			char **dst = NULL;

			if (klen == 4 && !memcmp(kv, "path", 4))
				dst = path;
			else if (klen == 8 && !memcmp(kv, "linkpath", 8))
				dst = link;
			if (dst) {
				/* A NUL inside the value would cut the name short
				 * silently: refuse it instead. */
				if (memchr(val, '\0', (size_t)(end - val)))
					return "a pax path holds a NUL byte";
				free(*dst);
				*dst = xasprintf("%.*s", (int)(end - val), val);
			}
		}
		pos += n;
	}
	return NULL;
}

/* Open the parent directory of @rel inside @root, creating missing parents
 * (0700) and recording them; every component O_NOFOLLOW. Returns an fd and
 * the last component in *@leaf, or -1. */
static int open_parent(int root, const char *rel, const char **leaf, struct seed_list *l,
		       int64_t mtime, struct vl_err *e, const char *what)
{
	int fd = dup(root);
	const char *p = rel, *slash;
	char sofar[4096];

	if (fd < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "dup");
	while ((slash = strchr(p, '/'))) {
		char comp[256];
		size_t len = (size_t)(slash - p);
		int nfd;

		if (len >= sizeof(comp)) {
			close(fd);
			return vl_fail(e, EXIT_CONFIG, "%s: a path component is over 255 bytes",
				       what);
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (mkdirat(fd, comp, 0700) == 0) {
			snprintf(sofar, sizeof(sofar), "%.*s", (int)(slash - rel), rel);
			list_add(l, sofar, S_IFDIR | 0755, mtime);
		} else if (errno != EEXIST) {
			close(fd);
			return vl_fail_errno(e, EXIT_ENV, errno, "%s: making its directory", what);
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return vl_fail(e, EXIT_CONFIG,
				       "%s: its path goes through '%.*s', which is not a directory "
				       "of the archive (a symlink?)",
				       what, (int)(slash - rel), rel);
		fd = nfd;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

int tar_extract(const char *tarpath, const char *dir, uint64_t limit, struct seed_list *list,
		struct vl_err *e)
{
	struct tin t = {.path = tarpath};
	unsigned char h[TAR_BLOCK];
	_cleanup_close_ int root = -1;
	char *long_name = NULL, *long_link = NULL, *pax_path = NULL, *pax_link = NULL;
	char name[4096], what[4400], hname[260];
	struct stat st;
	int ret = -1, zeros = 0;
	size_t count = 0;
	int tfd;

	memset(list, 0, sizeof(*list));
	tfd = open(tarpath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (tfd < 0)
		return vl_fail_errno(e, EXIT_CONFIG, errno, "%s", tarpath);
	if (fstat(tfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(tfd);
		return vl_fail(e, EXIT_CONFIG, "%s: not a regular file", tarpath);
	}
	t.gz = gzdopen(tfd, "rb");
	if (!t.gz) {
		close(tfd);
		return vl_fail(e, EXIT_ENV, "%s: cannot read", tarpath);
	}
	root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0) {
		vl_fail_errno(e, EXIT_ENV, errno, "staging dir %s", dir);
		goto out;
	}
	list_add(list, "", S_IFDIR | 0755, (int64_t)st.st_mtime);
	for (;;) {
		uint64_t size, mode, mtime;
		bool ok1, ok2, ok3;
		const char *raw, *why, *leaf = NULL;
		char type;
		int pfd;

		if (tread(&t, h, TAR_BLOCK, e) < 0) {
			/* A tar may end without its two zero blocks. */
			if (count && t.off % TAR_BLOCK == 0 && gzeof(t.gz)) {
				vl_clear(e);
				break;
			}
			goto out;
		}
		if (all_zero(h)) {
			if (++zeros == 2)
				break;
			continue;
		}
		zeros = 0;
		if (!header_ok(h)) {
			vl_fail(e, EXIT_CONFIG,
				"%s: not a tar archive (bad header checksum at byte %" PRIu64 ")",
				tarpath, t.off - TAR_BLOCK);
			goto out;
		}
		if (++count > TAR_MAX_ENTRIES) {
			vl_fail(e, EXIT_CONFIG, "%s: more than %d members", tarpath,
				TAR_MAX_ENTRIES);
			goto out;
		}
		size = octal((char *)h + 124, 12, &ok1);
		mode = octal((char *)h + 100, 8, &ok2);
		mtime = octal((char *)h + 136, 12, &ok3);
		type = (char)h[156];
		if (!ok1 || !ok2) {
			vl_fail(e, EXIT_CONFIG, "%s: corrupt header at byte %" PRIu64, tarpath,
				t.off - TAR_BLOCK);
			goto out;
		}
		if (!ok3)
			mtime = 0;
		/* Metadata members: long names, pax records. */
		if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
			uint64_t hoff = t.off - TAR_BLOCK;
			char *buf;

			if (size > TAR_MAX_META) {
				vl_fail(e, EXIT_CONFIG, "%s: a %c header of %" PRIu64 " bytes",
					tarpath, type, size);
				goto out;
			}
			buf = xcalloc(1, (size_t)size + 1);
			if (tdata(&t, size, buf, -1, e) < 0) {
				free(buf);
				goto out;
			}
			if (type == 'L') {
				free(long_name);
				long_name = buf;
			} else if (type == 'K') {
				free(long_link);
				long_link = buf;
			} else {
				const char *bad = type == 'x' ? pax_parse(buf, (size_t)size,
									  &pax_path, &pax_link)
							      : NULL;

				free(buf);
				if (bad) {
					vl_fail(e, EXIT_CONFIG,
						"%s: %s (pax header at byte %" PRIu64
						"): refusing the archive",
						tarpath, bad, hoff);
					goto out;
				}
			}
			continue;
		}
		if (pax_path) {
			raw = pax_path;
		} else if (long_name) {
			raw = long_name;
		} else {
			if (!memcmp(h + 257, "ustar", 5) && h[345])
				snprintf(hname, sizeof(hname), "%.155s/%.100s", (char *)h + 345,
					 (char *)h + 0);
			else
				snprintf(hname, sizeof(hname), "%.100s", (char *)h);
			raw = hname;
		}
		why = normalise(raw, name, sizeof(name));
		snprintf(what, sizeof(what), "%.200s: member '%.4095s'", tarpath,
			 name[0] ? name : raw);
		if (why) {
			vl_fail(e, EXIT_CONFIG, "%s: member '%.200s' %s: refusing the archive",
				tarpath, raw, why);
			goto out;
		}
		switch (type) {
		case '0':
		case '\0':
		case '7':
		case '5':
		case '2': break;
		case '1':
			vl_fail(e, EXIT_CONFIG,
				"%s is a hard link: not supported in a seed (store a copy)", what);
			goto out;
		case '3':
		case '4':
		case '6':
			vl_fail(e, EXIT_CONFIG,
				"%s is a %s: a seed holds only files, directories and symlinks",
				what,
				type == '6'   ? "FIFO"
				: type == '3' ? "character device"
					      : "block device");
			goto out;
		default: vl_fail(e, EXIT_CONFIG, "%s has unknown type '%c'", what, type); goto out;
		}
		if (!name[0]) {
			/* "./": the root directory's own mode. */
			if (type != '5') {
				vl_fail(e, EXIT_CONFIG, "%s: the archive's root is not a directory",
					tarpath);
				goto out;
			}
			list_add(list, "", S_IFDIR | (mode & 07777), (int64_t)mtime);
			goto next;
		}
		if (type == '0' || type == '\0' || type == '7') {
			if (size > limit || list->bytes + size > limit) {
				vl_fail(e, EXIT_CONFIG,
					"%s: its files hold more than the %" PRIu64
					" bytes the partition has room for",
					tarpath, limit);
				goto out;
			}
			list->bytes += size;
		}
		pfd = open_parent(root, name, &leaf, list, (int64_t)mtime, e, what);
		if (pfd < 0)
			goto out;
		if (type == '5') {
			struct stat ds;

			if (mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST) {
				vl_fail_errno(e, EXIT_ENV, errno, "%s: mkdir", what);
				close(pfd);
				goto out;
			}
			/* An earlier member of that name that is not a directory. */
			if (fstatat(pfd, leaf, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(ds.st_mode)) {
				vl_fail(e, EXIT_CONFIG,
					"%s: a directory over an earlier member that is not one",
					what);
				close(pfd);
				goto out;
			}
			list_add(list, name, S_IFDIR | (mode & 07777), (int64_t)mtime);
		} else if (type == '2') {
			const char *target = pax_link ? pax_link : long_link;
			char tbuf[101];

			if (!target) {
				snprintf(tbuf, sizeof(tbuf), "%.100s", (char *)h + 157);
				target = tbuf;
			}
			unlinkat(pfd, leaf, 0);
			if (symlinkat(target, pfd, leaf) < 0) {
				vl_fail_errno(e, EXIT_CONFIG, errno, "%s: symlink", what);
				close(pfd);
				goto out;
			}
			list_add(list, name, S_IFLNK | 0777, (int64_t)mtime);
		} else {
			int fd =
				openat(pfd, leaf,
				       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

			if (fd < 0) {
				vl_fail_errno(e, EXIT_CONFIG, errno, "%s: creating it", what);
				close(pfd);
				goto out;
			}
			if (tdata(&t, size, NULL, fd, e) < 0) {
				close(fd);
				close(pfd);
				goto out;
			}
			close(fd);
			list_add(list, name, S_IFREG | (mode & 07777), (int64_t)mtime);
			size = 0; /* data consumed */
		}
		close(pfd);
	next:
		if (size && tdata(&t, size, NULL, -1, e) < 0)
			goto out;
		free(long_name);
		free(long_link);
		free(pax_path);
		free(pax_link);
		long_name = long_link = pax_path = pax_link = NULL;
	}
	ret = 0;
out:
	free(long_name);
	free(long_link);
	free(pax_path);
	free(pax_link);
	gzclose(t.gz);
	if (ret < 0)
		seed_list_free(list);
	return ret;
}

static int scan(int dfd, const char *rel, uint64_t limit, struct seed_list *l, struct vl_err *e,
		const char *top)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dfd);
		return vl_fail_errno(e, EXIT_CONFIG, errno, "%s/%s", top, rel);
	}
	while (ret == 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (!name_quotable(de->d_name)) {
			ret = vl_fail(e, EXIT_CONFIG,
				      "%s/%s: a control character, '\"' or '\\' in the name", top,
				      path);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = vl_fail_errno(e, EXIT_CONFIG, errno, "%s/%s", top, path);
			break;
		}
		if (l->n >= TAR_MAX_ENTRIES) {
			ret = vl_fail(e, EXIT_CONFIG, "%s: more than %d entries", top,
				      TAR_MAX_ENTRIES);
			break;
		}
		if (S_ISREG(st.st_mode)) {
			l->bytes += (uint64_t)st.st_size;
			if (l->bytes > limit) {
				ret = vl_fail(e, EXIT_CONFIG,
					      "%s: its files hold more than the %" PRIu64
					      " bytes the partition has room for",
					      top, limit);
				break;
			}
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			list_add(l, path, st.st_mode, (int64_t)st.st_mtime);
			if (sub < 0) {
				ret = vl_fail_errno(e, EXIT_CONFIG, errno, "%s/%s", top, path);
				break;
			}
			ret = scan(sub, path, limit, l, e, top);
			continue;
		} else if (!S_ISLNK(st.st_mode)) {
			ret = vl_fail(e, EXIT_CONFIG,
				      "%s/%s is a device, FIFO or socket: a seed holds only files, "
				      "directories and symlinks",
				      top, path);
			break;
		}
		list_add(l, path, st.st_mode, (int64_t)st.st_mtime);
	}
	closedir(d);
	return ret;
}

int tree_scan(const char *dir, uint64_t limit, struct seed_list *list, struct vl_err *e)
{
	struct stat st;
	int fd;

	memset(list, 0, sizeof(*list));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return vl_fail_errno(e, EXIT_CONFIG, errno, "%s", dir);
	}
	list_add(list, "", st.st_mode, (int64_t)st.st_mtime);
	if (scan(fd, "", limit, list, e, dir) < 0) {
		seed_list_free(list);
		return -1;
	}
	return 0;
}
