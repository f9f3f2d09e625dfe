// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * part.c - reading and writing the partitions of a node's disk without
 * root: no mount, no loop device, no NBD.
 *
 * DOC: Theory of operation
 *
 * A node's disk is a qcow2 overlay over the never-written image. QEMU's
 * block layer can present any byte range of it as a raw device: the raw
 * driver takes `offset` and `size` and sits on the qcow2 driver, which
 * follows the backing chain. So, with the partition's place taken from
 * the MBR (image_inspect()),
 *
 *   read:  qemu-img convert --image-opts \
 *            driver=raw,offset=O,size=S,file.driver=qcow2,file.file.filename=DISK \
 *            -O raw PART.raw
 *   write: qemu-img convert -n -f raw PART.raw --target-image-opts \
 *            driver=raw,offset=O,size=S,file.driver=qcow2,file.file.filename=DISK
 *
 * The write goes into the overlay only (the base is opened read-only as a
 * backing file), and qemu-img turns runs of zeros into qcow2 zero clusters,
 * so a 16 MiB partition with a few files costs the overlay a few hundred
 * KiB. The partition is always written whole: there is no partial state
 * of "some files changed".
 *
 * A filesystem is built by e2fsprogs on a plain file of exactly the
 * partition's size: `mke2fs -t TYPE -L LABEL -d STAGING` (type and label
 * are those the partition has now, read from its superblock: magic 0xEF53
 * at byte 1080; features tell ext2 from ext3 from ext4). mke2fs -d copies
 * the staging tree's owners, which are the user's: `debugfs -w` then sets
 * every inode's uid and gid to 0 and its mode and mtime to those of the
 * tar member or source file (the staging copy is made 0600/0700 so the user
 * can read it whatever the archive says). e2fsck -fn checks the result.
 * Tars are read by lab/lib/tar.c, which refuses absolute paths, "..",
 * links, devices and anything over the partition's size before writing.
 *
 * Files are read out with `debugfs -R "rdump / DIR"` from a private raw
 * copy of the partition, after `e2fsck -fy` on that copy: a filesystem the
 * guest had mounted (a copy from a running node, or a node that was
 * killed) has metadata in its journal that only a replay puts in place.
 *
 * Atomicity is the callers' (cli/cmd_config.c, lib/disk.c): they write
 * into a disk that nothing uses yet (a new overlay, a copy) and rename it
 * over the node's overlay when it is complete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/image.h"
#include "lab/lib/part.h"
#include "lab/lib/spawn.h"
#include "lab/lib/tar.h"
#include "lab/lib/util.h"

#define EXT_MAGIC 0xef53

const char *part_name(unsigned int index)
{
	switch (index) {
	case 1: return "sda1 (boot)";
	case 2: return "sda2 (firmware)";
	case 3: return "sda3 (/etc/config)";
	case 4: return "sda4 (nvlog)";
	default: return "sda?";
	}
}

/* Run a tool to completion; on failure say what it was doing and what it
 * said. @argv[0] is the program's name, looked up in PATH. */
int part_run(char **argv, const char *pkg, const char *what, struct vl_err *e)
{
	_cleanup_free_ char *path = find_program(argv[0]);
	_cleanup_free_ char *out = xmalloc(PART_TOOL_OUT);
	char *name = argv[0];
	int r;

	if (!path)
		return vl_fail(e, EXIT_ENV, "%s not found: install the Debian package %s", name,
			       pkg);
	argv[0] = path;
	r = run_capture(name, argv, out, PART_TOOL_OUT);
	argv[0] = name;
	if (r != 0) {
		size_t l = strlen(out);

		while (l && out[l - 1] == '\n')
			out[--l] = '\0';
		return vl_fail(e, EXIT_ENV, "%s: %s %s", what, name,
			       r < 0	? out
			       : out[0] ? out
					: "failed");
	}
	return 0;
}

/* The same, but capture the output for the caller; returns the exit
 * status (or -1 if it could not run, with @e set). */
int part_tool_out(char **argv, const char *pkg, char *out, size_t outlen, struct vl_err *e)
{
	_cleanup_free_ char *path = find_program(argv[0]);
	char *name = argv[0];
	int r;

	if (!path)
		return vl_fail(e, EXIT_ENV, "%s not found: install the Debian package %s", name,
			       pkg);
	argv[0] = path;
	r = run_capture(name, argv, out, outlen);
	argv[0] = name;
	if (r < 0)
		vl_fail(e, EXIT_ENV, "running %s: %s", name, out);
	return r;
}

