/*
 * disk.c: `exodb disk`, format and inspect exodb disks.
 *
 *   exodb disk format IMAGE --size SIZE   (a block device: no --size)
 *   exodb disk info IMAGE [--json]
 *
 * Both go through dblibos/exo.h only: exo_disk_format() writes the label
 * and an empty ownership map, exo_disk_info() reads the label and the
 * newest valid map without attaching (so info works while a database has
 * the disk open).  info prints the label, the map's generation and slot,
 * the metadata overhead, the free blocks and every owner with its extents
 * (at most INFO_MAX_EXTENTS per owner in text; all of them in JSON).
 */
#include "cli.h"

#include <exo.h>

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define INFO_MAX_EXTENTS 20

/* ---- exodb disk format ---- */

static const char format_usage[] =
	"usage: exodb disk format IMAGE --size SIZE\n"
	"       exodb disk format DEVICE\n"
	"\n"
	"Make IMAGE an empty exodb disk: a label, two ownership-map slots and\n"
	"free blocks.  An image file is created (or resized) to SIZE and\n"
	"preallocated; a block device is used whole and takes no --size.\n"
	"Everything that was on it is destroyed.\n"
	"\n"
	"options:\n"
	"  -s, --size SIZE  image size: bytes, or a number with K, M, G, T\n"
	"                   (64M, 1G, 4096K); a multiple of 4096\n"
	"  -h, --help       show this help\n";

static int is_block_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

static void print_uuid(FILE *f, const uint8_t uuid[16])
{
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", uuid[i]);
}

static int report_formatted(const char *path)
{
	struct exo_disk_info *info;
	char human[32];
	int err;

	err = exo_disk_info(path, &info);
	if (err < 0)
		return cli_fail("%s: formatted, but cannot read it back: %s",
				path, exo_strerror(err));
	printf("formatted %s: %llu blocks (%s), %llu free, uuid ", path,
	       (unsigned long long)info->label.nblocks,
	       cli_human_bytes(info->label.nblocks * EXO_BLOCK_SIZE, human,
			       sizeof(human)),
	       (unsigned long long)info->blocks_free);
	print_uuid(stdout, info->label.uuid);
	printf("\n");
	exo_disk_info_free(info);
	return CLI_OK;
}

