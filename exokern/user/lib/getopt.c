/*
 * getopt.c: getopt and getopt_long (getopt.h), GNU style: non-options
 * are skipped, and each run of them is moved behind the options that
 * follow it (keeping their order), so that when -1 comes back optind is
 * the first of them; "--" ends the options; clusters like "-ab" and
 * attached arguments "-ofile", "--name=value" work.  Errors print
 * "PROG: ..." unless opterr is 0 or optstring starts with ':'.  Setting
 * optind to 0 starts over.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int is_option(const char *s)
{
	return s[0] == '-' && s[1] != '\0';
}

char *optarg;
int optind = 1, opterr = 1, optopt;
static int nextchar; /* position in a cluster of short options */
/* The non-options skipped so far are argv[first_nonopt..last_nonopt). */
static int first_nonopt = 1, last_nonopt = 1;

static void reverse(char **argv, int a, int b) /* argv[a..b) */
{
	for (b--; a < b; a++, b--) {
		char *t = argv[a];

		argv[a] = argv[b];
		argv[b] = t;
	}
}

/* The options argv[last_nonopt..optind) go in front of the non-options
 * argv[first_nonopt..last_nonopt), both keeping their order. */
static void exchange(char **argv)
{
	reverse(argv, first_nonopt, last_nonopt);
	reverse(argv, last_nonopt, optind);
	reverse(argv, first_nonopt, optind);
	first_nonopt += optind - last_nonopt;
	last_nonopt = optind;
}

/* Skip to the next option, moving non-options out of the way; 0 when
 * there is none (optind then names the first non-option). */
static int next_option(int argc, char **argv)
{
	if (first_nonopt != last_nonopt && last_nonopt != optind)
		exchange(argv);
	else if (last_nonopt != optind)
		first_nonopt = optind;
	while (optind < argc && !is_option(argv[optind]))
		optind++;
	last_nonopt = optind;
	if (optind < argc && !strcmp(argv[optind], "--")) {
		optind++;
		if (first_nonopt != last_nonopt && last_nonopt != optind)
			exchange(argv);
		else if (first_nonopt == last_nonopt)
			first_nonopt = optind;
		last_nonopt = optind = argc;
	}
	if (optind < argc)
		return 1;
	if (first_nonopt != last_nonopt)
		optind = first_nonopt;
	return 0;
}


static int complain(const char *optstring)
{
	return opterr && optstring[0] != ':';
}

static int long_option(int argc, char **argv, const char *optstring,
		       const struct option *lo, int *longindex)
{
	const char *name = argv[optind] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int found = -1, nmatch = 0;

	for (int i = 0; lo[i].name; i++) {
		if (strncmp(lo[i].name, name, len))
			continue;
		if (strlen(lo[i].name) == len) {
			found = i;
			nmatch = 1;
			break;
		}
		found = i;
		nmatch++;
	}
	optind++;
	if (nmatch != 1) {
		if (complain(optstring))
			printf("%s: %s option '--%.*s'\n", argv[0],
			       nmatch ? "ambiguous" : "unrecognized", (int)len,
			       name);
		optopt = 0;
		return '?';
	}
	optarg = NULL;
	if (eq) {
		if (lo[found].has_arg == no_argument) {
			if (complain(optstring))
				printf("%s: option '--%s' doesn't allow an "
				       "argument\n",
				       argv[0], lo[found].name);
			optopt = lo[found].val;
			return '?';
		}
		optarg = (char *)eq + 1;
	} else if (lo[found].has_arg == required_argument) {
		if (optind >= argc) {
			if (complain(optstring))
				printf("%s: option '--%s' requires an "
				       "argument\n",
				       argv[0], lo[found].name);
			optopt = lo[found].val;
			return optstring[0] == ':' ? ':' : '?';
		}
		optarg = argv[optind++];
	}
	if (longindex)
		*longindex = found;
	if (lo[found].flag) {
		*lo[found].flag = lo[found].val;
		return 0;
	}
	return lo[found].val;
}

static int short_option(int argc, char **argv, const char *optstring)
{
	char c = argv[optind][nextchar++];
	const char *spec = c == ':' ? NULL : strchr(optstring, c);
	int last = argv[optind][nextchar] == '\0';

	optarg = NULL;
	if (!spec) {
		if (complain(optstring))
			printf("%s: invalid option -- '%c'\n", argv[0], c);
		optopt = c;
		if (last) {
			optind++;
			nextchar = 0;
		}
		return '?';
	}
	if (spec[1] == ':') {
		if (!last) {
			optarg = argv[optind] + nextchar;
		} else if (spec[2] != ':') {
			if (optind + 1 >= argc) {
				if (complain(optstring))
					printf("%s: option requires an "
					       "argument -- '%c'\n",
					       argv[0], c);
				optopt = c;
				optind++;
				nextchar = 0;
				return optstring[0] == ':' ? ':' : '?';
			}
			optarg = argv[++optind];
		}
		last = 1;
	}
	if (last) {
		optind++;
		nextchar = 0;
	}
	return c;
}

int getopt_long(int argc, char *const argv[], const char *optstring,
		const struct option *longopts, int *longindex)
{
	char **av = (char **)argv;

	if (optind == 0) { /* a reset */
		optind = first_nonopt = last_nonopt = 1;
		nextchar = 0;
	}
	if (nextchar == 0) {
		if (!next_option(argc, av))
			return -1;
		if (av[optind][1] == '-' && longopts)
			return long_option(argc, av, optstring, longopts,
					   longindex);
		nextchar = 1;
	}
	return short_option(argc, av, optstring);
}

int getopt(int argc, char *const argv[], const char *optstring)
{
	return getopt_long(argc, argv, optstring, NULL, NULL);
}