/* Work dirs are named .vacmlab-work.PID.XXXXXX: one whose command died
 * (a crash, a SIGKILL) is removed by the next command that makes one. */
static void workdir_sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int pid;

		if (sscanf(de->d_name, ".vacmlab-work.%d.", &pid) != 1 || pid <= 0 ||
		    pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", parent, de->d_name);

		rm_rf(p);
	}
	if (d)
		closedir(d);
}

char *part_workdir(const char *parent, struct vl_err *e)
{
	char *d = xasprintf("%s/.vacmlab-work.%d.XXXXXX", parent, (int)getpid());

	workdir_sweep(parent);
	if (!mkdtemp(d)) {
		vl_fail_errno(e, EXIT_ENV, errno, "making a work directory in %s", parent);
		free(d);
		return NULL;
	}
	return d;
}

int part_locate(const char *disk, unsigned int index, struct part_loc *loc, struct vl_err *e)
{
	struct image_info *info = xmalloc(sizeof(*info));
	const struct image_part *p;
	int ret = -1;

	if (index < 1 || index > 4) {
		free(info);
		return vl_fail(e, EXIT_CONFIG, "no partition %u", index);
	}
	/* A node's disk or a base image: a disk's backing file is the base,
	 * judged as one (image_inspect_disk()). */
	if (image_inspect_disk(disk, info, e) < 0) {
		vl_wrap(e, "%s", disk);
		goto out;
	}
	if (!info->mbr_signature) {
		vl_fail(e, EXIT_ENV, "%s: no MBR partition table", disk);
		goto out;
	}
	p = &info->part[index - 1];
	if (!p->present) {
		vl_fail(e, EXIT_ENV, "%s has no partition %s", disk, part_name(index));
		goto out;
	}
	if ((uint64_t)p->start_lba * 512 + (uint64_t)p->sectors * 512 > info->virtual_size) {
		vl_fail(e, EXIT_ENV, "%s: %s ends beyond the end of the disk", disk,
			part_name(index));
		goto out;
	}
	loc->index = index;
	loc->offset = (uint64_t)p->start_lba * 512;
	loc->size = (uint64_t)p->sectors * 512;
	ret = 0;
out:
	free(info);
	return ret;
}

static char *raw_opts(const char *disk, uint64_t off, uint64_t size)
{
	/* Commas in a path would be read as option separators: QEMU's
	 * escape for them is a doubled comma. */
	size_t n = strlen(disk);
	_cleanup_free_ char *esc = xmalloc(2 * n + 1);
	char *o = esc;

	for (const char *c = disk; *c; c++) {
		*o++ = *c;
		if (*c == ',')
			*o++ = ',';
	}
	*o = '\0';
	return xasprintf("driver=raw,offset=%" PRIu64 ",size=%" PRIu64
			 ",file.driver=qcow2,file.file.driver=file,file.file.filename=%s",
			 off, size, esc);
}

/* Bytes [@off, @off+@size) of the guest disk @disk into the new raw
 * file @out. @share: do not take QEMU's image lock (a disk in use). */
int part_read_range(const char *disk, uint64_t off, uint64_t size, const char *out, bool share,
		    struct vl_err *e)
{
	_cleanup_free_ char *opts = raw_opts(disk, off, size);
	char *argv[] = {(char *)"qemu-img",
			(char *)"convert",
			(char *)"--image-opts",
			(char *)"-O",
			(char *)"raw",
			opts,
			(char *)out,
			NULL,
			NULL};

	if (share) {
		/* -U before the positional arguments */
		memmove(argv + 3, argv + 2, 5 * sizeof(char *));
		argv[2] = (char *)"-U";
	}

	return part_run(argv, "qemu-utils", "reading the disk", e);
}

static int write_range(const char *disk, const struct part_loc *loc, const char *raw,
		       struct vl_err *e)
{
	_cleanup_free_ char *opts = raw_opts(disk, loc->offset, loc->size);
	char *argv[] = {(char *)"qemu-img",
			(char *)"convert",
			(char *)"-n",
			(char *)"-f",
			(char *)"raw",
			(char *)raw,
			(char *)"--target-image-opts",
			opts,
			NULL};
	struct stat st;

