// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * warm.c - the warm-start cache (see warm.h).
 *
 * DOC: Theory of operation
 * A warm snapshot is an internal qcow2 snapshot (disk + RAM + devices,
 * tag WARM_SNAPSHOT) in each node's overlay. Internal snapshots cannot be
 * shared through a backing chain (QEMU loads them from the top image
 * only), so the cache keeps one finished overlay per node and every warm
 * lab gets its own copy of it (a sparse copy: the disk delta plus the
 * vmstate, a few tens of MiB for the stand-in). The entry lives in
 * STATEBASE/.warm/HASH: NODE.qcow2 per node, leases (the lab's dnsmasq
 * leases at the time of the save) and key (the lines the hash was made
 * of). An entry is made in a private temporary dir under a flock on
 * HASH.lock and renamed into place: it is complete or absent, and of two
 * first runs racing, one saves and the other just boots cold.
 *
 * The key covers what the restored RAM depends on: the topology file's
 * text, every node's image by identity (image_identity(): size, mtime,
 * inode, sha256 of the first MiB), the QEMU binary (size and mtime: a
 * new QEMU may not load an old vmstate) and every node's QEMU command line
 * as qemu_argv() builds it, with the per-lab parts (lab name, paths, fds)
 * replaced by fixed words. MACs derive from the topology's lab name, not
 * from the name a lab is brought up under, so labs of one topology with
 * different names agree on them.
 *
 * STATEBASE/.warm/topo-PATHHASH.key keeps the key last saved for a
 * topology file, so a cold boot can say what changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "lab/lib/disk.h"
#include "lab/lib/image.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"
#include "lab/lib/warm.h"

static void sha_hex(const void *buf, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, buf);
	sha256_digest(&ctx, sizeof(d), d);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static void add_line(char **lines, const char *what, const void *buf, size_t len)
{
	char h[65];
	char *n;

	sha_hex(buf, len, h);
	n = xasprintf("%s%s %s\n", *lines ? *lines : "", what, h);
	free(*lines);
	*lines = n;
}

static char *topo_abs(const struct topo *t)
{
	const char *b = strrchr(t->path, '/');

	return xasprintf("%s/%s", t->dir, b ? b + 1 : t->path);
}

int warm_key_make(const struct topo *t, const char *qemu, bool kvm, struct warm_key *k,
		  struct vl_err *err)
{
	_cleanup_free_ char *abs = topo_abs(t);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct stat st;

	memset(k, 0, sizeof(*k));
	text = read_file(abs, &len);
	if (!text) {
		vl_fail(err, EXIT_ENV, "reading %s: %s", abs, strerror(errno));
		return -1;
	}
	add_line(&k->lines, "topology", text, len);
	if (stat(qemu, &st) < 0) {
		vl_fail(err, EXIT_ENV, "%s: %s", qemu, strerror(errno));
		return -1;
	}
	{
		_cleanup_free_ char *q = xasprintf("%s %lld %lld", qemu, (long long)st.st_size,
						   (long long)st.st_mtim.tv_sec);

		add_line(&k->lines, "qemu", q, strlen(q));
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		struct image_id id;
		char what[128];
		int r = image_identity(n->image, &id);

		if (r) {
			vl_fail(err, EXIT_ENV, "node %s: reading image %s: %s", n->name, n->image,
				strerror(-r));
			return -1;
		}
		{
			_cleanup_free_ char *s = xasprintf(
				"%s %llu %lld %llu %llu %s", n->image, (unsigned long long)id.size,
				(long long)id.mtime_ns, (unsigned long long)id.ino,
				(unsigned long long)id.dev, id.sha256);

			snprintf(what, sizeof(what), "image %s", n->name);
			add_line(&k->lines, what, s, strlen(s));
		}
		struct qemu_launch ql = {
			.lab = "LAB",
			.node = n,
			.disk = "DISK",
			.qmp_path = "QMP",
			.port_dir = "PORTS",
			.log_dir = "LOGS",
			.kvm = kvm,
			.symbolic_fds = true, /* as `check --qemu` prints it */
		};
		char **argv = qemu_argv(qemu, &ql);
		_cleanup_free_ char *line = strv_join(argv);

		strv_free(argv);
		snprintf(what, sizeof(what), "argv %s", n->name);
		add_line(&k->lines, what, line, strlen(line));
	}
	sha_hex(k->lines, strlen(k->lines), k->hash);
	return 0;
}

