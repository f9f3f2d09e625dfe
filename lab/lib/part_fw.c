// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * part_fw.c - the firmware identity of an image: size and sha256 of its
 * sda2 (the partition netflash-vm writes), and a version string found in
 * its first MiB ("version" in any case, then '=', ':' or blanks, then a
 * token starting with a digit: the stand-in's blob reads
 * "VACM-STANDIN-FIRMWARE version=2 kernel=..."). The whole partition is
 * hashed, so `qemu-img dd` of it piped to sha256sum gives the same sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "lab/lib/part.h"
#include "lab/lib/util.h"

void part_fw_version(const uint8_t *b, size_t n, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i + 8 < n; i++) {
		size_t j, k = 0;

		if (strncasecmp((const char *)b + i, "version", 7))
			continue;
		j = i + 7;
		while (j < n && (b[j] == '=' || b[j] == ':' || b[j] == ' ') && j < i + 10)
			j++;
		if (j == i + 7 || j >= n || b[j] < '0' || b[j] > '9')
			continue;
		while (j < n && k + 1 < outlen &&
		       ((b[j] >= '0' && b[j] <= '9') || (b[j] >= 'a' && b[j] <= 'z') ||
			(b[j] >= 'A' && b[j] <= 'Z') || strchr("._+-~", b[j])))
			out[k++] = (char)b[j++];
		out[k] = '\0';
		return;
	}
}

int part_firmware_id(const char *disk, const char *workdir, struct part_firmware *fw,
		     struct vl_err *e)
{
	static const char hex[] = "0123456789abcdef";
	_cleanup_free_ char *raw = xasprintf("%s/firmware.raw", workdir);
	_cleanup_free_ uint8_t *buf = xmalloc(1 << 20);
	_cleanup_close_ int fd = -1;
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	struct part_loc loc;
	uint64_t done = 0;

	memset(fw, 0, sizeof(*fw));
	if (part_locate(disk, PART_FIRMWARE, &loc, e) < 0)
		return -1;
	unlink(raw);
	if (part_read_range(disk, loc.offset, loc.size, raw, true, e) < 0)
		return -1;
	fd = open(raw, O_RDONLY | O_CLOEXEC);
	unlink(raw);
	if (fd < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "%s", raw);
	sha256_init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vl_fail_errno(e, EXIT_ENV, errno, "reading %s", raw);
		if (n == 0)
			break;
		if (done == 0)
			part_fw_version(buf, (size_t)n, fw->version, sizeof(fw->version));
		sha256_update(&ctx, (size_t)n, buf);
		done += (uint64_t)n;
	}
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		fw->sha256[2 * i] = hex[d[i] >> 4];
		fw->sha256[2 * i + 1] = hex[d[i] & 15];
	}
	fw->sha256[64] = '\0';
	fw->size = done;
	return 0;
}

void part_firmware_str(const struct part_firmware *fw, char *buf, size_t len)
{
	if (fw->version[0])
		snprintf(buf, len, "version %s, sha256 %.12s", fw->version, fw->sha256);
	else
		snprintf(buf, len, "no version string, sha256 %.12s", fw->sha256);
}