	if (stat(raw, &st) < 0 || (uint64_t)st.st_size != loc->size)
		return vl_fail(e, EXIT_ENV, "internal: %s is not %" PRIu64 " bytes", raw,
			       loc->size);
	if (part_run(argv, "qemu-utils", "writing the partition into the disk", e) < 0)
		return vl_wrap(e, "%s of %s", part_name(loc->index), disk);
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int part_sb_parse(const uint8_t *sb, const char *where, struct part_fs *fs, struct vl_err *e)
{
	uint32_t compat = le32(sb + 92), incompat = le32(sb + 96);

	memset(fs, 0, sizeof(*fs));
	if (le16(sb + 56) != EXT_MAGIC) {
		bool zero = true;

		for (int i = 0; i < 1024 && zero; i++)
			zero = sb[i] == 0;
		return vl_fail(e, EXIT_ENV,
			       "%s does not hold an ext2/3/4 filesystem (%s): vacmlab writes and "
			       "reads only those",
			       where,
			       zero ? "it is empty" : "no ext superblock magic at byte 1080");
	}
	/* 0x40 extents, 0x80 64bit, 0x200 flex_bg: ext4; 0x4 journal: ext3. */
	if (incompat & (0x40 | 0x80 | 0x200))
		snprintf(fs->type, sizeof(fs->type), "ext4");
	else if (compat & 0x4)
		snprintf(fs->type, sizeof(fs->type), "ext3");
	else
		snprintf(fs->type, sizeof(fs->type), "ext2");
	memcpy(fs->label, sb + 120, 16);
	fs->label[16] = '\0';
	for (char *c = fs->label; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
			*c = '_';
	return 0;
}

int part_probe(const char *disk, const struct part_loc *loc, const char *workdir,
	       struct part_fs *fs, struct vl_err *e)
{
	_cleanup_free_ char *tmp = xasprintf("%s/sb.raw", workdir);
	_cleanup_free_ char *where = xasprintf("%s of %s", part_name(loc->index), disk);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (loc->size < 4096)
		return vl_fail(e, EXIT_ENV, "%s is only %" PRIu64 " bytes: no filesystem", where,
			       loc->size);
	unlink(tmp);
	if (part_read_range(disk, loc->offset, 4096, tmp, true, e) < 0)
		return -1;
	buf = read_file(tmp, &len);
	unlink(tmp);
	if (!buf || len < 2048)
		return vl_fail(e, EXIT_ENV, "%s: short read", where);
	r = part_sb_parse((uint8_t *)buf + 1024, where, fs, e);
	return r;
}

/* debugfs -w -f CMDS RAW; its errors come as lines that are not its own
 * "debugfs ..." banner and command echo. */
static int debugfs_script(const char *raw, const char *script, const char *workdir,
			  struct vl_err *e)
{
	_cleanup_free_ char *cmds = xasprintf("%s/debugfs.cmds", workdir);
	_cleanup_free_ char *out = xmalloc(1 << 16);
	char *argv[] = {(char *)"debugfs", (char *)"-w", (char *)"-f", cmds, (char *)raw, NULL};
	int r;

	if (write_file(cmds, script) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "writing %s", cmds);
	r = part_tool_out(argv, "e2fsprogs", out, 1 << 16, e);
	if (r < 0)
		return -1;
	for (char *l = out; l && *l;) {
		char *nl = strchr(l, '\n');

		if (nl)
			*nl = '\0';
		if (*l && strncmp(l, "debugfs", 7))
			return vl_fail(e, EXIT_ENV, "setting owners and modes with debugfs: %s", l);
		l = nl ? nl + 1 : NULL;
	}
	return r == 0 ? 0 : vl_fail(e, EXIT_ENV, "debugfs exited with status %d", r);
}

/* Build the filesystem image @raw (exactly @loc->size bytes) from @src. */
static int build_fs(const char *src, const struct part_loc *loc, const struct part_fs *fs,
		    const char *raw, const char *workdir, struct vl_err *e)
{
	_cleanup_free_ char *stage = xasprintf("%s/stage", workdir);
	_cleanup_free_ char *sizek = xasprintf("%" PRIu64 "k", loc->size / 1024);
	struct seed_list list = {0};
	struct stat st;
	const char *tree = src;
	/* Room for the files: the partition less what the filesystem
	 * itself takes (inode tables, journal): mke2fs has the last word. */
	uint64_t limit = loc->size;
	size_t cap = 4096, off = 0;
	char *script;
	int fd, r;

	if (stat(src, &st) < 0)
		return vl_fail_errno(e, EXIT_CONFIG, errno, "%s", src);
	if (S_ISDIR(st.st_mode)) {
		if (tree_scan(src, limit, &list, e) < 0)
			return -1;
	} else if (S_ISREG(st.st_mode)) {
		if (mkdir(stage, 0700) < 0)
			return vl_fail_errno(e, EXIT_ENV, errno, "mkdir %s", stage);
		if (tar_extract(src, stage, limit, &list, e) < 0)
			return -1;
		tree = stage;
	} else {
		return vl_fail(e, EXIT_CONFIG, "%s: neither a directory nor a tar file", src);
	}
	fd = open(raw, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)loc->size) < 0) {
		r = vl_fail_errno(e, EXIT_ENV, errno, "creating %s", raw);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	{
		char *argv[] = {(char *)"mke2fs",
				(char *)"-q",
				(char *)"-F",
				(char *)"-t",
				(char *)fs->type,
				(char *)"-L",
				(char *)fs->label,
				(char *)"-m",
				(char *)"0",
				(char *)"-E",
				(char *)"root_owner=0:0",
				(char *)"-d",
				(char *)tree,
				(char *)raw,
				sizek,
				NULL};
		_cleanup_free_ char *out = xmalloc(PART_TOOL_OUT);

		r = part_tool_out(argv, "e2fsprogs", out, PART_TOOL_OUT, e);
		if (r < 0)
			goto out;
		if (r != 0) {
			bool full = strstr(out, "Could not allocate") || strstr(out, "No space") ||
				    strstr(out, "ould not allocate");

			while (*out && out[strlen(out) - 1] == '\n')
				out[strlen(out) - 1] = '\0';
			r = full ? vl_fail(e, EXIT_CONFIG,
					   "%s: does not fit in %s (%" PRIu64
					   " bytes with the filesystem's own overhead)",
					   src, part_name(loc->index), loc->size)
				 : vl_fail(e, EXIT_ENV, "mke2fs on %s: %s", src, out);
			goto out;
		}
	}
	/* Owners root, modes and mtimes from the source. */
	script = xmalloc(cap);
	script[0] = '\0';
	for (size_t i = 0; i < list.n; i++) {
		const struct seed_ent *s = &list.v[i];
		char line[4096 * 3 + 256];
		int n;

		if (S_ISLNK(s->mode))
			n = snprintf(line, sizeof(line),
				     "sif \"/%s\" uid 0\nsif \"/%s\" gid 0\nsif \"/%s\" mtime "
				     "@%" PRId64 "\n",
				     s->path, s->path, s->path, s->mtime);
		else
			n = snprintf(line, sizeof(line),
				     "sif \"/%s\" uid 0\nsif \"/%s\" gid 0\nsif \"/%s\" mode 0%o\n"
				     "sif \"/%s\" mtime @%" PRId64 "\n",
				     s->path, s->path, s->path, (unsigned int)s->mode, s->path,
				     s->mtime);
		if (n < 0 || (size_t)n >= sizeof(line))
			continue;
		while (off + (size_t)n + 1 > cap)
			script = xrealloc(script, cap *= 2);
		memcpy(script + off, line, (size_t)n + 1);
		off += (size_t)n;
	}
	r = debugfs_script(raw, script, workdir, e);
	free(script);
	if (r < 0)
		goto out;
	{
		char *argv[] = {(char *)"e2fsck", (char *)"-fn", (char *)raw, NULL};

		r = part_run(argv, "e2fsprogs", "checking the new filesystem", e);
	}
out:
	seed_list_free(&list);
	rm_rf(stage);
	if (r < 0)
		unlink(raw);
	return r < 0 ? -1 : 0;
}

int part_seed(const char *disk, unsigned int index, const char *src, const char *workdir,
	      struct vl_err *e)
{
	_cleanup_free_ char *raw = xasprintf("%s/seed%u.raw", workdir, index);
	struct part_loc loc;
	struct part_fs fs;

