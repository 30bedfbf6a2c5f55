/*
 * getopt.h: command-line options (getopt.c): getopt and getopt_long
 * with GNU's conventions: options and arguments may mix (the options
 * are moved to the front), "--" ends the options, "--name=value" and
 * "--name value", a leading ':' in optstring reports a missing argument
 * as ':' instead of '?'.
 */
#ifndef EXOKERN_GETOPT_H
#define EXOKERN_GETOPT_H

#define no_argument       0
#define required_argument 1
#define optional_argument 2

struct option {
	const char *name;
	int has_arg;
	int *flag;
	int val;
};

extern char *optarg;
extern int optind, opterr, optopt;

int getopt(int argc, char *const argv[], const char *optstring);
int getopt_long(int argc, char *const argv[], const char *optstring,
		const struct option *longopts, int *longindex);

#endif