static int disk_format(int argc, char **argv)
{
	static const char path[] = "exodb disk format";
	static const struct option longopts[] = {
		{"size", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *size_arg = NULL;
	uint64_t bytes = 0;
	const char *image;
	int c, err;

	while ((c = cli_getopt(path, argc, argv, "s:", longopts)) != -1) {
		if (c == 'h') {
			fputs(format_usage, stdout);
			return CLI_OK;
		}
		if (c != 's')
			return CLI_USAGE;
		size_arg = optarg;
	}
	if (optind != argc - 1)
		return cli_usage_error(path, optind == argc
						     ? "missing IMAGE"
						     : "too many arguments");
	image = argv[optind];
	if (is_block_device(image)) {
		if (size_arg)
			return cli_usage_error(path,
					       "%s is a block device: "
					       "it takes no --size",
					       image);
	} else {
		if (!size_arg)
			return cli_usage_error(path, "missing --size");
		if (cli_parse_size(size_arg, &bytes) < 0)
			return cli_usage_error(path, "bad size '%s'", size_arg);
		if (bytes % EXO_BLOCK_SIZE)
			return cli_usage_error(path,
					       "size %s is not a "
					       "multiple of 4096",
					       size_arg);
	}
	err = exo_disk_format(image, bytes);
	if (err < 0)
		return cli_fail("%s: cannot format: %s", image,
				exo_strerror(err));
	return report_formatted(image);
}

/* ---- exodb disk info ---- */

static const char info_usage[] =
	"usage: exodb disk info IMAGE [--json]\n"
	"\n"
	"Show an exodb disk's label (format version, uuid, size, map slots,\n"
	"metadata overhead), which map slot is current and its generation,\n"
	"the free blocks, and every owner: id, blocks owned, root block and\n"
	"extents (start+len).  Reads the last durable map, so it works while\n"
	"the disk is attached.\n"
	"\n"
	"options:\n"
	"  -j, --json  print JSON instead of text (every extent listed)\n"
	"  -h, --help  show this help\n";

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void text_time(uint64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	char buf[64];

	if (secs && gmtime_r(&t, &tm) &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		printf("  formatted        %s\n", buf);
	else
		printf("  formatted        unknown\n");
}

static void text_label(const char *image, const struct exo_disk_info *in)
{
	const struct exo_label *l = &in->label;
	uint64_t bytes = l->nblocks * l->block_size;
	char h[32];

	printf("%s: exodb disk\n", image);
	printf("  format version   %u\n", l->version);
	printf("  uuid             ");
	print_uuid(stdout, l->uuid);
	printf("\n  size             %llu blocks, %llu bytes (%s)\n",
	       (unsigned long long)l->nblocks, (unsigned long long)bytes,
	       cli_human_bytes(bytes, h, sizeof(h)));
	printf("  block size       %u\n", l->block_size);
	text_time(l->format_time);
	printf("  map slots        2 x %u blocks (%s each), at blocks %llu "
	       "and %llu\n",
	       l->map_blocks,
	       cli_human_bytes((uint64_t)l->map_blocks * l->block_size, h,
			       sizeof(h)),
	       (unsigned long long)l->map_start,
	       (unsigned long long)(l->map_start + l->map_blocks));
	printf("  current map      generation %llu, slot %c\n",
	       (unsigned long long)in->map_gen, in->map_slot ? 'B' : 'A');
	printf("  metadata         %llu blocks (%.3g%% of the disk); data "
	       "from block %llu\n",
	       (unsigned long long)in->meta_blocks,
	       share(in->meta_blocks, l->nblocks),
	       (unsigned long long)l->data_start);
	printf("  free             %llu blocks (%s, %.3g%%)\n",
	       (unsigned long long)in->blocks_free,
	       cli_human_bytes(in->blocks_free * l->block_size, h, sizeof(h)),
	       share(in->blocks_free, l->nblocks));
	printf("  owners           %d (at most %u)\n", in->nowners,
	       l->max_owners);
}

static void text_owner(const struct exo_disk_owner *o)
{
	const struct exo_map_owner *m = &o->owner;
	uint64_t shown = o->nextents;
	char h[32];

	printf("\nowner %u: %llu blocks (%s), root ", m->id,
	       (unsigned long long)m->nblocks,
	       cli_human_bytes(m->nblocks * EXO_BLOCK_SIZE, h, sizeof(h)));
	if (m->root == EXO_BNO_NONE)
		printf("none");
	else
		printf("block %llu", (unsigned long long)m->root);
	printf(", %llu extent%s\n", (unsigned long long)o->nextents,
	       o->nextents == 1 ? "" : "s");
	if (shown > INFO_MAX_EXTENTS)
		shown = INFO_MAX_EXTENTS;
	for (uint64_t i = 0; i < shown; i++)
		printf("  %llu+%llu\n", (unsigned long long)o->extents[i].start,
		       (unsigned long long)o->extents[i].len);
	if (o->nextents > shown)
		printf("  ... %llu more\n",
		       (unsigned long long)(o->nextents - shown));
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_owner(const struct exo_disk_owner *o, int last)
{
	const struct exo_map_owner *m = &o->owner;

	printf("    {\"id\": %u, \"blocks\": %llu, \"root\": ", m->id,
	       (unsigned long long)m->nblocks);
	if (m->root == EXO_BNO_NONE)
		printf("null");
	else
		printf("%llu", (unsigned long long)m->root);
	printf(", \"nextents\": %llu, \"extents\": [",
	       (unsigned long long)o->nextents);
	for (uint64_t i = 0; i < o->nextents; i++)
		printf("%s{\"start\": %llu, \"len\": %llu}", i ? ", " : "",
		       (unsigned long long)o->extents[i].start,
		       (unsigned long long)o->extents[i].len);
	printf("]}%s\n", last ? "" : ",");
}

static void json_info(const char *image, const struct exo_disk_info *in)
{
	const struct exo_label *l = &in->label;

	printf("{\n  \"file\": ");
	json_string(image);
	printf(",\n  \"version\": %u,\n  \"uuid\": \"", l->version);
	print_uuid(stdout, l->uuid);
	printf("\",\n  \"block_size\": %u,\n", l->block_size);
	printf("  \"nblocks\": %llu,\n  \"bytes\": %llu,\n",
	       (unsigned long long)l->nblocks,
	       (unsigned long long)(l->nblocks * l->block_size));
	printf("  \"format_time\": %llu,\n",
	       (unsigned long long)l->format_time);
	printf("  \"map_start\": %llu,\n  \"map_slot_blocks\": %u,\n",
	       (unsigned long long)l->map_start, l->map_blocks);
	printf("  \"map_gen\": %llu,\n  \"map_slot\": \"%c\",\n",
	       (unsigned long long)in->map_gen, in->map_slot ? 'B' : 'A');
	printf("  \"data_start\": %llu,\n", (unsigned long long)l->data_start);
	printf("  \"meta_blocks\": %llu,\n  \"meta_percent\": %.6f,\n",
	       (unsigned long long)in->meta_blocks,
	       share(in->meta_blocks, l->nblocks));
	printf("  \"free_blocks\": %llu,\n  \"max_owners\": %u,\n",
	       (unsigned long long)in->blocks_free, l->max_owners);
	printf("  \"owners\": [%s", in->nowners ? "\n" : "");
	for (int i = 0; i < in->nowners; i++)
		json_owner(&in->owners[i], i == in->nowners - 1);
	printf("%s]\n}\n", in->nowners ? "  " : "");
}

static int disk_info(int argc, char **argv)
{
	static const char path[] = "exodb disk info";
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct exo_disk_info *info;
	int c, err, json = 0;

	while ((c = cli_getopt(path, argc, argv, "j", longopts)) != -1) {
		if (c == 'h') {
			fputs(info_usage, stdout);
			return CLI_OK;
		}
		if (c != 'j')
			return CLI_USAGE;
		json = 1;
	}
	if (optind != argc - 1)
		return cli_usage_error(path, optind == argc
						     ? "missing IMAGE"
						     : "too many arguments");
	err = exo_disk_info(argv[optind], &info);
	if (err < 0)
		return cli_fail("%s: %s", argv[optind], exo_strerror(err));
	if (json) {
		json_info(argv[optind], info);
	} else {
		text_label(argv[optind], info);
		for (int i = 0; i < info->nowners; i++)
			text_owner(&info->owners[i]);
	}
	exo_disk_info_free(info);
	return CLI_OK;
}

/* ---- exodb disk ---- */

static const struct cli_cmd disk_commands[] = {
	{"format", disk_format, "make an empty exodb disk (image or device)"},
	{"info", disk_info, "show a disk's label, map, free space and owners"},
};

static const char disk_usage[] =
	"usage: exodb disk COMMAND [ARGS...]\n"
	"\n"
	"Format and inspect exodb disks: image files or block devices.\n";

int cmd_disk(int argc, char **argv)
{
	return cli_dispatch("exodb disk", disk_usage, disk_commands,
			    sizeof(disk_commands) / sizeof(disk_commands[0]),
			    argc, argv);
}