	if (part_locate(disk, index, &loc, e) < 0 || part_probe(disk, &loc, workdir, &fs, e) < 0)
		return -1;
	unlink(raw);
	if (build_fs(src, &loc, &fs, raw, workdir, e) < 0)
		return -1;
	if (write_range(disk, &loc, raw, e) < 0) {
		unlink(raw);
		return -1;
	}
	unlink(raw);
	return 0;
}

/* Read partition @loc of @disk into the raw file @raw and replay its
 * journal there (the private copy only). */
int part_read_fsck(const char *disk, const struct part_loc *loc, const char *raw, struct vl_err *e)
{
	char *argv[] = {(char *)"e2fsck", (char *)"-fy", (char *)raw, NULL};
	_cleanup_free_ char *out = xmalloc(PART_TOOL_OUT);
	int r;

	unlink(raw);
	if (part_read_range(disk, loc->offset, loc->size, raw, false, e) < 0)
		return -1;
	r = part_tool_out(argv, "e2fsprogs", out, PART_TOOL_OUT, e);
	if (r < 0)
		return -1;
	/* 0 clean, 1 errors corrected, 2 corrected + reboot advised. */
	if (r > 2)
		return vl_fail(e, EXIT_ENV,
			       "%s of %s: the filesystem is damaged beyond repair "
			       "(e2fsck exit %d):\n%s",
			       part_name(loc->index), disk, r, out);
	return 0;
}

int part_copy(const char *from, const char *to, unsigned int index, const char *workdir,
	      struct vl_err *e)
{
	_cleanup_free_ char *raw = xasprintf("%s/copy%u.raw", workdir, index);
	struct part_loc lf, lt;
	struct part_fs fs;
	bool is_ext;

