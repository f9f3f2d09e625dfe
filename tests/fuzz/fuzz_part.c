// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_part.c - libFuzzer target for what vacmlab reads out of a partition
 * without a tool: the ext2/3/4 superblock probe (part_sb_parse(), on the
 * 1024 bytes at byte 1024 of sda3/sda4) and the firmware version reader
 * (part_fw_version(), over sda2's blob). Any bytes must give a type and a
 * quotable label or one message, and a version that is a bounded token of
 * the allowed characters. Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/part.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sb[1024] = {0};
	struct part_fs fs;
	struct vl_err e = {0};
	char v[64];

	memcpy(sb, data, size < sizeof(sb) ? size : sizeof(sb));
	if (part_sb_parse(sb, "sda3 (/etc/config)", &fs, &e) == 0) {
		if (strcmp(fs.type, "ext2") && strcmp(fs.type, "ext3") && strcmp(fs.type, "ext4"))
			abort();
		if (!memchr(fs.label, 0, sizeof(fs.label)))
			abort();
		/* The label goes into debugfs command lines in quotes. */
		for (const char *c = fs.label; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
				abort();
	} else if (!e.msg[0]) {
		abort();
	}
	/* The whole input as a firmware blob, and small out buffers too. */
	for (size_t outlen = 1; outlen <= sizeof(v); outlen += 21) {
		memset(v, 'X', sizeof(v));
		part_fw_version(data, size, v, outlen);
		if (!memchr(v, 0, outlen))
			abort();
		if (v[0] && (v[0] < '0' || v[0] > '9'))
			abort();
		for (const char *c = v; *c; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z') || strchr("._+-~", *c)))
				abort();
	}
	return 0;
}