void warm_key_free(struct warm_key *k)
{
	free(k->lines);
	k->lines = NULL;
}

static char *topo_record(const struct topo *t)
{
	_cleanup_free_ char *abs = topo_abs(t);
	char h[65];

	sha_hex(abs, strlen(abs), h);
	return path_warm_topo_record(h);
}

bool warm_have(const struct warm_key *k)
{
	_cleanup_free_ char *e = path_warm_entry(k->hash);
	_cleanup_free_ char *key = path_in(e, LF_WARM_KEY);

	return access(key, R_OK) == 0;
}

/* The value of line "WHAT HEX" in @lines, or NULL. */
static const char *line_val(const char *lines, const char *what, size_t *len)
{
	size_t wl = strlen(what);

	for (const char *p = lines; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, what, wl) && p[wl] == ' ') {
			*len = (size_t)((nl ? nl : p + strlen(p)) - (p + wl + 1));
			return p + wl + 1;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

char *warm_why_cold(const struct warm_key *k, const struct topo *t)
{
	_cleanup_free_ char *rec = topo_record(t);
	_cleanup_free_ char *old = read_file(rec, NULL);

	if (!old)
		return xstrdup("no warm snapshot of this topology yet");
	for (const char *p = k->lines; *p;) {
		const char *nl = strchr(p, '\n');
		const char *sp = memchr(p, ' ', (size_t)(nl - p));
		_cleanup_free_ char *what = strndup(p, (size_t)(sp - p));
		size_t ol = 0;
		const char *ov = line_val(old, what, &ol);

		if (!ov || ol != (size_t)(nl - sp - 1) || memcmp(ov, sp + 1, ol)) {
			if (!strcmp(what, "topology"))
				return xstrdup("the topology file changed since the warm snapshot "
					       "was saved");
			if (!strcmp(what, "qemu"))
				return xstrdup("the QEMU binary changed since the warm snapshot "
					       "was saved");
			if (!strncmp(what, "image ", 6))
				return xasprintf("the image of node %s changed since the warm "
						 "snapshot was saved",
						 what + 6);
			if (!strncmp(what, "argv ", 5))
				return xasprintf("the QEMU command line of node %s changed since "
						 "the warm snapshot was saved",
						 what + 5);
			return xasprintf("%s changed since the warm snapshot was saved", what);
		}
		p = nl + 1;
	}
	return xstrdup("the warm snapshot was removed (vacmlab rm/reset)");
}

int warm_copy(const char *src, const char *dst)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp%d", dst, (int)getpid());
	int in = open(src, O_RDONLY | O_CLOEXEC), out, e = 0;
	struct stat st;
	off_t off = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		e = -errno;
		close(in);
		return e;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		e = -errno;
		close(in);
		return e;
	}
	/* Keep holes holes: qcow2 files are mostly unallocated. */
	while (off < st.st_size) {
		off_t data = lseek(in, off, SEEK_DATA), hole;

		if (data < 0)
			break; /* only a hole remains */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		for (off_t pos = data; pos < hole;) {
			loff_t ip = pos, op = pos;
			ssize_t n = copy_file_range(in, &ip, out, &op, (size_t)(hole - pos), 0);

			if (n <= 0) {
				e = n < 0 ? -errno : -EIO;
				goto out;
			}
			pos += n;
		}
		off = hole;
	}
	if (ftruncate(out, st.st_size) < 0 || fsync(out) < 0)
		e = -errno;
out:
	close(in);
	if (close(out) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, dst) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

