// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_image.c - image_inspect(), image_check() and the base identity on
 * real images made at run time by tests/images/make-fixtures.sh (qemu-img,
 * sfdisk), each bad or crafted image (absurd cluster_bits, huge L1, tables
 * beyond the end, backing loops and deep chains, a FIFO, /dev/zero) with
 * its exact message; the memory entry point; then a bounded fuzz run
 * that corrupts the stand-in-like image at random and must never crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

/* The error of the last call: E() clears it for the next. */
static struct vl_err e_;
#define E_MSG e_.msg
static struct vl_err *E(void)
{
	vl_clear(&e_);
	return &e_;
}

static char dir[64];
static char path[512];

static const char *fx(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Inspect @name, expect rc -1 and exactly @want as the error. */
static void expect_error(const char *name, const char *want)
{
	struct image_info info;
	int r = image_inspect(fx(name), &info, E());

	is_int(r, -1, "%s: image_inspect fails", name);
	is_str(E_MSG, want, "%s: error message", name);
}

/* Inspect @name, expect rc 0, not VACM-shaped, with @want among problems. */
static void expect_problem(const char *name, const char *want)
{
	struct image_info info;
	int r = image_inspect(fx(name), &info, E());
	bool found = false;

	is_int(r, 0, "%s: image_inspect reads it (%s)", name, r ? E_MSG : "ok");
	ok(!info.vacm_shaped, "%s: not VACM-shaped", name);
	for (unsigned int i = 0; i < info.nproblems; i++)
		found |= !strcmp(info.problems[i], want);
	if (!ok(found, "%s: problem '%s'", name, want))
		for (unsigned int i = 0; i < info.nproblems; i++)
			printf("#   have: '%s'\n", info.problems[i]);
}

static void check_standin_partitions(const char *name, const struct image_info *in)
{
	static const uint8_t types[4] = {0x0c, 0xda, 0x83, 0x83};
	static const uint32_t starts[4] = {2048, 18432, 51200, 67584};
	static const uint32_t sizes[4] = {16384, 32768, 16384, 40000};
	bool all = true;

	for (int i = 0; i < 4; i++)
		all &= in->part[i].present && in->part[i].type == types[i] &&
		       in->part[i].start_lba == starts[i] && in->part[i].sectors == sizes[i] &&
		       in->part[i].boot == (i == 0);
	ok(all, "%s: the four partitions (start, size, type, boot flag) as made", name);
	is_str(in->part[2].role, "/etc/config", "%s: sda3's role is /etc/config", name);
	is_int(in->disk_signature, 0x5ac0ffee, "%s: disk signature", name);
	ok(in->boot_code && in->boot_code_nonzero == 15, "%s: boot code (15 non-zero bytes)", name);
}

static void test_good(void)
{
	struct image_info in;

	is_int(image_inspect(fx("good.qcow2"), &in, E()), 0, "good.qcow2 reads (%s)", E_MSG);
	ok(in.vacm_shaped && in.nproblems == 0, "good.qcow2: VACM-shaped");
	is_int(in.version, 3, "good.qcow2: version 3");
	is_int((long long)in.virtual_size, 64 << 20, "good.qcow2: virtual size 64 MiB");
	is_int((long long)in.cluster_size, 65536, "good.qcow2: 64 KiB clusters");
	ok(!in.compressed && in.clusters_data > 8,
	   "good.qcow2: %llu data clusters, none compressed", (unsigned long long)in.clusters_data);
	is_int(in.backing_depth, 0, "good.qcow2: no backing file");
	check_standin_partitions("good.qcow2", &in);

	is_int(image_inspect(fx("compressed.qcow2"), &in, E()), 0, "compressed.qcow2 reads (%s)",
	       E_MSG);
	ok(in.compressed && in.mbr_compressed && in.clusters_compressed >= 4,
	   "compressed.qcow2: %llu compressed clusters, the MBR's among them",
	   (unsigned long long)in.clusters_compressed);
	ok(in.vacm_shaped, "compressed.qcow2: VACM-shaped (MBR inflated)");
	check_standin_partitions("compressed.qcow2", &in);

	is_int(image_inspect(fx("v2.qcow2"), &in, E()), 0, "v2.qcow2 reads (%s)", E_MSG);
	ok(in.version == 2 && in.vacm_shaped, "v2.qcow2: version 2, VACM-shaped");

	is_int(image_inspect(fx("extl2.qcow2"), &in, E()), 0, "extl2.qcow2 reads (%s)", E_MSG);
	ok(in.extended_l2 && in.vacm_shaped, "extl2.qcow2: extended L2 entries, VACM-shaped");

	is_int(image_inspect(fx("datafile.qcow2"), &in, E()), 0, "datafile.qcow2 reads (%s)",
	       E_MSG);
	ok(strstr(in.external_data_file, "datafile.data") && in.vacm_shaped,
	   "datafile.qcow2: external data file read, VACM-shaped");

	is_int(image_inspect(fx("overlay.qcow2"), &in, E()), 0, "overlay.qcow2 reads (%s)", E_MSG);
	is_str(in.backing_file, "good.qcow2", "overlay.qcow2: backing file named");
	ok(in.backing_depth == 1 && !strcmp(in.backing_format, "qcow2") && in.clusters_data == 0,
	   "overlay.qcow2: one qcow2 backing file, no data of its own");
	ok(in.vacm_shaped, "overlay.qcow2: MBR read through the backing file");
	check_standin_partitions("overlay.qcow2", &in);

	is_int(image_inspect(fx("overlay-raw.qcow2"), &in, E()), 0, "overlay-raw.qcow2 reads (%s)",
	       E_MSG);
	ok(in.backing_depth == 1 && !strcmp(in.backing_format, "raw") && in.vacm_shaped,
	   "overlay-raw.qcow2: raw backing file read through, VACM-shaped");
}

static void test_bad(void)
{
	char want[1024], warn[1024];
	struct stat st;

	expect_error("raw.img", "not a QCOW2 image (no QFI\\xfb magic): looks like a raw disk "
				"image; convert it with qemu-img convert -O qcow2");
	expect_error("empty.img", "empty file (0 bytes): not a disk image");
	expect_error("truncated-header.qcow2",
		     "truncated QCOW2 header: the file has 50 bytes, a header needs at least 72");
	{
		struct image_info in;
		int r = image_inspect(fx("truncated.qcow2"), &in, E());

		is_int(r, -1, "truncated.qcow2: image_inspect fails");
		stat(fx("truncated.qcow2"), &st);
		snprintf(want, sizeof(want), "beyond the end of the file (%lld bytes)",
			 (long long)st.st_size);
		ok(!strncmp(E_MSG, "truncated QCOW2: the cluster for guest offset 0x", 48) &&
			   strstr(E_MSG, want),
		   "truncated.qcow2: '%s'", E_MSG);
	}
	expect_error("l1-misaligned.qcow2",
		     "corrupt L1 table: offset 0x30008 is not aligned to a cluster (65536 bytes)");
	stat(fx("l1-beyond.qcow2"), &st);
	snprintf(want, sizeof(want),
		 "corrupt L1 table offset: the L1 table at 0x100000000000 lies beyond the end of "
		 "the file (%lld bytes)",
		 (long long)st.st_size);
	expect_error("l1-beyond.qcow2", want);
	expect_error("l1-absurd.qcow2",
		     "corrupt L1 table: 4294967295 entries is absurd (QEMU's limit is 4194304)");
	snprintf(want, sizeof(want),
		 "backing file %s/gone.qcow2: cannot open: No such file or directory", dir);
	expect_error("overlay-missing.qcow2", want);
	snprintf(want, sizeof(want),
		 "backing file %s/loop.qcow2: the backing chain loops: this is "
		 "%s/loop.qcow2 again",
		 dir, dir);
	expect_error("loop.qcow2", want);
	if (access(fx("zstd.qcow2"), F_OK) == 0)
		expect_error(
			"zstd.qcow2",
			"the cluster at guest offset 0x0 is zstd-compressed, which vacmlab cannot "
			"read: convert the image with qemu-img convert -O qcow2 (without -c) or "
			"with -o compression_type=zlib");
	else
		ok(1, "# SKIP qemu-img without zstd: no zstd.qcow2");
	expect_error(".", "is a directory, not a disk image");

	expect_problem("two-partitions.qcow2",
		       "only 2 partitions: sda3 (/etc/config) and sda4 (nvlog) missing");
	expect_problem("no-signature.qcow2",
		       "no MBR: bytes 510-511 are 00 00, not the 55 AA boot signature");
	expect_problem(
		"no-bootcode.qcow2",
		"no boot code: MBR bytes 0-439 are all zero, the BIOS cannot boot this disk");
	expect_problem("overlap.qcow2",
		       "sda1 (sectors 2048-18431) and sda2 (sectors 4096-36863) overlap");

	/* image_check(): what `up` runs. */
	is_int(image_check_warn(fx("good.qcow2"), E(), warn, sizeof(warn)), 0,
	       "image_check: good.qcow2 passes");
	is_str(warn, "", "image_check: no warning for good.qcow2");
	is_int(image_check_warn(fx("two-partitions.qcow2"), E(), warn, sizeof(warn)), 0,
	       "image_check: two-partitions.qcow2 boots, so it passes");
	snprintf(want, sizeof(want),
		 "%s/two-partitions.qcow2: not VACM-shaped: only 2 partitions: "
		 "sda3 (/etc/config) and sda4 (nvlog) missing",
		 dir);
	is_str(warn, want, "image_check: ... with a warning");
	is_int(image_check(fx("no-signature.qcow2"), E()), -1,
	       "image_check: no-signature.qcow2 fails");
	snprintf(want, sizeof(want),
		 "%s/no-signature.qcow2: no MBR: bytes 510-511 are 00 00, not "
		 "the 55 AA boot signature",
		 dir);
	is_str(E_MSG, want, "image_check: no-signature message");
	is_int(image_check(fx("no-bootcode.qcow2"), E()), -1,
	       "image_check: no-bootcode.qcow2 fails");
	is_int(image_check(fx("raw.img"), E()), -1, "image_check: raw.img fails");
	snprintf(want, sizeof(want),
		 "%s/raw.img: not a QCOW2 image (no QFI\\xfb magic): looks like "
		 "a raw disk image; convert it with qemu-img convert -O qcow2",
		 dir);
	is_str(E_MSG, want, "image_check: raw.img message");
	is_int(image_check(fx("empty.img"), E()), -1, "image_check: empty.img fails");
	is_int(image_check(fx("truncated.qcow2"), E()), -1, "image_check: truncated.qcow2 fails");
}

/* Crafted images: refused with a message naming the problem, quickly. */
static void expect_error_timed(const char *name, const char *want)
{
	long long t0 = now_ms();

	expect_error(name, want);
	printf("# %s: %lld ms\n", name, now_ms() - t0);
}

static void test_crafted(void)
{
	char want[1024];
	struct stat st;
	struct image_info in;
	long long t0;

	expect_error_timed("cluster-bits.qcow2",
			   "corrupt QCOW2 header: cluster_bits 255 (must be 9 to 21)");
	expect_error_timed("cluster-bits-64.qcow2",
			   "corrupt QCOW2 header: cluster_bits 64 (must be 9 to 21)");
	stat(fx("good.qcow2"), &st);
	snprintf(want, sizeof(want),
		 "truncated QCOW2: the L1 table (0x30000-0x430000) runs beyond the end of the "
		 "file (%lld bytes)",
		 (long long)st.st_size);
	expect_error_timed("l1-huge.qcow2", want);
	snprintf(want, sizeof(want),
		 "corrupt L1 table: the L2 table for guest bytes 0x0-0x20000000 lies at "
		 "0x100000000000, beyond the end of the file (%lld bytes)",
		 (long long)st.st_size);
	expect_error_timed("l2-beyond.qcow2", want);
	snprintf(want, sizeof(want),
		 "corrupt refcount table offset: the refcount table "
		 "(0x100000000000-0x100000010000) runs beyond the end of the file (%lld bytes)",
		 (long long)st.st_size);
	expect_error_timed("refcount-beyond.qcow2", want);
	snprintf(want, sizeof(want),
		 "corrupt snapshot table: offset 0x100000000000 is beyond the end of the file "
		 "(the file has %lld bytes)",
		 (long long)st.st_size);
	expect_error_timed("snapshot-beyond.qcow2", want);
	expect_error_timed("snapshots-absurd.qcow2",
			   "corrupt QCOW2 header: 4294967295 snapshots (QEMU's limit is 65536)");
	stat(fx("overlay.qcow2"), &st);
	snprintf(want, sizeof(want),
		 "corrupt QCOW2 header: the backing file name at byte 17592186044416 lies "
		 "beyond the end of the file (%lld bytes)",
		 (long long)st.st_size);
	expect_error_timed("backing-name-beyond.qcow2", want);
	snprintf(want, sizeof(want),
		 "backing file %s/self.qcow2: the backing chain loops: this is %s/self.qcow2 "
		 "again",
		 dir, dir);
	expect_error_timed("self.qcow2", want);
	snprintf(want, sizeof(want),
		 "backing file %s/chain0.qcow2: the backing chain is more than 8 files deep", dir);
	expect_error_timed("chain9.qcow2", want);
	is_int(image_inspect(fx("chain8.qcow2"), &in, E()), 0,
	       "chain8.qcow2: 8 backing files is the limit, and it reads (%s)", E_MSG);
	ok(in.backing_depth == 8 && in.vacm_shaped, "chain8.qcow2: depth 8, MBR through 8 files");
	expect_error_timed("fifo.img",
			   "is a FIFO, not a disk image (a regular file or block device)");
	expect_error_timed("zero.img", "is a character device, not a disk image (a regular "
				       "file or block device)");
	expect_error_timed("adir.qcow2", "is a directory, not a disk image");

	/* 4194304 L1 entries (32 MiB) that the file does hold: valid. */
	t0 = now_ms();
	is_int(image_inspect(fx("l1-huge-sparse.qcow2"), &in, E()), 0,
	       "l1-huge-sparse.qcow2: a 32 MiB L1 table inside the file reads (%s)", E_MSG);
	ok(in.l1_size == 4194304 && in.vacm_shaped, "l1-huge-sparse.qcow2: VACM-shaped");
	printf("# l1-huge-sparse.qcow2: %lld ms\n", now_ms() - t0);

	/* `up` sees the same: a FIFO must not block image_check or the
	 * base identity. */
	is_int(image_check(fx("fifo.img"), E()), -1, "image_check: fifo.img fails");
	{
		struct image_id id;

		is_int(image_identity(fx("fifo.img"), &id), -EINVAL,
		       "image_identity: a FIFO is -EINVAL, without blocking");
	}
}

/* The memory entry point the fuzzer uses. */
static void test_mem(void)
{
	struct image_info in;
	size_t len;
	_cleanup_free_ char *good = read_file(fx("good.qcow2"), &len);
	_cleanup_free_ char *ovl = NULL, *df = NULL;

	if (!ok(good != NULL, "read good.qcow2 into memory"))
		return;
	is_int(image_inspect_mem(good, len, &in, E()), 0,
	       "image_inspect_mem: good.qcow2 reads (%s)", E_MSG);
	ok(in.vacm_shaped && in.file_size == len, "image_inspect_mem: VACM-shaped");
	ovl = read_file(fx("overlay.qcow2"), &len);
	is_int(image_inspect_mem(ovl, len, &in, E()), 0,
	       "image_inspect_mem: overlay.qcow2 reads (%s)", E_MSG);
	ok(!strcmp(in.backing_file, "good.qcow2") && in.backing_depth == 0 && !in.mbr_signature,
	   "image_inspect_mem: backing file named, not followed (the MBR reads as zeros)");
	df = read_file(fx("datafile.qcow2"), &len);
	is_int(image_inspect_mem(df, len, &in, E()), -1,
	       "image_inspect_mem: datafile.qcow2 refused");
	is_str(E_MSG, "QCOW2 image uses an external data file, not opened from memory",
	       "image_inspect_mem: ... saying why");
	is_int(image_inspect_mem("QFI", 3, &in, E()), -1, "image_inspect_mem: 3 bytes refused");
}

static int copy_file(const char *from, const char *to)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	return system(cmd);
}

