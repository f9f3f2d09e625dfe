// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_image.c - `vacmlab image info [--json] IMAGE`: describe an image.bin
 * (QCOW2 header, MBR, partitions with their VACM roles, verdict) without
 * booting it. The reading and judging is lab/image.c; this file only prints.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "lab/cli/cmds.h"
#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/part.h"
#include "lab/lib/util.h"

static void image_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab image info [--json] IMAGE\n"
		   "\n"
		   "Describe an appliance disk without booting it: the QCOW2 header, the MBR\n"
		   "read through the QCOW2 mapping, the four partitions with their VACM roles\n"
		   "(sda1 boot args/fset, sda2 firmware image, sda3 /etc/config, sda4 nvlog)\n"
		   "and a verdict.\n"
		   "\n"
		   "  --json   one JSON object on stdout (on error: {\"path\", \"error\"})\n"
		   "\n"
		   "Exit status:\n"
		   "  0  the image is VACM-shaped: QCOW2, MBR with 55AA and boot code, four\n"
		   "     non-empty, non-overlapping primary partitions inside the disk\n"
		   "  1  usage error\n"
		   "  2  the image cannot be read (not QCOW2, empty, truncated, corrupt), or it\n"
		   "     was read but is not VACM-shaped (every difference is listed)\n");
}

