/*
 * cli.h: the pieces shared by the exodb command-line tool's commands.
 *
 * Every command, at every level, is a struct cli_cmd in a table: a name,
 * the function that runs it, and a one-line help.  main.c holds the top
 * table ("disk", ...); a command with subcommands (disk.c) holds its own
 * table and hands its arguments to cli_dispatch().  A command function gets
 * argv starting at its own name and returns the process exit status:
 *
 *   CLI_OK     0  success (and --help)
 *   CLI_FAIL   1  the operation failed: a one-line message on stderr
 *   CLI_USAGE  2  bad usage: one line, then "try 'exodb ... --help'"
 *
 * To add a command: write `int cmd_NAME(int argc, char **argv)` in its own
 * file, declare it here, and add a line to the table in main.c.  Leaf
 * commands parse options with cli_getopt(), which reports unknown options
 * and missing arguments in the shared format.
 */
#ifndef EXODB_CLI_H
#define EXODB_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help; /* one line */
};

/* Run the command in tab named by argv[1]; path is how the user reached
 * this level ("exodb", "exodb disk"), used in help and errors.  usage is
 * printed before the table for --help. */
int cli_dispatch(const char *path, const char *usage, const struct cli_cmd *tab,
		 size_t n, int argc, char **argv);

/* Print "path: message" and "try 'path --help'" to stderr; returns
 * CLI_USAGE. */
int cli_usage_error(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "exodb: message" to stderr; returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt_long over argv (argv[0] being the command's name), with --help
 * and -h added.  Returns the option's val, 'h' for help, -1 at the end of
 * the options, or '?' after printing a usage error for path. */
int cli_getopt(const char *path, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Parse a size: plain bytes or a number with K, M, G or T (powers of
 * 1024, optional "iB"/"B").  Returns 0 or -1 for anything else, including
 * overflow and zero. */
int cli_parse_size(const char *s, uint64_t *out);

/* Write bytes as a short human figure ("64.0 MiB") into buf. */
const char *cli_human_bytes(uint64_t bytes, char *buf, size_t len);

/* Commands. */
int cmd_disk(int argc, char **argv);

#endif