	if (part_locate(from, index, &lf, e) < 0 || part_locate(to, index, &lt, e) < 0)
		return -1;
	if (lt.size < lf.size)
		return vl_fail(e, EXIT_CONFIG,
			       "%s is %" PRIu64 " bytes in the new image, %" PRIu64
			       " in the old: its content cannot be carried over",
			       part_name(index), lt.size, lf.size);
	is_ext = part_probe(from, &lf, workdir, &fs, NULL) == 0;
	unlink(raw);
	if (is_ext) {
		if (part_read_fsck(from, &lf, raw, e) < 0)
			return -1;
	} else if (part_read_range(from, lf.offset, lf.size, raw, false, e) < 0) {
		return -1;
	}
	if (lt.size > lf.size) {
		if (truncate(raw, (off_t)lt.size) < 0) {
			unlink(raw);
			return vl_fail_errno(e, EXIT_ENV, errno, "growing %s", raw);
		}
		if (is_ext) {
			char *argv[] = {(char *)"resize2fs", (char *)"-f", raw, NULL};

			if (part_run(argv, "e2fsprogs",
				     "growing the filesystem to the new partition", e) < 0) {
				unlink(raw);
				return -1;
			}
		}
	}
	if (write_range(to, &lt, raw, e) < 0) {
		unlink(raw);
		return -1;
	}
	unlink(raw);
	return 0;
}

int part_copy_file(const char *src, const char *dst, struct vl_err *e)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	_cleanup_close_ int out = -1;
	struct stat st;
	off_t pos = 0;

	if (in < 0 || fstat(in, &st) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "%s", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "creating %s", dst);
	while (pos < st.st_size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = pos; /* no SEEK_DATA: copy everything */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		while (data < hole) {
			size_t want = hole - data > (1 << 20) ? (1 << 20) : (size_t)(hole - data);
			ssize_t n = pread(in, buf, want, data);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || pwrite(out, buf, (size_t)n, data) != n) {
				unlink(dst);
				return vl_fail_errno(e, EXIT_ENV, n < 0 ? errno : EIO,
						     "copying %s to %s", src, dst);
			}
			data += n;
		}
		pos = hole;
	}
	if (ftruncate(out, st.st_size) < 0 || fsync(out) < 0) {
		unlink(dst);
		return vl_fail_errno(e, EXIT_ENV, errno, "writing %s", dst);
	}
	return 0;
}