static void test_identity(void)
{
	struct image_id a, b, c;
	char base[512], idf[512], what[512], want[256], tmp[600];
	struct timespec ts[2];
	struct stat st;
	int fd;

	snprintf(base, sizeof(base), "%s/base.qcow2", dir);
	snprintf(idf, sizeof(idf), "%s/node.qcow2.base", dir);
	copy_file(fx("good.qcow2"), base);

	is_int(image_identity(base, &a), 0, "identity: computed");
	is_int(strlen(a.sha256), 64, "identity: 64 hex digits");
	stat(base, &st);
	is_int((long long)a.size, (long long)st.st_size, "identity: size");
	is_int(image_id_save(idf, &a), 0, "identity: saved");
	is_int(image_id_load(idf, &b), 0, "identity: loaded");
	ok(!memcmp(&a, &b, sizeof(a)), "identity: load(save(x)) == x");
	is_int(image_id_compare(&a, &b, what, sizeof(what)), 0, "identity: unchanged");
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), 0,
	       "identity: verify unchanged");
	image_identity(fx("compressed.qcow2"), &c);
	ok(strcmp(c.sha256, a.sha256) != 0, "identity: another image hashes differently");

	/* touch: only the mtime changes. */
	ts[0].tv_sec = ts[1].tv_sec = 1700000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 5;
	utimensat(AT_FDCWD, base, ts, 0);
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), 1,
	       "identity: touch is a change");
	ok(!strncmp(what, "modification time changed from ", 31) && !strchr(what, ';'),
	   "identity: '%s'", what);

	/* Same size, one byte of the first MiB changed. */
	image_identity(base, &a);
	image_id_save(idf, &a);
	fd = open(base, O_WRONLY | O_CLOEXEC);
	pwrite(fd, "X", 1, 700000);
	close(fd);
	utimensat(AT_FDCWD, base, ts, 0);
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), 1, "identity: content change");
	is_str(what, "content of the first MiB changed", "identity: content sentence");

	/* Appended: size changes, first MiB does not. */
	image_identity(base, &a);
	image_id_save(idf, &a);
	fd = open(base, O_WRONLY | O_APPEND | O_CLOEXEC);
	write(fd, "tail", 4);
	close(fd);
	utimensat(AT_FDCWD, base, ts, 0);
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), 1, "identity: size change");
	snprintf(want, sizeof(want), "size changed from %llu to %llu bytes",
		 (unsigned long long)a.size, (unsigned long long)a.size + 4);
	is_str(what, want, "identity: size sentence");

	/* Replaced by an identical copy: a new inode. */
	image_identity(base, &a);
	image_id_save(idf, &a);
	snprintf(tmp, sizeof(tmp), "%s.new", base);
	copy_file(base, tmp);
	utimensat(AT_FDCWD, tmp, ts, 0);
	rename(tmp, base);
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), 1, "identity: replaced file");
	ok(!strncmp(what, "the file was replaced (inode ", 29), "identity: '%s'", what);

	write_file(idf, "size=12\nsha256_first_mib=zz\n");
	is_int(image_id_load(idf, &b), -EINVAL, "identity: malformed file is -EINVAL");
	is_int(image_id_verify(base, idf, what, sizeof(what), E()), -1, "identity: verify says so");
	unlink(idf);
	is_int(image_id_load(idf, &b), -ENOENT, "identity: missing file is -ENOENT");
}

