/*
 * main.c: exodb, the command-line tool.
 *
 *   exodb disk format IMAGE --size SIZE    make an exodb disk
 *   exodb disk info IMAGE [--json]         show its label, map and owners
 *   exodb COMMAND --help                   each command's usage
 *
 * The commands live in one table below: {name, function, one-line help}.
 * A new command is a new file with its cmd_NAME function (declared in
 * cli.h) and one more line here.  Exit status: 0 success, 1 failure,
 * 2 bad usage (see cli.h).
 */
#include "cli.h"
#include "kv.h"

static const struct cli_cmd commands[] = {
	{"disk", cmd_disk, "format and inspect exodb disks (disk images)"},
	{"create", cmd_create, "create a store on a disk"},
	{"stat", cmd_stat, "show a store's space and its trees"},
	{"check", cmd_check, "verify a store completely"},
	{"get", cmd_get, "print the value of a key"},
	{"put", cmd_put, "set a key to a value"},
	{"del", cmd_del, "delete a key"},
	{"scan", cmd_scan, "print a range of keys and values"},
	{"dump", cmd_dump, "write trees in mdb_dump's text format"},
	{"load", cmd_load, "load mdb_dump output (from LMDB or exodb)"},
};

static const char usage[] =
	"usage: exodb COMMAND [ARGS...]\n"
	"\n"
	"exodb administers exodb disks: image files or block devices holding\n"
	"the exokernel's label and ownership map and the data of its owners.\n";

int main(int argc, char **argv)
{
	return cli_dispatch("exodb", usage, commands,
			    sizeof(commands) / sizeof(commands[0]), argc, argv);
}
