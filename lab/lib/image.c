// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * image.c - judge an appliance disk without booting it: read its MBR through
 * the QCOW2 reader (qcow2.c), list every way it differs from VACM's
 * image.bin (four primary partitions, boot code, 55AA), give `up` its
 * pass/warn/fail check, and record a base image's identity for the per-node
 * overlays built on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/qcow2.h"
#include "lab/lib/util.h"

#define MBR_SIZE 512u
#define MBR_CODE_LEN 0x1b8u /* boot code: bytes 0..0x1B7 */
#define MBR_PART_OFF 0x1beu
#define IMAGE_ID_HASH_LEN (1024u * 1024)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void add_problem(struct image_info *info, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_problem(struct image_info *info, const char *fmt, ...)
{
	va_list ap;

	if (info->nproblems >= IMAGE_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(info->problems[info->nproblems++], IMAGE_PROBLEM_LEN, fmt, ap);
	va_end(ap);
}

static const char *const part_roles[4] = {
	"boot args/fset",
	"firmware image (FSK)",
	"/etc/config",
	"/var/mnt/nvlog",
};
/* Short forms for "sda3 (/etc/config) missing". */
static const char *const part_roles_short[4] = {
	"boot args/fset",
	"firmware image",
	"/etc/config",
	"nvlog",
};

static const char *part_type_name(uint8_t t)
{
	switch (t) {
	case 0x00: return "empty";
	case 0x01: return "FAT12";
	case 0x04: return "FAT16 <32M";
	case 0x05: return "extended";
	case 0x06: return "FAT16";
	case 0x07: return "NTFS/exFAT";
	case 0x0b: return "FAT32";
	case 0x0c: return "FAT32 (LBA)";
	case 0x0e: return "FAT16 (LBA)";
	case 0x0f: return "extended (LBA)";
	case 0x82: return "Linux swap";
	case 0x83: return "Linux";
	case 0x85: return "Linux extended";
	case 0x8e: return "Linux LVM";
	case 0xda: return "non-FS data";
	case 0xee: return "GPT protective";
	case 0xef: return "EFI system";
	case 0xfd: return "Linux raid";
	default: return "unknown";
	}
}

static bool part_is_extended(uint8_t t)
{
	return t == 0x05 || t == 0x0f || t == 0x85;
}

/* Decode the MBR and list every way it differs from image.bin's. */
static void judge_mbr(struct image_info *info, const uint8_t *mbr)
{
	uint64_t disk_sectors = info->virtual_size / 512;
	unsigned int missing[4], nmissing = 0;

	info->mbr_sig_bytes[0] = mbr[510];
	info->mbr_sig_bytes[1] = mbr[511];
	info->mbr_signature = mbr[510] == 0x55 && mbr[511] == 0xaa;
	info->disk_signature = le32(mbr + 0x1b8);
	for (unsigned int i = 0; i < MBR_CODE_LEN; i++)
		info->boot_code_nonzero += mbr[i] != 0;
	info->boot_code = info->boot_code_nonzero > 0;

	if (!info->mbr_signature) {
		add_problem(info,
			    "no MBR: bytes 510-511 are %02x %02x, not the 55 AA boot signature",
			    mbr[510], mbr[511]);
		return;
	}
	if (!info->boot_code)
		add_problem(info, "no boot code: MBR bytes 0-439 are all zero, the BIOS cannot "
				  "boot this disk");

	for (unsigned int i = 0; i < 4; i++) {
		const uint8_t *e = mbr + MBR_PART_OFF + 16 * i;
		struct image_part *p = &info->part[i];

		p->index = i + 1;
		p->boot_byte = e[0];
		p->boot = e[0] == 0x80;
		p->type = e[4];
		p->start_lba = le32(e + 8);
		p->sectors = le32(e + 12);
		p->type_name = part_type_name(p->type);
		p->role = part_roles[i];
		p->present = p->type != 0 && p->sectors != 0;
		if (p->present)
			info->nparts++;
		else
			missing[nmissing++] = i;
	}

	for (unsigned int i = 0; i < 4; i++)
		if (info->part[i].type == 0xee) {
			add_problem(
				info,
				"a GPT disk (protective MBR entry of type 0xee): VACM uses a plain "
				"MBR partition table");
			break;
		}
	if (nmissing) {
		char list[IMAGE_PROBLEM_LEN] = "";
		size_t off = 0;

		for (unsigned int k = 0; k < nmissing && off < sizeof(list); k++) {
			const char *sep = k == 0 ? "" : k == nmissing - 1 ? " and " : ", ";
			int w = snprintf(list + off, sizeof(list) - off, "%ssda%u (%s)", sep,
					 missing[k] + 1, part_roles_short[missing[k]]);

			if (w > 0)
				off += (size_t)w;
		}
		if (info->nparts == 0)
			add_problem(info, "no partitions: %s missing", list);
		else
			add_problem(info, "only %u partition%s: %s missing", info->nparts,
				    info->nparts == 1 ? "" : "s", list);
	}
	for (unsigned int i = 0; i < 4; i++) {
		const struct image_part *p = &info->part[i];
		uint64_t end = (uint64_t)p->start_lba + p->sectors;

		if (p->boot_byte != 0 && p->boot_byte != 0x80)
			add_problem(info,
				    "sda%u has an invalid status byte 0x%02x (not 0x00 or 0x80)",
				    p->index, p->boot_byte);
		if (!p->present)
			continue;
		if (part_is_extended(p->type))
			add_problem(info,
				    "sda%u is an extended partition (type 0x%02x): VACM uses four "
				    "primary partitions",
				    p->index, p->type);
		if (p->start_lba == 0)
			add_problem(info, "sda%u starts at sector 0, over the MBR", p->index);
		if (end > disk_sectors)
			add_problem(info,
				    "sda%u ends at sector %" PRIu64
				    ", beyond the end of the disk (%" PRIu64 " sectors)",
				    p->index, end, disk_sectors);
		for (unsigned int j = i + 1; j < 4; j++) {
			const struct image_part *o = &info->part[j];
			uint64_t oend = (uint64_t)o->start_lba + o->sectors;

			if (o->present && p->start_lba < oend && o->start_lba < end)
				add_problem(info,
					    "sda%u (sectors %u-%" PRIu64
					    ") and sda%u (sectors %u-%" PRIu64 ") overlap",
					    p->index, p->start_lba, end - 1, o->index, o->start_lba,
					    oend - 1);
		}
	}
}

/* The verdict on an opened chain; @q is closed. */
static int inspect(struct qcow2 *q, struct image_info *info, struct vl_err *e)
{
	struct qcow2_counts counts;
	uint8_t mbr[MBR_SIZE];
	enum qcow2_kind k0;
	int ret = -1;

	if (!q)
		return -1;
	info->file_size = q->file_size;
	info->version = q->version;
	info->cluster_bits = q->cluster_bits;
	info->cluster_size = q->cs;
	info->virtual_size = q->size;
	info->l1_size = q->l1_size;
	info->l1_offset = q->l1_off;
	info->incompatible_features = q->incompat;
	info->compatible_features = q->compat;
	info->autoclear_features = q->autoclear;
	info->refcount_order = q->refcount_order;
	info->nb_snapshots = q->nb_snapshots;
	info->compression_type = q->compression_type;
	info->dirty = q->incompat & QCOW2_INCOMPAT_DIRTY;
	info->extended_l2 = q->extl2;
	snprintf(info->external_data_file, sizeof(info->external_data_file), "%s", q->data_file);
	snprintf(info->backing_file, sizeof(info->backing_file), "%s", q->backing_name);
	snprintf(info->backing_format, sizeof(info->backing_format), "%s", q->backing_fmt);
	for (struct qcow2 *b = q->backing; b; b = b->backing)
		info->backing_depth++;

	if (qcow2_scan(q, &counts, e) < 0)
		goto out;
	info->clusters_data = counts.data;
	info->clusters_zero = counts.zero;
	info->clusters_compressed = counts.compressed;
	info->compressed = info->clusters_compressed > 0;

	if (q->size < MBR_SIZE) {
		vl_fail(e, EXIT_ENV,
			"virtual size %" PRIu64 " bytes is smaller than one sector: no MBR",
			q->size);
		goto out;
	}
	if (qcow2_kind_at(q, 0, &k0, e) < 0)
		goto out;
	info->mbr_compressed = k0 == QCOW2_COMPRESSED;
	if (qcow2_read(q, 0, mbr, sizeof(mbr), e) < 0)
		goto out;
	judge_mbr(info, mbr);
	info->vacm_shaped = info->nproblems == 0;
	ret = 0;
out:
	qcow2_close(q);
	return ret;
}

bool image_backing_allowed(void)
{
	const char *v = getenv(IMAGE_ALLOW_BACKING_ENV);

	return v && (!strcmp(v, "1") || !strcmp(v, "yes"));
}

/* The one place a base image's references are judged: every reader of a
 * base image or a node's disk goes through here to qcow2_open_refs(). */
static struct qcow2 *open_chain(const char *path, bool disk, bool *refused, struct vl_err *e)
{
	enum qcow2_refs refs = image_backing_allowed() ? QCOW2_REFS_ANY
			       : disk		       ? QCOW2_REFS_OVERLAY
						       : QCOW2_REFS_NONE;

	return qcow2_open_refs(path, refs, refused, e);
}

int image_refs_check(const char *path, struct vl_err *e)
{
	struct vl_err *qe = xcalloc(1, sizeof(*qe)); /* other failures are not this check's */
	bool refused = false;
	struct qcow2 *q = open_chain(path, false, &refused, qe);
	int r = 0;

	qcow2_close(q);
	if (refused)
		r = vl_fail(e, EXIT_ENV, "%s: %s", path, qe->msg);
	free(qe);
	return r;
}

int image_inspect(const char *path, struct image_info *info, struct vl_err *e)
{
	memset(info, 0, sizeof(*info));
	return inspect(open_chain(path, false, NULL, e), info, e);
}

int image_inspect_disk(const char *path, struct image_info *info, struct vl_err *e)
{
	memset(info, 0, sizeof(*info));
	return inspect(open_chain(path, true, NULL, e), info, e);
}

int image_inspect_mem(const void *buf, size_t len, struct image_info *info, struct vl_err *e)
{
	memset(info, 0, sizeof(*info));
	return inspect(qcow2_open_mem(buf, len, e), info, e);
}

int image_check_warn(const char *path, struct vl_err *e, char *warn, size_t warnlen)
{
	struct image_info *info = xmalloc(sizeof(*info));
	int ret = -1;

	if (warn && warnlen)
		warn[0] = '\0';
	if (image_inspect(path, info, e) < 0) {
		vl_wrap(e, "%s", path);
		goto out;
	}
	/* judge_mbr() puts the MBR's fatal problems first. */
	if (!info->mbr_signature || !info->boot_code) {
		vl_fail(e, EXIT_ENV, "%s: %s", path, info->problems[0]);
		goto out;
	}
	if (!info->vacm_shaped && warn && warnlen) {
		size_t off = (size_t)snprintf(warn, warnlen, "%s: not VACM-shaped: ", path);

		for (unsigned int i = 0; i < info->nproblems && off < warnlen; i++)
			off += (size_t)snprintf(warn + off, warnlen - off, "%s%s", i ? "; " : "",
						info->problems[i]);
	}
	ret = 0;
out:
	free(info);
	return ret;
}

int image_check(const char *path, struct vl_err *e)
{
	return image_check_warn(path, e, NULL, 0);
}

/* ---- base image identity ---- */

int image_identity(const char *path, struct image_id *id)
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t n;

	memset(id, 0, sizeof(*id));
	/* O_NONBLOCK: a FIFO must be refused below, not block the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	id->ino = st.st_ino;
	id->dev = st.st_dev;
	n = id->size < IMAGE_ID_HASH_LEN ? (size_t)id->size : IMAGE_ID_HASH_LEN;
	buf = xmalloc(n ? n : 1);
	if (n && pread_full(fd, buf, n, 0) < 0)
		return -EIO;
	sha256_init(&ctx);
	sha256_update(&ctx, n, buf);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		id->sha256[2 * i] = hex[digest[i] >> 4];
		id->sha256[2 * i + 1] = hex[digest[i] & 15];
	}
	id->sha256[64] = 0;
	return 0;
}

int image_id_save(const char *path, const struct image_id *id)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	_cleanup_free_ char *text =
		xasprintf("# vacmlab: identity of this overlay's base image (lab/lib/image.c)\n"
			  "size=%" PRIu64 "\nmtime_ns=%" PRId64 "\nino=%" PRIu64 "\ndev=%" PRIu64
			  "\nsha256_first_mib=%s\n",
			  id->size, id->mtime_ns, id->ino, id->dev, id->sha256);
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int image_id_load(const char *path, struct image_id *id)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	unsigned int seen = 0;

	memset(id, 0, sizeof(*id));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char hash[80];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "size=%" SCNu64, &id->size) == 1)
			seen |= 1;
		else if (sscanf(line, "mtime_ns=%" SCNd64, &id->mtime_ns) == 1)
			seen |= 2;
		else if (sscanf(line, "ino=%" SCNu64, &id->ino) == 1)
			seen |= 4;
		else if (sscanf(line, "dev=%" SCNu64, &id->dev) == 1)
			seen |= 8;
		else if (sscanf(line, "sha256_first_mib=%79s", hash) == 1 && strlen(hash) == 64 &&
			 strspn(hash, "0123456789abcdef") == 64) {
			memcpy(id->sha256, hash, 65);
			seen |= 16;
		} else {
			return -EINVAL;
		}
	}
	return seen == 31 ? 0 : -EINVAL;
}

static void fmt_time_ns(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char d[32];

	if (!localtime_r(&s, &tm) || !strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(d, sizeof(d), "%lld", (long long)s);
	snprintf(buf, len, "%s.%09lld", d, (long long)(ns % 1000000000));
}

int image_id_compare(const struct image_id *saved, const struct image_id *now, char *what,
		     size_t whatlen)
{
	size_t off = 0;
	int changed = 0;

#define SAY(...)                                                                                   \
	do {                                                                                       \
		if (what && off < whatlen)                                                         \
			off += (size_t)snprintf(what + off, whatlen - off, "%s",                   \
						changed ? "; " : "");                              \
		if (what && off < whatlen)                                                         \
			off += (size_t)snprintf(what + off, whatlen - off, __VA_ARGS__);           \
		changed = 1;                                                                       \
	} while (0)

	if (what && whatlen)
		what[0] = '\0';
	if (saved->ino != now->ino || saved->dev != now->dev)
		SAY("the file was replaced (inode %" PRIu64 " on device %" PRIu64
		    ", was inode %" PRIu64 " on device %" PRIu64 ")",
		    now->ino, now->dev, saved->ino, saved->dev);
	if (saved->size != now->size)
		SAY("size changed from %" PRIu64 " to %" PRIu64 " bytes", saved->size, now->size);
	if (strcmp(saved->sha256, now->sha256))
		SAY("content of the first MiB changed");
	if (saved->mtime_ns != now->mtime_ns) {
		char a[64], b[64];

		fmt_time_ns(saved->mtime_ns, a, sizeof(a));
		fmt_time_ns(now->mtime_ns, b, sizeof(b));
		SAY("modification time changed from %s to %s", a, b);
	}
#undef SAY
	return changed;
}

int image_id_verify(const char *image, const char *idfile, char *what, size_t whatlen,
		    struct vl_err *e)
{
	struct image_id saved, now;
	int r;

	r = image_id_load(idfile, &saved);
	if (r < 0) {
		return vl_fail(e, EXIT_ENV, "cannot read the base image identity %s: %s", idfile,
			       r == -EINVAL ? "malformed file" : strerror(-r));
	}
	r = image_identity(image, &now);
	if (r < 0) {
		return vl_fail(e, EXIT_ENV, "base image %s: %s", image,
			       r == -EINVAL ? "not a regular file" : strerror(-r));
	}
	return image_id_compare(&saved, &now, what, whatlen);
}