/* xorshift64*: reproducible with VACMLAB_FUZZ_SEED. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void test_fuzz(void)
{
	static const char *const seeds[] = {"good.qcow2", "compressed.qcow2", "overlay.qcow2",
					    "extl2.qcow2", "v2.qcow2"};
	const char *env = getenv("VACMLAB_FUZZ_SEED");
	long long deadline = now_ms() + 20000;
	unsigned int iters = 0, errors = 0, reads = 0, bad = 0;
	char target[512];

	rng_state = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	if (!rng_state)
		rng_state = 1;
	printf("# fuzz seed %llu (VACMLAB_FUZZ_SEED to repeat)\n", (unsigned long long)rng_state);
	snprintf(target, sizeof(target), "%s/fuzz.qcow2", dir);
	for (size_t s = 0; s < ARRAY_SIZE(seeds); s++) {
		size_t len;
		_cleanup_free_ uint8_t *orig = (uint8_t *)read_file(fx(seeds[s]), &len);

		if (!orig || len < 4096) {
			ok(0, "fuzz: read %s", seeds[s]);
			return;
		}
		for (unsigned int k = 0; k < 600 && now_ms() < deadline; k++) {
			_cleanup_free_ uint8_t *m = xmalloc(len);
			size_t mlen = len;
			unsigned int nmut = 1 + (unsigned int)(rnd() % 6);
			struct image_info in;
			int r, fd;

			memcpy(m, orig, len);
			for (unsigned int j = 0; j < nmut; j++) {
				/* Mostly metadata: header, refcounts, L1, L2 (first
				 * 5 clusters); sometimes anywhere. */
				size_t off = rnd() % 4 ? rnd() % (len < 0x50000 ? len : 0x50000)
						       : rnd() % len;

				switch (rnd() % 4) {
				case 0: m[off] = (uint8_t)rnd(); break;
				case 1: m[off] ^= (uint8_t)(1u << (rnd() % 8)); break;
				case 2: /* a whole big-endian field */
					for (size_t b = off & ~(size_t)7; b < (off | 7) && b < len;
					     b++)
						m[b] = (uint8_t)rnd();
					break;
				default: mlen = (size_t)(rnd() % len); break;
				}
			}
			fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || write_all(fd, m, mlen) < 0) {
				ok(0, "fuzz: write %s", target);
				return;
			}
			close(fd);
			/* Descriptor leaks would show as EMFILE below. */
			r = image_inspect(target, &in, E());
			iters++;
			if (r == 0)
				reads++;
			else if (r == -1 && E_MSG[0])
				errors++;
			else
				bad++;
		}
	}
	ok(bad == 0 && iters > 100,
	   "fuzz: %u corrupted images, %u read, %u refused with a message, %u otherwise", iters,
	   reads, errors, bad);
}