int warm_install(const struct warm_key *k, const struct topo *t, const char *statedir,
		 struct vl_err *err)
{
	_cleanup_free_ char *e = path_warm_entry(k->hash);
	_cleanup_free_ char *ls = path_in(e, LF_WARM_ENTRY_LEASES);
	_cleanup_free_ char *ld = path_in(statedir, LF_WARM_LEASES);
	_cleanup_free_ char *wp = path_in(statedir, LF_WARM);
	_cleanup_free_ char *wt = xasprintf("%s\n", k->hash);
	int r;

	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		_cleanup_free_ char *src = path_disk(e, n->name, "qcow2");
		_cleanup_free_ char *dst = disk_overlay_path(statedir, n->name);
		_cleanup_free_ char *idp = disk_base_id_path(statedir, n->name);
		struct image_id id;

		r = warm_copy(src, dst);
		if (!r)
			r = image_identity(n->image, &id);
		if (!r)
			r = image_id_save(idp, &id);
		if (r) {
			vl_fail(err, EXIT_ENV, "node %s: copying its warm disk %s to %s: %s",
				n->name, src, dst, strerror(-r));
			return -1;
		}
	}
	r = warm_copy(ls, ld);
	if (r && r != -ENOENT) {
		vl_fail(err, EXIT_ENV, "copying %s: %s", ls, strerror(-r));
		return -1;
	}
	write_file(wp, wt);
	return 0;
}

int warm_store_begin(const struct warm_key *k, char **tmp, int *lock_fd, struct vl_err *err)
{
	_cleanup_free_ char *d = path_warm_cache();
	_cleanup_free_ char *lp = path_warm_lock(k->hash);
	int fd;

	*tmp = NULL;
	*lock_fd = -1;
	if (rundir_make(d, err) < 0)
		return -1;
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		vl_fail(err, EXIT_ENV, "%s: %s", lp, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1; /* another lab saves it now */
	}
	if (warm_have(k)) {
		close(fd);
		return -1; /* saved while we booted */
	}
	*tmp = path_warm_tmp(k->hash);
	rm_rf(*tmp);
	if (mkdir(*tmp, 0700) < 0) {
		vl_fail(err, EXIT_ENV, "%s: %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		close(fd);
		return -1;
	}
	*lock_fd = fd;
	return 0;
}

void warm_store_abort(char *tmp, int lock_fd)
{
	if (tmp)
		rm_rf(tmp);
	free(tmp);
	if (lock_fd >= 0)
		close(lock_fd);
}

int warm_store_commit(const struct warm_key *k, const struct topo *t, char *tmp, int lock_fd,
		      struct vl_err *err)
{
	_cleanup_free_ char *e = path_warm_entry(k->hash);
	_cleanup_free_ char *key = path_in(tmp, LF_WARM_KEY);
	_cleanup_free_ char *rec = topo_record(t);
	int r = write_file(key, k->lines);

	if (r) {
		vl_fail(err, EXIT_ENV, "writing %s: %s", key, strerror(-r));
		warm_store_abort(tmp, lock_fd);
		return -1;
	}
	if (rename(tmp, e) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		vl_fail(err, EXIT_ENV, "renaming %s to %s: %s", tmp, e, strerror(errno));
		warm_store_abort(tmp, lock_fd);
		return -1;
	}
	write_file(rec, k->lines);
	warm_store_abort(tmp, lock_fd); /* gone if renamed; else the loser's copy */
	return 0;
}

void warm_forget(const char *statedir)
{
	_cleanup_free_ char *wp = path_in(statedir, LF_WARM);
	_cleanup_free_ char *h = read_file(wp, NULL);

	if (h) {
		h[strcspn(h, "\n")] = '\0';
		if (strlen(h) == 64 && !strchr(h, '/')) {
			_cleanup_free_ char *e = path_warm_entry(h);

			rm_rf(e);
		}
	}
	unlink(wp);
	{
		_cleanup_free_ char *l = path_in(statedir, LF_WARM_LEASES);

		unlink(l);
	}
}
