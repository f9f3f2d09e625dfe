// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tar.c - the strict tar reader of lab/lib/tar.c on archives made
 * here header by header: what it accepts (ustar prefix, GNU long names,
 * pax path, gzip, a root "./" entry, modes) and what it must refuse,
 * naming the member, without writing anything outside the staging dir.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lab/lib/tar.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

struct buf {
	unsigned char *p;
	size_t n;
};

static void hdr(struct buf *b, const char *name, char type, unsigned int mode, size_t size,
		const char *link, const char *prefix)
{
	unsigned char h[512] = {0};
	unsigned int sum = 0;

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", mode);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size & 077777777777ULL);
	snprintf((char *)h + 136, 12, "%011o", 1000000u);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (prefix)
		snprintf((char *)h + 345, 155, "%s", prefix);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	b->p = xrealloc(b->p, b->n + 512);
	memcpy(b->p + b->n, h, 512);
	b->n += 512;
}

static void data(struct buf *b, const void *d, size_t n)
{
	size_t pad = (n + 511) / 512 * 512;

	b->p = xrealloc(b->p, b->n + pad);
	memset(b->p + b->n, 0, pad);
	memcpy(b->p + b->n, d, n);
	b->n += pad;
}

static void file(struct buf *b, const char *name, const char *content)
{
	hdr(b, name, '0', 0644, strlen(content), NULL, NULL);
	data(b, content, strlen(content));
}

static void end(struct buf *b)
{
	static const unsigned char z[1024];

	data(b, z, sizeof(z));
}

static char tmp[64];

/* Write @b to a file (gzip'd if @gz), extract into a fresh dir. */
static int extract(struct buf *b, bool gz, uint64_t limit, struct seed_list *l, struct vl_err *e,
		   char *stage)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/a.tar%s", tmp, gz ? ".gz" : "");
	unlink(path);
	if (gz) {
		gzFile g = gzopen(path, "wb");

		gzwrite(g, b->p, (unsigned int)b->n);
		gzclose(g);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		write_all(fd, b->p, b->n);
		close(fd);
	}
	snprintf(stage, 128, "%s/stage", tmp);
	rm_rf(stage);
	mkdir(stage, 0700);
	vl_clear(e);
	free(b->p);
	b->p = NULL;
	b->n = 0;
	return tar_extract(path, stage, limit, l, e);
}

static const struct seed_ent *find(const struct seed_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return &l->v[i];
	return NULL;
}

static void refused(struct buf *b, const char *what, const char *want)
{
	struct seed_list l;
	struct vl_err e = {0};
	char stage[128];
	int r = extract(b, false, 1 << 20, &l, &e, stage);

	ok(r < 0 && e.code == EXIT_CONFIG, "%s: refused with a config error", what);
	if (!ok(strstr(e.msg, want) != NULL, "%s: message names it", what))
		printf("#   got: %s\n#   want: %s\n", e.msg, want);
}