/* A base image that names another file is refused, naming it, unless the
 * user allowed it; a node's disk (vacmlab's overlay) may name its base. */
static void test_refs(void)
{
	struct image_info in;
	char want[1200];

	unsetenv(IMAGE_ALLOW_BACKING_ENV);
	ok(!image_backing_allowed(), "refs: not allowed by default");
	is_int(image_inspect(fx("overlay-raw.qcow2"), &in, E()), -1,
	       "refs: a base image with a raw backing file is refused");
	snprintf(want, sizeof(want), "names a backing file 'good.raw' (%s): refused",
		 fx("good.raw"));
	if (!ok(strstr(E_MSG, want) != NULL, "refs: ... naming the file as written and resolved"))
		printf("#   got: %s\n#   want: %s\n", E_MSG, want);
	is_int(image_inspect(fx("datafile.qcow2"), &in, E()), -1,
	       "refs: a base image with an external data file is refused");
	ok(strstr(E_MSG, "names an external data file") && strstr(E_MSG, "datafile.data"),
	   "refs: ... naming it (%s)", E_MSG);
	is_int(image_check(fx("overlay.qcow2"), E()), -1, "refs: image_check (up) refuses it too");
	ok(strstr(E_MSG, fx("overlay.qcow2")) && strstr(E_MSG, "'good.qcow2'"),
	   "refs: ... with the image's path and the backing file's (%s)", E_MSG);
	is_int(image_refs_check(fx("overlay.qcow2"), E()), -1,
	       "refs: image_refs_check (check) too");
	is_int(image_refs_check(fx("good.qcow2"), E()), 0, "refs: a self-contained image passes");
	is_int(image_refs_check(fx("raw.img"), E()), 0,
	       "refs: image_refs_check leaves a raw file to image_check");
	/* vacmlab's own overlay: chain2 -> chain1 -> chain0. As a node's disk,
	 * chain1 is the base and names chain0: refused. */
	is_int(image_inspect_disk(fx("chain1.qcow2"), &in, E()), 0,
	       "refs: a node's disk may name its base (%s)", E_MSG);
	is_int(image_inspect_disk(fx("chain2.qcow2"), &in, E()), -1,
	       "refs: ... but that base may not name another file");
	ok(strstr(E_MSG, "backing file") && strstr(E_MSG, "chain0.qcow2"), "refs: ... named (%s)",
	   E_MSG);
	is_int(image_inspect(fx("json-backing.qcow2"), &in, E()), -1,
	       "refs: json: backing refused");
	setenv(IMAGE_ALLOW_BACKING_ENV, "1", 1);
	ok(image_backing_allowed(), "refs: VACMLAB_ALLOW_BACKING=1 allows");
	is_int(image_inspect(fx("overlay-raw.qcow2"), &in, E()), 0,
	       "refs: allowed, the raw backing file is read (%s)", E_MSG);
	is_int(image_inspect(fx("json-backing.qcow2"), &in, E()), -1,
	       "refs: a json: backing name is refused even when allowed");
	ok(strstr(E_MSG, "QEMU protocol or JSON") != NULL, "refs: ... saying why (%s)", E_MSG);
	is_int(image_inspect(fx("nbd-backing.qcow2"), &in, E()), -1,
	       "refs: an nbd:// backing name too");
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	char script[1024], cmd[1200];
	int r;

	/* Every case is bounded (a FIFO must not block): a hang fails. */
	alarm(120);
	/* make check runs from the top of the tree; SRCDIR overrides. */
	snprintf(script, sizeof(script), "%s/tests/images/make-fixtures.sh", src ? src : ".");
	snprintf(dir, sizeof(dir), "/tmp/vacmlab-test-image-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot make a temp dir\n");
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "'%s' '%s' >&2", script, dir);
	r = system(cmd);
	if (WIFEXITED(r) && WEXITSTATUS(r) == 77) {
		printf("1..0 # SKIP qemu-img or sfdisk missing (make-fixtures.sh)\n");
		return 0;
	}
	ok(r == 0, "fixtures made by %s in %s", script, dir);
	if (r == 0) {
		long long t0 = now_ms();

		test_refs();
		/* The reader's own cases below follow backing chains. */
		setenv(IMAGE_ALLOW_BACKING_ENV, "1", 1);
		test_good();
		printf("# inspecting the good images took %lld ms\n", now_ms() - t0);
		test_bad();
		test_crafted();
		test_mem();
		test_identity();
		test_fuzz();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
