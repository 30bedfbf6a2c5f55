/*
 * cli.c: dispatch, option parsing and messages for the exodb CLI.
 *
 * See cli.h.  cli_dispatch() walks one level of the command tree; leaf
 * commands call cli_getopt() in a loop, and every error goes out through
 * cli_usage_error() (exit 2) or cli_fail() (exit 1) so all commands speak
 * the same way.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_table(const char *path, const struct cli_cmd *tab, size_t n)
{
	printf("\ncommands:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-10s %s\n", tab[i].name, tab[i].help);
	printf("\nrun '%s COMMAND --help' for a command's options.\n", path);
}

static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_dispatch(const char *path, const char *usage, const struct cli_cmd *tab,
		 size_t n, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(path, "missing command");
	if (is_help(argv[1])) {
		fputs(usage, stdout);
		print_table(path, tab, n);
		return CLI_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage_error(path, "unknown option '%s'", argv[1]);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(argv[1], tab[i].name)) {
			optind = 0; /* the next getopt starts afresh */
			return tab[i].run(argc - 1, argv + 1);
		}
	}
	return cli_usage_error(path, "unknown command '%s'", argv[1]);
}

int cli_usage_error(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '%s --help'\n", path);
	return CLI_USAGE;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("exodb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int cli_getopt(const char *path, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), ":h%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == ':') {
		cli_usage_error(path, "option '%s' needs an argument",
				argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		const char *arg = argv[optind - 1];

		/* glibc: optopt is 0 for an unknown long option, the
		 * option's val for "--flag=value" */
		if (!optopt)
			cli_usage_error(path, "unknown option '%s'", arg);
		else if (!strncmp(arg, "--", 2))
			cli_usage_error(path, "option '%s' takes no argument",
					arg);
		else
			cli_usage_error(path, "unknown option '-%c'", optopt);
	}
	return c;
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGT";
	const char *u;

	if (*suffix == '\0') {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)*suffix));
	if (!u)
		return -1;
	*shift = 10 * (unsigned)(u - units + 1);
	suffix++;
	if (!strcmp(suffix, "") || !strcmp(suffix, "B") ||
	    !strcmp(suffix, "iB"))
		return 0;
	return -1;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || size_shift(end, &shift) < 0 || v == 0)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *cli_human_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}