static const char *hsize(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	unsigned int u = 0;
	double d = (double)v;

	while (d >= 1024 && u < ARRAY_SIZE(unit) - 1) {
		d /= 1024;
		u++;
	}
	if (d == (double)(uint64_t)d)
		snprintf(buf, len, "%" PRIu64 " %s", (uint64_t)d, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}

static void features_text(const struct image_info *in, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
#define ADD(cond, s)                                                                               \
	do {                                                                                       \
		if ((cond) && off < len)                                                           \
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", s); \
	} while (0)
	ADD(in->dirty, "dirty");
	ADD(in->extended_l2, "extended L2 entries");
	ADD(in->external_data_file[0], "external data file");
	ADD(in->compression_type == 1, "zstd compression");
	ADD(in->compatible_features & 1, "lazy refcounts");
#undef ADD
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void print_human(const char *path, const struct image_info *in)
{
	char a[32], b[32], feat[128];

	printf("%s: QCOW2 version %u, virtual size %s (%" PRIu64 " bytes), cluster %s\n", path,
	       in->version, hsize(in->virtual_size, a, sizeof(a)), in->virtual_size,
	       hsize(in->cluster_size, b, sizeof(b)));
	printf("  file size:    %s (%" PRIu64 " bytes)\n", hsize(in->file_size, a, sizeof(a)),
	       in->file_size);
	if (in->backing_file[0])
		printf("  backing file: %s (format %s; chain of %d file%s below this one, read "
		       "through)\n",
		       in->backing_file, in->backing_format[0] ? in->backing_format : "probed",
		       in->backing_depth, in->backing_depth == 1 ? "" : "s");
	else
		printf("  backing file: none\n");
	if (in->compressed)
		printf("  compressed:   yes, %" PRIu64 " of %" PRIu64
		       " allocated clusters (%s)%s\n",
		       in->clusters_compressed, in->clusters_compressed + in->clusters_data,
		       in->compression_type ? "zstd" : "zlib",
		       in->mbr_compressed ? ", including the MBR's" : "");
	else
		printf("  compressed:   no\n");
	features_text(in, feat, sizeof(feat));
	printf("  clusters:     %" PRIu64 " data, %" PRIu64 " zero, %" PRIu64 " compressed\n",
	       in->clusters_data, in->clusters_zero, in->clusters_compressed);
	printf("  L1 table:     %u entr%s at 0x%" PRIx64 "; refcount width %u bits; "
	       "%u snapshot%s; features: %s\n",
	       in->l1_size, in->l1_size == 1 ? "y" : "ies", in->l1_offset, 1u << in->refcount_order,
	       in->nb_snapshots, in->nb_snapshots == 1 ? "" : "s", feat);
	if (in->external_data_file[0])
		printf("  data file:    %s\n", in->external_data_file);

	if (!in->mbr_signature) {
		printf("MBR: no 55 AA signature (bytes 510-511 are %02x %02x)\n",
		       in->mbr_sig_bytes[0], in->mbr_sig_bytes[1]);
	} else {
		printf("MBR: 55 AA signature, disk signature 0x%08x, ", in->disk_signature);
		if (in->boot_code)
			printf("boot code present (%u of 440 bytes non-zero)\n",
			       in->boot_code_nonzero);
		else
			printf("no boot code (bytes 0-439 all zero)\n");
		printf("  %-5s %-4s %12s %12s %10s  %-4s %-16s %s\n", "dev", "boot", "start",
		       "sectors", "size", "type", "", "VACM role");
		for (unsigned int i = 0; i < 4; i++) {
			const struct image_part *p = &in->part[i];

			if (!p->present) {
				printf("  sda%u  %-4s %12s %12s %10s  %-4s %-16s %s\n", p->index,
				       "", "-", "-", "-", "-", "(empty)", p->role);
				continue;
			}
			printf("  sda%u  %-4s %12u %12u %10s  0x%02x %-16s %s\n", p->index,
			       p->boot ? "*" : "", p->start_lba, p->sectors,
			       hsize((uint64_t)p->sectors * 512, a, sizeof(a)), p->type,
			       p->type_name, p->role);
		}
	}
	if (in->vacm_shaped) {
		printf("Verdict: VACM-shaped image\n");
	} else {
		printf("Verdict: NOT VACM-shaped:\n");
		for (unsigned int i = 0; i < in->nproblems; i++)
			printf("  - %s\n", in->problems[i]);
	}
}

static json_t *info_json(const char *path, const struct image_info *in)
{
	json_t *o = json_object(), *parts = json_array(), *problems = json_array();
	char sig[16];

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "format", json_string("qcow2"));
	json_object_set_new(o, "version", json_integer(in->version));
	json_object_set_new(o, "file_size", json_integer((json_int_t)in->file_size));
	json_object_set_new(o, "virtual_size", json_integer((json_int_t)in->virtual_size));
	json_object_set_new(o, "cluster_size", json_integer((json_int_t)in->cluster_size));
	json_object_set_new(o, "backing_file",
			    in->backing_file[0] ? json_string(in->backing_file) : json_null());
	json_object_set_new(o, "backing_format",
			    in->backing_format[0] ? json_string(in->backing_format) : json_null());
	json_object_set_new(o, "backing_depth", json_integer(in->backing_depth));
	json_object_set_new(o, "compressed", json_boolean(in->compressed));
	json_object_set_new(o, "compression_type",
			    json_string(in->compression_type ? "zstd" : "zlib"));
	json_object_set_new(o, "clusters",
			    json_pack("{s:I,s:I,s:I}", "data", (json_int_t)in->clusters_data,
				      "zero", (json_int_t)in->clusters_zero, "compressed",
				      (json_int_t)in->clusters_compressed));
	json_object_set_new(o, "l1_size", json_integer(in->l1_size));
	json_object_set_new(o, "l1_offset", json_integer((json_int_t)in->l1_offset));
	json_object_set_new(o, "refcount_bits", json_integer(1 << in->refcount_order));
	json_object_set_new(o, "snapshots", json_integer(in->nb_snapshots));
	json_object_set_new(o, "incompatible_features",
			    json_integer((json_int_t)in->incompatible_features));
	json_object_set_new(o, "dirty", json_boolean(in->dirty));
	json_object_set_new(o, "extended_l2", json_boolean(in->extended_l2));
	json_object_set_new(o, "external_data_file",
			    in->external_data_file[0] ? json_string(in->external_data_file)
						      : json_null());

	snprintf(sig, sizeof(sig), "0x%08x", in->disk_signature);
	json_object_set_new(o, "mbr",
			    json_pack("{s:b,s:s,s:b,s:i}", "signature_55aa", in->mbr_signature,
				      "disk_signature", sig, "boot_code", in->boot_code,
				      "boot_code_nonzero_bytes", (int)in->boot_code_nonzero));
	for (unsigned int i = 0; in->mbr_signature && i < 4; i++) {
		const struct image_part *p = &in->part[i];
		char dev[8];

		snprintf(dev, sizeof(dev), "sda%u", p->index);
		json_array_append_new(
			parts,
			json_pack("{s:i,s:s,s:s,s:b,s:b,s:i,s:s,s:I,s:I,s:I}", "index",
				  (int)p->index, "device", dev, "role", p->role, "present",
				  p->present, "boot", p->boot, "type", (int)p->type, "type_name",
				  p->type_name, "start_lba", (json_int_t)p->start_lba, "sectors",
				  (json_int_t)p->sectors, "size", (json_int_t)p->sectors * 512));
	}
	json_object_set_new(o, "partitions", parts);
	json_object_set_new(o, "partition_count", json_integer(in->nparts));
	for (unsigned int i = 0; i < in->nproblems; i++)
		json_array_append_new(problems, json_string(in->problems[i]));
	json_object_set_new(o, "vacm_shaped", json_boolean(in->vacm_shaped));
	json_object_set_new(o, "problems", problems);
	return o;
}

static int print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (!s) {
		msg_err("cannot encode JSON");
		return EXIT_ENV;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

/* The firmware identity of sda2 (lab/lib/part.c), read through qemu-img
 * into a temp file: NULL + message in @why when it cannot be read. */
static bool firmware(const char *path, const struct image_info *in, struct part_firmware *fw,
		     char *why, size_t whylen)
{
	const char *tmp = getenv("TMPDIR");
	struct vl_err e = {0};
	char *wd;
	bool ok;

	if (!in->mbr_signature || !in->part[PART_FIRMWARE - 1].present) {
		snprintf(why, whylen, "no sda2");
		return false;
	}
	wd = part_workdir(tmp && tmp[0] ? tmp : "/tmp", &e);
	ok = wd && part_firmware_id(path, wd, fw, &e) == 0;
	if (wd)
		rm_rf(wd);
	free(wd);
	if (!ok)
		snprintf(why, whylen, "%.1000s", e.msg);
	return ok;
}

static int image_info_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct image_info *info;
	bool json = false;
	const char *path;
	struct vl_err e = {0};
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': image_usage(stdout); return EXIT_OK;
		default: image_usage(stderr); return EXIT_CONFIG;
		}
	}
	/* Accept --json after IMAGE too: `image info IMAGE --json`. */
	if (optind < argc - 1 && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	if (optind != argc - 1) {
		image_usage(stderr);
		return EXIT_CONFIG;
	}
	path = argv[optind];
	info = xmalloc(sizeof(*info));
	if (image_inspect(path, info, &e) < 0) {
		free(info);
		if (json) {
			ret = print_json(json_pack("{s:s,s:s,s:b}", "path", path, "error", e.msg,
						   "vacm_shaped", 0));
			return ret ? ret : EXIT_ENV;
		}
		vl_wrap(&e, "%s", path);
		return vl_report(&e); /* EXIT_ENV */
	}
	struct part_firmware fw;
	char why[1024];
	bool have_fw = firmware(path, info, &fw, why, sizeof(why));

	if (json) {
		json_t *o = info_json(path, info);

		json_object_set_new(
			o, "firmware",
			have_fw ? json_pack("{s:s,s:I,s:s,s:o}", "device", "sda2", "size",
					    (json_int_t)fw.size, "sha256", fw.sha256, "version",
					    fw.version[0] ? json_string(fw.version) : json_null())
				: json_pack("{s:s}", "error", why));
		ret = print_json(o);
		if (ret == 0 && !info->vacm_shaped)
			ret = EXIT_ENV;
	} else {
		print_human(path, info);
		if (have_fw)
			printf("Firmware (sda2): %" PRIu64 " bytes, sha256 %s, %s%s\n", fw.size,
			       fw.sha256, fw.version[0] ? "version " : "no version string found",
			       fw.version);
		else
			printf("Firmware (sda2): unreadable: %s\n", why);
		ret = info->vacm_shaped ? EXIT_OK : EXIT_ENV;
	}
	free(info);
	return ret;
}

int cmd_image(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		image_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "info")) {
		if (argc >= 2)
			msg_err("image: unknown subcommand '%s'", argv[1]);
		image_usage(stderr);
		return EXIT_CONFIG;
	}
	return image_info_cmd(argc - 1, argv + 1);
}