int main(void)
{
	struct buf b = {0};
	struct seed_list l;
	struct vl_err e = {0};
	char stage[128], big[3000], *txt;
	const struct seed_ent *s;
	size_t len;
	int r;

	snprintf(tmp, sizeof(tmp), "/tmp/test_tar.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;

	/* accepted: root entry, dirs, files, modes, ustar prefix, symlink */
	hdr(&b, "./", '5', 0750, 0, NULL, NULL);
	file(&b, "./hostname", "vacm1\n");
	hdr(&b, "etc/", '5', 0700, 0, NULL, NULL);
	hdr(&b, "secret", '0', 0600, 3, NULL, "etc/deep");
	data(&b, "abc", 3);
	hdr(&b, "link", '2', 0777, 0, "hostname", NULL);
	end(&b);
	r = extract(&b, true, 1 << 20, &l, &e, stage);
	ok(r == 0, "a gzip'd ustar archive is accepted (%s)", e.msg);
	s = find(&l, "");
	ok(s && s->mode == (S_IFDIR | 0750), "the root entry's mode is kept");
	s = find(&l, "etc/deep/secret");
	ok(s && s->mode == (S_IFREG | 0600) && s->mtime == 1000000,
	   "ustar prefix joined; mode and mtime kept");
	s = find(&l, "etc/deep");
	ok(s && S_ISDIR(s->mode), "an implied parent directory is listed");
	ok(find(&l, "link") && S_ISLNK(find(&l, "link")->mode), "a symlink is listed");
	snprintf(big, sizeof(big), "%s/hostname", stage);
	txt = read_file(big, &len);
	is_str(txt, "vacm1\n", "file content extracted");
	free(txt);
	ok(l.bytes == 9, "byte count of regular files (%llu)", (unsigned long long)l.bytes);
	seed_list_free(&l);

	/* GNU long name and pax path */
	memset(big, 'x', 200);
	big[200] = '\0';
	hdr(&b, "././@LongLink", 'L', 0, 201, NULL, NULL);
	data(&b, big, 201);
	file(&b, "truncated-name", "long\n");
	hdr(&b, "PaxHeaders/x", 'x', 0, 22, NULL, NULL);
	data(&b, "22 path=pax/named.txt\n", 22);
	file(&b, "short", "pax\n");
	end(&b);
	r = extract(&b, false, 1 << 20, &l, &e, stage);
	ok(r == 0 && find(&l, big) && find(&l, "pax/named.txt") && !find(&l, "short"),
	   "GNU long names and pax paths are used (%s)", e.msg);
	seed_list_free(&l);

	/* refused */
	file(&b, "ok", "x");
	file(&b, "/etc/passwd", "evil");
	end(&b);
	refused(&b, "absolute path", "member '/etc/passwd' is an absolute path");
	file(&b, "a/../../evil", "evil");
	end(&b);
	refused(&b, "..", "'a/../../evil' has a '..' component");
	hdr(&b, "l", '2', 0777, 0, "/tmp", NULL);
	file(&b, "l/x", "evil");
	end(&b);
	refused(&b, "path through a symlink", "goes through 'l'");
	hdr(&b, "h", '1', 0644, 0, "ok", NULL);
	end(&b);
	refused(&b, "hard link", "'h' is a hard link");
	hdr(&b, "null", '3', 0644, 0, NULL, NULL);
	end(&b);
	refused(&b, "character device", "'null' is a character device");
	hdr(&b, "fifo", '6', 0644, 0, NULL, NULL);
	end(&b);
	refused(&b, "FIFO", "'fifo' is a FIFO");
	file(&b, "quote\"name", "x");
	end(&b);
	refused(&b, "a quote in a name", "control character");
	hdr(&b, "big", '0', 0644, (1 << 20) + 1, NULL, NULL);
	end(&b);
	refused(&b, "over the limit", "more than the 1048576 bytes");
	file(&b, "ok", "x");
	b.p[148] ^= 1;
	end(&b);
	refused(&b, "bad checksum", "bad header checksum");
	hdr(&b, "cut", '0', 0644, 4096, NULL, NULL);
	data(&b, "abc", 3);
	refused(&b, "truncated archive", "truncated tar");
	/* pax records whose lengths do not add up (issue 22: "01 " made a
	 * memchr of (size_t)-2 bytes, out of the buffer). */
	{
		static const struct {
			const char *rec, *what, *want;
		} bad[] = {
			{"01 ", "a pax length shorter than its own header", "out of range"},
			{"3 x\n", "a pax length without room for key=value", "out of range"},
			{"99 path=x\n", "a pax length beyond the header", "out of range"},
			{"10 path=x", "a pax record without its newline", "out of range"},
			{"9 path=x ", "a pax record ending without a newline", "newline"},
			{" 9 path=x\n", "a pax length after a space", "start with its length"},
			{"-9 path=x\n", "a negative pax length", "start with its length"},
			{"9999999999 path=x\n", "a pax length of ten digits", "start with"},
			{"8 pathx\n", "a pax record without '='", "no key=value"},
			{"12 path=a\0b\n", "a NUL inside a pax path", "NUL byte"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t n = strlen(bad[i].rec);

			if (strstr(bad[i].what, "NUL"))
				n = 12;
			hdr(&b, "PaxHeaders/x", 'x', 0, n, NULL, NULL);
			data(&b, bad[i].rec, n);
			file(&b, "short", "pax\n");
			end(&b);
			refused(&b, bad[i].what, bad[i].want);
		}
		/* Two records back to back, linkpath too: still read. */
		hdr(&b, "PaxHeaders/l", 'x', 0, 34, NULL, NULL);
		data(&b, "12 path=lnk\n22 linkpath=target/of\n", 34);
		hdr(&b, "short", '2', 0777, 0, "x", NULL);
		end(&b);
		r = extract(&b, false, 1 << 20, &l, &e, stage);
		ok(r == 0 && find(&l, "lnk") && S_ISLNK(find(&l, "lnk")->mode),
		   "pax path and linkpath records in one header are read (%s)", e.msg);
		seed_list_free(&l);
		{
			char lp[160], tgt[64] = "";

			snprintf(lp, sizeof(lp), "%s/lnk", stage);
			if (readlink(lp, tgt, sizeof(tgt) - 1) < 0)
				tgt[0] = '\0';
			is_str(tgt, "target/of", "the pax linkpath is the symlink's target");
		}
	}
	{
		char esc[128];
		struct stat st;

		snprintf(esc, sizeof(esc), "%s/evil", tmp);
		ok(stat(esc, &st) < 0, "nothing was written outside the staging dir");
	}

	rm_rf(tmp);
	return done_testing();
}
